/* protocol/adb against a scripted fake transport: the exact bytes of every
 * message, versions and checksums, AUTH with a real key, streams and their
 * flow control, banners, and every way a phone can misbehave. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "adb.h"
#include "adb_key.h"
#include "helpers/fake_transport.h"
#include "helpers/scratch.h"

static struct fake_transport *f;
static struct rf_adb a;
static char home[256];

static void setup(void)
{
	f = fake_transport_new();
	memset(&a, 0, sizeof a);
	a.timeout_ms = 50; /* a silent fake ends a wait quickly */
}

static void teardown(void)
{
	rf_adb_free(&a);
	rf_transport_close(&f->t);
	f = NULL;
	scratch_remove(home);
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* The phone says: header and payload as two transfers (as over USB). */
static void phone(uint32_t cmd, uint32_t a0, uint32_t a1, const void *data,
		  size_t len, int check)
{
	unsigned char h[RF_ADB_HEADER_LEN];
	rf_adb_header_pack(h, cmd, a0, a1, data, (uint32_t)len, check);
	fake_transport_reply_bytes(f, h, sizeof h);
	if (len)
		fake_transport_reply_bytes(f, data, len);
}

static const char BANNER[] = "sideload::ro.product.name=cancro;ro.product.model="
			     "MI 4LTE;ro.product.device=cancro;";

static void phone_cnxn(uint32_t version, uint32_t maxp)
{
	phone(RF_ADB_CNXN, version, maxp, BANNER, sizeof BANNER - 1,
	      version < RF_ADB_VERSION_SKIP_CHECKSUM);
}

/* Write call i is the header of (cmd, a0, a1, len) with checksum `check`. */
static void expect_header(size_t i, uint32_t cmd, uint32_t a0, uint32_t a1,
			  uint32_t len, uint32_t check)
{
	size_t n;
	const unsigned char *w = fake_transport_write(f, i, &n);
	char name[5];
	ck_assert_msg(w && n == RF_ADB_HEADER_LEN, "write %zu: %zu bytes, not a "
		      "header", i, w ? n : 0);
	ck_assert_msg(le32(w) == cmd, "write %zu: command %s, want %s", i,
		      rf_adb_cmd_name(le32(w), name), rf_adb_cmd_name(cmd, (char[5]){0}));
	ck_assert_uint_eq(le32(w + 4), a0);
	ck_assert_uint_eq(le32(w + 8), a1);
	ck_assert_uint_eq(le32(w + 12), len);
	ck_assert_uint_eq(le32(w + 16), check);
	ck_assert_uint_eq(le32(w + 20), cmd ^ 0xffffffffu);
}

static void expect_payload(size_t i, const void *data, size_t len)
{
	size_t n;
	const unsigned char *w = fake_transport_write(f, i, &n);
	ck_assert_msg(w && n == len && !memcmp(w, data, len),
		      "write %zu: payload differs (%zu bytes, want %zu)", i,
		      w ? n : 0, len);
}

static void connect_new(void)
{
	phone_cnxn(RF_ADB_VERSION, RF_ADB_MAX_PAYLOAD);
	ck_assert_int_eq(rf_adb_connect(&a, &f->t, NULL), RF_OK);
}

/* ---- messages --------------------------------------------------------------- */

START_TEST(header_exact_bytes)
{
	static const unsigned char want[RF_ADB_HEADER_LEN] = {
		'C', 'N', 'X', 'N', 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x10, 0x00,
		0x07, 0x00, 0x00, 0x00, 0x32, 0x02, 0x00, 0x00,
		0xbc, 0xb1, 0xa7, 0xb1,
	};
	unsigned char h[RF_ADB_HEADER_LEN];
	struct rf_adb_header d;
	char err[RF_ERRLEN];

	rf_adb_header_pack(h, RF_ADB_CNXN, 0x01000001, 0x100000, "host::", 7, 1);
	ck_assert_msg(!memcmp(h, want, sizeof h), "CNXN header bytes differ");
	ck_assert_uint_eq(rf_adb_checksum("host::", 7), 0x232);
	ck_assert_int_eq(rf_adb_header_unpack(h, &d, err), RF_OK);
	ck_assert_uint_eq(d.cmd, RF_ADB_CNXN);
	ck_assert_uint_eq(d.len, 7);
	h[20] ^= 1;
	ck_assert_int_eq(rf_adb_header_unpack(h, &d, err), RF_EPROTO);
	ck_assert_ptr_nonnull(strstr(err, "magic"));
}
END_TEST

START_TEST(connect_wire_new_peer)
{
	connect_new();
	/* our CNXN: version 0x01000001, 1 MiB, "host::\0", checksummed
	 * (the peer's version is not known yet) */
	expect_header(0, RF_ADB_CNXN, RF_ADB_VERSION, RF_ADB_MAX_PAYLOAD, 7, 0x232);
	expect_payload(1, "host::", 7);
	ck_assert_uint_eq(a.version, RF_ADB_VERSION);
	ck_assert_uint_eq(a.max_payload, RF_ADB_MAX_PAYLOAD);
	ck_assert_int_eq(a.banner.mode, RF_ADB_MODE_SIDELOAD);
	ck_assert_str_eq(a.banner.device, "cancro");
	ck_assert_str_eq(a.banner.model, "MI 4LTE");
	/* a new peer: no checksums from now on */
	struct rf_adb_stream s;
	phone(RF_ADB_OKAY, 77, 1, NULL, 0, 0);
	ck_assert_int_eq(rf_adb_open(&a, "reboot:", &s), RF_OK);
	expect_header(2, RF_ADB_OPEN, 1, 0, 8, 0);
	expect_payload(3, "reboot:", 8);
	ck_assert_uint_eq(s.remote, 77);
	rf_adb_close(&s);
	expect_header(4, RF_ADB_CLSE, 1, 77, 0, 0);
}
END_TEST

START_TEST(old_peer_checksums_and_payload)
{
	unsigned char data[10000];
	struct rf_adb_stream s;

	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (unsigned char)(i * 7 + 3);
	phone_cnxn(RF_ADB_VERSION_MIN, RF_ADB_MAX_PAYLOAD_V1);
	ck_assert_int_eq(rf_adb_connect(&a, &f->t, NULL), RF_OK);
	ck_assert_uint_eq(a.version, RF_ADB_VERSION_MIN);
	ck_assert_uint_eq(a.max_payload, RF_ADB_MAX_PAYLOAD_V1);
	phone(RF_ADB_OKAY, 9, 1, NULL, 0, 1);
	ck_assert_int_eq(rf_adb_open(&a, "sideload:10000", &s), RF_OK);
	expect_header(2, RF_ADB_OPEN, 1, 0, 15, rf_adb_checksum("sideload:10000", 15));
	/* 10000 bytes: 4096 + 4096 + 1808, each acknowledged before the next */
	for (int i = 0; i < 3; i++)
		phone(RF_ADB_OKAY, 9, 1, NULL, 0, 1);
	ck_assert_int_eq(rf_adb_write(&s, data, sizeof data), RF_OK);
	size_t at = 4, off = 0, sizes[] = { 4096, 4096, 1808 };
	for (int i = 0; i < 3; i++) {
		expect_header(at, RF_ADB_WRTE, 1, 9, (uint32_t)sizes[i],
			      rf_adb_checksum(data + off, sizes[i]));
		expect_payload(at + 1, data + off, sizes[i]);
		at += 2;
		off += sizes[i];
	}
	ck_assert_uint_eq(f->nwrites, at);
	ck_assert_uint_eq(fake_transport_pending(f), 0);
	/* an old peer's wrong checksum is a broken link */
	unsigned char h[RF_ADB_HEADER_LEN];
	rf_adb_header_pack(h, RF_ADB_WRTE, 9, 1, "00000001", 8, 1);
	h[16] ^= 0x40;
	fake_transport_reply_bytes(f, h, sizeof h);
	fake_transport_reply_bytes(f, "00000001", 8);
	char buf[8];
	size_t got;
	ck_assert_int_eq(rf_adb_read(&s, buf, sizeof buf, &got, 0), RF_EPROTO);
	ck_assert_ptr_nonnull(strstr(a.err, "checksum"));
	ck_assert(a.broken);
	rf_adb_close(&s);
}
END_TEST

START_TEST(flow_control)
{
	struct rf_adb_stream s;
	char buf[16];
	size_t got, nw;

	connect_new();
	phone(RF_ADB_OKAY, 5, 1, NULL, 0, 0);
	ck_assert_int_eq(rf_adb_open(&a, "sideload-host:1:65536", &s), RF_OK);
	nw = f->nwrites;
	/* the phone writes its request before acknowledging our data */
	phone(RF_ADB_WRTE, 5, 1, "00000000", 8, 0);
	phone(RF_ADB_OKAY, 5, 1, NULL, 0, 0);
	ck_assert_int_eq(rf_adb_write(&s, "x", 1), RF_OK);
	/* only our WRTE went out: the request is not acknowledged yet */
	ck_assert_uint_eq(f->nwrites, nw + 2);
	expect_header(nw, RF_ADB_WRTE, 1, 5, 1, 0);
	/* consumed in two reads: OKAY after the last byte only */
	ck_assert_int_eq(rf_adb_read(&s, buf, 3, &got, 0), RF_OK);
	ck_assert_uint_eq(got, 3);
	ck_assert_uint_eq(f->nwrites, nw + 2);
	ck_assert_int_eq(rf_adb_read(&s, buf + 3, sizeof buf - 3, &got, 0), RF_OK);
	ck_assert_uint_eq(got, 5);
	ck_assert(!memcmp(buf, "00000000", 8));
	expect_header(nw + 2, RF_ADB_OKAY, 1, 5, 0, 0);
	/* a second WRTE before the first was acknowledged is a violation */
	phone(RF_ADB_WRTE, 5, 1, "a", 1, 0);
	phone(RF_ADB_WRTE, 5, 1, "b", 1, 0);
	phone(RF_ADB_OKAY, 5, 1, NULL, 0, 0);
	ck_assert_int_eq(rf_adb_write(&s, "y", 1), RF_EPROTO);
	rf_adb_close(&s);
}
END_TEST

/* A byte stream (TCP): messages arrive cut anywhere and several per read;
 * each message of ours is one write, the OKAY we owe riding on it. */
START_TEST(stream_mode)
{
	unsigned char all[512];
	size_t n = 0, len;
	struct rf_adb_stream s;
	char buf[8];
	size_t got;

	a.stream = 1;
	/* the phone's CNXN, OKAY to our OPEN and its first request: cut in
	 * the middle of a header and glued together */
	rf_adb_header_pack(all, RF_ADB_CNXN, RF_ADB_VERSION, RF_ADB_MAX_PAYLOAD,
			   BANNER, sizeof BANNER - 1, 0);
	memcpy(all + 24, BANNER, sizeof BANNER - 1);
	n = 24 + sizeof BANNER - 1;
	rf_adb_header_pack(all + n, RF_ADB_OKAY, 6, 1, NULL, 0, 0);
	n += 24;
	rf_adb_header_pack(all + n, RF_ADB_WRTE, 6, 1, "00000003", 8, 0);
	memcpy(all + n + 24, "00000003", 8);
	n += 32;
	fake_transport_reply_bytes(f, all, 10);
	fake_transport_reply_bytes(f, all + 10, n - 10);
	ck_assert_int_eq(rf_adb_connect(&a, &f->t, NULL), RF_OK);
	ck_assert_str_eq(a.banner.device, "cancro");
	/* CNXN: header and payload in one write */
	const unsigned char *w = fake_transport_write(f, 0, &len);
	ck_assert(len == 31 && !memcmp(w + 24, "host::", 7));
	ck_assert_int_eq(rf_adb_open(&a, "sideload-host:1:65536", &s), RF_OK);
	ck_assert_int_eq(rf_adb_read_full(&s, buf, 8, &got, 0), RF_OK);
	ck_assert(!memcmp(buf, "00000003", 8));
	ck_assert_uint_eq(f->nwrites, 2); /* the OKAY is owed, not sent */
	phone(RF_ADB_OKAY, 6, 1, NULL, 0, 0);
	ck_assert_int_eq(rf_adb_write(&s, "data", 4), RF_OK);
	/* one write: OKAY for the request, then the WRTE and its payload */
	w = fake_transport_write(f, 2, &len);
	ck_assert_uint_eq(len, 24 + 24 + 4);
	ck_assert_uint_eq(le32(w), RF_ADB_OKAY);
	ck_assert_uint_eq(le32(w + 4), 1);
	ck_assert_uint_eq(le32(w + 8), 6);
	ck_assert_uint_eq(le32(w + 24), RF_ADB_WRTE);
	ck_assert(!memcmp(w + 48, "data", 4));
	/* an owed OKAY goes out alone before we wait for the phone */
	phone(RF_ADB_WRTE, 6, 1, "00000004", 8, 0);
	ck_assert_int_eq(rf_adb_read_full(&s, buf, 8, &got, 0), RF_OK);
	ck_assert_int_eq(rf_adb_read(&s, buf, 8, &got, 20), RF_ETIMEDOUT);
	expect_header(3, RF_ADB_OKAY, 1, 6, 0, 0);
	rf_adb_close(&s);
}
END_TEST

START_TEST(open_refused_and_closed)
{
	struct rf_adb_stream s;
	char buf[8];
	size_t got;

	connect_new();
	phone(RF_ADB_CLSE, 0, 1, NULL, 0, 0);
	ck_assert_int_eq(rf_adb_open(&a, "sideload-host:5:65536", &s), RF_EFAIL);
	ck_assert_ptr_nonnull(strstr(a.err, "refused"));
	rf_adb_close(&s);
	/* the phone closes while we wait for data: EOF */
	phone(RF_ADB_OKAY, 3, 2, NULL, 0, 0);
	ck_assert_int_eq(rf_adb_open(&a, "reboot:recovery", &s), RF_OK);
	phone(RF_ADB_CLSE, 3, 2, NULL, 0, 0);
	ck_assert_int_eq(rf_adb_read(&s, buf, sizeof buf, &got, 0), RF_OK);
	ck_assert_uint_eq(got, 0);
	ck_assert(s.closed);
	/* writing to it now: the stream is gone */
	ck_assert_int_eq(rf_adb_write(&s, "x", 1), RF_EDISCONNECTED);
	rf_adb_close(&s);
}
END_TEST

/* Each scripts a phone that breaks the rules while we connect. */
static void oversize_payload(void)
{
	unsigned char h[RF_ADB_HEADER_LEN];
	rf_adb_header_pack(h, RF_ADB_CNXN, RF_ADB_VERSION, 4096, NULL,
			   RF_ADB_MAX_PAYLOAD + 1, 0);
	fake_transport_reply_bytes(f, h, sizeof h);
}
static void okay_first(void) { phone(RF_ADB_OKAY, 1, 1, NULL, 0, 0); }
static void silence(void) { }
static void ancient_version(void) { phone(RF_ADB_CNXN, 0x00000001, 4096, BANNER, 4, 1); }
static void cut_in_payload(void)
{
	unsigned char h[RF_ADB_HEADER_LEN];
	rf_adb_header_pack(h, RF_ADB_CNXN, RF_ADB_VERSION, 4096, BANNER, 30, 0);
	fake_transport_reply_bytes(f, h, sizeof h);
	fake_transport_reply_bytes(f, BANNER, 10);
	fake_transport_reply_error(f, RF_EDISCONNECTED);
}

START_TEST(misbehaving_phones)
{
	static const struct { void (*script)(void); int rc, broken; } c[] = {
		{ oversize_payload, RF_EPROTO, 1 },   /* more than we offered */
		{ okay_first, RF_EPROTO, 1 },         /* not CNXN/AUTH first */
		{ silence, RF_ETIMEDOUT, 0 },
		{ ancient_version, RF_EPROTO, 0 },
		{ cut_in_payload, RF_EDISCONNECTED, 1 }, /* out of step */
	};
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		if (i) {
			teardown();
			setup();
		}
		c[i].script();
		ck_assert_int_eq(rf_adb_connect(&a, &f->t, NULL), c[i].rc);
		ck_assert_int_eq(a.broken, c[i].broken);
	}
}
END_TEST

