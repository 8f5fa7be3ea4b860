/* cmd_trial.c - run the trial, print the report, hand over a failed VS. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "report.h"
#include "trial.h"
#include "vstry.h"
#include "xmem.h"
#include "banned.h"

/* Write the JUnit file atomically: temporary name, then rename. */
static int
write_junit(const char *path, const struct vs_report *rep)
{
	struct vs_buf b = VS_BUF_INIT;
	_cleanup_free_ char *tmp = xasprintf("%s.tmp%d", path, (int)getpid());
	int fd, rc = -1;

	vs_report_junit(rep, &b);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd >= 0) {
		rc = vs_write_all(fd, b.buf, b.len);
		if (close(fd) < 0)
			rc = -1;
		if (rc == 0)
			rc = rename(tmp, path);
		if (rc < 0)
			unlink(tmp);
	}
	if (rc < 0)
		fprintf(stderr, "vstry: cannot write '%s': %s\n", path,
		    strerror(errno));
	vs_buf_release(&b);
	return rc;
}

/* bevs NAME: beside vstry, else on PATH. */
static void
shell_into(const char *vs)
{
	char self[4096], *slash;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 12);
	const char *bevs = "bevs";
	pid_t pid;
	int st;

	if (n > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/'))) {
			snprintf(slash + 1, sizeof(self) - (size_t)(slash + 1 -
			    self), "bevs");
			if (access(self, X_OK) == 0)
				bevs = self;
		}
	}
	fprintf(stderr, "vstry: the trial failed; opening a shell in VS %s "
	    "(exit it to discard the VS)\n", vs);
	pid = fork();
	if (pid == 0) {
		execlp(bevs, "bevs", vs, (char *)NULL);
		fprintf(stderr, "vstry: cannot run bevs: %s\n",
		    strerror(errno));
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, &st, 0);
}

int
cmd_trial(struct vstry *v)
{
	struct vs_trial_opts o;
	struct vs_report rep;
	struct vs_err err = VS_ERR_INIT;
	struct vs_buf out = VS_BUF_INIT;
	int rc;

	memset(&o, 0, sizeof(o));
	o.recipe = &v->recipe;
	o.packages = v->packages;
	o.keep = v->keep;
	o.keep_on_fail = v->shell_on_fail;
	o.nodeps = v->nodeps;
	vs_report_init(&rep, v->recipe.name);
	if (v->progress) {
		rep.progress_fd = 2;
		fprintf(stderr, "vstry: trying %s\n", v->packages[0]);
	}
	vs_trial_run(&v->conf, &o, &rep, &err);
	rc = vs_report_verdict(&rep);
	if (v->json)
		vs_report_json(&rep, &out);
	else if (v->tap)
		vs_report_tap(&rep, &out);
	else
		vs_report_human(&rep, &out, isatty(1));
	if (vs_write_all(1, out.buf, out.len) < 0 && rc == 0)
		rc = EX_ERROR;
	if (v->junit && write_junit(v->junit, &rep) < 0 && rc == 0)
		rc = EX_ERROR;
	if (rep.kept && rep.vs && v->shell_on_fail) {
		shell_into(rep.vs);
		if (vs_trial_discard(&v->conf, rep.vs, &err) < 0)
			fprintf(stderr, "vstry: %s (the next reconcile removes "
			    "it)\n", err.msg);
	} else if (rep.kept && rep.vs)
		fprintf(stderr, "vstry: VS %s kept; remove it with "
		    "'vsdadm delete %s' after 'vsboot --stop %s'\n", rep.vs,
		    rep.vs, rep.vs);
	vs_buf_release(&out);
	vs_report_release(&rep);
	return rc;
}
