/* The download's progress as a reader beside it sees it, and the MD5
 * thread, the first such reader: it hashes the .part from page cache
 * behind the writer, so the digest is ready when the last byte is. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dl_internal.h"
#include "rf_str.h"

#define HASH_CHUNK (1u << 20)

int rf_dl_watch_init(struct rf_dl_watch *w)
{
	pthread_condattr_t ca;
	memset(w, 0, sizeof *w);
	if (pthread_mutex_init(&w->lock, NULL))
		return RF_ENOMEM;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (pthread_cond_init(&w->cond, &ca)) {
		pthread_condattr_destroy(&ca);
		pthread_mutex_destroy(&w->lock);
		return RF_ENOMEM;
	}
	pthread_condattr_destroy(&ca);
	w->wake_at = UINT64_MAX;
	return RF_OK;
}

/* Under w->lock: a waiter wants to be woken at `want` bytes. */
static void want_bytes(struct rf_dl_watch *w, uint64_t want)
{
	if (want < w->wake_at)
		w->wake_at = want;
}

void rf_dl_watch_destroy(struct rf_dl_watch *w)
{
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
}

static void snap(const struct rf_dl_watch *w, struct rf_dl_snap *s)
{
	s->written = w->written;
	s->total = w->total;
	s->generation = w->generation;
	s->state = w->state;
	s->begun = w->begun;
}

static struct timespec deadline(int timeout_ms)
{
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	if (timeout_ms >= 0) {
		until.tv_sec += timeout_ms / 1000;
		until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
	}
	return until;
}

/* Under w->lock: 0 when the wait timed out. */
static int cond_wait(struct rf_dl_watch *w, int timeout_ms, const struct timespec *until)
{
	if (timeout_ms < 0)
		return !pthread_cond_wait(&w->cond, &w->lock);
	return pthread_cond_timedwait(&w->cond, &w->lock, until) != ETIMEDOUT;
}

void rf_dl_watch_wait(struct rf_dl_watch *w, uint64_t have, unsigned gen,
		      int timeout_ms, struct rf_dl_snap *s)
{
	struct timespec until = deadline(timeout_ms);
	pthread_mutex_lock(&w->lock);
	while (w->written <= have && w->generation == gen && w->state == RF_DL_RUNNING) {
		want_bytes(w, have + 1);
		if (!cond_wait(w, timeout_ms, &until))
			break;
	}
	snap(w, s);
	pthread_mutex_unlock(&w->lock);
}

void rf_dl_watch_wait_begun(struct rf_dl_watch *w, int timeout_ms, struct rf_dl_snap *s)
{
	struct timespec until = deadline(timeout_ms);
	pthread_mutex_lock(&w->lock);
	while (!w->begun && w->state == RF_DL_RUNNING)
		if (!cond_wait(w, timeout_ms, &until))
			break;
	snap(w, s);
	pthread_mutex_unlock(&w->lock);
}

