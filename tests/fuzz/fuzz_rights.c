/* fuzz_rights.c - the skeleton's rights list (state/skel/rights) on
 * arbitrary bytes: parse, and what parses formats and parses again to
 * the same list. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rights.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vs_rightlist rl = VS_RIGHTLIST_INIT, back = VS_RIGHTLIST_INIT;
	struct vs_err err = VS_ERR_INIT;
	struct vs_buf out = VS_BUF_INIT;
	size_t i;

	if (vs_rightlist_parse("fuzz", (const char *)data, size, &rl,
	    &err) == 0) {
		vs_rightlist_format(&rl, &out);
		if (vs_rightlist_parse("again", out.buf, out.len, &back,
		    &err) < 0 || back.n != rl.n)
			abort();
		for (i = 0; i < rl.n; i++)
			if (back.e[i].right != rl.e[i].right ||
			    strcmp(back.e[i].path, rl.e[i].path) != 0 ||
			    memcmp(back.e[i].sha256, rl.e[i].sha256,
			    VS_HASH_LEN) != 0)
				abort();
	}
	vs_rightlist_release(&rl);
	vs_rightlist_release(&back);
	vs_buf_release(&out);
	return 0;
}
