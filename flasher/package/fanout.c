/* See fanout.h.
 *
 * Slot i of the file (bytes i * RF_FANOUT_SLOT onwards) lives in ring
 * buffer i % RF_FANOUT_SLOTS.  `prod` counts the slots read, each
 * consumer's `done` the slots it finished; the reader waits while the
 * slowest consumer is RF_FANOUT_SLOTS behind, a consumer while it has
 * caught up with the reader.  One lock, two conditions (more data, more
 * room): a few thousand lock round trips for a gigabyte. */
#include "fanout.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct fanout;

struct worker {
	struct fanout *f;
	const struct rf_fanout_consumer *c;
	uint64_t done;   /* slots finished (under mu) */
	pthread_t th;
	int on;
};

struct fanout {
	pthread_mutex_t mu;
	pthread_cond_t more; /* a slot was published, or the end, or stop */
	pthread_cond_t room; /* a consumer finished a slot, or stop */
	unsigned char *buf[RF_FANOUT_SLOTS];
	size_t len[RF_FANOUT_SLOTS];
	uint64_t prod;       /* slots published */
	int eof;             /* no slot will follow */
	int stop;            /* an error: everyone gives up */
	int rc;              /* the first error ... */
	char err[RF_ERRLEN]; /* ... and its message */
	struct worker w[RF_FANOUT_MAX];
	size_t n;
};

/* Record the first error and stop everyone.  Under mu. */
static void fail_locked(struct fanout *f, int rc, const char *msg)
{
	if (!f->rc) {
		f->rc = rc;
		snprintf(f->err, sizeof f->err, "%s", msg);
	}
	f->stop = 1;
	pthread_cond_broadcast(&f->more);
	pthread_cond_broadcast(&f->room);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct fanout *f = w->f;
	char err[RF_ERRLEN];

	pthread_mutex_lock(&f->mu);
	for (;;) {
		while (w->done == f->prod && !f->eof && !f->stop)
			pthread_cond_wait(&f->more, &f->mu);
		if (f->stop || w->done == f->prod)
			break;
		unsigned k = (unsigned)(w->done % RF_FANOUT_SLOTS);
		uint64_t off = w->done * RF_FANOUT_SLOT;
		pthread_mutex_unlock(&f->mu);
		/* the reader leaves this buffer alone until `done` passes it */
		err[0] = 0;
		int rc = w->c->eat(w->c->user, f->buf[k], f->len[k], off, err);
		pthread_mutex_lock(&f->mu);
		if (rc) {
			fail_locked(f, rc, err[0] ? err : rf_strerror(rc));
			break;
		}
		w->done++;
		pthread_cond_signal(&f->room);
	}
	pthread_mutex_unlock(&f->mu);
	return NULL;
}

/* Slots every consumer has finished.  Under mu. */
static uint64_t slowest(const struct fanout *f)
{
	uint64_t m = f->prod;
	for (size_t i = 0; i < f->n; i++)
		if (f->w[i].done < m)
			m = f->w[i].done;
	return m;
}

