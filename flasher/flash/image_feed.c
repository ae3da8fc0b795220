/* The shared window of images.  See image_feed.h.
 *
 * Positions are offsets into the run's images laid end to end.  The
 * window is a ring of slots holding [tail, head) of that stream, each slot
 * a piece of one image.  A reader copies out of a slot without the lock:
 * the slot cannot be reused while the reader's position is inside it,
 * since reuse waits for every attached reader to have passed it. */
#include "image_feed.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pkg_stream.h"
#include "rf_str.h"

#define NONE ((size_t)-1)

struct slot {
	unsigned char *buf;
	uint64_t start;
	size_t len;
};

struct rf_feed_rd {
	struct rf_feed *f;
	struct rf_feed_rd *next;
	size_t k;              /* current image (NONE before the first) */
	uint64_t pos, end;     /* cursor, end of image k */
	int attached;          /* holds the window back */
	int in_copy;           /* copying out of a slot right now */
	int detach_req;        /* told to read on its own */
	int waiting;           /* waiting for the producer */
	struct rf_pkg_stream *ps; /* reading on its own */
	rf_read_fn prd;
	void *pctx;
	char err[RF_ERRLEN];
};

struct rf_feed {
	struct rf_feed_opts o;
	uint64_t *base, *size;
	struct slot *slot;
	size_t nslots;
	uint64_t tail_seq, head_seq;
	uint64_t head_off;     /* end of what was produced */
	int err_rc;            /* the producer failed at err_off */
	uint64_t err_off;
	char err[RF_ERRLEN];
	int quit, finished;
	pthread_t th;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t data;   /* readers wait for data */
	pthread_cond_t room;   /* the producer waits for a slot or a reader */
	struct rf_feed_rd *readers;
	struct rf_feed_stats st;
};

static uint64_t tail_off(const struct rf_feed *f)
{
	return f->tail_seq < f->head_seq ? f->slot[f->tail_seq % f->nslots].start : f->head_off;
}

/* Reuse every slot all attached readers have passed.  Under the lock. */
static void release(struct rf_feed *f)
{
	uint64_t min = UINT64_MAX;
	for (struct rf_feed_rd *r = f->readers; r; r = r->next)
		if ((r->attached || r->in_copy) && r->pos < min)
			min = r->pos;
	while (f->tail_seq < f->head_seq) {
		const struct slot *s = &f->slot[f->tail_seq % f->nslots];
		if (s->start + s->len > min)
			break;
		f->tail_seq++;
	}
	pthread_cond_broadcast(&f->room);
}

static int attached_readers(const struct rf_feed *f)
{
	for (const struct rf_feed_rd *r = f->readers; r; r = r->next)
		if (r->attached)
			return 1;
	return 0;
}

static int someone_waiting(const struct rf_feed *f)
{
	for (const struct rf_feed_rd *r = f->readers; r; r = r->next)
		if (r->attached && r->waiting)
			return 1;
	return 0;
}

/* The window is full, held by the readers in its oldest slot, while
 * another waits: those go on on their own. */
static void detach_laggards(struct rf_feed *f)
{
	const struct slot *s = &f->slot[f->tail_seq % f->nslots];
	for (struct rf_feed_rd *r = f->readers; r; r = r->next)
		if (r->attached && r->pos < s->start + s->len) {
			r->detach_req = 1;
			r->attached = 0;
			f->st.detaches++;
		}
	release(f);
}

