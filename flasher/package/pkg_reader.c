/* The reader pkg_stream hands out for an image: from the tar pass, a spool
 * copy, a folder's file, or the two-thread inflate of a large image.
 * Folder files and spool copies are read in windows checked against the
 * digests recorded when they were first read (vfile.h), so whatever the
 * source, every byte handed out is a verified one. */
#include "pkg_stream_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int reader_fail(struct reader *r, int rc)
{
	rf_ps_spool_abort(r->s, &r->tee);
	r->kind = R_FAILED;
	r->rc = rc;
	return rc;
}

static int tar_fill(struct reader *r, unsigned char *buf, size_t want)
{
	struct rf_pkg_stream *s = r->s;
	size_t n = 0;
	while (n < want) {
		if (!r->blk_len) {
			const void *p;
			size_t len;
			uint64_t off = 0;
			int rc = rf_ps_data_block(s, &p, &len, &off);
			if (rc)
				return rc;
			if (!len || off < r->done + n || off + len > r->size) {
				rf_ps_pass_close(s);
				return rf_errf(s->err, RF_EFORMAT, "%s: %s in "
					       "the archive is damaged "
					       "(%llu of %llu bytes)",
					       s->pkg->path, s->img[r->k].rel,
					       (unsigned long long)(r->done + n),
					       (unsigned long long)r->size);
			}
			r->blk = p;
			r->blk_len = len;
			r->blk_off = off;
		}
		uint64_t cur = r->done + n;
		if (r->blk_off > cur) { /* a hole of a sparse tar entry */
			uint64_t z = r->blk_off - cur;
			if (z > want - n)
				z = want - n;
			memset(buf + n, 0, (size_t)z);
			n += (size_t)z;
			continue;
		}
		size_t c = r->blk_len < want - n ? r->blk_len : want - n;
		memcpy(buf + n, r->blk, c);
		r->blk += c;
		r->blk_len -= c;
		r->blk_off += c;
		n += c;
	}
	return RF_OK;
}

/* R_FILE, R_SPOOL: through the verified window that holds each byte. */
static int win_fill(struct reader *r, unsigned char *buf, size_t want)
{
	struct rf_pkg_stream *s = r->s;
	size_t n = 0;
	while (n < want) {
		uint64_t pos = r->done + n;
		size_t k = (size_t)(pos / RF_VWIN), o = (size_t)(pos % RF_VWIN);
		if (s->win_of != &r->vf || s->win_k != k) {
			int rc;
			if (!s->win && !(s->win = malloc(RF_VWIN)))
				return rf_errf(s->err, RF_ENOMEM, "out of memory");
			s->win_of = NULL;
			rc = rf_vfile_window(&r->vf, k, s->win, &s->win_len,
					     s->err);
			if (rc)
				return rc;
			s->win_of = &r->vf;
			s->win_k = k;
		}
		if (o >= s->win_len)
			return rf_errf(s->err, RF_ECHANGED, "%s changed on disk "
				       "since it was verified (shorter)",
				       r->vf.name);
		size_t c = s->win_len - o < want - n ? s->win_len - o : want - n;
		memcpy(buf + n, s->win + o, c);
		n += c;
	}
	return RF_OK;
}

static int par_fill(struct reader *r, unsigned char *buf, size_t want)
{
	struct rf_pkg_stream *s = r->s;
	size_t n = 0;
	while (n < want) {
		size_t got;
		int rc = rf_pinf_read(r->par, buf + n, want - n, &got);
		if (rc == RF_ECHANGED) /* it names the file */
			return rf_errf(s->err, rc, "%s", rf_pinf_err(r->par));
		if (rc)
			return rf_errf(s->err, rc, "%s: %s", s->pkg->path,
				       rf_pinf_err(r->par));
		if (!got)
			return rf_errf(s->err, RF_EFORMAT, "%s: %s ends early",
				       s->pkg->path, s->img[r->k].rel);
		n += got;
	}
	return RF_OK;
}

int rf_ps_reader_read(void *ctx, void *buf, size_t len, size_t *got)
{
	struct reader *r = ctx;
	struct rf_pkg_stream *s = r->s;
	int rc;

	*got = 0;
	if (r->kind == R_FAILED)
		return r->rc;
	if (r->kind == R_NONE)
		return reader_fail(r, rf_errf(s->err, RF_EINVAL, "internal: "
					      "no image positioned"));
	/* no Ctrl-C check here: a download under way is finished (the
	 * bootloader would read the next command as image data); the
	 * caller stops between downloads */
	uint64_t left = r->size - r->done;
	size_t want = left < len ? (size_t)left : len;
	if (!want)
		return RF_OK;
	rc = r->kind == R_TAR ? tar_fill(r, buf, want) :
	     r->kind == R_PAR ? par_fill(r, buf, want) : win_fill(r, buf, want);
	if (rc)
		return reader_fail(r, rc);
	if (r->kind == R_TAR)
		rf_ps_spool_write(s, &r->tee, buf, want);
	r->done += want;
	if (r->done == r->size && r->kind == R_TAR)
		rf_ps_spool_keep(s, &r->tee, r->k);
	*got = want;
	return RF_OK;
}

