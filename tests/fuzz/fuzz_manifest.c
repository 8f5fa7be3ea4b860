/* fuzz_manifest.c - the manifest parser on arbitrary bytes: whatever it
 * accepts must serialise back to the same text (sorted, escaped). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vs_manifest m = VS_MANIFEST_INIT, again = VS_MANIFEST_INIT;
	struct vs_buf out = VS_BUF_INIT, out2 = VS_BUF_INIT;
	struct vs_err err = VS_ERR_INIT;
	size_t i;

	if (vs_manifest_parse("fuzz", (const char *)data, size, &m, &err) < 0)
		return 0;
	for (i = 0; i < m.n; i++)
		if (vs_manifest_find(&m, m.e[i].path) != &m.e[i])
			abort();
	vs_manifest_format(&m, &out);
	if (vs_manifest_parse("again", out.buf, out.len, &again, &err) < 0)
		abort();
	vs_manifest_format(&again, &out2);
	if (out.len != out2.len || memcmp(out.buf, out2.buf, out.len) != 0)
		abort();
	vs_manifest_release(&m);
	vs_manifest_release(&again);
	vs_buf_release(&out);
	vs_buf_release(&out2);
	return 0;
}
