/* Packages: file-name identification, the gzip reader (members, padding,
 * truncation, corruption), plans from synthetic packages made by
 * tests/fixtures/mkpkg in every tar order and as an extracted folder, the
 * bounds of what a package can hold (refused from the headers, at once),
 * and images the bootloader would refuse halfway through a write. */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "inflate.h"
#include "package.h"
#include "pkgname.h"
#include "plan.h"

static char tmp[256];

static void tmp_setup(void)
{
	snprintf(tmp, sizeof tmp, "/tmp/check_package.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
}

static void tmp_teardown(void)
{
	char cmd[512];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmp);
}

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	ck_assert_msg(system(cmd) == 0, "failed: %s", cmd);
}

/* Run mkpkg; returns the package path (static buffer). */
static const char *mkpkg(const char *args)
{
	static char path[1024];
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "tests/fixtures/mkpkg --out '%s' %s", tmp, args);
	FILE *f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(path, sizeof path, f));
	ck_assert_int_eq(pclose(f), 0);
	path[strcspn(path, "\n")] = 0;
	return path;
}

START_TEST(test_names)
{
	struct rf_pkgname n;
	ck_assert_int_eq(rf_pkgname_parse("/x/cancro_global_images_7.12.8_20171208.0000.00_6.0_global_5b06774c6e.tgz", &n), 1);
	ck_assert_int_eq(n.kind, RF_NAME_FASTBOOT);
	ck_assert_str_eq(n.codename, "cancro");
	ck_assert_str_eq(n.region, "global");
	ck_assert_str_eq(n.version, "7.12.8");
	ck_assert_str_eq(n.build_date, "2017-12-08");
	ck_assert_str_eq(n.android, "6.0");
	ck_assert_str_eq(n.md5_prefix, "5b06774c6e");
	ck_assert_str_eq(n.top, "cancro_global_images_7.12.8_20171208.0000.00_6.0_global");
	ck_assert_int_eq(rf_pkgname_parse("cancro_images_7.3.23_20170323.0000.00_6.0_cn_702eb114c6.tgz", &n), 1);
	ck_assert_str_eq(n.region, "cn");
	ck_assert_str_eq(n.md5_prefix, "702eb114c6");
	/* an extracted folder: no MD5 */
	ck_assert_int_eq(rf_pkgname_parse("cancro_global_images_V7.1.2.0.KXDMICK_20160125.0000.13_4.4_global/", &n), 1);
	ck_assert_str_eq(n.version, "V7.1.2.0.KXDMICK");
	ck_assert_str_eq(n.md5_prefix, "");
	ck_assert_int_eq(rf_pkgname_parse("miui_MI3WMI4WGlobal_7.12.8_7d3da38965_6.0.zip", &n), 1);
	ck_assert_int_eq(n.kind, RF_NAME_RECOVERY);
	ck_assert_str_eq(n.model, "MI3WMI4WGlobal");
	ck_assert_str_eq(n.region, "global");
	ck_assert_str_eq(n.md5_prefix, "7d3da38965");
	ck_assert_int_eq(rf_pkgname_parse("miui_MI3WMI4W_7.3.23_29ce21e245_6.0.zip", &n), 1);
	ck_assert_str_eq(n.region, "cn");
	/* not parsing: unknown, nothing guessed */
	ck_assert_int_eq(rf_pkgname_parse("rom.tgz", &n), 0);
	ck_assert_int_eq(n.kind, RF_NAME_UNKNOWN);
	ck_assert_int_eq(rf_pkgname_parse("cancro_global_images_7.12.8_20171208.0000.00_6.0_global_5b06774c6.tgz", &n), 0);
	ck_assert_int_eq(rf_pkgname_parse("cancro_global_images_7.12.8_2017120.0000.00_6.0_global_5b06774c6e.tgz", &n), 0);
	ck_assert_int_eq(rf_pkgname_parse("cancro_global_images_7.12.8_20171208.0000.00_6.0_cn_5b06774c6e.tgz", &n), 0);
	ck_assert_int_eq(rf_pkgname_parse("miui_MI3W_7.12.8_zzzzzzzzzz_6.0.zip", &n), 0);
}
END_TEST

