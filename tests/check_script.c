/* The flash-script interpreter: every dialect form of the SPEC, both
 * outcomes of checks, .sh/.bat agreement, and refusals with FILE:LINE. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "regex.h"
#include "script.h"
#include "steps.h"

static char err[RF_ERRLEN];

static int parse(const char *file, const char *text, struct rf_steplist *l)
{
	memset(l, 0, sizeof *l);
	err[0] = 0;
	return rf_script_parse(file, text, strlen(text), rf_script_dialect(file),
			       NULL, l, NULL, err);
}

#define IMG "`dirname $0`/images/"

START_TEST(test_grep)
{
	ck_assert_int_eq(rf_grep_match("^product: *MSM8974$", RF_RE_BASIC, "product: MSM8974"), 1);
	ck_assert_int_eq(rf_grep_match("^product: *MSM8974$", RF_RE_BASIC, "product:MSM8974"), 1);
	ck_assert_int_eq(rf_grep_match("^product: *MSM8974$", RF_RE_BASIC, "product: MSM8974pro"), 0);
	ck_assert_int_eq(rf_grep_match("^product: *MSM8974", RF_RE_BASIC, "product: MSM8974pro"), 1);
	ck_assert_int_eq(rf_grep_match("^product: *MSM8974$", RF_RE_BASIC, "xproduct: MSM8974"), 0);
	ck_assert_int_eq(rf_grep_match("^board_version: *5.[0-9]", RF_RE_BASIC, "board_version: 5.3"), 1);
	ck_assert_int_eq(rf_grep_match("^board_version: *5.[0-9]", RF_RE_BASIC, "board_version: 5.x"), 0);
	ck_assert_int_eq(rf_grep_match("^board_version: *4.4", RF_RE_BASIC, "board_version: 4.4"), 1);
	ck_assert_int_eq(rf_grep_match("[^0-9]x", RF_RE_BASIC, "1x"), 0);
	ck_assert_int_eq(rf_grep_match("[^0-9]x", RF_RE_BASIC, "ax"), 1);
	ck_assert_int_eq(rf_grep_match("a.*z$", RF_RE_BASIC, "xxabcz"), 1);
	ck_assert_int_eq(rf_grep_match("crc: 1", RF_RE_BASIC, "crc: 1"), 1);
	ck_assert_int_eq(rf_grep_match("^crc: 1", RF_RE_BASIC, "crc: 0"), 0);
	ck_assert_int_eq(rf_grep_match("a\\.b", RF_RE_BASIC, "axb"), 0);
	ck_assert_int_eq(rf_grep_match("a\\.b", RF_RE_BASIC, "a.b"), 1);
	ck_assert_int_eq(rf_grep_match("^x", RF_RE_BASIC, "y\nx"), 1); /* line by line */
	ck_assert_int_eq(rf_grep_match("[abc", RF_RE_BASIC, "a"), -1);
}
END_TEST

