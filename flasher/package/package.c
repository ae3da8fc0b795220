/* Packages (see package.h).  A .tgz is read in one pass: inflate.c reads
 * and hashes the file and gunzips it with ISA-L; libarchive only parses
 * the tar stream it is handed (no filter of its own). */
#include "package.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inflate.h"
#include "md5.h"
#include "pkg_zip.h"

#define UPDATER_SCRIPT "META-INF/com/google/android/updater-script"
#define MAX_UPDATER_SCRIPT (4u << 20)

const char *rf_pkg_kind_name(enum rf_pkg_kind k)
{
	switch (k) {
	case RF_PKG_TGZ: return "fastboot";
	case RF_PKG_DIR: return "fastboot-folder";
	case RF_PKG_ZIP: return "recovery";
	default: return "unknown";
	}
}

const char *rf_md5_state_name(enum rf_md5_state s)
{
	switch (s) {
	case RF_MD5_FULL: return "full";
	case RF_MD5_PREFIX: return "prefix";
	case RF_MD5_NOT_KNOWN: return "unknown";
	default: return "not-applicable";
	}
}

static int ends_with(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);
	return n >= m && !strcmp(s + n - m, suf);
}

/* Top-level files kept in memory: the scripts, and the small files that
 * say which phone the package is for (pkg_target.c). */
static int is_script_name(const char *base)
{
	return ends_with(base, ".sh") || ends_with(base, ".bat") ||
	       !strcmp(base, "misc.txt") || !strcmp(base, "android-info.txt");
}

/* The small text files scripts read their values from
 * (images/anti_version.txt, images/platform_security_patch.txt). */
static int is_note_file(const char *base, uint64_t size)
{
	return ends_with(base, ".txt") && size <= RF_PKG_MAX_NOTE;
}

static struct rf_pkg_file *add_file(struct rf_package *p, const char *path,
				    uint64_t size)
{
	if (p->nfiles >= RF_PKG_MAX_ENTRIES) {
		rf_errf(p->err, RF_EFORMAT, "more than %d files: not a ROM "
			"package", RF_PKG_MAX_ENTRIES);
		return NULL;
	}
	for (size_t i = 0; i < p->nfiles; i++)
		if (!strcmp(p->files[i].path, path)) {
			rf_errf(p->err, RF_EFORMAT, "%s appears twice in the "
				"archive", path);
			return NULL;
		}
	struct rf_pkg_file *f = realloc(p->files, sizeof *f * (p->nfiles + 1));
	if (!f) {
		rf_errf(p->err, RF_ENOMEM, "out of memory");
		return NULL;
	}
	p->files = f;
	f = &p->files[p->nfiles];
	memset(f, 0, sizeof *f);
	if (!(f->path = strdup(path))) {
		rf_errf(p->err, RF_ENOMEM, "out of memory");
		return NULL;
	}
	f->size = size;
	p->nfiles++;
	p->content_size += size;
	return f;
}

static void free_file(struct rf_pkg_file *f)
{
	free(f->path);
	if (f->layout) {
		rf_sparse_layout_free(f->layout);
		free(f->layout);
	}
	free(f->bad);
	free(f->text);
}

void rf_pkg_close(struct rf_package *p)
{
	for (size_t i = 0; i < p->nfiles; i++)
		free_file(&p->files[i]);
	free(p->files);
	p->files = NULL;
	p->nfiles = 0;
	free(p->gz_points);
	p->gz_points = NULL;
	p->ngz_points = 0;
}

const struct rf_pkg_file *rf_pkg_find(const struct rf_package *p,
				      const char *rel)
{
	for (size_t i = 0; i < p->nfiles; i++)
		if (!strcmp(p->files[i].path, rel))
			return &p->files[i];
	return NULL;
}

void rf_pkg_scripts(const struct rf_package *p, char *out, size_t cap)
{
	size_t n = 0;
	out[0] = 0;
	for (size_t i = 0; i < p->nfiles; i++) {
		if (!p->files[i].text || !ends_with(p->files[i].path, ".sh"))
			continue;
		int r = snprintf(out + n, cap - n, "%s%s", n ? ", " : "",
				 p->files[i].path);
		if (r < 0 || (size_t)r >= cap - n)
			break;
		n += (size_t)r;
	}
	if (!n)
		snprintf(out, cap, "none");
}

/* ------------------------------------------------------ sparse layouts */

/* Reads an image (from an archive entry or a file) after its first bytes
 * were already taken to look at the magic. */
