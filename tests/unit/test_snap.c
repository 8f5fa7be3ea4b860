/* test_snap.c - the snapshot container (snap_io.c): names and ids, a
 * writer/reader round trip, the seal, budgets, owners, garbage and
 * truncated input.  No root needed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "snap_int.h"
#include "xmem.h"

#include "tmpdir.h"

static char file[128];

static int
setup(void **state)
{
	(void)state;
	tmpdir_make("test_snap");
	snprintf(file, sizeof(file), "%s/a.tar.zst", tmpdir);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tmpdir_remove();
	return 0;
}

/*
 * The hashing thread (snap_hashq.c): members in order, data handed over
 * through the pool (more than the pool holds, so the writer waits for
 * buffers), copied data, precomputed digests; the seal must be what
 * hashing each member directly gives.
 */
static void
test_hashq(void **state)
{
	struct vs_err err = VS_ERR_INIT;
	struct vs_buf seal = VS_BUF_INIT, want = VS_BUF_INIT;
	struct snap_hashq *q;
	unsigned char d[VS_HASH_LEN], pre[VS_HASH_LEN];
	char hex[VS_HASH_HEXLEN + 1], name[32], line[64];
	size_t big = 40 << 20, room, k, done;
	unsigned char *data = xmalloc(big);
	int i;

	(void)state;
	for (k = 0; k < big; k++)
		data[k] = (unsigned char)(k * 2654435761u >> 13);
	q = snap_hashq_new(&seal, &err);
	assert_non_null(q);
	for (i = 0; i < 300; i++) {
		size_t len = i == 7 ? big : (size_t)(i * 997) % 70000;
		struct vs_hash h = VS_HASH_INIT;

		snprintf(name, sizeof(name), "root/m%d", i);
		snprintf(line, sizeof(line), "line %d\n", i);
		assert_int_equal(vs_hash_init(&h, &err), 0);
		assert_int_equal(vs_hash_update(&h, line, strlen(line), &err),
		    0);
		assert_int_equal(vs_hash_update(&h, data, len, &err), 0);
		assert_int_equal(vs_hash_final(&h, d, &err), 0);
		vs_hash_hex(d, hex);
		vs_buf_addf(&want, "%s %s\n", hex, name);
		if (i % 5 == 4) {		/* digest computed elsewhere */
			memcpy(pre, d, sizeof(d));
			snap_hashq_digest(q, pre, name);
			continue;
		}
		snap_hashq_begin(q, line);
		if (i % 2) {			/* read into the pool */
			for (done = 0; done < len; done += k) {
				unsigned char *b = snap_hashq_space(q, &room);

				k = len - done < room ? len - done : room;
				memcpy(b, data + done, k);
				snap_hashq_commit(q, k);
			}
		} else
			snap_hashq_data(q, data, len);
		snap_hashq_end(q, name);
	}
	assert_int_equal(snap_hashq_finish(q, &err), 0);
	snap_hashq_free(q);
	assert_int_equal(seal.len, want.len);
	assert_memory_equal(seal.buf, want.buf, want.len);
	vs_buf_release(&seal);
	vs_buf_release(&want);
	free(data);
}

static void
test_path_ok(void **state)
{
	(void)state;
	assert_true(snap_path_ok("etc/passwd"));
	assert_true(snap_path_ok("a"));
	assert_true(snap_path_ok("..a/b.."));
	assert_false(snap_path_ok(""));
	assert_false(snap_path_ok("/etc"));
	assert_false(snap_path_ok("a/../b"));
	assert_false(snap_path_ok(".."));
	assert_false(snap_path_ok("a/."));
	assert_false(snap_path_ok("a//b"));
	assert_false(snap_path_ok("a/"));
}

static void
test_valid_id(void **state)
{
	(void)state;
	assert_true(snap_valid_id("20261204T213000Z"));
	assert_true(snap_valid_id("20261204T213000Z-12"));
	assert_false(snap_valid_id("20261204T213000Z-"));
	assert_false(snap_valid_id("../../etc/passwd"));
	assert_false(snap_valid_id("20261204X213000Z"));
	assert_false(snap_valid_id("2026120T213000Z"));
	assert_false(snap_valid_id(""));
}

