/* Images of a package in the plan's order (see pkg_stream.h): where each
 * one is found -- the tar pass walked forward, a resume point of the gunzip
 * index, the two-thread inflate, a spool copy, a folder's file -- and the
 * order.  The pass is pkg_pass.c, the readers pkg_reader.c, the spool
 * pkg_spool.c.
 *
 * Every read of a .tgz goes through one descriptor opened here and read
 * only in the windows package.c verified (vfile.h): the file may be
 * renamed over, rewritten or damaged meanwhile, a byte that differs from
 * the verified one is never handed out (RF_ECHANGED instead). */
#include "pkg_stream_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rf_str.h"

/* With an index: an image at most this far ahead is walked to; farther,
 * resuming at an index point (at most RF_PKG_GZ_INDEX_STEP to discard)
 * inflates less. */
#define WALK_MAX (32ull << 20)

/* Index of image `rel` (added if new), or (size_t)-1 when the verified
 * listing does not have it. */
static size_t img_index(struct rf_pkg_stream *s, const char *rel, int *nomem)
{
	*nomem = 0;
	for (size_t k = 0; k < s->nimg; k++)
		if (!strcmp(s->img[k].rel, rel))
			return k;
	const struct rf_pkg_file *f = rf_pkg_find(s->pkg, rel);
	if (!f)
		return (size_t)-1;
	if (s->nimg == s->capimg) {
		size_t cap = s->capimg ? 2 * s->capimg : 16;
		struct img *v = realloc(s->img, cap * sizeof *v);
		if (!v) {
			*nomem = 1;
			return (size_t)-1;
		}
		s->img = v;
		s->capimg = cap;
	}
	struct img *m = &s->img[s->nimg];
	memset(m, 0, sizeof *m);
	m->spool_fd = -1;
	m->size = f->size;
	m->tar_off = f->tar_off;
	m->data_off = f->data_off;
	if (!(m->rel = strdup(rel))) {
		*nomem = 1;
		return (size_t)-1;
	}
	return s->nimg++;
}

static int tgz_image(struct rf_pkg_stream *s, size_t k);

/* Resume the gunzip at the last index point before image k's header and
 * read that header.  *miss when what is found there is not image k (an
 * index that does not match the tar parser's view): the caller then
 * gives the index up. */
static int seek_image(struct rf_pkg_stream *s, size_t k, int *miss)
{
	const struct rf_package *p = s->pkg;
	uint64_t want = s->img[k].tar_off;
	size_t lo = 0, hi = p->ngz_points, e;
	int rc, end;

	*miss = 0;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (p->gz_points[mid].out_off <= want)
			lo = mid;
		else
			hi = mid;
	}
	if (p->gz_points[lo].out_off > want) {
		*miss = 1;
		return RF_OK;
	}
	if ((rc = rf_ps_pass_open_at(s, &p->gz_points[lo], want)))
		return rc;
	rc = rf_ps_pass_next(s, &e, &end);
	if (rc == RF_EFORMAT || (!rc && (end || e != k))) {
		rf_ps_pass_close(s);
		s->err[0] = 0;
		*miss = 1;
		return RF_OK;
	}
	return rc;
}

/* A large image: inflated by two threads from the index's points, through
 * the stream's verified file.  *used stays 0 where that cannot be done:
 * the caller reads it the usual way. */
static int par_image(struct rf_pkg_stream *s, size_t k, int *used)
{
	const struct img *m = &s->img[k];
	int rc;

	*used = 0;
	if (!m->data_off || m->size < s->par_min || m->spool_fd >= 0)
		return RF_OK;
	rf_ps_pass_close(s); /* the next image is found by the index */
	rc = rf_pinf_open(&s->r.par, &s->vf, s->pkg->gz_points,
			  s->pkg->ngz_points, m->data_off, m->size, s->err);
	if (rc)
		return rc;
	s->r.kind = R_PAR;
	s->st.seeks++;
	*used = 1;
	return RF_OK;
}