START_TEST(test_modern)
{
	const char *s =
		"fastboot $* getvar product 2>&1 | grep \"^product: *MSM8974$\"\n"
		"if [ $? -ne 0 ] ; then echo \"Missmatching image and device\"; exit 1; fi\n"
		"CURRENT_ANTI_VER=2\n"
		"ver=`fastboot $* getvar anti 2>&1 | grep -oP \"anti: \\K[0-9]+\"`\n"
		"if [ -z \"$ver\" ]; then ver=0; fi\n"
		"if [ $ver -gt $CURRENT_ANTI_VER ]; then echo \"too new\"; exit 1; fi\n"
		"fastboot $* getvar crc 2>&1 | grep \"^crc: 1\"\n"
		"if [ $? -eq 0 ]; then\n"
		"    fastboot $* flash crclist " IMG "crclist.txt\n"
		"    if [ $? -ne 0 ] ; then echo \"Flash crclist error\"; exit 1; fi\n"
		"fi\n"
		"fastboot $* flash tz " IMG "tz.mbn\n"
		"if [ $? -ne 0 ] ; then echo \"Flash tz error\"; exit 1; fi\n"
		"fastboot $* erase boot\n"
		"fastboot $* flash system $(dirname $0)/images/system.img # comment\n"
		"fastboot $* oem lock\n"
		"fastboot $* set_active a\n"
		"fastboot $* reboot\n";
	struct rf_steplist l;
	ck_assert_msg(parse("flash_all.sh", s, &l) == 0, "%s", err);
	ck_assert_uint_eq(l.n, 9);
	ck_assert_int_eq(l.v[0].op, RF_OP_GETVAR_CHECK);
	ck_assert_str_eq(l.v[0].var, "product");
	ck_assert_str_eq(l.v[0].pattern, "^product: *MSM8974$");
	ck_assert_int_eq(l.v[0].must_match, 1);
	ck_assert_str_eq(l.v[0].message, "Missmatching image and device");
	ck_assert_str_eq(l.v[0].src, "flash_all.sh:1");
	ck_assert_int_eq(l.v[1].op, RF_OP_ANTI_CHECK);
	ck_assert_uint_eq(l.v[1].anti_max, 2);
	ck_assert_int_eq(l.v[2].op, RF_OP_CRC_FLASH);
	ck_assert_str_eq(l.v[2].partition, "crclist");
	ck_assert_str_eq(l.v[2].image, "images/crclist.txt");
	ck_assert_str_eq(l.v[2].var, "crc");
	ck_assert_int_eq(l.v[3].op, RF_OP_FLASH);
	ck_assert_str_eq(l.v[3].image, "images/tz.mbn");
	ck_assert_str_eq(l.v[3].src, "flash_all.sh:12");
	ck_assert_int_eq(l.v[4].op, RF_OP_ERASE);
	ck_assert_str_eq(l.v[5].image, "images/system.img");
	ck_assert_int_eq(l.v[6].op, RF_OP_OEM);
	ck_assert_str_eq(l.v[6].arg, "lock");
	ck_assert_int_eq(l.v[7].op, RF_OP_SET_ACTIVE);
	ck_assert_str_eq(l.v[7].arg, "a");
	ck_assert_int_eq(l.v[8].op, RF_OP_REBOOT);

	/* evaluation against the phone's answers */
	ck_assert_int_eq(rf_step_eval(&l.v[0], "MSM8974"), 1);
	ck_assert_int_eq(rf_step_eval(&l.v[0], "MSM8226"), 0);
	ck_assert_int_eq(rf_step_eval(&l.v[0], ""), 0);
	ck_assert_int_eq(rf_step_eval(&l.v[1], ""), 1);
	ck_assert_int_eq(rf_step_eval(&l.v[1], "2"), 1);
	ck_assert_int_eq(rf_step_eval(&l.v[1], "3"), 0);
	ck_assert_int_eq(rf_step_eval(&l.v[2], "1"), 1);
	ck_assert_int_eq(rf_step_eval(&l.v[2], "0"), 0);
	rf_steplist_free(&l);
}
END_TEST

START_TEST(test_repartition)
{
	const char *s =
		"fastboot $* getvar product 2>&1 | grep \"^product: *MSM8974$\"\n"
		"if [ $? -ne 0 ] ; then echo \"Missmatching image and device\"; exit 1; fi\n"
		"fastboot $* getvar board_version 2>&1 | grep \"^board_version: *4.4\"\n"
		"if [ $? -eq 0 ] ; then echo \"Missmatching board version\"; exit 1; fi\n"
		"fastboot $* getvar soc-id 2>&1 | grep \"^soc-id: *126\"\n"
		"if [ $? -ne 0 ]; then\n"
		"    echo \"wrong soc\"\n"
		"    exit 1\n"
		"fi\n"
		"\n"
		"fastboot $* flash partition " IMG "gpt_both0.bin\n"
		"if [ $? -ne 0 ] ; then echo \"Flash partition error\"; exit 1; fi\n"
		"fastboot $* reboot-bootloader\n"
		"sleep 5\n"
		"fastboot $* erase DDR\n"
		"fastboot $* flash modem+modem1 " IMG "NON-HLOS.bin\n"
		"fastboot $* boot " IMG "recovery.img\n";
	struct rf_steplist l;
	ck_assert_msg(parse("flash_all.sh", s, &l) == 0, "%s", err);
	ck_assert_uint_eq(l.n, 8);
	ck_assert_int_eq(l.v[1].op, RF_OP_GETVAR_CHECK);
	ck_assert_int_eq(l.v[1].must_match, 0);
	ck_assert_int_eq(rf_step_eval(&l.v[1], "4.4"), 0);
	ck_assert_int_eq(rf_step_eval(&l.v[1], "3.0"), 1);
	ck_assert_str_eq(l.v[2].var, "soc-id");
	ck_assert_str_eq(l.v[2].message, "wrong soc");
	ck_assert_str_eq(l.v[3].partition, "partition");
	ck_assert_int_eq(l.v[4].op, RF_OP_REBOOT_BOOTLOADER);
	ck_assert_uint_eq(l.v[4].sleep_s, 5);
	ck_assert_str_eq(l.v[5].partition, "DDR");
	ck_assert_str_eq(l.v[6].partition, "modem+modem1");
	ck_assert_int_eq(l.v[7].op, RF_OP_BOOT);
	ck_assert_str_eq(l.v[7].image, "images/recovery.img");
	rf_steplist_free(&l);
}
END_TEST

