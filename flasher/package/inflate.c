/* See inflate.h.
 *
 * A whole-file pass (rf_gzr_open) is a pipeline of two threads and the
 * caller, so that the one that bounds the pass -- ISA-L's inflate -- does
 * nothing else:
 *
 *   reader:   read() the file into a ring of input slots, MD5 each slot
 *             and, when recorded, its window tag (vfile.h);
 *   inflater: gunzip input slots into a ring of output slots, recording
 *             resume points when asked (rf_gzr_index_every);
 *   caller:   rf_gzr_next hands out output slots (libarchive's tar parsing
 *             and the sparse scans run there).
 *
 * Measured on a 2-core machine this takes the tar parsing, the sparse
 * scans, the read() copies and MD5 off the inflater: the pass takes about
 * as long as ISA-L alone.  In pass-through mode (no gzip) the caller takes
 * input slots directly.  A slot is reused only after its consumer asked
 * for the next one.
 *
 * A pass through a package's verified windows (rf_gzr_open_verified)
 * reads window by window, each checked before it is handed to the
 * inflater.  A reader resumed mid-file (rf_gzr_open_at) is synchronous:
 * the caller reads and inflates itself (pkg_stream runs it on its
 * read-ahead thread); it too reads whole verified windows, starting with
 * the one that holds the resume point. */
#include "inflate_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "thread_stop.h"

/* ------------------------------------------------------------ gunzip */

/* Offer the index a resume point here, between two isal_inflate calls
 * (never at a member boundary: the next call is the place then). */
static void maybe_point(struct rf_gzr *g)
{
	uint64_t used = g->have_cur ? g->cur.len - g->st.avail_in : 0;
	if (!g->indexing || g->between || g->padding)
		return;
	rf_gzi_offer(&g->idx, &g->st, g->cur.off + used, g->inf_total,
		     g->members);
}

/* Inflate into out[0..cap); *made == 0 only at the clean end. */
static int gunzip_some(struct rf_gzr *g, unsigned char *out, size_t cap,
		       size_t *made, char *err)
{
	*made = 0;
	for (;;) {
		if (g->st.avail_in == 0 && !g->eof) {
			int rc = rf_gzr_next_input(g, err);
			if (rc)
				return rc;
			g->st.next_in = g->cur.data;
			g->st.avail_in = (uint32_t)g->cur.len;
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
			return rf_errf(err, RF_EFORMAT,
				       "data after the end of the gzip stream");
		}
		maybe_point(g);
		/* with no input left, ISA-L may still hold output: drain it
		 * before calling the stream truncated */
		g->st.next_out = out;
		g->st.avail_out = (uint32_t)cap;
		int r = isal_inflate(&g->st);
		if (r < 0) {
			if (r == ISAL_INCORRECT_CHECKSUM)
				return rf_errf(err, RF_EFORMAT,
					       "corrupt: gzip CRC mismatch");
			if (r == ISAL_INVALID_WRAPPER && g->members == 0 &&
			    g->cur.off == 0)
				return rf_errf(err, RF_EFORMAT,
					       "not a gzip file");
			return rf_errf(err, RF_EFORMAT,
				       "corrupt gzip data (ISA-L error %d)", r);
		}
		if (g->st.block_state == ISAL_BLOCK_FINISH) {
			g->between = 1;
			g->members++;
		}
		*made = cap - g->st.avail_out;
		g->inf_total += *made;
		uint64_t limit = atomic_load(&g->limit);
		if (limit && g->inf_total > limit)
			return rf_errf(err, RF_EFORMAT, "inflates to more than "
				       "%llu bytes: not a ROM package (a gzip "
				       "bomb?)", (unsigned long long)limit);
		if (!*made && !g->between && g->st.avail_in == 0 && g->eof)
			return rf_errf(err, RF_EFORMAT,
				       "truncated: the gzip stream ends early "
				       "(incomplete download?)");
		if (*made)
			return RF_OK;
	}
}

static void *inflater_main(void *arg)
{
	struct rf_gzr *g = arg;
	char err[RF_ERRLEN];
	int rc = RF_OK, end = 0;
	while (!end) {
		struct slot *s = rf_gzr_free_slot(g, g->out, NOUT, &g->out_prod, &g->out_cons);
		if (!s)
			break;
		size_t fill = 0;
		while (fill < OUT_SZ) {
			size_t made;
			rc = gunzip_some(g, s->buf + fill, OUT_SZ - fill, &made,
					 err);
			if (rc || !made) {
				end = 1;
				break;
			}
			fill += made;
		}
		pthread_mutex_lock(&g->mu);
		if (fill) {
			s->len = fill;
			g->out_prod++;
		}
		pthread_cond_broadcast(&g->cv);
		pthread_mutex_unlock(&g->mu);
	}
	if (rc)
		rf_gzr_th_err(g, rc, err);
	pthread_mutex_lock(&g->mu);
	g->inf_done = 1;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
	return NULL;
}

/* ------------------------------------------------------------ setup */

