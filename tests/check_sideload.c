/* Recovery zips and the sideload block server:
 *  - zip structure: a writer here makes valid zips, then each test breaks
 *    one thing and expects rf_zip_open to name it;
 *  - updater-script target devices;
 *  - whole-file signatures (zips from tests/fixtures/mkzip: openssl);
 *  - the verified block reader catching a file changed after the check;
 *  - protocol/sideload against the emulated recovery (in memory, every
 *    request order, old and new adb, AUTH, legacy, FAILFAIL, a cut link)
 *    and against a scripted fake for the exact bytes and bad requests. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <isa-l/crc.h>

#include "adb.h"
#include "adb_key.h"
#include "emu_adb.h"
#include "helpers/adb_loop.h"
#include "helpers/fake_transport.h"
#include "sideload.h"
#include "zip.h"
#include "zip_verify.h"

static char dir[256];

static void setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/check_sideload.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
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
	tcase_add_test(tc, zip_valid);
	tcase_add_test(tc, zip_broken);
	tcase_add_test(tc, script_devices);
	tcase_add_test(tc, signatures);
	tcase_add_test(tc, signature_footer_lies);
	tcase_add_test(tc, blocks_changed_after_check);
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
