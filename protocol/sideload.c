/* adb sideload block server.  See sideload.h. */
#include "sideload.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REQ_LEN 8
#define DEFAULT_IDLE_MS (15 * 60 * 1000)
#define PROGRESS_EVERY_MS 100
/* The legacy service takes an int size. */
#define LEGACY_MAX_SIZE 0x7fffffffull

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void report(struct rf_sideload *s, long long *last, int final)
{
	long long t = now_ms();
	if (!s->progress || (!final && t - *last < PROGRESS_EVERY_MS))
		return;
	*last = t;
	s->progress(s->progress_user, &s->st);
}

static int stopped(const struct rf_sideload *s)
{
	return s->stop && *s->stop;
}

/* "00001234" -> 1234; -1 when it is not 8 digits. */
static long long parse_block(const char req[REQ_LEN])
{
	long long v = 0;
	for (int i = 0; i < REQ_LEN; i++) {
		if (req[i] < '0' || req[i] > '9')
			return -1;
		v = v * 10 + (req[i] - '0');
	}
	return v;
}

static void printable(const char *in, size_t n, char *out, size_t cap)
{
	size_t k = 0;
	for (size_t i = 0; i < n && k + 5 < cap; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c >= 0x20 && c < 0x7f && c != '\\')
			out[k++] = (char)c;
		else
			k += (size_t)snprintf(out + k, cap - k, "\\x%02x", c);
	}
	out[k] = 0;
}

/* Answer one request: block `blk` from the source. */
static int serve_block(struct rf_sideload *s, struct rf_adb_stream *st,
		       uint64_t blk, unsigned char *buf, unsigned char *seen)
{
	uint64_t off = blk * RF_SIDELOAD_BLOCK;
	size_t len = s->src->size - off < RF_SIDELOAD_BLOCK ?
		(size_t)(s->src->size - off) : RF_SIDELOAD_BLOCK;
	int rc = s->src->read(s->src->user, off, buf, len, s->err);

	if (rc)
		return rc;
	rc = rf_adb_write(st, buf, len);
	if (rc)
		return rf_errf(s->err, rc, "%s", s->adb->err);
	s->st.blocks++;
	s->st.served += len;
	if (!(seen[blk / 8] & (1u << (blk % 8)))) {
		seen[blk / 8] |= (unsigned char)(1u << (blk % 8));
		s->st.unique += len;
	}
	return RF_OK;
}

/* Read the phone's next 8 bytes, waiting as long as the idle limit says. */
static int next_request(struct rf_sideload *s, struct rf_adb_stream *st,
			char req[REQ_LEN])
{
	size_t got = 0;
	int idle = s->idle_timeout_ms ? s->idle_timeout_ms : DEFAULT_IDLE_MS;
	int rc = rf_adb_read_full(st, req, REQ_LEN, &got, idle);

	if (rc == RF_EDISCONNECTED && got == 0 && st->closed)
		return rf_errf(s->err, rc, "the phone closed the sideload "
			       "stream without saying whether it installed "
			       "the package (read its screen)");
	if (rc == RF_ETIMEDOUT && !s->adb->broken)
		return rf_errf(s->err, rc, "the phone asked for nothing for "
			       "%d s", idle / 1000);
	if (rc)
		return rf_errf(s->err, rc, "%s", s->adb->err);
	return RF_OK;
}

static int run_host(struct rf_sideload *s, struct rf_adb_stream *st)
{
	uint64_t nblocks = s->st.nblocks;
	unsigned char *buf = malloc(RF_SIDELOAD_BLOCK);
	unsigned char *seen = calloc((size_t)(nblocks / 8 + 1), 1);
	long long last = 0;
	char req[REQ_LEN], shown[64];
	int rc = RF_OK;

	if (!buf || !seen) {
		rc = rf_errf(s->err, RF_ENOMEM, "out of memory");
		goto out;
	}
	for (;;) {
		if (stopped(s)) {
			rc = rf_errf(s->err, RF_EINTR, "interrupted");
			break;
		}
		rc = next_request(s, st, req);
		if (rc)
			break;
		if (!memcmp(req, "DONEDONE", REQ_LEN))
			break;
		if (!memcmp(req, "FAILFAIL", REQ_LEN)) {
			rc = rf_errf(s->err, RF_EFAIL, "the phone refused the "
				     "package (FAILFAIL): its screen says why");
			break;
		}
		long long blk = parse_block(req);
		if (blk < 0 || (uint64_t)blk >= nblocks) {
			printable(req, REQ_LEN, shown, sizeof shown);
			rc = rf_errf(s->err, RF_EPROTO, blk < 0 ?
				     "the phone sent \"%s\" instead of a block "
				     "number" : "the phone asked for block %s, "
				     "past the end of the package", shown);
			break;
		}
		rc = serve_block(s, st, (uint64_t)blk, buf, seen);
		if (rc)
			break;
		report(s, &last, 0);
	}
	report(s, &last, 1);
out:
	free(buf);
	free(seen);
	return rc;
}