static void deadline_in(struct timespec *ts, unsigned ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* A free slot for the producer, once a reader will want it.  Under the
 * lock; NULL when told to quit. */
static struct slot *free_slot(struct rf_feed *f)
{
	struct timespec until;
	int timing = 0;

	while (!f->quit) {
		int full = f->head_seq - f->tail_seq >= f->nslots;
		if (!full && attached_readers(f))
			break;
		if (full && someone_waiting(f)) {
			if (!timing) {
				deadline_in(&until, f->o.grace_ms);
				timing = 1;
			}
			if (pthread_cond_timedwait(&f->room, &f->mu, &until) == ETIMEDOUT) {
				timing = 0; /* a new grace period after this one */
				if (f->head_seq - f->tail_seq >= f->nslots && someone_waiting(f))
					detach_laggards(f);
			}
			continue;
		}
		timing = 0;
		pthread_cond_wait(&f->room, &f->mu);
	}
	if (f->quit)
		return NULL;
	struct slot *s = &f->slot[f->head_seq % f->nslots];
	if (!s->buf) {
		if (!(s->buf = malloc(RF_FEED_SLOT)))
			return NULL;
		f->st.peak_slots++;
	}
	return s;
}

static void fail_at(struct rf_feed *f, uint64_t off, int rc, const char *msg)
{
	pthread_mutex_lock(&f->mu);
	f->err_rc = rc;
	f->err_off = off;
	rf_strlcpy(f->err, msg, sizeof f->err);
	pthread_cond_broadcast(&f->data);
	pthread_mutex_unlock(&f->mu);
}

/* Read exactly len bytes (the image's reader may return less per call). */
static int read_full(rf_read_fn rd, void *ctx, unsigned char *buf, size_t len)
{
	size_t have = 0;
	while (have < len) {
		size_t got = 0;
		int rc = rd(ctx, buf + have, len - have, &got);
		if (rc)
			return rc;
		if (!got)
			return RF_EFORMAT;
		have += got;
	}
	return RF_OK;
}

/* One image into the window, slot by slot.  Returns 0 to go on. */
static int produce_image(struct rf_feed *f, struct rf_pkg_stream *ps, size_t k)
{
	rf_read_fn rd;
	void *ctx;
	uint64_t sz, off = 0;
	int rc = rf_pkg_stream_image(ps, f->o.order[k], &rd, &ctx, &sz);

	if (!rc && sz != f->size[k])
		rc = RF_EFORMAT;
	if (rc) {
		fail_at(f, f->base[k], rc, rf_pkg_stream_err(ps));
		return -1;
	}
	while (off < sz) {
		size_t len = sz - off < RF_FEED_SLOT ? (size_t)(sz - off) : RF_FEED_SLOT;
		struct slot *s;
		pthread_mutex_lock(&f->mu);
		s = free_slot(f);
		pthread_mutex_unlock(&f->mu);
		if (!s) {
			if (!f->quit)
				fail_at(f, f->base[k] + off, RF_ENOMEM, "out of memory");
			return -1;
		}
		rc = read_full(rd, ctx, s->buf, len);
		if (rc) {
			fail_at(f, f->base[k] + off, rc, rc == RF_EFORMAT && !rf_pkg_stream_err(ps)[0]
				? "the image ended early" : rf_pkg_stream_err(ps));
			return -1;
		}
		pthread_mutex_lock(&f->mu);
		s->start = f->base[k] + off;
		s->len = len;
		f->head_seq++;
		f->head_off = s->start + len;
		f->st.produced += len;
		pthread_cond_broadcast(&f->data);
		pthread_mutex_unlock(&f->mu);
		off += len;
	}
	return 0;
}

static void *producer(void *arg)
{
	struct rf_feed *f = arg;
	struct rf_pkg_stream *ps = NULL;
	struct rf_pkg_stream_opts po;
	char err[RF_ERRLEN];
	int rc;

	memset(&po, 0, sizeof po);
	po.order = f->o.order;
	po.norder = f->o.n;
	po.cancel = f->o.stop;
	rc = rf_pkg_stream_open(&ps, f->o.pkg, &po, err);
	if (rc) {
		fail_at(f, 0, rc, err);
		goto out;
	}
	for (size_t k = 0; k < f->o.n; k++) {
		/* Ctrl-C: no new image (the one under way was finished) */
		if (k > 0 && f->o.stop && *f->o.stop) {
			fail_at(f, f->base[k], RF_EINTR, "interrupted");
			break;
		}
		if (produce_image(f, ps, k))
			break;
	}
out:
	pthread_mutex_lock(&f->mu);
	f->finished = 1;
	pthread_cond_broadcast(&f->data);
	pthread_mutex_unlock(&f->mu);
	rf_pkg_stream_close(ps);
	return NULL;
}

static void feed_free(struct rf_feed *f)
{
	for (size_t i = 0; f->slot && i < f->nslots; i++)
		free(f->slot[i].buf);
	free(f->slot);
	free(f->base);
	free(f->size);
	pthread_mutex_destroy(&f->mu);
	pthread_cond_destroy(&f->data);
	pthread_cond_destroy(&f->room);
	free(f);
}

int rf_feed_start(struct rf_feed **out, const struct rf_feed_opts *o, char *err)
{
	struct rf_feed *f = calloc(1, sizeof *f);
	uint64_t at = 0;

	*out = NULL;
	if (!f)
		return rf_errf(err, RF_ENOMEM, "out of memory");
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->data, NULL);
	pthread_cond_init(&f->room, NULL);
	f->o = *o;
	if (!f->o.window)
		f->o.window = 16u << 20;
	if (!f->o.grace_ms)
		f->o.grace_ms = 200;
	f->nslots = (f->o.window + RF_FEED_SLOT - 1) / RF_FEED_SLOT;
	if (f->nslots < 2)
		f->nslots = 2;
	f->base = calloc(o->n + 1, sizeof *f->base);
	f->size = calloc(o->n + 1, sizeof *f->size);
	f->slot = calloc(f->nslots, sizeof *f->slot);
	if (!f->base || !f->size || !f->slot) {
		feed_free(f);
		return rf_errf(err, RF_ENOMEM, "out of memory");
	}
	for (size_t k = 0; k < o->n; k++) {
		const struct rf_pkg_file *pf = rf_pkg_find(o->pkg, o->order[k]);
		if (!pf) {
			feed_free(f);
			return rf_errf(err, RF_EFORMAT, "%s is not in the package", o->order[k]);
		}
		f->base[k] = at;
		f->size[k] = pf->size;
		at += pf->size;
	}
	if (o->n && pthread_create(&f->th, NULL, producer, f)) {
		feed_free(f);
		return rf_errf(err, RF_ESYS, "cannot start the package reader thread");
	}
	f->started = o->n > 0;
	*out = f;
	return RF_OK;
}