static void
add(struct snap_writer *w, const char *name, mode_t type, mode_t perm,
    int uid, const char *data, const char *link)
{
	struct vs_err err = VS_ERR_INIT;
	struct archive_entry *e = archive_entry_new();
	int is_link;

	archive_entry_set_pathname(e, name);
	archive_entry_set_mode(e, type | perm);
	archive_entry_set_uid(e, uid);
	archive_entry_set_gid(e, uid);
	archive_entry_set_mtime(e, 1700000000, 123456789);
	if (data)
		archive_entry_set_size(e, strlen(data));
	if (link)
		archive_entry_set_symlink(e, link);
	assert_int_equal(snap_writer_begin(w, e, &is_link, &err), 0);
	if (data)
		assert_int_equal(snap_writer_data(w, data, strlen(data), &err),
		    0);
	assert_int_equal(snap_writer_end(w, &err), 0);
	archive_entry_free(e);
}

/* Write a small archive; bad_seal appends a forged line to the seal. */
static void
write_archive(int uid, int bad_seal, const char *skel)
{
	struct vs_err err = VS_ERR_INIT;
	struct snap_writer w;
	struct vs_snap_info in;
	struct vs_buf h = VS_BUF_INIT;
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	memset(&in, 0, sizeof(in));
	snprintf(in.vs, sizeof(in.vs), "web1");
	snprintf(in.id, sizeof(in.id), "20261204T213000Z");
	snprintf(in.message, sizeof(in.message), "a test\nwith a newline");
	in.created = 1700000000;
	in.uid_count = 65536;
	snap_header_format(&in, &h);
	assert_int_equal(snap_writer_open(&w, fd, 3, 1, &err), 0);
	w.skel_files = strchr(skel, '\n') ? 1 : 0;
	assert_int_equal(snap_writer_add_mem(&w, SNAP_HEADER, h.buf, h.len,
	    0, &err), 0);
	assert_int_equal(snap_writer_add_mem(&w, SNAP_SKEL, skel,
	    strlen(skel), 0, &err), 0);
	add(&w, "root/", AE_IFDIR, 0755, 0, NULL, NULL);
	add(&w, "root/etc/", AE_IFDIR, 0755, 0, NULL, NULL);
	add(&w, "root/etc/motd", AE_IFREG, 0644, uid, "hello\n", NULL);
	add(&w, "root/l", AE_IFLNK, 0777, 0, NULL, "/etc/motd");
	if (bad_seal) {
		/* the seal belongs to the hashing thread until finish:
		 * forge a line through it */
		unsigned char zero[VS_HASH_LEN] = { 0 };

		snap_hashq_digest(w.hq, zero, "root/forged");
	}
	assert_int_equal(snap_writer_finish(&w, &err), 0);
	snap_writer_release(&w);
	vs_buf_release(&h);
	close(fd);
}

