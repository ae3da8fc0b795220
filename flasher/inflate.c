/* See inflate.h.  The file is read into a small ring of slots; the main
 * thread inflates slot k while the hash thread digests slot k-1, so MD5
 * costs no wall time on a 2-core machine.  A slot is refilled only after
 * it was hashed; the inflater only ever holds the newest slot, and the
 * pass-through caller only the one handed out last. */
#include "inflate.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "md5.h"

#define NSLOT 4
#define SLOT_SZ (1u << 20)
#define OUT_SZ (1u << 20)

struct rf_gzr {
	int fd;
	int gunzip;
	int nohash;     /* resumed mid-file (rf_gzr_open_at): one slot */
	uint64_t file_size, bytes_read, out_total;
	struct stat sb;
	const volatile sig_atomic_t *cancel;
	/* ring shared with the hash thread */
	pthread_t th;
	int th_started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned char *slot[NSLOT];
	size_t slot_len[NSLOT];
	uint64_t produced, hashed;
	int done, stop;
	struct rf_md5 md5;
	/* reader state */
	int eof;        /* file fully read */
	int between;    /* at a gzip member boundary */
	int padding;    /* saw zero bytes after a member */
	int members;
	int finished;
	struct inflate_state st;
	unsigned char *out;
	int rc;         /* first error, sticky */
	char err[RF_ERRLEN];
};

static void *hash_main(void *arg)
{
	struct rf_gzr *g = arg;
	pthread_mutex_lock(&g->mu);
	for (;;) {
		while (g->hashed == g->produced && !g->done && !g->stop)
			pthread_cond_wait(&g->cv, &g->mu);
		if (g->stop || g->hashed == g->produced)
			break;
		size_t k = g->hashed % NSLOT;
		pthread_mutex_unlock(&g->mu);
		rf_md5_update(&g->md5, g->slot[k], g->slot_len[k]);
		pthread_mutex_lock(&g->mu);
		g->hashed++;
		pthread_cond_broadcast(&g->cv);
	}
	pthread_mutex_unlock(&g->mu);
	return NULL;
}

