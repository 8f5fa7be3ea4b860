/* snap_hashq.c - the seal's member digests, computed on a thread of their
 * own while an archive is written.
 *
 * Why: a save is a pipeline.  One thread reads the files and feeds the tar
 * stream to zstd, whose workers compress behind it; SHA-256 of every byte
 * (the seal's digests, FORMAT.md) was about a third of that thread's work
 * (~1.7 GB/s here against ~0.3 GB/s a zstd worker compresses), so the
 * workers waited for it.  The digests are only needed for the seal, at
 * the very end, so the writer hands each member's digest line and data
 * to this thread in order and goes on.  Data travels in buffers of a
 * small pool (bounded memory, no copy for file data: the writer reads a
 * file straight into a pool buffer); a buffer returns to the pool once
 * every block in it is hashed.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"
#include "snap_int.h"
#include "xmem.h"
#include "banned.h"

#define HQ_BUFSZ	(1 << 20)	/* one pool buffer */
#define HQ_NBUFS	6		/* at most 6 MiB in flight */
#define HQ_MINROOM	(64 << 10)	/* less left: take a fresh buffer */

struct hq_buf {
	struct hq_buf *next;		/* in the free list */
	unsigned char *data;
	size_t used;			/* filled by the writer */
	int refs;			/* queued blocks + the writer's */
};

enum { HQ_BEGIN, HQ_DATA, HQ_END, HQ_DIGEST };

struct hq_msg {
	struct hq_msg *next;
	int kind;
	char *text;			/* BEGIN: digest line; END, DIGEST:
					 * the member's name */
	struct hq_buf *buf;		/* DATA */
	size_t off, len;
	unsigned char d[VS_HASH_LEN];	/* DIGEST: computed elsewhere */
};

struct snap_hashq {
	pthread_t tid;
	pthread_mutex_t mu;
	pthread_cond_t work, freed;
	struct hq_msg *head, **tail;
	struct hq_buf *free;
	struct hq_buf *cur;		/* the writer's, being filled */
	int nbufs, stop, idle, running;
	size_t pending;			/* queued since the last wakeup */
	/* the thread's alone until it is joined: */
	struct vs_buf *seal;
	struct vs_hash h;
	int in_member;
	int failed;
	struct vs_err err;
};

static void
buf_put(struct snap_hashq *q, struct hq_buf *b)
{
	/* caller holds q->mu */
	if (--b->refs > 0)
		return;
	b->used = 0;
	b->next = q->free;
	q->free = b;
	pthread_cond_signal(&q->freed);
}

static void
hash_one(struct snap_hashq *q, struct hq_msg *m)
{
	unsigned char d[VS_HASH_LEN];
	char hex[VS_HASH_HEXLEN + 1];

	if (q->failed)
		return;
	switch (m->kind) {
	case HQ_BEGIN:
		if (vs_hash_init(&q->h, &q->err) < 0 ||
		    vs_hash_update(&q->h, m->text, strlen(m->text),
		    &q->err) < 0)
			goto fail;
		q->in_member = 1;
		return;
	case HQ_DATA:
		if (vs_hash_update(&q->h, m->buf->data + m->off, m->len,
		    &q->err) < 0)
			goto fail;
		return;
	case HQ_END:
	case HQ_DIGEST:
		if (m->kind == HQ_DIGEST)
			memcpy(d, m->d, VS_HASH_LEN);
		else {
			q->in_member = 0;
			if (vs_hash_final(&q->h, d, &q->err) < 0)
				goto fail;
		}
		vs_hash_hex(d, hex);
		vs_buf_addf(q->seal, "%s ", hex);
		vs_manifest_escape(q->seal, m->text);
		vs_buf_addch(q->seal, '\n');
		return;
	}
fail:
	q->failed = 1;
}