/* Stream the whole package once, then read the phone's verdict. */
static int run_legacy(struct rf_sideload *s, struct rf_adb_stream *st)
{
	size_t chunk = s->adb->max_payload;
	unsigned char *buf = malloc(chunk);
	long long last = 0;
	char verdict[4];
	int rc = RF_OK;

	if (!buf)
		return rf_errf(s->err, RF_ENOMEM, "out of memory");
	for (uint64_t off = 0; off < s->src->size && !rc;) {
		size_t n = s->src->size - off < chunk ?
			(size_t)(s->src->size - off) : chunk;
		if (stopped(s)) {
			rc = rf_errf(s->err, RF_EINTR, "interrupted");
			break;
		}
		rc = s->src->read(s->src->user, off, buf, n, s->err);
		if (rc)
			break;
		rc = rf_adb_write(st, buf, n);
		if (rc) {
			rc = rf_errf(s->err, rc, "%s", s->adb->err);
			break;
		}
		off += n;
		s->st.served = s->st.unique = off;
		s->st.blocks = (off + RF_SIDELOAD_BLOCK - 1) / RF_SIDELOAD_BLOCK;
		report(s, &last, 0);
	}
	free(buf);
	report(s, &last, 1);
	if (rc)
		return rc;
	size_t got = 0;
	rc = rf_adb_read_full(st, verdict, sizeof verdict, &got,
			      s->idle_timeout_ms ? s->idle_timeout_ms
						 : DEFAULT_IDLE_MS);
	if (!rc && !memcmp(verdict, "OKAY", 4))
		return RF_OK;
	if (!rc && !memcmp(verdict, "FAIL", 4))
		return rf_errf(s->err, RF_EFAIL, "the phone refused the "
			       "package (FAIL): its screen says why");
	if (!rc)
		return rf_errf(s->err, RF_EPROTO, "the phone answered the "
			       "package with neither OKAY nor FAIL");
	return rf_errf(s->err, rc, "after the whole package was sent: %s",
		       s->adb->err);
}

int rf_sideload_run(struct rf_sideload *s)
{
	struct rf_adb_stream st;
	char service[64];
	uint64_t size = s->src->size;
	int rc;

	memset(&s->st, 0, sizeof s->st);
	s->st.size = size;
	s->st.nblocks = (size + RF_SIDELOAD_BLOCK - 1) / RF_SIDELOAD_BLOCK;
	if (size == 0)
		return rf_errf(s->err, RF_EINVAL, "empty package");
	if (!s->adb->stop)
		s->adb->stop = s->stop; /* the long waits are the link's */
	snprintf(service, sizeof service, "sideload-host:%" PRIu64 ":%u", size,
		 RF_SIDELOAD_BLOCK);
	rc = rf_adb_open(s->adb, service, &st);
	if (rc == RF_EFAIL) {
		/* a recovery older than KitKat: stream it once */
		if (size > LEGACY_MAX_SIZE)
			return rf_errf(s->err, RF_EFAIL, "the phone refused "
				       "sideload-host, and the package is too "
				       "large for the older sideload service");
		snprintf(service, sizeof service, "sideload:%" PRIu64, size);
		rc = rf_adb_open(s->adb, service, &st);
		if (rc == RF_EFAIL)
			return rf_errf(s->err, rc, "the phone refused both "
				       "sideload services: is it in sideload "
				       "mode (recovery: Apply update from ADB)?");
		s->st.legacy = 1;
	}
	if (rc)
		return rf_errf(s->err, rc, "%s", s->adb->err);
	rc = s->st.legacy ? run_legacy(s, &st) : run_host(s, &st);
	rf_adb_close(&st);
	return rc;
}
