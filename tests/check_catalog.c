/* The catalog parser (catalog.c): the shipped catalog, overrides, every
 * refusal with its line, the bounds, and the version look-up. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog.h"

#define GOOD \
	"# a comment\n" \
	"name: miui_MI3WMI4WGlobal_7.12.8_7d3da38965_6.0.zip\n" \
	"url: https://example.invalid/7.12.8/miui_MI3WMI4WGlobal_7.12.8_7d3da38965_6.0.zip\n" \
	"codename: cancro\n" \
	"version: 7.12.8\n" \
	"type: recovery\n" \
	"region: global\n" \
	"md5: 7D3DA389652F8FB5DE458AADACA375B8\n" \
	"changelog:\n" \
	" [Highlights]\n" \
	" .\n" \
	" New - something\n" \
	"x-future: ignored\n" \
	"\n" \
	"name: cancro_images_7.12.8_20171208.0000.00_6.0_cn_0123456789.tgz\n" \
	"url: http://example.invalid/c.tgz\n" \
	"codename: cancro\n" \
	"version: 7.12.8\n" \
	"type: fastboot\n" \
	"region: cn\n" \
	"md5: unknown\n" \
	"size: 1.2 GB\n" \
	"date: 2017-03-23\n"

static int parse(struct rf_catalog *c, const char *text)
{
	return rf_catalog_parse(c, text, strlen(text), "t.txt");
}

START_TEST(good_text)
{
	struct rf_catalog c = { 0 };
	ck_assert_int_eq(parse(&c, GOOD), RF_OK);
	ck_assert_uint_eq(c.n, 2);
	ck_assert_str_eq(c.v[0].md5, "7d3da389652f8fb5de458aadaca375b8");
	ck_assert_int_eq(c.v[0].type, RF_ROM_RECOVERY);
	ck_assert_str_eq(c.v[0].changelog, "[Highlights]\n\nNew - something");
	ck_assert_str_eq(c.v[0].origin, "t.txt:2");
	ck_assert_str_eq(c.v[1].md5, "");
	ck_assert_str_eq(c.v[1].size, "1.2 GB");
	ck_assert_int_eq(c.v[1].type, RF_ROM_FASTBOOT);
	rf_catalog_free(&c);
}
END_TEST

START_TEST(builtin)
{
	struct rf_catalog c = { 0 };
	const struct rf_rom *m[8];
	ck_assert_int_eq(rf_catalog_add_builtin(&c), RF_OK);
	/* the two release pages list 12 cards for 6 files */
	ck_assert_uint_eq(c.n, 6);
	for (size_t i = 0; i < c.n; i++)
		for (size_t k = i + 1; k < c.n; k++)
			ck_assert_str_ne(c.v[i].name, c.v[k].name);
	ck_assert_uint_eq(rf_catalog_find(&c, "7.3.23", NULL, RF_ROM_FASTBOOT, m, 8), 2);
	ck_assert_uint_eq(rf_catalog_find(&c, "7.3.23", "cn", RF_ROM_FASTBOOT, m, 8), 1);
	ck_assert_str_eq(m[0]->name, "cancro_images_7.3.23_20170323.0000.00_6.0_cn_702eb114c6.tgz");
	ck_assert_uint_eq(rf_catalog_find(&c, "7.12.8", NULL, RF_ROM_RECOVERY, m, 8), 1);
	ck_assert_str_eq(m[0]->md5, "7d3da389652f8fb5de458aadaca375b8");
	ck_assert_uint_eq(rf_catalog_find(&c, "7.12.8", NULL, RF_ROM_ANY, m, 8), 2);
	ck_assert_uint_eq(rf_catalog_find(&c, "9.9.9", NULL, RF_ROM_ANY, m, 8), 0);
	rf_catalog_free(&c);
}
END_TEST

START_TEST(override_by_name)
{
	struct rf_catalog c = { 0 };
	const char *user =
		"name: cancro_images_7.12.8_20171208.0000.00_6.0_cn_0123456789.tgz\n"
		"url: https://mirror.invalid/c.tgz\n"
		"codename: cancro\nversion: 7.12.8\ntype: fastboot\nregion: cn\n"
		"md5: 0123456789abcdef0123456789abcdef\n\n"
		"name: new.tgz\nurl: https://mirror.invalid/new.tgz\n"
		"codename: cancro\nversion: 7.99.1\ntype: fastboot\nregion: cn\n";
	ck_assert_int_eq(parse(&c, GOOD), RF_OK);
	ck_assert_int_eq(parse(&c, user), RF_OK);
	ck_assert_uint_eq(c.n, 3);
	const struct rf_rom *r = rf_catalog_by_name(&c,
		"cancro_images_7.12.8_20171208.0000.00_6.0_cn_0123456789.tgz");
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->url, "https://mirror.invalid/c.tgz");
	ck_assert_str_eq(r->md5, "0123456789abcdef0123456789abcdef");
	ck_assert_str_eq(r->size, ""); /* replaced whole, not merged */
	rf_catalog_free(&c);
}
END_TEST

