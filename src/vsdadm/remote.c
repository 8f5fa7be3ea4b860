/* remote.c - vsdadm's transport through vsd: HOST "localhost" is the unix
 * socket state_root/run/vsd.sock (the kernel tells vsd who we are), any
 * other host is TCP port 1725 (the first `listen` port of vsd.conf)
 * authenticated with the host secret (secret_file, which must be ours or
 * root's and private).  Also the raw mode and the generic passthrough of
 * protocol commands. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "auth.h"
#include "proto.h"
#include "vsdadm.h"
#include "vsdclient.h"
#include "xmem.h"
#include "banned.h"

static struct vs_client cl = VS_CLIENT_INIT;
static const char *host = "localhost";

void
vsdadm_set_host(const char *h)
{
	host = h;
}

static int
tcp_port(const struct vs_conf *conf)
{
	return conf->n_listen ? conf->listen[0].port : 1725;
}

/* Connect once per run. */
static int
conn(const struct vs_conf *conf, struct vs_err *err)
{
	struct vs_auth_secret s;
	char *sock;
	int rc;

	if (cl.fd >= 0)
		return 0;
	if (strcmp(host, "localhost") == 0) {
		sock = vs_conf_dir(conf, "run/vsd.sock");
		rc = vs_client_connect_unix(&cl, sock, err);
		free(sock);
		if (rc < 0 && (errno == ENOENT || errno == ECONNREFUSED))
			vs_err_prefix(err, "vsd is not running (vsdadm --local "
			    "acts on the state root without it)");
		if (rc < 0)
			errno = err->errnum = EAGAIN;
		return rc;
	}
	if (vs_auth_secret_load(conf->secret_file, (uid_t)-1, &s, err) < 0)
		return -1;
	if (vs_client_connect_tcp(&cl, host, tcp_port(conf), err) < 0) {
		vs_auth_secret_clear(&s);
		errno = err->errnum = EAGAIN;
		return -1;
	}
	rc = vs_auth_client(&cl, &s, err);
	vs_auth_secret_clear(&s);
	if (rc < 0)
		vs_client_close(&cl);
	return rc;
}

/* errno for an -ERR code, so vsdadm_fail picks the exit code. */
static int
code_errno(int code)
{
	switch (code) {
	case VS_PROTO_E_NOTFOUND: return ENOENT;
	case VS_PROTO_E_CONFLICT: return EEXIST;
	case VS_PROTO_E_FORBIDDEN: case VS_PROTO_E_AUTH: return EACCES;
	case VS_PROTO_E_SYNTAX: return EINVAL;
	case VS_PROTO_E_UNAVAIL: case VS_PROTO_E_LIMIT: return EAGAIN;
	default: return EIO;
	}
}

/* Send a command; -1 with err = the -ERR text when vsd refused. */
static int
call(const struct vs_conf *conf, struct vs_answer *a, struct vs_err *err,
    int argc, char **argv)
{
	if (conn(conf, err) < 0)
		return -1;
	if (vs_client_cmd(&cl, NULL, argc, argv, NULL, 0, a, err) < 0) {
		if (!err->errnum || err->errnum == ECONNRESET)
			err->errnum = EAGAIN;
		errno = err->errnum;
		return -1;
	}
	if (!a->ok)
		return vs_err_set(err, code_errno(a->code), "%s", a->text.buf);
	return 0;
}

static int
remote_info(const struct vs_conf *conf, const char *name, struct vs_rec *rec,
    struct vs_root_usage *u, int *running, struct vs_err *err)
{
	struct vs_answer a = VS_ANSWER_INIT;
	struct vs_buf text = VS_BUF_INIT, errs = VS_BUF_INIT;
	char *argv[] = { "vs_info", (char *)name };
	char *qargv[] = { "quota_get", (char *)name };
	const char *l;
	size_t i = 0;
	int rc = -1;

