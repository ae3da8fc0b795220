/* `format`'s filesystem (flasher/flash/format.c) against an in-process fake
 * phone: what is asked of the phone and how its answers are read (AOSP
 * fastboot's way), the filesystem made with Debian's mke2fs / mkfs.f2fs
 * and sent as sparse pieces over a partition full of old bytes (the result
 * checked by e2fsck / fsck.f2fs), and every way making it can fail (tool
 * missing, failing, hanging, stopped, making something else) -- with the
 * program's exact argv and environment, and no file left behind. */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fake_phone.h"
#include "format.h"
#include "image_send.h"
#include "need_tool.h"
#include "rf_str.h"
#include "scratch.h"

static char dir[256];

static void setup(void)
{
	scratch_make(dir, sizeof dir, "check_format");
}

static void teardown(void)
{
	scratch_remove(dir);
}

/* ---- the phone ---- */

struct phone {
	struct fake_phone *p;
	struct rf_transport *t;
	struct rf_fastboot fb;
};

static void phone_open(struct phone *ph, const char *const *vars)
{
	ph->p = fake_phone_new("SER1", "MSM8974");
	for (; vars && vars[0]; vars += 2)
		fake_phone_var(ph->p, vars[0], vars[1]);
	ph->t = fake_phone_connect(ph->p);
	rf_fb_init(&ph->fb, ph->t);
}

static void phone_close(struct phone *ph)
{
	rf_transport_close(ph->t);
	fake_phone_free(ph->p);
}

/* query with these answers: rc, and the spec / message */
static int query(const char *const *vars, const char *want, struct rf_format_spec *sp,
		 char *err)
{
	struct phone ph;
	phone_open(&ph, vars);
	int rc = rf_format_query(&ph.fb, "cache", want, sp, err);
	phone_close(&ph);
	return rc;
}

static void refused(const char *const *vars, const char *want, const char *says)
{
	struct rf_format_spec sp;
	char err[RF_ERRLEN] = "";
	ck_assert_int_eq(query(vars, want, &sp, err), RF_EFORMAT);
	ck_assert_msg(strstr(err, says), "'%s' lacks '%s'", err, says);
}

START_TEST(test_query)
{
	static const char *const none[] = { NULL };
	static const char *const vfat[] = { "partition-type:cache", "vfat", NULL };
	static const char *const nosize[] = { "partition-type:cache", "ext4", NULL };
	static const char *const garbage[] = { "partition-type:cache", "ext4",
					       "partition-size:cache", "12G", NULL };
	static const char *const tiny[] = { "partition-type:cache", "ext4",
					    "partition-size:cache", "0x1000", NULL };
	static const char *const full[] = { "partition-type:cache", "ext4",
					    "partition-size:cache", "\t0x18000000",
					    "erase-block-size", "0x80000",
					    "logical-block-size", "0x1000", NULL };
	/* hammerhead-style implicit hex; block sizes that are no power of two */
	static const char *const implicit[] = { "partition-type:cache", "f2fs",
						"partition-size:cache", "18000000",
						"erase-block-size", "3",
						"logical-block-size", "zz", NULL };
	struct rf_format_spec sp;
	char err[RF_ERRLEN];
	struct phone ph;

	refused(none, "", "does not report the partition's type (getvar partition-type:cache)");
	refused(vfat, "", "the phone says the partition is 'vfat'; romflash makes ext4 and "
		"f2fs filesystems only");
	refused(nosize, "", "does not report the partition's size (getvar partition-size:cache)");
	refused(garbage, "", "gives no number for the partition's size (getvar "
		"partition-size:cache: 12G)");
	refused(tiny, "", "holds 4096 bytes");
	refused(full, "f2fs", "format:f2fs cache: the phone says the partition is ext4");

	ck_assert_int_eq(query(full, "ext4", &sp, err), RF_OK);
	ck_assert_str_eq(sp.type, "ext4");
	ck_assert_uint_eq(sp.size, 0x18000000);
	ck_assert_uint_eq(sp.erase_blk, 0x80000);
	ck_assert_uint_eq(sp.logical_blk, 0x1000);
	ck_assert_int_eq(query(implicit, NULL, &sp, err), RF_OK);
	ck_assert_str_eq(sp.type, "f2fs");
	ck_assert_uint_eq(sp.size, 0x18000000);
	ck_assert_uint_eq(sp.erase_blk, 0);
	ck_assert_uint_eq(sp.logical_blk, 0);

	/* what is asked, in AOSP fastboot's order; getvar only */
	phone_open(&ph, full);
	ck_assert_int_eq(rf_format_query(&ph.fb, "cache", "", &sp, err), RF_OK);
	char *log = fake_phone_log(ph.p);
	ck_assert_str_eq(log, "getvar:partition-type:cache\ngetvar:partition-size:cache\n"
			      "getvar:erase-block-size\ngetvar:logical-block-size\n");
	free(log);
	phone_close(&ph);
}
END_TEST

/* ---- making it ---- */

