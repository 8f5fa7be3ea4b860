/* fuzz_proto.c - the vsd request parser on arbitrary bytes, fed in
 * pieces the way a socket delivers them, with small limits so long-line
 * and oversized-block paths are reached; plus the client-side answer
 * framing through vs_proto_block / quote.  Invariants checked: the
 * parser never holds much more than max_line unparsed, every command has
 * argc >= 1 and a NULL-terminated argv, and a scope is a valid name. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

#define MAX_LINE	128
#define MAX_DATA	512

static int
is_cmd(const char *w)
{
	return strcmp(w, "aliases_set") == 0 || strcmp(w, "vs_info") == 0;
}

static void
check(int cond)
{
	if (!cond)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vs_proto p;
	struct vs_buf out = VS_BUF_INIT;
	size_t off = 0, step;

	vs_proto_init(&p, MAX_LINE, MAX_DATA, is_cmd);
	/* the first byte picks the chunk size: 1..64 */
	step = size ? (size_t)(data[0] % 64) + 1 : 1;
	while (off < size) {
		size_t n = size - off < step ? size - off : step;
		enum vs_proto_ev ev;

		vs_proto_feed(&p, data + off, n);
		off += n;
		while ((ev = vs_proto_next(&p)) != VS_PROTO_NEED_MORE) {
			if (ev == VS_PROTO_CMD) {
				check(p.cmd.argc >= 1);
				check(p.cmd.argv[p.cmd.argc] == NULL);
				check(!p.cmd.scope[0] ||
				    vs_valid_name(p.cmd.scope));
				check(p.cmd.data.len <= MAX_DATA);
				vs_buf_reset(&out);
				vs_proto_block(&out, p.cmd.data.buf,
				    p.cmd.data.len, "%s", p.cmd.argv[0]);
				vs_proto_quote(&out, p.cmd.argv[0]);
			} else if (ev == VS_PROTO_ERROR) {
				check(p.err_code >= 400 && p.err_code < 600);
			}
		}
		check(vs_proto_pending(&p) <= MAX_LINE + step);
	}
	vs_buf_release(&out);
	vs_proto_release(&p);
	return 0;
}
