/* Images of a package in the plan's order (see pkg_stream.h).
 *
 * A pass is rf_gzr (read + MD5 + ISA-L gunzip) feeding libarchive's tar
 * parser through a read callback; the image handed out is read with
 * archive_read_data_block, whose blocks point into the inflated buffer, so
 * the only copy is into the caller's buffer.
 *
 * Spool files are unlinked as soon as they are created: the descriptor is
 * the only handle, so a crash leaves at most an empty private folder, and
 * "deleting" a spooled image is closing it.
 *
 * The identity compared on every pass (device, inode, size, mtime, ctime)
 * is the one package.c recorded from the descriptor it hashed.  A pass
 * from byte 0 is also checked by its MD5: before the final bytes of the
 * last image of the order are handed out, the pass is read to its end and
 * its MD5 compared with the verified one.  A pass resumed at an index
 * point cannot be hashed; it relies on the identity alone (and on the
 * gzip CRC of the members it reads to their end). */
#include "pkg_stream.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "inflate.h"
#include "par_inflate.h"

/* Spool only while this much disk stays free besides the budget. */
#define SPOOL_DISK_MARGIN (64ull << 20)
/* With an index: an image at most this far ahead is walked to; farther,
 * resuming at an index point (at most RF_PKG_GZ_INDEX_STEP to discard)
 * inflates less. */
#define WALK_MAX (32ull << 20)

struct img {
	char *rel;
	uint64_t size;
	uint64_t tar_off;    /* its tar header in the uncompressed stream */
	uint64_t data_off;   /* its data there (0: unknown) */
	int spool_fd;        /* complete copy in the spool, or -1 */
	unsigned seen_pass;  /* the pass that last went past it (0: none) */
};

enum rkind { R_NONE, R_TAR, R_SPOOL, R_FILE, R_PAR, R_FAILED };

struct reader {
	struct rf_pkg_stream *s;
	enum rkind kind;
	int rc;              /* R_FAILED: what every read returns */
	size_t k;            /* image */
	uint64_t size, done;
	int last;            /* last use of the order: verify before the end */
	/* R_TAR: current data block of the entry */
	const unsigned char *blk;
	size_t blk_len;
	uint64_t blk_off;
	int tee_fd;          /* copy to the spool while reading, or -1 */
	uint64_t tee_done;
	/* R_SPOOL, R_FILE; R_PAR: the verified file, held open */
	int fd;
	struct rf_pinf *par; /* R_PAR */
};

struct rf_pkg_stream {
	const struct rf_package *pkg;
	const volatile sig_atomic_t *cancel;
	uint64_t par_min;    /* images this large go to par_inflate */
	struct img *img;
	size_t nimg, capimg;
	size_t *ord;         /* order entry -> image */
	size_t norder, pos;  /* next order entry expected */
	/* file identity, compared at every pass */
	dev_t dev;
	ino_t ino;
	off_t fsize;
	struct timespec mtime, ctime;
	int have_ctime;
	int use_index;       /* the package has resume points, and they work */
	/* the pass */
	struct rf_gzr *g;
	struct archive *a;
	int g_rc;            /* error of rf_gzr seen by the read callback */
	unsigned pass;
	int pass_end;        /* tar fully read and MD5 checked */
	int mid;             /* the pass resumed at an index point */
	uint64_t skip;       /* uncompressed bytes still to discard */
	uint64_t here;       /* about where the tar reader stands */
	/* spool */
	char spool_parent[4096];
	char spool_dir[4096 + 32];
	int have_spool_dir;
	unsigned seq;
	uint64_t budget, spool_used;
	struct rf_pkg_stream_stats st;
	struct reader r;
	char err[RF_ERRLEN];
};

static const unsigned char zeros[65536];

static int cancelled(const struct rf_pkg_stream *s)
{
	return s->cancel && *s->cancel;
}

static int uses_from(const struct rf_pkg_stream *s, size_t k, size_t from)
{
	int n = 0;
	for (size_t i = from; i < s->norder; i++)
		n += s->ord[i] == k;
	return n;
}

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

/* ------------------------------------------------------------ spool */

static void spool_drop(struct rf_pkg_stream *s, size_t k)
{
	struct img *m = &s->img[k];
	if (m->spool_fd < 0)
		return;
	close(m->spool_fd);
	m->spool_fd = -1;
	s->spool_used -= m->size;
}

/* Spooled images the rest of the order no longer needs (but `keep`,
 * about to be read). */