static int gz_read_all(const char *path, uint64_t *total, char *md5, char *err)
{
	struct rf_gzr *g;
	const void *p;
	size_t n;
	int rc = rf_gzr_open(&g, path, 1, err);
	*total = 0;
	if (rc)
		return rc;
	while (!(rc = rf_gzr_next(g, &p, &n)) && n)
		*total += n;
	if (!rc)
		rc = rf_gzr_finish(g, md5);
	snprintf(err, RF_ERRLEN, "%s", rf_gzr_err(g));
	rf_gzr_close(g);
	return rc;
}

START_TEST(test_gzip_reader)
{
	char p[512], err[RF_ERRLEN], md5[33], want[64];
	uint64_t total;
	sh("cd '%s' && head -c 3000000 /dev/urandom > a && seq 1 200000 > b && "
	   "gzip -c a > a.gz && gzip -c b > b.gz && cat a.gz b.gz > ab.gz && "
	   "cp ab.gz pad.gz && head -c 1024 /dev/zero >> pad.gz && "
	   "cp ab.gz junk.gz && echo junk >> junk.gz && "
	   "head -c 2000000 ab.gz > trunc.gz && cp b.gz bad.gz && "
	   "printf '\\377' | dd of=bad.gz bs=1 seek=$(( $(stat -c %%s b.gz) - 6 )) conv=notrunc 2>/dev/null && "
	   "md5sum pad.gz | cut -c1-32 > pad.md5", tmp);
	uint64_t want_len = 3000000;
	struct stat sb;
	snprintf(p, sizeof p, "%s/b", tmp);
	ck_assert_int_eq(stat(p, &sb), 0);
	want_len += (uint64_t)sb.st_size;

	snprintf(p, sizeof p, "%s/ab.gz", tmp);
	ck_assert_msg(gz_read_all(p, &total, md5, err) == 0, "%s", err);
	ck_assert_uint_eq(total, want_len); /* both members */

	snprintf(p, sizeof p, "%s/pad.gz", tmp);
	ck_assert_msg(gz_read_all(p, &total, md5, err) == 0, "%s", err);
	ck_assert_uint_eq(total, want_len);
	snprintf(p, sizeof p, "%s/pad.md5", tmp);
	FILE *f = fopen(p, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(want, sizeof want, f));
	fclose(f);
	want[32] = 0;
	ck_assert_str_eq(md5, want); /* MD5 of the whole file, padding too */

	snprintf(p, sizeof p, "%s/junk.gz", tmp);
	ck_assert_int_eq(gz_read_all(p, &total, md5, err), RF_EFORMAT);
	ck_assert_msg(strstr(err, "after the end") != NULL, "%s", err);

	snprintf(p, sizeof p, "%s/trunc.gz", tmp);
	ck_assert_int_eq(gz_read_all(p, &total, md5, err), RF_EFORMAT);
	ck_assert_msg(strstr(err, "truncated") != NULL, "%s", err);

	snprintf(p, sizeof p, "%s/bad.gz", tmp);
	ck_assert_int_eq(gz_read_all(p, &total, md5, err), RF_EFORMAT);

	snprintf(p, sizeof p, "%s/a", tmp);
	ck_assert_int_eq(gz_read_all(p, &total, md5, err), RF_EFORMAT);
	ck_assert_msg(strstr(err, "not a gzip") != NULL, "%s", err);
}
END_TEST


/* tests/fixtures/mkodd KIND tmp/KIND.tgz [args] */
static void mkodd(const char *kind, const char *args)
{
	sh("tests/fixtures/mkodd %s '%s/%s.tgz' %s", kind, tmp, kind, args);
}

