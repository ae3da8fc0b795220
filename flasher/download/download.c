/* Downloading a ROM package: names, the lock, the cache, retries with
 * backoff, verification, rename (download.h has the files it keeps). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "dl_internal.h"
#include "pkgname.h"
#include "rf_str.h"

#define MAX_RESTARTS 3
#define MAX_DELAY_MS 60000u
#define POLL_MS 50

struct paths {
	char file[4096], part[4200], meta[4300], lock[4200], record[4200];
};

/* What the file must hash to. */
struct expect {
	char full[33];   /* "" none */
	char prefix[11]; /* "" none */
};

const char *rf_dl_md5_source_name(enum rf_dl_md5_source s)
{
	return s == RF_DL_MD5_FULL ? "full" : s == RF_DL_MD5_PREFIX ? "prefix" : "none";
}

static int safe_name(const char *s)
{
	size_t n = strlen(s);
	if (!n || n > 200 || s[0] == '.')
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._+-", *s))
			return 0;
	return 1;
}

/* A name the cache folder already uses for something that is not a
 * download: the package room's records (verified/), or a file kept beside
 * another download (download.h).  Downloading it would overwrite that, or
 * be mistaken for it. */
static int reserved_name(const char *s)
{
	static const char *const ends[] = { ".part", ".meta", ".lock", ".verified",
					    ".tmp" };
	size_t n = strlen(s);
	if (!strcmp(s, "verified"))
		return 1;
	for (size_t i = 0; i < sizeof ends / sizeof *ends; i++) {
		size_t k = strlen(ends[i]);
		if (n >= k && !strcmp(s + n - k, ends[i]))
			return 1;
	}
	return 0;
}

void rf_dl_name_from_url(const char *url, char *name, size_t cap)
{
	const char *p = strstr(url, "://");
	const char *end, *slash;
	name[0] = 0;
	if (!p)
		return;
	p += 3;
	end = p + strcspn(p, "?#");
	slash = NULL;
	for (const char *q = p; q < end; q++)
		if (*q == '/')
			slash = q;
	if (!slash || (size_t)(end - slash - 1) >= cap)
		return;
	memcpy(name, slash + 1, (size_t)(end - slash - 1));
	name[end - slash - 1] = 0;
	if (!safe_name(name))
		name[0] = 0;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int stopped(const struct rf_dl_opts *o)
{
	return o->stop && *o->stop;
}

static void emit(const struct rf_dl_opts *o, struct rf_dl_event *e)
{
	if (o->event)
		o->event(o->user, e);
}

static int mkdir_p(const char *dir, char *err)
{
	char tmp[4096];
	struct stat st;
	if (rf_strlcpy(tmp, dir, sizeof tmp) >= sizeof tmp)
		return rf_errf(err, RF_EINVAL, "%s: path too long", dir);
	for (char *p = tmp + 1; ; p++) {
		if (*p == '/' || !*p) {
			char c = *p;
			*p = 0;
			if (mkdir(tmp, 0755) && errno != EEXIST)
				return rf_errf(err, RF_ESYS, "%s: %s", tmp, strerror(errno));
			*p = c;
			if (!c)
				break;
		}
	}
	if (stat(dir, &st) || !S_ISDIR(st.st_mode))
		return rf_errf(err, RF_ESYS, "%s: not a folder", dir);
	return RF_OK;
}

/* flock on NAME.lock; waits (polling the stop flag) while another process
 * holds it.  The holder removes the file when done, so a lock taken on a
 * file no longer at that path is taken again. */
static int lock_take(const struct rf_dl_opts *o, const char *path, int *fdp, char *err)
{
	int told = 0;
	for (;;) {
		struct stat a, b;
		int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0)
			return rf_errf(err, RF_ESYS, "%s: %s", path, strerror(errno));
		while (flock(fd, LOCK_EX | LOCK_NB)) {
			if (errno != EWOULDBLOCK && errno != EINTR) {
				close(fd);
				return rf_errf(err, RF_ESYS, "lock %s: %s", path, strerror(errno));
			}
			if (!told) {
				struct rf_dl_event e = { .kind = RF_DL_EV_LOCKED, .msg = path };
				emit(o, &e);
				told = 1;
			}
			if (stopped(o)) {
				close(fd);
				return rf_errf(err, RF_EINTR, "stopped while waiting for %s", path);
			}
			sleep_ms(POLL_MS);
		}
		if (!fstat(fd, &a) && !stat(path, &b) && a.st_ino == b.st_ino &&
		    a.st_dev == b.st_dev) {
			*fdp = fd;
			return RF_OK;
		}
		close(fd);
	}
}

