/* An extracted package folder: its top folder (or the one below it, for a
 * package unpacked once more), the scripts there and the files of images/.
 * Every file is read whole once: scripts kept, sparse images scanned, and
 * the digest of every window recorded, so the write pass can prove that
 * what it sends is what was read here. */
#include "pkg_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rf_str.h"

static int dir_has_script(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int found = 0;
	if (!d)
		return 0;
	while (!found && (de = readdir(d)))
		found = !strncmp(de->d_name, "flash_all", 9) &&
			rf_pkg_ends_with(de->d_name, ".sh");
	closedir(d);
	return found;
}

/* A script or a note file: kept in memory (its bytes digested as they
 * are read). */
static int read_script(struct rf_package *p, struct rf_pkg_file *f,
		       struct rf_pkg_src *sr)
{
	size_t got = 0, n;
	int rc;
	if (f->size > RF_PKG_MAX_SCRIPT)
		return rf_errf(p->err, RF_EFORMAT, "%s: too large for a script",
			       f->path);
	if (p->used_text + f->size > RF_PKG_MAX_TEXT)
		return rf_errf(p->err, RF_EFORMAT, "%s: more than %u MiB of "
			       "scripts: not a ROM package", f->path,
			       RF_PKG_MAX_TEXT >> 20);
	if (!(f->text = malloc((size_t)f->size + 1)))
		return rf_errf(p->err, RF_ENOMEM, "out of memory");
	p->used_text += (size_t)f->size;
	while (got < f->size) {
		if ((rc = rf_pkg_src_read(sr, f->text + got,
					  (size_t)f->size - got, &n)))
			return rf_errf(p->err, rc, "%s: %s", f->path, sr->err);
		if (!n)
			break;
		got += n;
	}
	f->text[got] = 0;
	f->text_len = got;
	return RF_OK;
}

/* Read file f (open as fd) whole: script or image, digests. */
static int read_file(struct rf_package *p, struct rf_pkg_file *f, int fd,
		     int script)
{
	struct rf_winrec rec;
	struct rf_pkg_src sr = { .fd = fd, .rec = &rec };
	int rc;

	if (rf_winrec_init(&rec, &f->win))
		return rf_errf(p->err, RF_ENOMEM, "out of memory");
	rc = script ? read_script(p, f, &sr) : rf_pkg_scan_image(p, f, &sr);
	if (!rc && (rc = rf_pkg_src_drain(&sr)))
		rf_errf(p->err, rc, "%s: %s", f->path, sr.err);
	if (!rc)
		rc = rf_winrec_finish(&rec) ? rf_errf(p->err, RF_ENOMEM,
						       "out of memory") : RF_OK;
	if (!rc && f->win.size != f->size)
		rc = rf_errf(p->err, RF_ECHANGED, "%s changed while it was "
			     "read", f->path);
	rf_winrec_free(&rec);
	return rc;
}

/* The regular files of dir/rel (subfolders are not the package's). */
static int dir_add(struct rf_package *p, const char *rel, int scripts_here)
{
	char full[4096 + 300];
	snprintf(full, sizeof full, "%s%s%s", p->dir, *rel ? "/" : "", rel);
	DIR *d = opendir(full);
	struct dirent *de;
	int rc = RF_OK;
	if (!d)
		return rf_errf(p->err, RF_ESYS, "%s: %s", full, strerror(errno));
	while (!rc && (de = readdir(d))) {
		char relp[600], fp[4096 + 700];
		struct stat sb;
		if (de->d_name[0] == '.')
			continue;
		snprintf(relp, sizeof relp, "%s%s%s", rel, *rel ? "/" : "",
			 de->d_name);
		snprintf(fp, sizeof fp, "%s/%s", p->dir, relp);
		int fd = open(fp, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
		if (fd < 0 && errno == ELOOP) {
			rc = rf_errf(p->err, RF_EFORMAT, "unsafe: %s is a "
				     "symbolic link", relp);
			break;
		}
		if (fd < 0 || fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
			if (fd >= 0)
				close(fd);
			continue; /* a link, a subfolder: not ours */
		}
		p->used_total += (uint64_t)sb.st_size;
		struct rf_pkg_file *f = rf_pkg_add_file(p, relp,
							(uint64_t)sb.st_size);
		if (!f)
			rc = RF_EFORMAT;
		else if (p->used_total > RF_PKG_MAX_TOTAL)
			rc = rf_errf(p->err, RF_EFORMAT, "%s: more than %llu "
				     "GiB in the folder: not a ROM package",
				     relp, RF_PKG_MAX_TOTAL >> 30);
		else
			rc = read_file(p, f, fd, scripts_here ?
				       rf_pkg_is_script_name(de->d_name) :
				       rf_pkg_is_note_file(de->d_name, f->size));
		if (f)
			p->file_size += f->size;
		close(fd);
	}
	closedir(d);
	return rc;
}

/* The folder holding flash_all*.sh: p->path, or its only subfolder that
 * has one (a package unpacked once more). */
static int find_top(struct rf_package *p)
{
	char sub[4096 + 300];
	DIR *d;
	struct dirent *de;
	int n = 0;

	rf_strlcpy(p->dir, p->path, sizeof p->dir);
	if (dir_has_script(p->dir))
		return RF_OK;
	if (!(d = opendir(p->path)))
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
		return rf_errf(p->err, RF_EFORMAT, "%s: no flash_all*.sh in this "
			       "folder", p->path);
	return RF_OK;
}

int rf_pkg_open_dir(struct rf_package *p)
{
	char sub[4096 + 300];
	struct stat sb;
	int rc = find_top(p);

	if (rc)
		return rc;
	if (!rf_pkgname_parse(p->dir, &p->name))
		rf_pkgname_parse(p->path, &p->name);
	rc = dir_add(p, "", 1);
	if (!rc) {
		snprintf(sub, sizeof sub, "%s/images", p->dir);
		if (stat(sub, &sb) == 0 && S_ISDIR(sb.st_mode))
			rc = dir_add(p, "images", 0);
	}
	p->md5_state = RF_MD5_NOT_CHECKED;
	return rc;
}
