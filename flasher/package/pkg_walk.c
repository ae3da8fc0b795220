/* The verification pass over a .tgz: inflate.c reads and hashes the file
 * (MD5 and window digests) and gunzips it with ISA-L;
 * libarchive only parses the tar stream it is handed (no filter of its
 * own).  Every header is checked against what a cancro package can hold
 * before its data is read: an archive that would inflate to gigabytes of
 * nothing is refused at its first absurd header. */
#include "pkg_int.h"

#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inflate.h"

/* How far the inflater may get past the data of the last header read: the
 * next headers (long names and pax records included, which libarchive
 * bounds to a few MiB), padding, and the inflater's read-ahead (8 MiB).
 * Zeros where the next header should be, or after the tar's end, cost no
 * more than this. */
#define ENTRY_SLACK (32ull << 20)
/* After the tar's end-of-archive marker: its record padding (10 KiB for
 * GNU tar), nothing more. */
#define AFTER_TAR_END (1u << 20)

static int depth_of(const char *path)
{
	int d = 1;
	for (; *path; path++)
		d += *path == '/';
	return d;
}

/* "." components and repeated '/' dropped; ".." and absolute refused. */
static int normalise(struct rf_package *p, const char *name, char *out,
		     size_t cap)
{
	int r;
	if (!name || !*name)
		return rf_errf(p->err, RF_EFORMAT, "unsafe entry: no name");
	if (strlen(name) >= cap || strlen(name) > 1024)
		return rf_errf(p->err, RF_EFORMAT, "unsafe entry: name too long");
	if (name[0] == '/')
		return rf_errf(p->err, RF_EFORMAT,
			       "unsafe entry: absolute path %.200s", name);
	r = rf_pkg_norm_path(name, out, cap);
	if (r < 0)
		return rf_errf(p->err, RF_EFORMAT,
			       "unsafe entry: %.200s goes up (..)", name);
	return r ? RF_OK : rf_errf(p->err, RF_EFORMAT,
				   "unsafe entry: name too long");
}

