/* fuzz_snap.c - the snapshot reader (snap_io.c) on arbitrary archives.
 * First byte even: the rest is a tar stream, zstd-compressed here so the
 * fuzzer mutates the tar and pax layer past the zstd checksums; odd: the
 * rest is the archive file as is (zstd layer). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zstd.h>

#include "snap_int.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vs_snap_opts o = VS_SNAP_OPTS_INIT;
	struct vs_err err = VS_ERR_INIT;
	struct snap_reader r;
	const void *b;
	size_t len, zlen;
	long long off;
	void *z = NULL;
	int fd, rc;

	if (size < 1)
		return 0;
	fd = memfd_create("fuzz_snap", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (data[0] % 2 == 0) {
		zlen = ZSTD_compressBound(size - 1);
		z = malloc(zlen);
		zlen = ZSTD_compress(z, zlen, data + 1, size - 1, 1);
		if (!ZSTD_isError(zlen) && write(fd, z, zlen) != (ssize_t)zlen)
			zlen = 0;
		free(z);
	} else if (write(fd, data + 1, size - 1) != (ssize_t)(size - 1)) {
		close(fd);
		return 0;
	}
	lseek(fd, 0, SEEK_SET);
	o.max_bytes = 64 << 20;
	o.max_entries = 10000;
	rc = snap_reader_open(&r, fd, &o, 0, 0, &err);
	while (rc == 0 && (rc = snap_reader_next(&r, &err)) > 0) {
		while ((rc = snap_reader_data(&r, &b, &len, &off, &err)) > 0)
			;
		if (rc < 0)
			break;
		rc = 0;
	}
	snap_reader_release(&r);
	return 0;
}