/* Each broken text is refused whole, naming the line. */
static const struct {
	const char *text, *why;
} bad[] = {
	{ "name: a.tgz\nurl: https://h/a.tgz\ncodename: cancro\nversion: 7.1\ntype: fastboot\n",
	  "t.txt:6: the entry ending here has no region:" },
	{ "name: a.tgz\nurl: ftp://h/a.tgz\n", "t.txt:2: url: not an http:// or https:// URL" },
	{ "name: a.tgz\nurl: https:///a.tgz\n", "t.txt:2: url: not an http" },
	{ "name: ../a.tgz\n", "t.txt:1: name: not a plain file name" },
	{ "name: .a\n", "t.txt:1: name: not a plain file name" },
	{ "name: a.tgz\nversion: 7/1\n", "t.txt:2: version: not a version" },
	{ "name: a.tgz\ntype: sideload\n", "t.txt:2: type: wants fastboot or recovery" },
	{ "name: a.tgz\nmd5: 1234\n", "t.txt:2: md5: wants 32 hex digits or unknown" },
	{ "name: a.tgz\ndate: 2017-3-23\n", "t.txt:2: date: wants YYYY-MM-DD" },
	{ "name: a.tgz\nregion: Global\n", "t.txt:2: region: wants lower-case" },
	{ "name: a.tgz\nname: b.tgz\n", "t.txt:2: name: given twice in one entry" },
	{ "name: a.tgz\ncolour: red\n", "t.txt:2: unknown key 'colour'" },
	{ "name: a.tgz\n continued\n", "t.txt:2: a continuation line" },
	{ "just words\n", "t.txt:1: not 'key: value'" },
	{ "name: a\001.tgz\n", "t.txt:1: a control character" },
	{ "name: a.tgz\nbranch: 0123456789012345678901234567890123456789\n",
	  "t.txt:2: branch: longer than 31 bytes" },
};

START_TEST(refusals)
{
	struct rf_catalog c = { 0 };
	ck_assert_int_eq(parse(&c, GOOD), RF_OK);
	int rc = parse(&c, bad[_i].text);
	ck_assert_int_eq(rc, RF_EFORMAT);
	ck_assert_msg(strstr(c.err, bad[_i].why), "case %d: '%s' lacks '%s'", _i, c.err,
		      bad[_i].why);
	ck_assert_uint_eq(c.n, 2); /* nothing added or changed */
	rf_catalog_free(&c);
}
END_TEST

START_TEST(twice_in_one_file)
{
	struct rf_catalog c = { 0 };
	char *t = malloc(2 * sizeof GOOD + 2);
	sprintf(t, "%s\n%s", GOOD, GOOD);
	ck_assert_int_eq(parse(&c, t), RF_EFORMAT);
	ck_assert_ptr_nonnull(strstr(c.err, "is listed twice"));
	ck_assert_uint_eq(c.n, 0);
	free(t);
	rf_catalog_free(&c);
}
END_TEST

START_TEST(bounds)
{
	struct rf_catalog c = { 0 };
	size_t n = RF_CAT_MAX_LINE + 10;
	char *t = malloc(n + 1);
	memset(t, 'a', n);
	memcpy(t, "device: ", 8);
	t[n] = 0;
	ck_assert_int_eq(parse(&c, t), RF_EFORMAT);
	ck_assert_ptr_nonnull(strstr(c.err, "a line longer than"));
	free(t);

	/* a changelog beyond its bound */
	size_t lines = RF_CAT_MAX_CHANGELOG / 1000 + 2;
	t = malloc(64 + lines * 1002);
	strcpy(t, "name: a.tgz\nchangelog:\n");
	for (size_t i = 0; i < lines; i++) {
		size_t k = strlen(t);
		t[k] = ' ';
		memset(t + k + 1, 'x', 1000);
		strcpy(t + k + 1001, "\n");
	}
	ck_assert_int_eq(parse(&c, t), RF_EFORMAT);
	ck_assert_ptr_nonnull(strstr(c.err, "changelog longer than"));
	free(t);

	/* a NUL byte inside */
	ck_assert_int_eq(rf_catalog_parse(&c, "name: a\0b\n", 10, "t.txt"), RF_EFORMAT);
	ck_assert_ptr_nonnull(strstr(c.err, "NUL"));
	ck_assert_uint_eq(c.n, 0);
	rf_catalog_free(&c);
}
END_TEST

START_TEST(files)
{
	struct rf_catalog c = { 0 };
	char path[] = "/tmp/check_catalog.XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, GOOD, strlen(GOOD)), (int)strlen(GOOD));
	close(fd);
	ck_assert_int_eq(rf_catalog_add_file(&c, path, 0), RF_OK);
	ck_assert_uint_eq(c.n, 2);
	unlink(path);
	ck_assert_int_eq(rf_catalog_add_file(&c, path, 1), RF_OK); /* optional */
	ck_assert_int_eq(rf_catalog_add_file(&c, path, 0), RF_ESYS);
	ck_assert_int_eq(rf_catalog_add_file(&c, "/tmp", 0), RF_EFORMAT);
	rf_catalog_free(&c);
}
END_TEST

START_TEST(versions)
{
	ck_assert(rf_catalog_is_version("7.12.8"));
	ck_assert(rf_catalog_is_version("V7.1.2.0.KXDMICK"));
	ck_assert(!rf_catalog_is_version("7"));
	ck_assert(!rf_catalog_is_version("a.tgz"));
	ck_assert(!rf_catalog_is_version("./7.1"));
	ck_assert(!rf_catalog_is_version("7.1."));
	ck_assert(!rf_catalog_is_version("x/7.1"));
	ck_assert(!rf_catalog_is_version("7_1.2"));
	ck_assert(!rf_catalog_is_version(""));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("catalog");
	TCase *tc = tcase_create("catalog");
	tcase_add_test(tc, good_text);
	tcase_add_test(tc, builtin);
	tcase_add_test(tc, override_by_name);
	tcase_add_loop_test(tc, refusals, 0, (int)(sizeof bad / sizeof bad[0]));
	tcase_add_test(tc, twice_in_one_file);
	tcase_add_test(tc, bounds);
	tcase_add_test(tc, files);
	tcase_add_test(tc, versions);
	suite_add_tcase(s, tc);
	SRunner *r = srunner_create(s);
	srunner_run_all(r, CK_NORMAL);
	int nf = srunner_ntests_failed(r);
	srunner_free(r);
	return nf ? 1 : 0;
}
