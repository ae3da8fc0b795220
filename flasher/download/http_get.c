/* One HTTP attempt of a download (libcurl easy interface): from byte 0, or
 * from x->have with a Range request whose answer must describe the same
 * file as the one kept (size, ETag or Last-Modified; If-Range asks the
 * server to send the whole file instead when it changed). */
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "dl_internal.h"
#include "rf_str.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int dl_http_global_init(void)
{
	/* curl_global_init is not thread-safe: once per process */
	pthread_once(&curl_once, curl_init);
	return curl_init_rc == CURLE_OK ? RF_OK : RF_ENOMEM;
}

int dl_meta_write(const char *path, const struct dl_meta *m)
{
	char tmp[4300];
	FILE *f;
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f)
		return RF_ESYS;
	fprintf(f, "size %" PRIu64 "\netag %s\nlast-modified %s\n", m->size, m->etag,
		m->lastmod);
	if (fclose(f) || rename(tmp, path)) {
		unlink(tmp);
		return RF_ESYS;
	}
	return RF_OK;
}

/* A header value without the name, surrounding blanks and CRLF. */
static void header_value(const char *h, size_t n, size_t name_len, char *out,
			 size_t cap)
{
	const char *v = h + name_len, *e = h + n;
	while (v < e && (*v == ' ' || *v == '\t'))
		v++;
	while (e > v && (e[-1] == '\r' || e[-1] == '\n' || e[-1] == ' '))
		e--;
	size_t k = (size_t)(e - v) < cap - 1 ? (size_t)(e - v) : cap - 1;
	memcpy(out, v, k);
	out[k] = 0;
}

static int starts(const char *h, size_t n, const char *name)
{
	size_t k = strlen(name);
	return n >= k && !strncasecmp(h, name, k);
}

static size_t on_header(char *h, size_t size, size_t nmemb, void *user)
{
	struct dl_xfer *x = user;
	size_t n = size * nmemb;
	char v[300];

	if (starts(h, n, "HTTP/")) { /* a new response (redirects, 100) */
		const char *sp = memchr(h, ' ', n);
		x->status = 0;
		x->reason[0] = x->etag[0] = x->lastmod[0] = 0;
		x->has_range = 0;
		x->length = x->range_start = x->range_total = 0;
		if (sp) {
			header_value(sp, n - (size_t)(sp - h), 0, v, sizeof v);
			x->status = strtol(v, NULL, 10);
			const char *r = strchr(v, ' ');
			rf_strlcpy(x->reason, r ? r + 1 : "", sizeof x->reason);
		}
	} else if (starts(h, n, "ETag:")) {
		header_value(h, n, 5, v, sizeof v);
		/* weak validators cannot be used with If-Range */
		if (v[0] == '"')
			rf_strlcpy(x->etag, v, sizeof x->etag);
	} else if (starts(h, n, "Last-Modified:")) {
		header_value(h, n, 14, x->lastmod, sizeof x->lastmod);
	} else if (starts(h, n, "Content-Length:")) {
		header_value(h, n, 15, v, sizeof v);
		x->length = strtoull(v, NULL, 10);
	} else if (starts(h, n, "Content-Range:")) {
		uint64_t a, b, t;
		header_value(h, n, 14, v, sizeof v);
		if (sscanf(v, "bytes %" SCNu64 "-%" SCNu64 "/%" SCNu64, &a, &b, &t) == 3 &&
		    a <= b && b < t) {
			x->has_range = 1;
			x->range_start = a;
			x->range_total = t;
		}
	}
	return n;
}

int dl_truncate_part(struct dl_xfer *x)
{
	/* the new generation first: a reader that then finds the file
	 * shorter than it was told already sees why */
	dl_watch_restart(x->w, 0);
	x->have = 0;
	x->meta_ok = 0;
	if (ftruncate(x->fd, 0)) {
		x->write_errno = errno;
		return -1;
	}
	return 0;
}

