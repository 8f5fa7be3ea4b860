/* vstool.c - one command over the VS's vsd socket, for the in-VS tools. */
#include <stdio.h>
#include <string.h>

#include "vsdclient.h"
#include "vstool.h"
#include "banned.h"

int
vs_tool_run(const char *prog, int argc, char *const *argv)
{
	struct vs_client c = VS_CLIENT_INIT;
	struct vs_answer a = VS_ANSWER_INIT;
	struct vs_err err = VS_ERR_INIT;
	int rc;

	if (vs_client_connect_vs(&c, &err) < 0) {
		fprintf(stderr, "%s: %s\n", prog, err.msg);
		return vs_client_exit_code(NULL, err.errnum);
	}
	if (vs_client_cmd(&c, NULL, argc, argv, NULL, 0, &a, &err) < 0) {
		fprintf(stderr, "%s: %s\n", prog, err.msg);
		rc = vs_client_exit_code(NULL, err.errnum);
		goto out;
	}
	if (a.ok) {
		if (a.has_body)
			fputs(a.body.buf, stdout);
		else
			printf("%s\n", a.text.buf);
	} else
		fprintf(stderr, "%s: %s\n", prog, a.text.buf);
	rc = vs_client_exit_code(&a, 0);
	vs_client_bye(&c, NULL);
out:
	vs_answer_release(&a);
	vs_client_close(&c);
	return rc;
}
