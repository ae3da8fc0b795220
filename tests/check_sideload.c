/* protocol/sideload, the block server: against the emulated recovery (in
 * memory, every request order, old and new adb, AUTH, legacy, FAILFAIL, a
 * cut link, a source that fails) and against a scripted fake for the
 * exact bytes and the requests a phone must not make. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adb.h"
#include "adb_key.h"
#include "emu_adb.h"
#include "helpers/adb_loop.h"
#include "helpers/fake_transport.h"
#include "helpers/scratch.h"
#include "sideload.h"

static char dir[256];

static void setup(void)
{
	scratch_make(dir, sizeof dir, "check_sideload");
}

static void teardown(void)
{
	scratch_remove(dir);
}

/* ---- sideload against the emulated recovery (in memory) --------------------- */

struct mem_src {
	unsigned char *data;
	int fail_at_block; /* < 0 never */
};

static int mem_read(void *user, uint64_t off, void *buf, size_t len, char *err)
{
	struct mem_src *m = user;
	if (m->fail_at_block >= 0 && off / RF_SIDELOAD_BLOCK == (uint64_t)m->fail_at_block)
		return rf_errf(err, RF_ESYS, "disk error (as told)");
	memcpy(buf, m->data + off, len);
	return RF_OK;
}

static void fill(unsigned char *p, size_t n, unsigned seed)
{
	uint32_t x = seed * 2654435761u + 1;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (unsigned char)x;
	}
}

static void expect_reassembled(const unsigned char *data, size_t size)
{
	char p[512];
	snprintf(p, sizeof p, "%s/phone/sideload.zip", dir);
	FILE *f = fopen(p, "rb");
	ck_assert_ptr_nonnull(f);
	unsigned char *got = malloc(size + 1);
	ck_assert_uint_eq(fread(got, 1, size + 1, f), size);
	fclose(f);
	for (size_t i = 0; i < size; i++)
		if (got[i] != data[i])
			ck_abort_msg("the phone's copy differs at byte %zu", i);
	free(got);
}

struct run {
	struct emu_adb_opts o;
	size_t size;
	int rc;
	struct rf_sideload_stats st;
	char err[RF_ERRLEN];
	int fail_at_block;
	const struct rf_adb_auth *auth;
};

/* A phone in sideload mode, `size` bytes to send, a source that works. */
static struct run new_run(size_t size)
{
	struct run r;
	memset(&r, 0, sizeof r);
	r.size = size;
	r.fail_at_block = -1;
	r.o.mode = EMU_ADB_SIDELOAD;
	return r;
}

/* Connect to a fresh emulated phone and sideload `r->size` bytes. */
static void sideload_once(struct run *r, unsigned char *data)
{
	char state[300], e[256];
	snprintf(state, sizeof state, "%s/phone", dir);
	r->o.state_dir = state;
	struct emu_adb *phone = emu_adb_new(&r->o, e);
	ck_assert_msg(phone != NULL, "%s", e);
	struct rf_transport *t = adb_loop_new(phone);
	struct rf_adb a;
	memset(&a, 0, sizeof a);
	a.timeout_ms = 200;
	ck_assert_msg(rf_adb_connect(&a, t, r->auth) == RF_OK, "%s", a.err);
	ck_assert_int_eq(a.banner.mode, RF_ADB_MODE_SIDELOAD);
	ck_assert_uint_eq(a.max_payload, r->o.old_version ? 4096 : 1024 * 1024);
	struct mem_src m = { .data = data, .fail_at_block = r->fail_at_block };
	struct rf_sideload_src src = { .read = mem_read, .user = &m, .size = r->size };
	struct rf_sideload s = { .adb = &a, .src = &src };
	r->rc = rf_sideload_run(&s);
	r->st = s.st;
	snprintf(r->err, sizeof r->err, "%s", s.err);
	rf_adb_free(&a);
	rf_transport_close(t);
	emu_adb_free(phone);
}

START_TEST(sideload_every_order_and_version)
{
	size_t size = 9 * RF_SIDELOAD_BLOCK + 1234; /* a short last block */
	unsigned char *data = malloc(size);
	fill(data, size, 1);
	for (int order = EMU_ORDER_SEQ; order <= EMU_ORDER_RANDOM; order++)
		for (int old = 0; old <= 1; old++)
			for (int passes = 1; passes <= 2; passes++) {
				struct run r = new_run(size);
				r.o.order = (enum emu_adb_order)order;
				r.o.old_version = old;
				r.o.passes = passes;
				r.o.seed = 7 + (unsigned)order;
				sideload_once(&r, data);
				ck_assert_msg(r.rc == RF_OK, "order %d old %d: %s", order,
					      old, r.err);
				expect_reassembled(data, size);
				ck_assert_uint_eq(r.st.unique, size);
				ck_assert_uint_eq(r.st.nblocks, 10);
				ck_assert(!r.st.legacy);
				/* repeats are served, and counted once */
				if (order != EMU_ORDER_SEQ || passes > 1)
					ck_assert_uint_gt(r.st.served, size);
				else
					ck_assert_uint_eq(r.st.served, size);
			}
	free(data);
}
END_TEST