/* A 206 must continue the file kept: same start, size and validators. */
static const char *range_mismatch(const struct dl_xfer *x)
{
	if (!x->has_range || x->range_start != x->have)
		return "the server answered another range";
	if (x->meta.size && x->range_total != x->meta.size)
		return "the server's file has another size";
	if (x->meta.etag[0] && x->etag[0] && strcmp(x->meta.etag, x->etag))
		return "the server's file has another ETag";
	if (x->meta.lastmod[0] && x->lastmod[0] && strcmp(x->meta.lastmod, x->lastmod))
		return "the server's file has another Last-Modified date";
	return NULL;
}

static void event(struct dl_xfer *x, enum rf_dl_event_kind k, const char *msg)
{
	struct rf_dl_event e = { .kind = k, .offset = x->attempt_start, .done = x->have,
				 .total = x->meta.size, .msg = msg };
	if (x->o->event)
		x->o->event(x->o->user, &e);
}

/* The first bytes of the body: decide what they continue. */
static int body_start(struct dl_xfer *x, CURL *c)
{
	const char *bad, *eff = NULL;
	x->body_started = 1;
	curl_easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &eff);
	if (eff && !strncmp(eff, "http://", 7) && !x->warned_http) {
		x->warned_http = 1;
		if (!strncmp(x->o->url, "https://", 8))
			event(x, RF_DL_EV_WARN, "redirected to plain http://: the transfer is "
			      "not protected by TLS, only the MD5 check guards it");
	}
	if (x->status == 206 && x->have) {
		bad = range_mismatch(x);
		if (bad) {
			snprintf(x->why, sizeof x->why, "%s", bad);
			x->want_restart = 1;
			return -1;
		}
		if (!x->meta.size)
			x->meta.size = x->range_total;
		return 0;
	}
	if (x->status == 206) { /* a range nobody asked for */
		snprintf(x->why, sizeof x->why, "the server answered a range to a plain GET");
		x->want_restart = 1;
		return -1;
	}
	if (x->have) { /* a whole file: it changed, or no range support */
		event(x, RF_DL_EV_RESTART, x->etag[0] || x->lastmod[0]
		      ? "the server's file changed since the kept part was downloaded: "
			"starting again from byte 0"
		      : "the server does not resume downloads: starting again from byte 0");
		if (dl_truncate_part(x))
			return -1;
	}
	x->meta.size = x->length;
	rf_strlcpy(x->meta.etag, x->etag, sizeof x->meta.etag);
	rf_strlcpy(x->meta.lastmod, x->lastmod, sizeof x->meta.lastmod);
	if (dl_meta_write(x->meta_path, &x->meta)) {
		x->write_errno = errno ? errno : EIO;
		return -1;
	}
	x->meta_ok = 1;
	dl_watch_set(x->w, 0, x->meta.size);
	return 0;
}

struct wctx {
	struct dl_xfer *x;
	CURL *c;
};

static size_t on_body(char *p, size_t size, size_t nmemb, void *user)
{
	struct wctx *wc = user;
	struct dl_xfer *x = wc->x;
	size_t n = size * nmemb, done = 0;

	if (!x->body_started && body_start(x, wc->c))
		return 0;
	if (x->meta.size && x->have + n > x->meta.size) {
		snprintf(x->why, sizeof x->why, "the server sent more than the file's %" PRIu64
			 " bytes", x->meta.size);
		x->want_restart = 1;
		return 0;
	}
	while (done < n) {
		ssize_t w = pwrite(x->fd, p + done, n - done, (off_t)(x->have + done));
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			x->write_errno = w < 0 ? errno : EIO;
			return 0;
		}
		done += (size_t)w;
	}
	x->have += n;
	dl_watch_set(x->w, x->have, x->meta.size);
	return n;
}

static int on_progress(void *user, curl_off_t dltotal, curl_off_t dlnow,
		       curl_off_t ultotal, curl_off_t ulnow)
{
	struct dl_xfer *x = ((struct wctx *)user)->x;
	struct timespec ts;
	double now;
	(void)dltotal; (void)dlnow; (void)ultotal; (void)ulnow;
	if (x->o->stop && *x->o->stop)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	if (x->body_started && now - x->t_last_event >= 0.05) {
		x->t_last_event = now;
		event(x, RF_DL_EV_PROGRESS, NULL);
	}
	return 0;
}