/* Open tmp/name; its error, which must be RF_EFORMAT mentioning `what`. */
static void refused(const char *name, const char *what)
{
	struct rf_package p;
	struct timespec t0, t1;
	char path[512];
	snprintf(path, sizeof path, "%s/%s", tmp, name);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(rf_pkg_open(&p, path, NULL), RF_EFORMAT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_msg(strstr(p.err, what), "%s: %s", name, p.err);
	/* at once: from the headers, not after inflating what they claim */
	ck_assert_int_lt(t1.tv_sec - t0.tv_sec, 5);
}

START_TEST(test_limits)
{
	mkodd("count", "");
	refused("count.tgz", "more than 512 entries");
	mkodd("deep", "");
	refused("deep.tgz", "more than 6 levels");
	mkodd("scripts", "");
	refused("scripts.tgz", "MiB of scripts");
	mkodd("trailing", "--mib 40");
	refused("trailing.tgz", "inflates to more than");
	/* 1 GiB claimed past the largest entry: its header is enough */
	mkodd("bomb", "--gib 17");
	refused("bomb.tgz", "absurd size");
}
END_TEST

/* Images the bootloader would refuse while writing them: marked bad (the
 * plan refuses a step that names one), not the package. */
START_TEST(test_lk_refused_images)
{
	static const struct { const char *img, *why; } bad[] = {
		{ "images/tiny.img", "begin like a sparse image" },
		{ "images/short.img", "begin like a sparse image" },
		{ "images/crc.img", "CRC32 chunk" },
		{ "images/blk1020.img", "multiple of 512" },
	};
	struct rf_package p;
	char path[512];
	const struct rf_pkg_file *f;

	mkodd("images", "");
	snprintf(path, sizeof path, "%s/images.tgz", tmp);
	ck_assert_msg(rf_pkg_open(&p, path, NULL) == RF_OK, "%s", p.err);
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		f = rf_pkg_find(&p, bad[i].img);
		ck_assert_ptr_nonnull(f);
		ck_assert_int_eq(f->sparse, 1);
		ck_assert_ptr_null(f->layout);
		ck_assert_ptr_nonnull(f->bad);
		ck_assert_msg(strstr(f->bad, bad[i].why), "%s: %s", bad[i].img,
			      f->bad);
	}
	f = rf_pkg_find(&p, "images/fine.img");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(f->layout);
	f = rf_pkg_find(&p, "images/boot.img");
	ck_assert_int_eq(f->sparse, 0);
	rf_pkg_close(&p);
}
END_TEST

static void plan_of(const char *path, enum rf_mode m, uint32_t max_dl,
		    struct rf_package *pkg, struct rf_plan *pl)
{
	ck_assert_msg(rf_pkg_open(pkg, path, NULL) == 0, "%s: %s", path, pkg->err);
	ck_assert_msg(rf_plan_build(pl, pkg, m, max_dl) == 0, "%s", pl->err);
}

