/* main.c - vsdskel: build, check and update the skeleton every VS root
 * hard-links.  Options here, work in the cmd_*.c files and below. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "log.h"
#include "vsdskel.h"

static const char usage_text[] =
    "usage: vsdskel [-qv] [-c file] [--json] build [--from dir | "
    "--from-archive file]\n"
    "               [--skel-conf file]\n"
    "       vsdskel [-qv] [-c file] [--json] check\n"
    "       vsdskel [-qv] [-c file] [--json] update [--from dir | "
    "--from-archive file]\n"
    "               [--skel-conf file]\n";

static void
usage(int rc)
{
	fputs(usage_text, rc ? stderr : stdout);
	if (rc == 0)
		fputs("\n"
		    "  build      build the skeleton (state_root/skel) from the "
		    "host, following\n"
		    "             skel.conf, or from a root tree or rootfs "
		    "archive\n"
		    "  check      verify the skeleton against its manifest: "
		    "nothing writable,\n"
		    "             nothing modified (exit 1 with a list "
		    "otherwise)\n"
		    "  update     rebuild, then re-link every VS to the new "
		    "skeleton and report\n"
		    "             per VS the files it had replaced\n\n"
		    "  -c file            vsd.conf (default $VSD_CONF or "
		    VS_CONF_DEFAULT ")\n"
		    "  --from dir         take the whole tree at dir "
		    "(minus exclude)\n"
		    "  --from-archive f   extract a rootfs tar[.gz|.xz|.zst] "
		    "(hostile input)\n"
		    "  --skel-conf file   skel.conf to follow (default: from "
		    "vsd.conf)\n"
		    "  --json             machine-readable result on stdout\n"
		    "  -q, -v             quiet (no progress, no summary) / "
		    "verbose\n"
		    "  -h, --help         this help; -V, --version\n",
		    stdout);
	exit(rc);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "from", required_argument, NULL, 'F' },
		{ "from-archive", required_argument, NULL, 'A' },
		{ "skel-conf", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct skel_opts o = { 0 };
	const char *cmd;
	int c;

	log_init(argv[0], 1, 0);
	while ((c = getopt_long(argc, argv, "c:qvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o.conf_path = optarg;
			o.explicit_conf = 1;
			break;
		case 'F':
			o.from_dir = optarg;
			break;
		case 'A':
			o.from_archive = optarg;
			break;
		case 's':
			o.skel_conf = optarg;
			break;
		case 'j':
			o.json = 1;
			break;
		case 'q':
			o.quiet = 1;
			break;
		case 'v':
			o.verbose++;
			break;
		case 'h':
			usage(0);
			break;
		case 'V':
			printf("vsdskel %s\n", VSD_VERSION);
			return 0;
		default:
			usage(2);
		}
	}
	log_setverbose(o.verbose);
	if (!o.explicit_conf) {
		o.conf_path = vs_conf_default_path();
		o.explicit_conf = getenv("VSD_CONF") != NULL;
	}
	if (optind >= argc) {
		log_warnx("no command given");
		usage(2);
	}
	cmd = argv[optind];
	if (optind + 1 < argc) {
		log_warnx("unexpected argument '%s'", argv[optind + 1]);
		usage(2);
	}
	if (o.from_dir && o.from_archive) {
		log_warnx("--from and --from-archive exclude each other");
		usage(2);
	}
	if ((o.from_dir || o.from_archive || o.skel_conf) &&
	    strcmp(cmd, "build") && strcmp(cmd, "update")) {
		log_warnx("%s: --from, --from-archive and --skel-conf are "
		    "for build and update", cmd);
		usage(2);
	}
	if (!strcmp(cmd, "build"))
		return cmd_build(&o, argc - optind, argv + optind);
	if (!strcmp(cmd, "check"))
		return cmd_check(&o, argc - optind, argv + optind);
	if (!strcmp(cmd, "update"))
		return cmd_update(&o, argc - optind, argv + optind);
	log_warnx("unknown command '%s'", cmd);
	usage(2);
}
