/* test_proto.c - the vsd line protocol: commands, groups, data blocks,
 * EOF, errors that leave the parser usable, bounded memory on hostile
 * input, answer framing and quoting round trips. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "xmem.h"

static int
is_cmd(const char *w)
{
	return strcmp(w, "aliases_set") == 0 || strcmp(w, "vs_info") == 0 ||
	    strcmp(w, "user_add") == 0;
}

static struct vs_proto p;

static int
setup(void **state)
{
	(void)state;
	vs_proto_init(&p, 128, 1024, is_cmd);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	vs_proto_release(&p);
	return 0;
}

static void
feed(const char *s)
{
	vs_proto_feed(&p, s, strlen(s));
}

static void
test_simple(void **state)
{
	(void)state;
	feed("vs_info web1\r\nuser_add web1 \"al ice\" pw\n");
	assert_int_equal(vs_proto_next(&p), VS_PROTO_CMD);
	assert_int_equal(p.cmd.argc, 2);
	assert_string_equal(p.cmd.argv[0], "vs_info");
	assert_string_equal(p.cmd.argv[1], "web1");
	assert_string_equal(p.cmd.scope, "");
	assert_int_equal(p.cmd.has_data, 0);
	assert_int_equal(vs_proto_next(&p), VS_PROTO_CMD);
	assert_int_equal(p.cmd.argc, 4);
	assert_string_equal(p.cmd.argv[2], "al ice");
	assert_null(p.cmd.argv[4]);
	assert_int_equal(vs_proto_next(&p), VS_PROTO_NEED_MORE);
}

static void
test_partial_lines(void **state)
{
	const char *s = "vs_info web1\nEOF\n";
	size_t i;

	(void)state;
	/* one byte at a time, as a slow client sends it */
	for (i = 0; i < 12; i++) {
		vs_proto_feed(&p, s + i, 1);
		assert_int_equal(vs_proto_next(&p), VS_PROTO_NEED_MORE);
	}
	vs_proto_feed(&p, s + 12, 1);
	assert_int_equal(vs_proto_next(&p), VS_PROTO_CMD);
	vs_proto_feed(&p, s + 13, strlen(s) - 13);
	assert_int_equal(vs_proto_next(&p), VS_PROTO_EOF);
}

static void
test_groups(void **state)
{
	(void)state;
	feed("web1 {\n vs_info\n user_add bob\n}\nvs_info x\n"
	    "db { vs_info }\n");
	assert_int_equal(vs_proto_next(&p), VS_PROTO_CMD);
	assert_string_equal(p.cmd.scope, "web1");
	assert_int_equal(p.cmd.argc, 1);
	assert_int_equal(vs_proto_next(&p), VS_PROTO_CMD);
	assert_string_equal(p.cmd.scope, "web1");
	assert_string_equal(p.cmd.argv[1], "bob");
	assert_int_equal(vs_proto_next(&p), VS_PROTO_CMD);
	assert_string_equal(p.cmd.scope, "");
	assert_int_equal(vs_proto_next(&p), VS_PROTO_CMD);
	assert_string_equal(p.cmd.scope, "db");
	assert_int_equal(p.cmd.argc, 1);
	assert_string_equal(p.cmd.argv[0], "vs_info");
	assert_null(p.cmd.argv[1]);
	assert_int_equal(vs_proto_next(&p), VS_PROTO_NEED_MORE);
}

static void
test_data_block(void **state)
{
	(void)state;
	feed("aliases_set web1 {\npostmaster: root\n\\}x\n\\\\y\n}\n"
	    "web1 {\naliases_set {\na: b\n}\n}\n");
	assert_int_equal(vs_proto_next(&p), VS_PROTO_CMD);
	assert_int_equal(p.cmd.has_data, 1);
	assert_int_equal(p.cmd.argc, 2);
	assert_string_equal(p.cmd.data.buf, "postmaster: root\n}x\n\\y\n");
	assert_int_equal(vs_proto_next(&p), VS_PROTO_CMD);
	assert_string_equal(p.cmd.scope, "web1");
	assert_int_equal(p.cmd.argc, 1);
	assert_string_equal(p.cmd.data.buf, "a: b\n");
	assert_int_equal(vs_proto_next(&p), VS_PROTO_NEED_MORE);
	assert_string_equal(p.scope, "");
}

static void
expect_error(int code)
{
	assert_int_equal(vs_proto_next(&p), VS_PROTO_ERROR);
	assert_int_equal(p.err_code, code);
}

static void
test_errors_recover(void **state)
{
	(void)state;
	feed("}\n"			/* stray close */
	    "a {\nb {\n}\n"		/* nested group */
	    "x { vs_info\n"		/* unbalanced one-liner */
	    "vs_info \"open\n"		/* unterminated quote */
	    "vs_info a\x01\n"		/* control byte */
	    "BAD!NAME {\n"		/* invalid group name */
	    "vs_info { x\n"		/* brace inside words */
	    "vs_info ok\n");
	expect_error(VS_PROTO_E_SYNTAX);
	expect_error(VS_PROTO_E_SYNTAX);	/* b { inside a { */
	expect_error(VS_PROTO_E_SYNTAX);
	expect_error(VS_PROTO_E_SYNTAX);
	expect_error(VS_PROTO_E_SYNTAX);
	expect_error(VS_PROTO_E_SYNTAX);
	expect_error(VS_PROTO_E_SYNTAX);
	assert_int_equal(vs_proto_next(&p), VS_PROTO_CMD);
	assert_string_equal(p.cmd.argv[1], "ok");
}

