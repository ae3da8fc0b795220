/* The input stage of a gzip reader (see inflate.c): read() the file, or its
 * verified windows, into the ring of input slots, with the MD5 and the
 * window digests of what was read; hand the slots to the inflater. */
#include "inflate_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int rf_gzr_th_err(struct rf_gzr *g, int rc, const char *msg)
{
	pthread_mutex_lock(&g->mu);
	if (!g->th_rc) {
		g->th_rc = rc;
		snprintf(g->th_err, sizeof g->th_err, "%s", msg);
	}
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
	return rc;
}

/* Read the input window at file offset `off` (a multiple of IN_SZ) into
 * s->buf: checked against its digest when reading verified windows,
 * hashed when verifying.  *got < IN_SZ at the end of the file. */
static int read_window(struct rf_gzr *g, struct slot *s, uint64_t off,
		       size_t *got, char *err)
{
	int rc;
	if (g->vf) {
		if (off / IN_SZ >= g->vf->ws->n) {
			*got = 0;
			return RF_OK;
		}
		return rf_vfile_window(g->vf, (size_t)(off / IN_SZ), s->buf, got,
				       err);
	}
	rc = rf_read_at(g->fd, s->buf, IN_SZ, off,
			g->grow.expect || g->grow.wait ? &g->grow : NULL, got,
			err);
	if (rc)
		return rc;
	/* the window tags inline: at 8 GB/s they cost the reader a tenth of
	 * its MD5, less than a thread of their own costs the inflater in
	 * lost turns on a 2-core machine (measured: 2.05-2.19 s against
	 * 2.22-2.32 s for the pass over make bench's package) */
	if (g->rec && *got && rf_winsums_add(g->rec, s->buf, *got))
		return rf_errf(err, RF_ENOMEM, "out of memory");
	if (g->hashing)
		rf_md5_update(&g->md5, s->buf, *got);
	return RF_OK;
}

/* The next slot of a ring its producer may fill, once the consumer gave
 * it back; NULL when told to stop. */
struct slot *rf_gzr_free_slot(struct rf_gzr *g, struct slot *ring, int n,
			      const uint64_t *prod, const uint64_t *cons)
{
	struct slot *s = NULL;
	pthread_mutex_lock(&g->mu);
	while (*prod - *cons >= (uint64_t)n && !g->stop)
		pthread_cond_wait(&g->cv, &g->mu);
	if (!g->stop)
		s = &ring[*prod % (uint64_t)n];
	pthread_mutex_unlock(&g->mu);
	return s;
}

/* The next input slot the reader may fill, given back by the inflater
 * (or the caller); NULL when told to stop. */
static struct slot *free_input(struct rf_gzr *g)
{
	return rf_gzr_free_slot(g, g->in, NIN, &g->in_prod, &g->in_cons);
}

void *rf_gzr_reader_main(void *arg)
{
	struct rf_gzr *g = arg;
	char err[RF_ERRLEN];
	for (;;) {
		struct slot *s = free_input(g);
		if (!s)
			break;
		if (g->cancel && *g->cancel) {
			rf_gzr_th_err(g, RF_EINTR, "interrupted");
			break;
		}
		size_t got;
		int rc = read_window(g, s, atomic_load(&g->bytes_read), &got,
				     err);
		if (rc) {
			rf_gzr_th_err(g, rc, err);
			break;
		}
		pthread_mutex_lock(&g->mu);
		if (got) {
			s->data = s->buf;
			s->len = got;
			s->off = atomic_load(&g->bytes_read);
			atomic_fetch_add(&g->bytes_read, got);
			g->in_prod++;
		}
		if (got < IN_SZ)
			g->in_eof = 1;
		pthread_cond_broadcast(&g->cv);
		pthread_mutex_unlock(&g->mu);
		if (got < IN_SZ)
			break;
	}
	return NULL;
}

/* Give back the input slot in use (if any) and take the next one into
 * g->cur.  At the end of the file g->eof is set and g->cur is empty. */
int rf_gzr_next_input(struct rf_gzr *g, char *err)
{
	if (!g->threaded) {
		/* the whole window that holds the next byte */
		uint64_t next = atomic_load(&g->bytes_read);
		size_t got, skip = (size_t)(next % IN_SZ);
		int rc;
		if (g->cancel && *g->cancel)
			return rf_errf(err, RF_EINTR, "interrupted");
		rc = read_window(g, &g->cur, next - skip, &got, err);
		if (rc)
			return rc;
		got = got > skip ? got - skip : 0;
		g->cur.data = g->cur.buf + skip;
		g->cur.off = next;
		g->cur.len = got;
		atomic_fetch_add(&g->bytes_read, got);
		g->eof = got == 0;
		g->have_cur = 1;
		return RF_OK;
	}
	int rc = RF_OK;
	pthread_mutex_lock(&g->mu);
	if (g->have_cur) {
		g->in_cons++;
		g->have_cur = 0;
		pthread_cond_broadcast(&g->cv);
	}
	while (g->in_cons == g->in_prod && !g->in_eof && !g->th_rc &&
	       !g->stop)
		pthread_cond_wait(&g->cv, &g->mu);
	if (g->in_cons < g->in_prod) {
		g->cur = g->in[g->in_cons % NIN];
		g->have_cur = 1;
	} else if (g->th_rc || g->stop) {
		rc = g->th_rc ? g->th_rc : RF_EINTR;
		snprintf(err, RF_ERRLEN, "%s", g->th_rc ? g->th_err : "stopped");
	} else {
		g->cur.len = 0;
		g->eof = 1;
	}
	pthread_mutex_unlock(&g->mu);
	return rc;
}