static void *
hq_thread(void *arg)
{
	struct snap_hashq *q = arg;
	struct hq_msg *batch, *m;

	pthread_mutex_lock(&q->mu);
	for (;;) {
		while (!q->head && !q->stop) {
			q->idle = 1;
			pthread_cond_wait(&q->work, &q->mu);
		}
		q->idle = 0;
		if (!q->head)
			break;
		/* take everything queued, hash it unlocked */
		batch = q->head;
		q->head = NULL;
		q->tail = &q->head;
		pthread_mutex_unlock(&q->mu);
		for (m = batch; m; m = m->next)
			hash_one(q, m);
		pthread_mutex_lock(&q->mu);
		while ((m = batch) != NULL) {
			batch = m->next;
			if (m->buf)
				buf_put(q, m->buf);
			free(m->text);
			free(m);
		}
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

struct snap_hashq *
snap_hashq_new(struct vs_buf *seal, struct vs_err *err)
{
	struct snap_hashq *q = xcalloc(1, sizeof(*q));
	int e;

	q->seal = seal;
	q->tail = &q->head;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->work, NULL);
	pthread_cond_init(&q->freed, NULL);
	e = pthread_create(&q->tid, NULL, hq_thread, q);
	if (e) {
		pthread_mutex_destroy(&q->mu);
		pthread_cond_destroy(&q->work);
		pthread_cond_destroy(&q->freed);
		free(q);
		errno = e;
		vs_err_sys(err, "cannot start the hashing thread");
		return NULL;
	}
	q->running = 1;
	return q;
}

/*
 * Queue m.  The thread is woken only once a batch is worth it (HQ_BATCH
 * bytes, or when the writer waits for a buffer, or at the end): waking
 * it for every small file made the two threads ping-pong on one CPU,
 * each switch costing more than hashing a small file does.
 */
#define HQ_BATCH	(256 << 10)

static void
enqueue(struct snap_hashq *q, struct hq_msg *m)
{
	pthread_mutex_lock(&q->mu);
	if (m->buf)
		m->buf->refs++;
	*q->tail = m;
	q->tail = &m->next;
	q->pending += m->len + 64;
	if (q->idle && q->pending >= HQ_BATCH) {
		q->pending = 0;
		pthread_cond_signal(&q->work);
	}
	pthread_mutex_unlock(&q->mu);
}

void
snap_hashq_begin(struct snap_hashq *q, const char *line)
{
	struct hq_msg *m = xcalloc(1, sizeof(*m));

	m->kind = HQ_BEGIN;
	m->text = xstrdup(line);
	enqueue(q, m);
}

void
snap_hashq_end(struct snap_hashq *q, const char *name)
{
	struct hq_msg *m = xcalloc(1, sizeof(*m));

	m->kind = HQ_END;
	m->text = xstrdup(name);
	enqueue(q, m);
}

void
snap_hashq_digest(struct snap_hashq *q, const unsigned char d[VS_HASH_LEN],
    const char *name)
{
	struct hq_msg *m = xcalloc(1, sizeof(*m));

	m->kind = HQ_DIGEST;
	memcpy(m->d, d, VS_HASH_LEN);
	m->text = xstrdup(name);
	enqueue(q, m);
}

unsigned char *
snap_hashq_space(struct snap_hashq *q, size_t *room)
{
	struct hq_buf *b = q->cur;

	if (b && HQ_BUFSZ - b->used >= HQ_MINROOM) {
		*room = HQ_BUFSZ - b->used;
		return b->data + b->used;
	}
	pthread_mutex_lock(&q->mu);
	if (b)
		buf_put(q, b);		/* the writer's reference */
	while (!q->free && q->nbufs >= HQ_NBUFS) {
		if (q->idle) {
			q->pending = 0;
			pthread_cond_signal(&q->work);
		}
		pthread_cond_wait(&q->freed, &q->mu);
	}
	if (q->free) {
		b = q->free;
		q->free = b->next;
	} else {
		b = xcalloc(1, sizeof(*b));
		b->data = xmalloc(HQ_BUFSZ);
		q->nbufs++;
	}
	b->refs = 1;
	b->used = 0;
	pthread_mutex_unlock(&q->mu);
	q->cur = b;
	*room = HQ_BUFSZ;
	return b->data;
}

void
snap_hashq_commit(struct snap_hashq *q, size_t n)
{
	struct hq_msg *m;

	if (!n)
		return;
	m = xcalloc(1, sizeof(*m));
	m->kind = HQ_DATA;
	m->buf = q->cur;
	m->off = q->cur->used;
	m->len = n;
	q->cur->used += n;
	enqueue(q, m);
}

void
snap_hashq_data(struct snap_hashq *q, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len > 0) {
		size_t room, k;
		unsigned char *dst = snap_hashq_space(q, &room);

		k = len < room ? len : room;
		memcpy(dst, p, k);
		snap_hashq_commit(q, k);
		p += k;
		len -= k;
	}
}

/* Stop the thread after everything queued is hashed; join it. */
static void
hq_join(struct snap_hashq *q)
{
	pthread_mutex_lock(&q->mu);
	q->stop = 1;
	pthread_cond_signal(&q->work);
	pthread_mutex_unlock(&q->mu);
	pthread_join(q->tid, NULL);
	q->running = 0;
}

int
snap_hashq_finish(struct snap_hashq *q, struct vs_err *err)
{
	hq_join(q);
	if (q->failed)
		return vs_err_set(err, q->err.errnum ? q->err.errnum : EIO,
		    "%s", q->err.msg);
	return 0;
}

void
snap_hashq_free(struct snap_hashq *q)
{
	struct hq_buf *b;

	if (!q)
		return;
	if (q->running)
		hq_join(q);
	if (q->in_member)
		vs_hash_release(&q->h);
	if (q->cur && --q->cur->refs == 0) {
		q->cur->next = q->free;
		q->free = q->cur;
	}
	while ((b = q->free) != NULL) {
		q->free = b->next;
		free(b->data);
		free(b);
	}
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->work);
	pthread_cond_destroy(&q->freed);
	free(q);
}
