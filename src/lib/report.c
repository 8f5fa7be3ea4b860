/* report.c - a trial's report: collection, and human/JSON/JUnit/TAP text.
 *
 * Everything from inside the VS is hostile text: file names with newlines
 * or escape sequences, scriptlet output with invalid UTF-8.  Each renderer
 * makes it safe for its medium (see report.h).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "report.h"
#include "xmem.h"

#define REPORT_MAX_ITEMS	10000
#define REPORT_MAX_OUTPUT	(64 * 1024)
#define HUMAN_MAX_ITEMS		50	/* per list on a terminal */

static const struct {
	const char *key;	/* JSON key */
	const char *title;	/* human heading */
} list_names[VS_RL_COUNT] = {
	[VS_RL_PACKAGES] = { "packages", "Packages" },
	[VS_RL_MISSING_DEPS] = { "missing_dependencies",
	    "Missing dependencies" },
	[VS_RL_PKG_FILES] = { "package_files", "Files of the package" },
	[VS_RL_OUTSIDE] = { "outside_files",
	    "Files changed outside the package's list" },
	[VS_RL_LEFTOVERS] = { "left_after_removal", "Left after removal" },
	[VS_RL_USERS] = { "users_added", "Users added" },
	[VS_RL_GROUPS] = { "groups_added", "Groups added" },
	[VS_RL_SETID] = { "setid_files", "Set-id files" },
	[VS_RL_WORLD_WRITABLE] = { "world_writable",
	    "World-writable files" },
	[VS_RL_PROCS_INSTALLED] = { "processes_after_install",
	    "Processes running after install" },
	[VS_RL_PROCS_REMOVED] = { "processes_after_removal",
	    "Processes running after removal" },
	[VS_RL_PORTS] = { "ports_listening", "Ports listening" },
};

const char *
vs_report_list_key(enum vs_report_list_kind k)
{
	return (unsigned)k < VS_RL_COUNT ? list_names[k].key : "?";
}

const char *
vs_status_name(enum vs_status st)
{
	switch (st) {
	case VS_ST_PASS: return "pass";
	case VS_ST_FAIL: return "fail";
	case VS_ST_INFO: return "info";
	case VS_ST_SKIP: return "skip";
	case VS_ST_ERROR: return "error";
	}
	return "?";
}

long long
vs_report_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
vs_report_init(struct vs_report *r, const char *title)
{
	memset(r, 0, sizeof(*r));
	r->title = xstrdup(title ? title : "trial");
	r->progress_fd = -1;
}

void
vs_report_release(struct vs_report *r)
{
	size_t i, j;

	free(r->title);
	free(r->vs);
	free(r->error);
	for (i = 0; i < r->n_steps; i++) {
		free(r->steps[i].name);
		free(r->steps[i].message);
		free(r->steps[i].output);
	}
	free(r->steps);
	for (i = 0; i < r->n_checks; i++) {
		free(r->checks[i].name);
		free(r->checks[i].message);
		free(r->checks[i].output);
	}
	free(r->checks);
	for (i = 0; i < VS_RL_COUNT; i++) {
		for (j = 0; j < r->lists[i].n; j++) {
			free(r->lists[i].items[j].name);
			free(r->lists[i].items[j].detail);
		}
		free(r->lists[i].items);
	}
	memset(r, 0, sizeof(*r));
	r->progress_fd = -1;
}

/* Copy len bytes, NULs replaced (report strings are C strings), cut at
 * REPORT_MAX_OUTPUT with a note. */
static char *
copy_output(const char *s, size_t len)
{
	struct vs_buf b = VS_BUF_INIT;
	size_t i, n = len > REPORT_MAX_OUTPUT ? REPORT_MAX_OUTPUT : len;

	for (i = 0; i < n; i++)
		vs_buf_addch(&b, s[i] ? s[i] : '?');
	if (n < len)
		vs_buf_addf(&b, "\n[... %zu more bytes cut]\n", len - n);
	return vs_buf_detach(&b, NULL);
}

static char *
vfmt(const char *fmt, va_list ap)
{
	struct vs_buf b = VS_BUF_INIT;

	if (!fmt)
		return NULL;
	vs_buf_vaddf(&b, fmt, ap);
	return vs_buf_detach(&b, NULL);
}

static void
progress(const struct vs_report *r, const char *text)
{
	size_t len = strlen(text);
	ssize_t w;

	while (len > 0 && (w = write(r->progress_fd, text, len)) > 0) {
		text += w;
		len -= (size_t)w;
	}
}

