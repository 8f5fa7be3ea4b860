/* valid.h - syntax checks for names and addresses that come from users,
 * config files and the network.  Each returns 1 if valid, 0 if not. */
#ifndef VS_VALID_H
#define VS_VALID_H

#define VS_NAME_MAX	32	/* server names */
#define VS_USER_MAX	32	/* user and group names */
#define VS_FQDN_MAX	253

/* [a-z0-9][a-z0-9_-]{0,31}: safe as a path component, cgroup and
 * (with a prefix) interface name part. */
int vs_valid_name(const char *s);

/* POSIX-portable user/group name: [a-z_][a-z0-9_-]{0,31}, optional
 * trailing '$' not allowed. */
int vs_valid_username(const char *s);

/* Dotted-quad IPv4 usable as a VS address: not 0.0.0.0/8, 127/8,
 * 169.254/16, multicast, or broadcast. */
int vs_valid_vs_ip(const char *s);

/* A path relative to a tree's top, as manifests and lists record them:
 * not empty, no leading or trailing '/', no empty, "." or ".." component. */
int vs_valid_relpath(const char *p);

/* RFC 1123 host name: labels of [A-Za-z0-9-], 1..63 chars, not starting
 * or ending with '-', total <= 253. */
int vs_valid_fqdn(const char *s);

#endif
