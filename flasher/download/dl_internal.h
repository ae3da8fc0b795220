/* Inside the downloader: the state of one download across its HTTP
 * attempts (download.c drives, http_get.c runs one attempt, dl_watch.c
 * hashes behind the writer). */
#ifndef RF_DL_INTERNAL_H
#define RF_DL_INTERNAL_H

#include <stdint.h>
#include "download.h"
#include "md5.h"

/* What the server said the file is (NAME.part.meta). */
struct dl_meta {
	uint64_t size;     /* 0: unknown */
	char etag[256];    /* strong ETag with its quotes, "" none */
	char lastmod[64];  /* Last-Modified as sent, "" none */
};

/* The MD5 thread: reads the .part behind the writer. */
struct dl_hasher {
	struct rf_dl_watch *w;
	int fd;
	pthread_t th;
	int running;
	int quit;          /* under w->lock: hash what is written, then end */
	uint64_t hashed;
	unsigned gen;
	struct rf_md5 md5;
	int failed;        /* a read error */
	char md5_hex[33];
};

int dl_hasher_start(struct dl_hasher *h, struct rf_dl_watch *w, const char *part,
		    char *err);
/* Hash up to what is written and end; hex gets the MD5 of those bytes.
 * RF_ESYS when a read failed. */
int dl_hasher_finish(struct dl_hasher *h, char hex[33]);
void dl_hasher_abort(struct dl_hasher *h);

/* Updates of the watch by the writer: the .part is open and holds
 * `written` valid bytes (begin), more of them (set), it starts over from
 * byte 0 (restart), the end (path and md5 at DONE). */
void dl_watch_begin(struct rf_dl_watch *w, const char *part, const char *path,
		    uint64_t written, uint64_t total);
void dl_watch_set(struct rf_dl_watch *w, uint64_t written, uint64_t total);
void dl_watch_restart(struct rf_dl_watch *w, uint64_t total);
void dl_watch_end(struct rf_dl_watch *w, enum rf_dl_state st, const char *path,
		  const char *md5);

/* Outcome of one attempt. */
enum dl_outcome {
	DL_DONE,        /* the body arrived whole */
	DL_RESTART,     /* the server's file is not the one kept: start from 0 */
	DL_TRANSIENT,   /* try again (cut, stall, 5xx) */
	DL_FATAL,       /* give up (404, TLS, disk) */
	DL_STOPPED,     /* o->stop */
	DL_COMPLETE_416 /* the range asked starts at the end: the .part is whole */
};

struct dl_xfer {
	const struct rf_dl_opts *o;
	struct rf_dl_watch *w;
	struct dl_meta meta;
	int meta_ok;          /* meta describes the .part */
	char meta_path[4200];
	int fd;               /* the .part */
	uint64_t have;        /* valid bytes in it */
	uint64_t attempt_start;
	double t_last_event;
	/* the response of this attempt */
	long status;
	char reason[64];
	int has_range;
	uint64_t range_start, range_total, length;
	char etag[256], lastmod[64];
	int body_started;
	int want_restart;
	int write_errno;
	int warned_http;
	char why[200];        /* this attempt's failure, for messages */
};

/* One HTTP GET from x->have (a Range request with If-Range when > 0). */
enum dl_outcome dl_http_attempt(struct dl_xfer *x);
/* curl_global_init, once. */
int dl_http_global_init(void);
/* Empty the .part (the watch starts a new generation); -1 on error. */
int dl_truncate_part(struct dl_xfer *x);
int dl_meta_write(const char *path, const struct dl_meta *m);

#endif