static int tgz_image_indexed(struct rf_pkg_stream *s, size_t k)
{
	struct img *m = &s->img[k];
	int rc, end, miss, used;
	size_t e;

	if ((rc = par_image(s, k, &used)) || used)
		return rc;

	if (s->a && !s->pass_end && m->seen_pass != s->pass &&
	    m->tar_off >= s->here && m->tar_off - s->here <= WALK_MAX) {
		for (;;) {
			if ((rc = rf_ps_pass_next(s, &e, &end)))
				return rc;
			if (end || e == k)
				break;
		}
		if (!end) {
			s->r.kind = R_TAR;
			return RF_OK;
		}
	}
	if ((rc = seek_image(s, k, &miss)))
		return rc;
	if (!miss) {
		s->r.kind = R_TAR;
		return RF_OK;
	}
	/* safe fallback: the plain passes, with their MD5 check */
	s->use_index = 0;
	rf_ps_pass_close(s);
	return tgz_image(s, k);
}

static int tgz_image(struct rf_pkg_stream *s, size_t k)
{
	struct img *m = &s->img[k];
	int rc, end;
	size_t e;

	if (m->spool_fd >= 0) {
		char name[64 + 1100];
		snprintf(name, sizeof name, "the spool copy of %s", m->rel);
		s->r.kind = R_SPOOL;
		rf_vfile_wrap(&s->r.vf, m->spool_fd, &m->spool_win, name);
		return RF_OK;
	}
	if (s->use_index)
		return tgz_image_indexed(s, k);
	if (!s->a || s->pass_end || m->seen_pass == s->pass)
		if ((rc = rf_ps_pass_open_at(s, NULL, 0)))
			return rc;
	for (;;) {
		if ((rc = rf_ps_pass_next(s, &e, &end)))
			return rc;
		if (end) {
			rf_ps_pass_close(s);
			return rf_errf(s->err, RF_EFORMAT, "%s: %s is not in "
				       "the archive any more", s->pkg->path,
				       m->rel);
		}
		if (e == k)
			break;
		if (e != (size_t)-1 && s->img[e].spool_fd < 0 &&
		    rf_ps_uses_from(s, e, s->pos) && (rc = rf_ps_spool_entry(s, e)))
			return rc;
	}
	s->r.kind = R_TAR;
	if (rf_ps_uses_from(s, k, s->pos))
		rf_ps_spool_create(s, m->size, &s->r.tee);
	return RF_OK;
}

/* ------------------------------------------------------------ public */

/* The images of the order, each once. */
static int add_order(struct rf_pkg_stream *s, const struct rf_pkg_stream_opts *o,
		     char *err)
{
	int nomem;
	s->norder = o ? o->norder : 0;
	if (s->norder && !(s->ord = calloc(s->norder, sizeof *s->ord)))
		return rf_errf(err, RF_ENOMEM, "out of memory");
	for (size_t i = 0; i < s->norder; i++) {
		s->ord[i] = img_index(s, o->order[i], &nomem);
		if (nomem)
			return rf_errf(err, RF_ENOMEM, "out of memory");
		if (s->ord[i] == (size_t)-1)
			return rf_errf(err, RF_EFORMAT, "%s: no %s in the "
				       "package", s->pkg->path, o->order[i]);
	}
	return RF_OK;
}