START_TEST(stop_request)
{
	volatile sig_atomic_t stop = 1;
	a.stop = &stop;
	phone_cnxn(RF_ADB_VERSION, RF_ADB_MAX_PAYLOAD);
	ck_assert_int_eq(rf_adb_connect(&a, &f->t, NULL), RF_EINTR);
}
END_TEST

/* ---- banners ---------------------------------------------------------------- */

START_TEST(banners)
{
	struct rf_adb_banner b;
	static const char dev[] = "device::ro.product.name=cancro;ro.product.model=MI 4LTE;"
				  "ro.product.device=cancro;features=shell_v2,cmd";
	rf_adb_banner_parse(dev, sizeof dev - 1, &b);
	ck_assert_int_eq(b.mode, RF_ADB_MODE_DEVICE);
	ck_assert_str_eq(b.features, "shell_v2,cmd");
	ck_assert_str_eq(b.name, "cancro");

	static const char rec[] = "recovery::ro.product.device=cancro;\0";
	rf_adb_banner_parse(rec, sizeof rec, &b); /* NUL-terminated, old style */
	ck_assert_int_eq(b.mode, RF_ADB_MODE_RECOVERY);
	ck_assert_str_eq(b.device, "cancro");

	static const char old[] = "device:0123abcd:ro.product.device=virgo;";
	rf_adb_banner_parse(old, sizeof old - 1, &b);
	ck_assert_int_eq(b.mode, RF_ADB_MODE_DEVICE);
	ck_assert_str_eq(b.device, "virgo");

	rf_adb_banner_parse("sideload::", 10, &b);
	ck_assert_int_eq(b.mode, RF_ADB_MODE_SIDELOAD);
	ck_assert_str_eq(b.device, "");

	rf_adb_banner_parse("bootloader", 10, &b);
	ck_assert_int_eq(b.mode, RF_ADB_MODE_BOOTLOADER);
	rf_adb_banner_parse("host::x", 7, &b);
	ck_assert_int_eq(b.mode, RF_ADB_MODE_UNKNOWN);
	ck_assert_str_eq(b.mode_name, "host");

	/* control bytes never reach a terminal */
	static const char evil[] = "sideload::ro.product.device=can\033[2Jcro;";
	rf_adb_banner_parse(evil, sizeof evil - 1, &b);
	ck_assert_ptr_null(strchr(b.device, '\033'));
}
END_TEST

