/* PACKAGE argument -> local, verified file (resolve.h). */
#include "resolve.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "rf_str.h"

enum rf_pkg_source rf_pkg_source_of(const char *arg)
{
	struct stat st;
	if (!stat(arg, &st))
		return RF_SRC_LOCAL;
	if (!strncmp(arg, "https://", 8) || !strncmp(arg, "http://", 7))
		return RF_SRC_URL;
	if (rf_catalog_is_version(arg))
		return RF_SRC_CATALOG;
	return RF_SRC_LOCAL;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* The one entry of that version for this command, or an error listing
 * what matched. */
static int pick(const char *version, const struct rf_resolve_opts *o,
		struct rf_resolved *out)
{
	const struct rf_rom *m[16];
	size_t n;
	char list[200] = "";

	if (!o->catalog)
		return rf_errf(out->err, RF_EINVAL, "%s: no catalog to look versions up in",
			       version);
	n = rf_catalog_find(o->catalog, version, o->region, o->type, m, 16);
	if (n == 1) {
		out->rom = m[0];
		return RF_OK;
	}
	for (size_t i = 0; i < n && i < 16; i++) {
		size_t k = strlen(list);
		snprintf(list + k, sizeof list - k, "%s%s %s", i ? ", " : "",
			 m[i]->region, rf_rom_type_name(m[i]->type));
	}
	if (!n)
		return rf_errf(out->err, RF_EINVAL, "%s%s%s%s%s: not in the catalog "
			       "(romflash catalog lists it)", version,
			       o->region ? " " : "", o->region ? o->region : "",
			       o->type ? " " : "", o->type ? rf_rom_type_name(o->type) : "");
	return rf_errf(out->err, RF_EINVAL, "%s: %zu packages match (%s): choose with "
		       "--region%s", version, n, list, o->type ? "" : " and --type");
}

/* What to download for a URL or version (LOCAL: nothing): dl gets the
 * URL, name and MD5. */
static int prepare(const char *arg, const struct rf_resolve_opts *o,
		   struct rf_resolved *out, struct rf_dl_opts *dl)
{
	const char *url = arg;
	int rc;

