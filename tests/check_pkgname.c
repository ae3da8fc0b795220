/* Package names: every regional form of the fastboot package and of the
 * recovery zip, with region and MD5 prefix; browser copies and unfinished
 * downloads recognised and explained; near misses refused. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "pkgname.h"

static struct rf_pkgname n;

static void fastboot(const char *name, const char *codename, const char *region,
		     const char *md5, const char *top)
{
	ck_assert_msg(rf_pkgname_parse(name, &n) == 1, "not parsed: %s", name);
	ck_assert_int_eq(n.kind, RF_NAME_FASTBOOT);
	ck_assert_str_eq(n.codename, codename);
	ck_assert_str_eq(n.region, region);
	ck_assert_str_eq(n.md5_prefix, md5);
	ck_assert_str_eq(n.top, top);
}

static void recovery(const char *name, const char *codename, const char *model,
		     const char *region, const char *version, const char *md5)
{
	ck_assert_msg(rf_pkgname_parse(name, &n) == 1, "not parsed: %s", name);
	ck_assert_int_eq(n.kind, RF_NAME_RECOVERY);
	ck_assert_str_eq(n.codename, codename);
	ck_assert_str_eq(n.model, model);
	ck_assert_str_eq(n.region, region);
	ck_assert_str_eq(n.version, version);
	ck_assert_str_eq(n.md5_prefix, md5);
}

START_TEST(test_fastboot_regions)
{
	fastboot("raphaelin_in_global_images_V12.0.5.0.QFKINXM_20210315.0000.00_10.0_in_1a2b3c4d5e.tgz",
		 "raphaelin", "in", "1a2b3c4d5e",
		 "raphaelin_in_global_images_V12.0.5.0.QFKINXM_20210315.0000.00_10.0_in");
	ck_assert_str_eq(n.version, "V12.0.5.0.QFKINXM");
	ck_assert_str_eq(n.build_date, "2021-03-15");
	ck_assert_str_eq(n.android, "10.0");
	fastboot("/dl/lancelot_eea_global_images_V12.0.1.0.QJCEUXM_20210119.0000.00_10.0_eea_a197df7d17.tgz",
		 "lancelot", "eea", "a197df7d17",
		 "lancelot_eea_global_images_V12.0.1.0.QJCEUXM_20210119.0000.00_10.0_eea");
	static const char *const regions[] = { "ru", "id", "tr", "tw", "jp" };
	for (int i = 0; i < 5; i++) {
		char name[240], top[200];
		snprintf(top, sizeof top, "sweet_%s_global_images_V14.0.3.0.TKFMIXM_20230601.0000.00_13.0_%s",
			 regions[i], regions[i]);
		snprintf(name, sizeof name, "%s_0123456789.tgz", top);
		fastboot(name, "sweet", regions[i], "0123456789", top);
	}
	fastboot("cancro_global_images_7.12.8_20171208.0000.00_6.0_global_5B06774C6E.tgz",
		 "cancro", "global", "5b06774c6e", "cancro_global_images_7.12.8_20171208.0000.00_6.0_global");
	fastboot("piano_images_OS3.0.9.0.WPYCNXM_20250929.0000.00_16.0_cn_d8d4b7d0b8.tgz",
		 "piano", "cn", "d8d4b7d0b8", "piano_images_OS3.0.9.0.WPYCNXM_20250929.0000.00_16.0_cn");
	ck_assert_str_eq(n.version, "OS3.0.9.0.WPYCNXM");
	/* an extracted folder: no MD5 */
	fastboot("raphaelin_in_global_images_V12.0.5.0.QFKINXM_20210315.0000.00_10.0_in/",
		 "raphaelin", "in", "", "raphaelin_in_global_images_V12.0.5.0.QFKINXM_20210315.0000.00_10.0_in");
	ck_assert_str_eq(n.note, "");
	/* the words before "images" and the tag must agree */
	ck_assert_int_eq(rf_pkgname_parse("raphaelin_in_global_images_V12.0.5.0.QFKINXM_20210315.0000.00_10.0_eea_1a2b3c4d5e.tgz", &n), 0);
	ck_assert_int_eq(n.kind, RF_NAME_UNKNOWN);
	ck_assert_int_eq(rf_pkgname_parse("cancro_images_7.12.8_20171208.0000.00_6.0_global_5b06774c6e.tgz", &n), 0);
	ck_assert_int_eq(rf_pkgname_parse("x_in_eea_images_1.0_20210315.0000.00_10.0_in_1a2b3c4d5e.tgz", &n), 0);
	ck_assert_int_eq(rf_pkgname_parse("x_global_global_images_1.0_20210315.0000.00_10.0_global_1a2b3c4d5e.tgz", &n), 0);
}
END_TEST