START_TEST(test_orders_and_folder)
{
	static const char *orders[] = { "scripts-first", "scripts-last", "shuffled" };
	struct rf_package ref, pkg;
	struct rf_plan rp, pl;
	char args[256];
	/* same seed: the same content, three tar orders */
	snprintf(args, sizeof args, "--variant modern --order %s --size-mb 2 --keep-folder", orders[0]);
	plan_of(mkpkg(args), RF_MODE_CLEAN, 0, &ref, &rp);
	ck_assert_int_eq(ref.md5_state, RF_MD5_PREFIX);
	ck_assert_str_eq(ref.top, "cancro_global_images_7.12.8_20171208.0000.00_6.0_global");
	ck_assert_str_eq(rp.script, "flash_all.sh");
	ck_assert_str_eq(rp.bat_diff, "");
	ck_assert_uint_eq(rp.steps.n, 19);
	ck_assert_uint_eq(rp.max_dl, RF_DEFAULT_MAX_DL);
	const struct rf_step *sys = NULL;
	for (size_t i = 0; i < rp.steps.n; i++)
		if (!strcmp(rp.steps.v[i].partition, "system"))
			sys = &rp.steps.v[i];
	ck_assert_ptr_nonnull(sys);
	ck_assert_int_eq(sys->sparse, 1);
	ck_assert_uint_gt(sys->out_bytes, sys->size);
	ck_assert_uint_eq(sys->downloads, 1);
	for (int o = 1; o < 3; o++) {
		snprintf(args, sizeof args, "--variant modern --order %s --size-mb 2", orders[o]);
		plan_of(mkpkg(args), RF_MODE_CLEAN, 0, &pkg, &pl);
		ck_assert_uint_eq(pl.steps.n, rp.steps.n);
		for (size_t i = 0; i < pl.steps.n; i++) {
			ck_assert_str_eq(pl.steps.v[i].image, rp.steps.v[i].image);
			ck_assert_uint_eq(pl.steps.v[i].size, rp.steps.v[i].size);
			ck_assert_uint_eq(pl.steps.v[i].out_bytes, rp.steps.v[i].out_bytes);
		}
		rf_plan_free(&pl);
		rf_pkg_close(&pkg);
	}
	/* the extracted folder gives the same plan */
	char dir[512];
	snprintf(dir, sizeof dir, "%s/%s", tmp, ref.top);
	plan_of(dir, RF_MODE_CLEAN, 0, &pkg, &pl);
	ck_assert_int_eq(pkg.kind, RF_PKG_DIR);
	ck_assert_int_eq(pkg.md5_state, RF_MD5_NOT_CHECKED);
	ck_assert_str_eq(pkg.name.codename, "cancro");
	ck_assert_uint_eq(pl.steps.n, rp.steps.n);
	for (size_t i = 0; i < pl.steps.n; i++) {
		ck_assert_int_eq(pl.steps.v[i].op, rp.steps.v[i].op);
		ck_assert_uint_eq(pl.steps.v[i].size, rp.steps.v[i].size);
		ck_assert_uint_eq(pl.steps.v[i].out_bytes, rp.steps.v[i].out_bytes);
		ck_assert_uint_eq(pl.steps.v[i].downloads, rp.steps.v[i].downloads);
	}
	rf_plan_free(&pl);
	rf_pkg_close(&pkg);

	/* a small max-download-size splits: sparse system and raw modem */
	ck_assert_int_eq(rf_plan_set_max_dl(&rp, &ref, 256 * 1024), 0);
	for (size_t i = 0; i < rp.steps.n; i++) {
		const struct rf_step *s = &rp.steps.v[i];
		if (s->image[0] && s->size > 256 * 1024)
			ck_assert_msg(s->downloads > 1, "%s", s->image);
		else if (s->image[0])
			ck_assert_uint_eq(s->downloads, 1);
	}
	/* modes */
	struct rf_plan k;
	ck_assert_int_eq(rf_plan_build(&k, &ref, RF_MODE_KEEP_DATA, 0), 0);
	ck_assert_str_eq(k.script, "flash_all_except_storage.sh");
	ck_assert_uint_eq(k.steps.n, rp.steps.n - 1); /* no userdata */
	rf_plan_free(&k);
	ck_assert_int_eq(rf_plan_build(&k, &ref, RF_MODE_LOCK, 0), 0);
	ck_assert_str_eq(k.script, "flash_all_lock.sh");
	ck_assert_int_eq(k.steps.v[k.steps.n - 2].op, RF_OP_OEM);
	rf_plan_free(&k);
	rf_plan_free(&rp);
	rf_pkg_close(&ref);
}
END_TEST

START_TEST(test_variants)
{
	struct rf_package pkg;
	struct rf_plan pl;
	/* kitkat: older keep-data script name, dual partitions */
	plan_of(mkpkg("--variant kitkat --region cn --size-mb 1"), RF_MODE_KEEP_DATA, 0, &pkg, &pl);
	ck_assert_str_eq(pl.script, "flash_all_except_data_storage.sh");
	ck_assert_str_eq(pkg.name.region, "cn");
	int dual = 0;
	for (size_t i = 0; i < pl.steps.n; i++)
		dual += strchr(pl.steps.v[i].partition, '+') != NULL;
	ck_assert_int_eq(dual, 3);
	rf_plan_free(&pl);
	rf_pkg_close(&pkg);
	/* repartition: checks, partition, reboot-bootloader + sleep, boot */
	plan_of(mkpkg("--variant repartition --size-mb 1"), RF_MODE_CLEAN, 0, &pkg, &pl);
	ck_assert_str_eq(pl.bat_diff, "");
	ck_assert_uint_eq(pl.n_checks, 3);
	ck_assert_str_eq(pl.steps.v[3].partition, "partition");
	int rb = 0;
	for (size_t i = 0; i < pl.steps.n; i++)
		if (pl.steps.v[i].op == RF_OP_REBOOT_BOOTLOADER)
			rb = (int)pl.steps.v[i].sleep_s;
	ck_assert_int_eq(rb, 5);
	ck_assert_int_eq(pl.steps.v[pl.steps.n - 1].op, RF_OP_BOOT);
	rf_plan_free(&pl);
	rf_pkg_close(&pkg);
}
END_TEST

static Suite *package_suite(void)
{
	Suite *s = suite_create("package");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_gzip_reader);
	tcase_add_test(tc, test_orders_and_folder);
	tcase_add_test(tc, test_variants);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_lk_refused_images);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(package_suite());
	int failed;
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
