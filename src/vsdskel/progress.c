/* progress.c - one status line on a terminal (files, bytes, rate, ETA);
 * nothing at all when stderr is not a terminal or -q was given. */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "vsdskel.h"

double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
human(char *out, size_t len, double v)
{
	static const char *unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(out, len, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
}

static void
draw(struct progress *pr, int final)
{
	double t = now_seconds(), el = t - pr->start;
	double rate = el > 0 ? pr->bytes / el : 0;
	char done[32], total[32], r[32], eta[32] = "--:--";

	if (pr->files > pr->files_total && pr->files_total)
		pr->files_total = pr->files;	/* totals are estimates */

	human(done, sizeof(done), (double)pr->bytes);
	human(total, sizeof(total), (double)pr->bytes_total);
	human(r, sizeof(r), rate);
	if (rate > 0 && pr->bytes_total > pr->bytes) {
		long s = (long)((pr->bytes_total - pr->bytes) / rate);

		snprintf(eta, sizeof(eta), "%02ld:%02ld", s / 60, s % 60);
	} else if (final || pr->bytes_total <= pr->bytes) {
		snprintf(eta, sizeof(eta), "00:00");
	}
	if (pr->bytes_total == 0 && pr->files_total) {
		/* counting entries only (relinking) */
		double fr = el > 0 ? pr->files / el : 0;

		if (fr > 0 && pr->files_total > pr->files) {
			long s = (long)((pr->files_total - pr->files) / fr);

			snprintf(eta, sizeof(eta), "%02ld:%02ld", s / 60,
			    s % 60);
		}
		fprintf(stderr, "\r\033[K%s: %zu/%zu entries, %.0f/s, ETA %s",
		    pr->what, pr->files, pr->files_total, fr, eta);
	} else if (pr->files_total)
		fprintf(stderr, "\r\033[K%s: %zu/%zu files, %s/%s, %s/s, "
		    "ETA %s", pr->what, pr->files, pr->files_total, done,
		    total, r, eta);
	else
		fprintf(stderr, "\r\033[K%s: %zu files, %s/%s, %s/s, ETA %s",
		    pr->what, pr->files, done, total, r, eta);
	if (final)
		fputc('\n', stderr);
	fflush(stderr);
	pr->last = t;
}

void
progress_start(struct progress *pr, int enabled, const char *what,
    size_t files_total, long long bytes_total)
{
	pr->on = enabled && isatty(STDERR_FILENO);
	pr->what = what;
	pr->files = 0;
	pr->bytes = 0;
	pr->files_total = files_total;
	pr->bytes_total = bytes_total;
	pr->start = pr->last = now_seconds();
}

void
progress_add(struct progress *pr, size_t files, long long bytes)
{
	pr->files += files;
	pr->bytes += bytes;
	if (pr->on && now_seconds() - pr->last >= 0.1)
		draw(pr, 0);
}

void
progress_done(struct progress *pr)
{
	if (pr->on)
		draw(pr, 1);
	pr->on = 0;
}