static int dir_empty(const char *d)
{
	char cmd[400];
	snprintf(cmd, sizeof cmd, "test -z \"$(ls -A '%s')\"", d);
	return system(cmd) == 0;
}

static int have_tool(const char *type)
{
	char path[256];
	const char *name = rf_format_tool(type, NULL, path, sizeof path);
	return path[0] ? 1 : need_tool(name);
}

/* A partition full of old bytes: a raw download of a pattern. */
static void old_bytes(struct rf_fastboot *fb, const char *part, size_t n)
{
	unsigned char *b = malloc(n);
	unsigned x = 12345;
	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		b[i] = (unsigned char)(x >> 16);
	}
	ck_assert_int_eq(rf_fb_download_begin(fb, (uint32_t)n), RF_OK);
	ck_assert_int_eq(rf_fb_download_write(fb, b, n), RF_OK);
	ck_assert_int_eq(rf_fb_download_end(fb), RF_OK);
	ck_assert_int_eq(rf_fb_flash(fb, part), RF_OK);
	free(b);
}

/* Make `type` of `mib` MiB, send it over old bytes in pieces of at most
 * max_dl, and run `fsck` (with %s for the file) on what the phone holds. */
static void make_and_check(const char *type, unsigned mib, uint32_t max_dl, const char *fsck)
{
	struct rf_format_spec sp = { "cache", "", (uint64_t)mib << 20, 0, 0 };
	struct rf_format_opts o = { 0 };
	struct rf_format_image *im = NULL;
	struct rf_send snd;
	struct rf_image img;
	struct phone ph;
	char err[RF_ERRLEN], path[300], tmp[300], cmd[1100], what[400];
	size_t len;

	rf_strlcpy(sp.type, type, sizeof sp.type);
	snprintf(tmp, sizeof tmp, "%s/tmp", dir);
	mkdir(tmp, 0700);
	o.tmp_dir = tmp;
	ck_assert_msg(rf_format_make(&sp, &o, &im, err) == RF_OK, "%s", err);
	ck_assert_msg(dir_empty(tmp), "the made file is still in %s", tmp);
	ck_assert(rf_format_written(im) > 0 && rf_format_written(im) < sp.size / 4);
	rf_format_describe(im, what, sizeof what);
	ck_assert_msg(strstr(what, "empty") && strstr(what, type), "%s", what);

	phone_open(&ph, NULL);
	old_bytes(&ph.fb, "cache", (size_t)sp.size);
	rf_format_image_of(im, &img);
	ck_assert(img.layout_only);
	memset(&snd, 0, sizeof snd);
	snd.fb = &ph.fb;
	snd.max_dl = max_dl;
	ck_assert_msg(rf_image_flash(&snd, "cache", &img) == RF_OK, "%s", snd.err);
	/* sparse pieces, even when one would hold it; only what was written */
	ck_assert_uint_eq(snd.flashed, snd.downloads);
	ck_assert(max_dl < 0x1000000 ? snd.downloads > 1 : snd.downloads == 1);
	ck_assert(snd.sent < rf_format_written(im) + 4096 * snd.downloads);
	const unsigned char *part = fake_phone_part(ph.p, "cache", &len);
	ck_assert_uint_eq(len, sp.size);
	snprintf(path, sizeof path, "%s/cache.img", dir);
	FILE *f = fopen(path, "wb");
	ck_assert(f && fwrite(part, 1, len, f) == len);
	fclose(f);
	phone_close(&ph);
	snprintf(what, sizeof what, fsck, path);
	snprintf(cmd, sizeof cmd, "%s >'%s.log' 2>&1", what, path);
	ck_assert_msg(system(cmd) == 0, "%s failed on what the phone holds (%s.log)", what, path);
	/* a second send reads it again from its start */
	phone_open(&ph, NULL);
	rf_format_image_of(im, &img);
	memset(&snd, 0, sizeof snd);
	snd.fb = &ph.fb;
	snd.max_dl = max_dl;
	ck_assert_msg(rf_image_flash(&snd, "cache", &img) == RF_OK, "%s", snd.err);
	phone_close(&ph);
	rf_format_free(im);
}

/* What the old bytes must not leak into: the journal reads as zeros past
 * its superblock (it is sent, not left to a "discard reads as zeros"), and
 * no group claims its inode table was zeroed (the kernel zeroes them). */
static const char *const EXT4_CHECK =
	"e2fsck -fn %1$s && test \"$(debugfs -R 'cat <8>' %1$s 2>/dev/null | "
	"tail -c +4097 | tr -d '\\000' | wc -c)\" = 0 && "
	"! dumpe2fs %1$s 2>/dev/null | grep -q ITABLE_ZEROED";

START_TEST(test_make_ext4)
{
	if (!have_tool("ext4") || !need_tool("e2fsck") || !need_tool("debugfs"))
		return;
	make_and_check("ext4", 32, 1u << 20, EXT4_CHECK);
	make_and_check("ext4", 32, 0x30000000, EXT4_CHECK);
}
END_TEST