struct src_reader {
	struct archive *a; /* or */
	int fd;
	unsigned char head[4];
	size_t head_len, head_pos;
	char err[RF_ERRLEN];
};

static int src_read(void *ctx, void *buf, size_t len, size_t *got)
{
	struct src_reader *r = ctx;
	*got = 0;
	if (r->head_pos < r->head_len) {
		size_t k = r->head_len - r->head_pos;
		if (k > len)
			k = len;
		memcpy(buf, r->head + r->head_pos, k);
		r->head_pos += k;
		*got = k;
		return RF_OK;
	}
	if (r->a) {
		la_ssize_t n = archive_read_data(r->a, buf, len);
		if (n < 0)
			return rf_errf(r->err, RF_EFORMAT, "%s",
				       archive_error_string(r->a));
		*got = (size_t)n;
		return RF_OK;
	}
	for (;;) {
		ssize_t n = read(r->fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return rf_errf(r->err, RF_ESYS, "read: %s", strerror(errno));
		*got = (size_t)n;
		return RF_OK;
	}
}

/* Fill r->head with up to 4 bytes. */
static int src_head(struct src_reader *r)
{
	while (r->head_len < sizeof r->head) {
		size_t got;
		int rc = src_read(r, r->head + r->head_len,
				  sizeof r->head - r->head_len, &got);
		if (rc)
			return rc;
		if (!got)
			break;
		r->head_len += got;
	}
	return RF_OK;
}

/* If the image is sparse, record its layout (or why it is malformed).
 * Only a failure to read is an error: a bad image matters only if a
 * script names it, which the plan checks. */
static int scan_image(struct rf_package *p, struct rf_pkg_file *f,
		      struct src_reader *r)
{
	int rc = src_head(r);
	if (rc)
		return rf_errf(p->err, rc, "%s: %s", f->path, r->err);
	if (r->head_len < 4 || !rf_sparse_is_sparse(r->head, 4))
		return RF_OK;
	f->sparse = 1;
	struct rf_sparse_layout *l = calloc(1, sizeof *l);
	if (!l)
		return rf_errf(p->err, RF_ENOMEM, "out of memory");
	r->err[0] = 0;
	rc = rf_sparse_layout_scan(l, src_read, r);
	if (r->err[0]) { /* the read itself failed */
		free(l);
		return rf_errf(p->err, rc ? rc : RF_EFORMAT, "%s: %s", f->path,
			       r->err);
	}
	if (rc == RF_ENOMEM) {
		free(l);
		return rf_errf(p->err, rc, "out of memory");
	}
	if (rc) {
		f->bad = strdup(l->err[0] ? l->err : "malformed sparse image");
		free(l);
		return f->bad ? RF_OK : rf_errf(p->err, RF_ENOMEM, "out of memory");
	}
	f->layout = l;
	return RF_OK;
}

/* -------------------------------------------------------- archive walk */

static int entry_path(struct rf_package *p, struct archive_entry *e,
		      char *out, size_t cap)
{
	const char *name = archive_entry_pathname(e);
	if (!name || !*name)
		return rf_errf(p->err, RF_EFORMAT, "unsafe entry: no name");
	if (strlen(name) >= cap || strlen(name) > 1024)
		return rf_errf(p->err, RF_EFORMAT, "unsafe entry: name too long");
	if (name[0] == '/')
		return rf_errf(p->err, RF_EFORMAT,
			       "unsafe entry: absolute path %.200s", name);
	/* normalise: drop "." components and repeated '/' */
	size_t n = 0;
	const char *s = name;
	while (*s) {
		const char *e2 = strchr(s, '/');
		size_t l = e2 ? (size_t)(e2 - s) : strlen(s);
		if (l == 2 && !strncmp(s, "..", 2))
			return rf_errf(p->err, RF_EFORMAT,
				       "unsafe entry: %.200s goes up (..)", name);
		if (l && !(l == 1 && *s == '.')) {
			if (n)
				out[n++] = '/';
			memcpy(out + n, s, l);
			n += l;
		}
		s += l;
		if (*s == '/')
			s++;
	}
	out[n] = 0;
	if (archive_entry_hardlink(e))
		return rf_errf(p->err, RF_EFORMAT,
			       "unsafe entry: %.200s is a hard link", name);
	switch (archive_entry_filetype(e)) {
	case AE_IFREG:
	case AE_IFDIR:
		break;
	case AE_IFLNK:
		return rf_errf(p->err, RF_EFORMAT,
			       "unsafe entry: %.200s is a symbolic link", name);
	case AE_IFCHR:
	case AE_IFBLK:
		return rf_errf(p->err, RF_EFORMAT,
			       "unsafe entry: %.200s is a device file", name);
	case AE_IFIFO:
		return rf_errf(p->err, RF_EFORMAT,
			       "unsafe entry: %.200s is a fifo", name);
	default:
		return rf_errf(p->err, RF_EFORMAT,
			       "unsafe entry: %.200s is not a regular file", name);
	}
	if (archive_entry_size(e) < 0 ||
	    (uint64_t)archive_entry_size(e) > RF_PKG_MAX_ENTRY)
		return rf_errf(p->err, RF_EFORMAT,
			       "unsafe entry: %.200s has an absurd size (%lld)",
			       name, (long long)archive_entry_size(e));
	return RF_OK;
}

static int read_text(struct rf_package *p, struct archive *a,
		     struct rf_pkg_file *f, size_t max)
{
	if (f->size > max)
		return rf_errf(p->err, RF_EFORMAT, "%s: too large for a script "
			       "(%llu bytes)", f->path,
			       (unsigned long long)f->size);
	f->text = malloc((size_t)f->size + 1);
	if (!f->text)
		return rf_errf(p->err, RF_ENOMEM, "out of memory");
	size_t got = 0;
	while (got < f->size) {
		la_ssize_t n = archive_read_data(a, f->text + got,
						 (size_t)f->size - got);
		if (n < 0)
			return rf_errf(p->err, RF_EFORMAT, "%s",
				       archive_error_string(a));
		if (n == 0)
			return rf_errf(p->err, RF_EFORMAT, "%s: short entry",
				       f->path);
		got += (size_t)n;
	}
	f->text[got] = 0;
	f->text_len = got;
	return RF_OK;
}

struct stream {
	struct rf_gzr *g;
	int failed;
	const struct rf_pkg_opts *o;
};

static la_ssize_t la_read(struct archive *a, void *ud, const void **buf)
{
	struct stream *s = ud;
	size_t n;
	if (rf_gzr_next(s->g, buf, &n)) {
		s->failed = 1;
		archive_set_error(a, EIO, "%s", rf_gzr_err(s->g));
		return -1;
	}
	if (s->o && s->o->progress)
		s->o->progress(s->o->progress_user, rf_gzr_bytes_read(s->g),
			       rf_gzr_file_size(s->g));
	return (la_ssize_t)n;
}

static int depth_of(const char *path)
{
	int d = 1;
	for (; *path; path++)
		d += *path == '/';
	return d;
}

/* Read a whole archive stream: tar (fastboot) or zip (recovery). */
static int walk(struct rf_package *p, const struct rf_pkg_opts *o, int zip)
{
	struct stream st = { 0 };
	struct archive *a = NULL;
	struct archive_entry *e;
	int rc, r;
	char path[1100];

	st.o = o;
	rc = rf_gzr_open(&st.g, p->path, !zip, p->err);
	if (rc)
		return rc;
	if (!zip && o && o->gz_index)
		rf_gzr_index_every(st.g, o->gz_index_step ? o->gz_index_step
							 : RF_PKG_GZ_INDEX_STEP);
	{
		const struct stat *sb = rf_gzr_stat(st.g);
		p->ident.dev = sb->st_dev;
		p->ident.ino = sb->st_ino;
		p->ident.size = sb->st_size;
		p->ident.mtim = sb->st_mtim;
		p->ident.ctim = sb->st_ctim;
	}
	if (o && o->cancel)
		rf_gzr_set_cancel(st.g, o->cancel);
	p->file_size = rf_gzr_file_size(st.g);
	a = archive_read_new();
	if (!a) {
		rc = rf_errf(p->err, RF_ENOMEM, "out of memory");
		goto out;
	}
	if (zip)
		archive_read_support_format_zip_streamable(a);
	else
		archive_read_support_format_tar(a);
	if (archive_read_open(a, &st, NULL, la_read, NULL) != ARCHIVE_OK) {
		rc = RF_EFORMAT;
		goto la_fail;
	}
	for (;;) {
		r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			rc = RF_EFORMAT;
			goto la_fail;
		}
		if ((rc = entry_path(p, e, path, sizeof path)))
			goto out;
		if (archive_entry_filetype(e) == AE_IFDIR || !*path)
			continue;
		struct rf_pkg_file *f =
			add_file(p, path, (uint64_t)archive_entry_size(e));
		if (!f) {
			rc = RF_EFORMAT;
			goto out;
		}
		/* where the header (its extension headers first) began */
		f->tar_off = (uint64_t)archive_read_header_position(a);
		/* what the format reader consumed: every header of the entry,
		 * so its data starts here (regular files are contiguous) */
		f->data_off = (uint64_t)archive_filter_bytes(a, 0);
		if (!zip && o && o->gz_index)
			rf_gzr_index_mark(st.g, f->tar_off);
		const char *base = strrchr(path, '/');
		base = base ? base + 1 : path;
		if (zip) {
			if (!strcmp(path, UPDATER_SCRIPT) &&
			    (rc = read_text(p, a, f, MAX_UPDATER_SCRIPT)))
				goto out;
		} else if (is_script_name(base) && depth_of(path) <= 2) {
			if ((rc = read_text(p, a, f, RF_PKG_MAX_SCRIPT)))
				goto out;
		} else if (is_note_file(base, f->size) && depth_of(path) <= 3) {
			if ((rc = read_text(p, a, f, RF_PKG_MAX_NOTE)))
				goto out;
		} else if (f->size >= RF_SPARSE_HEADER_LEN) {
			struct src_reader sr = { .a = a, .fd = -1 };
			if ((rc = scan_image(p, f, &sr)))
				goto out;
		}
		if (st.failed) {
			rc = RF_EFORMAT;
			goto la_fail;
		}
	}
	if ((rc = rf_gzr_finish(st.g, p->md5))) {
		rf_errf(p->err, rc, "%s", rf_gzr_err(st.g));
		goto out;
	}
	free(p->gz_points);
	p->gz_points = rf_gzr_take_points(st.g, &p->ngz_points);
	rc = RF_OK;
	goto out;
la_fail:
	if (st.failed)
		rc = rf_errf(p->err, rf_gzr_err(st.g)[0] ? RF_EFORMAT : RF_ESYS,
			     "%s", rf_gzr_err(st.g));
	else
		rf_errf(p->err, rc, "%s: %s", zip ? "bad zip" : "bad tar archive",
			archive_error_string(a) ? archive_error_string(a)
						: "unreadable");
out:
	if (a)
		archive_read_free(a);
	rf_gzr_close(st.g);
	return rc;
}

