/* replay.c - a main() for fuzz targets: feeds every file of the given
 * directories (or files) to LLVMFuzzerTestOneInput once, so `make check`
 * replays the corpus without clang. */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "buf.h"
#include "xmem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
run_file(const char *path)
{
	struct vs_buf b = VS_BUF_INIT;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || vs_buf_read_fd(&b, fd, 1 << 24) < 0) {
		perror(path);
		return 1;
	}
	close(fd);
	LLVMFuzzerTestOneInput((const uint8_t *)b.buf, b.len);
	vs_buf_release(&b);
	return 0;
}

int
main(int argc, char **argv)
{
	int i, n = 0, bad = 0;

	for (i = 1; i < argc; i++) {
		struct stat st;
		struct dirent *de;
		DIR *d;

		if (stat(argv[i], &st) < 0) {
			perror(argv[i]);
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			bad |= run_file(argv[i]);
			n++;
			continue;
		}
		if (!(d = opendir(argv[i])))
			return 1;
		while ((de = readdir(d))) {
			char *p;

			if (de->d_name[0] == '.')
				continue;
			p = xasprintf("%s/%s", argv[i], de->d_name);
			bad |= run_file(p);
			free(p);
			n++;
		}
		closedir(d);
	}
	printf("replayed %d inputs\n", n);
	return bad;
}
