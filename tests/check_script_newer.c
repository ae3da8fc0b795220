/* The forms of later Xiaomi packages (issue 12): grep -E, the anti-rollback
 * value read from images/anti_version.txt, security-patch checks, the
 * MediaTek SCRIPT_PATH/handle_error/rollback_ver forms, set -e, if/elif/else
 * over package and phone tests, partition-type conditions, format, delays,
 * and the .bat forms of the same (ping, pause, goto, for /f, Get-Date).
 * Each with its refusals, and the steps decided against phone answers. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "regex.h"
#include "script_env.h"
#include "steps.h"

#define IMG "`dirname $0`/images/"

static const struct fake_file pkg_anti2[] = {
	{ "images/anti_version.txt", "2\n" },
	{ "images/platform_security_patch.txt", "2025-11-01\n" },
	{ NULL, NULL },
};

static void ok(const char *file, const char *text, struct rf_steplist *l)
{
	int rc = fake_parse(file, text, l);
	ck_assert_msg(rc == 0, "%s: %s", file, fake_err);
}

static void refused(const char *file, const char *text, const char *want)
{
	struct rf_steplist l;
	ck_assert_msg(fake_parse(file, text, &l) == RF_EFORMAT, "accepted: %s", text);
	ck_assert_msg(strstr(fake_err, want) != NULL, "'%s' lacks '%s'", fake_err, want);
	ck_assert_uint_eq(l.n, 0);
	rf_steplist_free(&l);
}

START_TEST(test_regex)
{
	const enum rf_re_flavor E = RF_RE_EXTENDED, B = RF_RE_BASIC;
	ck_assert_int_eq(rf_grep_match("^product: *MSM8953$|^product: *mido$", E, "product: mido"), 1);
	ck_assert_int_eq(rf_grep_match("^product: *MSM8953$|^product: *mido$", E, "product: MSM8953"), 1);
	ck_assert_int_eq(rf_grep_match("^product: *MSM8953$|^product: *mido$", E, "product: midox"), 0);
	ck_assert_int_eq(rf_grep_match("^product: *(piano|pipa)$", E, "product: pipa"), 1);
	ck_assert_int_eq(rf_grep_match("^v: [0-9]+\\.[0-9]?$", E, "v: 12."), 1);
	ck_assert_int_eq(rf_grep_match("^v: [0-9]+$", E, "v: "), 0);
	ck_assert_int_eq(rf_grep_match("^a{2,3}$", E, "aaa"), 1);
	ck_assert_int_eq(rf_grep_match("^a{2,3}$", E, "aaaa"), 0);
	ck_assert_int_eq(rf_grep_match("^x[[:digit:]]+$", E, "x42"), 1);
	/* basic: + ? | are ordinary characters */
	ck_assert_int_eq(rf_grep_match("a+b", B, "a+b"), 1);
	ck_assert_int_eq(rf_grep_match("a+b", B, "aab"), 0);
	ck_assert_int_eq(rf_grep_match("a|b", B, "a"), 0);
	/* a '*' first is literal in basic, an error in extended */
	ck_assert_int_eq(rf_grep_match("*x", B, "a*x"), 1);
	ck_assert_int_eq(rf_grep_match("*x", E, "a*x"), -1);
	/* GNU's backslash operators are refused, not guessed */
	ck_assert_int_eq(rf_re_valid("a\\wb", B), 0);
	ck_assert_int_eq(rf_re_valid("\\(a\\)", B), 0);
	ck_assert_int_eq(rf_re_valid("[[:nonsense:]]", B), 0);
	ck_assert_int_eq(rf_re_valid("(a", E), 0);
	/* a pattern that would take forever is malformed */
	ck_assert_int_eq(rf_grep_match("(a*)*(a*)*(a*)*b", E,
					"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), -1);
	/* the same pattern written for findstr and for grep -E */
	ck_assert(rf_re_same("^product: *piano", E, "^product: *piano", B));
	ck_assert(rf_re_same("^product: *lancelot$", E, "^product: *lancelot", B));
	ck_assert(!rf_re_same("^a+", E, "^a+", B));
}
END_TEST

/* The anti-rollback value from images/anti_version.txt (piano, popsicle). */
static const char *ANTI_FILE =
	"fastboot $* getvar product 2>&1 | grep -E  \"^product: *piano\"\n"
	"if [ $? -ne 0  ] ; then echo \"Missmatching image and device\"; exit 1; fi\n"
	"if [ -e $(dirname $0)/images/anti_version.txt ]; then\n"
	"CURRENT_ANTI_VER=`cat $(dirname $0)/images/anti_version.txt`\n"
	"fi\n"
	"if [ -z \"$CURRENT_ANTI_VER\" ]; then CURRENT_ANTI_VER=0; fi\n"
	"ver=`fastboot $* getvar anti 2>&1 | grep -oP \"anti: \\K[0-9]+\"`\n"
	"if [ -z \"$ver\" ]; then ver=0; fi\n"
	"if [ $ver -gt $CURRENT_ANTI_VER ]; then echo \"too new\"; exit 1; fi\n"
	"fastboot $* flash boot_ab " IMG "boot.img\n";

START_TEST(test_anti_file)
{
	struct rf_steplist l;
	static const struct fake_file multi[] = { { "images/anti_version.txt", "1\n2\n" },
						   { NULL, NULL } };
	static const struct fake_file binary[] = { { "images/anti_version.txt", NULL },
						    { NULL, NULL } };
	fake_pkg = pkg_anti2;
	ok("flash_all.sh", ANTI_FILE, &l);
	ck_assert_uint_eq(l.n, 3);
	ck_assert_int_eq(l.v[0].op, RF_OP_GETVAR_CHECK);
	ck_assert_int_eq(l.v[0].flavor, RF_RE_EXTENDED);
	ck_assert(fake_info.flags & RF_SCRIPT_CHECKS_PRODUCT);
	ck_assert_int_eq(l.v[1].op, RF_OP_ANTI_CHECK);
	ck_assert_str_eq(l.v[1].var, "anti");
	ck_assert_uint_eq(l.v[1].anti_max, 2);
	ck_assert_str_eq(l.v[1].value_src, "images/anti_version.txt");
	ck_assert_str_eq(l.v[1].message, "too new");
	ck_assert_int_eq(rf_step_eval(&l.v[1], "2"), 1);
	ck_assert_int_eq(rf_step_eval(&l.v[1], "3"), 0);
	ck_assert_int_eq(rf_step_eval(&l.v[1], ""), 1);
	rf_steplist_free(&l);
	/* no file: the script's default, from its own line */
	fake_pkg = NULL;
	ok("flash_all.sh", ANTI_FILE, &l);
	ck_assert_uint_eq(l.v[1].anti_max, 0);
	ck_assert_str_eq(l.v[1].value_src, "flash_all.sh:6");
	ck_assert_int_eq(rf_step_eval(&l.v[1], "1"), 0);
	rf_steplist_free(&l);
	fake_pkg = multi;
	refused("flash_all.sh", ANTI_FILE, "flash_all.sh:4: images/anti_version.txt has more than one line");
	fake_pkg = binary;
	refused("flash_all.sh", ANTI_FILE, "not a small text file");
	fake_pkg = NULL;
}
END_TEST

static const char *PATCH_SH =
	"fastboot $* getvar product 2>&1 | grep -E \"^product: *piano\"\n"
	"if [ $? -ne 0 ] ; then echo \"Missmatching image and device\"; exit 1; fi\n"
	"if [ -e $(dirname $0)/images/platform_security_patch.txt ]; then\n"
	"PACKAGE_SECURITY_PATCH_LEVEL_VER=`cat $(dirname $0)/images/platform_security_patch.txt`\n"
	"SECURITY_PATCH_LEVEL_VER=$(date -d \"$PACKAGE_SECURITY_PATCH_LEVEL_VER\" +%s);\n"
	"fi\n"
	"ver_string=`fastboot $* getvar security-patch-level 2>&1 | grep -oP \"security-patch-level: \\K\\d+(-\\d+)*\"`\n"
	"if [ -z \"$ver_string\" ]; then ver=0;\n"
	"else\n"
	"ver=$(date -d \"$ver_string\" +%s);\n"
	"fi\n"
	"if [ $ver -gt $SECURITY_PATCH_LEVEL_VER ]; then\n"
	"echo \"Current device security patch level version($ver_string) is greater\";\n"
	"exit 1;\n"
	"fi\n"
	"fastboot $* reboot\n";

static const char *PATCH_BAT =
	"fastboot %* getvar product 2>&1 | findstr /r /c:\"^product: *piano\" || echo Missmatching image and device\r\n"
	"fastboot %* getvar product 2>&1 | findstr /r /c:\"^product: *piano\" || exit /B 1\r\n"
	"::check security patch level\r\n"
	"if exist \"%~dp0images\\platform_security_patch.txt\" (for /f \"usebackq\" %%a in (\"%~dp0images\\platform_security_patch.txt\") do (set PACKAGE_SECURITY_PATCH_LEVEL_VER=%%a))\r\n"
	"for /f \"delims=\" %%a in ('powershell -Command \"$dateString = '%PACKAGE_SECURITY_PATCH_LEVEL_VER%'; $date = Get-Date $dateString; ($date - (Get-Date '1970-01-01')).TotalSeconds\"') do set \"SECURITY_PATCH_LEVEL_VER=%%a\"\r\n"
	"for /f \"tokens=2 delims=: \" %%i in ('fastboot %* getvar security-patch-level 2^>^&1 ^| findstr /r /c:\"security-patch-level:\"') do (set ver_string=%%i)\r\n"
	"if [%ver_string%] EQU [] (\r\n"
	"    set ver=0\r\n"
	") else (\r\n"
	"    for /f \"delims=\" %%a in ('powershell -Command \"$dateString = '%ver_string%'; $date = Get-Date $dateString; ($date - (Get-Date '1970-01-01')).TotalSeconds\"') do set \"ver=%%a\"\r\n"
	")\r\n"
	"set secpatchlevelcheck=\"security patch level check pass\"\r\n"
	"if %ver% GTR %SECURITY_PATCH_LEVEL_VER% set secpatchlevelcheck=\"Current device security patch level is greater\"\r\n"
	"echo %secpatchlevelcheck% | findstr /r /c:\"pass\" || @echo \"secpatchlevelcheck check error\" && exit /B 1\r\n"
	"fastboot %* reboot || @echo \"Reboot error\" && exit /B 1\r\n";

START_TEST(test_patch_level)
{
	struct rf_steplist l, b;
	char diff[256];
	fake_pkg = pkg_anti2;
	ok("flash_all_except_storage.sh", PATCH_SH, &l);
	ck_assert_uint_eq(l.n, 3);
	ck_assert_int_eq(l.v[1].op, RF_OP_PATCH_CHECK);
	ck_assert_str_eq(l.v[1].var, "security-patch-level");
	ck_assert_str_eq(l.v[1].arg, "2025-11-01");
	ck_assert_str_eq(l.v[1].value_src, "images/platform_security_patch.txt");
	ck_assert_int_eq(rf_step_eval(&l.v[1], "2025-10-05"), 1);
	ck_assert_int_eq(rf_step_eval(&l.v[1], "2025-11-01"), 1);
	ck_assert_int_eq(rf_step_eval(&l.v[1], "2025-12-01"), 0);
	ck_assert_int_eq(rf_step_eval(&l.v[1], ""), 1);       /* ver=0 */
	ck_assert_int_eq(rf_step_eval(&l.v[1], "2025-12"), -1); /* date -d refuses */
	/* the .bat twin says the same (Get-Date instead of date -d) */
	ok("flash_all_except_storage.bat", PATCH_BAT, &b);
	ck_assert_msg(rf_steps_compare(&l, &b, diff, sizeof diff) == 0, "%s", diff);
	rf_steplist_free(&l);
	rf_steplist_free(&b);
	/* a package without the file: `[ $ver -gt ]` is an error, never stops */
	fake_pkg = NULL;
	ok("flash_all_except_storage.sh", PATCH_SH, &l);
	ck_assert_uint_eq(l.n, 2);
	rf_steplist_free(&l);
	ok("flash_all_except_storage.bat", PATCH_BAT, &l);
	ck_assert_uint_eq(l.n, 2);
	rf_steplist_free(&l);
}
END_TEST

/* MediaTek packages: SCRIPT_PATH, a handle_error function, rollback_ver. */
START_TEST(test_mediatek)
{
	struct rf_steplist l;
	const char *s =
		"\necho \"cereus fastboot flash tools\"\n\n"
		"fastboot $* getvar product 2>&1 | grep -E \"^product: *lancelot$\"\n"
		"if [ $? -ne 0 ] ; then echo \"error : Missmatching image and device\"; exit 1; fi\n"
		"CURRENT_ANTI_VER=2\n"
		"version=`fastboot getvar rollback_ver 2>&1 | grep \"rollback_ver:\" | awk -F \": \" '{print $2}'`\n"
		"if [  \"${version}\"x == \"\"x ] ; then version=0 ; fi\n"
		"if [ ${version} -gt ${CURRENT_ANTI_VER} ] ; then  echo \"error : too new\" ; exit 1 ; fi\n"
		"SCRIPT_PATH=$(dirname $0)\n"
		"handle_error()\n{\n    echo $@\n    exit 2;\n}\n"
		"fastboot $* flash preloader ${SCRIPT_PATH}/images/preloader_cereus.bin || handle_error flash preloader error\n"
		"fastboot $* flash lk $SCRIPT_PATH/images/lk.img\n"
		"fastboot $* oem cdms\n"
		"fastboot $* oem lock\n\n"
		"fastboot $* reboot\nexit 0\n";
	ok("flash_all_lock.sh", s, &l);
	ck_assert_uint_eq(l.n, 7);
	ck_assert_int_eq(l.v[1].op, RF_OP_ANTI_CHECK);
	ck_assert_str_eq(l.v[1].var, "rollback_ver");
	ck_assert_uint_eq(l.v[1].anti_max, 2);
	ck_assert_str_eq(l.v[1].value_src, "flash_all_lock.sh:6");
	ck_assert_str_eq(l.v[2].image, "images/preloader_cereus.bin");
	ck_assert_int_eq(l.v[2].unchecked, 0); /* || handle_error */
	ck_assert_str_eq(l.v[3].image, "images/lk.img");
	ck_assert_int_eq(l.v[3].unchecked, 1);
	ck_assert_str_eq(l.v[4].arg, "cdms");
	ck_assert_int_eq(l.v[4].unchecked, 1);
	rf_steplist_free(&l);
	refused("f.sh", "fastboot $* flash lk " IMG "lk.img || not_a_function x\n",
		":1: unsupported");
	refused("f.sh", "h() {\n echo x\n fastboot $* erase boot\n}\n", ":3: unsupported");
	refused("f.sh", "fastboot $* oem edl\n", ":1: unsupported");
}
END_TEST

/* set -e: every failure stops the script, a grep that finds nothing too. */
START_TEST(test_errexit)
{
	struct rf_steplist l;
	ok("f.sh", "fastboot $* erase config\nset -o errexit\n"
	   "fastboot $* getvar product 2>&1 | grep \"^product: *land\"\n"
	   "fastboot $* erase cache\nfastboot $* format cache\nset +e\n"
	   "fastboot $* erase misc\n", &l);
	ck_assert_uint_eq(l.n, 5);
	ck_assert_int_eq(l.v[0].unchecked, 1);
	ck_assert_int_eq(l.v[1].op, RF_OP_GETVAR_CHECK);
	ck_assert_int_eq(l.v[1].must_match, 1);
	ck_assert_int_eq(l.v[2].unchecked, 0);
	ck_assert_int_eq(l.v[3].op, RF_OP_FORMAT);
	ck_assert_str_eq(l.v[3].partition, "cache");
	ck_assert_int_eq(l.v[3].unchecked, 0);
	ck_assert_int_eq(l.v[4].unchecked, 1);
	rf_steplist_free(&l);
	/* set -e and a getvar the phone may not know: a check on it */
	ok("f.sh", "set -e\nver=`fastboot $* getvar anti 2>&1 | grep -oP \"anti: \\K[0-9]+\"`\n"
	   "fastboot $* reboot\n", &l);
	ck_assert_int_eq(l.v[0].op, RF_OP_GETVAR_CHECK);
	ck_assert_int_eq(rf_step_eval(&l.v[0], ""), 0);
	ck_assert_int_eq(rf_step_eval(&l.v[0], "1"), 1);
	rf_steplist_free(&l);
	/* set -o errexit, then the usual `if [ $? -ne 0 ]` after the grep
	 * (latte): never runs; the grep's check takes its message */
	ok("f.sh", "set -o errexit\n\nfastboot $* getvar product 2>&1 | grep \"^product: *latte$\"\n"
	   "if [ $? -ne 0 ] ; then echo \"Missmatching image and device\"; exit 1; fi\n"
	   "fastboot $* format cache\n", &l);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_int_eq(l.v[0].op, RF_OP_GETVAR_CHECK);
	ck_assert_int_eq(l.v[0].must_match, 1);
	ck_assert_str_eq(l.v[0].message, "Missmatching image and device");
	ck_assert_str_eq(l.v[0].src, "f.sh:3");
	ck_assert_int_eq(l.v[1].op, RF_OP_FORMAT);
	rf_steplist_free(&l);
	/* ... but not its -eq twin: with set -e it ends every run */
	refused("f.sh", "set -e\nfastboot $* getvar product 2>&1 | grep \"^product: *x\"\n"
		"if [ $? -eq 0 ] ; then echo no; exit 1; fi\n", ":3: unsupported");
	ok("f.sh", "fastboot $* format:ext4 userdata\n", &l);
	ck_assert_str_eq(l.v[0].arg, "ext4");
	rf_steplist_free(&l);
	refused("f.sh", "fastboot $* format:btrfs userdata\n", ":1: unsupported");
	refused("f.sh", "set -u\nfastboot $* reboot\n", ":1: unsupported");
}
END_TEST

/* Steps that depend on the phone's answer, with an else branch. */
START_TEST(test_conditions)
{
	struct rf_steplist l;
	struct rf_answers a;
	const char *s =
		"fastboot $* getvar partition-type:opcust 2>&1 | grep \"^partition-type:opcust: raw\"\n"
		"if [ $? -eq 0 ]; then\n"
		"    fastboot $* erase opcust\n"
		"    if [ $? -ne 0 ] ; then echo \"Erase opcust error\"; exit 1; fi\n"
		"else\n"
		"    echo \"No partition opcust found, skip erase opcust\"\n"
		"fi\n"
		"fastboot $* getvar crc 2>&1 | grep \"^crc: 1\"\n"
		"if [ $? -eq 0 ]; then\n"
		"fastboot $* flash crclist " IMG "crclist.txt\n"
		"else\n"
		"fastboot $* erase crclist\n"
		"fi\n"
		"fastboot $* erase boot\n";
	ok("flash_all.sh", s, &l);
	ck_assert_uint_eq(l.n, 4);
	ck_assert_int_eq(l.v[0].op, RF_OP_ERASE);
	ck_assert_int_eq(l.v[0].cond, 1);
	ck_assert_int_eq(l.v[0].unchecked, 0);
	ck_assert_str_eq(l.v[0].var, "partition-type:opcust");
	ck_assert_int_eq(l.v[1].op, RF_OP_CRC_FLASH);
	ck_assert_int_eq(l.v[2].op, RF_OP_ERASE); /* the else: the other answer */
	ck_assert_int_eq(l.v[2].cond, 1);
	ck_assert_int_eq(l.v[2].must_match, 0);
	ck_assert_int_eq(l.v[3].cond, 0);
	memset(&a, 0, sizeof a);
	rf_answers_put(&a, "partition-type:opcust", "raw");
	rf_answers_put(&a, "crc", "0");
	ck_assert_int_eq(rf_step_runs(&l.v[0], &a), 1);
	ck_assert_int_eq(rf_step_runs(&l.v[1], &a), 0);
	ck_assert_int_eq(rf_step_runs(&l.v[2], &a), 1);
	ck_assert_int_eq(rf_step_runs(&l.v[3], &a), 1);
	rf_answers_put(&a, "partition-type:opcust", "");
	ck_assert_int_eq(rf_step_runs(&l.v[0], &a), 0);
	ck_assert_str_eq(rf_step_query(&l.v[0]), "partition-type:opcust");
	ck_assert_ptr_null(rf_step_query(&l.v[3]));
	rf_steplist_free(&l);
	/* a condition inside a condition */
	refused("f.sh", "fastboot $* getvar crc 2>&1 | grep \"^crc: 1\"\nif [ $? -eq 0 ]; then\n"
		"fastboot $* getvar x 2>&1 | grep \"^x: 1\"\nif [ $? -eq 0 ]; then\n"
		"fastboot $* erase a\nfi\nfi\n", ":4: a block that depends on getvar x");
}
END_TEST

/* if/elif/else decided by the package: only the taken branch counts, but
 * every branch must be understood. */
START_TEST(test_elif)
{
	struct rf_steplist l;
	static const struct fake_file pkg[] = { { "images/b.txt", "x" }, { NULL, NULL } };
	const char *s =
		"if [ -e `dirname $0`/images/a.txt ]; then\n"
		"fastboot $* erase a\n"
		"elif [ -f `dirname $0`/images/b.txt ]; then\n"
		"fastboot $* erase b\n"
		"else\n"
		"fastboot $* erase c\n"
		"fi\n";
	fake_pkg = pkg;
	ok("f.sh", s, &l);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_str_eq(l.v[0].partition, "b");
	rf_steplist_free(&l);
	fake_pkg = NULL;
	ok("f.sh", s, &l);
	ck_assert_str_eq(l.v[0].partition, "c");
	rf_steplist_free(&l);
	refused("f.sh", "if [ -e `dirname $0`/images/a.txt ]; then\nfastboot $* erase a\n"
		"else\nrm -rf /\nfi\n", ":4: unsupported: rm -rf /");
	refused("f.sh", "if [ -e /etc/passwd ]; then\nfastboot $* erase a\nfi\n",
		":1: unsupported");
}
END_TEST

/* Which failures the script checks. */
START_TEST(test_unchecked)
{
	struct rf_steplist l;
	ok("f.sh", "fastboot $* erase DDR\n"
	   "fastboot $* erase boot\nif [ $? -ne 0 ] ; then echo \"Erase boot error\"; exit 1; fi\n"
	   "fastboot $* flash tz " IMG "tz.mbn || exit 1\n"
	   "fastboot $* flash rpm " IMG "rpm.mbn\n", &l);
	ck_assert_int_eq(l.v[0].unchecked, 1);
	ck_assert_int_eq(l.v[1].unchecked, 0);
	ck_assert_int_eq(l.v[2].unchecked, 0);
	ck_assert_int_eq(l.v[3].unchecked, 1);
	rf_steplist_free(&l);
	ok("f.bat", "fastboot %* erase DDR\r\n"
	   "fastboot %* erase boot || @echo \"Erase boot error\"\r\n"
	   "fastboot %* erase misc || @echo \"Erase misc error\" && pause && exit /B 1\r\n", &l);
	ck_assert_int_eq(l.v[0].unchecked, 1);
	ck_assert_int_eq(l.v[1].unchecked, 1);
	ck_assert_int_eq(l.v[2].unchecked, 0);
	rf_steplist_free(&l);
}
END_TEST

/* Delays anywhere, and nothing after the phone has left fastboot mode. */
START_TEST(test_delays_reboot)
{
	struct rf_steplist l;
	ok("f.sh", "sleep 2\nfastboot $* erase a\nsleep 3\nsleep 1\nfastboot $* reboot-bootloader\n"
	   "sleep 5\nfastboot $* reboot\nsleep 5\necho done\n", &l);
	ck_assert_uint_eq(l.n, 3);
	ck_assert_uint_eq(l.v[0].sleep_s, 4);
	ck_assert_uint_eq(l.v[1].sleep_s, 5);
	ck_assert_uint_eq(l.v[2].sleep_s, 5);
	ck_assert_msg(strstr(fake_info.notes, "f.sh:1: a delay before the first") != NULL,
		      "%s", fake_info.notes);
	rf_steplist_free(&l);
	refused("f.sh", "fastboot $* reboot\nsleep 5\nfastboot $* format system\n",
		"f.sh:3: a fastboot command after the phone left fastboot mode");
	refused("f.sh", "fastboot $* boot " IMG "recovery.img\nfastboot $* erase a\n",
		"f.sh:2: a fastboot command after");
}
END_TEST

/* .bat forms: ping/timeout delays, pause, goto error, for /f over a file
 * written three ways, "&& if %errorlevel%", %~dp0\images. */
START_TEST(test_bat_forms)
{
	struct rf_steplist l, s;
	char diff[256];
	fake_pkg = pkg_anti2;
	const char *bat =
		"@echo off\r\n"
		"if exist %~dp0images\\anti_version.txt (for /f \"delims==\" %%a in (%~dp0images\\anti_version.txt) do (set CURRENT_ANTI_VER=%%a))\r\n"
		"if [%CURRENT_ANTI_VER%] EQU [] set CURRENT_ANTI_VER=0\r\n"
		"for /f \"tokens=2 delims=: \" %%i in ('fastboot %* getvar anti 2^>^&1 ^| findstr /r /c:\"anti:\"')  do (set version=%%i)\r\n"
		"if [%version%] EQU [] set version=0\r\n"
		"set anticheck=\"antirollback check pass\"\r\n"
		"if %version% GTR %CURRENT_ANTI_VER% set anticheck=\"Current device antirollback version is greater\"\r\n"
		"echo %anticheck% | findstr /r /c:\"pass\" || @echo \"Antirollback check error\" && exit /B 1\r\n"
		"fastboot %* getvar product 2>&1 | findstr /r /c:\"^product: *tanzanite\" || @echo \"error : Missmatching\" && pause && exit /B 1\r\n"
		"fastboot %* getvar crc 2>&1 | findstr /r /c:\"^crc: 1\" && if %errorlevel% equ 0 (\r\n"
		"fastboot %* flash crclist \"%~dp0images\\crclist.txt\"  || @echo \"Flash crclist error\" && goto error\r\n"
		")\r\n"
		"fastboot %* flash preloader_ab %~dp0\\images\\preloader.bin || @echo \"x\" && goto error\r\n"
		"fastboot %* reboot-bootloader\r\n"
		"ping 127.0.0.1 -n 5 -w 1000 > nul\r\n"
		"fastboot %* erase misc\r\n"
		"timeout /t 3 /nobreak >nul\r\n"
		"pause\r\n"
		"exit 0\r\n"
		":error\r\n"
		"pause\r\n"
		"exit /B 1\r\n";
	ok("flash_all.bat", bat, &l);
	ck_assert_uint_eq(l.n, 6);
	ck_assert_int_eq(l.v[0].op, RF_OP_ANTI_CHECK);
	ck_assert_uint_eq(l.v[0].anti_max, 2);
	ck_assert_str_eq(l.v[0].value_src, "images/anti_version.txt");
	ck_assert_str_eq(l.v[1].message, "error : Missmatching");
	ck_assert_int_eq(l.v[2].op, RF_OP_CRC_FLASH);
	ck_assert_str_eq(l.v[2].image, "images/crclist.txt");
	ck_assert_int_eq(l.v[2].unchecked, 0); /* goto error: exits */
	ck_assert_str_eq(l.v[3].image, "images/preloader.bin");
	ck_assert_uint_eq(l.v[4].sleep_s, 4); /* five pings, a second apart */
	ck_assert_uint_eq(l.v[5].sleep_s, 3);
	ck_assert(fake_info.flags & RF_SCRIPT_PAUSED);
	ck_assert_msg(strstr(fake_info.notes, "`pause` ignored") != NULL, "%s", fake_info.notes);
	/* its .sh twin: sleep 5 where the .bat pings 4 s is the same */
	ok("flash_all.sh",
	   "if [ -e $(dirname $0)/images/anti_version.txt ]; then\n"
	   "CURRENT_ANTI_VER=`cat $(dirname $0)/images/anti_version.txt`\nfi\n"
	   "ver=`fastboot $* getvar anti 2>&1 | grep -oP \"anti: \\K[0-9]+\"`\n"
	   "if [ $ver -gt $CURRENT_ANTI_VER ]; then echo x; exit 1; fi\n"
	   "fastboot $* getvar product 2>&1 | grep -E \"^product: *tanzanite$\"\n"
	   "if [ $? -ne 0 ] ; then echo \"error\"; exit 1; fi\n"
	   "fastboot $* getvar crc 2>&1 | grep \"^crc: 1\"\nif [ $? -eq 0 ]; then\n"
	   "fastboot $* flash crclist `dirname $0`/images/crclist.txt\nfi\n"
	   "fastboot $* flash preloader_ab `dirname $0`/images/preloader.bin\n"
	   "fastboot $* reboot-bootloader\nsleep 5\nfastboot $* erase misc\nsleep 3\n", &s);
	ck_assert_msg(rf_steps_compare(&s, &l, diff, sizeof diff) == 0, "%s", diff);
	/* a delay that differs by more than two seconds is a difference */
	s.v[4].sleep_s = 8;
	ck_assert_int_eq(rf_steps_compare(&s, &l, diff, sizeof diff), 1);
	ck_assert_msg(strstr(diff, "then 8s") != NULL, "%s", diff);
	rf_steplist_free(&l);
	rf_steplist_free(&s);
	fake_pkg = NULL;
	refused("f.bat", "fastboot %* erase a || @echo x && goto nowhere\r\n", ":1: unsupported");
	refused("f.bat", "fastboot %* erase a\r\ngoto x\r\n", ":2: unsupported");
	refused("f.bat", "ping 10.0.0.1 -n 5\r\n", ":1: unsupported");
	refused("f.bat", "set /p x=Continue?\r\n", ":1: unsupported");
	/* a for /f cut short (found by fuzzing: it read past the line) */
	refused("f.bat", "for /f \"tokens=2 delims=: \" %%i in (\r\n", ":1: unsupported");
}
END_TEST

/* A chained product check of a .bat (the Poco X3 form): each alternative
 * asks the phone again, so the line means "one of these products". */
START_TEST(test_bat_alternatives)
{
	static const char *const same[][2] = {
		{ "^product: *surya", "product:   surya" }, { "a+b", "a+b" }, { "a+b", "aab" },
		{ "x(1)", "x(1)" }, { "x|y", "x" }, { "*x", "a*x" }, { "^x*[+|]", "xx|" },
		{ "a$b", "a$b" }, { "a^b", "a^b" }, { "[+|]{2}", "|{2}" }, { "v\\.1", "v.1" },
		{ "v\\.1", "vx1" }, { "^b[^0-9]*$", "b12" },
	};
	const enum rf_re_flavor E = RF_RE_EXTENDED, B = RF_RE_BASIC;
	struct rf_steplist l, s;
	char diff[256], ere[128];

	ck_assert_int_eq(rf_re_to_extended("a+b(c)|d{2}", ere, sizeof ere), 0);
	ck_assert_str_eq(ere, "a\\+b\\(c\\)\\|d\\{2\\}");
	ck_assert_int_eq(rf_re_to_extended("*x^y$z$", ere, sizeof ere), 0);
	ck_assert_str_eq(ere, "\\*x\\^y\\$z$");
	ck_assert_int_eq(rf_re_to_extended("^x*[+|]\\.", ere, sizeof ere), 0);
	ck_assert_str_eq(ere, "^x*[+|]\\.");
	for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
		ck_assert_int_eq(rf_re_to_extended(same[i][0], ere, sizeof ere), 0);
		ck_assert_msg(rf_grep_match(same[i][0], B, same[i][1]) ==
			      rf_grep_match(ere, E, same[i][1]), "%s / %s on %s", same[i][0],
			      ere, same[i][1]);
	}
	ck_assert_int_eq(rf_re_to_extended("\\(", ere, sizeof ere), -1); /* not basic */
	ck_assert_int_eq(rf_re_to_extended("abcdef", ere, 4), -1);       /* no room */

	ok("flash_all.bat",
	   "fastboot %* getvar product 2>&1 | findstr /r /c:\"^product: *surya\" || fastboot %* "
	   "getvar product 2>&1 | findstr /r /c:\"^product: *karna\" || echo Missmatching image "
	   "and device\r\n"
	   "fastboot %* getvar product 2>&1 | findstr /r /c:\"^product: *surya\" || fastboot %* "
	   "getvar product 2>&1 | findstr /r /c:\"^product: *karna\" || exit /B 1\r\n"
	   "fastboot %* erase boot || @echo \"Erase boot error\" && exit /B 1\r\n", &l);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_int_eq(l.v[0].op, RF_OP_GETVAR_CHECK);
	ck_assert_str_eq(l.v[0].pattern, "^product: *surya|^product: *karna");
	ck_assert_int_eq(l.v[0].flavor, E);
	ck_assert_int_eq(l.v[0].must_match, 1);
	ck_assert_str_eq(l.v[0].message, "Missmatching image and device");
	ck_assert_int_eq(rf_step_eval(&l.v[0], "surya"), 1);
	ck_assert_int_eq(rf_step_eval(&l.v[0], "karna"), 1);
	ck_assert_int_eq(rf_step_eval(&l.v[0], "vayu"), 0);
	/* a .sh saying the same with grep -E is its twin */
	ok("flash_all.sh",
	   "fastboot $* getvar product 2>&1 | grep -E \"^product: *surya|^product: *karna\"\n"
	   "if [ $? -ne 0 ] ; then echo \"Missmatching image and device\"; exit 1; fi\n"
	   "fastboot $* erase boot\nif [ $? -ne 0 ] ; then echo x; exit 1; fi\n", &s);
	ck_assert_msg(rf_steps_compare(&s, &l, diff, sizeof diff) == 0, "%s", diff);
	rf_steplist_free(&l);
	rf_steplist_free(&s);
	/* a bare findstr after || reads the console, not the phone */
	refused("f.bat", "fastboot %* getvar product 2>&1 | findstr /r /c:\"^product: *surya\" "
		"|| findstr /r /c:\"^product: *karna\" || echo x\r\n", ":1: a `|| findstr` with "
		"nothing piped into it reads the console");
	/* another variable is no alternative */
	refused("f.bat", "fastboot %* getvar product 2>&1 | findstr /r /c:\"^product: *a\" || "
		"fastboot %* getvar board 2>&1 | findstr /r /c:\"^board: *b\" || exit /B 1\r\n",
		"only alternatives of the same getvar");
}
END_TEST

static Suite *newer_suite(void)
{
	Suite *s = suite_create("script_newer");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_regex);
	tcase_add_test(tc, test_anti_file);
	tcase_add_test(tc, test_patch_level);
	tcase_add_test(tc, test_mediatek);
	tcase_add_test(tc, test_errexit);
	tcase_add_test(tc, test_conditions);
	tcase_add_test(tc, test_elif);
	tcase_add_test(tc, test_unchecked);
	tcase_add_test(tc, test_delays_reboot);
	tcase_add_test(tc, test_bat_forms);
	tcase_add_test(tc, test_bat_alternatives);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(newer_suite());
	int failed;
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
