/* The flash executor's preflight and its refusals, against in-process
 * fake phones (tests/helpers/exec_bench.c): an image larger than its
 * partition (sizes from the phone, the package's own GPT, the known cancro
 * layout), a package for another phone, anti-rollback answers retried,
 * another phone after a reboot, the phone lock, and the GPT parser.
 * Nothing is written to a phone that is refused. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec_bench.h"
#include "fake_phone.h"
#include "flash_exec.h"
#include "part_table.h"
#include "phone_id.h"

/* ---- the preflight ---- */

START_TEST(test_size_from_phone)
{
	struct bench b;
	bench_open(&b, bench_std_package(), 1);
	fake_phone_var(b.ph[0], "partition-size:system", "0x100000");
	ck_assert_int_eq(bench_run(&b), 0);
	ck_assert_int_eq(b.tg[0].rc, RF_EFORMAT);
	ck_assert_msg(strstr(b.tg[0].err, "size from the phone"), "%s", b.tg[0].err);
	char *w = fake_phone_writes(b.ph[0]);
	ck_assert_str_eq(w, "");
	free(w);
	ck_assert_int_eq(bench_failure_of("SER1")->report_step, -1);
	bench_close(&b);
}
END_TEST

/* The Mi 4 reports no sizes: the known cancro layout (tz is 1 MiB). */
START_TEST(test_size_known_layout)
{
	struct bench b;
	const char *dir = bench_std_package();
	bench_image(dir, "tz.mbn", (1 << 20) + 1, 1);
	bench_open(&b, dir, 1);
	ck_assert_int_eq(bench_run(&b), 0);
	ck_assert_msg(strstr(b.tg[0].err, "known cancro layout"), "%s", b.tg[0].err);
	char *w = fake_phone_writes(b.ph[0]);
	ck_assert_str_eq(w, "");
	free(w);
	bench_close(&b);
}
END_TEST

/* A GPT as mkpkg writes it: `sizes` in 512-byte sectors. */
static size_t make_gpt(unsigned char *buf, const char *const *names, const uint64_t *sectors,
		       int n);

START_TEST(test_size_package_gpt)
{
	static const char *const names[] = { "tz", "system", "boot" };
	const uint64_t sectors[] = { 100, 8192, 2048 }; /* tz: 50 KiB */
	unsigned char gpt[34 * 512];
	char path[700];
	struct bench b;
	const char *dir = bench_package(BENCH_PKGNAME,
		"fastboot $* flash partition `dirname $0`/images/gpt_both0.bin\n"
		"fastboot $* flash tz `dirname $0`/images/tz.mbn\n");
	bench_image(dir, "tz.mbn", 70000, 1);
	size_t n = make_gpt(gpt, names, sectors, 3);
	snprintf(path, sizeof path, "%s/images/gpt_both0.bin", dir);
	bench_write_file(path, gpt, n);
	bench_open(&b, dir, 1);
	ck_assert_int_eq(bench_run(&b), 0);
	ck_assert_msg(strstr(b.tg[0].err, "package's partition table"), "%s", b.tg[0].err);
	bench_close(&b);
	/* the same table, valid, with room: flashed */
	bench_image(dir, "tz.mbn", 50000, 1);
	bench_open(&b, dir, 1);
	ck_assert_int_eq(bench_run(&b), 1);
	bench_close(&b);
	/* a broken table is never written */
	gpt[600] ^= 1;
	bench_write_file(path, gpt, n);
	bench_open(&b, dir, 1);
	ck_assert_int_eq(bench_run(&b), 0);
	ck_assert_msg(strstr(b.tg[0].err, "not a valid GPT"), "%s", b.tg[0].err);
	bench_close(&b);
}
END_TEST