static void lock_release(const char *path, int fd)
{
	if (fd < 0)
		return;
	unlink(path); /* while held: see lock_take */
	close(fd);
}

static int md5_matches(const char *md5, const struct expect *x)
{
	if (x->full[0])
		return !strcmp(md5, x->full);
	if (x->prefix[0])
		return !strncmp(md5, x->prefix, 10);
	return 1;
}

static enum rf_dl_md5_source md5_source(const struct expect *x)
{
	return x->full[0] ? RF_DL_MD5_FULL : x->prefix[0] ? RF_DL_MD5_PREFIX : RF_DL_MD5_NONE;
}

/* ---- the download record (NAME.verified) ---- */

static int record_write(const char *path, const char *file, const char *md5,
			enum rf_dl_md5_source src, const char *url)
{
	char tmp[4300];
	struct stat st;
	FILE *f;
	if (stat(file, &st))
		return RF_ESYS;
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f)
		return RF_ESYS;
	fprintf(f, "romflash-download 1\nmd5 %s\nchecked %s\nsize %jd\ndev %ju\nino %ju\n"
		"mtime %jd.%09ld\nctime %jd.%09ld\nurl %s\n", md5,
		rf_dl_md5_source_name(src), (intmax_t)st.st_size, (uintmax_t)st.st_dev,
		(uintmax_t)st.st_ino, (intmax_t)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
		(intmax_t)st.st_ctim.tv_sec, st.st_ctim.tv_nsec, url);
	if (fclose(f) || rename(tmp, path)) {
		unlink(tmp);
		return RF_ESYS;
	}
	return RF_OK;
}

/* The MD5 a record holds for `file` when the file is still the one it was
 * written for: same device, inode, size, mtime and ctime -- the identity
 * the package's verification record (pkg_record.c) keys on too, so both
 * records stand or fall together.  The ctime cannot be set back (touch -d
 * restores an mtime, not a ctime): a file written in place since is never
 * taken as verified.  Else "". */
