/* test_report.c - trial reports: verdicts and hostile text in each format. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "xmem.h"

/* A file name and an output a hostile package could produce: escape
 * sequences, invalid UTF-8, XML and JSON metacharacters, a fake TAP line. */
static const char evil_name[] = "/etc/\033]0;pwned\007x\n<&\"'>\xff\xfe.conf";
static const char evil_out[] = "line1\n\033[2Jclear\nnot ok 99 - fake\r\n"
    "\xc0\xaf overlong \xed\xa0\x80 surrogate \xe2\x82\xac euro\n";

static void
fill(struct vs_report *r)
{
	size_t s, c;

	vs_report_init(r, "demo");
	r->vs = xstrdup("try-1");
	s = vs_report_step_begin(r, "install");
	vs_report_step_end(r, s, VS_ST_PASS, NULL);
	vs_report_step_output(r, s, evil_out, sizeof(evil_out) - 1, 0);
	vs_report_check(r, "install", VS_ST_PASS, 3, NULL);
	c = vs_report_check(r, "outside", VS_ST_FAIL, 0, "%d files", 1);
	vs_report_check_output(r, c, evil_out, sizeof(evil_out) - 1);
	vs_report_check(r, "users", VS_ST_INFO, 0, "1 added");
	vs_report_add(r, VS_RL_OUTSIDE, evil_name, "added");
	vs_report_add(r, VS_RL_USERS, "vsdmessy", "uid %d", 990);
}

/* No byte of s is a control character other than \n (and \t). */
static void
assert_no_controls(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
			fail_msg("control byte 0x%02x in output",
			    (unsigned char)*s);
}

/* Every byte sequence of s is valid UTF-8 (a crude decoder). */
static void
assert_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int n;

	while (*p) {
		n = *p < 0x80 ? 0 : (*p & 0xe0) == 0xc0 ? 1 :
		    (*p & 0xf0) == 0xe0 ? 2 : (*p & 0xf8) == 0xf0 ? 3 : -1;
		assert_true(n >= 0);
		if (*p == 0xc0 || *p == 0xc1)
			fail_msg("overlong sequence kept");
		if (*p == 0xed && p[1] >= 0xa0)
			fail_msg("surrogate kept");
		p++;
		while (n-- > 0) {
			assert_int_equal(*p & 0xc0, 0x80);
			p++;
		}
	}
}

static void
test_verdict(void **state)
{
	struct vs_report r;

	(void)state;
	vs_report_init(&r, "x");
	assert_int_equal(vs_report_verdict(&r), 0);
	vs_report_check(&r, "a", VS_ST_PASS, 0, NULL);
	vs_report_check(&r, "b", VS_ST_INFO, 0, NULL);
	vs_report_check(&r, "c", VS_ST_SKIP, 0, NULL);
	assert_int_equal(vs_report_verdict(&r), 0);
	vs_report_check(&r, "d", VS_ST_FAIL, 0, NULL);
	assert_int_equal(vs_report_verdict(&r), 1);
	vs_report_check(&r, "e", VS_ST_ERROR, 0, NULL);
	assert_int_equal(vs_report_verdict(&r), 3);
	vs_report_release(&r);
	vs_report_init(&r, "x");
	r.error = xstrdup("no skeleton");
	assert_int_equal(vs_report_verdict(&r), 3);
	vs_report_release(&r);
}

static void
test_human(void **state)
{
	struct vs_report r;
	struct vs_buf b = VS_BUF_INIT;

	(void)state;
	fill(&r);
	vs_report_human(&r, &b, 0);
	assert_no_controls(b.buf);
	assert_non_null(strstr(b.buf, "\\x1b]0;pwned\\x07x\\x0a"));
	assert_non_null(strstr(b.buf, "\\xff\\xfe.conf"));
	assert_non_null(strstr(b.buf, "      | \\x1b[2Jclear"));
	assert_non_null(strstr(b.buf, "\xe2\x82\xac euro"));
	assert_non_null(strstr(b.buf, "Verdict: FAIL (1 of 2 checks failed)"));
	assert_non_null(strstr(b.buf, "Users added (1):\n  vsdmessy  (uid 990)"));
	vs_buf_release(&b);
	vs_report_release(&r);
}

static void
test_json(void **state)
{
	struct vs_report r;
	struct vs_buf b = VS_BUF_INIT;

	(void)state;
	fill(&r);
	vs_report_json(&r, &b);
	assert_no_controls(b.buf);
	assert_utf8(b.buf);
	assert_non_null(strstr(b.buf, "\"verdict\":\"fail\",\"exit\":1"));
	assert_non_null(strstr(b.buf, "\\u001b]0;pwned\\u0007x\\n<&\\\"'>"
	    "\xef\xbf\xbd\xef\xbf\xbd.conf"));
	assert_non_null(strstr(b.buf, "\"users_added\":[{\"name\":"
	    "\"vsdmessy\",\"detail\":\"uid 990\"}]"));
	assert_non_null(strstr(b.buf, "\"error\":null"));
	vs_buf_release(&b);
	vs_report_release(&r);
}

static void
test_junit_tap(void **state)
{
	struct vs_report r;
	struct vs_buf b = VS_BUF_INIT;
	const char *p;

	(void)state;
	fill(&r);
	vs_report_junit(&r, &b);
	assert_utf8(b.buf);
	for (p = b.buf; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\n' && *p != '\r' &&
		    *p != '\t')
			fail_msg("XML control byte 0x%02x", (unsigned char)*p);
	assert_non_null(strstr(b.buf, "tests=\"3\" failures=\"1\" errors=\"0\""));
	assert_non_null(strstr(b.buf, "<failure message=\"1 files\">"));
	vs_buf_reset(&b);
	vs_report_tap(&r, &b);
	assert_no_controls(b.buf);
	assert_non_null(strstr(b.buf, "ok 1 - install\n"));
	assert_non_null(strstr(b.buf, "not ok 2 - outside\n# 1 files\n"));
	assert_non_null(strstr(b.buf, "\n1..3\n"));
	/* a hostile output never forges a TAP line: it is not printed */
	assert_null(strstr(b.buf, "not ok 99"));
	vs_buf_release(&b);
	vs_report_release(&r);
}

static void
test_caps(void **state)
{
	struct vs_report r;
	struct vs_buf b = VS_BUF_INIT;
	char *big = xmalloc(200000);
	size_t s;
	int i;

	(void)state;
	vs_report_init(&r, "caps");
	memset(big, 'a', 199999);
	big[199999] = '\0';
	s = vs_report_step_begin(&r, "install");
	vs_report_step_end(&r, s, VS_ST_PASS, NULL);
	vs_report_step_output(&r, s, big, 199999, 0);
	assert_true(strlen(r.steps[0].output) < 70000);
	assert_non_null(strstr(r.steps[0].output, "more bytes cut"));
	for (i = 0; i < 10005; i++)
		vs_report_add(&r, VS_RL_LEFTOVERS, "/x", NULL);
	assert_int_equal(r.lists[VS_RL_LEFTOVERS].n, 10000);
	assert_int_equal(r.lists[VS_RL_LEFTOVERS].dropped, 5);
	vs_report_human(&r, &b, 0);
	assert_non_null(strstr(b.buf, "and 9955 more"));
	free(big);
	vs_buf_release(&b);
	vs_report_release(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verdict),
		cmocka_unit_test(test_human),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_junit_tap),
		cmocka_unit_test(test_caps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