static const char *SH_TWIN =
	"fastboot $* getvar product 2>&1 | grep \"^product: *MSM8974$\"\n"
	"if [ $? -ne 0 ] ; then echo \"Missmatching image and device\"; exit 1; fi\n"
	"fastboot $* getvar board_version 2>&1 | grep \"^board_version: *5.[0-9]\"\n"
	"if [ $? -eq 0 ] ; then echo \"Missmatching board version\"; exit 1; fi\n"
	"CURRENT_ANTI_VER=1\n"
	"ver=`fastboot $* getvar anti 2>&1 | grep -oP \"anti: \\K[0-9]+\"`\n"
	"if [ -z \"$ver\" ]; then ver=0; fi\n"
	"if [ $ver -gt $CURRENT_ANTI_VER ]; then echo \"x\"; exit 1; fi\n"
	"fastboot $* getvar crc 2>&1 | grep \"^crc: 1\"\n"
	"if [ $? -eq 0 ]; then\n"
	"fastboot $* flash crclist " IMG "crclist.txt\n"
	"fi\n"
	"fastboot $* flash system+system1 " IMG "system.img\n"
	"fastboot $* reboot-bootloader\n"
	"sleep 5\n"
	"fastboot $* reboot\n";

static const char *BAT_TWIN =
	"@echo off\r\n"
	"rem a comment\r\n"
	"fastboot %* getvar product 2>&1 | findstr /r /c:\"^product: *MSM8974\" || echo Missmatching image and device\r\n"
	"fastboot %* getvar product 2>&1 | findstr /r /c:\"^product: *MSM8974\" || exit /B 1\r\n"
	"fastboot %* getvar board_version 2>&1 | findstr /r /c:\"^board_version: *5.[0-9]\" && echo Missmatching board version\r\n"
	"fastboot %* getvar board_version 2>&1 | findstr /r /c:\"^board_version: *5.[0-9]\" && exit /B 1\r\n"
	"set CURRENT_ANTI_VER=1\r\n"
	"for /f \"tokens=2 delims=: \" %%i in ('fastboot %* getvar anti 2^>^&1 ^| findstr /r /c:\"anti:\"') do (set version=%%i)\r\n"
	"if [%version%] EQU [] set version=0\r\n"
	"if %version% GTR %CURRENT_ANTI_VER% (\r\n"
	"    echo x\r\n"
	"    exit /B 1\r\n"
	")\r\n"
	"fastboot %* getvar crc 2>&1 | findstr /r /c:\"^crc: 1\"\r\n"
	"if %errorlevel% equ 0 (\r\n"
	"    fastboot %* flash crclist %~dp0images\\crclist.txt || @echo \"Flash crclist error\" && exit /B 1\r\n"
	")\r\n"
	"fastboot %* flash system+system1 %~dp0images\\system.img || @echo \"Flash system error\" && exit /B 1\r\n"
	"fastboot %* reboot-bootloader\r\n"
	"ping -n 6 127.0.0.1 >nul\r\n"
	"fastboot %* reboot\r\n";

START_TEST(test_bat_twin)
{
	struct rf_steplist a, b;
	char diff[256];
	ck_assert_msg(parse("flash_all.sh", SH_TWIN, &a) == 0, "%s", err);
	ck_assert_msg(parse("flash_all.bat", BAT_TWIN, &b) == 0, "%s", err);
	ck_assert_uint_eq(a.n, 7);
	ck_assert_int_eq(rf_steps_compare(&a, &b, diff, sizeof diff), 0);
	ck_assert_str_eq(b.v[0].message, "Missmatching image and device");
	ck_assert_str_eq(b.v[4].image, "images/system.img");
	ck_assert_str_eq(b.v[2].src, "flash_all.bat:10");
	/* a difference is reported */
	strcpy(b.v[4].partition, "system");
	ck_assert_int_eq(rf_steps_compare(&a, &b, diff, sizeof diff), 1);
	ck_assert_msg(strstr(diff, "step 5") != NULL, "%s", diff);
	b.n--;
	strcpy(b.v[4].partition, "system+system1");
	ck_assert_int_eq(rf_steps_compare(&a, &b, diff, sizeof diff), 1);
	rf_steplist_free(&a);
	rf_steplist_free(&b);
}
END_TEST

static void expect_fail(const char *file, const char *text, const char *want)
{
	struct rf_steplist l;
	int rc = parse(file, text, &l);
	ck_assert_msg(rc == RF_EFORMAT, "accepted: %s", text);
	ck_assert_msg(strstr(err, want) != NULL, "error '%s' lacks '%s'", err, want);
	ck_assert_uint_eq(l.n, 0);
	rf_steplist_free(&l);
}