static int transient_curl(CURLcode e)
{
	switch (e) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	default:
		return 0;
	}
}

static enum dl_outcome classify(struct dl_xfer *x, CURLcode e)
{
	unsigned stall = x->o->stall_s ? x->o->stall_s : RF_DL_STALL_S;
	if (e == CURLE_OK)
		return DL_DONE;
	if (e == CURLE_ABORTED_BY_CALLBACK)
		return DL_STOPPED;
	if (e == CURLE_WRITE_ERROR && x->want_restart)
		return DL_RESTART;
	if (e == CURLE_WRITE_ERROR || x->write_errno) {
		snprintf(x->why, sizeof x->why, "writing %s.part: %s", x->o->name,
			 strerror(x->write_errno ? x->write_errno : EIO));
		return DL_FATAL;
	}
	if (e == CURLE_HTTP_RETURNED_ERROR) {
		snprintf(x->why, sizeof x->why, "HTTP %ld%s%s", x->status,
			 x->reason[0] ? " " : "", x->reason);
		if (x->status == 416 && x->have)
			return x->meta.size == x->have ? DL_COMPLETE_416 : DL_RESTART;
		return x->status == 408 || x->status == 429 || x->status >= 500
			? DL_TRANSIENT : DL_FATAL;
	}
	if (e == CURLE_OPERATION_TIMEDOUT)
		snprintf(x->why, sizeof x->why, "no data for %u s (stall timeout; curl: %s)",
			 stall, curl_easy_strerror(e));
	else
		snprintf(x->why, sizeof x->why, "curl: %s", curl_easy_strerror(e));
	return transient_curl(e) ? DL_TRANSIENT : DL_FATAL;
}

enum dl_outcome dl_http_attempt(struct dl_xfer *x)
{
	const struct rf_dl_opts *o = x->o;
	unsigned stall = o->stall_s ? o->stall_s : RF_DL_STALL_S;
	struct curl_slist *hdr = NULL;
	struct wctx wc = { x, NULL };
	char range[48], ifr[320];
	enum dl_outcome out;
	CURLcode e;
	CURL *c = curl_easy_init();

	if (!c) {
		snprintf(x->why, sizeof x->why, "curl: cannot make a handle");
		return DL_FATAL;
	}
	wc.c = c;
	x->status = 0;
	x->reason[0] = x->why[0] = 0;
	x->body_started = x->want_restart = x->write_errno = 0;
	x->attempt_start = x->have;
	curl_easy_setopt(c, CURLOPT_URL, o->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L); /* always */
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (o->cacert)
		curl_easy_setopt(c, CURLOPT_CAINFO, o->cacert);
	curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)stall);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, (long)stall);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c, CURLOPT_BUFFERSIZE, 256L * 1024);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "romflash");
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &wc);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, &wc);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	if (x->have) {
		snprintf(range, sizeof range, "%" PRIu64 "-", x->have);
		curl_easy_setopt(c, CURLOPT_RANGE, range);
		if (x->meta.etag[0] || x->meta.lastmod[0]) {
			snprintf(ifr, sizeof ifr, "If-Range: %s",
				 x->meta.etag[0] ? x->meta.etag : x->meta.lastmod);
			hdr = curl_slist_append(hdr, ifr);
			curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
		}
	}
	event(x, RF_DL_EV_START, NULL);
	e = curl_easy_perform(c);
	if (!x->status)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &x->status);
	out = classify(x, e);
	if (out == DL_DONE && x->meta.size && x->have != x->meta.size) {
		snprintf(x->why, sizeof x->why, "the connection ended at byte %" PRIu64
			 " of %" PRIu64, x->have, x->meta.size);
		out = DL_TRANSIENT;
	}
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	return out;
}
