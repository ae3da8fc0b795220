/* Recovery zips, before a byte goes to the phone:
 *  - structure: a writer here makes valid zips, then each test breaks one
 *    thing and expects rf_zip_open to name it;
 *  - updater-script target devices;
 *  - whole-file signatures (zips from tests/fixtures/mkzip: openssl);
 *  - the verified block reader catching a file changed after the check. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <isa-l/crc.h>

#include "helpers/scratch.h"
#include "zip.h"
#include "zip_verify.h"

static char dir[256];

static void setup(void)
{
	scratch_make(dir, sizeof dir, "check_zip");
}

static void teardown(void)
{
	scratch_remove(dir);
}

static void put16(unsigned char *p, unsigned v) { p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8); }
static void put32(unsigned char *p, uint32_t v) { put16(p, v & 0xffff); put16(p + 2, v >> 16); }

/* ---- a small zip writer (stored entries) ------------------------------------ */

struct zbuf {
	unsigned char *b;
	size_t len, cap;
	size_t lfh[8], cdh[8], eocd; /* where each record starts */
	int n;
};

static void zput(struct zbuf *z, const void *p, size_t n)
{
	if (z->len + n > z->cap) {
		z->cap = (z->len + n) * 2 + 256;
		z->b = realloc(z->b, z->cap);
		ck_assert_ptr_nonnull(z->b);
	}
	memcpy(z->b + z->len, p, n);
	z->len += n;
}

struct zent {
	const char *name;
	const char *data;
	int descriptor; /* data descriptor with signature after the data */
};

/* Entries, central directory, end record with `comment`. */
static void zbuild(struct zbuf *z, const struct zent *e, int n, const char *comment)
{
	unsigned char h[46];
	memset(z, 0, sizeof *z);
	for (int i = 0; i < n; i++) {
		size_t dl = strlen(e[i].data), nl = strlen(e[i].name);
		uint32_t crc = crc32_gzip_refl(0, (const unsigned char *)e[i].data, dl);
		z->lfh[i] = z->len;
		memset(h, 0, 30);
		put32(h, 0x04034b50);
		put16(h + 4, 20);
		put16(h + 6, e[i].descriptor ? 8 : 0);
		if (!e[i].descriptor) {
			put32(h + 14, crc);
			put32(h + 18, (uint32_t)dl);
			put32(h + 22, (uint32_t)dl);
		}
		put16(h + 26, (unsigned)nl);
		zput(z, h, 30);
		zput(z, e[i].name, nl);
		zput(z, e[i].data, dl);
		if (e[i].descriptor) {
			put32(h, 0x08074b50);
			put32(h + 4, crc);
			put32(h + 8, (uint32_t)dl);
			put32(h + 12, (uint32_t)dl);
			zput(z, h, 16);
		}
	}
	size_t cd = z->len;
	for (int i = 0; i < n; i++) {
		size_t dl = strlen(e[i].data), nl = strlen(e[i].name);
		z->cdh[i] = z->len;
		memset(h, 0, 46);
		put32(h, 0x02014b50);
		put16(h + 4, 20);
		put16(h + 6, 20);
		put16(h + 8, e[i].descriptor ? 8 : 0);
		put32(h + 16, crc32_gzip_refl(0, (const unsigned char *)e[i].data, dl));
		put32(h + 20, (uint32_t)dl);
		put32(h + 24, (uint32_t)dl);
		put16(h + 28, (unsigned)nl);
		put32(h + 42, (uint32_t)z->lfh[i]);
		zput(z, h, 46);
		zput(z, e[i].name, nl);
	}
	z->eocd = z->len;
	memset(h, 0, 22);
	put32(h, 0x06054b50);
	put16(h + 8, (unsigned)n);
	put16(h + 10, (unsigned)n);
	put32(h + 12, (uint32_t)(z->len - cd));
	put32(h + 16, (uint32_t)cd);
	put16(h + 20, (unsigned)strlen(comment));
	zput(z, h, 22);
	zput(z, comment, strlen(comment));
	z->n = n;
}

static const char *zsave(struct zbuf *z, const char *name)
{
	static char p[512];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	FILE *f = fopen(p, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(z->b, 1, z->len, f), z->len);
	fclose(f);
	free(z->b);
	z->b = NULL;
	return p;
}