/* Read the archive to its end: 0, or -1 with *errnum. */
static int
read_archive(const struct vs_snap_opts *o, long long uid_count, int *count,
    struct vs_snap_info *info, struct vs_err *err)
{
	struct snap_reader r;
	const void *b;
	size_t len;
	long long off;
	int rc, fd = open(file, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	*count = 0;
	rc = snap_reader_open(&r, fd, o, uid_count, 0, err);
	while (rc == 0 && (rc = snap_reader_next(&r, err)) > 0) {
		(*count)++;
		if (strcmp(r.path, "etc/motd") == 0) {
			assert_int_equal(snap_reader_data(&r, &b, &len, &off,
			    err), 1);
			assert_int_equal(len, 6);
			assert_memory_equal(b, "hello\n", 6);
			assert_int_equal(archive_entry_mtime_nsec(r.e),
			    123456789);
		}
		while ((rc = snap_reader_data(&r, &b, &len, &off, err)) > 0)
			;
		if (rc < 0)
			break;
		rc = 0;
	}
	if (rc == 0 && info)
		*info = r.info;
	snap_reader_release(&r);
	return rc;
}

static const char skel1[] =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 0 0 "
    "l 0 0 0 0 0 usr/bin/ls\n";

static void
test_round_trip(void **state)
{
	struct vs_err err = VS_ERR_INIT;
	struct vs_snap_info in;
	int n;

	(void)state;
	write_archive(1000, 0, skel1);
	if (read_archive(NULL, 0, &n, &in, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(n, 4);
	assert_string_equal(in.vs, "web1");
	assert_string_equal(in.id, "20261204T213000Z");
	assert_string_equal(in.message, "a test\nwith a newline");
	assert_int_equal(in.entries, 4);
	assert_int_equal(in.data_bytes, 6);
	assert_int_equal(in.skel_files, 1);
	assert_int_equal(in.full, 0);
}

static void
test_forged_seal(void **state)
{
	struct vs_err err = VS_ERR_INIT;
	int n;

	(void)state;
	write_archive(0, 1, "");
	assert_int_equal(read_archive(NULL, 0, &n, NULL, &err), -1);
	assert_int_equal(err.errnum, EPROTO);
	assert_non_null(strstr(err.msg, "seal"));
}

static void
test_budgets(void **state)
{
	struct vs_err err = VS_ERR_INIT;
	struct vs_snap_opts o = VS_SNAP_OPTS_INIT;
	int n;

	(void)state;
	write_archive(0, 0, "");
	o.max_bytes = 3;
	assert_int_equal(read_archive(&o, 0, &n, NULL, &err), -1);
	assert_int_equal(err.errnum, EFBIG);
	o.max_bytes = 0;
	o.max_entries = 2;
	assert_int_equal(read_archive(&o, 0, &n, NULL, &err), -1);
	assert_int_equal(err.errnum, EFBIG);
}

static void
test_owner_range(void **state)
{
	struct vs_err err = VS_ERR_INIT;
	int n;

	(void)state;
	write_archive(70000, 0, "");
	assert_int_equal(read_archive(NULL, 0, &n, NULL, &err), -1);
	assert_int_equal(err.errnum, EPERM);
	write_archive(1000, 0, "");
	assert_int_equal(read_archive(NULL, 1000, &n, NULL, &err), -1);
	assert_int_equal(read_archive(NULL, 1001, &n, NULL, &err), 0);
}

static void
test_bad_skel_list(void **state)
{
	struct vs_err err = VS_ERR_INIT;
	int n;

	(void)state;
	write_archive(0, 0, "xyz 0 0 l 0 0 0 0 0 a\n");
	assert_int_equal(read_archive(NULL, 0, &n, NULL, &err), -1);
	write_archive(0, 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934c"
	    "a495991b7852b855 0 0 l 0 0 0 0 0 ../a\n");
	assert_int_equal(read_archive(NULL, 0, &n, NULL, &err), -1);
}

static void
test_garbage_and_truncated(void **state)
{
	struct vs_err err = VS_ERR_INIT;
	struct stat st;
	int n, fd;
	off_t cut;

	(void)state;
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_int_equal(write(fd, "not zstd at all", 15), 15);
	close(fd);
	assert_int_equal(read_archive(NULL, 0, &n, NULL, &err), -1);
	write_archive(0, 0, "");
	assert_int_equal(stat(file, &st), 0);
	for (cut = 1; cut < st.st_size; cut += st.st_size / 7 + 1) {
		assert_int_equal(truncate(file, st.st_size - cut), 0);
		assert_int_equal(read_archive(NULL, 0, &n, NULL, &err), -1);
		write_archive(0, 0, "");
	}
	assert_int_equal(read_archive(NULL, 0, &n, NULL, &err), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hashq),
		cmocka_unit_test(test_path_ok),
		cmocka_unit_test(test_valid_id),
		cmocka_unit_test_setup_teardown(test_round_trip, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_forged_seal, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_budgets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_owner_range, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bad_skel_list, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_garbage_and_truncated,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