START_TEST(sideload_legacy_fail_cut)
{
	size_t size = 3 * RF_SIDELOAD_BLOCK + 17;
	unsigned char *data = malloc(size);
	fill(data, size, 2);

	/* a recovery older than KitKat: sideload:SIZE, streamed once */
	for (int old = 0; old <= 1; old++) {
		struct run r = new_run(size);
		r.o.legacy = 1;
		r.o.old_version = old;
		sideload_once(&r, data);
		ck_assert_msg(r.rc == RF_OK, "%s", r.err);
		ck_assert(r.st.legacy);
		expect_reassembled(data, size);
	}
	/* FAILFAIL, and the legacy FAIL */
	for (int legacy = 0; legacy <= 1; legacy++) {
		struct run r = new_run(size);
		r.o.fail = 1;
		r.o.legacy = legacy;
		sideload_once(&r, data);
		ck_assert_int_eq(r.rc, RF_EFAIL);
		ck_assert_ptr_nonnull(strstr(r.err, "refused the package"));
	}
	/* the cable is pulled half-way */
	struct run r = new_run(size);
	r.o.cut_after = RF_SIDELOAD_BLOCK + 5;
	sideload_once(&r, data);
	ck_assert_int_eq(r.rc, RF_EDISCONNECTED);
	ck_assert_uint_lt(r.st.unique, size);
	/* the package cannot be read: nothing more is sent */
	struct run d = new_run(size);
	d.fail_at_block = 2;
	sideload_once(&d, data);
	ck_assert_int_eq(d.rc, RF_ESYS);
	ck_assert_uint_eq(d.st.blocks, 2);
	/* a phone not in sideload mode refuses both services */
	struct run n = new_run(size);
	n.o.legacy = 1;
	char state[300], e[256];
	snprintf(state, sizeof state, "%s/phone", dir);
	n.o.state_dir = state;
	n.o.mode = EMU_ADB_RECOVERY;
	struct emu_adb *phone = emu_adb_new(&n.o, e);
	struct rf_transport *t = adb_loop_new(phone);
	struct rf_adb a;
	memset(&a, 0, sizeof a);
	ck_assert_int_eq(rf_adb_connect(&a, t, NULL), RF_OK);
	struct mem_src m = { .data = data, .fail_at_block = -1 };
	struct rf_sideload_src src = { .read = mem_read, .user = &m, .size = size };
	struct rf_sideload s = { .adb = &a, .src = &src };
	ck_assert_int_eq(rf_sideload_run(&s), RF_EFAIL);
	ck_assert_ptr_nonnull(strstr(s.err, "refused both"));
	rf_adb_free(&a);
	rf_transport_close(t);
	emu_adb_free(phone);
	free(data);
}
END_TEST

static struct rf_adb_key key;
static const char *pubkey(void *user) { return ((struct rf_adb_key *)user)->public_line; }

