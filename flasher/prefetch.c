/* Read-ahead thread over a forward reader.  See prefetch.h. */
#include "prefetch.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NSLOT 8
#define SLOT_SZ (1024 * 1024)

struct rf_prefetch {
	rf_read_fn rd;
	void *ctx;
	uint64_t size, fetched;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned char *slot[NSLOT];
	size_t len[NSLOT];
	uint64_t produced, consumed; /* slots */
	size_t off;                  /* into the slot being consumed */
	int eof, stop, rc;
};

static void *producer(void *arg)
{
	struct rf_prefetch *p = arg;
	for (;;) {
		size_t k, want, got = 0;
		int rc = RF_OK;

		pthread_mutex_lock(&p->mu);
		while (p->produced - p->consumed == NSLOT && !p->stop)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->stop) {
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
		k = p->produced % NSLOT;
		pthread_mutex_unlock(&p->mu);

		want = p->size - p->fetched < SLOT_SZ ? (size_t)(p->size - p->fetched) : SLOT_SZ;
		/* fill the slot (readers may return less than asked) */
		while (want && got < want) {
			size_t n = 0;
			rc = p->rd(p->ctx, p->slot[k] + got, want - got, &n);
			if (rc || !n)
				break;
			got += n;
		}

		pthread_mutex_lock(&p->mu);
		p->fetched += got;
		p->len[k] = got;
		if (got)
			p->produced++;
		if (rc) {
			p->rc = rc;
			p->eof = 1;
		} else if (got < SLOT_SZ || p->fetched == p->size) {
			p->eof = 1;
		}
		pthread_cond_broadcast(&p->cv);
		if (p->eof) {
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
		pthread_mutex_unlock(&p->mu);
	}
}

int rf_prefetch_start(struct rf_prefetch **out, rf_read_fn rd, void *ctx,
		      uint64_t size, char *err)
{
	struct rf_prefetch *p = calloc(1, sizeof *p);
	int i;
	*out = NULL;
	if (!p)
		return rf_errf(err, RF_ENOMEM, "out of memory");
	p->rd = rd;
	p->ctx = ctx;
	p->size = size;
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
	free(p);
	return rf_errf(err, RF_ENOMEM, "out of memory for the read-ahead");
}

int rf_prefetch_read(void *arg, void *buf, size_t len, size_t *got)
{
	struct rf_prefetch *p = arg;
	size_t done = 0;

	pthread_mutex_lock(&p->mu);
	while (done < len) {
		size_t k, n;
		while (p->consumed == p->produced && !p->eof)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->consumed == p->produced)
			break; /* end, or the reader failed */
		k = p->consumed % NSLOT;
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
	if (!done && p->rc) {
		int rc = p->rc;
		pthread_mutex_unlock(&p->mu);
		return rc;
	}
	pthread_mutex_unlock(&p->mu);
	return RF_OK;
}

void rf_prefetch_stop(struct rf_prefetch *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->th, NULL);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	for (int i = 0; i < NSLOT; i++)
		free(p->slot[i]);
	free(p);
}
