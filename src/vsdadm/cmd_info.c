/* cmd_info.c - vsdadm info: one VS's record, state and disk use. */
#include <stdio.h>

#include "vsdadm.h"
#include "banned.h"

int
cmd_info(struct vsdadm *a, int argc, char **argv)
{
	struct vs_err err = VS_ERR_INIT;
	struct vs_root_usage u;
	struct vs_rec r;
	struct vs_buf b = VS_BUF_INIT;
	int running = 0;

	if (argc != 2)
		return vsdadm_usage("info needs: name");
	if (a->ops->info(&a->conf, argv[1], &r, &u, &running, &err) < 0)
		return vsdadm_fail(&err);
	if (a->json) {
		vs_buf_adds(&b, "{\"server\":");
		vsdadm_rec_json(&b, &r);
		vs_buf_addf(&b, ",\"running\":%s,\"files_shared\":%llu,"
		    "\"files_own\":%llu,\"dirs\":%llu,\"symlinks\":%llu,"
		    "\"private_bytes\":%llu}", running ? "true" : "false",
		    (unsigned long long)u.shared, (unsigned long long)u.own,
		    (unsigned long long)u.dirs,
		    (unsigned long long)u.symlinks,
		    (unsigned long long)u.private_bytes);
		puts(b.buf);
		vs_buf_release(&b);
		return EX_OK;
	}
	printf("name:          %s\nnumber:        %lld\n", r.name, r.number);
	printf("uids, gids:    %lld-%lld\n", r.uid_base,
	    r.uid_base + r.uid_count - 1);
	printf("ip:            %s\nfqdn:          %s\n", r.ip, r.fqdn);
	printf("quota:         %lld MB\nstate:         %s%s\n", r.quota_mb,
	    r.state, running ? ", running" : ", stopped");
	printf("disposable:    %s\n", r.disposable ? "yes" : "no");
	printf("files:         %llu shared with the skeleton, %llu its own\n",
	    (unsigned long long)u.shared, (unsigned long long)u.own);
	printf("directories:   %llu\nsymlinks:      %llu\n",
	    (unsigned long long)u.dirs, (unsigned long long)u.symlinks);
	printf("private disk:  %.1f MiB\n",
	    (double)u.private_bytes / (1024.0 * 1024.0));
	return EX_OK;
}