static const struct zent ENTRIES[] = {
	{ "META-INF/com/google/android/updater-script",
	  "assert(getprop(\"ro.product.device\") == \"cancro\");\n", 0 },
	{ "system.new.dat", "0123456789abcdef0123456789abcdef", 1 },
	{ "boot.img", "ANDROID!bootimage", 0 },
};

/* rf_zip_open of the mutated zip fails with RF_EFORMAT naming `why`. */
static void expect_bad(struct zbuf *z, const char *why)
{
	struct rf_zip zip;
	const char *p = zsave(z, "bad.zip");
	int rc = rf_zip_open(&zip, p);
	ck_assert_msg(rc == RF_EFORMAT, "accepted a zip with %s (rc %d)", why, rc);
	ck_assert_msg(strstr(zip.err, why), "error \"%s\" does not say \"%s\"",
		      zip.err, why);
	rf_zip_close(&zip);
}

START_TEST(zip_valid)
{
	struct zbuf z;
	struct rf_zip zip;
	char *text;
	size_t len;

	zbuild(&z, ENTRIES, 3, "a comment");
	ck_assert_int_eq(rf_zip_open(&zip, zsave(&z, "ok.zip")), RF_OK);
	ck_assert_uint_eq(zip.n, 3);
	ck_assert_uint_eq(zip.comment_len, 9);
	const struct rf_zip_entry *e = rf_zip_find(&zip, "system.new.dat");
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(rf_zip_read_entry(&zip, e, 100, &text, &len), RF_OK);
	ck_assert_str_eq(text, ENTRIES[1].data);
	free(text);
	ck_assert_int_eq(rf_zip_read_entry(&zip, e, 10, &text, &len), RF_EFORMAT);
	ck_assert_ptr_null(rf_zip_find(&zip, "nothing"));
	rf_zip_close(&zip);
}
END_TEST

START_TEST(zip_broken)
{
	struct zbuf z;

	zbuild(&z, ENTRIES, 3, "");
	z.len -= 5;
	expect_bad(&z, "no end-of-central-directory");

	zbuild(&z, ENTRIES, 3, "..PK\005\006..");
	expect_bad(&z, "second end-of-central-directory");

	zbuild(&z, ENTRIES, 3, "");
	z.b[z.lfh[2] + 30] = 'B'; /* boot.img -> Boot.img in the local header */
	expect_bad(&z, "named differently");

	zbuild(&z, ENTRIES, 3, "");
	z.b[z.lfh[0] + 14] ^= 1; /* local CRC */
	expect_bad(&z, "CRC or sizes differ");

	zbuild(&z, ENTRIES, 3, "");
	z.b[z.lfh[1] + 30 + 14 + 32 + 4] ^= 1; /* the descriptor's CRC */
	expect_bad(&z, "data descriptor disagrees");

	zbuild(&z, ENTRIES, 3, "");
	put32(z.b + z.cdh[2] + 42, (uint32_t)z.lfh[1] + 1); /* inside another */
	expect_bad(&z, "overlapping or hidden");

	static const struct zent dup[] = { { "a", "1", 0 }, { "a", "2", 0 } };
	zbuild(&z, dup, 2, "");
	expect_bad(&z, "appears twice");

	zbuild(&z, ENTRIES, 3, "");
	put16(z.b + z.cdh[0] + 8, 1); /* encrypted */
	put16(z.b + z.lfh[0] + 6, 1);
	expect_bad(&z, "encrypted");

	zbuild(&z, ENTRIES, 3, "");
	put16(z.b + z.cdh[2] + 10, 12); /* bzip2 */
	expect_bad(&z, "compression method 12");

	zbuild(&z, ENTRIES, 3, "");
	put32(z.b + z.eocd + 16, (uint32_t)z.cdh[1]); /* CD offset off */
	expect_bad(&z, "does not end where");

	zbuild(&z, ENTRIES, 3, "");
	put16(z.b + z.eocd + 10, 0xffff); /* zip64 marker */
	put16(z.b + z.eocd + 8, 0xffff);
	expect_bad(&z, "zip64");

	zbuild(&z, ENTRIES, 3, "");
	put16(z.b + z.eocd + 4, 1); /* disk 1 */
	expect_bad(&z, "several disks");

	/* bytes hidden between two entries: the central directory says
	 * nothing of them */
	zbuild(&z, ENTRIES, 2, "");
	struct zbuf g;
	memset(&g, 0, sizeof g);
	zput(&g, z.b, z.lfh[1]);
	zput(&g, "HIDDEN", 6);
	zput(&g, z.b + z.lfh[1], z.len - z.lfh[1]);
	put32(g.b + z.cdh[1] + 6 + 42, (uint32_t)z.lfh[1] + 6);
	put32(g.b + z.eocd + 6 + 16, (uint32_t)(z.cdh[0] + 6));
	free(z.b);
	expect_bad(&g, "overlapping or hidden");
}
END_TEST

