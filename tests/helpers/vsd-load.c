/* vsd-load - a load client for vsd's benchmark: C concurrent clients,
 * each on its own connection (unix socket, or TCP authenticated with the
 * secret), send one command N times and wait for each answer; prints
 * requests per second and the p50/p99 latency.
 * usage: vsd-load (-U SOCKET | -T HOST -p PORT -s SECRET) -c C -n N CMD... */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "vsdclient.h"
#include "xmem.h"

static const char *sock, *host;
static int port = 1725, nreq = 1000, argc_cmd;
static char **argv_cmd;
static struct vs_auth_secret secret;
static double *lat;	/* seconds, nclients * nreq */
static int failures;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *
client(void *arg)
{
	double *mine = arg;
	struct vs_client c = VS_CLIENT_INIT;
	struct vs_answer a = VS_ANSWER_INIT;
	struct vs_err err = VS_ERR_INIT;
	int i, bad = 0;

	if ((sock ? vs_client_connect_unix(&c, sock, &err) :
	    vs_client_connect_tcp(&c, host, port, &err)) < 0 ||
	    (!sock && vs_auth_client(&c, &secret, &err) < 0)) {
		fprintf(stderr, "vsd-load: %s\n", err.msg);
		pthread_mutex_lock(&mu);
		failures += nreq;
		pthread_mutex_unlock(&mu);
		return NULL;
	}
	for (i = 0; i < nreq; i++) {
		double t0 = now();

		if (vs_client_cmd(&c, NULL, argc_cmd, argv_cmd, NULL, 0, &a,
		    &err) < 0 || !a.ok) {
			bad++;
			if (!a.ok && a.text.len)
				fprintf(stderr, "vsd-load: %s\n", a.text.buf);
			if (c.fd < 0 || err.errnum)
				break;
		}
		mine[i] = now() - t0;
	}
	vs_client_bye(&c, NULL);
	vs_client_close(&c);
	vs_answer_release(&a);
	pthread_mutex_lock(&mu);
	failures += bad;
	pthread_mutex_unlock(&mu);
	return NULL;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	struct vs_err err = VS_ERR_INIT;
	pthread_t *tid;
	int c, nclients = 1, i;
	size_t total;
	double t0, el;

	while ((c = getopt(argc, argv, "+U:T:p:s:c:n:")) != -1) {
		switch (c) {
		case 'U': sock = optarg; break;
		case 'T': host = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 's':
			if (vs_auth_secret_load(optarg, (uid_t)-1, &secret,
			    &err) < 0) {
				fprintf(stderr, "vsd-load: %s\n", err.msg);
				return 1;
			}
			break;
		case 'c': nclients = atoi(optarg); break;
		case 'n': nreq = atoi(optarg); break;
		default: return 2;
		}
	}
	if ((!sock && !host) || optind >= argc || nclients < 1 || nreq < 1) {
		fprintf(stderr, "usage: vsd-load (-U SOCKET | -T HOST -p PORT "
		    "-s SECRET) -c C -n N CMD...\n");
		return 2;
	}
	argv_cmd = argv + optind;
	argc_cmd = argc - optind;
	total = (size_t)nclients * (size_t)nreq;
	lat = xcalloc(total, sizeof(double));
	tid = xcalloc((size_t)nclients, sizeof(*tid));
	t0 = now();
	for (i = 0; i < nclients; i++)
		if (pthread_create(&tid[i], NULL, client,
		    lat + (size_t)i * (size_t)nreq) != 0)
			return 1;
	for (i = 0; i < nclients; i++)
		pthread_join(tid[i], NULL);
	el = now() - t0;
	qsort(lat, total, sizeof(double), cmp);
	printf("%d clients x %d: %.0f req/s, p50 %.3f ms, p99 %.3f ms, "
	    "%d failed\n", nclients, nreq, (double)total / el,
	    lat[total / 2] * 1e3, lat[(size_t)((double)total * 0.99)] * 1e3,
	    failures);
	return failures ? 1 : 0;
}