static void record_read(const char *path, const char *file, char md5[33])
{
	enum { NKEYS = 5 };
	static const char *const keys[NKEYS] = { "size ", "dev ", "ino ", "mtime ",
						 "ctime " };
	char line[4200], want[NKEYS][64], got[NKEYS][64] = { "", "", "", "", "" };
	struct stat st;
	FILE *f;
	md5[0] = 0;
	if (stat(file, &st) || !(f = fopen(path, "re")))
		return;
	snprintf(want[0], 64, "%jd", (intmax_t)st.st_size);
	snprintf(want[1], 64, "%ju", (uintmax_t)st.st_dev);
	snprintf(want[2], 64, "%ju", (uintmax_t)st.st_ino);
	snprintf(want[3], 64, "%jd.%09ld", (intmax_t)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	snprintf(want[4], 64, "%jd.%09ld", (intmax_t)st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
	char m[33] = "";
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = 0;
		if (!strncmp(line, "md5 ", 4) && rf_md5_is_hex(line + 4, 32))
			rf_strlcpy(m, line + 4, sizeof m);
		for (int i = 0; i < NKEYS; i++)
			if (!strncmp(line, keys[i], strlen(keys[i])))
				rf_strlcpy(got[i], line + strlen(keys[i]), 64);
	}
	fclose(f);
	for (int i = 0; i < NKEYS; i++)
		if (strcmp(want[i], got[i]))
			return;
	rf_strlcpy(md5, m, 33);
}

/* MD5 of a whole file (a complete file found without a valid record). */
static int hash_file(const char *path, const struct rf_dl_opts *o, char hex[33], char *err)
{
	struct rf_md5 m;
	unsigned char *buf;
	ssize_t n;
	int rc = RF_OK, fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return rf_errf(err, RF_ESYS, "%s: %s", path, strerror(errno));
	buf = malloc(1u << 20);
	if (!buf || rf_md5_init(&m)) {
		free(buf);
		close(fd);
		return rf_errf(err, RF_ENOMEM, "out of memory");
	}
	while ((n = read(fd, buf, 1u << 20)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = rf_errf(err, RF_ESYS, "%s: %s", path, strerror(errno));
			break;
		}
		if (stopped(o)) {
			rc = rf_errf(err, RF_EINTR, "stopped");
			break;
		}
		rf_md5_update(&m, buf, (size_t)n);
	}
	if (rc)
		rf_md5_free(&m);
	else
		rf_md5_final(&m, hex);
	free(buf);
	close(fd);
	return rc;
}

/* 1: the file is there and verified (r filled); 0: download it; < 0 error. */
static int try_cached(const struct rf_dl_opts *o, const struct paths *p,
		      const struct expect *x, struct rf_dl_result *r)
{
	char md5[33];
	struct stat st;
	if (stat(p->file, &st))
		return errno == ENOENT ? 0 : rf_errf(r->err, RF_ESYS, "%s: %s", p->file,
						     strerror(errno));
	if (!S_ISREG(st.st_mode))
		return rf_errf(r->err, RF_ESYS, "%s: not a regular file", p->file);
	record_read(p->record, p->file, md5);
	if (!md5[0]) {
		int rc = hash_file(p->file, o, md5, r->err);
		if (rc)
			return rc;
		if (md5_matches(md5, x))
			record_write(p->record, p->file, md5, md5_source(x), o->url);
	}
	if (!md5_matches(md5, x)) {
		struct rf_dl_event e = { .kind = RF_DL_EV_WARN,
			.msg = "the file already there does not have the expected MD5: "
			       "downloading it again" };
		emit(o, &e);
		return 0;
	}
	rf_strlcpy(r->md5, md5, sizeof r->md5);
	r->size = (uint64_t)st.st_size;
	r->cached = 1;
	r->md5_source = md5_source(x);
	return 1;
}

static int meta_read(const char *path, struct dl_meta *m)
{
	char line[400];
	int n = 0;
	FILE *f = fopen(path, "re");
	memset(m, 0, sizeof *m);
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = 0;
		if (!strncmp(line, "size ", 5)) {
			m->size = strtoull(line + 5, NULL, 10);
			n++;
		} else if (!strncmp(line, "etag ", 5)) {
			rf_strlcpy(m->etag, line + 5, sizeof m->etag);
			n++;
		} else if (!strncmp(line, "last-modified ", 14)) {
			rf_strlcpy(m->lastmod, line + 14, sizeof m->lastmod);
			n++;
		}
	}
	fclose(f);
	return n == 3 ? 0 : -1;
}

/* Enough room for the rest of the file? */
static int room_check(const struct dl_xfer *x, const char *dir, char *why, size_t cap)
{
	struct statvfs v;
	if (!x->meta.size || x->meta.size <= x->have || statvfs(dir, &v))
		return 0;
	uint64_t need = x->meta.size - x->have;
	uint64_t free_b = (uint64_t)v.f_bavail * v.f_frsize;
	if (free_b >= need)
		return 0;
	snprintf(why, cap, "%s has %.1f MiB free, the download needs %.1f MiB more", dir,
		 (double)free_b / 1048576.0, (double)need / 1048576.0);
	return -1;
}

/* Attempts until the body is whole, with backoff on transient failures
 * (reset whenever an attempt brought data). */
static int run_attempts(struct dl_xfer *x, const char *dir, struct rf_dl_result *r)
{
	const struct rf_dl_opts *o = x->o;
	int retries = o->retries < 0 ? RF_DL_RETRIES : o->retries;
	unsigned base = o->retry_delay_ms ? o->retry_delay_ms : RF_DL_RETRY_DELAY_MS;
	unsigned delay = base;
	int tries = 0, restarts = 0;

	for (;;) {
		if (stopped(o))
			return RF_EINTR;
		enum dl_outcome out = dl_http_attempt(x);
		r->http_status = x->status;
		if (out == DL_DONE || out == DL_COMPLETE_416)
			return RF_OK;
		if (out == DL_STOPPED)
			return RF_EINTR;
		if (out == DL_RESTART) {
			struct rf_dl_event e = { .kind = RF_DL_EV_RESTART, .msg = x->why };
			if (++restarts > MAX_RESTARTS)
				return RF_EIO;
			emit(o, &e);
			if (dl_truncate_part(x))
				return RF_ESYS;
			continue;
		}
		if (out == DL_FATAL)
			return x->write_errno ? RF_ESYS : RF_EIO;
		if (room_check(x, dir, x->why, sizeof x->why))
			return RF_ESYS;
		if (x->have > x->attempt_start) {
			tries = 0;
			delay = base;
		}
		if (tries >= retries)
			return RF_EIO;
		tries++;
		struct rf_dl_event e = { .kind = RF_DL_EV_RETRY, .msg = x->why,
					 .attempt = (unsigned)tries + 1, .delay_ms = delay,
					 .done = x->have, .total = x->meta.size };
		emit(o, &e);
		for (unsigned slept = 0; slept < delay && !stopped(o); slept += POLL_MS)
			sleep_ms(POLL_MS);
		delay = delay > MAX_DELAY_MS / 2 ? MAX_DELAY_MS : delay * 2;
	}
}

