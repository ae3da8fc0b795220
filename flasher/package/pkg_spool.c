/* The spool of pkg_stream: copies of images passed over in the tar that
 * the order still needs (only without a gunzip index), within a budget.
 *
 * Spool files are unlinked as soon as they are created: the descriptor is
 * the only handle, so a crash leaves at most an empty private folder, and
 * "deleting" a spooled image is closing it.  A copy is written from bytes
 * that were verified, and the digest of each of its windows is recorded as
 * it is written: read back, it is checked like the package itself, so a
 * disk that returns other bytes than it was given is caught too.  A
 * failure to write costs a later pass over the package, not the flash. */
#include "pkg_stream_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* Spool only while this much disk stays free besides the budget. */
#define SPOOL_DISK_MARGIN (64ull << 20)

static const unsigned char zeros[65536];

int rf_ps_uses_from(const struct rf_pkg_stream *s, size_t k, size_t from)
{
	int n = 0;
	for (size_t i = from; i < s->norder; i++)
		n += s->ord[i] == k;
	return n;
}

void rf_ps_spool_drop(struct rf_pkg_stream *s, size_t k)
{
	struct img *m = &s->img[k];
	if (m->spool_fd < 0)
		return;
	close(m->spool_fd);
	m->spool_fd = -1;
	rf_winsums_free(&m->spool_win);
	s->spool_used -= m->size;
}

void rf_ps_spool_gc(struct rf_pkg_stream *s, size_t keep)
{
	for (size_t k = 0; k < s->nimg; k++)
		if (k != keep && s->img[k].spool_fd >= 0 &&
		    !rf_ps_uses_from(s, k, s->pos))
			rf_ps_spool_drop(s, k);
}

/* An unlinked file in the private folder, or -1. */
static int spool_file(struct rf_pkg_stream *s, uint64_t size)
{
	struct statvfs vf;
	char path[sizeof s->spool_dir + 32];
	int fd;

	if (!s->have_spool_dir) {
		snprintf(s->spool_dir, sizeof s->spool_dir,
			 "%s/romflash-spool.XXXXXX", s->spool_parent);
		if (!mkdtemp(s->spool_dir))
			return -1;
		s->have_spool_dir = 1;
	}
	if (statvfs(s->spool_dir, &vf) == 0 &&
	    (uint64_t)vf.f_bavail * vf.f_frsize < size + SPOOL_DISK_MARGIN)
		return -1;
	snprintf(path, sizeof path, "%s/%u", s->spool_dir, ++s->seq);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd >= 0)
		unlink(path);
	return fd;
}

void rf_ps_spool_create(struct rf_pkg_stream *s, uint64_t size,
			struct spool_out *out)
{
	memset(out, 0, sizeof *out);
	out->fd = -1;
	if (size > s->budget || s->spool_used > s->budget - size)
		return;
	if (rf_winrec_init(&out->rec, &out->win))
		return;
	if ((out->fd = spool_file(s, size)) < 0) {
		rf_winrec_free(&out->rec);
		return;
	}
	out->size = size;
	s->spool_used += size;
	if (s->spool_used > s->st.spool_peak)
		s->st.spool_peak = s->spool_used;
}

/* Append n bytes; `image`: they are image bytes (not a hole's zeros). */
static void spool_put(struct rf_pkg_stream *s, struct spool_out *out,
		      const void *p, size_t n, int image)
{
	const unsigned char *c = p;
	if (out->fd < 0)
		return;
	if (rf_winrec_feed(&out->rec, p, n)) {
		rf_ps_spool_abort(s, out);
		return;
	}
	if (image)
		s->st.spooled_bytes += n;
	while (n) {
		ssize_t w = write(out->fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			rf_ps_spool_abort(s, out);
			return;
		}
		c += w;
		n -= (size_t)w;
	}
}

void rf_ps_spool_write(struct rf_pkg_stream *s, struct spool_out *out,
		       const void *p, size_t n)
{
	spool_put(s, out, p, n, 1);
}

void rf_ps_spool_zeros(struct rf_pkg_stream *s, struct spool_out *out,
		       uint64_t n)
{
	while (n && out->fd >= 0) {
		size_t z = n < sizeof zeros ? (size_t)n : sizeof zeros;
		spool_put(s, out, zeros, z, 0);
		n -= z;
	}
}

void rf_ps_spool_keep(struct rf_pkg_stream *s, struct spool_out *out,
		      size_t k)
{
	struct img *m = &s->img[k];
	if (out->fd < 0)
		return;
	if (rf_winrec_finish(&out->rec) || out->win.size != m->size) {
		rf_ps_spool_abort(s, out);
		return;
	}
	rf_winrec_free(&out->rec);
	m->spool_fd = out->fd;
	m->spool_win = out->win;
	out->fd = -1;
	memset(&out->win, 0, sizeof out->win);
}

int rf_ps_spool_rest(struct rf_pkg_stream *s, struct spool_out *out,
		     uint64_t done)
{
	const void *p;
	size_t len;
	uint64_t off = 0;
	for (;;) {
		if (rf_ps_cancelled(s)) {
			rf_ps_pass_close(s);
			return rf_errf(s->err, RF_EINTR, "interrupted");
		}
		int rc = rf_ps_data_block(s, &p, &len, &off);
		if (rc)
			return rc;
		if (!len)
			break;
		if (off < done || off + len > out->size) {
			rf_ps_pass_close(s);
			return rf_errf(s->err, RF_EFORMAT, "%s: bad tar entry "
				       "offsets", s->pkg->path);
		}
		/* off > done: a hole of a sparse tar entry */
		rf_ps_spool_zeros(s, out, off - done);
		rf_ps_spool_write(s, out, p, len);
		done = off + len;
	}
	rf_ps_spool_zeros(s, out, out->size - done);
	return RF_OK;
}

int rf_ps_spool_entry(struct rf_pkg_stream *s, size_t k)
{
	struct spool_out out;
	int rc;
	rf_ps_spool_create(s, s->img[k].size, &out);
	if (out.fd < 0)
		return RF_OK;
	if ((rc = rf_ps_spool_rest(s, &out, 0))) {
		rf_ps_spool_abort(s, &out);
		return rc;
	}
	rf_ps_spool_keep(s, &out, k);
	return RF_OK;
}