START_TEST(test_package_for_another_phone)
{
	struct bench b;
	const char *dir = bench_package("aries_images_4.1.1_20130101.0000.00_4.1_cn",
				  "fastboot $* flash boot `dirname $0`/images/boot.img\n");
	bench_image(dir, "boot.img", 1000, 3);
	bench_open(&b, dir, 1);
	ck_assert_int_eq(bench_run(&b), 0);
	ck_assert_int_eq(b.tg[0].rc, RF_EWRONGDEV);
	ck_assert_msg(strstr(b.tg[0].err, "aries") && strstr(b.tg[0].err, "--force-device"), "%s",
		      b.tg[0].err);
	bench_close(&b);
	/* the user vouches for it */
	bench_open(&b, dir, 1);
	b.run.force_device = "aries";
	ck_assert_int_eq(bench_run(&b), 1);
	bench_close(&b);
	/* a cancro package on a phone answering another product */
	bench_open(&b, bench_std_package(), 1);
	fake_phone_free(b.ph[0]);
	b.ph[0] = fake_phone_new("SER1", "MSM8960");
	ck_assert_int_eq(bench_run(&b), 0);
	ck_assert_int_eq(b.tg[0].rc, RF_EWRONGDEV);
	bench_close(&b);
}
END_TEST

static const char *const ANTI_SCRIPT =
	"CURRENT_ANTI_VER=1\n"
	"ver=`fastboot $* getvar anti 2>&1 | grep -oP \"anti: \\K[0-9]+\"`\n"
	"if [ -z \"$ver\" ]; then ver=0; fi\n"
	"if [ $ver -gt $CURRENT_ANTI_VER ]; then echo \"too new\"; exit 1; fi\n"
	"fastboot $* flash boot `dirname $0`/images/boot.img\n";

START_TEST(test_anti_retried)
{
	struct bench b;
	const char *dir = bench_package(BENCH_PKGNAME, ANTI_SCRIPT);
	bench_image(dir, "boot.img", 1000, 3);
	/* a one-off FAIL, then the truth: version 5 > 1 -> refused */
	bench_open(&b, dir, 1);
	fake_phone_var(b.ph[0], "anti", "5");
	fake_phone_fail(b.ph[0], "getvar:anti", 1, "busy");
	ck_assert_int_eq(bench_run(&b), 0);
	ck_assert_msg(strstr(b.tg[0].err, "anti-rollback"), "%s", b.tg[0].err);
	bench_close(&b);
	/* FAIL every time with no sign of "unknown": refused, not read as 0 */
	bench_open(&b, dir, 1);
	fake_phone_var(b.ph[0], "anti", "0");
	fake_phone_fail(b.ph[0], "getvar:anti", -1, "busy");
	ck_assert_int_eq(bench_run(&b), 0);
	ck_assert_msg(strstr(b.tg[0].err, "cannot tell"), "%s", b.tg[0].err);
	bench_close(&b);
	/* an answer that is not a number */
	bench_open(&b, dir, 1);
	fake_phone_var(b.ph[0], "anti", "x2");
	ck_assert_int_eq(bench_run(&b), 0);
	ck_assert_msg(strstr(b.tg[0].err, "not a version number"), "%s", b.tg[0].err);
	bench_close(&b);
	/* a bootloader without the variable: the script's ver=0 */
	bench_open(&b, dir, 1);
	ck_assert_int_eq(bench_run(&b), 1);
	bench_close(&b);
}
END_TEST

START_TEST(test_other_phone_after_reboot)
{
	struct bench b;
	bench_open(&b, bench_std_package(), 1);
	/* the reboot hands the address to another phone */
	struct fake_phone *first = b.ph[0];
	struct fake_phone *second = fake_phone_new("OTHER9", "MSM8974");
	b.tg[0].t = fake_phone_connect(first);
	rf_fb_init(&b.tg[0].fb, b.tg[0].t);
	b.ph[0] = second;
	ck_assert_int_eq(bench_run(&b), 0);
	/* identify ran on... the bench identifies through tg[0].t: first */
	ck_assert_int_eq(b.tg[0].rc, RF_EWRONGDEV);
	ck_assert_int_eq(b.tg[0].failed_step, 5);
	ck_assert_msg(strstr(bench_failure_of("SER1")->state, "another phone"), "%s",
		      bench_failure_of("SER1")->state);
	char *w = fake_phone_writes(second);
	ck_assert_str_eq(w, "");
	free(w);
	fake_phone_free(first);
	bench_close(&b);
}
END_TEST