static void fail_message(const struct rf_dl_opts *o, const struct dl_xfer *x, int rc,
			 struct rf_dl_result *r)
{
	char kept[4400];
	if (r->kept)
		snprintf(kept, sizeof kept, "%.1f MiB kept in %s: the same command resumes",
			 (double)r->kept / 1048576.0, r->part);
	else
		snprintf(kept, sizeof kept, "nothing kept");
	if (rc == RF_EINTR)
		rf_errf(r->err, rc, "download of %s stopped; %s", o->url, kept);
	else
		rf_errf(r->err, rc, "download of %s failed: %s; %s", o->url,
			x->why[0] ? x->why : rf_strerror(rc), kept);
}

/* Download into NAME.part, verify, rename to NAME. */
static int fetch(const struct rf_dl_opts *o, const struct paths *p,
		 const struct expect *want, const char *dir, struct rf_dl_result *r)
{
	struct rf_dl_watch own, *w = o->watch ? o->watch : &own;
	struct dl_xfer x;
	struct dl_hasher h;
	struct stat st;
	char md5[33];
	int rc;

	memset(&x, 0, sizeof x);
	x.o = o;
	x.w = w;
	rf_strlcpy(x.meta_path, p->meta, sizeof x.meta_path);
	if (!o->watch && rf_dl_watch_init(&own))
		return rf_errf(r->err, RF_ENOMEM, "out of memory");
	x.fd = open(p->part, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (x.fd < 0 || fstat(x.fd, &st)) {
		rc = rf_errf(r->err, RF_ESYS, "%s: %s", p->part, strerror(errno));
		goto out_watch;
	}
	x.have = (uint64_t)st.st_size;
	x.meta_ok = meta_read(p->meta, &x.meta) == 0;
	if (x.have && (!x.meta_ok || (x.meta.size && x.have > x.meta.size))) {
		if (ftruncate(x.fd, 0)) { /* nothing tells what the kept bytes are */
			rc = rf_errf(r->err, RF_ESYS, "%s: %s", p->part, strerror(errno));
			goto out_fd;
		}
		x.have = 0;
	}
	dl_watch_begin(w, p->part, p->file, x.have, x.meta.size);
	rc = dl_hasher_start(&h, w, p->part, r->err);
	if (rc)
		goto out_fd;
	rc = run_attempts(&x, dir, r);
	if (rc) {
		dl_hasher_abort(&h);
		r->kept = x.have;
		rf_strlcpy(r->part, p->part, sizeof r->part);
		fail_message(o, &x, rc, r);
		goto out_fd;
	}
	if (dl_hasher_finish(&h, md5)) {
		rc = rf_errf(r->err, RF_ESYS, "%s: read error while computing the MD5", p->part);
		goto out_fd;
	}
	r->size = x.have;
	rf_strlcpy(r->md5, md5, sizeof r->md5);
	r->md5_source = md5_source(want);
	if (!md5_matches(md5, want)) {
		unlink(p->part);
		unlink(p->meta);
		rc = rf_errf(r->err, RF_EFORMAT, "download of %s: MD5 %s, expected %s%s (%s); "
			     "the file was removed", o->url, md5, want->full[0] ? want->full
			     : want->prefix, want->full[0] ? "" : "...",
			     want->full[0] ? "the catalog's or --md5" : "the prefix in the name");
		goto out_fd;
	}
	if (rename(p->part, p->file)) {
		rc = rf_errf(r->err, RF_ESYS, "rename to %s: %s", p->file, strerror(errno));
		goto out_fd;
	}
	unlink(p->meta);
	record_write(p->record, p->file, md5, r->md5_source, o->url);
	dl_watch_end(w, RF_DL_DONE, p->file, md5);
out_fd:
	if (x.fd >= 0)
		close(x.fd);
out_watch:
	if (rc)
		dl_watch_end(w, RF_DL_FAILED, NULL, NULL);
	if (!o->watch)
		rf_dl_watch_destroy(&own);
	return rc;
}

static int expectations(const struct rf_dl_opts *o, const char *name, struct expect *x,
			char *err)
{
	struct rf_pkgname pn;
	memset(x, 0, sizeof *x);
	if (o->md5 && *o->md5) {
		if (!rf_md5_is_hex(o->md5, 32))
			return rf_errf(err, RF_EINVAL, "MD5 '%s' is not 32 hex digits", o->md5);
		for (int i = 0; i < 32; i++)
			x->full[i] = (char)tolower((unsigned char)o->md5[i]);
	}
	if (rf_pkgname_parse(name, &pn) && pn.md5_prefix[0])
		rf_strlcpy(x->prefix, pn.md5_prefix, sizeof x->prefix);
	if (x->full[0] && x->prefix[0] && strncmp(x->full, x->prefix, 10))
		return rf_errf(err, RF_EINVAL, "%s: the MD5 given (%s) contradicts the "
			       "name's prefix %s", name, x->full, x->prefix);
	return RF_OK;
}

int rf_download(const struct rf_dl_opts *o_in, struct rf_dl_result *r)
{
	struct rf_dl_opts o = *o_in;
	struct expect want;
	struct paths p;
	char name[256];
	int rc, lockfd = -1;

	memset(r, 0, sizeof *r);
	if (strncmp(o.url, "https://", 8) && strncmp(o.url, "http://", 7))
		return rf_errf(r->err, RF_EINVAL, "%s: only http:// and https:// URLs", o.url);
	if (o.name)
		rf_strlcpy(name, o.name, sizeof name);
	else
		rf_dl_name_from_url(o.url, name, sizeof name);
	if (!safe_name(name))
		return rf_errf(r->err, RF_EINVAL, "%s: no usable file name in the URL "
			       "(letters, digits, . _ + -)", o.url);
	if (reserved_name(name))
		return rf_errf(r->err, RF_EINVAL, "%s: \"%s\" is a name the cache "
			       "keeps for its own files (verified, *.part, *.meta, "
			       "*.lock, *.verified, *.tmp)", o.url, name);
	o.name = name;
	rc = expectations(&o, name, &want, r->err);
	if (rc)
		return rc;
	if (snprintf(p.file, sizeof p.file, "%s/%s", o.dir, name) >= (int)sizeof p.file)
		return rf_errf(r->err, RF_EINVAL, "%s: path too long", o.dir);
	snprintf(p.part, sizeof p.part, "%s.part", p.file);
	snprintf(p.meta, sizeof p.meta, "%s.part.meta", p.file);
	snprintf(p.lock, sizeof p.lock, "%s.lock", p.file);
	snprintf(p.record, sizeof p.record, "%s.verified", p.file);
	rf_strlcpy(r->path, p.file, sizeof r->path);
	if (dl_http_global_init())
		return rf_errf(r->err, RF_ENOMEM, "libcurl cannot start");
	rc = mkdir_p(o.dir, r->err);
	if (rc) {
		if (o.watch)
			dl_watch_end(o.watch, RF_DL_FAILED, NULL, NULL);
		return rc;
	}
	if (!strncmp(o.url, "http://", 7)) {
		struct rf_dl_event e = { .kind = RF_DL_EV_WARN,
			.msg = "plain http://: the transfer is not protected by TLS, "
			       "only the MD5 check guards it" };
		emit(&o, &e);
	}
	rc = lock_take(&o, p.lock, &lockfd, r->err);
	if (rc) {
		if (o.watch)
			dl_watch_end(o.watch, RF_DL_FAILED, NULL, NULL);
		return rc;
	}
	rc = try_cached(&o, &p, &want, r);
	if (rc == 1) {
		if (o.watch) {
			dl_watch_set(o.watch, r->size, r->size);
			dl_watch_end(o.watch, RF_DL_DONE, p.file, r->md5);
		}
		rc = RF_OK;
	} else if (rc == 0) {
		rc = fetch(&o, &p, &want, o.dir, r);
	}
	lock_release(p.lock, lockfd);
	if (rc && o.watch) /* a reader waiting on it must not wait on */
		dl_watch_end(o.watch, RF_DL_FAILED, NULL, NULL);
	return rc;
}