/* One top folder holds everything; move every path under it. */
static int resolve_top(struct rf_package *p)
{
	const char *first = NULL;
	size_t flen = 0;
	int common = p->nfiles > 0;
	for (size_t i = 0; i < p->nfiles && common; i++) {
		const char *s = p->files[i].path, *sl = strchr(s, '/');
		if (!sl) {
			common = 0;
			break;
		}
		if (!first) {
			first = s;
			flen = (size_t)(sl - s);
		} else if ((size_t)(sl - s) != flen || strncmp(s, first, flen)) {
			common = 0;
		}
	}
	if (!common) {
		p->top[0] = 0; /* the scripts must then be at the root */
		return RF_OK;
	}
	if (flen >= sizeof p->top)
		return rf_errf(p->err, RF_EFORMAT, "top folder name too long");
	memcpy(p->top, first, flen);
	p->top[flen] = 0;
	for (size_t i = 0; i < p->nfiles; i++) {
		char *s = p->files[i].path;
		memmove(s, s + flen + 1, strlen(s + flen + 1) + 1);
	}
	/* scripts deeper than the top are not the package's scripts */
	for (size_t i = 0; i < p->nfiles; i++)
		if (p->files[i].text && strchr(p->files[i].path, '/') &&
		    is_script_name(strrchr(p->files[i].path, '/') + 1)) {
			free(p->files[i].text);
			p->files[i].text = NULL;
			p->files[i].text_len = 0;
		}
	return RF_OK;
}