static void spool_gc(struct rf_pkg_stream *s, size_t keep)
{
	for (size_t k = 0; k < s->nimg; k++)
		if (k != keep && s->img[k].spool_fd >= 0 &&
		    !uses_from(s, k, s->pos))
			spool_drop(s, k);
}

/* An unlinked file in the private folder for `size` bytes, with the bytes
 * reserved in the budget; -1 when it does not fit (then the image is
 * read again from the package when asked). */
static int spool_create(struct rf_pkg_stream *s, uint64_t size)
{
	if (size > s->budget || s->spool_used > s->budget - size)
		return -1;
	if (!s->have_spool_dir) {
		snprintf(s->spool_dir, sizeof s->spool_dir,
			 "%s/romflash-spool.XXXXXX", s->spool_parent);
		if (!mkdtemp(s->spool_dir))
			return -1;
		s->have_spool_dir = 1;
	}
	struct statvfs vf;
	if (statvfs(s->spool_dir, &vf) == 0 &&
	    (uint64_t)vf.f_bavail * vf.f_frsize < size + SPOOL_DISK_MARGIN)
		return -1;
	char path[sizeof s->spool_dir + 32];
	snprintf(path, sizeof path, "%s/%u", s->spool_dir, ++s->seq);
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		      0600);
	if (fd < 0)
		return -1;
	unlink(path);
	s->spool_used += size;
	if (s->spool_used > s->st.spool_peak)
		s->st.spool_peak = s->spool_used;
	return fd;
}

static void spool_abort(struct rf_pkg_stream *s, int fd, uint64_t size)
{
	close(fd);
	s->spool_used -= size;
}

/* A failed spool write only costs a later pass: not an error. */
static int write_all(int fd, const void *p, size_t n);

static int write_zeros(int fd, uint64_t n)
{
	while (n) {
		size_t z = n < sizeof zeros ? (size_t)n : sizeof zeros;
		if (write_all(fd, zeros, z))
			return -1;
		n -= z;
	}
	return 0;
}

