/* A package's listing (see pkg_files.h): its files as the passes add
 * them, the lookups made of it later, and freeing it. */
#include "pkg_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int rf_pkg_ends_with(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);
	return n >= m && !strcmp(s + n - m, suf);
}

/* Top-level files kept in memory: the scripts, and the small files that
 * say which phone the package is for (pkg_target.c). */
int rf_pkg_is_script_name(const char *base)
{
	return rf_pkg_ends_with(base, ".sh") || rf_pkg_ends_with(base, ".bat") ||
	       !strcmp(base, "misc.txt") || !strcmp(base, "android-info.txt");
}

int rf_pkg_is_note_file(const char *base, uint64_t size)
{
	return rf_pkg_ends_with(base, ".txt") && size <= RF_PKG_MAX_NOTE;
}

struct rf_pkg_file *rf_pkg_add_file(struct rf_package *p, const char *path,
				    uint64_t size)
{
	if (p->nfiles >= RF_PKG_MAX_ENTRIES) {
		rf_errf(p->err, RF_EFORMAT, "more than %zu files: not a ROM "
			"package", p->nfiles);
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
	rf_winsums_free(&f->win);
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
	rf_winsums_free(&p->win);
	free(p->gz_points);
	p->gz_points = NULL;
	p->ngz_points = 0;
}

int rf_pkg_norm_path(const char *name, char *out, size_t cap)
{
	size_t n = 0;
	while (*name) {
		const char *sl = strchr(name, '/');
		size_t l = sl ? (size_t)(sl - name) : strlen(name);
		if (l == 2 && !strncmp(name, "..", 2))
			return -1;
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
	return 1;
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
		if (!p->files[i].text || !rf_pkg_ends_with(p->files[i].path, ".sh"))
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