size_t
vs_report_step_begin(struct vs_report *r, const char *name)
{
	struct vs_report_step *s;
	char line[160];

	xgrow(&r->steps, sizeof(*r->steps), r->n_steps + 1, &r->alloc_steps);
	s = &r->steps[r->n_steps];
	memset(s, 0, sizeof(*s));
	s->name = xstrdup(name);
	s->exit_code = -1;
	s->status = VS_ST_PASS;
	r->step_t0 = vs_report_now_ms();
	if (r->progress_fd >= 0) {
		snprintf(line, sizeof(line), "  .... %s", name);
		progress(r, line);
	}
	return r->n_steps++;
}

void
vs_report_step_end(struct vs_report *r, size_t i, enum vs_status st,
    const char *fmt, ...)
{
	struct vs_report_step *s = &r->steps[i];
	char line[300];
	va_list ap;

	s->status = st;
	s->ms = vs_report_now_ms() - r->step_t0;
	va_start(ap, fmt);
	free(s->message);
	s->message = vfmt(fmt, ap);
	va_end(ap);
	if (r->progress_fd >= 0) {
		/* overwrite the "...." line with the result */
		snprintf(line, sizeof(line), "\r\033[K  %-4s %s (%lld ms)%s%.120s\n",
		    st == VS_ST_PASS ? "ok" : vs_status_name(st), s->name,
		    s->ms, s->message ? ": " : "", s->message ? s->message : "");
		progress(r, line);
	}
}

void
vs_report_step_output(struct vs_report *r, size_t i, const char *out,
    size_t len, int exit_code)
{
	free(r->steps[i].output);
	r->steps[i].output = copy_output(out, len);
	r->steps[i].exit_code = exit_code;
}

size_t
vs_report_check(struct vs_report *r, const char *name, enum vs_status st,
    long long ms, const char *fmt, ...)
{
	struct vs_report_check *c;
	va_list ap;

	xgrow(&r->checks, sizeof(*r->checks), r->n_checks + 1,
	    &r->alloc_checks);
	c = &r->checks[r->n_checks];
	memset(c, 0, sizeof(*c));
	c->name = xstrdup(name);
	c->status = st;
	c->ms = ms;
	va_start(ap, fmt);
	c->message = vfmt(fmt, ap);
	va_end(ap);
	return r->n_checks++;
}

void
vs_report_check_output(struct vs_report *r, size_t i, const char *out,
    size_t len)
{
	free(r->checks[i].output);
	r->checks[i].output = copy_output(out, len);
}

void
vs_report_add(struct vs_report *r, enum vs_report_list_kind k,
    const char *name, const char *fmt, ...)
{
	struct vs_report_list *l = &r->lists[k];
	struct vs_report_item *it;
	va_list ap;

	if (l->n >= REPORT_MAX_ITEMS) {
		l->dropped++;
		return;
	}
	xgrow(&l->items, sizeof(*l->items), l->n + 1, &l->alloc);
	it = &l->items[l->n++];
	it->name = copy_output(name, strlen(name));
	va_start(ap, fmt);
	it->detail = vfmt(fmt, ap);
	va_end(ap);
}

void
vs_report_clear_list(struct vs_report *r, enum vs_report_list_kind k)
{
	struct vs_report_list *l = &r->lists[k];
	size_t j;

	for (j = 0; j < l->n; j++) {
		free(l->items[j].name);
		free(l->items[j].detail);
	}
	free(l->items);
	memset(l, 0, sizeof(*l));
}

int
vs_report_verdict(const struct vs_report *r)
{
	size_t i;
	int fail = 0;

	if (r->error)
		return 3;
	for (i = 0; i < r->n_checks; i++) {
		if (r->checks[i].status == VS_ST_ERROR)
			return 3;
		if (r->checks[i].status == VS_ST_FAIL)
			fail = 1;
	}
	return fail;
}

static const char *
verdict_word(const struct vs_report *r)
{
	switch (vs_report_verdict(r)) {
	case 0: return "pass";
	case 1: return "fail";
	}
	return "error";
}

/* ---- text safety ------------------------------------------------------ */

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, beyond U+10FFFF */
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
	    (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* The string with invalid UTF-8 replaced by U+FFFD (heap). */
static char *
utf8_clean(const char *s)
{
	struct vs_buf b = VS_BUF_INIT;
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), l;

	while (n > 0) {
		l = utf8_len(p, n);
		if (l == 0) {
			vs_buf_adds(&b, "\xef\xbf\xbd");
			l = 1;
		} else
			vs_buf_add(&b, p, l);
		p += l;
		n -= l;
	}
	return vs_buf_detach(&b, NULL);
}