struct rf_feed_rd *rf_feed_reader(struct rf_feed *f, size_t first)
{
	struct rf_feed_rd *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->f = f;
	r->k = NONE;
	pthread_mutex_lock(&f->mu);
	if (first < f->o.n) {
		r->pos = f->base[first];
		r->attached = r->pos >= tail_off(f) && r->pos < f->head_off + f->o.window;
	}
	r->next = f->readers;
	f->readers = r;
	pthread_mutex_unlock(&f->mu);
	return r;
}

static void close_private(struct rf_feed_rd *r)
{
	rf_pkg_stream_close(r->ps);
	r->ps = NULL;
}

int rf_feed_image(struct rf_feed_rd *r, size_t k, uint64_t *size, char *err)
{
	struct rf_feed *f = r->f;

	if (k >= f->o.n || (r->k != NONE && k <= r->k))
		return rf_errf(err, RF_EINVAL, "internal: image %zu out of order", k);
	close_private(r);
	pthread_mutex_lock(&f->mu);
	r->k = k;
	r->pos = f->base[k];
	r->end = f->base[k] + f->size[k];
	r->detach_req = 0;
	/* join the window if it still holds the image's start or will soon */
	r->attached = r->pos >= tail_off(f) && r->pos < f->head_off + f->o.window;
	release(f);
	pthread_mutex_unlock(&f->mu);
	*size = f->size[k];
	return RF_OK;
}

/* Reading on its own: a stream of its own over the package, positioned
 * at the reader's place in image k. */
static int open_private(struct rf_feed_rd *r)
{
	struct rf_feed *f = r->f;
	struct rf_pkg_stream_opts po;
	const char *one[1] = { f->o.order[r->k] };
	uint64_t sz, skip = r->pos - f->base[r->k];
	const size_t cap = 256 * 1024;
	unsigned char *scratch = skip ? malloc(cap) : NULL;
	int rc;

	if (skip && !scratch)
		return rf_errf(r->err, RF_ENOMEM, "out of memory");

	memset(&po, 0, sizeof po);
	po.order = one;
	po.norder = 1;
	po.cancel = f->o.stop;
	po.par_min = UINT64_MAX; /* one inflate thread: many phones may do this */
	rc = rf_pkg_stream_open(&r->ps, f->o.pkg, &po, r->err);
	if (!rc && (rc = rf_pkg_stream_image(r->ps, one[0], &r->prd, &r->pctx, &sz)))
		rf_strlcpy(r->err, rf_pkg_stream_err(r->ps), sizeof r->err);
	while (!rc && skip) {
		size_t got = 0, want = skip < cap ? (size_t)skip : cap;
		rc = r->prd(r->pctx, scratch, want, &got);
		if (!rc && !got)
			rc = RF_EFORMAT;
		skip -= got;
	}
	if (rc && !r->err[0])
		rf_strlcpy(r->err, r->ps ? rf_pkg_stream_err(r->ps) : "cannot read the package",
			   sizeof r->err);
	free(scratch);
	pthread_mutex_lock(&f->mu);
	f->st.private_opens++;
	pthread_mutex_unlock(&f->mu);
	return rc;
}