void dl_watch_begin(struct rf_dl_watch *w, const char *part, const char *path,
		    uint64_t written, uint64_t total)
{
	pthread_mutex_lock(&w->lock);
	rf_strlcpy(w->part, part, sizeof w->part);
	rf_strlcpy(w->path, path, sizeof w->path);
	w->written = written;
	w->total = total;
	w->begun = 1;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

void dl_watch_set(struct rf_dl_watch *w, uint64_t written, uint64_t total)
{
	pthread_mutex_lock(&w->lock);
	w->written = written;
	w->total = total;
	if (written >= w->wake_at) {
		w->wake_at = UINT64_MAX; /* each waiter asks again */
		pthread_cond_broadcast(&w->cond);
	}
	pthread_mutex_unlock(&w->lock);
}

void dl_watch_restart(struct rf_dl_watch *w, uint64_t total)
{
	pthread_mutex_lock(&w->lock);
	w->written = 0;
	w->total = total;
	w->generation++;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

void dl_watch_end(struct rf_dl_watch *w, enum rf_dl_state st, const char *path,
		  const char *md5)
{
	pthread_mutex_lock(&w->lock);
	w->state = st;
	if (path)
		rf_strlcpy(w->path, path, sizeof w->path);
	if (md5)
		rf_strlcpy(w->md5, md5, sizeof w->md5);
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

static ssize_t pread_full(int fd, void *buf, size_t n, uint64_t off)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = pread(fd, (char *)buf + got, n - got, (off_t)(off + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -1 : (ssize_t)got;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

static void *hasher_main(void *arg)
{
	struct dl_hasher *h = arg;
	struct rf_dl_watch *w = h->w;
	unsigned char *buf = malloc(HASH_CHUNK);

	if (!buf) {
		h->failed = 1;
		return NULL;
	}
	for (;;) {
		uint64_t written;
		unsigned gen;
		int quit;

		pthread_mutex_lock(&w->lock);
		/* a chunk at a time: fewer wake-ups and reads */
		while (w->written < h->hashed + HASH_CHUNK && w->generation == h->gen &&
		       !h->quit) {
			want_bytes(w, h->hashed + HASH_CHUNK);
			pthread_cond_wait(&w->cond, &w->lock);
		}
		written = w->written;
		gen = w->generation;
		quit = h->quit;
		pthread_mutex_unlock(&w->lock);

		if (gen != h->gen) { /* the .part started over */
			rf_md5_free(&h->md5);
			if (rf_md5_init(&h->md5)) {
				h->failed = 1;
				break;
			}
			h->gen = gen;
			h->hashed = 0;
			continue;
		}
		if (written <= h->hashed) {
			if (quit)
				break;
			continue;
		}
		size_t n = written - h->hashed > HASH_CHUNK ? HASH_CHUNK
			   : (size_t)(written - h->hashed);
		ssize_t r = pread_full(h->fd, buf, n, h->hashed);
		if (r < 0) {
			h->failed = 1;
			break;
		}
		if (r != (ssize_t)n) {
			/* shorter: truncated by a restart, whose new generation
			 * is published before the truncation (dl_truncate_part):
			 * the next round sees it */
			pthread_mutex_lock(&w->lock);
			int restarted = w->generation != h->gen;
			pthread_mutex_unlock(&w->lock);
			if (restarted)
				continue;
			h->failed = 1;
			break;
		}
		rf_md5_update(&h->md5, buf, n);
		h->hashed += n;
	}
	free(buf);
	return NULL;
}

int dl_hasher_start(struct dl_hasher *h, struct rf_dl_watch *w, const char *part,
		    char *err)
{
	memset(h, 0, sizeof *h);
	h->w = w;
	h->fd = open(part, O_RDONLY | O_CLOEXEC);
	if (h->fd < 0)
		return rf_errf(err, RF_ESYS, "%s: %s", part, strerror(errno));
	pthread_mutex_lock(&w->lock);
	h->gen = w->generation;
	pthread_mutex_unlock(&w->lock);
	if (rf_md5_init(&h->md5)) {
		close(h->fd);
		return rf_errf(err, RF_ENOMEM, "out of memory");
	}
	if (pthread_create(&h->th, NULL, hasher_main, h)) {
		rf_md5_free(&h->md5);
		close(h->fd);
		return rf_errf(err, RF_ENOMEM, "cannot start the MD5 thread");
	}
	h->running = 1;
	return RF_OK;
}

static void hasher_stop(struct dl_hasher *h)
{
	if (!h->running)
		return;
	pthread_mutex_lock(&h->w->lock);
	h->quit = 1;
	pthread_cond_broadcast(&h->w->cond);
	pthread_mutex_unlock(&h->w->lock);
	pthread_join(h->th, NULL);
	close(h->fd);
	h->running = 0;
}

int dl_hasher_finish(struct dl_hasher *h, char hex[33])
{
	hasher_stop(h);
	hex[0] = 0;
	if (h->failed) {
		rf_md5_free(&h->md5);
		return RF_ESYS;
	}
	rf_md5_final(&h->md5, hex);
	return RF_OK;
}

void dl_hasher_abort(struct dl_hasher *h)
{
	hasher_stop(h);
	rf_md5_free(&h->md5);
}
