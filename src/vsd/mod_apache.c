/* mod_apache.c - the protocol's mod_apache: the names a VS's web service
 * answers to and the port redirects vsredirect serves for it.
 *
 * Kept at state_root/state/apache/NAME in the config language, read by
 * vsredirect (docs/protocol.md, "mod_apache"):
 *
 *	server_name www.example.com
 *	redirect 80 to 8080
 *
 * A VS without the file has its FQDN as only name and vsd.conf's
 * redirects.  The file is replaced atomically; vsredirect may reload it
 * at any time (SIGHUP or its own polling).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "proto.h"
#include "vsd.h"
#include "xmem.h"
#include "banned.h"

#define MAX_NAMES	64
#define MAX_REDIRS	32

struct web {
	char *names[MAX_NAMES];
	int n_names;
	struct vs_redirect redirs[MAX_REDIRS];
	int n_redirs;
};

static int
web_stmt(void *ctx, struct vs_conf_pos *pos, int argc, char **argv)
{
	struct web *w = ctx;
	long long a, b;

	if (argc == 2 && strcmp(argv[0], "server_name") == 0 &&
	    vs_valid_fqdn(argv[1]) && w->n_names < MAX_NAMES) {
		w->names[w->n_names++] = xstrdup(argv[1]);
		return 0;
	}
	if (argc == 4 && strcmp(argv[0], "redirect") == 0 &&
	    strcmp(argv[2], "to") == 0 &&
	    vs_conf_number(argv[1], 1, 1023, 0, &a) == 0 &&
	    vs_conf_number(argv[3], 1024, 65535, 0, &b) == 0 &&
	    w->n_redirs < MAX_REDIRS) {
		w->redirs[w->n_redirs++] = (struct vs_redirect){ (int)a,
		    (int)b };
		return 0;
	}
	return vs_conf_error(pos, "bad line");
}

static void
web_release(struct web *w)
{
	int i;

	for (i = 0; i < w->n_names; i++)
		free(w->names[i]);
	memset(w, 0, sizeof(*w));
}

static int
web_load(const struct vs_conf *conf, const struct vs_rec *rec, struct web *w)
{
	char *path = xasprintf("%s/state/apache/%s", conf->state_root,
	    rec->name);
	struct vs_buf errs = VS_BUF_INIT;
	size_t i;
	int rc = 0;

	memset(w, 0, sizeof(*w));
	if (access(path, F_OK) == 0)
		rc = vs_conf_parse_file(path, web_stmt, w, &errs);
	else if (errno == ENOENT) {
		w->names[w->n_names++] = xstrdup(rec->fqdn);
		for (i = 0; i < conf->n_redirects && i < MAX_REDIRS; i++)
			w->redirs[w->n_redirs++] = conf->redirects[i];
	} else
		rc = -1;
	free(path);
	vs_buf_release(&errs);
	return rc;
}

static void
web_format(const struct web *w, struct vs_buf *b)
{
	int i;

	for (i = 0; i < w->n_names; i++)
		vs_buf_addf(b, "server_name %s\n", w->names[i]);
	for (i = 0; i < w->n_redirs; i++)
		vs_buf_addf(b, "redirect %d to %d\n", w->redirs[i].port,
		    w->redirs[i].target);
}

static int
web_save(const struct vs_conf *conf, const char *vs, const struct web *w)
{
	struct vs_buf b = VS_BUF_INIT;
	char *dir = xasprintf("%s/state/apache", conf->state_root);
	int dfd, rc = -1;

	web_format(w, &b);
	if ((mkdir(dir, 0755) == 0 || errno == EEXIST) &&
	    (dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		rc = vs_write_file_at(dfd, vs, b.buf, b.len, 0, 0, 0644);
		close(dfd);
	}
	free(dir);
	vs_buf_release(&b);
	return rc;
}

void
mod_apache_get(struct vsd_req *r)
{
	struct vs_buf b = VS_BUF_INIT;
	struct vs_rec rec;
	struct web w;

	if (vsd_load_vs(r, &rec) < 0)
		return;
	if (web_load(r->conf, &rec, &w) < 0)
		vsd_err_answer(r, VS_PROTO_E_INTERNAL, "cannot read the web "
		    "settings of '%s'", r->vs);
	else {
		web_format(&w, &b);
		vs_proto_block(r->out, b.buf, b.len, "web service of %s",
		    r->vs);
	}
	vs_buf_release(&b);
	web_release(&w);
}

static void
finish(struct vsd_req *r, struct web *w, const char *what)
{
	if (web_save(r->conf, r->vs, w) < 0)
		vsd_err_answer(r, VS_PROTO_E_INTERNAL, "cannot save the web "
		    "settings of '%s': %s", r->vs, strerror(errno));
	else
		vsd_ok_answer(r, "%s", what);
	web_release(w);
}

void
mod_apache_name(struct vsd_req *r)
{
	const char *op = r->argv[0], *name = r->argv[1];
	struct vs_rec rec;
	struct web w;
	int i;

	if (strcmp(op, "add") != 0 && strcmp(op, "del") != 0) {
		vsd_err_answer(r, VS_PROTO_E_SYNTAX, "usage: apache_name NAME "
		    "add|del SERVERNAME");
		return;
	}
	if (!vs_valid_fqdn(name)) {
		vsd_err_answer(r, VS_PROTO_E_SYNTAX, "invalid server name "
		    "'%.64s'", name);
		return;
	}
	if (vsd_load_vs(r, &rec) < 0)
		return;
	if (web_load(r->conf, &rec, &w) < 0) {
		vsd_err_answer(r, VS_PROTO_E_INTERNAL, "cannot read the web "
		    "settings of '%s'", r->vs);
		web_release(&w);
		return;
	}
	for (i = 0; i < w.n_names; i++)
		if (strcasecmp(w.names[i], name) == 0)
			break;
	if (op[0] == 'a') {
		if (i < w.n_names) {
			vsd_err_answer(r, VS_PROTO_E_CONFLICT, "'%s' already "
			    "names %s", name, r->vs);
			web_release(&w);
			return;
		}
		if (w.n_names >= MAX_NAMES) {
			vsd_err_answer(r, VS_PROTO_E_LIMIT, "at most %d names",
			    MAX_NAMES);
			web_release(&w);
			return;
		}
		w.names[w.n_names++] = xstrdup(name);
	} else {
		if (i == w.n_names) {
			vsd_err_answer(r, VS_PROTO_E_NOTFOUND, "'%s' does not "
			    "name %s", name, r->vs);
			web_release(&w);
			return;
		}
		free(w.names[i]);
		w.names[i] = w.names[--w.n_names];
	}
	finish(r, &w, op[0] == 'a' ? "server name added" :
	    "server name removed");
}

void
mod_apache_redirect(struct vsd_req *r)
{
	long long port, target = 0;
	struct vs_rec rec;
	struct web w;
	int i, del = r->argc == 2 && strcmp(r->argv[1], "del") == 0;

	if (vs_conf_number(r->argv[0], 1, 1023, 0, &port) < 0 ||
	    (!del && (r->argc != 2 || vs_conf_number(r->argv[1], 1024, 65535,
	    0, &target) < 0))) {
		vsd_err_answer(r, VS_PROTO_E_SYNTAX, "usage: apache_redirect "
		    "NAME PORT(1-1023) TARGET(1024-65535) | PORT del");
		return;
	}
	if (vsd_load_vs(r, &rec) < 0)
		return;
	if (web_load(r->conf, &rec, &w) < 0) {
		vsd_err_answer(r, VS_PROTO_E_INTERNAL, "cannot read the web "
		    "settings of '%s'", r->vs);
		web_release(&w);
		return;
	}
	for (i = 0; i < w.n_redirs; i++)
		if (w.redirs[i].port == port)
			break;
	if (del) {
		if (i == w.n_redirs) {
			vsd_err_answer(r, VS_PROTO_E_NOTFOUND, "no redirect of "
			    "port %lld", port);
			web_release(&w);
			return;
		}
		w.redirs[i] = w.redirs[--w.n_redirs];
	} else {
		if (i == w.n_redirs && w.n_redirs >= MAX_REDIRS) {
			vsd_err_answer(r, VS_PROTO_E_LIMIT, "at most %d "
			    "redirects", MAX_REDIRS);
			web_release(&w);
			return;
		}
		w.redirs[i] = (struct vs_redirect){ (int)port, (int)target };
		if (i == w.n_redirs)
			w.n_redirs++;
	}
	finish(r, &w, del ? "redirect removed" : "redirect set");
}