int rf_pkg_stream_open(struct rf_pkg_stream **out, const struct rf_package *pkg,
		       const struct rf_pkg_stream_opts *o, char *err)
{
	struct rf_pkg_stream *s;
	const char *dir = o && o->spool_dir ? o->spool_dir : getenv("TMPDIR");
	int rc;

	*out = NULL;
	if (pkg->kind != RF_PKG_TGZ && pkg->kind != RF_PKG_DIR)
		return rf_errf(err, RF_EINVAL, "%s: not a fastboot package",
			       pkg->path);
	if (!(s = calloc(1, sizeof *s)))
		return rf_errf(err, RF_ENOMEM, "out of memory");
	s->pkg = pkg;
	s->r.s = s;
	s->r.fd = s->r.tee.fd = s->vf.fd = -1;
	s->cancel = o ? o->cancel : NULL;
	s->par_min = o && o->par_min ? o->par_min : RF_PKG_PAR_MIN;
	if (!dir || !*dir)
		dir = "/tmp";
	if (strlen(dir) >= sizeof s->spool_parent) {
		rc = rf_errf(err, RF_EINVAL, "spool folder name too long");
		goto out;
	}
	rf_strlcpy(s->spool_parent, dir, sizeof s->spool_parent);
	s->budget = o && o->spool_budget ? o->spool_budget :
		    pkg->content_size / 10;
	if ((rc = add_order(s, o, err)))
		goto out;
	/* the package as it was verified: the same size, then every window
	 * read is checked */
	if (pkg->kind == RF_PKG_TGZ &&
	    (rc = rf_vfile_open(&s->vf, pkg->path, &pkg->win, err)))
		goto out;
	s->use_index = pkg->kind == RF_PKG_TGZ && pkg->ngz_points > 0;
out:
	if (rc) {
		rf_pkg_stream_close(s);
		return rc;
	}
	*out = s;
	return RF_OK;
}

int rf_pkg_stream_image(struct rf_pkg_stream *s, const char *rel,
			rf_read_fn *rd, void **ctx, uint64_t *size)
{
	size_t k = (size_t)-1, i;
	int rc, nomem;

	*rd = rf_ps_reader_read;
	*ctx = &s->r;
	*size = 0;
	s->err[0] = 0;
	rc = rf_ps_reader_end(s);
	if (rc)
		goto fail;
	if (rf_ps_cancelled(s)) {
		rc = rf_errf(s->err, RF_EINTR, "interrupted");
		goto fail;
	}
	/* where it stands in the order: the next entry normally; an image
	 * asked out of order is served without moving the order on */
	for (i = s->pos; i < s->norder; i++)
		if (!strcmp(s->img[s->ord[i]].rel, rel))
			break;
	if (i < s->norder) {
		k = s->ord[i];
		s->pos = i + 1;
	} else {
		k = img_index(s, rel, &nomem);
		if (k == (size_t)-1) {
			rc = nomem ? rf_errf(s->err, RF_ENOMEM, "out of memory") :
			     rf_errf(s->err, RF_EFORMAT, "%s: no %s in the "
				     "package", s->pkg->path, rel);
			goto fail;
		}
	}
	rf_ps_spool_gc(s, k);
	s->r.k = k;
	s->r.size = s->img[k].size;
	s->r.done = 0;
	s->r.blk = NULL;
	s->r.blk_len = 0;
	s->r.tee.fd = -1;
	s->r.fd = -1;
	rc = s->pkg->kind == RF_PKG_DIR ? rf_ps_dir_image(s, k) : tgz_image(s, k);
	if (rc)
		goto fail;
	*size = s->img[k].size;
	return RF_OK;
fail:
	s->r.kind = R_FAILED;
	s->r.rc = rc;
	return rc;
}

const char *rf_pkg_stream_err(const struct rf_pkg_stream *s)
{
	return s->err;
}

void rf_pkg_stream_stats(const struct rf_pkg_stream *s,
			 struct rf_pkg_stream_stats *st)
{
	*st = s->st;
}

void rf_pkg_stream_close(struct rf_pkg_stream *s)
{
	if (!s)
		return;
	rf_ps_spool_abort(s, &s->r.tee);
	rf_ps_reader_end(s);
	rf_ps_pass_close(s);
	rf_vfile_close(&s->vf);
	for (size_t k = 0; k < s->nimg; k++) {
		rf_ps_spool_drop(s, k);
		free(s->img[k].rel);
	}
	if (s->have_spool_dir)
		rmdir(s->spool_dir);
	free(s->img);
	free(s->ord);
	free(s->win);
	free(s);
}