	if (call(conf, &a, err, 2, argv) < 0)
		goto out;
	/* the record's own lines, then vsd's "running ..." ones */
	*running = 0;
	while (i < a.body.len) {
		const char *nl = memchr(a.body.buf + i, '\n', a.body.len - i);
		size_t len = nl ? (size_t)(nl - (a.body.buf + i)) :
		    a.body.len - i;

		l = a.body.buf + i;
		i += len + 1;
		if (len > 8 && strncmp(l, "running ", 8) == 0)
			*running = strncmp(l + 8, "yes", 3) == 0;
		else if (!(len > 9 && strncmp(l, "init_pid ", 9) == 0) &&
		    !(len > 8 && strncmp(l, "started ", 8) == 0)) {
			vs_buf_add(&text, l, len);
			vs_buf_addch(&text, '\n');
		}
	}
	if (vs_rec_parse("vsd", text.buf, text.len, rec, &errs) < 0) {
		vs_buf_rtrim(&errs);
		vs_err_set(err, EPROTO, "bad record from vsd: %s", errs.buf);
		goto out;
	}
	memset(u, 0, sizeof(*u));
	if (call(conf, &a, err, 2, qargv) < 0)
		goto out;
	for (i = 0; i < a.body.len;) {
		const char *nl = memchr(a.body.buf + i, '\n', a.body.len - i);
		unsigned long long v;
		char key[32];

		l = a.body.buf + i;
		i = nl ? (size_t)(nl - a.body.buf) + 1 : a.body.len;
		if (sscanf(l, "%31s %llu", key, &v) != 2)
			continue;
		if (strcmp(key, "used_bytes") == 0)
			u->private_bytes = v;
		else if (strcmp(key, "shared_files") == 0)
			u->shared = v;
		else if (strcmp(key, "own_files") == 0)
			u->own = v;
		else if (strcmp(key, "dirs") == 0)
			u->dirs = v;
		else if (strcmp(key, "symlinks") == 0)
			u->symlinks = v;
	}
	rc = 0;
out:
	vs_answer_release(&a);
	vs_buf_release(&text);
	vs_buf_release(&errs);
	return rc;
}

static int
remote_create(const struct vs_conf *conf, const struct vs_create_req *q,
    struct vs_rec *rec, struct vs_create_stats *st, struct vs_err *err)
{
	struct vs_answer a = VS_ANSWER_INIT;
	struct vs_root_usage u;
	char quota[32], number[32], nproc[32];
	char *argv[] = { "vs_create", (char *)q->name, (char *)q->ip,
	    (char *)q->fqdn, quota, number };
	char *pargv[] = { "quota_set", (char *)q->name, quota, nproc };
	unsigned long long linked = 0, copied = 0;
	const char *p;
	int running, rc = -1;

	if (q->disposable)
		return vs_err_set(err, EINVAL, "--disposable is for trials "
		    "run with --local");
	snprintf(quota, sizeof(quota), "%lld", q->quota_mb);
	snprintf(number, sizeof(number), "%lld", q->number);
	snprintf(nproc, sizeof(nproc), "%lld", q->nproc);
	if (call(conf, &a, err, 6, argv) < 0)
		goto out;
	memset(st, 0, sizeof(*st));
	if ((p = strchr(a.text.buf, '(')))
		sscanf(p, "(%llu linked, %llu copied, %lf s)", &linked, &copied,
		    &st->seconds);
	st->linked = linked;
	st->copied = copied;
	if (q->nproc && call(conf, &a, err, 4, pargv) < 0)
		goto out;
	rc = remote_info(conf, q->name, rec, &u, &running, err);
out:
	vs_answer_release(&a);
	return rc;
}

static int
remote_delete(const struct vs_conf *conf, const char *name, struct vs_err *err)
{
	struct vs_answer a = VS_ANSWER_INIT;
	char *argv[] = { "vs_delete", (char *)name };
	int rc = call(conf, &a, err, 2, argv);

	vs_answer_release(&a);
	return rc;
}

static int
remote_list(const struct vs_conf *conf, struct vs_rec **recs, size_t *n,
    struct vs_err *err)
{
	struct vs_answer a = VS_ANSWER_INIT;
	struct vs_root_usage u;
	char *argv[] = { "vs_list" };
	struct vs_rec *arr = NULL;
	size_t cnt = 0, alloc = 0, i = 0;
	int running;

	if (call(conf, &a, err, 1, argv) < 0) {
		vs_answer_release(&a);
		return -1;
	}
	while (i < a.body.len) {
		char name[VS_NAME_MAX + 1];
		const char *l = a.body.buf + i, *nl = memchr(l, '\n',
		    a.body.len - i);

		i = nl ? (size_t)(nl - a.body.buf) + 1 : a.body.len;
		if (sscanf(l, "%32s", name) != 1)
			continue;
		xgrow(&arr, sizeof(*arr), cnt + 1, &alloc);
		if (remote_info(conf, name, &arr[cnt], &u, &running, err) < 0) {
			if (errno == ENOENT)
				continue;	/* deleted meanwhile */
			free(arr);
			vs_answer_release(&a);
			return -1;
		}
		cnt++;
	}
	vs_answer_release(&a);
	*recs = arr;
	*n = cnt;
	return 0;
}

