/* fuzz_recipe.c - vstry recipes on arbitrary bytes, and the report of a
 * parsed recipe rendered in every format (hostile names and outputs). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recipe.h"
#include "report.h"
#include "xmem.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vs_buf errs = VS_BUF_INIT, out = VS_BUF_INIT;
	struct vs_recipe r;
	struct vs_report rep;
	char *text = xstrndup((const char *)data, size);
	size_t i, s;

	if (vs_recipe_parse_mem(&r, "fuzz", (const char *)data, size,
	    &errs) == 0) {
		for (i = 0; i < r.n_allow; i++)
			vs_recipe_allowed(&r, r.allow[i]);
		vs_recipe_release(&r);
	}
	/* the same bytes as a title, a path and a scriptlet's output */
	vs_report_init(&rep, text);
	s = vs_report_step_begin(&rep, text);
	vs_report_step_end(&rep, s, VS_ST_FAIL, "%s", text);
	vs_report_step_output(&rep, s, (const char *)data, size, 1);
	s = vs_report_check(&rep, text, VS_ST_FAIL, 0, "%s", text);
	vs_report_check_output(&rep, s, (const char *)data, size);
	vs_report_add(&rep, VS_RL_OUTSIDE, text, "%s", text);
	vs_report_human(&rep, &out, 1);
	vs_report_json(&rep, &out);
	vs_report_junit(&rep, &out);
	vs_report_tap(&rep, &out);
	vs_report_release(&rep);
	vs_buf_release(&out);
	vs_buf_release(&errs);
	free(text);
	return 0;
}