START_TEST(script_devices)
{
	char d[RF_ZIP_MAX_DEVICES][64];
	ck_assert_uint_eq(rf_zip_script_devices(
		"ui_print(\"x\");\nassert(getprop(\"ro.product.device\") == \"cancro\" ||\n"
		"       getprop(\"ro.build.product\") == \"cancro\" || abort(\"E3004: "
		"This package is for \\\"cancro\\\" devices; this is a \\\"\" + "
		"getprop(\"ro.product.device\") + \"\\\".\"););\n", d), 1);
	ck_assert_str_eq(d[0], "cancro");
	ck_assert_uint_eq(rf_zip_script_devices(
		"assert(getprop(\"ro.product.device\")==\"cancro\" || "
		"getprop( \"ro.build.product\" ) == \"cancro_wc_lte\");", d), 2);
	ck_assert_str_eq(d[1], "cancro_wc_lte");
	/* the first assert that names a device wins; a later one is not read */
	ck_assert_uint_eq(rf_zip_script_devices(
		"assert(file_getprop(\"/x\", \"y\") == \"1\");\n"
		"assert(getprop(\"ro.product.device\") == \"virgo\");\n"
		"assert(getprop(\"ro.product.device\") == \"cancro\");\n", d), 1);
	ck_assert_str_eq(d[0], "virgo");
	ck_assert_uint_eq(rf_zip_script_devices("ui_print(\"no assert\");", d), 0);
	ck_assert_uint_eq(rf_zip_script_devices(
		"assert(getprop(\"ro.product.model\") == \"MI 4\");", d), 0);
	ck_assert_uint_eq(rf_zip_script_devices("assert(getprop(\"ro.product.device", d), 0);
}
END_TEST

/* ---- signatures (mkzip: python3 + openssl) ---------------------------------- */

static int have_tools(void)
{
	if (system("command -v openssl >/dev/null && command -v python3 >/dev/null") == 0)
		return 1;
	ck_assert_msg(!getenv("CI"), "openssl or python3 missing (tools/deps.sh)");
	printf("SKIP: openssl or python3 missing\n");
	return 0;
}

/* mkzip OPTS into <dir>/NAME/; returns the zip's path (static). */
static const char *mkzip(const char *name, const char *opts)
{
	static char path[1024];
	char cmd[1024];
	const char *root = getenv("ROOT");
	snprintf(cmd, sizeof cmd, "python3 %s%stests/fixtures/mkzip --out %s/%s "
		 "--key %s/keys --size-mb 0.3 %s", root ? root : "", root ? "/" : "",
		 dir, name, dir, opts);
	FILE *p = popen(cmd, "r");
	char rest[256];
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(fgets(path, sizeof path, p));
	while (fgets(rest, sizeof rest, p)) /* the MD5 line */
		;
	ck_assert_int_eq(pclose(p), 0);
	path[strcspn(path, "\n")] = 0;
	return path;
}

static void verify_zip(const char *path, struct rf_zip *z, struct rf_zip_verified *v)
{
	ck_assert_msg(rf_zip_open(z, path) == RF_OK, "%s: %s", path, z->err);
	ck_assert_msg(rf_zip_verify(z, path, NULL, v) == RF_OK, "%s", z->err);
}

