/* `romflash sideload` and friends over USB: the real binary, as a child
 * process, against the emulated recovery presented as an usbfs device by
 * umockdev (interface ff/42/01, tests/helpers/usb_emu.c driving the model
 * of tests/emu/emu_adb.h).  The zip the phone reassembles must be the
 * original byte for byte, for every request order, old and new adb, with
 * AUTH; a phone booted into Android is moved through recovery into
 * sideload; a pulled cable is a clear failure; devices and reboot see the
 * adb modes.  test_throughput prints the MB/s figure (SIDELOAD_BENCH_MB,
 * default 24; CK_RUN_CASE=throughput runs it alone).
 * Env: ROMFLASH (set by tests/run-all), ROOT. */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "emu_adb.h"
#include "helpers/run_child.h"
#include "helpers/scratch.h"
#include "helpers/usb_emu.h"

#define SAN_EXIT 86
#define CHILD_TIMEOUT_S 120

static char dir[256], errbuf[256];
static char *out, *err;
static char zip[1024], zip_md5[64];
static struct usb_emu *usb;
static struct emu_adb *phone;

static void setup(void)
{
	scratch_make(dir, sizeof dir, "check_usb_adb");
	usb = NULL;
	phone = NULL;
}

static void teardown(void)
{
	if (usb)
		usb_emu_stop(usb);
	emu_adb_free(phone);
	free(out);
	free(err);
	out = err = NULL;
	scratch_remove(dir);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the phone: the adb model behind an usbfs device ----------------------- */

static enum emu_link m_receive(void *ctx, const void *buf, size_t len, int zlp)
{
	(void)zlp; /* the end of a message is its length, as in adbd */
	return len ? emu_adb_receive(ctx, buf, len) : emu_adb_link_state(ctx);
}
static size_t m_reply(void *ctx, void *buf, size_t cap) { return emu_adb_reply(ctx, buf, cap); }
static void m_reset(void *ctx) { emu_adb_reset_link(ctx); }
static int m_delay(void *ctx) { return emu_adb_reboot_delay_ms(ctx); }

static const char *state_dir(void)
{
	static char p[300];
	snprintf(p, sizeof p, "%s/phone", dir);
	return p;
}

static void plug(struct emu_adb_opts *o)
{
	static struct usb_emu_model m;
	o->state_dir = state_dir();
	o->serial = "ADB0001";
	if (!o->reboot_delay_ms)
		o->reboot_delay_ms = 200;
	phone = emu_adb_new(o, errbuf);
	ck_assert_msg(phone != NULL, "%s", errbuf);
	m = (struct usb_emu_model){ .receive = m_receive, .reply = m_reply,
				    .reset_link = m_reset, .reboot_delay_ms = m_delay,
				    .ctx = phone };
	struct usb_emu_devcfg cfg = { .proto = 0x01, .vid = 0x2717, .pid = 0xff48,
				      .serial = "ADB0001", .product = "MI 4LTE",
				      .model = &m };
	usb = usb_emu_start_empty(errbuf);
	ck_assert_msg(usb != NULL, "%s", errbuf);
	ck_assert_msg(usb_emu_add(usb, &cfg, errbuf) == 0, "%s", errbuf);
}

/* ---- romflash and mkzip -------------------------------------------------- */

#define RF_OUTPUT "\n--- stdout:\n%s\n--- stderr:\n%s", out, err

static int run(char **argv)
{
	static char asan[64], ubsan[64], home[300];
	char op[300], ep[300];
	snprintf(asan, sizeof asan, "ASAN_OPTIONS=verify_asan_link_order=0:exitcode=%d", SAN_EXIT);
	snprintf(ubsan, sizeof ubsan, "UBSAN_OPTIONS=print_stacktrace=1:exitcode=%d", SAN_EXIT);
	snprintf(home, sizeof home, "ANDROID_USER_HOME=%s/keys", dir);
	char *env[] = { asan, ubsan, home, NULL };
	snprintf(op, sizeof op, "%s/out", dir);
	snprintf(ep, sizeof ep, "%s/err", dir);
	int rc = run_child(argv, env, op, ep, CHILD_TIMEOUT_S);
	free(out);
	free(err);
	out = read_all(op);
	err = read_all(ep);
	return rc;
}

static int rf(const char *a0, ...)
{
	char *argv[16];
	const char *bin = getenv("ROMFLASH");
	int n = 0;
	va_list ap;
	argv[n++] = (char *)(bin && *bin ? bin : "build/romflash");
	argv[n++] = (char *)a0;
	va_start(ap, a0);
	while (n < 15 && (argv[n] = va_arg(ap, char *)) != NULL)
		n++;
	va_end(ap);
	argv[n] = NULL;
	int rc = run(argv);
	fprintf(stderr, "$ romflash %s ... -> exit %d\n", a0, rc);
	ck_assert_msg(rc != SAN_EXIT, "sanitizer report" RF_OUTPUT);
	return rc;
}

static int have_tools(void)
{
	if (system("command -v openssl >/dev/null && command -v python3 >/dev/null") == 0)
		return 1;
	ck_assert_msg(!getenv("CI"), "openssl or python3 missing (tools/deps.sh)");
	printf("SKIP: openssl or python3 missing\n");
	return 0;
}

static void make_zip(const char *size_mb)
{
	char mk[600], outdir[300];
	const char *root = getenv("ROOT");
	snprintf(mk, sizeof mk, "%s%stests/fixtures/mkzip", root ? root : "", root ? "/" : "");
	snprintf(outdir, sizeof outdir, "%s/zip", dir);
	char *argv[] = { "python3", mk, "--out", outdir, "--size-mb", (char *)size_mb, NULL };
	ck_assert_msg(run(argv) == 0, "mkzip: %s", err);
	ck_assert(sscanf(out, "%1023s %63s", zip, zip_md5) == 2);
}

static void expect_copy(void)
{
	char p[400], cmd[1500];
	snprintf(p, sizeof p, "%s/sideload.zip", state_dir());
	snprintf(cmd, sizeof cmd, "cmp -s '%s' '%s'", zip, p);
	ck_assert_msg(system(cmd) == 0, "the phone's copy differs from %s", zip);
}

static int log_has(const char *file, const char *what)
{
	char p[400];
	snprintf(p, sizeof p, "%s/%s", state_dir(), file);
	char *t = read_all(p);
	int yes = strstr(t, what) != NULL;
	free(t);
	return yes;
}

/* ---- tests ------------------------------------------------------------------ */

START_TEST(test_sideload_orders_versions)
{
	static const struct { enum emu_adb_order order; int old, passes; } c[] = {
		{ EMU_ORDER_SEQ, 0, 1 }, { EMU_ORDER_TAIL, 1, 1 },
		{ EMU_ORDER_RANDOM, 0, 2 }, { EMU_ORDER_RANDOM, 1, 1 },
	};
	if (!have_tools())
		return;
	make_zip("1.7");
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		struct emu_adb_opts o = { .mode = EMU_ADB_SIDELOAD, .order = c[i].order,
					  .old_version = c[i].old, .passes = c[i].passes,
					  .seed = (unsigned)i + 1 };
		struct usb_emu_stats st;
		plug(&o);
		ck_assert_msg(rf("sideload", zip, NULL) == 0, RF_OUTPUT);
		ck_assert_ptr_nonnull(strstr(out, "Done: the phone installed"));
		expect_copy();
		/* whole-packet messages end with a zero-length packet */
		usb_emu_get_stats(usb, 0, &st);
		ck_assert_uint_gt(st.zlp_urbs, 0);
		usb_emu_stop(usb);
		usb = NULL;
		emu_adb_free(phone);
		phone = NULL;
	}
}
END_TEST