static void
test_long_line_bounded(void **state)
{
	char chunk[100];
	int i;

	(void)state;
	memset(chunk, 'A', sizeof(chunk));
	/* 1 MB without a newline: one error, buffer stays small */
	vs_proto_feed(&p, chunk, sizeof(chunk));
	assert_int_equal(vs_proto_next(&p), VS_PROTO_NEED_MORE);
	vs_proto_feed(&p, chunk, sizeof(chunk));
	expect_error(VS_PROTO_E_TOOBIG);
	for (i = 0; i < 10000; i++) {
		vs_proto_feed(&p, chunk, sizeof(chunk));
		assert_int_equal(vs_proto_next(&p), VS_PROTO_NEED_MORE);
		assert_true(p.in.alloc < 4096);
	}
	feed("tail\nvs_info after\n");
	assert_int_equal(vs_proto_next(&p), VS_PROTO_CMD);
	assert_string_equal(p.cmd.argv[1], "after");
}

static void
test_long_line_with_newline(void **state)
{
	char big[300];

	(void)state;
	memset(big, 'B', sizeof(big));
	big[sizeof(big) - 1] = '\n';
	vs_proto_feed(&p, big, sizeof(big));
	feed("vs_info x\n");
	expect_error(VS_PROTO_E_TOOBIG);
	assert_int_equal(vs_proto_next(&p), VS_PROTO_CMD);
}

static void
test_data_too_big(void **state)
{
	int i;

	(void)state;
	feed("aliases_set w {\n");
	for (i = 0; i < 100; i++)
		feed("0123456789012345678901234567890123456789\n");
	expect_error(VS_PROTO_E_TOOBIG);
	feed("}\nvs_info next\n");
	assert_int_equal(vs_proto_next(&p), VS_PROTO_CMD);
	assert_string_equal(p.cmd.argv[0], "vs_info");
	assert_true(p.cmd.data.alloc < 4096);
}

static void
test_too_many_words(void **state)
{
	struct vs_buf b = VS_BUF_INIT;
	int i;

	(void)state;
	for (i = 0; i < VS_PROTO_MAX_WORDS + 1; i++)
		vs_buf_adds(&b, "w ");
	vs_buf_adds(&b, "\n");
	vs_proto_feed(&p, b.buf, b.len);
	expect_error(VS_PROTO_E_SYNTAX);
	vs_buf_release(&b);
}

static void
test_answers(void **state)
{
	struct vs_buf b = VS_BUF_INIT;

	(void)state;
	vs_proto_ok(&b, "fine\nsneaky");
	vs_proto_err(&b, 404, "no such server '%s'", "x\r");
	vs_proto_block(&b, "a\n}\n\\b\nlast", 11, "%d lines", 4);
	assert_string_equal(b.buf, "+OK fine?sneaky\n"
	    "-ERR 404 no such server 'x?'\n"
	    "+OK 4 lines {\na\n\\}\n\\\\b\nlast\n}\n");
	vs_buf_release(&b);
}

static void
test_quote_roundtrip(void **state)
{
	static const char *words[] = { "plain", "two words", "q\"uote",
	    "back\\slash", "#hash", "tab\there", "", "new\nline" };
	struct vs_buf b = VS_BUF_INIT;
	struct vs_words w = VS_WORDS_INIT;
	struct vs_err err = VS_ERR_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(words); i++) {
		vs_buf_addch(&b, ' ');
		vs_proto_quote(&b, words[i]);
	}
	assert_int_equal(vs_words_split(&w, b.buf, b.len, 64, &err), 0);
	assert_int_equal(w.argc, (int)ARRAY_SIZE(words));
	for (i = 0; i < ARRAY_SIZE(words); i++)
		assert_string_equal(w.argv[i], words[i]);
	vs_words_release(&w);
	vs_buf_release(&b);
}

static void
test_errno_codes(void **state)
{
	(void)state;
	assert_int_equal(vs_proto_errno_code(ENOENT), 404);
	assert_int_equal(vs_proto_errno_code(EEXIST), 409);
	assert_int_equal(vs_proto_errno_code(EPERM), 403);
	assert_int_equal(vs_proto_errno_code(EINVAL), 400);
	assert_int_equal(vs_proto_errno_code(EIO), 500);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_simple, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partial_lines, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_groups, setup, teardown),
		cmocka_unit_test_setup_teardown(test_data_block, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_errors_recover, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_long_line_bounded, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_long_line_with_newline,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_data_too_big, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_too_many_words, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_answers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quote_roundtrip, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_errno_codes, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