/* ---- AUTH ------------------------------------------------------------------- */

static struct rf_adb_key key;
static int prompted;

static const char *public_key(void *user)
{
	return ((struct rf_adb_key *)user)->public_line;
}

static void on_prompt(void *user)
{
	(void)user;
	prompted++;
}

static void load_key(void)
{
	char err[RF_ERRLEN];
	scratch_make(home, sizeof home, "check_adb");
	setenv("ANDROID_USER_HOME", home, 1);
	ck_assert_msg(rf_adb_key_load(&key, err) == RF_OK, "%s", err);
	ck_assert(key.created);
	prompted = 0;
}

static const unsigned char TOKEN[RF_ADB_TOKEN_LEN] = "0123456789abcdefghij";

START_TEST(auth_sign_then_offer_key)
{
	struct rf_adb_auth auth = { .sign = rf_adb_key_sign, .user = &key,
				    .public_key = public_key,
				    .on_prompt = on_prompt, .prompt_timeout_ms = 200 };
	size_t n;
	const unsigned char *sig;

	load_key();
	phone(RF_ADB_AUTH, RF_ADB_AUTH_TOKEN, 0, TOKEN, sizeof TOKEN, 0);
	phone(RF_ADB_AUTH, RF_ADB_AUTH_TOKEN, 0, TOKEN, sizeof TOKEN, 0);
	phone_cnxn(RF_ADB_VERSION, RF_ADB_MAX_PAYLOAD);
	ck_assert_int_eq(rf_adb_connect(&a, &f->t, &auth), RF_OK);
	ck_assert_int_eq(prompted, 1);
	ck_assert(a.auth_offered_key);

	/* 1: the signature, RSA PKCS#1 v1.5 over the token as a SHA-1 digest */
	sig = fake_transport_write(f, 3, &n);
	expect_header(2, RF_ADB_AUTH, RF_ADB_AUTH_SIGNATURE, 0, 256,
		      rf_adb_checksum(sig, n));
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(key.pkey, NULL);
	ck_assert(c && EVP_PKEY_verify_init(c) > 0 &&
		  EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) > 0 &&
		  EVP_PKEY_CTX_set_signature_md(c, EVP_sha1()) > 0);
	ck_assert_int_eq(EVP_PKEY_verify(c, sig, n, TOKEN, sizeof TOKEN), 1);
	EVP_PKEY_CTX_free(c);
	/* 2: refused: the public key, NUL-terminated */
	size_t klen = strlen(key.public_line) + 1;
	expect_header(4, RF_ADB_AUTH, RF_ADB_AUTH_RSAPUBLICKEY, 0, (uint32_t)klen,
		      rf_adb_checksum(key.public_line, klen));
	expect_payload(5, key.public_line, klen);
	rf_adb_key_free(&key);
}
END_TEST

