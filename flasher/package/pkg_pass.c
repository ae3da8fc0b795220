/* A pass of libarchive's tar parser over the gunzipped package, for
 * pkg_stream: from the start of the file, or resumed at a point of the
 * gunzip index.  rf_gzr reads the package only in windows verified against
 * the digests package.c recorded, so every byte the parser sees, and every
 * byte handed out, comes from verified bytes.  The image handed out is read
 * with archive_read_data_block, whose blocks point into the inflated
 * buffer: the only copy is into the caller's buffer. */
#include "pkg_stream_int.h"

#include <archive_entry.h>
#include <errno.h>
#include <string.h>

static la_ssize_t la_read(struct archive *a, void *ud, const void **buf)
{
	struct rf_pkg_stream *s = ud;
	size_t n;
	for (;;) {
		/* Ctrl-C stops a walk through other entries, never the read
		 * of an image (see rf_ps_reader_read) */
		if (s->r.kind != R_TAR && rf_ps_cancelled(s)) {
			s->g_rc = RF_EINTR;
			archive_set_error(a, EINTR, "interrupted");
			return -1;
		}
		int rc = rf_gzr_next(s->g, buf, &n);
		if (rc) {
			s->g_rc = rc;
			archive_set_error(a, EIO, "%s", rf_gzr_err(s->g));
			return -1;
		}
		if (!s->skip || !n)
			break;
		/* resumed before the wanted header: drop what precedes it */
		if (n <= s->skip) {
			s->skip -= n;
			continue;
		}
		*buf = (const unsigned char *)*buf + s->skip;
		n -= (size_t)s->skip;
		s->skip = 0;
		break;
	}
	return (la_ssize_t)n;
}

void rf_ps_pass_close(struct rf_pkg_stream *s)
{
	if (s->r.kind == R_TAR) {
		rf_ps_spool_abort(s, &s->r.tee);
		/* the caller's error path says why */
		s->r.kind = R_FAILED;
		s->r.rc = RF_EFORMAT;
	}
	if (s->a)
		archive_read_free(s->a);
	s->a = NULL;
	rf_gzr_close(s->g);
	s->g = NULL;
	s->pass_end = 0;
	s->mid = 0;
	s->skip = 0;
}

/* An error of libarchive: rf_gzr's own when it came from there. */
static int la_err(struct rf_pkg_stream *s, const char *what)
{
	int rc;
	if (s->g_rc == RF_EINTR || (!s->g_rc && rf_ps_cancelled(s)))
		rc = rf_errf(s->err, RF_EINTR, "interrupted");
	else if (s->g_rc == RF_ECHANGED) /* it names the file */
		rc = rf_errf(s->err, s->g_rc, "%s", rf_gzr_err(s->g));
	else if (s->g_rc)
		rc = rf_errf(s->err, s->g_rc, "%s: %s", s->pkg->path,
			     rf_gzr_err(s->g));
	else
		rc = rf_errf(s->err, RF_EFORMAT, "%s: %s: %s", s->pkg->path,
			     what, archive_error_string(s->a) ?
			     archive_error_string(s->a) : "bad tar archive");
	rf_ps_pass_close(s);
	return rc;
}

int rf_ps_pass_open_at(struct rf_pkg_stream *s, const struct rf_gz_point *pt,
		       uint64_t skip_to)
{
	int rc;

	rf_ps_pass_close(s);
	if (rf_ps_cancelled(s))
		return rf_errf(s->err, RF_EINTR, "interrupted");
	rc = pt ? rf_gzr_open_at(&s->g, &s->vf, pt, s->err) :
	     rf_gzr_open_verified(&s->g, &s->vf, s->err);
	if (rc)
		return rc;
	s->g_rc = 0;
	s->pass++;
	if (pt) {
		s->mid = 1;
		s->skip = skip_to - pt->out_off;
		s->here = skip_to;
		s->st.seeks++;
	} else {
		s->here = 0;
		s->st.passes++;
	}
	if (!(s->a = archive_read_new())) {
		rf_ps_pass_close(s);
		return rf_errf(s->err, RF_ENOMEM, "out of memory");
	}
	archive_read_support_format_tar(s->a);
	if (archive_read_open(s->a, s, NULL, la_read, NULL) != ARCHIVE_OK)
		return la_err(s, "bad tar archive");
	return RF_OK;
}

/* Entry name as package.c lists it: "." parts and repeated '/' dropped,
 * then the top folder removed.  0 when it is not a package file. */
static int entry_rel(const struct rf_pkg_stream *s, const char *name,
		     char *out, size_t cap)
{
	size_t n;
	if (!name || rf_pkg_norm_path(name, out, cap) != 1)
		return 0;
	n = strlen(out);
	const char *top = s->pkg->top;
	size_t tl = strlen(top);
	if (!tl)
		return n > 0;
	if (n <= tl + 1 || strncmp(out, top, tl) || out[tl] != '/')
		return 0;
	memmove(out, out + tl + 1, n - tl);
	return 1;
}

/* The pass went through the whole tar: the gzip stream must end well. */
static int pass_finish(struct rf_pkg_stream *s)
{
	char md5[33];
	int rc = rf_gzr_finish(s->g, md5);
	if (rc) {
		s->g_rc = rc;
		return la_err(s, "the end of the package");
	}
	s->pass_end = 1;
	return RF_OK;
}

int rf_ps_pass_next(struct rf_pkg_stream *s, size_t *k, int *end)
{
	struct archive_entry *e;
	char rel[1200];
	*end = 0;
	*k = (size_t)-1;
	for (;;) {
		if (rf_ps_cancelled(s)) {
			rf_ps_pass_close(s);
			return rf_errf(s->err, RF_EINTR, "interrupted");
		}
		int r = archive_read_next_header(s->a, &e);
		if (r == ARCHIVE_EOF) {
			*end = 1;
			return pass_finish(s);
		}
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return la_err(s, "bad tar archive");
		if (archive_entry_filetype(e) != AE_IFREG ||
		    !entry_rel(s, archive_entry_pathname(e), rel, sizeof rel))
			continue;
		const struct rf_pkg_file *f = rf_pkg_find(s->pkg, rel);
		if (!f || archive_entry_size(e) < 0 ||
		    (uint64_t)archive_entry_size(e) != f->size) {
			/* (a resumed pass at a point that does not match the
			 * tar parser's view: seek_image gives the index up) */
			rf_ps_pass_close(s);
			return rf_errf(s->err, RF_EFORMAT, "%s: %s is not the "
				       "entry that was verified", s->pkg->path,
				       rel);
		}
		for (size_t i = 0; i < s->nimg; i++)
			if (!strcmp(s->img[i].rel, rel)) {
				*k = i;
				s->img[i].seen_pass = s->pass;
			}
		if (f->tar_off >= s->here)
			s->here = f->tar_off + 512 + f->size;
		return RF_OK;
	}
}

int rf_ps_data_block(struct rf_pkg_stream *s, const void **p, size_t *len,
		     uint64_t *off)
{
	la_int64_t o;
	int r = archive_read_data_block(s->a, p, len, &o);
	if (r == ARCHIVE_EOF) {
		*len = 0;
		return RF_OK;
	}
	if (r != ARCHIVE_OK)
		return la_err(s, "reading the archive");
	if (o < 0)
		return la_err(s, "bad entry offset");
	*off = (uint64_t)o;
	return RF_OK;
}