static int entry_type(struct rf_package *p, struct archive_entry *e,
		      const char *name)
{
	if (archive_entry_hardlink(e))
		return rf_errf(p->err, RF_EFORMAT,
			       "unsafe entry: %.200s is a hard link", name);
	switch (archive_entry_filetype(e)) {
	case AE_IFREG:
	case AE_IFDIR:
		return RF_OK;
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
}

/* A header: safe, and within what a package can hold (counted before the
 * entry's data is read). */
static int entry_path(struct rf_package *p, struct archive_entry *e,
		      char *out, size_t cap)
{
	const char *name = archive_entry_pathname(e);
	int64_t size = archive_entry_size(e);
	int rc;

	if (++p->used_entries > RF_PKG_MAX_ENTRIES)
		return rf_errf(p->err, RF_EFORMAT, "more than %d entries: not a "
			       "ROM package", RF_PKG_MAX_ENTRIES);
	if ((rc = normalise(p, name, out, cap)) || (rc = entry_type(p, e, name)))
		return rc;
	if (depth_of(out) > RF_PKG_MAX_DEPTH)
		return rf_errf(p->err, RF_EFORMAT, "%.200s: more than %d levels "
			       "of folders: not a ROM package", name,
			       RF_PKG_MAX_DEPTH);
	if (size < 0 || (uint64_t)size > RF_PKG_MAX_ENTRY)
		return rf_errf(p->err, RF_EFORMAT,
			       "unsafe entry: %.200s has an absurd size (%lld)",
			       name, (long long)size);
	p->used_total += (uint64_t)size;
	if (p->used_total > RF_PKG_MAX_TOTAL)
		return rf_errf(p->err, RF_EFORMAT, "%.200s: the package holds "
			       "more than %llu GiB: not a ROM package", name,
			       RF_PKG_MAX_TOTAL >> 30);
	return RF_OK;
}

static int read_text(struct rf_package *p, struct archive *a,
		     struct rf_pkg_file *f, size_t max)
{
	if (f->size > max)
		return rf_errf(p->err, RF_EFORMAT, "%s: too large for a script "
			       "(%llu bytes)", f->path,
			       (unsigned long long)f->size);
	if (p->used_text + f->size > RF_PKG_MAX_TEXT)
		return rf_errf(p->err, RF_EFORMAT, "%s: more than %u MiB of "
			       "scripts: not a ROM package", f->path,
			       RF_PKG_MAX_TEXT >> 20);
	f->text = malloc((size_t)f->size + 1);
	if (!f->text)
		return rf_errf(p->err, RF_ENOMEM, "out of memory");
	p->used_text += (size_t)f->size;
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
	int failed;          /* the reader's error: */
	const struct rf_pkg_opts *o;
};

static la_ssize_t la_read(struct archive *a, void *ud, const void **buf)
{
	struct stream *s = ud;
	size_t n;
	int rc = rf_gzr_next(s->g, buf, &n);
	if (rc) {
		s->failed = rc;
		archive_set_error(a, EIO, "%s", rf_gzr_err(s->g));
		return -1;
	}
	if (s->o && s->o->progress)
		s->o->progress(s->o->progress_user, rf_gzr_bytes_read(s->g),
			       rf_gzr_file_size(s->g));
	return (la_ssize_t)n;
}

/* One regular file of the archive: listed, its script kept or its image
 * scanned. */
static int walk_file(struct rf_package *p, struct stream *st,
		     struct archive *a, struct archive_entry *e,
		     const char *path)
{
	struct rf_pkg_file *f = rf_pkg_add_file(p, path,
						(uint64_t)archive_entry_size(e));
	const char *base = strrchr(path, '/');

	if (!f)
		return RF_EFORMAT;
	/* where the header (its extension headers first) began */
	f->tar_off = (uint64_t)archive_read_header_position(a);
	/* what the format reader consumed: every header of the entry, so
	 * its data starts here (regular files are contiguous) */
	f->data_off = (uint64_t)archive_filter_bytes(a, 0);
	rf_gzr_index_mark(st->g, f->tar_off);
	base = base ? base + 1 : path;
	if (rf_pkg_is_script_name(base) && depth_of(path) <= 2)
		return read_text(p, a, f, RF_PKG_MAX_SCRIPT);
	if (rf_pkg_is_note_file(base, f->size) && depth_of(path) <= 3)
		return read_text(p, a, f, RF_PKG_MAX_NOTE);
	if (f->size > 0) {
		struct rf_pkg_src sr = { .a = a, .fd = -1 };
		return rf_pkg_scan_image(p, f, &sr);
	}
	return RF_OK;
}

/* Every header of the archive, to its end-of-archive marker. */
static int walk_entries(struct rf_package *p, struct stream *st,
			struct archive *a)
{
	struct archive_entry *e;
	char path[1100];
	int r, rc;

	for (;;) {
		r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			return RF_OK;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return RF_EFORMAT;
		if ((rc = entry_path(p, e, path, sizeof path)))
			return rc;
		/* the inflated stream holds this entry's data, then the next
		 * header: a gzip bomb stops there */
		rf_gzr_set_limit(st->g, (uint64_t)archive_filter_bytes(a, 0) +
				 (uint64_t)archive_entry_size(e) + ENTRY_SLACK);
		if (archive_entry_filetype(e) != AE_IFDIR && *path &&
		    (rc = walk_file(p, st, a, e, path)))
			return rc;
		if (st->failed)
			return RF_EFORMAT;
	}
}

/* The reader of the pass, set up as the options say. */
static int open_pass(struct rf_package *p, const struct rf_pkg_opts *o,
		     struct stream *st)
{
	int rc = rf_gzr_open(&st->g, p->path, 1, p->err);
	if (rc)
		return rc;
	rf_gzr_record_windows(st->g, &p->win);
	rf_gzr_set_limit(st->g, ENTRY_SLACK);
	if (o && (o->gz_index || o->record_dir))
		rf_gzr_index_every(st->g, o->gz_index_step ? o->gz_index_step
							   : RF_PKG_GZ_INDEX_STEP);
	if (o && o->cancel)
		rf_gzr_set_cancel(st->g, o->cancel);
	if (o && o->growing) {
		struct rf_growing gr = *o->growing;
		if (!gr.stop)
			gr.stop = o->cancel;
		rf_gzr_set_growing(st->g, &gr);
	}
	p->file_size = rf_gzr_file_size(st->g);
	return RF_OK;
}

static void take_identity(struct rf_package *p, const struct stat *sb)
{
	p->ident.dev = sb->st_dev;
	p->ident.ino = sb->st_ino;
	p->ident.size = sb->st_size;
	p->ident.mtim = sb->st_mtim;
	p->ident.ctim = sb->st_ctim;
	p->file_size = (uint64_t)sb->st_size;
}

int rf_pkg_walk(struct rf_package *p, const struct rf_pkg_opts *o)
{
	struct stream st = { 0 };
	struct archive *a = NULL;
	int rc;

	st.o = o;
	if ((rc = open_pass(p, o, &st)))
		return rc;
	if (!(a = archive_read_new())) {
		rc = rf_errf(p->err, RF_ENOMEM, "out of memory");
		goto out;
	}
	archive_read_support_format_tar(a);
	if (archive_read_open(a, &st, NULL, la_read, NULL) != ARCHIVE_OK)
		rc = RF_EFORMAT;
	else
		rc = walk_entries(p, &st, a);
	if (st.failed) /* the file itself: its reader says why */
		rc = rf_errf(p->err, st.failed, "%s", rf_gzr_err(st.g));
	else if (rc && !p->err[0])
		rf_errf(p->err, rc, "%s: %s", "bad tar archive",
			archive_error_string(a) ? archive_error_string(a)
						: "unreadable");
	if (rc)
		goto out;
	/* the rest is the tar's padding and the gzip trailer */
	rf_gzr_set_limit(st.g, rf_gzr_out_total(st.g) + AFTER_TAR_END);
	if ((rc = rf_gzr_finish(st.g, p->md5))) {
		rf_errf(p->err, rc, "%s", rf_gzr_err(st.g));
		goto out;
	}
	take_identity(p, rf_gzr_stat(st.g));
	free(p->gz_points);
	p->gz_points = rf_gzr_take_points(st.g, &p->ngz_points);
out:
	if (a)
		archive_read_free(a);
	rf_gzr_close(st.g);
	return rc;
}
