/* Read-ahead thread over a sequence of forward readers.  See prefetch.h.
 *
 * One ring of slots; each slot holds bytes of one source (its tag), so
 * the consumer drops what is left of a source it finished or skipped by
 * looking at the tags at the front of the ring. */
#include "prefetch.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "thread_stop.h"

#define NSLOT 16
#define SLOT_SZ (1024 * 1024)

struct src {
	int opened;     /* the thread tried to open it */
	int complete;   /* the thread is done with it (read, failed, short) */
	int open_rc;    /* opening it failed ... */
	int rc;         /* ... or reading it */
	uint64_t size;
	char err[RF_ERRLEN];
};

struct rf_prefetch {
	rf_open_fn open;
	void *user;
	size_t n;
	struct src *src;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned char *slot[NSLOT];
	size_t len[NSLOT], tag[NSLOT];
	uint64_t produced, consumed; /* slots */
	int done, stop;              /* the thread ended / must end */
	/* consumer */
	size_t cur;
	size_t off;                  /* into the slot being consumed */
};

/* Wait for a free slot; its index, or -1 when told to stop.  Locked. */
static int free_slot(struct rf_prefetch *p)
{
	while (p->produced - p->consumed == NSLOT && !p->stop)
		pthread_cond_wait(&p->cv, &p->mu);
	return p->stop ? -1 : (int)(p->produced % NSLOT);
}

/* Read source k to its end; 0 to go on with the next source. */
static int fill(struct rf_prefetch *p, size_t k, rf_read_fn rd, void *ctx,
		const char *read_err)
{
	struct src *s = &p->src[k];
	uint64_t fetched = 0;
	while (fetched < s->size) {
		size_t want, got = 0;
		int rc = RF_OK, i;

		pthread_mutex_lock(&p->mu);
		i = free_slot(p);
		pthread_mutex_unlock(&p->mu);
		if (i < 0)
			return -1;
		want = s->size - fetched < SLOT_SZ ? (size_t)(s->size - fetched) : SLOT_SZ;
		/* readers may return less than asked */
		while (got < want) {
			size_t n = 0;
			rc = rd(ctx, p->slot[i] + got, want - got, &n);
			if (rc || !n)
				break;
			got += n;
		}
		pthread_mutex_lock(&p->mu);
		fetched += got;
		if (got) {
			p->len[i] = got;
			p->tag[i] = k;
			p->produced++;
		}
		if (rc) {
			s->rc = rc;
			snprintf(s->err, sizeof s->err, "%s",
				 read_err && read_err[0] ? read_err : rf_strerror(rc));
		}
		/* a short source ends the sequence too: its consumer sees
		 * the early end and fails the step */
		if (rc || got < want)
			s->complete = 1;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
		if (rc || got < want)
			return -1;
	}
	return 0;
}