static int check_md5(struct rf_package *p, const struct rf_pkg_opts *o)
{
	const char *full = o ? o->md5 : NULL;
	if (full) {
		char want[33];
		snprintf(want, sizeof want, "%s", full);
		for (char *c = want; *c; c++)
			*c = (char)(*c >= 'A' && *c <= 'F' ? *c + 32 : *c);
		snprintf(p->md5_expected, sizeof p->md5_expected, "%s", want);
		if (strcmp(want, p->md5))
			return rf_errf(p->err, RF_EFORMAT,
				       "MD5 mismatch: expected %s, the file has "
				       "%s (corrupt or incomplete download?)",
				       want, p->md5);
		p->md5_state = RF_MD5_FULL;
		return RF_OK;
	}
	if (p->name.md5_prefix[0]) {
		snprintf(p->md5_expected, sizeof p->md5_expected, "%s",
			 p->name.md5_prefix);
		if (strncmp(p->md5, p->name.md5_prefix, 10))
			return rf_errf(p->err, RF_EFORMAT,
				       "MD5 mismatch: the file name says %s..., "
				       "the file has %s (corrupt or incomplete "
				       "download?)", p->name.md5_prefix, p->md5);
		p->md5_state = RF_MD5_PREFIX;
		return RF_OK;
	}
	p->md5_state = RF_MD5_NOT_KNOWN;
	return RF_OK;
}

