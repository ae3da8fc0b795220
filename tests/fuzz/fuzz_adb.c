/* libFuzzer harness: adb messages from the phone (protocol/adb.c).
 *
 * Input: one configuration byte, then the bytes the phone sends.
 *   bit 0    the link: 0 USB (a transfer per header and per payload),
 *            1 a byte stream (TCP) cut into reads by the next byte
 *   bit 1    the host has an adb key (AUTH is answered, the key offered)
 *   bits 2-3 after connecting: read the stream to its end, write to it,
 *            read exactly 8 bytes, or open a second stream
 * The host connects (CNXN, AUTH), opens "shell:" and does what bits 2-3
 * say.  Whatever the phone sends: no crash, the banner's fields are
 * terminated text, reads return no more than asked, and every message the
 * host sent is well formed (adb_feed.c). */
#include <stdlib.h>
#include <string.h>

#include "adb.h"
#include "adb_feed.h"
#include "harness.h"

static int sign(void *user, const unsigned char *token, size_t len,
		unsigned char *sig, size_t cap, size_t *siglen, char *err)
{
	(void)user; (void)err;
	if (len != RF_ADB_TOKEN_LEN || cap < 256)
		abort();
	memset(sig, 0x5a, 256);
	memcpy(sig, token, len);
	*siglen = 256;
	return RF_OK;
}

static const char *public_key(void *user)
{
	(void)user;
	return "QUFBQQ== fuzz@host";
}

static void check_banner(const struct rf_adb_banner *b)
{
	const char *f[] = { b->mode_name, b->name, b->model, b->device, b->features };
	const size_t cap[] = { sizeof b->mode_name, sizeof b->name, sizeof b->model,
			       sizeof b->device, sizeof b->features };
	for (size_t i = 0; i < 5; i++) {
		fz_check_str(f[i], cap[i]);
		for (const char *p = f[i]; *p; p++)
			if ((unsigned char)*p < 0x20)
				abort();
	}
}

static void use_stream(struct rf_adb *a, int what)
{
	static const unsigned char out[3000] = { 'x' };
	unsigned char buf[700];
	struct rf_adb_stream s, s2;
	size_t got;
	int rc;

	if (rf_adb_open(a, "shell:", &s))
		return;
	switch (what) {
	case 0:
		for (int i = 0; i < 64; i++) {
			rc = rf_adb_read(&s, buf, 1 + (size_t)i * 37 % sizeof buf, &got, 0);
			if (got > 1 + (size_t)i * 37 % sizeof buf)
				abort();
			if (rc || !got)
				break;
		}
		break;
	case 1:
		rf_adb_write(&s, out, sizeof out);
		break;
	case 2:
		rc = rf_adb_read_full(&s, buf, 8, &got, 0);
		if (got > 8 || (!rc && got != 8))
			abort();
		break;
	default:
		if (!rf_adb_open(a, "sideload-host:1:65536", &s2)) {
			rf_adb_read(&s2, buf, sizeof buf, &got, 0);
			rf_adb_close(&s2);
		}
		rf_adb_read(&s, buf, sizeof buf, &got, 0);
		break;
	}
	rf_adb_close(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct fz_in in = { data, len, 0 };
	uint8_t cfg = fz_u8(&in);
	int stream = cfg & 1;
	uint8_t cut = stream ? fz_u8(&in) : 0;
	const uint8_t *phone;
	size_t n = fz_rest(&in, &phone);
	struct fake_transport *f = fz_adb_phone(phone, n, stream, cut);
	struct rf_adb_auth auth = { sign, NULL, public_key, NULL, 0 };
	struct rf_adb a;

	memset(&a, 0, sizeof a);
	a.stream = stream;
	/* the fake transport never blocks: the default timeouts cost nothing */
	if (!rf_adb_connect(&a, &f->t, cfg & 2 ? &auth : NULL)) {
		if (!a.connected || a.max_payload < 256 ||
		    a.max_payload > RF_ADB_MAX_PAYLOAD)
			abort();
		check_banner(&a.banner);
		use_stream(&a, (cfg >> 2) & 3);
	}
	fz_adb_check_host(f, stream, a.connected && a.version <
			  RF_ADB_VERSION_SKIP_CHECKSUM, a.connected ? a.max_payload :
			  RF_ADB_MAX_PAYLOAD, NULL, NULL);
	rf_adb_free(&a);
	rf_transport_close(&f->t);
	return 0;
}
