/* relay.h - an event-driven TCP relay (epoll, splice through pipes).
 *
 * One struct vs_relay serves many listening sockets.  Each accepted
 * connection gets an upstream socket (created in the listener's group's
 * network namespace, so a VS's own daemon is reached inside its netns)
 * and bytes move between the two with splice(2) through one bounded pipe
 * per direction, created when data first flows:
 *
 * - back-pressure: a side is read only while its pipe has room, so at
 *   most pipe_size bytes per direction are held (never unbounded);
 * - half-close: EOF from one side becomes shutdown(SHUT_WR) on the other
 *   once the pipe is drained; the pair closes when both directions are;
 * - resets: a reset (or write error) on one side resets the other
 *   (SO_LINGER 0); a failed upstream connect resets the client;
 * - timeouts: connect_timeout_ms for upstream connects, idle_timeout_ms
 *   without traffic either way (both on ordered lists, O(1) per event);
 * - limits: a global one and one per group (VS); over a limit a new
 *   connection is reset at once and counted as refused;
 * - EMFILE/ENFILE on accept pauses accepting for a second instead of
 *   spinning; a connection already accepted is never reset for want of
 *   a descriptor: a spare one is kept for its upstream socket, and one
 *   that finds no descriptor for its pipes waits (back pressure) until
 *   a connection closes; accepts and transfers are done in bounded batches round
 *   robin, so a flood on one listener does not starve the others;
 * - an optional PROXY protocol v1/v2 header is sent upstream first.
 *
 * Other fds (signalfd, inotify) join the same loop with vs_relay_watch().
 * Single-threaded; nothing here is fork-safe except vs_relay_free().
 */
#ifndef VS_RELAY_H
#define VS_RELAY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "err.h"
#include "proxyproto.h"

struct vs_relay;
struct vs_relay_group;
struct vs_relay_listener;

struct vs_relay_opts {
	int max_conns;		/* relayed connections at once; 0 = none */
	int connect_timeout_ms;	/* 0 = 10 s */
	int idle_timeout_ms;	/* 0 = never */
	int pipe_size;		/* bytes per direction; 0 = kernel default */
};

struct vs_relay_stats {
	uint64_t accepted;	/* connections accepted and relayed */
	uint64_t refused;	/* reset at once: over a limit, no upstream */
	uint64_t connect_failed;	/* upstream refused or timed out */
	uint64_t resets;	/* resets passed on */
	uint64_t idle_closed;	/* closed by the idle timeout */
	uint64_t bytes[2];	/* client->upstream, upstream->client */
	uint64_t accept_pauses;	/* EMFILE/ENFILE pauses */
	int active;		/* connections now */
	int listeners;
};

/* Fails only if epoll cannot be created (-1, errno, err). */
struct vs_relay *vs_relay_new(const struct vs_relay_opts *opts,
    struct vs_err *err);
/* Closes every listener, connection and watched fd's registration (the
 * watched fds themselves stay the caller's).  Put the caller's group
 * references first.  NULL is a no-op. */
void vs_relay_free(struct vs_relay *r);
void vs_relay_set_opts(struct vs_relay *r, const struct vs_relay_opts *opts);

/*
 * A group is one VS: its name (for logs), its connection limit
 * (0 = none) and its netns fd (taken over; -1 = the relay's own netns),
 * where upstream sockets are created.  It is reference-counted: the
 * caller holds one reference, each listener and connection one more, so
 * connections outlive their VS's listeners (a reload or a stop never
 * cuts an established connection).
 */
struct vs_relay_group *vs_relay_group_new(struct vs_relay *r,
    const char *name, int max_conns, int nsfd);
void vs_relay_group_set_limit(struct vs_relay_group *g, int max_conns);
int vs_relay_group_active(const struct vs_relay_group *g);
int vs_relay_group_nsfd(const struct vs_relay_group *g);	/* borrowed */
void vs_relay_group_put(struct vs_relay_group *g);

/*
 * Relay connections accepted on fd (a listening TCP socket; taken over,
 * made non-blocking) to target in g's netns.  Returns the listener or
 * NULL (errno; fd closed).
 */
struct vs_relay_listener *vs_relay_listen(struct vs_relay *r,
    struct vs_relay_group *g, int fd, const struct sockaddr *target,
    socklen_t tlen, enum vs_proxy_version proxy);
/* Change where new connections go; established ones are unaffected. */
void vs_relay_listener_retarget(struct vs_relay_listener *l,
    const struct sockaddr *target, socklen_t tlen,
    enum vs_proxy_version proxy);
/* Close the listening socket.  Established connections go on. */
void vs_relay_unlisten(struct vs_relay_listener *l);

/* Call fn(ctx, events) when fd is readable (level-triggered). */
typedef void (*vs_relay_watch_fn)(void *ctx, uint32_t events);
int vs_relay_watch(struct vs_relay *r, int fd, vs_relay_watch_fn fn,
    void *ctx);
void vs_relay_unwatch(struct vs_relay *r, int fd);

/*
 * Wait at most timeout_ms (-1 = until something happens) and handle what
 * is ready.  Returns 0, or -1 if epoll_wait failed (not for EINTR).
 */
int vs_relay_poll(struct vs_relay *r, int timeout_ms);

/*
 * Where upstream sockets come from.  By default the relay makes them
 * itself with vs_nssock_many() in the group's netns (CAP_SYS_ADMIN); a
 * caller without that privilege (vsredirect's event loop) sets fn, which
 * must fill fds[0..k) with 1 <= k <= n unconnected non-blocking
 * close-on-exec SOCK_STREAM sockets of family in group's netns and
 * return k, or return -1 with errno and err set.  n <= 16.
 */
typedef int (*vs_relay_sockets_fn)(void *ctx, const char *group, int family,
    int *fds, int n, struct vs_err *err);
void vs_relay_set_sockets_fn(struct vs_relay *r, vs_relay_sockets_fn fn,
    void *ctx);

void vs_relay_get_stats(const struct vs_relay *r, struct vs_relay_stats *st);

#endif