static int write_all(int fd, const void *p, size_t n)
{
	const unsigned char *c = p;
	while (n) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* ------------------------------------------------------------- pass */

static la_ssize_t la_read(struct archive *a, void *ud, const void **buf)
{
	struct rf_pkg_stream *s = ud;
	size_t n;
	for (;;) {
		/* Ctrl-C stops a walk through other entries, never the read
		 * of an image (see reader_read) */
		if (s->r.kind != R_TAR && cancelled(s)) {
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

static void pass_close(struct rf_pkg_stream *s)
{
	if (s->r.kind == R_TAR) {
		if (s->r.tee_fd >= 0)
			spool_abort(s, s->r.tee_fd, s->r.size);
		s->r.tee_fd = -1;
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
	if (s->g_rc == RF_EINTR || (!s->g_rc && cancelled(s)))
		rc = rf_errf(s->err, RF_EINTR, "interrupted");
	else if (s->g_rc)
		rc = rf_errf(s->err, s->g_rc, "%s: %s", s->pkg->path,
			     rf_gzr_err(s->g));
	else
		rc = rf_errf(s->err, RF_EFORMAT, "%s: %s: %s", s->pkg->path,
			     what, archive_error_string(s->a) ?
			     archive_error_string(s->a) : "bad tar archive");
	pass_close(s);
	return rc;
}

static int same_file(const struct rf_pkg_stream *s, const struct stat *sb)
{
	return sb->st_dev == s->dev && sb->st_ino == s->ino &&
	       sb->st_size == s->fsize &&
	       sb->st_mtim.tv_sec == s->mtime.tv_sec &&
	       sb->st_mtim.tv_nsec == s->mtime.tv_nsec &&
	       (!s->have_ctime ||
		(sb->st_ctim.tv_sec == s->ctime.tv_sec &&
		 sb->st_ctim.tv_nsec == s->ctime.tv_nsec));
}

static int changed(struct rf_pkg_stream *s)
{
	return rf_errf(s->err, RF_EFORMAT, "%s changed since it was verified; "
		       "open it again", s->pkg->path);
}

/* Open the package and check it is the file that was verified.  `via`
 * names that very descriptor through /proc, whatever is renamed over the
 * path meanwhile ("" when /proc is not there); the caller closes *fd. */
static int open_verified(struct rf_pkg_stream *s, int *fd, char via[64])
{
	struct stat sb;
	int rc;

	*fd = open(s->pkg->path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return rf_errf(s->err, RF_ESYS, "%s: %s", s->pkg->path,
			       strerror(errno));
	if (fstat(*fd, &sb) < 0) {
		rc = rf_errf(s->err, RF_ESYS, "%s: %s", s->pkg->path,
			     strerror(errno));
		close(*fd);
		return rc;
	}
	if (!same_file(s, &sb)) {
		close(*fd);
		return changed(s);
	}
	snprintf(via, 64, "/proc/self/fd/%d", *fd);
	if (access(via, R_OK) != 0)
		via[0] = 0;
	return RF_OK;
}

/* A new pass: from the start of the file (pt NULL: read and hashed) or
 * resumed at index point pt, discarding output up to `skip_to`. */
static int pass_open_at(struct rf_pkg_stream *s, const struct rf_gz_point *pt,
			uint64_t skip_to)
{
	struct stat sb;
	char via[64];
	int rc, fd;

	pass_close(s);
	if (cancelled(s))
		return rf_errf(s->err, RF_EINTR, "interrupted");
	if ((rc = open_verified(s, &fd, via)))
		return rc;
	/* rf_gzr opens by name: `via` is the very file just checked */
	rc = pt ? rf_gzr_open_at(&s->g, via[0] ? via : s->pkg->path, pt,
				 s->err) :
	     rf_gzr_open(&s->g, via[0] ? via : s->pkg->path, 1, s->err);
	close(fd);
	if (rc)
		return rf_errf(s->err, rc, "%s: cannot read it again",
			       s->pkg->path);
	if (!via[0] && (stat(s->pkg->path, &sb) < 0 || !same_file(s, &sb))) {
		rc = changed(s);
		goto fail;
	}
	if (rf_gzr_file_size(s->g) != (uint64_t)s->fsize) {
		rc = changed(s);
		goto fail;
	}
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
		rc = rf_errf(s->err, RF_ENOMEM, "out of memory");
		goto fail;
	}
	archive_read_support_format_tar(s->a);
	if (archive_read_open(s->a, s, NULL, la_read, NULL) != ARCHIVE_OK)
		return la_err(s, "bad tar archive");
	return RF_OK;
fail:
	pass_close(s);
	return rc;
}

static int pass_open(struct rf_pkg_stream *s)
{
	return pass_open_at(s, NULL, 0);
}

/* Entry name as package.c lists it: "." parts and repeated '/' dropped,
 * then the top folder removed.  0 when it is not a package file. */
static int entry_rel(const struct rf_pkg_stream *s, const char *name,
		     char *out, size_t cap)
{
	size_t n = 0;
	if (!name)
		return 0;
	while (*name) {
		const char *sl = strchr(name, '/');
		size_t l = sl ? (size_t)(sl - name) : strlen(name);
		if (l && !(l == 1 && *name == '.')) {
			if (n + l + 2 > cap)
				return 0;
			if (n)
				out[n++] = '/';
			memcpy(out + n, name, l);
			n += l;
		}
		name += l;
		if (*name == '/')
			name++;
	}
	out[n] = 0;
	const char *top = s->pkg->top;
	size_t tl = strlen(top);
	if (!tl)
		return n > 0;
	if (n <= tl + 1 || strncmp(out, top, tl) || out[tl] != '/')
		return 0;
	memmove(out, out + tl + 1, n - tl);
	return 1;
}

/* The pass went through the whole tar: its MD5 must be the verified one. */
static int pass_finish(struct rf_pkg_stream *s)
{
	char md5[33];
	int rc = rf_gzr_finish(s->g, md5);
	if (rc) {
		rc = rf_errf(s->err, rc, "%s: %s", s->pkg->path,
			     rf_gzr_err(s->g));
		pass_close(s);
		return rc;
	}
	/* a resumed pass hashed nothing: its identity was checked */
	if (!s->mid && strcmp(md5, s->pkg->md5)) {
		rc = rf_errf(s->err, RF_EFORMAT, "%s changed since it was "
			     "verified (MD5 now %s, was %s)", s->pkg->path,
			     md5, s->pkg->md5);
		pass_close(s);
		return rc;
	}
	s->pass_end = 1;
	return RF_OK;
}

/* Next regular file of the tar: *k its image (or (size_t)-1 when the
 * order does not need it).  *end at the end of the tar (MD5 checked). */
static int pass_next(struct rf_pkg_stream *s, size_t *k, int *end)
{
	struct archive_entry *e;
	char rel[1200];
	*end = 0;
	*k = (size_t)-1;
	for (;;) {
		if (cancelled(s)) {
			pass_close(s);
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
			pass_close(s);
			return changed(s);
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

/* Next data block of the current entry; *len 0 at its end. */
static int data_block(struct rf_pkg_stream *s, const void **p, size_t *len,
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

/* Copy the rest of the current entry (`done` bytes already in `fd`) to
 * the spool.  A write failure is not an error: *ok says if it worked. */
static int spool_rest(struct rf_pkg_stream *s, int fd, uint64_t done,
		      uint64_t size, int *ok)
{
	const void *p;
	size_t len;
	uint64_t off = 0;
	*ok = 1;
	for (;;) {
		if (cancelled(s)) {
			pass_close(s);
			return rf_errf(s->err, RF_EINTR, "interrupted");
		}
		int rc = data_block(s, &p, &len, &off);
		if (rc)
			return rc;
		if (!len)
			break;
		if (off < done || off + len > size) {
			pass_close(s);
			return rf_errf(s->err, RF_EFORMAT, "%s: bad tar entry "
				       "offsets", s->pkg->path);
		}
		if (!*ok)
			continue;
		/* off > done: a hole of a sparse tar entry */
		*ok = !write_zeros(fd, off - done) && !write_all(fd, p, len);
		done = off + len;
		s->st.spooled_bytes += len;
	}
	if (*ok && done < size)
		*ok = ftruncate(fd, (off_t)size) == 0;
	return RF_OK;
}

static int spool_entry(struct rf_pkg_stream *s, size_t k)
{
	int ok, fd = spool_create(s, s->img[k].size);
	if (fd < 0)
		return RF_OK;
	int rc = spool_rest(s, fd, 0, s->img[k].size, &ok);
	if (rc || !ok) {
		spool_abort(s, fd, s->img[k].size);
		return rc;
	}
	s->img[k].spool_fd = fd;
	return RF_OK;
}

/* Read the pass to its end and check its MD5. */
static int pass_drain(struct rf_pkg_stream *s)
{
	size_t k;
	int end = 0, rc = RF_OK;
	if (!s->a || s->pass_end)
		return RF_OK;
	while (!rc && !end)
		rc = pass_next(s, &k, &end);
	return rc;
}

/* ----------------------------------------------------------- reader */

static int reader_fail(struct reader *r, int rc)
{
	if (r->tee_fd >= 0)
		spool_abort(r->s, r->tee_fd, r->size);
	r->tee_fd = -1;
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
			int rc = data_block(s, &p, &len, &off);
			if (rc)
				return rc;
			if (!len || off < r->done + n || off + len > r->size) {
				pass_close(s);
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
		if (r->blk_off > cur) {
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

static int file_fill(struct reader *r, unsigned char *buf, size_t want)
{
	struct rf_pkg_stream *s = r->s;
	size_t n = 0;
	while (n < want) {
		ssize_t got = pread(r->fd, buf + n, want - n,
				    (off_t)(r->done + n));
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return rf_errf(s->err, RF_ESYS, "%s: %s",
				       s->img[r->k].rel, strerror(errno));
		if (got == 0)
			return r->kind == R_FILE ? changed(s) :
			       rf_errf(s->err, RF_ESYS, "%s: spool copy "
				       "shorter than expected", s->img[r->k].rel);
		n += (size_t)got;
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

static int reader_read(void *ctx, void *buf, size_t len, size_t *got)
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
	     r->kind == R_PAR ? par_fill(r, buf, want) : file_fill(r, buf, want);
	if (rc)
		return reader_fail(r, rc);
	if (r->kind == R_TAR && r->tee_fd >= 0) {
		if (write_all(r->tee_fd, buf, want)) {
			spool_abort(s, r->tee_fd, r->size);
			r->tee_fd = -1;
		} else {
			s->st.spooled_bytes += want;
		}
	}
	r->done += want;
	if (r->done == r->size) {
		if (r->kind == R_TAR && r->tee_fd >= 0) {
			s->img[r->k].spool_fd = r->tee_fd;
			r->tee_fd = -1;
		}
		/* The final bytes of the flash wait for the MD5 of the file
		 * they came from. */
		if (r->last && r->kind == R_TAR && !s->mid && (rc = pass_drain(s)))
			return reader_fail(r, rc);
	}
	*got = want;
	return RF_OK;
}

/* Leave the current reader so the stream can move on: a copy to the spool
 * in progress is completed (that is what the order needs it for). */
static int reader_end(struct rf_pkg_stream *s)
{
	struct reader *r = &s->r;
	int rc = RF_OK;
	if (r->kind == R_TAR && r->tee_fd >= 0) {
		int ok, fd = r->tee_fd;
		uint64_t size = r->size;
		r->tee_fd = -1;
		r->kind = R_NONE;
		/* what the caller read is in the spool file; the block
		 * in hand is the rest's start */
		uint64_t done = r->done;
		if (r->blk_len) {
			ok = !write_zeros(fd, r->blk_off - r->done) &&
			     !write_all(fd, r->blk, r->blk_len);
			done = r->blk_off + r->blk_len;
			if (ok)
				s->st.spooled_bytes += r->blk_len;
		} else {
			ok = 1;
		}
		if (ok && (rc = spool_rest(s, fd, done, size, &ok)) == RF_OK &&
		    ok)
			s->img[r->k].spool_fd = fd;
		else
			spool_abort(s, fd, size);
	} else if (r->kind == R_FILE) {
		close(r->fd);
	} else if (r->kind == R_PAR) {
		rf_pinf_close(r->par);
		r->par = NULL;
		close(r->fd);
	}
	r->kind = R_NONE;
	r->fd = -1;
	r->blk = NULL;
	r->blk_len = 0;
	return rc;
}

/* --------------------------------------------------------- folders */

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
			     changed(s) :
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

static int dir_image(struct rf_pkg_stream *s, size_t k)
{
	struct stat sb;
	int fd, rc = dir_open(s, s->img[k].rel, &fd);
	if (rc)
		return rc;
	if (fstat(fd, &sb) < 0) {
		rc = rf_errf(s->err, RF_ESYS, "%s: %s", s->img[k].rel,
			     strerror(errno));
		close(fd);
		return rc;
	}
	if (!S_ISREG(sb.st_mode) || (uint64_t)sb.st_size != s->img[k].size) {
		close(fd);
		return changed(s);
	}
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	s->r.kind = R_FILE;
	s->r.fd = fd;
	return RF_OK;
}

/* ------------------------------------------------------------- tgz */

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
	if ((rc = pass_open_at(s, &p->gz_points[lo], want)))
		return rc;
	rc = pass_next(s, &e, &end);
	if (rc == RF_EFORMAT || (!rc && (end || e != k))) {
		pass_close(s);
		s->err[0] = 0;
		*miss = 1;
		return RF_OK;
	}
	return rc;
}

/* A large image: inflated by two threads from the index's points, through
 * the very file that was verified (held open, reopened via /proc).  *used
 * stays 0 where that cannot be done: the caller reads it the usual way. */
static int par_image(struct rf_pkg_stream *s, size_t k, int *used)
{
	const struct img *m = &s->img[k];
	char via[64];
	int fd, rc;

	*used = 0;
	if (!m->data_off || m->size < s->par_min || m->spool_fd >= 0)
		return RF_OK;
	if ((rc = open_verified(s, &fd, via)))
		return rc;
	if (!via[0]) { /* the workers open by name: only through /proc */
		close(fd);
		return RF_OK;
	}
	pass_close(s); /* the next image is found by the index */
	rc = rf_pinf_open(&s->r.par, via, s->pkg->gz_points, s->pkg->ngz_points,
			  m->data_off, m->size, s->err);
	if (rc) {
		close(fd);
		return rc;
	}
	s->r.fd = fd;
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
			if ((rc = pass_next(s, &e, &end)))
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
	pass_close(s);
	return tgz_image(s, k);
}

static int tgz_image(struct rf_pkg_stream *s, size_t k)
{
	struct img *m = &s->img[k];
	int rc, end;
	size_t e;

	if (m->spool_fd >= 0) {
		s->r.kind = R_SPOOL;
		s->r.fd = m->spool_fd;
		return RF_OK;
	}
	if (s->use_index)
		return tgz_image_indexed(s, k);
	if (!s->a || s->pass_end || m->seen_pass == s->pass)
		if ((rc = pass_open(s)))
			return rc;
	for (;;) {
		if ((rc = pass_next(s, &e, &end)))
			return rc;
		if (end) {
			pass_close(s);
			return rf_errf(s->err, RF_EFORMAT, "%s: %s is not in "
				       "the archive any more", s->pkg->path,
				       m->rel);
		}
		if (e == k)
			break;
		if (e != (size_t)-1 && s->img[e].spool_fd < 0 &&
		    uses_from(s, e, s->pos) && (rc = spool_entry(s, e)))
			return rc;
	}
	s->r.kind = R_TAR;
	s->r.tee_fd = uses_from(s, k, s->pos) ? spool_create(s, m->size) : -1;
	return RF_OK;
}

/* ------------------------------------------------------------ public */

int rf_pkg_stream_open(struct rf_pkg_stream **out, const struct rf_package *pkg,
		       const struct rf_pkg_stream_opts *o, char *err)
{
	struct rf_pkg_stream *s;
	struct stat sb;
	int rc = RF_OK, nomem;

	*out = NULL;
	if (pkg->kind != RF_PKG_TGZ && pkg->kind != RF_PKG_DIR)
		return rf_errf(err, RF_EINVAL, "%s: not a fastboot package",
			       pkg->path);
	if (!(s = calloc(1, sizeof *s)))
		return rf_errf(err, RF_ENOMEM, "out of memory");
	s->pkg = pkg;
	s->r.s = s;
	s->r.fd = s->r.tee_fd = -1;
	s->cancel = o ? o->cancel : NULL;
	s->par_min = o && o->par_min ? o->par_min : RF_PKG_PAR_MIN;
	const char *dir = o && o->spool_dir ? o->spool_dir : getenv("TMPDIR");
	if (!dir || !*dir)
		dir = "/tmp";
	if (strlen(dir) >= sizeof s->spool_parent) {
		rc = rf_errf(err, RF_EINVAL, "spool folder name too long");
		goto out;
	}
	snprintf(s->spool_parent, sizeof s->spool_parent, "%s", dir);
	s->budget = o && o->spool_budget ? o->spool_budget :
		    pkg->content_size / 10;
	s->norder = o ? o->norder : 0;
	if (s->norder && !(s->ord = calloc(s->norder, sizeof *s->ord))) {
		rc = rf_errf(err, RF_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < s->norder; i++) {
		s->ord[i] = img_index(s, o->order[i], &nomem);
		if (nomem) {
			rc = rf_errf(err, RF_ENOMEM, "out of memory");
			goto out;
		}
		if (s->ord[i] == (size_t)-1) {
			rc = rf_errf(err, RF_EFORMAT, "%s: no %s in the package",
				     pkg->path, o->order[i]);
			goto out;
		}
	}
	if (pkg->kind == RF_PKG_TGZ) {
		if (stat(pkg->path, &sb) < 0) {
			rc = rf_errf(err, RF_ESYS, "%s: %s", pkg->path,
				     strerror(errno));
			goto out;
		}
		if (!S_ISREG(sb.st_mode) ||
		    (uint64_t)sb.st_size != pkg->file_size) {
			rc = rf_errf(err, RF_EFORMAT, "%s changed since it was "
				     "verified; open it again", pkg->path);
			goto out;
		}
		s->dev = sb.st_dev;
		s->ino = sb.st_ino;
		s->fsize = sb.st_size;
		s->mtime = sb.st_mtim;
		/* the descriptor verified: a change since then is refused */
		if (pkg->ident.size) {
			const struct rf_pkg_ident *id = &pkg->ident;
			s->dev = id->dev;
			s->ino = id->ino;
			s->fsize = id->size;
			s->mtime = id->mtim;
			s->ctime = id->ctim;
			s->have_ctime = 1;
			if (!same_file(s, &sb)) {
				rc = rf_errf(err, RF_EFORMAT, "%s changed "
					     "since it was verified; open it "
					     "again", pkg->path);
				goto out;
			}
		}
		s->use_index = pkg->ngz_points > 0;
	}
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

	*rd = reader_read;
	*ctx = &s->r;
	*size = 0;
	s->err[0] = 0;
	rc = reader_end(s);
	if (rc)
		goto fail;
	if (cancelled(s)) {
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
	spool_gc(s, k);
	s->r.k = k;
	s->r.size = s->img[k].size;
	s->r.done = 0;
	s->r.last = i < s->norder && s->pos == s->norder;
	s->r.blk = NULL;
	s->r.blk_len = 0;
	s->r.tee_fd = -1;
	s->r.fd = -1;
	rc = s->pkg->kind == RF_PKG_DIR ? dir_image(s, k) : tgz_image(s, k);
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
	if (s->r.kind == R_TAR && s->r.tee_fd >= 0)
		spool_abort(s, s->r.tee_fd, s->r.size);
	reader_end(s);
	pass_close(s);
	for (size_t k = 0; k < s->nimg; k++) {
		spool_drop(s, k);
		free(s->img[k].rel);
	}
	if (s->have_spool_dir)
		rmdir(s->spool_dir);
	free(s->img);
	free(s->ord);
	free(s);
}
