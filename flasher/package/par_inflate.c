/* See par_inflate.h. */
#include "par_inflate.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "thread_stop.h"

#define NWORK 2
#define NSLOT 4
#define SLOT_SZ (1u << 20)

struct chunk {
	const struct rf_gz_point *pt; /* resume here ... */
	uint64_t start, end;          /* ... for these uncompressed bytes */
};

struct worker {
	struct rf_pinf *p;
	size_t first;                 /* its chunks: first, first + NWORK, ... */
	pthread_t th;
	int on;
	unsigned char *slot[NSLOT];
	size_t len[NSLOT], tag[NSLOT];
	uint64_t prod, cons;          /* slots */
	size_t off;                   /* caller: into the front slot */
};

struct rf_pinf {
	const struct rf_vfile *vf;
	struct chunk *ch;
	size_t nch;
	struct worker wk[NWORK];
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;
	int rc;                       /* first worker error ... */
	size_t rc_chunk;              /* ... in this chunk */
	char err[RF_ERRLEN];
	/* caller */
	size_t cur;                   /* chunk being read */
	uint64_t cur_done;
};

static void fail(struct rf_pinf *p, size_t j, int rc, const char *msg)
{
	pthread_mutex_lock(&p->mu);
	if (!p->rc || j < p->rc_chunk) {
		p->rc = rc;
		p->rc_chunk = j;
		snprintf(p->err, sizeof p->err, "%s", msg);
	}
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

/* Inflate chunk j into the worker's ring; 0, or -1 to stop. */
static int one_chunk(struct worker *w, size_t j)
{
	struct rf_pinf *p = w->p;
	const struct chunk *c = &p->ch[j];
	struct rf_gzr *g = NULL;
	char err[RF_ERRLEN];
	uint64_t pos = c->pt->out_off;
	const unsigned char *piece = NULL;
	size_t left = 0;
	int rc = rf_gzr_open_at(&g, p->vf, c->pt, err);

	/* resumed before the chunk (at most one index step): drop that */
	while (!rc && pos < c->start) {
		const void *b;
		if ((rc = rf_gzr_next(g, &b, &left))) {
			snprintf(err, sizeof err, "%s", rf_gzr_err(g));
		} else if (!left) {
			rc = RF_EFORMAT;
			snprintf(err, sizeof err, "the package ends early");
		} else {
			size_t n = c->start - pos < left ? (size_t)(c->start - pos) : left;
			piece = (const unsigned char *)b + n;
			left -= n;
			pos += n;
		}
	}
	while (!rc && pos < c->end) {
		size_t k, fill = 0, want;
		pthread_mutex_lock(&p->mu);
		while (w->prod - w->cons == NSLOT && !p->stop)
			pthread_cond_wait(&p->cv, &p->mu);
		int stop = p->stop;
		pthread_mutex_unlock(&p->mu);
		if (stop) {
			rf_gzr_close(g);
			return -1;
		}
		k = w->prod % NSLOT;
		want = c->end - pos < SLOT_SZ ? (size_t)(c->end - pos) : SLOT_SZ;
		while (fill < want) {
			if (!left) {
				const void *b;
				if ((rc = rf_gzr_next(g, &b, &left))) {
					snprintf(err, sizeof err, "%s", rf_gzr_err(g));
					break;
				}
				if (!left) {
					rc = RF_EFORMAT;
					snprintf(err, sizeof err, "the package ends early");
					break;
				}
				piece = b;
			}
			size_t n = want - fill < left ? want - fill : left;
			memcpy(w->slot[k] + fill, piece, n);
			piece += n;
			left -= n;
			fill += n;
			pos += n;
		}
		if (rc)
			break;
		pthread_mutex_lock(&p->mu);
		w->len[k] = fill;
		w->tag[k] = j;
		w->prod++;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
	rf_gzr_close(g);
	if (rc) {
		fail(p, j, rc, err);
		return -1;
	}
	return 0;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	for (size_t j = w->first; j < w->p->nch; j += NWORK)
		if (one_chunk(w, j))
			break;
	return NULL;
}

int rf_pinf_open(struct rf_pinf **out, const struct rf_vfile *vf,
		 const struct rf_gz_point *pts, size_t npts,
		 uint64_t off, uint64_t len, char *err)
{
	struct rf_pinf *p = calloc(1, sizeof *p);
	size_t i0 = 0;
	int rc = RF_OK;

	*out = NULL;
	if (!p)
		return rf_errf(err, RF_ENOMEM, "out of memory");
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->vf = vf;
	if (!npts || pts[0].out_off > off) {
		rc = rf_errf(err, RF_EINVAL, "internal: no resume point before the range");
		goto out;
	}
	while (i0 + 1 < npts && pts[i0 + 1].out_off <= off)
		i0++;
	/* a chunk per point inside the range, the first from the point
	 * before it */
	if (!(p->ch = calloc(npts - i0, sizeof *p->ch))) {
		rc = rf_errf(err, RF_ENOMEM, "out of memory");
		goto out;
	}
	p->ch[0] = (struct chunk){ &pts[i0], off, off + len };
	p->nch = len ? 1 : 0;
	for (size_t i = i0 + 1; len && i < npts && pts[i].out_off < off + len; i++) {
		p->ch[p->nch - 1].end = pts[i].out_off;
		p->ch[p->nch++] = (struct chunk){ &pts[i], pts[i].out_off, off + len };
	}
	for (int w = 0; w < NWORK; w++) {
		p->wk[w].p = p;
		p->wk[w].first = (size_t)w;
		for (int k = 0; k < NSLOT; k++)
			if (!(p->wk[w].slot[k] = malloc(SLOT_SZ))) {
				rc = rf_errf(err, RF_ENOMEM, "out of memory");
				goto out;
			}
	}
	for (int w = 0; w < NWORK; w++) {
		if (pthread_create(&p->wk[w].th, NULL, worker_main, &p->wk[w])) {
			rc = rf_errf(err, RF_ESYS, "cannot start a thread");
			goto out;
		}
		p->wk[w].on = 1;
	}
out:
	if (rc) {
		rf_pinf_close(p);
		return rc;
	}
	*out = p;
	return RF_OK;
}

int rf_pinf_read(void *arg, void *buf, size_t len, size_t *got)
{
	struct rf_pinf *p = arg;
	size_t done = 0;
	int rc = RF_OK;

	pthread_mutex_lock(&p->mu);
	while (done < len && p->cur < p->nch) {
		struct worker *w = &p->wk[p->cur % NWORK];
		if (w->cons < w->prod) {
			/* a worker fills its chunks in order: this is cur's */
			size_t k = w->cons % NSLOT;
			size_t n = w->len[k] - w->off;
			if (n > len - done)
				n = len - done;
			memcpy((unsigned char *)buf + done, w->slot[k] + w->off, n);
			done += n;
			w->off += n;
			p->cur_done += n;
			if (w->off == w->len[k]) {
				w->off = 0;
				w->cons++;
				pthread_cond_broadcast(&p->cv);
			}
			if (p->cur_done == p->ch[p->cur].end - p->ch[p->cur].start) {
				p->cur++;
				p->cur_done = 0;
			}
			continue;
		}
		if (p->rc && p->rc_chunk <= p->cur) {
			/* the bytes before the error first */
			if (!done)
				rc = p->rc;
			break;
		}
		pthread_cond_wait(&p->cv, &p->mu);
	}
	pthread_mutex_unlock(&p->mu);
	*got = done;
	return rc;
}

const char *rf_pinf_err(const struct rf_pinf *p)
{
	return p->err;
}

void rf_pinf_close(struct rf_pinf *p)
{
	if (!p)
		return;
	rf_thread_stop(&p->mu, &p->cv, &p->stop);
	for (int w = 0; w < NWORK; w++) {
		if (p->wk[w].on)
			pthread_join(p->wk[w].th, NULL);
		for (int k = 0; k < NSLOT; k++)
			free(p->wk[w].slot[k]);
	}
	free(p->ch);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p);
}