START_TEST(auth_refused_and_unanswered)
{
	struct rf_adb_auth auth = { .sign = rf_adb_key_sign, .user = &key,
				    .public_key = public_key,
				    .on_prompt = on_prompt, .prompt_timeout_ms = 100 };
	load_key();
	/* the prompt is never answered */
	phone(RF_ADB_AUTH, RF_ADB_AUTH_TOKEN, 0, TOKEN, sizeof TOKEN, 0);
	phone(RF_ADB_AUTH, RF_ADB_AUTH_TOKEN, 0, TOKEN, sizeof TOKEN, 0);
	ck_assert_int_eq(rf_adb_connect(&a, &f->t, &auth), RF_EACCESS);
	ck_assert_ptr_nonnull(strstr(a.err, "did not accept"));
	rf_adb_free(&a);
	rf_transport_close(&f->t);
	f = fake_transport_new();
	/* the user said no: a new token after the key */
	for (int i = 0; i < 3; i++)
		phone(RF_ADB_AUTH, RF_ADB_AUTH_TOKEN, 0, TOKEN, sizeof TOKEN, 0);
	ck_assert_int_eq(rf_adb_connect(&a, &f->t, &auth), RF_EACCESS);
	ck_assert_ptr_nonnull(strstr(a.err, "refused"));
	rf_adb_free(&a);
	rf_transport_close(&f->t);
	f = fake_transport_new();
	/* no key at all */
	phone(RF_ADB_AUTH, RF_ADB_AUTH_TOKEN, 0, TOKEN, sizeof TOKEN, 0);
	ck_assert_int_eq(rf_adb_connect(&a, &f->t, NULL), RF_EACCESS);
	rf_adb_key_free(&key);
}
END_TEST