START_TEST(signatures)
{
	static const struct { const char *opts; enum rf_zip_sig sig; const char *note; } c[] = {
		{ "", RF_ZIP_SIGNED, NULL },
		{ "--md sha256", RF_ZIP_SIGNED, NULL },
		{ "--attrs", RF_ZIP_SIGNED, NULL },
		{ "--descriptors", RF_ZIP_SIGNED, NULL },
		{ "--unsigned", RF_ZIP_UNSIGNED, NULL },
		{ "--flip", RF_ZIP_SIG_BROKEN, "does not match its content" },
		{ "--no-otacert", RF_ZIP_SIGNED, NULL },
		{ "--other-otacert", RF_ZIP_SIGNED, "otacert" },
	};
	if (!have_tools())
		return;
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		char name[16];
		struct rf_zip z;
		struct rf_zip_verified v;
		snprintf(name, sizeof name, "z%zu", i);
		const char *p = mkzip(name, c[i].opts);
		verify_zip(p, &z, &v);
		ck_assert_msg(v.sig == c[i].sig, "mkzip %s: signature state %d, want %d (%s)",
			      c[i].opts, v.sig, c[i].sig, v.why);
		if (c[i].sig == RF_ZIP_SIGNED)
			ck_assert_ptr_nonnull(strstr(v.signer, "CN=romflash test key"));
		if (c[i].note)
			ck_assert_msg(strstr(v.why, c[i].note) || strstr(v.warning, c[i].note),
				      "mkzip %s: \"%s\" / \"%s\"", c[i].opts, v.why, v.warning);
		/* the MD5 is the file's (mkzip prints it second) */
		ck_assert_ptr_nonnull(strstr(p, v.md5) ? p : strstr(p, "miui_"));
		ck_assert_uint_eq(strlen(v.md5), 32);
		rf_zip_verified_free(&v);
		rf_zip_close(&z);
	}
}
END_TEST

START_TEST(signature_footer_lies)
{
	struct rf_zip z;
	struct rf_zip_verified v;
	if (!have_tools())
		return;
	const char *p = mkzip("f", "");
	int fd = open(p, O_RDWR);
	off_t size = lseek(fd, 0, SEEK_END);
	unsigned char foot[6];
	ck_assert_int_eq(pread(fd, foot, 6, size - 6), 6);
	foot[0] = 3; /* the signature would start inside the footer */
	foot[1] = 0;
	ck_assert_int_eq(pwrite(fd, foot, 6, size - 6), 6);
	close(fd);
	verify_zip(p, &z, &v);
	ck_assert_int_eq(v.sig, RF_ZIP_SIG_BROKEN);
	ck_assert_ptr_nonnull(strstr(v.why, "footer"));
	rf_zip_verified_free(&v);
	rf_zip_close(&z);
}
END_TEST

START_TEST(blocks_changed_after_check)
{
	struct rf_zip z;
	struct rf_zip_verified v;
	unsigned char *a, *b;
	char err[RF_ERRLEN];
	if (!have_tools())
		return;
	const char *p = mkzip("c", "--unsigned");
	verify_zip(p, &z, &v);
	struct rf_zip_blocks r = { .z = &z, .v = &v };
	a = malloc(RF_ZIP_BLOCK);
	b = malloc(RF_ZIP_BLOCK);
	ck_assert_int_eq(rf_zip_blocks_read(&r, RF_ZIP_BLOCK, a, RF_ZIP_BLOCK, err), RF_OK);
	/* unaligned reads (legacy chunks) across a block boundary */
	ck_assert_int_eq(rf_zip_blocks_read(&r, RF_ZIP_BLOCK - 100, b, 300, err), RF_OK);
	ck_assert(!memcmp(b + 100, a, 200));
	/* the file changes under us: that block is refused */
	int fd = open(p, O_RDWR);
	unsigned char x;
	ck_assert_int_eq(pread(fd, &x, 1, 3 * RF_ZIP_BLOCK + 7), 1);
	x ^= 0x80;
	ck_assert_int_eq(pwrite(fd, &x, 1, 3 * RF_ZIP_BLOCK + 7), 1);
	close(fd);
	ck_assert_int_eq(rf_zip_blocks_read(&r, 3 * RF_ZIP_BLOCK, a, RF_ZIP_BLOCK, err),
			 RF_EFORMAT);
	ck_assert_ptr_nonnull(strstr(err, "changed since it was verified"));
	ck_assert_int_eq(rf_zip_blocks_read(&r, 0, a, RF_ZIP_BLOCK, err), RF_OK);
	ck_assert_int_eq(rf_zip_blocks_read(&r, z.size - 10, a, 20, err), RF_EINVAL);
	free(a);
	free(b);
	rf_zip_blocks_free(&r);
	rf_zip_verified_free(&v);
	rf_zip_close(&z);
}
END_TEST

static Suite *zip_suite(void)
{
	Suite *s = suite_create("zip");
	TCase *tc = tcase_create("zip");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, zip_valid);
	tcase_add_test(tc, zip_broken);
	tcase_add_test(tc, script_devices);
	tcase_add_test(tc, signatures);
	tcase_add_test(tc, signature_footer_lies);
	tcase_add_test(tc, blocks_changed_after_check);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(zip_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