START_TEST(test_lock)
{
	struct rf_phone_id id = { "LOCK1", "MSM8974", "", "tcp:x" };
	struct rf_phone_lock *a = NULL, *b = NULL;
	char err[RF_ERRLEN];
	ck_assert_int_eq(rf_phone_lock(&id, "romflash flash ONE.tgz", &a, err), RF_OK);
	/* flock is per open file: a second open in this process conflicts too */
	ck_assert_int_eq(rf_phone_lock(&id, "romflash flash TWO.tgz", &b, err), RF_EBUSY);
	ck_assert_msg(strstr(err, "ONE.tgz") && strstr(err, "pid"), "%s", err);
	rf_phone_unlock(a);
	ck_assert_int_eq(rf_phone_lock(&id, "romflash flash TWO.tgz", &b, err), RF_OK);
	rf_phone_unlock(b);
}
END_TEST

START_TEST(test_gpt_parse)
{
	static const char *const names[] = { "sbl1", "userdata" };
	const uint64_t sectors[] = { 4096, 26583040 };
	unsigned char gpt[34 * 512];
	struct rf_part_table t;
	char err[RF_ERRLEN];
	size_t n = make_gpt(gpt, names, sectors, 2);
	ck_assert_int_eq(rf_gpt_parse(gpt, n, &t, err), RF_OK);
	ck_assert_int_eq(t.n, 2);
	ck_assert_int_eq(rf_part_size(&t, "sbl1"), 2u << 20);
	ck_assert(rf_part_size(&t, "userdata") == 26583040ull * 512);
	ck_assert_int_eq(rf_part_size(&t, "boot"), 0);
	gpt[512 + 20] ^= 1; /* inside the header: its CRC no longer matches */
	ck_assert_int_eq(rf_gpt_parse(gpt, n, &t, err), RF_EFORMAT);
	ck_assert_msg(strstr(err, "header CRC32"), "%s", err);
	ck_assert_int_eq(rf_gpt_parse(gpt, 600, &t, err), RF_EFORMAT);
	ck_assert_int_eq(rf_part_size(rf_part_table_cancro(), "cache"), 384u << 20);
}
END_TEST

/* ---- the GPT writer for the tests (UEFI layout, CRC32 as zlib) ---- */

static uint32_t crc32_of(const unsigned char *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0xedb88320u : c >> 1;
	}
	return ~c;
}

static void le(unsigned char *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static size_t make_gpt(unsigned char *buf, const char *const *names, const uint64_t *sectors,
		       int n)
{
	unsigned char *h = buf + 512, *e = buf + 1024;
	uint64_t lba = 34;
	memset(buf, 0, 34 * 512);
	buf[510] = 0x55;
	buf[511] = 0xaa;
	for (int i = 0; i < n; i++, e += 128) {
		e[0] = 0xa2; /* a type GUID that is not zero */
		e[16] = (unsigned char)(i + 1);
		le(e + 32, lba, 8);
		le(e + 40, lba + sectors[i] - 1, 8);
		for (size_t k = 0; names[i][k]; k++)
			e[56 + 2 * k] = (unsigned char)names[i][k];
		lba += sectors[i];
	}
	memcpy(h, "EFI PART", 8);
	le(h + 8, 0x10000, 4);
	le(h + 12, 92, 4);
	le(h + 24, 1, 8);
	le(h + 72, 2, 8);
	le(h + 80, 128, 4);
	le(h + 84, 128, 4);
	le(h + 88, crc32_of(buf + 1024, 128 * 128), 4);
	le(h + 16, crc32_of(h, 92), 4);
	return 34 * 512;
}

static Suite *suite(void)
{
	Suite *s = suite_create("preflight");
	TCase *tc = tcase_create("preflight");
	tcase_add_checked_fixture(tc, bench_setup, bench_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_size_from_phone);
	tcase_add_test(tc, test_size_known_layout);
	tcase_add_test(tc, test_size_package_gpt);
	tcase_add_test(tc, test_package_for_another_phone);
	tcase_add_test(tc, test_anti_retried);
	tcase_add_test(tc, test_other_phone_after_reboot);
	tcase_add_test(tc, test_lock);
	tcase_add_test(tc, test_gpt_parse);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