static void
json_str(struct vs_buf *out, const char *s)
{
	char *c;

	if (!s) {
		vs_buf_adds(out, "null");
		return;
	}
	c = utf8_clean(s);
	vs_buf_add_json_str(out, c);
	free(c);
}

static void
xml_str(struct vs_buf *out, const char *s)
{
	_cleanup_free_ char *c = utf8_clean(s ? s : "");
	const unsigned char *p;

	for (p = (const unsigned char *)c; *p; p++) {
		switch (*p) {
		case '&': vs_buf_adds(out, "&amp;"); break;
		case '<': vs_buf_adds(out, "&lt;"); break;
		case '>': vs_buf_adds(out, "&gt;"); break;
		case '"': vs_buf_adds(out, "&quot;"); break;
		case '\'': vs_buf_adds(out, "&apos;"); break;
		default:
			/* XML 1.0 has no other control characters */
			if (*p < 0x20 && *p != '\n' && *p != '\t' &&
			    *p != '\r')
				vs_buf_addch(out, '?');
			else
				vs_buf_addch(out, *p);
		}
	}
}

/* For a terminal: no control characters (no escape sequences from the
 * VS), invalid UTF-8 as \xNN; newlines kept only when keep_nl. */
static void
tty_str(struct vs_buf *out, const char *s, int keep_nl)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), l;

	while (n > 0) {
		l = utf8_len(p, n);
		if (l == 1 && (*p < 0x20 || *p == 0x7f) &&
		    !(keep_nl && *p == '\n') && *p != '\t')
			l = 0;
		/* C1 controls (U+0080..U+009F) act as escapes too */
		if (l == 2 && p[0] == 0xc2 && p[1] < 0xa0)
			l = 0;
		if (l == 0) {
			vs_buf_addf(out, "\\x%02x", *p);
			l = 1;
		} else
			vs_buf_add(out, p, l);
		p += l;
		n -= l;
	}
}

/* ---- human ------------------------------------------------------------ */

static const char *
color_of(enum vs_status st, int color)
{
	if (!color)
		return "";
	switch (st) {
	case VS_ST_PASS: return "\033[32m";
	case VS_ST_FAIL: case VS_ST_ERROR: return "\033[31m";
	case VS_ST_SKIP: return "\033[33m";
	case VS_ST_INFO: return "";
	}
	return "";
}

static void
human_output(struct vs_buf *out, const char *text)
{
	struct vs_buf t = VS_BUF_INIT;
	const char *p, *nl;

	tty_str(&t, text, 1);
	vs_buf_rtrim(&t);
	for (p = t.buf; *p; p = nl ? nl + 1 : p + strlen(p)) {
		nl = strchr(p, '\n');
		vs_buf_addf(out, "      | %.*s\n",
		    nl ? (int)(nl - p) : (int)strlen(p), p);
		if (!nl)
			break;
	}
	vs_buf_release(&t);
}