static int
remote_reconcile(const struct vs_conf *conf, struct vs_buf *rep,
    struct vs_err *err)
{
	struct vs_answer a = VS_ANSWER_INIT;
	char *argv[] = { "vs_reconcile" };
	int rc = call(conf, &a, err, 1, argv);

	if (rc == 0)
		vs_buf_add(rep, a.body.buf, a.body.len);
	vs_answer_release(&a);
	return rc < 0 ? -1 : (int)(rep->len > 0);
}

const struct vsdadm_ops vsdadm_remote = {
	.create = remote_create,
	.delete = remote_delete,
	.list = remote_list,
	.info = remote_info,
	.reconcile = remote_reconcile,
};

/* vsdadm raw [HOST]: protocol text from stdin to vsd, every answer to
 * stdout; exit 1 if any answer was -ERR. */
int
cmd_raw(struct vsdadm *a, int argc, char **argv)
{
	struct vs_err err = VS_ERR_INIT;
	struct vs_answer ans = VS_ANSWER_INIT;
	struct vs_buf in = VS_BUF_INIT;
	int failed = 0;

	if (argc > 2)
		return vsdadm_usage("raw takes: [host]");
	if (argc == 2)
		host = argv[1];
	if (conn(&a->conf, &err) < 0)
		return vsdadm_fail(&err);
	if (vs_buf_read_fd(&in, 0, 64 << 20) < 0) {
		fprintf(stderr, "vsdadm: cannot read stdin: %s\n",
		    strerror(errno));
		return EX_FAIL;
	}
	if (in.len && in.buf[in.len - 1] != '\n')
		vs_buf_addch(&in, '\n');
	if (!strstr(in.buf, "\nEOF\n") && strncmp(in.buf, "EOF\n", 4) != 0)
		vs_buf_adds(&in, "EOF\n");
	if (vs_client_write(&cl, in.buf, in.len, &err) < 0)
		return vsdadm_fail(&err);
	shutdown(cl.fd, SHUT_WR);
	/* answers until the sign-off or the end of the connection */
	while (vs_client_read(&cl, &ans, &err) == 0) {
		if (ans.ok) {
			printf("+OK %s%s\n", ans.text.buf,
			    ans.has_body ? " {" : "");
			if (ans.has_body) {
				struct vs_buf b = VS_BUF_INIT;

				vs_proto_stuff(&b, ans.body.buf, ans.body.len);
				printf("%s}\n", b.buf);
				vs_buf_release(&b);
			}
			if (strcmp(ans.text.buf, "Virtual server admin signing "
			    "off") == 0)
				break;
		} else {
			printf("-ERR %d %s\n", ans.code, ans.text.buf);
			failed = 1;
		}
	}
	fflush(stdout);
	vs_answer_release(&ans);
	vs_buf_release(&in);
	return failed ? EX_FAIL : EX_OK;
}

/* Any protocol command: `vsdadm [-H host] user_add web1 bob pw`.  The
 * answer's text (or data lines) on stdout; --json gives an object. */
int
cmd_proto(struct vsdadm *a, int argc, char **argv)
{
	struct vs_err err = VS_ERR_INIT;
	struct vs_answer ans = VS_ANSWER_INIT;
	struct vs_buf b = VS_BUF_INIT;
	int rc;

	if (conn(&a->conf, &err) < 0)
		return vsdadm_fail(&err);
	if (vs_client_cmd(&cl, NULL, argc, argv, NULL, 0, &ans, &err) < 0)
		return vsdadm_fail(&err);
	if (a->json) {
		size_t i = 0;

		vs_buf_addf(&b, "{\"ok\":%s,\"code\":%d,\"text\":",
		    ans.ok ? "true" : "false", ans.code);
		vs_buf_add_json_str(&b, ans.text.buf);
		vs_buf_adds(&b, ",\"lines\":[");
		while (i < ans.body.len) {
			char *l = ans.body.buf + i, *nl = memchr(l, '\n',
			    ans.body.len - i);

			*nl = '\0';	/* the body ends each line with \n */
			vs_buf_adds(&b, i ? "," : "");
			vs_buf_add_json_str(&b, l);
			i += strlen(l) + 1;
		}
		vs_buf_adds(&b, "]}");
		puts(b.buf);
	} else if (ans.ok && ans.has_body)
		fputs(ans.body.buf, stdout);
	else if (ans.ok)
		printf("%s\n", ans.text.buf);
	else
		fprintf(stderr, "vsdadm: %s\n", ans.text.buf);
	rc = vs_client_exit_code(&ans, 0);
	vs_buf_release(&b);
	vs_answer_release(&ans);
	return rc;
}