START_TEST(sideload_with_auth)
{
	size_t size = 2 * RF_SIDELOAD_BLOCK;
	unsigned char *data = malloc(size);
	char keys[300], err[RF_ERRLEN];
	struct rf_adb_auth auth = { .sign = rf_adb_key_sign, .user = &key,
				    .public_key = pubkey, .prompt_timeout_ms = 100 };
	fill(data, size, 3);
	setenv("ANDROID_USER_HOME", dir, 1);
	ck_assert_int_eq(rf_adb_key_load(&key, err), RF_OK);
	snprintf(keys, sizeof keys, "%s/trusted", dir);
	FILE *f = fopen(keys, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	/* unknown key, the user allows it: then it is trusted */
	for (int i = 0; i < 2; i++) {
		struct run r = new_run(size);
		r.auth = &auth;
		r.o.auth_keys = keys;
		r.o.auth_accept = i == 0;
		r.o.old_version = i;
		sideload_once(&r, data);
		ck_assert_msg(r.rc == RF_OK, "%s", r.err);
		expect_reassembled(data, size);
	}
	char *log = NULL;
	size_t cap = 0;
	char lp[300];
	snprintf(lp, sizeof lp, "%s/phone/adb.log", dir);
	f = fopen(lp, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert(getdelim(&log, &cap, 0, f) > 0);
	fclose(f);
	/* first run: refused, offered, accepted; second: signature accepted */
	char *first = strstr(log, "AUTH: key accepted by the user");
	ck_assert_ptr_nonnull(first);
	ck_assert_ptr_nonnull(strstr(first, "AUTH: signature accepted"));
	free(log);
	rf_adb_key_free(&key);
	free(data);
}
END_TEST

/* ---- exact bytes and bad requests (scripted phone) ------------------------ */

static struct fake_transport *ft;

static void say(uint32_t cmd, uint32_t a0, uint32_t a1, const void *d, size_t n)
{
	unsigned char h[RF_ADB_HEADER_LEN];
	rf_adb_header_pack(h, cmd, a0, a1, d, (uint32_t)n, 0);
	fake_transport_reply_bytes(ft, h, sizeof h);
	if (n)
		fake_transport_reply_bytes(ft, d, n);
}

static int scripted(const char *request, struct rf_sideload *s, struct rf_adb *a,
		    struct mem_src *m, size_t size)
{
	static const char banner[] = "sideload::ro.product.device=cancro;";
	static struct rf_sideload_src src;
	ft = fake_transport_new();
	memset(a, 0, sizeof *a);
	a->timeout_ms = 50;
	say(RF_ADB_CNXN, RF_ADB_VERSION, RF_ADB_MAX_PAYLOAD, banner, sizeof banner - 1);
	say(RF_ADB_OKAY, 40, 1, NULL, 0);
	say(RF_ADB_WRTE, 40, 1, request, 8);
	ck_assert_int_eq(rf_adb_connect(a, &ft->t, NULL), RF_OK);
	src = (struct rf_sideload_src){ .read = mem_read, .user = m, .size = size };
	memset(s, 0, sizeof *s);
	s->adb = a;
	s->src = &src;
	return 0;
}

START_TEST(sideload_exact_bytes_and_bad_requests)
{
	size_t size = RF_SIDELOAD_BLOCK + 100;
	unsigned char *data = malloc(size);
	struct mem_src m = { .data = data, .fail_at_block = -1 };
	struct rf_sideload s;
	struct rf_adb a;
	size_t n;
	fill(data, size, 4);

	/* block 1 (the short last one), then DONEDONE */
	scripted("00000001", &s, &a, &m, size);
	say(RF_ADB_OKAY, 40, 1, NULL, 0);
	say(RF_ADB_WRTE, 40, 1, "DONEDONE", 8);
	ck_assert_int_eq(rf_sideload_run(&s), RF_OK);
	/* CNXN(2), OPEN(2), OKAY for the request, WRTE + 100 bytes, OKAY, CLSE */
	const unsigned char *w = fake_transport_write(ft, 3, &n);
	ck_assert(n == 26 && !memcmp(w, "sideload-host:65636:65536", 26));
	w = fake_transport_write(ft, 4, &n);
	ck_assert(n == 24 && w[0] == 'O' && w[1] == 'K');
	w = fake_transport_write(ft, 6, &n);
	ck_assert(n == 100 && !memcmp(w, data + RF_SIDELOAD_BLOCK, 100));
	ck_assert_uint_eq(s.st.blocks, 1);
	ck_assert_uint_eq(s.st.unique, 100);
	rf_adb_free(&a);
	rf_transport_close(&ft->t);

	static const struct { const char *req; const char *why; } bad[] = {
		{ "00000002", "past the end" },
		{ "0000001x", "instead of a block number" },
		{ "\033[2J0000", "instead of a block number" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		scripted(bad[i].req, &s, &a, &m, size);
		ck_assert_int_eq(rf_sideload_run(&s), RF_EPROTO);
		ck_assert_msg(strstr(s.err, bad[i].why), "%s", s.err);
		ck_assert_ptr_null(strchr(s.err, '\033'));
		rf_adb_free(&a);
		rf_transport_close(&ft->t);
	}
	/* interrupted between blocks */
	volatile sig_atomic_t stop = 0;
	scripted("00000000", &s, &a, &m, size);
	s.stop = &stop;
	stop = 1;
	ck_assert_int_eq(rf_sideload_run(&s), RF_EINTR);
	rf_adb_free(&a);
	rf_transport_close(&ft->t);
	free(data);
}
END_TEST

static Suite *sideload_suite(void)
{
	Suite *s = suite_create("sideload");
	TCase *tc = tcase_create("sideload");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, sideload_every_order_and_version);
	tcase_add_test(tc, sideload_legacy_fail_cut);
	tcase_add_test(tc, sideload_with_auth);
	tcase_add_test(tc, sideload_exact_bytes_and_bad_requests);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(sideload_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
