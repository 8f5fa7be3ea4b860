/* cmd_create.c - vsdadm create / vs_create: a new VS. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "vsdadm.h"
#include "banned.h"

static int
do_create(struct vsdadm *a, const struct vs_create_req *q)
{
	struct vs_err err = VS_ERR_INIT;
	struct vs_create_stats st;
	struct vs_rec rec;
	struct vs_buf b = VS_BUF_INIT;

	if (a->ops->create(&a->conf, q, &rec, &st, &err) < 0)
		return vsdadm_fail(&err);
	if (a->json) {
		vs_buf_adds(&b, "{\"server\":");
		vsdadm_rec_json(&b, &rec);
		vs_buf_addf(&b, ",\"dirs\":%llu,\"linked\":%llu,\"copied\":"
		    "%llu,\"symlinks\":%llu,\"skipped\":%llu,\"seconds\":%.3f,"
		    "\"plan\":\"%s\"}",
		    (unsigned long long)st.dirs,
		    (unsigned long long)st.linked,
		    (unsigned long long)st.copied,
		    (unsigned long long)st.symlinks,
		    (unsigned long long)st.skipped, st.seconds,
		    st.plan ? st.plan : "");
		puts(b.buf);
		vs_buf_release(&b);
	} else {
		printf("created server '%s': number %lld, uids %lld-%lld, "
		    "%s %s\n", rec.name, rec.number, rec.uid_base,
		    rec.uid_base + rec.uid_count - 1, rec.ip, rec.fqdn);
		printf("  %llu files linked to the skeleton, %llu copied, "
		    "%llu directories, %llu symlinks, %llu skipped, "
		    "%.3f s\n", (unsigned long long)st.linked,
		    (unsigned long long)st.copied,
		    (unsigned long long)st.dirs,
		    (unsigned long long)st.symlinks,
		    (unsigned long long)st.skipped, st.seconds);
	}
	return EX_OK;
}

/* vsdadm vs_create HOST NAME IP FQDN QUOTA_MB N  (freeVSD's form) */
int
cmd_vs_create(struct vsdadm *a, int argc, char **argv)
{
	struct vs_create_req q;

	memset(&q, 0, sizeof(q));
	if (argc != 7)
		return vsdadm_usage("vs_create needs: host name ip fqdn "
		    "quota_mb number");
	if (vsdadm_host(argv[1]) < 0 ||
	    vsdadm_number("quota", argv[5], 0, 1LL << 40, &q.quota_mb) < 0 ||
	    vsdadm_number("VS number", argv[6], 0, a->conf.max_servers,
	    &q.number) < 0)
		return EX_USAGE;
	q.name = argv[2];
	q.ip = argv[3];
	q.fqdn = argv[4];
	return do_create(a, &q);
}

int
cmd_create(struct vsdadm *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "quota", required_argument, NULL, 'q' },
		{ "number", required_argument, NULL, 'N' },
		{ "nproc", required_argument, NULL, 'p' },
		{ "disposable", no_argument, NULL, 'd' },
		{ "jobs", required_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct vs_create_req q;
	int c;

	memset(&q, 0, sizeof(q));
	while ((c = getopt_long(argc, argv, "+q:N:p:dj:", opts, NULL)) != -1) {
		switch (c) {
		case 'q':
			if (vsdadm_number("quota", optarg, 0, 1LL << 40,
			    &q.quota_mb) < 0)
				return EX_USAGE;
			break;
		case 'N':
			if (vsdadm_number("VS number", optarg, 0,
			    a->conf.max_servers, &q.number) < 0)
				return EX_USAGE;
			break;
		case 'p':
			if (vsdadm_number("process limit", optarg, 0,
			    1 << 22, &q.nproc) < 0)
				return EX_USAGE;
			break;
		case 'd':
			q.disposable = 1;
			break;
		case 'j': {
			long long j;

			if (vsdadm_number("jobs", optarg, 1, 8, &j) < 0)
				return EX_USAGE;
			q.workers = (int)j;
			break;
		}
		default:
			return vsdadm_usage("bad option to create");
		}
	}
	if (argc - optind != 3)
		return vsdadm_usage("create needs: name ip fqdn");
	q.name = argv[optind];
	q.ip = argv[optind + 1];
	q.fqdn = argv[optind + 2];
	return do_create(a, &q);
}