/* Exactly len bytes at off. */
static int pread_full(int fd, unsigned char *p, size_t len, uint64_t off,
		      char *err)
{
	size_t got = 0;
	while (got < len) {
		ssize_t r = pread(fd, p + got, len - got, (off_t)(off + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return rf_errf(err, RF_ESYS, "read: %s", strerror(errno));
		if (r == 0)
			return rf_errf(err, RF_EFORMAT, "the file ends at %llu "
				       "bytes, %llu were expected (it changed?)",
				       (unsigned long long)(off + got),
				       (unsigned long long)(off + len));
		got += (size_t)r;
	}
	return RF_OK;
}

/* Wait for a free buffer for slot `i`; RF_OK, or stop (f->stop set).
 * Reports progress on the way.  Takes and leaves mu unlocked. */
static int wait_room(struct fanout *f, uint64_t i, uint64_t size,
		     const struct rf_fanout_opts *o)
{
	uint64_t done;
	int stopped;

	pthread_mutex_lock(&f->mu);
	while (!f->stop && i - slowest(f) >= RF_FANOUT_SLOTS)
		pthread_cond_wait(&f->room, &f->mu);
	stopped = f->stop;
	done = slowest(f) * RF_FANOUT_SLOT;
	pthread_mutex_unlock(&f->mu);
	if (!stopped && o && o->progress)
		o->progress(o->progress_user, done < size ? done : size, size);
	return stopped ? RF_EINTR : RF_OK;
}

/* The caller's part: read every slot, publish it. */
static void read_all(struct fanout *f, int fd, uint64_t size,
		     const struct rf_fanout_opts *o)
{
	char err[RF_ERRLEN];
	uint64_t i = 0;

	for (uint64_t off = 0; off < size; off += RF_FANOUT_SLOT, i++) {
		unsigned k = (unsigned)(i % RF_FANOUT_SLOTS);
		size_t len = size - off < RF_FANOUT_SLOT ?
			(size_t)(size - off) : RF_FANOUT_SLOT;
		int rc = wait_room(f, i, size, o);
		if (rc)
			return;
		if (o && o->stop && *o->stop)
			rc = rf_errf(err, RF_EINTR, "interrupted");
		else
			rc = pread_full(fd, f->buf[k], len, off, err);
		pthread_mutex_lock(&f->mu);
		if (rc) {
			fail_locked(f, rc, err);
			pthread_mutex_unlock(&f->mu);
			return;
		}
		f->len[k] = len;
		f->prod++;
		pthread_cond_broadcast(&f->more);
		pthread_mutex_unlock(&f->mu);
	}
}

int rf_fanout_file(int fd, uint64_t size, const struct rf_fanout_consumer *c,
		   size_t n, const struct rf_fanout_opts *o, char *err)
{
	struct fanout *f;
	int rc;

	if (n == 0 || n > RF_FANOUT_MAX)
		return rf_errf(err, RF_EINVAL, "%zu consumers", n);
	f = calloc(1, sizeof *f);
	if (!f)
		return rf_errf(err, RF_ENOMEM, "out of memory");
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->more, NULL);
	pthread_cond_init(&f->room, NULL);
	f->n = n;
	for (unsigned k = 0; k < RF_FANOUT_SLOTS; k++) {
		f->buf[k] = malloc(RF_FANOUT_SLOT);
		if (!f->buf[k]) {
			f->rc = rf_errf(f->err, RF_ENOMEM, "out of memory");
			goto out;
		}
	}
	for (size_t i = 0; i < n; i++) {
		f->w[i].f = f;
		f->w[i].c = &c[i];
		if (pthread_create(&f->w[i].th, NULL, worker_main, &f->w[i])) {
			pthread_mutex_lock(&f->mu);
			fail_locked(f, RF_ESYS, "cannot start a thread");
			pthread_mutex_unlock(&f->mu);
			break;
		}
		f->w[i].on = 1;
	}
	if (!f->stop)
		read_all(f, fd, size, o);
	pthread_mutex_lock(&f->mu);
	f->eof = 1;
	pthread_cond_broadcast(&f->more);
	pthread_mutex_unlock(&f->mu);
out:
	for (size_t i = 0; i < n; i++)
		if (f->w[i].on)
			pthread_join(f->w[i].th, NULL);
	if (!f->rc && o && o->progress)
		o->progress(o->progress_user, size, size);
	rc = f->rc;
	if (rc)
		rf_errf(err, rc, "%s", f->err);
	for (unsigned k = 0; k < RF_FANOUT_SLOTS; k++)
		free(f->buf[k]);
	pthread_cond_destroy(&f->room);
	pthread_cond_destroy(&f->more);
	pthread_mutex_destroy(&f->mu);
	free(f);
	return rc;
}