void
vs_report_human(const struct vs_report *r, struct vs_buf *out, int color)
{
	const char *off = color ? "\033[0m" : "";
	size_t i, j, nfail = 0, nchecks = 0;
	int v = vs_report_verdict(r);

	vs_buf_adds(out, "vstry: ");
	tty_str(out, r->title, 0);
	if (r->vs)
		vs_buf_addf(out, " (disposable VS %s)", r->vs);
	vs_buf_adds(out, "\n\nSteps:\n");
	for (i = 0; i < r->n_steps; i++) {
		const struct vs_report_step *s = &r->steps[i];

		vs_buf_addf(out, "  %s%-5s%s %-28s %6lld ms", color_of(s->status,
		    color), s->status == VS_ST_PASS ? "ok" :
		    vs_status_name(s->status), off, s->name, s->ms);
		if (s->message) {
			vs_buf_adds(out, "  ");
			tty_str(out, s->message, 0);
		}
		vs_buf_addch(out, '\n');
		if (s->output && s->output[0]) {
			if (s->exit_code >= 0)
				vs_buf_addf(out, "      output (exit %d):\n",
				    s->exit_code);
			human_output(out, s->output);
		}
	}
	for (i = 0; i < VS_RL_COUNT; i++) {
		const struct vs_report_list *l = &r->lists[i];

		if (!l->n)
			continue;
		vs_buf_addf(out, "\n%s (%zu):\n", list_names[i].title,
		    l->n + l->dropped);
		for (j = 0; j < l->n && j < HUMAN_MAX_ITEMS; j++) {
			vs_buf_adds(out, "  ");
			tty_str(out, l->items[j].name, 0);
			if (l->items[j].detail && l->items[j].detail[0]) {
				vs_buf_adds(out, "  (");
				tty_str(out, l->items[j].detail, 0);
				vs_buf_adds(out, ")");
			}
			vs_buf_addch(out, '\n');
		}
		if (l->n + l->dropped > j)
			vs_buf_addf(out, "  ... and %zu more (see --json)\n",
			    l->n + l->dropped - j);
	}
	vs_buf_adds(out, "\nChecks:\n");
	for (i = 0; i < r->n_checks; i++) {
		const struct vs_report_check *c = &r->checks[i];

		if (c->status == VS_ST_PASS || c->status == VS_ST_FAIL) {
			nchecks++;
			nfail += c->status == VS_ST_FAIL;
		}
		vs_buf_addf(out, "  %s%-5s%s %s", color_of(c->status, color),
		    vs_status_name(c->status), off, c->name);
		if (c->message) {
			vs_buf_adds(out, ": ");
			tty_str(out, c->message, 0);
		}
		vs_buf_addch(out, '\n');
		if (c->output && c->output[0] && c->status != VS_ST_PASS)
			human_output(out, c->output);
	}
	vs_buf_addf(out, "\nVerdict: %s%s%s", color_of(v == 0 ? VS_ST_PASS :
	    VS_ST_FAIL, color), v == 0 ? "PASS" : v == 1 ? "FAIL" : "ERROR",
	    off);
	if (r->error) {
		vs_buf_adds(out, ": ");
		tty_str(out, r->error, 0);
	} else
		vs_buf_addf(out, " (%zu of %zu checks failed)", nfail,
		    nchecks);
	vs_buf_addf(out, ", %lld ms", r->total_ms);
	if (r->kept && r->vs)
		vs_buf_addf(out, "; VS %s kept", r->vs);
	vs_buf_addch(out, '\n');
}

/* ---- JSON ------------------------------------------------------------- */

void
vs_report_json(const struct vs_report *r, struct vs_buf *out)
{
	size_t i, j;

	vs_buf_adds(out, "{\"name\":");
	json_str(out, r->title);
	vs_buf_adds(out, ",\"vs\":");
	json_str(out, r->vs);
	vs_buf_addf(out, ",\"verdict\":\"%s\",\"exit\":%d,\"error\":",
	    verdict_word(r), vs_report_verdict(r));
	json_str(out, r->error);
	vs_buf_addf(out, ",\"kept\":%s,\"ms\":%lld,\"steps\":[",
	    r->kept ? "true" : "false", r->total_ms);
	for (i = 0; i < r->n_steps; i++) {
		const struct vs_report_step *s = &r->steps[i];

		vs_buf_adds(out, i ? ",{\"name\":" : "{\"name\":");
		json_str(out, s->name);
		vs_buf_addf(out, ",\"status\":\"%s\",\"ms\":%lld,\"message\":",
		    vs_status_name(s->status), s->ms);
		json_str(out, s->message);
		vs_buf_adds(out, ",\"output\":");
		json_str(out, s->output);
		if (s->exit_code >= 0)
			vs_buf_addf(out, ",\"exit\":%d", s->exit_code);
		vs_buf_addch(out, '}');
	}
	vs_buf_adds(out, "],\"checks\":[");
	for (i = 0; i < r->n_checks; i++) {
		const struct vs_report_check *c = &r->checks[i];

		vs_buf_adds(out, i ? ",{\"name\":" : "{\"name\":");
		json_str(out, c->name);
		vs_buf_addf(out, ",\"status\":\"%s\",\"ms\":%lld,\"message\":",
		    vs_status_name(c->status), c->ms);
		json_str(out, c->message);
		vs_buf_adds(out, ",\"output\":");
		json_str(out, c->output);
		vs_buf_addch(out, '}');
	}
	vs_buf_addch(out, ']');
	for (i = 0; i < VS_RL_COUNT; i++) {
		const struct vs_report_list *l = &r->lists[i];

		vs_buf_addf(out, ",\"%s\":[", list_names[i].key);
		for (j = 0; j < l->n; j++) {
			vs_buf_adds(out, j ? ",{\"name\":" : "{\"name\":");
			json_str(out, l->items[j].name);
			vs_buf_adds(out, ",\"detail\":");
			json_str(out, l->items[j].detail);
			vs_buf_addch(out, '}');
		}
		vs_buf_addch(out, ']');
		if (l->dropped)
			vs_buf_addf(out, ",\"%s_dropped\":%zu",
			    list_names[i].key, l->dropped);
	}
	vs_buf_adds(out, "}\n");
}