START_TEST(test_recovery_regions)
{
	recovery("miui_MI3WMI4WGlobal_7.12.8_7d3da38965_6.0.zip", "", "MI3WMI4WGlobal",
		 "global", "7.12.8", "7d3da38965");
	recovery("miui_REDMINOTE8PROINGlobal_V12.0.5.0.QGGINXM_5c0e1c8d1f_10.0.zip", "",
		 "REDMINOTE8PROINGlobal", "in", "V12.0.5.0.QGGINXM", "5c0e1c8d1f");
	recovery("miui_MI9EEAGlobal_V12.5.1.0.RFAEUXM_0a1b2c3d4e_11.0.zip.part", "",
		 "MI9EEAGlobal", "eea", "V12.5.1.0.RFAEUXM", "0a1b2c3d4e");
	ck_assert_int_eq(n.partial, 1);
	ck_assert_msg(strstr(n.note, "unfinished download (.part)") != NULL, "%s", n.note);
	recovery("miui_MIMAX2RUGlobal_V11.0.2.0.NDDRUXM_1111111111_7.1.zip", "", "MIMAX2RUGlobal",
		 "ru", "V11.0.2.0.NDDRUXM", "1111111111");
	recovery("miui_MI3WMI4W_7.3.23_29ce21e245_6.0.zip", "", "MI3WMI4W", "cn", "7.3.23",
		 "29ce21e245");
	/* HyperOS full OTA packages */
	recovery("popsicle-ota_full-OS2.0.112.0.VOBCNXM-user-15.0-c3c8ab5d5f.zip", "popsicle",
		 "popsicle", "cn", "OS2.0.112.0.VOBCNXM", "c3c8ab5d5f");
	recovery("marble_global-ota_full-OS1.0.5.0.UMRMIXM-user-14.0-5a5c0b0c6b.zip", "marble",
		 "marble_global", "global", "OS1.0.5.0.UMRMIXM", "5a5c0b0c6b");
	recovery("sheng_eea_global-ota_full-OS1.0.4.0.UNXEUXM-user-14.0-abcdef0123.zip", "sheng",
		 "sheng_eea_global", "eea", "OS1.0.4.0.UNXEUXM", "abcdef0123");
	ck_assert_int_eq(rf_pkgname_parse("marble-ota_full-OS1.0.5.0.UMRMIXM-eng-14.0-5a5c0b0c6b.zip", &n), 0);
	ck_assert_int_eq(rf_pkgname_parse("marble_eea-ota_full-OS1.0.5.0.UMRMIXM-user-14.0-5a5c0b0c6b.zip", &n), 0);
}
END_TEST

START_TEST(test_browser_copies)
{
	fastboot("cancro_global_images_7.12.8_20171208.0000.00_6.0_global_5b06774c6e (1).tgz",
		 "cancro", "global", "5b06774c6e", "cancro_global_images_7.12.8_20171208.0000.00_6.0_global");
	ck_assert_msg(strstr(n.note, "renamed (\" (1)\")") != NULL, "%s", n.note);
	ck_assert_int_eq(n.partial, 0);
	fastboot("cancro_global_images_7.12.8_20171208.0000.00_6.0_global_5b06774c6e(12).tgz",
		 "cancro", "global", "5b06774c6e", "cancro_global_images_7.12.8_20171208.0000.00_6.0_global");
	fastboot("cancro_global_images_7.12.8_20171208.0000.00_6.0_global_5b06774c6e.tgz.crdownload",
		 "cancro", "global", "5b06774c6e", "cancro_global_images_7.12.8_20171208.0000.00_6.0_global");
	ck_assert_int_eq(n.partial, 1);
	recovery("miui_MI3WMI4WGlobal_7.12.8_7d3da38965_6.0 (2).zip", "", "MI3WMI4WGlobal",
		 "global", "7.12.8", "7d3da38965");
	/* "(x)" is no copy number */
	ck_assert_int_eq(rf_pkgname_parse("cancro_global_images_7.12.8_20171208.0000.00_6.0_global_5b06774c6e (x).tgz", &n), 0);
}
END_TEST

static Suite *pkgname_suite(void)
{
	Suite *s = suite_create("pkgname");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_fastboot_regions);
	tcase_add_test(tc, test_recovery_regions);
	tcase_add_test(tc, test_browser_copies);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(pkgname_suite());
	int failed;
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