static void stop_threads(struct rf_gzr *g)
{
	rf_thread_stop(&g->mu, &g->cv, &g->stop);
	if (g->inflater_on)
		pthread_join(g->inflater, NULL);
	if (g->reader_on)
		pthread_join(g->reader, NULL);
	g->inflater_on = g->reader_on = 0;
}

static int start(struct rf_gzr *g)
{
	g->started = 1;
	if (!g->threaded)
		return RF_OK;
	if (pthread_create(&g->reader, NULL, rf_gzr_reader_main, g) != 0)
		return rf_errf(g->err, RF_ESYS, "cannot start a thread");
	g->reader_on = 1;
	if (!g->gunzip)
		return RF_OK;
	if (pthread_create(&g->inflater, NULL, inflater_main, g) != 0)
		return rf_errf(g->err, RF_ESYS, "cannot start a thread");
	g->inflater_on = 1;
	return RF_OK;
}

/* The buffers, for a threaded pass or a synchronous reader. */
static int alloc_buffers(struct rf_gzr *g, char *err)
{
	if (!g->threaded) {
		if (!(g->cur.buf = malloc(IN_SZ)) ||
		    !(g->out[0].buf = malloc(OUT_SZ)))
			return rf_errf(err, RF_ENOMEM, "out of memory");
		return RF_OK;
	}
	for (int i = 0; i < NIN; i++)
		if (!(g->in[i].buf = malloc(IN_SZ)))
			return rf_errf(err, RF_ENOMEM, "out of memory");
	for (int i = 0; g->gunzip && i < NOUT; i++)
		if (!(g->out[i].buf = malloc(OUT_SZ)))
			return rf_errf(err, RF_ENOMEM, "out of memory");
	return RF_OK;
}

/* A reader over `path` (opened here) or over the verified windows of
 * `vf` (path NULL). */