static void *producer(void *arg)
{
	struct rf_prefetch *p = arg;
	for (size_t k = 0; k < p->n; k++) {
		rf_read_fn rd = NULL;
		void *ctx = NULL;
		uint64_t size = 0;
		const char *read_err = NULL;
		char err[RF_ERRLEN] = "";
		int rc;

		pthread_mutex_lock(&p->mu);
		int stop = p->stop;
		pthread_mutex_unlock(&p->mu);
		if (stop)
			break;
		rc = p->open(p->user, k, &rd, &ctx, &size, &read_err, err);
		pthread_mutex_lock(&p->mu);
		p->src[k].opened = 1;
		p->src[k].open_rc = rc;
		p->src[k].size = size;
		if (rc) {
			snprintf(p->src[k].err, sizeof p->src[k].err, "%s", err);
			p->src[k].complete = 1;
		}
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
		if (rc || fill(p, k, rd, ctx, read_err))
			break;
		pthread_mutex_lock(&p->mu);
		p->src[k].complete = 1;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
	pthread_mutex_lock(&p->mu);
	p->done = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

int rf_prefetch_start(struct rf_prefetch **out, rf_open_fn open, void *user,
		      size_t n, char *err)
{
	struct rf_prefetch *p = calloc(1, sizeof *p);
	int i;
	*out = NULL;
	if (!p)
		return rf_errf(err, RF_ENOMEM, "out of memory");
	p->open = open;
	p->user = user;
	p->n = n;
	if (!(p->src = calloc(n ? n : 1, sizeof *p->src)))
		goto nomem;
	for (i = 0; i < NSLOT; i++)
		if (!(p->slot[i] = malloc(SLOT_SZ)))
			goto nomem;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	if (pthread_create(&p->th, NULL, producer, p)) {
		pthread_mutex_destroy(&p->mu);
		pthread_cond_destroy(&p->cv);
		goto nomem;
	}
	*out = p;
	return RF_OK;
nomem:
	for (i = 0; i < NSLOT; i++)
		free(p->slot[i]);
	free(p->src);
	free(p);
	return rf_errf(err, RF_ENOMEM, "out of memory for the read-ahead");
}

/* Drop slots of sources before the current one.  Locked. */
static void drop_stale(struct rf_prefetch *p)
{
	int dropped = 0;
	while (p->consumed < p->produced && p->tag[p->consumed % NSLOT] < p->cur) {
		p->consumed++;
		p->off = 0;
		dropped = 1;
	}
	if (dropped)
		pthread_cond_broadcast(&p->cv);
}

int rf_prefetch_next(struct rf_prefetch *p, size_t k, uint64_t *size, char *err)
{
	int rc = RF_OK;
	*size = 0;
	pthread_mutex_lock(&p->mu);
	if (k >= p->n || (k < p->cur) ) {
		rc = rf_errf(err, RF_EINVAL, "internal: read-ahead asked for image %zu", k);
		goto out;
	}
	p->cur = k;
	p->off = 0;
	for (;;) {
		drop_stale(p);
		if (p->src[k].opened || p->done)
			break;
		pthread_cond_wait(&p->cv, &p->mu);
	}
	if (!p->src[k].opened)
		rc = rf_errf(err, RF_EINVAL, "internal: image %zu was not read", k);
	else if (p->src[k].open_rc)
		rc = rf_errf(err, p->src[k].open_rc, "%s", p->src[k].err);
	else
		*size = p->src[k].size;
out:
	pthread_mutex_unlock(&p->mu);
	return rc;
}

int rf_prefetch_read(void *arg, void *buf, size_t len, size_t *got)
{
	struct rf_prefetch *p = arg;
	struct src *s;
	size_t done = 0;
	int rc = RF_OK;

	pthread_mutex_lock(&p->mu);
	s = &p->src[p->cur];
	while (done < len) {
		size_t k, n;
		drop_stale(p);
		if (p->consumed == p->produced) {
			if (s->complete || p->done || p->stop)
				break; /* end, or the reader failed */
			pthread_cond_wait(&p->cv, &p->mu);
			continue;
		}
		k = p->consumed % NSLOT;
		if (p->tag[k] != p->cur)
			break; /* the next source's bytes: this one ended */
		n = p->len[k] - p->off;
		if (n > len - done)
			n = len - done;
		memcpy((unsigned char *)buf + done, p->slot[k] + p->off, n);
		done += n;
		p->off += n;
		if (p->off == p->len[k]) {
			p->off = 0;
			p->consumed++;
			pthread_cond_broadcast(&p->cv);
		}
	}
	*got = done;
	/* hand out what was read before an error; the error comes next */
	if (!done && s->rc)
		rc = s->rc;
	pthread_mutex_unlock(&p->mu);
	return rc;
}

const char *rf_prefetch_err(const struct rf_prefetch *p)
{
	/* written before `complete` under the lock, read after the
	 * consumer saw the error: stable */
	return p->src[p->cur].err;
}

void rf_prefetch_stop(struct rf_prefetch *p)
{
	if (!p)
		return;
	rf_thread_stop(&p->mu, &p->cv, &p->stop);
	pthread_join(p->th, NULL);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	for (int i = 0; i < NSLOT; i++)
		free(p->slot[i]);
	free(p->src);
	free(p);
}
