/* Downloading a ROM package (libcurl), resumable and verified.
 *
 *   DIR/NAME.lock        flock'ed while a process works on NAME: two
 *                        romflash processes never write the same file
 *   DIR/NAME.part        the bytes received so far (from byte 0)
 *   DIR/NAME.part.meta   what the server said the file is (URL, size, ETag,
 *                        Last-Modified): a resume checks it is the same one
 *   DIR/NAME             the complete, verified file (renamed from .part)
 *   DIR/NAME.verified    its download record: MD5, what it was checked
 *                        against, and the file's identity (device, inode,
 *                        size, mtime, ctime) after it was renamed -- a later
 *                        fetch that finds the same identity does not
 *                        download or hash it again
 *   DIR/verified/        not a download: the package room's verification
 *                        records (pkg_record.h) when DIR is the cache.  A
 *                        download is never named "verified" nor NAME.part,
 *                        .meta, .lock, .verified, .tmp (refused, RF_EINVAL)
 *
 * The MD5 is computed while downloading, by a thread that reads the .part
 * behind the writer (a resume hashes the kept bytes first), so the digest
 * is ready when the last byte is.  It is checked against the full MD5
 * given (catalog, --md5), else against the 10-hex-digit prefix in the
 * package name; a mismatch removes the file.
 *
 * TLS peer and host verification are always on.  Transient failures
 * (connection cut or refused, stall, HTTP 408/429/5xx) are retried with
 * exponential backoff, resuming where the data stopped; a stall (no byte
 * for `stall_s` seconds) ends an attempt.  Never prints: events go to a
 * callback, errors to r->err. */
#ifndef RF_DOWNLOAD_H
#define RF_DOWNLOAD_H

#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include "rf_error.h"

#define RF_DL_STALL_S 30          /* default stall timeout, seconds */
#define RF_DL_RETRIES 5           /* default retries after the first attempt */
#define RF_DL_RETRY_DELAY_MS 1000 /* first backoff; doubles, at most 60 s */

/* What a reader running beside the download can wait on (the package's
 * first pass reading the archive as it arrives, and the MD5 thread).  The
 * .part file holds `written` valid bytes from byte 0.  `generation` grows
 * when the .part starts over from byte 0 (the server's file changed):
 * whatever was read of it before is void. */
enum rf_dl_state { RF_DL_RUNNING = 0, RF_DL_DONE, RF_DL_FAILED };

struct rf_dl_watch {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint64_t written;
	uint64_t total;        /* the file's size, 0 while unknown */
	unsigned generation;
	enum rf_dl_state state;
	/* the writer wakes waiters only once this many bytes are written (the
	 * least any waiter asked for), not on every write */
	uint64_t wake_at;
	int begun;             /* the .part is open: part, path and written
				  describe it (not when the file was found
				  complete: DONE at once) */
	char part[4096];       /* the file being written */
	char path[4096];       /* its final name; at DONE the verified file
				  (renamed there before DONE is said) */
	char md5[33];          /* DONE: its MD5 */
};

struct rf_dl_snap {
	uint64_t written, total;
	unsigned generation;
	enum rf_dl_state state;
	int begun;
};

int rf_dl_watch_init(struct rf_dl_watch *w);
void rf_dl_watch_destroy(struct rf_dl_watch *w);
/* Wait until more than `have` bytes are written, the generation is not
 * `gen`, or the download ended -- or `timeout_ms` passed (<0: no limit).
 * Fills *s either way. */
void rf_dl_watch_wait(struct rf_dl_watch *w, uint64_t have, unsigned gen,
		      int timeout_ms, struct rf_dl_snap *s);
/* Wait until the .part is open (begun) or the download ended, at most
 * `timeout_ms`; fills *s either way. */
void rf_dl_watch_wait_begun(struct rf_dl_watch *w, int timeout_ms,
			    struct rf_dl_snap *s);

enum rf_dl_event_kind {
	RF_DL_EV_START,     /* a transfer begins: offset (resumed from), total */
	RF_DL_EV_PROGRESS,  /* done, total (bytes of the file) */
	RF_DL_EV_RETRY,     /* msg (why), attempt, delay_ms */
	RF_DL_EV_RESTART,   /* msg: the .part starts over from byte 0 */
	RF_DL_EV_WARN,      /* msg (plain http, ...) */
	RF_DL_EV_LOCKED,    /* another process holds the lock: waiting */
};

struct rf_dl_event {
	enum rf_dl_event_kind kind;
	uint64_t offset, done, total;
	unsigned attempt;
	unsigned delay_ms;
	const char *msg;
};

struct rf_dl_opts {
	const char *url;          /* http:// or https:// */
	const char *dir;          /* where the file goes (made if missing) */
	const char *name;         /* file name; NULL: the URL's last component */
	const char *md5;          /* full expected MD5, or NULL */
	const char *cacert;       /* CA bundle; NULL: the system's store */
	unsigned stall_s;         /* 0: RF_DL_STALL_S */
	int retries;              /* < 0: RF_DL_RETRIES */
	unsigned retry_delay_ms;  /* 0: RF_DL_RETRY_DELAY_MS */
	const volatile sig_atomic_t *stop; /* set: stop, keep the .part */
	void (*event)(void *user, const struct rf_dl_event *e);
	void *user;
	struct rf_dl_watch *watch; /* may be NULL */
};

enum rf_dl_md5_source {
	RF_DL_MD5_NONE = 0,  /* nothing to check against: not verified */
	RF_DL_MD5_FULL,      /* the full MD5 given */
	RF_DL_MD5_PREFIX,    /* the prefix in the package name */
};

struct rf_dl_result {
	char path[4096];     /* the complete file */
	char md5[33];
	enum rf_dl_md5_source md5_source;
	uint64_t size;
	int cached;          /* it was there and verified already */
	long http_status;    /* the last HTTP status seen, 0 none */
	uint64_t kept;       /* failure: bytes kept in `part` for resuming */
	char part[4096];
	char err[RF_ERRLEN];
};

/* Download o->url to o->dir (see above).  RF_OK, or: RF_EINVAL (bad URL
 * or name), RF_EINTR (stopped: the .part is kept), RF_EFORMAT (wrong MD5:
 * removed), RF_ESYS (local file error), RF_EIO (network or HTTP failure
 * after the retries).  r->err names the URL and the HTTP status or curl's
 * reason; r->kept says what is kept for resuming. */
int rf_download(const struct rf_dl_opts *o, struct rf_dl_result *r);

/* The file name a URL gives ("" when it names none or an unsafe one). */
void rf_dl_name_from_url(const char *url, char *name, size_t cap);

const char *rf_dl_md5_source_name(enum rf_dl_md5_source s); /* "full", ... */

#endif