START_TEST(test_make_f2fs)
{
	if (!have_tool("f2fs") || !need_tool("fsck.f2fs"))
		return;
	make_and_check("f2fs", 64, 1u << 20, "fsck.f2fs --dry-run -f %s");
}
END_TEST

/* ---- when it cannot be made ---- */

/* tools/mke2fs: a shell script */
static const char *fake_tool(const char *body)
{
	static char tools[300];
	char path[400];
	snprintf(tools, sizeof tools, "%s/tools", dir);
	mkdir(tools, 0755);
	snprintf(path, sizeof path, "%s/mke2fs", tools);
	FILE *f = fopen(path, "w");
	ck_assert(f);
	fprintf(f, "#!/bin/sh\n%s\n", body);
	fclose(f);
	chmod(path, 0755);
	return tools;
}

struct stopper {
	volatile sig_atomic_t flag;
	pthread_t th;
};

static void *stop_soon(void *arg)
{
	struct stopper *s = arg;
	usleep(200 * 1000);
	s->flag = 1;
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int make_with(const char *tools, int timeout_s, const volatile sig_atomic_t *stop,
		     char *err)
{
	struct rf_format_spec sp = { "cache", "ext4", 32u << 20, 0x80000, 0x1000 };
	char tmp[300];
	snprintf(tmp, sizeof tmp, "%s/tmp", dir);
	mkdir(tmp, 0700);
	struct rf_format_opts o = { tmp, tools, stop, timeout_s };
	struct rf_format_image *im = (struct rf_format_image *)1;
	int rc = rf_format_make(&sp, &o, &im, err);
	ck_assert_msg(dir_empty(tmp), "a file was left in %s", tmp);
	if (!rc)
		rf_format_free(im);
	else
		ck_assert_ptr_null(im);
	return rc;
}

START_TEST(test_refusals)
{
	char err[RF_ERRLEN], path[300], line[2048];
	struct stopper st = { 0, 0 };
	double t0;

	ck_assert_int_eq(make_with("/nonexistent", 0, NULL, err), RF_EINVAL);
	ck_assert_msg(strstr(err, "needs mke2fs (Debian package e2fsprogs), which is not "
			     "installed"), "%s", err);
	ck_assert_int_eq(make_with(fake_tool("echo 'mke2fs: boom' >&2; exit 3"), 0, NULL, err),
			 RF_ESYS);
	ck_assert_msg(strstr(err, "failed (exit status 3): mke2fs: boom"), "%s", err);
	/* it says it made it, and did not: nothing of it is sent */
	ck_assert_int_eq(make_with(fake_tool("exit 0"), 0, NULL, err), RF_ESYS);
	ck_assert_msg(strstr(err, "did not make an ext4 filesystem of 8192 4 KiB blocks"),
		      "%s", err);
	t0 = now_s();
	ck_assert_int_eq(make_with(fake_tool("exec sleep 30"), 1, NULL, err), RF_ESYS);
	ck_assert_msg(strstr(err, "did not finish in 1 s"), "%s", err);
	ck_assert(now_s() - t0 < 10);
	t0 = now_s();
	pthread_create(&st.th, NULL, stop_soon, &st);
	ck_assert_int_eq(make_with(fake_tool("exec sleep 30"), 0, &st.flag, err), RF_EINTR);
	pthread_join(st.th, NULL);
	ck_assert(now_s() - t0 < 10);

	/* the program's argv and environment: fixed, nothing inherited */
	setenv("ROMFLASH_CHECK_MARK", "inherited", 1);
	snprintf(path, sizeof path, "%s/seen", dir);
	snprintf(line, sizeof line, "echo \"$@\" >'%s'; env | sort >>'%s'; exit 1", path, path);
	ck_assert_int_eq(make_with(fake_tool(line), 0, NULL, err), RF_ESYS);
	unsetenv("ROMFLASH_CHECK_MARK");
	FILE *f = fopen(path, "r");
	ck_assert(f);
	size_t n = fread(line, 1, sizeof line - 1, f);
	line[n] = 0;
	fclose(f);
	ck_assert_msg(strstr(line, "-q -F -t ext4 -b 4096 -O none,has_journal,ext_attr,"
			     "resize_inode,dir_index,filetype,extent,flex_bg,sparse_super,"
			     "large_file,huge_file,uninit_bg,dir_nlink,extra_isize -E nodiscard,"
			     "lazy_itable_init=1,lazy_journal_init=0,stride=2,stripe_width=128 ")
		      && strstr(line, "/ext4.img 8192\n"), "%s", line);
	ck_assert_msg(strstr(line, "\nMKE2FS_CONFIG=\n") && strstr(line, "\nUNIX_IO_NOZEROOUT=1\n")
		      && strstr(line, "\nLC_ALL=C\n") && !strstr(line, "ROMFLASH_CHECK_MARK"),
		      "%s", line);
}
END_TEST

static Suite *format_suite(void)
{
	Suite *s = suite_create("format");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_query);
	tcase_add_test(tc, test_make_ext4);
	tcase_add_test(tc, test_make_f2fs);
	tcase_add_test(tc, test_refusals);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(format_suite());
	int failed;
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
