/* Packages (see package.h): opening one.  The pass over a .tgz or .zip is
 * pkg_walk.c, a folder pkg_dir.c, the images' scans pkg_image.c,
 * verification records pkg_record.c, the listing they all fill and what
 * is asked of it later pkg_files.c. */
#include "package.h"
#include "pkg_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "md5.h"
#include "pkg_record.h"
#include "rf_str.h"
#include "pkg_zip.h"

#define UPDATER_SCRIPT "META-INF/com/google/android/updater-script"

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
		    rf_pkg_is_script_name(strrchr(p->files[i].path, '/') + 1)) {
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
		if (p->files[i].text && rf_pkg_ends_with(p->files[i].path, ".sh"))
			return 1;
	return 0;
}

/* ---------------------------------------------------------------- open */

/* The kind of a package file from its first bytes (waited for when the
 * file is still growing). */
static int file_kind(struct rf_package *p, const struct rf_pkg_opts *o)
{
	unsigned char magic[4] = { 0 };
	size_t n = 0;
	int rc, fd = open(p->path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return rf_errf(p->err, RF_ESYS, "%s: %s", p->path,
			       strerror(errno));
	rc = rf_read_at(fd, magic, sizeof magic, 0, o ? o->growing : NULL, &n,
			p->err);
	close(fd);
	if (rc)
		return rc;
	if (n == 0)
		return rf_errf(p->err, RF_EFORMAT, "%s: empty file (0 bytes)",
			       p->path);
	if (n >= 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
		p->kind = RF_PKG_TGZ;
		return RF_OK;
	}
	if (n == 4 && !memcmp(magic, "PK\3\4", 4)) {
		p->kind = RF_PKG_ZIP;
		if (o && o->refuse_zip)
			return rf_errf(p->err, RF_EINVAL,
				       "%s is a recovery zip (for `romflash "
				       "sideload`), not a fastboot package",
				       p->path);
		return RF_OK;
	}
	return rf_errf(p->err, RF_EFORMAT, "%s: not a gzip file (a fastboot "
		       "package is a .tgz; a recovery package a .zip)", p->path);
}

/* A .tgz whose record matches the file as it is now: no pass. */
static int from_record(struct rf_package *p, const struct rf_pkg_opts *o)
{
	struct stat sb;
	struct rf_pkg_ident id;
	if (!o || !o->record_dir || o->growing || stat(p->path, &sb) < 0)
		return RF_ENODEV;
	id.dev = sb.st_dev;
	id.ino = sb.st_ino;
	id.size = sb.st_size;
	id.mtim = sb.st_mtim;
	id.ctim = sb.st_ctim;
	return rf_pkg_record_load(p, o->record_dir, &id, o->gz_index);
}

/* A file read while it was written under another name is complete and
 * renamed (o->final_path): the package is that file now, which must be
 * the very file that was read (`read_ident`: its descriptor's, or none). */
static int adopt_final(struct rf_package *p, const char *final,
		       const struct rf_pkg_ident *read_ident)
{
	struct stat sb;
	if (stat(final, &sb) < 0)
		return rf_errf(p->err, RF_ECHANGED, "%s: %s (it was read as %s)",
			       final, strerror(errno), p->path);
	if (read_ident && (sb.st_dev != read_ident->dev ||
			   sb.st_ino != read_ident->ino ||
			   sb.st_size != read_ident->size))
		return rf_errf(p->err, RF_ECHANGED, "%s is not the file that "
			       "was read as %s", final, p->path);
	p->ident.dev = sb.st_dev;
	p->ident.ino = sb.st_ino;
	p->ident.size = sb.st_size;
	p->ident.mtim = sb.st_mtim;
	p->ident.ctim = sb.st_ctim;
	rf_strlcpy(p->path, final, sizeof p->path);
	return RF_OK;
}

/* A zip still being written: its structure is read from its end, so it
 * is read once complete (and renamed). */
static int zip_when_complete(struct rf_package *p, const struct rf_pkg_opts *o)
{
	const struct rf_growing *gr = o->growing;
	uint64_t avail;
	int rc;
	if (!gr->wait)
		return rf_errf(p->err, RF_EINVAL, "%s: a zip is read from its "
			       "end, not while it is being written", p->path);
	if ((rc = gr->wait(gr->user, UINT64_MAX, &avail, p->err)))
		return rc;
	return o->final_path ? adopt_final(p, o->final_path, NULL) : RF_OK;
}

/* A .tgz or .zip: read (or its record), checked. */
static int open_file(struct rf_package *p, const struct rf_pkg_opts *o)
{
	const char *final = o && o->growing ? o->final_path : NULL;
	int rc, zip, recorded;

	rf_pkgname_parse(final ? final : p->path, &p->name);
	if ((rc = file_kind(p, o)))
		return rc;
	zip = p->kind == RF_PKG_ZIP;
	recorded = !zip && from_record(p, o) == RF_OK;
	/* a zip: the structure checks sideload makes (pkg_zip.c) */
	if (zip && o && o->growing && (rc = zip_when_complete(p, o)))
		return rc;
	if (zip)
		rc = rf_pkg_zip_read(p, o);
	else
		rc = recorded ? RF_OK : rf_pkg_walk(p, o);
	if (!rc && !zip && final) {
		struct rf_pkg_ident read = p->ident;
		rc = adopt_final(p, final, &read);
	}
	if (rc)
		return rc;
	if ((rc = check_md5(p, o)))
		return rc;
	if (zip) {
		zip_device(p);
		if (!rf_pkg_find(p, UPDATER_SCRIPT))
			return rf_errf(p->err, RF_EFORMAT, "%s: no %s: not a "
				       "recovery package", p->path,
				       UPDATER_SCRIPT);
	} else if (!recorded && (rc = resolve_top(p))) {
		return rc;
	}
	if (!zip && !has_scripts(p))
		return rf_errf(p->err, RF_EFORMAT, "%s: no flash script (*.sh) "
			       "in the package's top folder", p->path);
	if (!zip && !recorded && o && o->record_dir) {
		char e[RF_ERRLEN];
		rf_pkg_record_save(p, o->record_dir, e); /* best effort */
	}
	if (!o || !o->gz_index) { /* the record needed them, this open not */
		free(p->gz_points);
		p->gz_points = NULL;
		p->ngz_points = 0;
	}
	return RF_OK;
}

int rf_pkg_open(struct rf_package *p, const char *path,
		const struct rf_pkg_opts *o)
{
	struct stat sb;
	int rc;

	memset(p, 0, sizeof *p);
	if (strlen(path) >= sizeof p->path)
		return rf_errf(p->err, RF_EINVAL, "path too long");
	rf_strlcpy(p->path, path, sizeof p->path);
	if (o && o->md5 && !rf_md5_is_hex(o->md5, 32))
		return rf_errf(p->err, RF_EINVAL,
			       "--md5 wants 32 hex digits, not \"%s\"", o->md5);
	if (stat(path, &sb) < 0)
		return rf_errf(p->err, RF_ESYS, "%s: %s", path, strerror(errno));
	if (S_ISDIR(sb.st_mode)) {
		p->kind = RF_PKG_DIR;
		rc = rf_pkg_open_dir(p);
		if (!rc && !has_scripts(p))
			rc = rf_errf(p->err, RF_EFORMAT, "%s: no flash script "
				     "(*.sh) in the package's top folder", path);
	} else if (S_ISREG(sb.st_mode)) {
		rc = open_file(p, o);
	} else {
		rc = rf_errf(p->err, RF_EFORMAT, "%s: not a file or folder",
			     path);
	}
	if (rc)
		rf_pkg_close(p);
	return rc;
}