static int read_private(struct rf_feed_rd *r, void *buf, size_t len, size_t *got)
{
	struct rf_feed *f = r->f;
	int rc = RF_OK;
	if (!r->ps)
		rc = open_private(r);
	if (!rc && (rc = r->prd(r->pctx, buf, len, got)))
		rf_strlcpy(r->err, rf_pkg_stream_err(r->ps), sizeof r->err);
	if (rc)
		return rc;
	r->pos += *got;
	pthread_mutex_lock(&f->mu);
	f->st.private_bytes += *got;
	pthread_mutex_unlock(&f->mu);
	return RF_OK;
}

static const struct slot *slot_at(const struct rf_feed *f, uint64_t pos)
{
	for (uint64_t q = f->tail_seq; q < f->head_seq; q++) {
		const struct slot *s = &f->slot[q % f->nslots];
		if (pos >= s->start && pos < s->start + s->len)
			return s;
	}
	return NULL;
}

int rf_feed_read(void *ctx, void *buf, size_t len, size_t *got)
{
	struct rf_feed_rd *r = ctx;
	struct rf_feed *f = r->f;
	const struct slot *s;
	size_t n;

	*got = 0;
	r->err[0] = 0;
	if (r->k == NONE || r->pos >= r->end)
		return RF_OK;
	if (len > r->end - r->pos)
		len = (size_t)(r->end - r->pos);
	pthread_mutex_lock(&f->mu);
	for (;;) {
		if (!r->attached || r->detach_req) {
			r->attached = 0;
			release(f);
			pthread_mutex_unlock(&f->mu);
			return read_private(r, buf, len, got);
		}
		if (f->err_rc && r->pos >= f->err_off) {
			int rc = f->err_rc;
			rf_strlcpy(r->err, f->err, sizeof r->err);
			pthread_mutex_unlock(&f->mu);
			return rc;
		}
		if (r->pos < f->head_off)
			break;
		if (f->finished) {
			pthread_mutex_unlock(&f->mu);
			return rf_errf(r->err, RF_EFORMAT, "internal: the package reader stopped early");
		}
		r->waiting = 1;
		pthread_cond_broadcast(&f->room); /* the producer may be timing a laggard */
		pthread_cond_wait(&f->data, &f->mu);
		r->waiting = 0;
	}
	s = slot_at(f, r->pos);
	n = s->start + s->len - r->pos;
	if (n > len)
		n = len;
	r->in_copy = 1;
	pthread_mutex_unlock(&f->mu);
	memcpy(buf, s->buf + (r->pos - s->start), n);
	pthread_mutex_lock(&f->mu);
	r->in_copy = 0;
	r->pos += n;
	release(f);
	pthread_mutex_unlock(&f->mu);
	*got = n;
	return RF_OK;
}

const char *rf_feed_err(const struct rf_feed_rd *r)
{
	return r->err;
}

void rf_feed_leave(struct rf_feed_rd *r)
{
	struct rf_feed *f;
	if (!r)
		return;
	f = r->f;
	pthread_mutex_lock(&f->mu);
	for (struct rf_feed_rd **p = &f->readers; *p; p = &(*p)->next)
		if (*p == r) {
			*p = r->next;
			break;
		}
	release(f);
	pthread_mutex_unlock(&f->mu);
	close_private(r);
	free(r);
}

void rf_feed_stats(struct rf_feed *f, struct rf_feed_stats *st)
{
	pthread_mutex_lock(&f->mu);
	*st = f->st;
	pthread_mutex_unlock(&f->mu);
}

void rf_feed_stop(struct rf_feed *f)
{
	if (!f)
		return;
	pthread_mutex_lock(&f->mu);
	f->quit = 1;
	pthread_cond_broadcast(&f->room);
	pthread_cond_broadcast(&f->data);
	pthread_mutex_unlock(&f->mu);
	if (f->started)
		pthread_join(f->th, NULL);
	feed_free(f);
}