/* updater-script: the first assert names the device, e.g.
 * assert(getprop("ro.product.device") == "cancro" || ...); */
static void zip_device(struct rf_package *p)
{
	const struct rf_pkg_file *f = rf_pkg_find(p, UPDATER_SCRIPT);
	if (!f || !f->text)
		return;
	const char *a = strstr(f->text, "assert(");
	if (!a)
		return;
	const char *end = strstr(a, ");");
	const char *k = strstr(a, "ro.product.device\")");
	if (!k || (end && k > end))
		k = strstr(a, "ro.build.product\")");
	if (!k || (end && k > end))
		return;
	const char *q = strstr(k, "== \"");
	if (!q || (end && q > end))
		return;
	q += 4;
	size_t n = 0;
	while (q[n] && q[n] != '"' && n < sizeof p->device - 1)
		n++;
	if (q[n] != '"')
		return;
	memcpy(p->device, q, n);
	p->device[n] = 0;
}

static int has_scripts(const struct rf_package *p)
{
	for (size_t i = 0; i < p->nfiles; i++)
		if (p->files[i].text && ends_with(p->files[i].path, ".sh"))
			return 1;
	return 0;
}

/* -------------------------------------------------------------- folder */

static int dir_has_script(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int found = 0;
	if (!d)
		return 0;
	while (!found && (de = readdir(d)))
		found = !strncmp(de->d_name, "flash_all", 9) &&
			ends_with(de->d_name, ".sh");
	closedir(d);
	return found;
}

static int dir_add(struct rf_package *p, const char *rel, int scripts_here)
{
	char full[4096 + 300];
	snprintf(full, sizeof full, "%s%s%s", p->dir, *rel ? "/" : "", rel);
	DIR *d = opendir(full);
	struct dirent *de;
	int rc = RF_OK;
	if (!d)
		return rf_errf(p->err, RF_ESYS, "%s: %s", full, strerror(errno));
	while ((de = readdir(d))) {
		char relp[600], fp[4096 + 700];
		struct stat sb;
		if (de->d_name[0] == '.')
			continue;
		snprintf(relp, sizeof relp, "%s%s%s", rel, *rel ? "/" : "",
			 de->d_name);
		snprintf(fp, sizeof fp, "%s/%s", p->dir, relp);
		if (stat(fp, &sb) < 0 || !S_ISREG(sb.st_mode))
			continue; /* subfolders other than images/: not ours */
		struct rf_pkg_file *f = add_file(p, relp, (uint64_t)sb.st_size);
		if (!f) {
			rc = RF_EFORMAT;
			break;
		}
		p->file_size += f->size;
		int fd = open(fp, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			rc = rf_errf(p->err, RF_ESYS, "%s: %s", fp, strerror(errno));
			break;
		}
		if ((scripts_here && is_script_name(de->d_name)) ||
		    (!scripts_here && is_note_file(de->d_name, f->size))) {
			if (f->size > RF_PKG_MAX_SCRIPT) {
				rc = rf_errf(p->err, RF_EFORMAT, "%s: too large "
					     "for a script", relp);
			} else if (!(f->text = malloc((size_t)f->size + 1))) {
				rc = rf_errf(p->err, RF_ENOMEM, "out of memory");
			} else {
				ssize_t n = pread(fd, f->text, (size_t)f->size, 0);
				if (n != (ssize_t)f->size)
					rc = rf_errf(p->err, RF_ESYS,
						     "%s: cannot read", fp);
				else
					f->text[n] = 0;
				f->text_len = (size_t)f->size;
			}
		} else if (!scripts_here && f->size >= RF_SPARSE_HEADER_LEN) {
			struct src_reader sr = { .fd = fd };
			rc = scan_image(p, f, &sr);
		}
		close(fd);
		if (rc)
			break;
	}
	closedir(d);
	return rc;
}

