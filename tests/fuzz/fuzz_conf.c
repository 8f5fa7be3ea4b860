/* fuzz_conf.c - vsd.conf text and the word splitter on arbitrary bytes. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "conf.h"

static int
stmt(void *ctx, struct vs_conf_pos *pos, int argc, char **argv)
{
	(void)ctx;
	(void)pos;
	(void)argv;
	return argc > 0 ? 0 : -1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vs_buf errs = VS_BUF_INIT;
	struct vs_words w = VS_WORDS_INIT;
	struct vs_err err = VS_ERR_INIT;

	vs_conf_parse_mem("fuzz", (const char *)data, size, stmt, NULL, &errs);
	vs_words_split(&w, (const char *)data, size, 64, &err);
	vs_words_release(&w);
	vs_buf_release(&errs);
	return 0;
}