static int open_common(struct rf_gzr **out, const char *path,
		       const struct rf_vfile *vf, int gunzip, int threaded,
		       char *err)
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
	g->threaded = threaded;
	g->vf = vf;
	if (vf) {
		g->file_size = vf->ws->size;
	} else if ((g->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		rc = rf_errf(err, RF_ESYS, "%s: %s", path, strerror(errno));
		goto out;
	} else if (fstat(g->fd, &g->sb) < 0 || !S_ISREG(g->sb.st_mode)) {
		rc = rf_errf(err, RF_ESYS, "%s: not a regular file", path);
		goto out;
	} else {
		g->file_size = (uint64_t)g->sb.st_size;
		posix_fadvise(g->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	}
	if ((rc = alloc_buffers(g, err)))
		goto out;
	/* the verification pass hashes what it reads */
	if (!vf && threaded) {
		if (rf_md5_init(&g->md5) != RF_OK) {
			rc = rf_errf(err, RF_ENOMEM, "cannot initialise MD5");
			goto out;
		}
		g->hashing = 1;
	}
	if (gunzip) {
		isal_inflate_init(&g->st);
		g->st.crc_flag = ISAL_GZIP;
	}
out:
	if (rc == RF_OK) {
		*out = g;
		g = NULL;
	}
	rf_gzr_close(g);
	return rc;
}

int rf_gzr_open(struct rf_gzr **out, const char *path, int gunzip, char *err)
{
	return open_common(out, path, NULL, gunzip, 1, err);
}

int rf_gzr_open_verified(struct rf_gzr **out, const struct rf_vfile *vf,
			 char *err)
{
	return open_common(out, NULL, vf, 1, 1, err);
}

int rf_gzr_open_at(struct rf_gzr **out, const struct rf_vfile *vf,
		   const struct rf_gz_point *pt, char *err)
{
	struct rf_gzr *g;
	int rc = open_common(&g, NULL, vf, 1, 0, err);
	*out = NULL;
	if (rc)
		return rc;
	if (pt->in_off > g->file_size) {
		rf_gzr_close(g);
		return rf_errf(err, RF_EFORMAT, "%s: shorter than when it was "
			       "read", vf->name);
	}
	memcpy(&g->st, &pt->st, sizeof g->st);
	/* the saved pointers pointed into the verification pass's buffers;
	 * its unread input starts at in_off, read again from there */
	g->st.next_in = NULL;
	g->st.avail_in = 0;
	g->st.next_out = NULL;
	g->st.avail_out = 0;
	atomic_store(&g->bytes_read, pt->in_off);
	g->out_total = g->inf_total = pt->out_off;
	g->members = pt->members;
	*out = g;
	return RF_OK;
}

void rf_gzr_record_windows(struct rf_gzr *g, struct rf_winsums *ws)
{
	if (!g->vf && g->threaded && !g->started) {
		memset(ws, 0, sizeof *ws);
		g->rec = ws;
	}
}

void rf_gzr_set_growing(struct rf_gzr *g, const struct rf_growing *gr)
{
	if (!g->vf && g->threaded && !g->started && gr) {
		g->grow = *gr;
		if (gr->expect > g->file_size)
			g->file_size = gr->expect;
	}
}

void rf_gzr_set_limit(struct rf_gzr *g, uint64_t max_out)
{
	atomic_store(&g->limit, max_out);
}

void rf_gzr_index_every(struct rf_gzr *g, uint64_t step)
{
	if (g->gunzip && g->threaded && !g->started && !g->indexing) {
		rf_gzi_init(&g->idx, step ? step : 1, &g->mu);
		g->indexing = 1;
	}
}

void rf_gzr_index_mark(struct rf_gzr *g, uint64_t out_off)
{
	if (g->indexing)
		rf_gzi_mark(&g->idx, out_off);
}

struct rf_gz_point *rf_gzr_take_points(struct rf_gzr *g, size_t *n)
{
	*n = 0;
	if (!g->finished || !g->indexing)
		return NULL;
	return rf_gzi_take(&g->idx, n);
}

/* ------------------------------------------------------------ reading */

/* Hand out the next published slot of `ring` (output slots when
 * gunzipping, input slots when passing through). */
static int next_slot(struct rf_gzr *g, const void **buf, size_t *len)
{
	int rc = RF_OK;
	struct slot *ring = g->gunzip ? g->out : g->in;
	uint64_t *prod = g->gunzip ? &g->out_prod : &g->in_prod;
	uint64_t *cons = g->gunzip ? &g->out_cons : &g->in_cons;
	int n = g->gunzip ? NOUT : NIN;

	pthread_mutex_lock(&g->mu);
	if (g->holding) {
		(*cons)++;
		g->holding = 0;
		pthread_cond_broadcast(&g->cv);
	}
	/* gunzipping, a reader's error reaches the caller through the
	 * inflater, once it has inflated every byte read before it */
	while (*cons == *prod &&
	       !(g->gunzip ? g->inf_done : g->in_eof || g->th_rc))
		pthread_cond_wait(&g->cv, &g->mu);
	if (*cons < *prod) {
		struct slot *s = &ring[*cons % (uint64_t)n];
		*buf = s->buf;
		*len = s->len;
		g->holding = 1;
	} else if (g->th_rc) {
		rc = g->th_rc;
		snprintf(g->err, sizeof g->err, "%s", g->th_err);
	}
	pthread_mutex_unlock(&g->mu);
	return rc;
}

int rf_gzr_next(struct rf_gzr *g, const void **buf, size_t *len)
{
	*buf = NULL;
	*len = 0;
	if (g->rc)
		return g->rc;
	if (g->cancel && *g->cancel)
		return g->rc = rf_errf(g->err, RF_EINTR, "interrupted");
	if (!g->started && (g->rc = start(g)))
		return g->rc;
	if (g->threaded)
		g->rc = next_slot(g, buf, len);
	else if ((g->rc = gunzip_some(g, g->out[0].buf, OUT_SZ, len, g->err)) ==
		 RF_OK)
		*buf = g->out[0].buf;
	if (g->rc == RF_OK)
		g->out_total += *len;
	return g->rc;
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
	/* both threads are at their end: collect what they own */
	stop_threads(g);
	if (g->gunzip && g->members == 0)
		return g->rc = rf_errf(g->err, RF_EFORMAT, "empty gzip stream");
	g->finished = 1;
	/* a file that was growing is complete now: its final identity */
	if (g->fd >= 0 && fstat(g->fd, &g->sb) < 0)
		return g->rc = rf_errf(g->err, RF_ESYS, "fstat: %s",
				       strerror(errno));
	if (g->hashing) {
		rf_md5_final(&g->md5, md5hex);
		g->hashing = 0;
	}
	return RF_OK;
}

void rf_gzr_close(struct rf_gzr *g)
{
	if (!g)
		return;
	stop_threads(g);
	if (g->hashing)
		rf_md5_free(&g->md5);
	if (g->fd >= 0)
		close(g->fd);
	if (g->threaded)
		for (int i = 0; i < NIN; i++)
			free(g->in[i].buf);
	else
		free(g->cur.buf);
	for (int i = 0; i < NOUT; i++)
		free(g->out[i].buf);
	if (g->indexing)
		rf_gzi_free(&g->idx);
	pthread_mutex_destroy(&g->mu);
	pthread_cond_destroy(&g->cv);
	free(g);
}

const char *rf_gzr_err(const struct rf_gzr *g) { return g->err; }
uint64_t rf_gzr_file_size(const struct rf_gzr *g) { return g->file_size; }
uint64_t rf_gzr_bytes_read(const struct rf_gzr *g)
{
	return atomic_load(&((struct rf_gzr *)g)->bytes_read);
}
uint64_t rf_gzr_out_total(const struct rf_gzr *g) { return g->out_total; }
const struct stat *rf_gzr_stat(const struct rf_gzr *g) { return &g->sb; }
void rf_gzr_set_cancel(struct rf_gzr *g, const volatile sig_atomic_t *cancel)
{
	g->cancel = cancel;
}