static int open_dir(struct rf_package *p)
{
	char sub[4096 + 300];
	snprintf(p->dir, sizeof p->dir, "%s", p->path);
	if (!dir_has_script(p->dir)) {
		/* the outer folder of a package unpacked once more */
		DIR *d = opendir(p->path);
		struct dirent *de;
		int n = 0;
		if (!d)
			return rf_errf(p->err, RF_ESYS, "%s: %s", p->path,
				       strerror(errno));
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(sub, sizeof sub, "%s/%s", p->path, de->d_name);
			size_t l = strlen(sub);
			if (dir_has_script(sub) && l < sizeof p->dir) {
				memcpy(p->dir, sub, l + 1);
				n++;
			}
		}
		closedir(d);
		if (n != 1)
			return rf_errf(p->err, RF_EFORMAT,
				       "%s: no flash_all*.sh in this folder",
				       p->path);
	}
	if (!rf_pkgname_parse(p->dir, &p->name))
		rf_pkgname_parse(p->path, &p->name);
	int rc = dir_add(p, "", 1);
	if (!rc) {
		snprintf(sub, sizeof sub, "%s/images", p->dir);
		struct stat sb;
		if (stat(sub, &sb) == 0 && S_ISDIR(sb.st_mode))
			rc = dir_add(p, "images", 0);
	}
	p->md5_state = RF_MD5_NOT_CHECKED;
	return rc;
}

/* ---------------------------------------------------------------- open */

int rf_pkg_open(struct rf_package *p, const char *path,
		const struct rf_pkg_opts *o)
{
	struct stat sb;
	unsigned char magic[4] = { 0 };
	int rc;
	memset(p, 0, sizeof *p);
	if (strlen(path) >= sizeof p->path)
		return rf_errf(p->err, RF_EINVAL, "path too long");
	snprintf(p->path, sizeof p->path, "%s", path);
	if (o && o->md5 && !rf_md5_is_hex(o->md5, 32))
		return rf_errf(p->err, RF_EINVAL,
			       "--md5 wants 32 hex digits, not \"%s\"", o->md5);
	if (stat(path, &sb) < 0)
		return rf_errf(p->err, RF_ESYS, "%s: %s", path, strerror(errno));
	if (S_ISDIR(sb.st_mode)) {
		p->kind = RF_PKG_DIR;
		rc = open_dir(p);
		goto done;
	}
	if (!S_ISREG(sb.st_mode))
		return rf_errf(p->err, RF_EFORMAT, "%s: not a file or folder",
			       path);
	rf_pkgname_parse(path, &p->name);
	if (sb.st_size == 0)
		return rf_errf(p->err, RF_EFORMAT, "%s: empty file (0 bytes)",
			       path);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return rf_errf(p->err, RF_ESYS, "%s: %s", path, strerror(errno));
	ssize_t n = read(fd, magic, sizeof magic);
	close(fd);
	if (n >= 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
		p->kind = RF_PKG_TGZ;
	} else if (n == 4 && !memcmp(magic, "PK\3\4", 4)) {
		p->kind = RF_PKG_ZIP;
		if (o && o->refuse_zip)
			return rf_errf(p->err, RF_EINVAL,
				       "%s is a recovery zip (for `romflash "
				       "sideload`), not a fastboot package", path);
	} else {
		return rf_errf(p->err, RF_EFORMAT,
			       "%s: not a gzip file (a fastboot package is a "
			       ".tgz; a recovery package a .zip)", path);
	}
	/* a zip: the structure checks sideload makes (pkg_zip.c) */
	rc = p->kind == RF_PKG_ZIP ? rf_pkg_zip_read(p, o) : walk(p, o, 0);
	if (rc)
		goto done;
	if ((rc = check_md5(p, o)))
		goto done;
	if (p->kind == RF_PKG_ZIP) {
		zip_device(p);
		if (!rf_pkg_find(p, UPDATER_SCRIPT))
			rc = rf_errf(p->err, RF_EFORMAT, "%s: no %s: not a "
				     "recovery package", path, UPDATER_SCRIPT);
		goto done;
	}
	rc = resolve_top(p);
done:
	if (!rc && p->kind != RF_PKG_ZIP && !has_scripts(p))
		rc = rf_errf(p->err, RF_EFORMAT, "%s: no flash script (*.sh) "
			     "in the package's top folder", path);
	if (rc)
		rf_pkg_close(p);
	return rc;
}