	memset(out, 0, sizeof *out);
	*dl = o->dl;
	out->source = rf_pkg_source_of(arg);
	if (out->source == RF_SRC_LOCAL) {
		rf_strlcpy(out->path, arg, sizeof out->path);
		if (o->catalog)
			out->rom = rf_catalog_by_name(o->catalog, base_name(arg));
	} else if (out->source == RF_SRC_CATALOG) {
		rc = pick(arg, o, out);
		if (rc)
			return rc;
		url = out->rom->url;
		dl->name = out->rom->name;
	} else {
		char name[256];
		rf_dl_name_from_url(arg, name, sizeof name);
		if (o->catalog && name[0])
			out->rom = rf_catalog_by_name(o->catalog, name);
	}
	if (o->md5 && *o->md5)
		rf_strlcpy(out->md5, o->md5, sizeof out->md5);
	else if (out->rom && out->rom->md5[0])
		rf_strlcpy(out->md5, out->rom->md5, sizeof out->md5);
	dl->url = url;
	dl->md5 = out->md5[0] ? out->md5 : NULL;
	return RF_OK;
}

/* After rf_download (run by the caller or its thread). */
static int downloaded(int rc, struct rf_resolved *out)
{
	if (rc) {
		out->download_failed = rc != RF_EINVAL;
		rf_strlcpy(out->err, out->dl.err, sizeof out->err);
		return rc;
	}
	rf_strlcpy(out->path, out->dl.path, sizeof out->path);
	return RF_OK;
}

int rf_resolve_package(const char *arg, const struct rf_resolve_opts *o,
		       struct rf_resolved *out)
{
	struct rf_dl_opts dl;
	int rc = prepare(arg, o, out, &dl);
	if (rc || out->source == RF_SRC_LOCAL)
		return rc;
	return downloaded(rf_download(&dl, &out->dl), out);
}

/* ---- the package opened while it downloads ---- */

struct beside {
	struct rf_dl_watch w;
	struct rf_dl_opts dl;
	struct rf_dl_result *res;
	int rc;                 /* the download's */
	double t_end;           /* when it returned */
	unsigned gen;           /* the generation the pass reads */
	const volatile sig_atomic_t *stop;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *download_main(void *arg)
{
	struct beside *b = arg;
	b->rc = rf_download(&b->dl, b->res);
	b->t_end = now_s();
	return NULL;
}

/* rf_growing.wait over the download's watch: bytes of the generation the
 * pass began with. */
static int grow_wait(void *user, uint64_t want, uint64_t *avail, char *err)
{
	struct beside *b = user;
	struct rf_dl_snap s;
	for (;;) {
		rf_dl_watch_wait(&b->w, want ? want - 1 : 0, b->gen, 250, &s);
		if (s.generation != b->gen)
			return rf_errf(err, RF_ECHANGED, "the download started over "
				       "from byte 0");
		if (s.state == RF_DL_FAILED)
			return rf_errf(err, RF_EIO, "the download failed");
		if (s.state == RF_DL_DONE || s.written >= want) {
			*avail = s.written;
			return RF_OK;
		}
		if (b->stop && *b->stop)
			return rf_errf(err, RF_EINTR, "interrupted");
	}
}

/* Until the download ended (asleep: a wait for more bytes than any file
 * has, in the current generation, returns when it ends or starts over). */
static enum rf_dl_state wait_end(struct beside *b)
{
	struct rf_dl_snap s;
	rf_dl_watch_wait(&b->w, 0, 0, 0, &s);
	while (s.state == RF_DL_RUNNING)
		rf_dl_watch_wait(&b->w, UINT64_MAX - 1, s.generation, 250, &s);
	return s.state;
}

/* The complete file, as any local package (its record, if any). */
static int open_after(struct beside *b, const struct rf_pkg_opts *po,
		      struct rf_package *pkg)
{
	char path[4096];
	if (wait_end(b) != RF_DL_DONE)
		return RF_EIO; /* the download's error is the one said */
	pthread_mutex_lock(&b->w.lock);
	rf_strlcpy(path, b->w.path, sizeof path);
	pthread_mutex_unlock(&b->w.lock);
	return rf_pkg_open(pkg, path, po);
}

/* One pass over the .part as it arrives.  RF_ECHANGED: the download
 * started over (pass again); RF_OK: pkg is the verified final file. */
static int pass_growing(struct beside *b, const struct rf_pkg_opts *po_in,
			const struct rf_dl_snap *s, struct rf_package *pkg)
{
	struct rf_pkg_opts po = *po_in;
	struct rf_growing gr;
	char part[4096], final[4096], md5[33];
	int rc;

	pthread_mutex_lock(&b->w.lock);
	rf_strlcpy(part, b->w.part, sizeof part);
	rf_strlcpy(final, b->w.path, sizeof final);
	pthread_mutex_unlock(&b->w.lock);
	memset(&gr, 0, sizeof gr);
	gr.expect = s->total;
	gr.stop = po.cancel;
	gr.wait = grow_wait;
	gr.user = b;
	b->gen = s->generation;
	po.growing = &gr;
	po.final_path = final;
	po.progress = NULL;
	rc = rf_pkg_open(pkg, part, &po);
	if (rc)
		return rc;
	/* the pass ended at DONE: the download's MD5 is there, and both
	 * read the same bytes (anything else: read it again) */
	pthread_mutex_lock(&b->w.lock);
	rf_strlcpy(md5, b->w.md5, sizeof md5);
	pthread_mutex_unlock(&b->w.lock);
	if (!strcmp(md5, pkg->md5))
		return RF_OK;
	rf_pkg_close(pkg);
	return rf_errf(pkg->err, RF_ECHANGED, "%s: read as %s while it "
		       "downloaded, %s when verified", final, pkg->md5, md5);
}

static int open_beside(struct beside *b, const struct rf_pkg_opts *po,
		       struct rf_package *pkg, struct rf_resolved *out)
{
	struct rf_dl_snap s;
	int rc;
	for (;;) {
		do
			rf_dl_watch_wait_begun(&b->w, 250, &s);
		while (!s.begun && s.state == RF_DL_RUNNING);
		if (s.state != RF_DL_RUNNING) /* found complete, or failed */
			return open_after(b, po, pkg);
		rc = pass_growing(b, po, &s, pkg);
		if (rc == RF_OK) {
			/* a zip waited for the complete file (read from its end) */
			out->pkg_beside = pkg->kind != RF_PKG_ZIP;
			return RF_OK;
		}
		if (rc == RF_EINTR)
			return rc;
		rf_dl_watch_wait(&b->w, 0, b->gen, 0, &s);
		if (s.generation != b->gen && s.state == RF_DL_RUNNING) {
			out->pkg_restarts++;
			continue;
		}
		/* a package that fails on the growing file is judged on the
		 * complete one, after the download's own verdict */
		return open_after(b, po, pkg);
	}
}

int rf_resolve_open(const char *arg, const struct rf_resolve_opts *o,
		    const struct rf_pkg_opts *po_in, struct rf_package *pkg,
		    struct rf_resolved *out)
{
	struct rf_pkg_opts po;
	struct beside *b;
	pthread_t th;
	double t_ready;
	int rc;

	if (!po_in || !pkg)
		return rf_resolve_package(arg, o, out);
	memset(pkg, 0, sizeof *pkg);
	b = calloc(1, sizeof *b);
	if (!b) {
		memset(out, 0, sizeof *out);
		return rf_errf(out->err, RF_ENOMEM, "out of memory");
	}
	rc = prepare(arg, o, out, &b->dl);
	if (rc || out->source == RF_SRC_LOCAL)
		goto out_free;
	if (rf_dl_watch_init(&b->w)) {
		rc = rf_errf(out->err, RF_ENOMEM, "out of memory");
		goto out_free;
	}
	po = *po_in;
	if (!po.md5 && out->md5[0])
		po.md5 = out->md5;
	b->dl.watch = &b->w;
	b->res = &out->dl;
	b->stop = b->dl.stop;
	if (pthread_create(&th, NULL, download_main, b)) {
		/* no thread: one after the other */
		rc = downloaded(rf_download(&b->dl, &out->dl), out);
		if (!rc) {
			out->pkg_opened = 1;
			out->pkg_rc = rf_pkg_open(pkg, out->path, &po);
		}
		goto out_watch;
	}
	out->pkg_rc = open_beside(b, &po, pkg, out);
	t_ready = now_s();
	pthread_join(th, NULL);
	rc = downloaded(b->rc, out);
	if (rc) { /* the download's error is the one to say */
		if (!out->pkg_rc)
			rf_pkg_close(pkg);
		out->pkg_rc = RF_OK;
		goto out_watch;
	}
	out->pkg_opened = 1;
	out->pkg_after_s = t_ready > b->t_end ? t_ready - b->t_end : 0;
out_watch:
	rf_dl_watch_destroy(&b->w);
out_free:
	free(b);
	return rc;
}