START_TEST(key_files)
{
	char err[RF_ERRLEN], pub[4200], *line = NULL;
	size_t cap = 0;
	struct rf_adb_key again;

	load_key();
	/* adbkey.pub: base64 of the 524-byte structure, " user@host" */
	snprintf(pub, sizeof pub, "%s.pub", key.path);
	FILE *fp = fopen(pub, "r");
	ck_assert_ptr_nonnull(fp);
	ck_assert(getline(&line, &cap, fp) > 0);
	fclose(fp);
	ck_assert_str_eq(line, key.public_line);
	ck_assert_uint_eq(strcspn(line, " "), 700);
	ck_assert(!strncmp(line, "QAAAA", 5)); /* 64 words, little-endian */
	free(line);
	struct stat st;
	ck_assert_int_eq(stat(key.path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	/* loaded again, not made again, same key */
	ck_assert_int_eq(rf_adb_key_load(&again, err), RF_OK);
	ck_assert(!again.created);
	ck_assert_str_eq(again.public_line, key.public_line);
	char f1[48], f2[48];
	ck_assert_int_eq(rf_adb_key_fingerprint(&key, f1, err), RF_OK);
	ck_assert_int_eq(rf_adb_key_fingerprint(&again, f2, err), RF_OK);
	ck_assert_str_eq(f1, f2);
	ck_assert_uint_eq(strlen(f1), 47);
	rf_adb_key_free(&again);
	rf_adb_key_free(&key);
	/* not a key */
	fp = fopen(key.path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", fp);
	fclose(fp);
	ck_assert_int_eq(rf_adb_key_load(&again, err), RF_EFORMAT);
	ck_assert_ptr_nonnull(strstr(err, key.path));
}
END_TEST

static Suite *adb_suite(void)
{
	Suite *s = suite_create("adb");
	TCase *tc = tcase_create("adb");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, header_exact_bytes);
	tcase_add_test(tc, connect_wire_new_peer);
	tcase_add_test(tc, old_peer_checksums_and_payload);
	tcase_add_test(tc, flow_control);
	tcase_add_test(tc, stream_mode);
	tcase_add_test(tc, open_refused_and_closed);
	tcase_add_test(tc, misbehaving_phones);
	tcase_add_test(tc, stop_request);
	tcase_add_test(tc, banners);
	tcase_add_test(tc, auth_sign_then_offer_key);
	tcase_add_test(tc, auth_refused_and_unanswered);
	tcase_add_test(tc, key_files);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(adb_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