/* ---- JUnit ------------------------------------------------------------ */

/* The findings that explain a failed policy check go in its <failure>. */
void
vs_report_junit(const struct vs_report *r, struct vs_buf *out)
{
	size_t i, nfail = 0, nerr = 0, nskip = 0;

	for (i = 0; i < r->n_checks; i++) {
		nfail += r->checks[i].status == VS_ST_FAIL;
		nerr += r->checks[i].status == VS_ST_ERROR;
		nskip += r->checks[i].status == VS_ST_SKIP;
	}
	if (r->error)
		nerr++;
	vs_buf_adds(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<testsuites>\n<testsuite name=\"vstry.");
	xml_str(out, r->title);
	vs_buf_addf(out, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" "
	    "skipped=\"%zu\" time=\"%.3f\">\n", r->n_checks + (r->error ? 1 :
	    0), nfail, nerr, nskip, r->total_ms / 1000.0);
	for (i = 0; i < r->n_checks; i++) {
		const struct vs_report_check *c = &r->checks[i];

		vs_buf_adds(out, "  <testcase classname=\"vstry.");
		xml_str(out, r->title);
		vs_buf_adds(out, "\" name=\"");
		xml_str(out, c->name);
		vs_buf_addf(out, "\" time=\"%.3f\"", c->ms / 1000.0);
		if (c->status == VS_ST_PASS || c->status == VS_ST_INFO) {
			if (!c->message && !c->output) {
				vs_buf_adds(out, "/>\n");
				continue;
			}
			vs_buf_adds(out, ">\n    <system-out>");
			xml_str(out, c->message);
			if (c->output) {
				vs_buf_addch(out, '\n');
				xml_str(out, c->output);
			}
			vs_buf_adds(out, "</system-out>\n  </testcase>\n");
			continue;
		}
		vs_buf_adds(out, ">\n    <");
		vs_buf_adds(out, c->status == VS_ST_FAIL ? "failure" :
		    c->status == VS_ST_SKIP ? "skipped" : "error");
		vs_buf_adds(out, " message=\"");
		xml_str(out, c->message);
		vs_buf_adds(out, "\">");
		xml_str(out, c->output);
		vs_buf_addf(out, "</%s>\n  </testcase>\n",
		    c->status == VS_ST_FAIL ? "failure" :
		    c->status == VS_ST_SKIP ? "skipped" : "error");
	}
	if (r->error) {
		vs_buf_adds(out, "  <testcase classname=\"vstry.");
		xml_str(out, r->title);
		vs_buf_adds(out, "\" name=\"trial\">\n    <error message=\"");
		xml_str(out, r->error);
		vs_buf_adds(out, "\"/>\n  </testcase>\n");
	}
	vs_buf_adds(out, "</testsuite>\n</testsuites>\n");
}

/* ---- TAP -------------------------------------------------------------- */

static void
tap_line(struct vs_buf *out, const char *s)
{
	/* one line, no '#' that would start a directive */
	struct vs_buf t = VS_BUF_INIT;
	char *p;

	tty_str(&t, s, 0);
	for (p = t.buf; *p; p++)
		if (*p == '#')
			*p = '_';
	vs_buf_adds(out, t.buf);
	vs_buf_release(&t);
}

void
vs_report_tap(const struct vs_report *r, struct vs_buf *out)
{
	size_t i, n = 0;

	vs_buf_adds(out, "TAP version 13\n# vstry ");
	tap_line(out, r->title);
	vs_buf_addch(out, '\n');
	for (i = 0; i < r->n_checks; i++) {
		const struct vs_report_check *c = &r->checks[i];

		n++;
		vs_buf_addf(out, "%s %zu - ", c->status == VS_ST_FAIL ||
		    c->status == VS_ST_ERROR ? "not ok" : "ok", n);
		tap_line(out, c->name);
		if (c->status == VS_ST_SKIP) {
			vs_buf_adds(out, " # SKIP ");
			tap_line(out, c->message ? c->message : "");
		}
		vs_buf_addch(out, '\n');
		if (c->message && c->status != VS_ST_SKIP) {
			vs_buf_adds(out, "# ");
			tap_line(out, c->message);
			vs_buf_addch(out, '\n');
		}
	}
	if (r->error) {
		vs_buf_addf(out, "not ok %zu - trial\n# ", ++n);
		tap_line(out, r->error);
		vs_buf_addch(out, '\n');
	}
	vs_buf_addf(out, "1..%zu\n", n);
}