START_TEST(test_devices_and_auth)
{
	char keys[400];
	if (!have_tools())
		return;
	make_zip("0.5");
	snprintf(keys, sizeof keys, "%s/trusted", dir);
	FILE *f = fopen(keys, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	struct emu_adb_opts o = { .mode = EMU_ADB_SIDELOAD, .auth_keys = keys,
				  .auth_accept = 1 };
	plug(&o);
	/* a listing never makes the phone ask its user */
	ck_assert_msg(rf("devices", NULL) == 0, RF_OUTPUT);
	ck_assert_msg(strstr(out, "ADB0001") && strstr(out, "unauthorized"), RF_OUTPUT);
	ck_assert(!log_has("adb.log", "AUTH: prompt") && !log_has("adb.log", "key accepted"));
	/* sideload offers the key; the user allows it */
	ck_assert_msg(rf("sideload", zip, NULL) == 0, RF_OUTPUT);
	ck_assert_ptr_nonnull(strstr(err, "Allow USB debugging"));
	expect_copy();
	usb_emu_stop(usb);
	usb = NULL;
	emu_adb_free(phone);
	phone = NULL;
	/* next time the key is known: the listing says what the phone is */
	o.auth_accept = 0;
	plug(&o);
	ck_assert_msg(rf("--json", "devices", NULL) == 0, RF_OUTPUT);
	ck_assert_msg(strstr(out, "\"mode\":\"sideload\"") &&
		      strstr(out, "\"product\":\"cancro\"") &&
		      strstr(out, "\"location\":\"usb:1-1\""), RF_OUTPUT);
}
END_TEST

START_TEST(test_android_to_sideload)
{
	if (!have_tools())
		return;
	make_zip("0.5");
	struct emu_adb_opts o = { .mode = EMU_ADB_DEVICE };
	plug(&o);
	ck_assert_msg(rf("sideload", zip, "--yes", NULL) == 0, RF_OUTPUT);
	expect_copy();
	ck_assert(log_has("adb.log", "reboot:sideload refused (not root)"));
	ck_assert(log_has("adb.log", "\nreboot:recovery"));
	/* the phone came back (replugged) twice */
	struct usb_emu_stats st;
	usb_emu_get_stats(usb, 0, &st);
	ck_assert_uint_ge(st.drops, 2);
}
END_TEST

START_TEST(test_reboot_and_wrong_phone)
{
	if (!have_tools())
		return;
	make_zip("0.5");
	struct emu_adb_opts o = { .mode = EMU_ADB_DEVICE, .device = "virgo" };
	plug(&o);
	ck_assert_msg(rf("sideload", zip, "--yes", NULL) == 4, RF_OUTPUT);
	ck_assert_ptr_nonnull(strstr(err, "wrong phone"));
	ck_assert(!log_has("adb.log", "reboot"));
	ck_assert_msg(rf("reboot", "recovery", NULL) == 0, RF_OUTPUT);
	ck_assert(usb_emu_wait_online(usb, 0, 5000) == 0);
	for (int i = 0; i < 100 && !log_has("adb-mode", "recovery"); i++)
		usleep(50 * 1000);
	ck_assert(log_has("adb-mode", "recovery"));
}
END_TEST

START_TEST(test_cable_pulled)
{
	if (!have_tools())
		return;
	make_zip("1");
	struct emu_adb_opts o = { .mode = EMU_ADB_SIDELOAD, .cut_after = 300000 };
	plug(&o);
	ck_assert_msg(rf("sideload", zip, NULL) == 1, RF_OUTPUT);
	ck_assert_msg(strstr(err, "link to the phone was lost"), RF_OUTPUT);
}
END_TEST

/* The figure for docs/benchmarks.md: SIDELOAD_BENCH_MB (default 24). */
START_TEST(test_throughput)
{
	const char *mb = getenv("SIDELOAD_BENCH_MB");
	if (!have_tools())
		return;
	make_zip(mb && *mb ? mb : "24");
	struct emu_adb_opts o = { .mode = EMU_ADB_SIDELOAD };
	plug(&o);
	struct stat sb;
	ck_assert_int_eq(stat(zip, &sb), 0);
	double t0 = now_s();
	ck_assert_msg(rf("--json", "sideload", zip, NULL) == 0, RF_OUTPUT);
	double wall = now_s() - t0;
	const char *done = strstr(out, "\"event\":\"step_done\"");
	ck_assert_ptr_nonnull(done);
	double secs = strtod(strstr(done, "\"seconds\":") + 10, NULL);
	printf("usb sideload: %.0f MB in %.2f s of serving (%.1f MB/s), %.2f s "
	       "for the whole command\n", (double)sb.st_size / 1e6, secs,
	       secs > 0 ? (double)sb.st_size / secs / 1e6 : 0, wall);
	fflush(stdout);
	expect_copy();
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("usb_adb");
	TCase *tc = tcase_create("usb_adb");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_sideload_orders_versions);
	tcase_add_test(tc, test_devices_and_auth);
	tcase_add_test(tc, test_android_to_sideload);
	tcase_add_test(tc, test_reboot_and_wrong_phone);
	tcase_add_test(tc, test_cable_pulled);
	suite_add_tcase(s, tc);
	/* its own case: CK_RUN_CASE=throughput runs only the figure */
	TCase *tp = tcase_create("throughput");
	tcase_add_checked_fixture(tp, setup, teardown);
	tcase_set_timeout(tp, 900);
	tcase_add_test(tp, test_throughput);
	suite_add_tcase(s, tp);
	return s;
}

/* umockdev's preload library comes before the ASan runtime here. */
const char *__asan_default_options(void);
__attribute__((used)) const char *__asan_default_options(void)
{
	return "verify_asan_link_order=0";
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