START_TEST(test_refusals)
{
	expect_fail("flash_all.sh", "fastboot $* flash boot " IMG "boot.img\nrm -rf /\n",
		    "flash_all.sh:2: unsupported: rm -rf /");
	expect_fail("flash_all.sh", "fastboot $* flash boot " IMG "boot.img\n"
		    "  fastboot $* oem edl\n", "flash_all.sh:2: unsupported: fastboot $* oem edl");
	expect_fail("flash_all.sh", "", "empty");
	expect_fail("flash_all.sh", "# only a comment\n\n", "empty");
	expect_fail("flash_all.sh", "echo hi\n", "does nothing");
	expect_fail("flash_all.sh", "fastboot $* flash boot /abs/boot.img\n", ":1: unsupported");
	expect_fail("flash_all.sh", "fastboot $* flash boot `dirname $0`/../boot.img\n",
		    ":1: unsupported");
	expect_fail("flash_all.sh", "fastboot $* flash boot images/boot.img\n", ":1: unsupported");
	expect_fail("flash_all.sh", "fastboot $* flash boot " IMG "boot.img; fastboot $* -w\n",
		    ":1: unsupported");
	expect_fail("flash_all.sh", "fastboot $* reboot-bootloader\nsleep 601\n",
		    ":2: unsupported");
	expect_fail("flash_all.sh", "sleep x\nfastboot $* reboot\n", ":1: unsupported");
	/* a check whose body does something else */
	expect_fail("flash_all.sh",
		    "fastboot $* getvar product 2>&1 | grep \"^product: *X\"\n"
		    "if [ $? -ne 0 ] ; then fastboot $* erase boot; fi\n", ":2: unsupported");
	/* if without fi */
	expect_fail("flash_all.sh",
		    "fastboot $* getvar crc 2>&1 | grep \"^crc: 1\"\nif [ $? -eq 0 ]; then\n"
		    "fastboot $* flash crclist " IMG "crclist.txt\n", "without `fi`");
	/* only flashes and erases depend on the phone's answer */
	expect_fail("flash_all.sh",
		    "fastboot $* getvar crc 2>&1 | grep \"^crc: 1\"\nif [ $? -eq 0 ]; then\n"
		    "fastboot $* reboot\nfi\n", ":3: only flash and erase may depend");
	/* a block on a mismatch is no real form */
	expect_fail("flash_all.sh",
		    "fastboot $* getvar crc 2>&1 | grep \"^crc: 1\"\nif [ $? -ne 0 ]; then\n"
		    "fastboot $* erase boot\nfi\n", ":2: unsupported");
	/* an anti check against the package's value but no phone value */
	expect_fail("flash_all.sh", "CURRENT_ANTI_VER=1\nif [ $ver -gt $CURRENT_ANTI_VER ]; "
		    "then echo x; exit 1; fi\nfastboot $* reboot\n", ":2: unsupported");
	expect_fail("flash_all.sh", "exit 1\n", ":1: unsupported");
	expect_fail("flash_all.sh", "fastboot $* flash boot \"" IMG "boot.img\n", ":1: unsupported");
	expect_fail("flash_all.bat", "fastboot %* flash boot %~dp0images\\boot.img\r\ndel /q *\r\n",
		    "flash_all.bat:2: unsupported: del /q *");
	expect_fail("flash_all.bat", "fastboot %* flash boot %~dp0images\\boot.img && echo ok\r\n",
		    ":1: unsupported");
}
END_TEST

START_TEST(test_forms)
{
	struct rf_steplist l;
	/* exit 0 ends the script; comments and shebang ignored; both $(...) forms */
	ck_assert_msg(parse("f.sh", "#!/bin/sh\n# x\nfastboot $* flash boot "
			    "\"$(dirname \"$0\")/images/boot.img\"\nexit 0\nrm -rf /\n",
			    &l) == 0, "%s", err);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_str_eq(l.v[0].image, "images/boot.img");
	rf_steplist_free(&l);
	/* without $* */
	ck_assert_msg(parse("f.sh", "fastboot flash boot " IMG "boot.img\n", &l) == 0,
		      "%s", err);
	rf_steplist_free(&l);
	/* a check inside a multi-line block followed by steps */
	ck_assert_msg(parse("f.bat", "fastboot %* flash boot %~dp0images/boot.img\r\n"
			    "if %errorlevel% neq 0 (\r\necho Flash boot error\r\nexit /B 1\r\n)\r\n"
			    "fastboot %* reboot-bootloader\r\ntimeout /t 3 /nobreak >nul\r\n", &l) == 0,
		      "%s", err);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_uint_eq(l.v[1].sleep_s, 3);
	rf_steplist_free(&l);
}
END_TEST

static Suite *script_suite(void)
{
	Suite *s = suite_create("script");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_grep);
	tcase_add_test(tc, test_modern);
	tcase_add_test(tc, test_repartition);
	tcase_add_test(tc, test_bat_twin);
	tcase_add_test(tc, test_refusals);
	tcase_add_test(tc, test_forms);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(script_suite());
	int failed;
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
