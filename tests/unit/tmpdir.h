/* tmpdir.h - the private temporary directory of a unit test program.
 *
 * Included by a test_*.c after <cmocka.h>: its setup makes
 * /tmp/<test>.XXXXXX, its teardown removes it with whatever a test left
 * in it (directories a test made unreadable included), and tests that
 * need a configuration get the defaults with state_root moved there. */
#ifndef VS_TEST_TMPDIR_H
#define VS_TEST_TMPDIR_H

#include <stdio.h>
#include <stdlib.h>

#include "conf.h"
#include "xmem.h"

static char tmpdir[64];

static inline void
tmpdir_make(const char *test)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/%s.XXXXXX", test);
	assert_non_null(mkdtemp(tmpdir));
}

static inline void
tmpdir_remove(void)
{
	char *cmd = xasprintf("chmod -R u+rwx '%s' && rm -rf '%s'", tmpdir,
	    tmpdir);

	assert_int_equal(system(cmd), 0);
	free(cmd);
}

/* vsd.conf defaults with state_root = tmpdir. */
static inline void
tmpdir_conf(struct vs_conf *conf)
{
	vs_conf_defaults(conf);
	free(conf->state_root);
	conf->state_root = xstrdup(tmpdir);
}

#endif