/* Read the next slot of the file.  *p, *n are 0 at the end of the file. */
static int fetch(struct rf_gzr *g, unsigned char **p, size_t *n)
{
	*p = NULL;
	*n = 0;
	if (g->eof)
		return RF_OK;
	if (g->cancel && *g->cancel)
		return rf_errf(g->err, RF_EINTR, "interrupted");
	size_t k = 0;
	if (!g->nohash) {
		pthread_mutex_lock(&g->mu);
		while (g->produced - g->hashed >= NSLOT)
			pthread_cond_wait(&g->cv, &g->mu);
		k = g->produced % NSLOT;
		pthread_mutex_unlock(&g->mu);
	}
	size_t got = 0;
	while (got < SLOT_SZ) {
		ssize_t r = read(g->fd, g->slot[k] + got, SLOT_SZ - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return rf_errf(g->err, RF_ESYS, "read: %s",
				       strerror(errno));
		if (r == 0) {
			g->eof = 1;
			break;
		}
		got += (size_t)r;
	}
	if (got == 0)
		return RF_OK;
	g->bytes_read += got;
	if (g->nohash) {
		*p = g->slot[k];
		*n = got;
		return RF_OK;
	}
	pthread_mutex_lock(&g->mu);
	g->slot_len[k] = got;
	g->produced++;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
	*p = g->slot[k];
	*n = got;
	return RF_OK;
}

static void stop_thread(struct rf_gzr *g, int abort)
{
	if (!g->th_started)
		return;
	pthread_mutex_lock(&g->mu);
	if (abort)
		g->stop = 1;
	g->done = 1;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
	pthread_join(g->th, NULL);
	g->th_started = 0;
}

static int open_common(struct rf_gzr **out, const char *path, int gunzip,
		       int nohash, char *err)
{
	int rc = RF_OK;
	struct rf_gzr *g = calloc(1, sizeof *g);
	*out = NULL;
	if (!g)
		return rf_errf(err, RF_ENOMEM, "out of memory");
	g->fd = -1;
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->cv, NULL);
	g->gunzip = gunzip;
	g->nohash = nohash;
	g->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (g->fd < 0) {
		rc = rf_errf(err, RF_ESYS, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(g->fd, &g->sb) < 0 || !S_ISREG(g->sb.st_mode)) {
		rc = rf_errf(err, RF_ESYS, "%s: not a regular file", path);
		goto out;
	}
	g->file_size = (uint64_t)g->sb.st_size;
	posix_fadvise(g->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	for (int i = 0; i < (nohash ? 1 : NSLOT); i++)
		if (!(g->slot[i] = malloc(SLOT_SZ))) {
			rc = rf_errf(err, RF_ENOMEM, "out of memory");
			goto out;
		}
	if (gunzip && !(g->out = malloc(OUT_SZ))) {
		rc = rf_errf(err, RF_ENOMEM, "out of memory");
		goto out;
	}
	if (nohash)
		goto ready;
	if (rf_md5_init(&g->md5) != RF_OK) {
		rc = rf_errf(err, RF_ENOMEM, "cannot initialise MD5");
		goto out;
	}
	if (pthread_create(&g->th, NULL, hash_main, g) != 0) {
		rc = rf_errf(err, RF_ESYS, "cannot start the hash thread");
		goto out;
	}
	g->th_started = 1;
ready:
	if (gunzip) {
		isal_inflate_init(&g->st);
		g->st.crc_flag = ISAL_GZIP;
	}
	*out = g;
	g = NULL;
out:
	if (g)
		rf_gzr_close(g);
	return rc;
}

int rf_gzr_open(struct rf_gzr **out, const char *path, int gunzip, char *err)
{
	return open_common(out, path, gunzip, 0, err);
}

int rf_gzr_open_at(struct rf_gzr **out, const char *path,
		   const struct rf_gz_point *pt, char *err)
{
	struct rf_gzr *g;
	int rc = open_common(&g, path, 1, 1, err);
	*out = NULL;
	if (rc)
		return rc;
	if (pt->in_off > g->file_size) {
		rc = rf_errf(err, RF_EFORMAT, "%s: shorter than when it was "
			     "read", path);
		goto out;
	}
	if (lseek(g->fd, (off_t)pt->in_off, SEEK_SET) < 0) {
		rc = rf_errf(err, RF_ESYS, "%s: %s", path, strerror(errno));
		goto out;
	}
	memcpy(&g->st, &pt->st, sizeof g->st);
	/* the saved pointers pointed into the verification pass's buffers;
	 * its unread input starts at in_off, read again from there */
	g->st.next_in = NULL;
	g->st.avail_in = 0;
	g->st.next_out = NULL;
	g->st.avail_out = 0;
	g->bytes_read = pt->in_off;
	g->out_total = pt->out_off;
	g->members = pt->members;
	*out = g;
	g = NULL;
out:
	rf_gzr_close(g);
	return rc;
}

int rf_gzr_checkpoint(const struct rf_gzr *g, struct rf_gz_point *pt)
{
	/* the inflater holds (the rest of) the newest slot, so its next
	 * input byte is avail_in bytes before the end of what was read */
	if (!g->gunzip || g->between || g->padding || g->rc || g->finished ||
	    g->st.avail_in > g->bytes_read)
		return RF_EINVAL;
	pt->in_off = g->bytes_read - g->st.avail_in;
	pt->out_off = g->out_total;
	pt->members = g->members;
	memcpy(&pt->st, &g->st, sizeof pt->st);
	pt->st.next_in = NULL;
	pt->st.next_out = NULL;
	pt->st.avail_in = 0;
	pt->st.avail_out = 0;
	return RF_OK;
}

static int next_gunzip(struct rf_gzr *g, const void **buf, size_t *len)
{
	for (;;) {
		if (g->st.avail_in == 0 && !g->eof) {
			unsigned char *p;
			size_t n;
			int rc = fetch(g, &p, &n);
			if (rc)
				return rc;
			g->st.next_in = p;
			g->st.avail_in = (uint32_t)n;
		}
		if (g->between) {
			if (g->st.avail_in == 0) {
				if (g->eof)
					return RF_OK; /* clean end */
				continue;
			}
			unsigned char c = *g->st.next_in;
			if (c == 0) {
				g->padding = 1;
				g->st.next_in++;
				g->st.avail_in--;
				continue;
			}
			if (c == 0x1f && !g->padding) {
				uint8_t *ni = g->st.next_in;
				uint32_t ai = g->st.avail_in;
				isal_inflate_reset(&g->st);
				g->st.crc_flag = ISAL_GZIP;
				g->st.next_in = ni;
				g->st.avail_in = ai;
				g->between = 0;
				continue;
			}
			return rf_errf(g->err, RF_EFORMAT,
				       "data after the end of the gzip stream");
		}
		/* with no input left, ISA-L may still hold output: drain it
		 * before calling the stream truncated */
		g->st.next_out = g->out;
		g->st.avail_out = OUT_SZ;
		int r = isal_inflate(&g->st);
		if (r < 0) {
			if (r == ISAL_INCORRECT_CHECKSUM)
				return rf_errf(g->err, RF_EFORMAT,
					       "corrupt: gzip CRC mismatch");
			if (r == ISAL_INVALID_WRAPPER && g->members == 0 &&
			    g->bytes_read <= SLOT_SZ)
				return rf_errf(g->err, RF_EFORMAT,
					       "not a gzip file");
			return rf_errf(g->err, RF_EFORMAT,
				       "corrupt gzip data (ISA-L error %d)", r);
		}
		if (g->st.block_state == ISAL_BLOCK_FINISH) {
			g->between = 1;
			g->members++;
		}
		size_t made = OUT_SZ - g->st.avail_out;
		if (!made && !g->between && g->st.avail_in == 0 && g->eof)
			return rf_errf(g->err, RF_EFORMAT,
				       "truncated: the gzip stream ends early "
				       "(incomplete download?)");
		if (made) {
			g->out_total += made;
			*buf = g->out;
			*len = made;
			return RF_OK;
		}
	}
}

int rf_gzr_next(struct rf_gzr *g, const void **buf, size_t *len)
{
	*buf = NULL;
	*len = 0;
	if (g->rc)
		return g->rc;
	if (g->gunzip)
		return g->rc = next_gunzip(g, buf, len);
	unsigned char *p;
	size_t n;
	int rc = fetch(g, &p, &n);
	if (rc)
		return g->rc = rc;
	*buf = p;
	*len = n;
	return RF_OK;
}

int rf_gzr_finish(struct rf_gzr *g, char md5hex[33])
{
	const void *p;
	size_t n;
	int rc;
	md5hex[0] = 0;
	do {
		rc = rf_gzr_next(g, &p, &n);
		if (rc)
			return rc;
	} while (n);
	if (g->gunzip && g->members == 0)
		return g->rc = rf_errf(g->err, RF_EFORMAT, "empty gzip stream");
	g->finished = 1;
	if (g->nohash)
		return RF_OK; /* md5hex stays "": nothing was hashed */
	stop_thread(g, 0);
	rf_md5_final(&g->md5, md5hex);
	return RF_OK;
}

void rf_gzr_close(struct rf_gzr *g)
{
	if (!g)
		return;
	stop_thread(g, 1);
	if (!g->nohash)
		rf_md5_free(&g->md5);
	if (g->fd >= 0)
		close(g->fd);
	for (int i = 0; i < NSLOT; i++)
		free(g->slot[i]);
	free(g->out);
	pthread_mutex_destroy(&g->mu);
	pthread_cond_destroy(&g->cv);
	free(g);
}

const char *rf_gzr_err(const struct rf_gzr *g) { return g->err; }
uint64_t rf_gzr_file_size(const struct rf_gzr *g) { return g->file_size; }
uint64_t rf_gzr_bytes_read(const struct rf_gzr *g) { return g->bytes_read; }
uint64_t rf_gzr_out_total(const struct rf_gzr *g) { return g->out_total; }
const struct stat *rf_gzr_stat(const struct rf_gzr *g) { return &g->sb; }
void rf_gzr_set_cancel(struct rf_gzr *g, const volatile sig_atomic_t *cancel)
{
	g->cancel = cancel;
}
