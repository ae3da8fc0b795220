/* Verification records.  See pkg_record.h.
 *
 * The file: a header (format, the ISA-L build, the identity and real path
 * of the package), the package's listing, window digests and resume points,
 * then the SHA-256 of everything before it.  Numbers are little-endian
 * 64-bit; strings a length and their bytes.  It is read as a stream (no
 * second copy in memory), every count bounded by what a package can hold,
 * and thrown away whole when its checksum does not match at the end. */
#include "pkg_record.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <isa-l.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gz_index.h"
#include "pkg_int.h"
#include "rf_str.h"

#define RF_SHA256_LEN 32 /* the record's own checksum, its file name */

/* 2: window tags are GMACs under a key kept in the record (1: SHA-256) */
#define MAGIC "romflash verification record 2\n"

void rf_pkg_record_dir(char *out, size_t cap)
{
	const char *x = getenv("XDG_CACHE_HOME"), *h = getenv("HOME");
	out[0] = 0;
	if (x && x[0] == '/')
		snprintf(out, cap, "%s/romflash/verified", x);
	else if (h && h[0] == '/')
		snprintf(out, cap, "%s/.cache/romflash/verified", h);
}

/* dir/<first 128 bits of SHA-256(real path)> */
static int record_name(const char *pkgpath, const char *dir, char *out,
		       size_t cap, char *real, size_t rcap)
{
	unsigned char d[RF_SHA256_LEN];
	char hex[33];
	char *rp = realpath(pkgpath, NULL);
	rf_strlcpy(real, rp ? rp : pkgpath, rcap);
	free(rp);
	if (!EVP_Digest(real, strlen(real), d, NULL, EVP_sha256(), NULL))
		return RF_ENOMEM;
	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	return snprintf(out, cap, "%s/%s", dir, hex) < (int)cap ? RF_OK
								 : RF_EINVAL;
}

/* ------------------------------------------------------------- writing */

struct wr {
	FILE *f;
	EVP_MD_CTX *md;
	int bad;
};

static void w_bytes(struct wr *w, const void *p, size_t n)
{
	if (!n || w->bad)
		return;
	if (fwrite(p, 1, n, w->f) != n || !EVP_DigestUpdate(w->md, p, n))
		w->bad = 1;
}

static void w_u64(struct wr *w, uint64_t v)
{
	unsigned char b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	w_bytes(w, b, 8);
}

static void w_str(struct wr *w, const char *s, size_t n)
{
	w_u64(w, s ? n : UINT64_MAX);
	if (s)
		w_bytes(w, s, n);
}

static void w_ident(struct wr *w, const struct rf_pkg_ident *id)
{
	w_u64(w, (uint64_t)id->dev);
	w_u64(w, (uint64_t)id->ino);
	w_u64(w, (uint64_t)id->size);
	w_u64(w, (uint64_t)id->mtim.tv_sec);
	w_u64(w, (uint64_t)id->mtim.tv_nsec);
	w_u64(w, (uint64_t)id->ctim.tv_sec);
	w_u64(w, (uint64_t)id->ctim.tv_nsec);
}

static void w_layout(struct wr *w, const struct rf_sparse_layout *l)
{
	w_u64(w, l != NULL);
	if (!l)
		return;
	w_u64(w, (uint64_t)l->is_sparse);
	w_u64(w, l->blk_sz);
	w_u64(w, l->total_blks);
	w_u64(w, l->out_bytes);
	w_u64(w, l->in_bytes);
	w_u64(w, l->crc_chunks);
	w_u64(w, l->n);
	for (size_t i = 0; i < l->n; i++) {
		const struct rf_sparse_extent *e = &l->ext[i];
		w_u64(w, e->src_off);
		w_u64(w, (uint64_t)e->out_blk | (uint64_t)e->nblk << 32);
		w_u64(w, (uint64_t)e->fill | (uint64_t)e->type << 32);
	}
}

static void w_file(struct wr *w, const struct rf_pkg_file *f)
{
	w_str(w, f->path, strlen(f->path));
	w_u64(w, f->size);
	w_u64(w, (uint64_t)f->sparse);
	w_str(w, f->bad, f->bad ? strlen(f->bad) : 0);
	w_str(w, f->text, f->text_len);
	w_u64(w, f->tar_off);
	w_u64(w, f->data_off);
	w_layout(w, f->layout);
}