/* The reader of the tar pass is left with a copy to the spool under way:
 * complete it (that is what the order needs it for).  (The copy stays in
 * r->tee: its recorder points into it.) */
static int finish_tee(struct rf_pkg_stream *s, struct reader *r)
{
	uint64_t done = r->done;
	int rc;

	r->kind = R_NONE; /* an error now aborts the copy here, not there */
	/* what the caller read is in the copy; the block in hand is the
	 * rest's start */
	if (r->blk_len) {
		rf_ps_spool_zeros(s, &r->tee, r->blk_off - r->done);
		rf_ps_spool_write(s, &r->tee, r->blk, r->blk_len);
		done = r->blk_off + r->blk_len;
	}
	rc = rf_ps_spool_rest(s, &r->tee, done);
	if (rc || r->tee.fd < 0)
		rf_ps_spool_abort(s, &r->tee);
	else
		rf_ps_spool_keep(s, &r->tee, r->k);
	return rc;
}

int rf_ps_reader_end(struct rf_pkg_stream *s)
{
	struct reader *r = &s->r;
	int rc = RF_OK;
	if (r->kind == R_TAR && r->tee.fd >= 0)
		rc = finish_tee(s, r);
	/* (a reader that failed holds them still) */
	if (r->fd >= 0)
		close(r->fd);
	rf_pinf_close(r->par);
	r->par = NULL;
	r->kind = R_NONE;
	r->fd = -1;
	r->blk = NULL;
	r->blk_len = 0;
	s->win_of = NULL; /* the next reader's vf is at the same address */
	return rc;
}

/* Open dir/rel with no symbolic link anywhere below dir. */
static int dir_open(struct rf_pkg_stream *s, const char *rel, int *out)
{
	char part[1024];
	int dfd, rc = RF_OK;
	const char *p = rel;

	*out = -1;
	dfd = open(s->pkg->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return rf_errf(s->err, RF_ESYS, "%s: %s", s->pkg->dir,
			       strerror(errno));
	for (;;) {
		const char *sl = strchr(p, '/');
		size_t l = sl ? (size_t)(sl - p) : strlen(p);
		if (!l || l >= sizeof part || (l == 1 && p[0] == '.') ||
		    (l == 2 && !strncmp(p, "..", 2))) {
			rc = rf_errf(s->err, RF_EFORMAT, "%s: unsafe path", rel);
			break;
		}
		memcpy(part, p, l);
		part[l] = 0;
		int fl = O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
			 (sl ? O_DIRECTORY : O_NONBLOCK);
		int fd = openat(dfd, part, fl);
		if (fd < 0) {
			int e = errno;
			rc = e == ELOOP || e == ENOTDIR || e == ENOENT ?
			     rf_errf(s->err, RF_ECHANGED, "%s/%s changed on "
				     "disk since it was verified (%s)",
				     s->pkg->dir, rel, strerror(e)) :
			     rf_errf(s->err, RF_ESYS, "%s/%s: %s", s->pkg->dir,
				     rel, strerror(e));
			break;
		}
		close(dfd);
		dfd = fd;
		if (!sl) {
			*out = dfd;
			return RF_OK;
		}
		p = sl + 1;
	}
	close(dfd);
	return rc;
}

int rf_ps_dir_image(struct rf_pkg_stream *s, size_t k)
{
	const struct rf_pkg_file *f = rf_pkg_find(s->pkg, s->img[k].rel);
	char name[sizeof s->pkg->dir + 1200];
	struct stat sb;
	int fd, rc = dir_open(s, s->img[k].rel, &fd);

	if (rc)
		return rc;
	snprintf(name, sizeof name, "%s/%s", s->pkg->dir, s->img[k].rel);
	if (fstat(fd, &sb) < 0) {
		rc = rf_errf(s->err, RF_ESYS, "%s: %s", name, strerror(errno));
		close(fd);
		return rc;
	}
	if (!S_ISREG(sb.st_mode) || (uint64_t)sb.st_size != s->img[k].size ||
	    !f || f->win.size != s->img[k].size) {
		close(fd);
		return rf_errf(s->err, RF_ECHANGED, "%s changed on disk since "
			       "it was verified (not the file of %llu bytes "
			       "it was)", name,
			       (unsigned long long)s->img[k].size);
	}
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	s->r.kind = R_FILE;
	s->r.fd = fd;
	rf_vfile_wrap(&s->r.vf, fd, &f->win, name);
	return RF_OK;
}