static void w_package(struct wr *w, const struct rf_package *p,
		      const char *real)
{
	w_bytes(w, MAGIC, sizeof MAGIC - 1);
	w_u64(w, ISAL_VERSION);
	w_u64(w, sizeof(struct inflate_state));
	w_u64(w, RF_VWIN);
	w_ident(w, &p->ident);
	w_str(w, real, strlen(real));
	w_str(w, p->md5, strlen(p->md5));
	w_str(w, p->top, strlen(p->top));
	w_u64(w, p->file_size);
	w_u64(w, p->content_size);
	w_u64(w, p->nfiles);
	for (size_t i = 0; i < p->nfiles; i++)
		w_file(w, &p->files[i]);
	w_u64(w, p->win.size);
	w_u64(w, p->win.n);
	w_bytes(w, p->win.key, sizeof p->win.key);
	w_bytes(w, p->win.tag, p->win.n * sizeof *p->win.tag);
	w_u64(w, p->ngz_points);
	for (size_t i = 0; i < p->ngz_points; i++) {
		const struct rf_gz_point *pt = &p->gz_points[i];
		w_u64(w, pt->in_off);
		w_u64(w, pt->out_off);
		w_u64(w, (uint64_t)pt->members);
		w_bytes(w, &pt->st, sizeof pt->st);
	}
}

struct aged {
	struct timespec mtime;
	char name[256];
};

static int by_age(const void *a, const void *b)
{
	const struct aged *x = a, *y = b;
	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
	return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 :
	       x->mtime.tv_nsec > y->mtime.tv_nsec;
}

/* Keep the RF_PKG_RECORDS newest records (and nothing else there). */
static void prune(const char *dir)
{
	struct aged v[4 * RF_PKG_RECORDS];
	size_t n = 0;
	struct dirent *de;
	DIR *d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d)) && n < sizeof v / sizeof *v) {
		char path[4600];
		struct stat sb;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		if (de->d_name[0] == '.' || stat(path, &sb) < 0 ||
		    !S_ISREG(sb.st_mode))
			continue;
		v[n].mtime = sb.st_mtim;
		rf_strlcpy(v[n++].name, de->d_name, sizeof v->name);
	}
	closedir(d);
	qsort(v, n, sizeof *v, by_age);
	for (size_t i = 0; i + RF_PKG_RECORDS < n; i++) {
		char path[4600];
		snprintf(path, sizeof path, "%s/%s", dir, v[i].name);
		unlink(path);
	}
}

static int mkdirs(const char *dir)
{
	char p[4096];
	rf_strlcpy(p, dir, sizeof p);
	for (char *s = p + 1; *s; s++)
		if (*s == '/') {
			*s = 0;
			if (mkdir(p, 0700) < 0 && errno != EEXIST)
				return -1;
			*s = '/';
		}
	return mkdir(p, 0700) < 0 && errno != EEXIST ? -1 : 0;
}

int rf_pkg_record_save(const struct rf_package *p, const char *dir,
		       char *err)
{
	char name[4200], tmp[4300], real[PATH_MAX];
	unsigned char d[RF_SHA256_LEN];
	struct wr w = { 0 };
	int rc = RF_OK, fd;

	if (p->kind != RF_PKG_TGZ || !dir || !dir[0])
		return rf_errf(err, RF_EINVAL, "no record for this package");
	if (mkdirs(dir) < 0)
		return rf_errf(err, RF_ESYS, "%s: %s", dir, strerror(errno));
	if (record_name(p->path, dir, name, sizeof name, real, sizeof real))
		return rf_errf(err, RF_EINVAL, "record name too long");
	snprintf(tmp, sizeof tmp, "%s.%d.tmp", name, (int)getpid());
	/* 0600: it holds the key of the window tags */
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0 ||
	    !(w.f = fdopen(fd, "wb"))) {
		rc = rf_errf(err, RF_ESYS, "%s: %s", tmp, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		return rc;
	}
	if (!(w.md = EVP_MD_CTX_new()) ||
	    !EVP_DigestInit_ex(w.md, EVP_sha256(), NULL))
		w.bad = 1;
	w_package(&w, p, real);
	/* no fsync: a record cut by a crash fails its own checksum */
	if (!w.bad && (!EVP_DigestFinal_ex(w.md, d, NULL) ||
		       fwrite(d, 1, sizeof d, w.f) != sizeof d))
		w.bad = 1;
	if (fclose(w.f) != 0)
		w.bad = 1;
	if (!w.bad && rename(tmp, name) != 0)
		w.bad = 1;
	if (w.bad) {
		rc = rf_errf(err, RF_ESYS, "%s: cannot write it", tmp);
		unlink(tmp);
	}
	EVP_MD_CTX_free(w.md);
	if (!rc)
		prune(dir);
	return rc;
}

/* ------------------------------------------------------------- reading */

struct rd {
	FILE *f;
	EVP_MD_CTX *md;
	int bad;
};

static void r_bytes(struct rd *r, void *p, size_t n)
{
	if (!n || r->bad)
		return;
	if (fread(p, 1, n, r->f) != n || !EVP_DigestUpdate(r->md, p, n)) {
		r->bad = 1;
		memset(p, 0, n);
	}
}

static uint64_t r_u64(struct rd *r)
{
	unsigned char b[8];
	uint64_t v = 0;
	r_bytes(r, b, 8);
	for (int i = 0; i < 8 && !r->bad; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return r->bad ? 0 : v;
}

/* A number that must not exceed max (a damaged record allocates nothing
 * absurd). */
static uint64_t r_max(struct rd *r, uint64_t max)
{
	uint64_t v = r_u64(r);
	if (v > max)
		r->bad = 1;
	return r->bad ? 0 : v;
}

/* A string of at most max bytes, NUL-terminated, malloc'd; NULL for none
 * (*len its length). */
static char *r_str(struct rd *r, size_t max, size_t *len)
{
	uint64_t n = r_u64(r);
	char *s;
	*len = 0;
	if (r->bad || n == UINT64_MAX)
		return NULL;
	if (n > max || !(s = malloc((size_t)n + 1))) {
		r->bad = 1;
		return NULL;
	}
	r_bytes(r, s, (size_t)n);
	s[n] = 0;
	*len = (size_t)n;
	return s;
}

/* A string into a fixed buffer. */
static void r_fixed(struct rd *r, char *out, size_t cap)
{
	size_t n;
	char *s = r_str(r, cap - 1, &n);
	if (!s) {
		r->bad = 1;
		return;
	}
	memcpy(out, s, n + 1);
	free(s);
}

static int r_ident_matches(struct rd *r, const struct rf_pkg_ident *id)
{
	uint64_t v[7];
	for (int i = 0; i < 7; i++)
		v[i] = r_u64(r);
	return v[0] == (uint64_t)id->dev && v[1] == (uint64_t)id->ino &&
	       v[2] == (uint64_t)id->size &&
	       v[3] == (uint64_t)id->mtim.tv_sec &&
	       v[4] == (uint64_t)id->mtim.tv_nsec &&
	       v[5] == (uint64_t)id->ctim.tv_sec &&
	       v[6] == (uint64_t)id->ctim.tv_nsec;
}

static struct rf_sparse_layout *r_layout(struct rd *r, size_t *budget)
{
	struct rf_sparse_layout *l;
	if (!r_max(r, 1))
		return NULL;
	if (!(l = calloc(1, sizeof *l))) {
		r->bad = 1;
		return NULL;
	}
	l->is_sparse = (int)r_max(r, 1);
	l->blk_sz = (uint32_t)r_max(r, UINT32_MAX);
	l->total_blks = (uint32_t)r_max(r, UINT32_MAX);
	l->out_bytes = r_u64(r);
	l->in_bytes = r_u64(r);
	l->crc_chunks = (uint32_t)r_max(r, UINT32_MAX);
	l->n = l->cap = (size_t)r_max(r, *budget);
	*budget -= l->n;
	if (l->n && !(l->ext = calloc(l->n, sizeof *l->ext)))
		r->bad = 1;
	for (size_t i = 0; i < l->n && !r->bad; i++) {
		struct rf_sparse_extent *e = &l->ext[i];
		uint64_t a, b;
		e->src_off = r_u64(r);
		a = r_u64(r);
		b = r_u64(r);
		e->out_blk = (uint32_t)a;
		e->nblk = (uint32_t)(a >> 32);
		e->fill = (uint32_t)b;
		e->type = (uint16_t)(b >> 32);
	}
	return l;
}

static void r_file(struct rd *r, struct rf_package *p, size_t *budget)
{
	size_t n;
	char *path = r_str(r, 1100, &n);
	struct rf_pkg_file *f = path ? rf_pkg_add_file(p, path, 0) : NULL;
	free(path);
	if (!f) {
		r->bad = 1;
		return;
	}
	f->size = r_max(r, RF_PKG_MAX_ENTRY);
	p->content_size += f->size;
	f->sparse = (int)r_max(r, 1);
	f->bad = r_str(r, RF_ERRLEN, &n);
	f->text = r_str(r, RF_PKG_MAX_SCRIPT, &f->text_len);
	f->tar_off = r_u64(r);
	f->data_off = r_u64(r);
	f->layout = r_layout(r, budget);
}

static void r_windows(struct rd *r, struct rf_winsums *ws)
{
	ws->size = r_u64(r);
	ws->n = ws->cap = (size_t)r_max(r, ws->size / RF_VWIN + 1);
	if (r->bad || ws->n != (ws->size + RF_VWIN - 1) / RF_VWIN) {
		r->bad = 1;
		return;
	}
	r_bytes(r, ws->key, sizeof ws->key);
	ws->keyed = 1;
	if (ws->n && !(ws->tag = malloc(ws->n * sizeof *ws->tag)))
		r->bad = 1;
	else
		r_bytes(r, ws->tag, ws->n * sizeof *ws->tag);
}

/* The resume points (or only their bytes through a scratch point). */
static void r_points(struct rd *r, struct rf_package *p, int keep)
{
	size_t n = (size_t)r_max(r, RF_GZ_MAX_POINTS + RF_GZ_MAX_MARKS);
	struct rf_gz_point *v = calloc(keep ? (n ? n : 1) : 1, sizeof *v);
	if (!v) {
		r->bad = 1;
		return;
	}
	for (size_t i = 0; i < n && !r->bad; i++) {
		struct rf_gz_point *pt = &v[keep ? i : 0];
		pt->in_off = r_u64(r);
		pt->out_off = r_u64(r);
		pt->members = (int)r_max(r, INT_MAX);
		r_bytes(r, &pt->st, sizeof pt->st);
	}
	if (keep && n && !r->bad) {
		p->gz_points = v;
		p->ngz_points = n;
	} else {
		free(v);
	}
}

/* The body, after the header and identity: into q. */
static void r_package(struct rd *r, struct rf_package *q, int with_points)
{
	size_t budget = RF_PKG_MAX_EXTENTS, nfiles;
	char real[PATH_MAX];

	r_fixed(r, real, sizeof real);
	r_fixed(r, q->md5, sizeof q->md5);
	r_fixed(r, q->top, sizeof q->top);
	q->file_size = r_u64(r);
	r_u64(r); /* content_size: recounted from the files */
	nfiles = (size_t)r_max(r, RF_PKG_MAX_ENTRIES);
	for (size_t i = 0; i < nfiles && !r->bad; i++)
		r_file(r, q, &budget);
	r_windows(r, &q->win);
	r_points(r, q, with_points);
}

/* The header: this build's format, the file it was made from. */
static int r_header(struct rd *r, const struct rf_pkg_ident *id)
{
	char magic[sizeof MAGIC - 1];
	r_bytes(r, magic, sizeof magic);
	if (r->bad || memcmp(magic, MAGIC, sizeof magic) ||
	    r_u64(r) != ISAL_VERSION ||
	    r_u64(r) != sizeof(struct inflate_state) || r_u64(r) != RF_VWIN)
		return RF_EFORMAT;
	return r_ident_matches(r, id) && !r->bad ? RF_OK : RF_ENODEV;
}

int rf_pkg_record_load(struct rf_package *p, const char *dir,
		       const struct rf_pkg_ident *id, int with_points)
{
	char name[4200], real[PATH_MAX];
	unsigned char want[RF_SHA256_LEN], have[RF_SHA256_LEN];
	struct rd r = { 0 };
	struct rf_package *q;
	int rc;

	if (!dir || !dir[0] ||
	    record_name(p->path, dir, name, sizeof name, real, sizeof real))
		return RF_ENODEV;
	if (!(r.f = fopen(name, "rb")))
		return RF_ENODEV;
	if (!(q = calloc(1, sizeof *q)) || !(r.md = EVP_MD_CTX_new()) ||
	    !EVP_DigestInit_ex(r.md, EVP_sha256(), NULL)) {
		rc = RF_ENOMEM;
		goto out;
	}
	q->kind = p->kind;
	if ((rc = r_header(&r, id)))
		goto out;
	r_package(&r, q, with_points);
	if (r.bad || !EVP_DigestFinal_ex(r.md, have, NULL) ||
	    fread(want, 1, sizeof want, r.f) != sizeof want ||
	    memcmp(want, have, sizeof want) || fgetc(r.f) != EOF ||
	    q->win.size != (uint64_t)id->size) {
		rc = RF_EFORMAT;
		goto out;
	}
	/* p keeps its path, name and options; the rest is the record's */
	memcpy(p->md5, q->md5, sizeof p->md5);
	memcpy(p->top, q->top, sizeof p->top);
	p->file_size = q->file_size;
	p->content_size = q->content_size;
	p->files = q->files;
	p->nfiles = q->nfiles;
	p->win = q->win;
	p->gz_points = q->gz_points;
	p->ngz_points = q->ngz_points;
	p->ident = *id;
	p->from_record = 1;
	free(q);
	q = NULL;
out:
	if (q) {
		rf_pkg_close(q);
		free(q);
	}
	EVP_MD_CTX_free(r.md);
	fclose(r.f);
	return rc;
}
