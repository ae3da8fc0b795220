/* Streaming the images of a package in the plan's order (pkg_stream.c):
 * every byte handed out is compared with the file the package was made
 * from, in tar order, reversed (spool, then pass restarts), with repeated
 * images, from a folder, and with the failures a user can meet. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "package.h"
#include "pkg_stream.h"

#define TOP "cancro_images_7.12.8_20171208.0000.00_6.0_cn"
#define NIMG 5

/* Tar order: the script first, then the images in this order. */
static const char *img_rel[NIMG] = {
	"images/a.img", "images/b.img", "images/c.img", "images/d.img",
	"images/e.img",
};
static const size_t img_size[NIMG] = {
	(1u << 20) + 13, 300000, 7, 0, (2u << 20) + 4097,
};

static char root[64];      /* the fixture folder */
static char tgz[128];      /* the package, built once */

static uint64_t rng = 0x2545f4914f6cdd1dULL;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void write_file(const char *path, size_t size, int kind)
{
	FILE *f = fopen(path, "wb");
	ck_assert_msg(f, "%s: %s", path, strerror(errno));
	for (size_t i = 0; i < size; i++) {
		/* half random, half text-like: both inflate paths */
		int c = kind ? (int)(rnd() & 0xff) : "romflash\n"[i % 9];
		fputc(c, f);
	}
	ck_assert_int_eq(fclose(f), 0);
}

static void run(const char *cmd)
{
	int rc = system(cmd);
	ck_assert_msg(rc == 0, "%s: exit %d", cmd, rc);
}

static void suite_setup(void)
{
	char p[256], cmd[1024];
	snprintf(root, sizeof root, "/tmp/ck_pkg_stream.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
	snprintf(p, sizeof p, "%s/src/%s/images", root, TOP);
	snprintf(cmd, sizeof cmd, "mkdir -p '%s'", p);
	run(cmd);
	snprintf(p, sizeof p, "%s/src/%s/flash_all.sh", root, TOP);
	FILE *f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "fastboot $* flash boot `dirname $0`/images/a.img\n");
	fclose(f);
	for (int i = 0; i < NIMG; i++) {
		snprintf(p, sizeof p, "%s/src/%s/%s", root, TOP, img_rel[i]);
		write_file(p, img_size[i], i % 2 == 0);
	}
	snprintf(tgz, sizeof tgz, "%s/pkg.tgz", root);
	int n = snprintf(cmd, sizeof cmd, "cd '%s/src' && tar czf '%s' "
			 TOP "/flash_all.sh", root, tgz);
	for (int i = 0; i < NIMG; i++)
		n += snprintf(cmd + n, sizeof cmd - (size_t)n, " " TOP "/%s",
			      img_rel[i]);
	run(cmd);
}

static void suite_teardown(void)
{
	char cmd[256];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	if (root[0] && system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", root);
}

/* Per test: a spool folder of its own (to see it emptied). */
static char spool[128];

static void test_setup(void)
{
	snprintf(spool, sizeof spool, "%s/spool.%d", root, (int)getpid());
	ck_assert_int_eq(mkdir(spool, 0700), 0);
}

static void test_teardown(void)
{
	rmdir(spool);
}

static size_t spool_entries(void)
{
	DIR *d = opendir(spool);
	struct dirent *de;
	size_t n = 0;
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

static int img_index(const char *rel)
{
	for (int i = 0; i < NIMG; i++)
		if (!strcmp(img_rel[i], rel))
			return i;
	ck_abort_msg("unknown image %s", rel);
	return -1;
}

/* Read `rel` from the stream, `limit` bytes at most (all: SIZE_MAX), in
 * uneven chunks, and compare with the source file.  Returns the first
 * error (its message in the stream's). */
static int check_image(struct rf_pkg_stream *s, const char *rel, size_t limit)
{
	static unsigned char got[(1u << 20) + 64], want[(1u << 20) + 64];
	static const size_t chunks[] = { 65537, 1, 4096, 1u << 20, 333, 700001 };
	char path[256];
	rf_read_fn rd;
	void *ctx;
	uint64_t size, pos = 0;
	int i = img_index(rel), rc;

	rc = rf_pkg_stream_image(s, rel, &rd, &ctx, &size);
	if (rc)
		return rc;
	ck_assert_uint_eq(size, img_size[i]);
	snprintf(path, sizeof path, "%s/src/%s/%s", root, TOP, rel);
	FILE *f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	for (unsigned c = 0; pos < size && pos < limit; c++) {
		size_t want_n = chunks[c % 6], n;
		if (want_n > limit - pos)
			want_n = (size_t)(limit - pos);
		rc = rd(ctx, got, want_n, &n);
		if (rc) {
			fclose(f);
			return rc;
		}
		ck_assert_msg(n > 0 && n <= want_n, "%s: short read %zu at %llu",
			      rel, n, (unsigned long long)pos);
		ck_assert_uint_eq(fread(want, 1, n, f), n);
		ck_assert_msg(!memcmp(got, want, n), "%s differs near %llu",
			      rel, (unsigned long long)pos);
		pos += n;
	}
	if (pos == size) {
		size_t n = 1;
		ck_assert_int_eq(rd(ctx, got, 100, &n), RF_OK);
		ck_assert_uint_eq(n, 0);
	}
	fclose(f);
	return RF_OK;
}

static void open_pkg(struct rf_package *p, const char *path)
{
	int rc = rf_pkg_open(p, path, NULL);
	ck_assert_msg(rc == RF_OK, "rf_pkg_open: %s", p->err);
}

static struct rf_pkg_stream *open_stream(const struct rf_package *p,
					 const char *const *order, size_t n,
					 uint64_t budget,
					 const volatile sig_atomic_t *cancel)
{
	struct rf_pkg_stream_opts o = {
		.order = order, .norder = n, .spool_budget = budget,
		.spool_dir = spool, .cancel = cancel,
	};
	struct rf_pkg_stream *s = NULL;
	char err[RF_ERRLEN] = "";
	int rc = rf_pkg_stream_open(&s, p, &o, err);
	ck_assert_msg(rc == RF_OK, "rf_pkg_stream_open: %s", err);
	return s;
}

/* Stream the whole order, checking every byte; returns the stats. */
static void stream_all(const char *pkgpath, const char *const *order,
		       size_t n, uint64_t budget, struct rf_pkg_stream_stats *st)
{
	struct rf_package p;
	open_pkg(&p, pkgpath);
	struct rf_pkg_stream *s = open_stream(&p, order, n, budget, NULL);
	for (size_t i = 0; i < n; i++) {
		int rc = check_image(s, order[i], SIZE_MAX);
		ck_assert_msg(rc == RF_OK, "%s: %s", order[i],
			      rf_pkg_stream_err(s));
	}
	rf_pkg_stream_stats(s, st);
	rf_pkg_stream_close(s);
	ck_assert_uint_eq(spool_entries(), 0);
	rf_pkg_close(&p);
}

static const char *const fwd[] = {
	"images/a.img", "images/b.img", "images/c.img", "images/d.img",
	"images/e.img",
};
static const char *const rev[] = {
	"images/e.img", "images/d.img", "images/c.img", "images/b.img",
	"images/a.img",
};

START_TEST(test_tar_order)
{
	struct rf_pkg_stream_stats st;
	stream_all(tgz, fwd, NIMG, 0, &st);
	ck_assert_uint_eq(st.passes, 1);
	ck_assert_uint_eq(st.spooled_bytes, 0);
	ck_assert_uint_eq(st.spool_peak, 0);
}
END_TEST

START_TEST(test_reversed_spooled)
{
	struct rf_pkg_stream_stats st;
	uint64_t before_e = img_size[0] + img_size[1] + img_size[2] + img_size[3];
	stream_all(tgz, rev, NIMG, 64u << 20, &st);
	ck_assert_uint_eq(st.passes, 1);
	ck_assert_uint_eq(st.spooled_bytes, before_e);
	ck_assert_uint_eq(st.spool_peak, before_e);
}
END_TEST

START_TEST(test_reversed_restarts)
{
	struct rf_pkg_stream_stats st;
	/* e: one pass past a..d, only d (empty) fits; c, b, a: a pass each */
	stream_all(tgz, rev, NIMG, 1, &st);
	ck_assert_uint_eq(st.passes, 4);
	ck_assert_uint_eq(st.spooled_bytes, 0);
}
END_TEST

START_TEST(test_reversed_partial)
{
	struct rf_pkg_stream_stats st;
	uint64_t budget = img_size[1] + 100; /* b, c, d fit, a does not */
	stream_all(tgz, rev, NIMG, budget, &st);
	ck_assert_uint_eq(st.passes, 2);
	ck_assert_uint_eq(st.spooled_bytes, img_size[1] + img_size[2]);
	ck_assert_uint_le(st.spool_peak, budget);
}
END_TEST

static const char *const rep[] = {
	"images/a.img", "images/b.img", "images/a.img", "images/e.img",
	"images/a.img", "images/c.img", "images/a.img",
};

START_TEST(test_repeated)
{
	struct rf_pkg_stream_stats st;
	/* a is copied to the spool while it is read the first time, c when
	 * passed over on the way to e */
	stream_all(tgz, rep, 7, 64u << 20, &st);
	ck_assert_uint_eq(st.passes, 1);
	ck_assert_uint_eq(st.spooled_bytes, img_size[0] + img_size[2]);
	ck_assert_uint_eq(st.spool_peak, img_size[0] + img_size[2]);
	/* without room, every repeat is a new pass */
	stream_all(tgz, rep, 7, 1, &st);
	ck_assert_uint_eq(st.passes, 4);
}
END_TEST

START_TEST(test_abandoned_reader)
{
	struct rf_package p;
	struct rf_pkg_stream_stats st;
	static const char *const order[] = {
		"images/a.img", "images/b.img", "images/a.img", "images/e.img",
		"images/c.img",
	};
	open_pkg(&p, tgz);
	/* a spooled while read: left half way, the copy is completed */
	struct rf_pkg_stream *s = open_stream(&p, order, 5, 64u << 20, NULL);
	ck_assert_int_eq(check_image(s, "images/a.img", 500000), RF_OK);
	ck_assert_int_eq(check_image(s, "images/b.img", 10), RF_OK);
	ck_assert_int_eq(check_image(s, "images/a.img", 70000), RF_OK);
	ck_assert_int_eq(check_image(s, "images/e.img", 1), RF_OK);
	ck_assert_int_eq(check_image(s, "images/c.img", SIZE_MAX), RF_OK);
	rf_pkg_stream_stats(s, &st);
	ck_assert_uint_eq(st.passes, 1);
	ck_assert_uint_eq(st.spooled_bytes, img_size[0] + img_size[2]);
	rf_pkg_stream_close(s);
	/* no spool: a is read again from the package */
	s = open_stream(&p, order, 5, 1, NULL);
	ck_assert_int_eq(check_image(s, "images/a.img", 3), RF_OK);
	ck_assert_int_eq(check_image(s, "images/b.img", SIZE_MAX), RF_OK);
	ck_assert_int_eq(check_image(s, "images/a.img", SIZE_MAX), RF_OK);
	ck_assert_int_eq(check_image(s, "images/e.img", 100), RF_OK);
	ck_assert_int_eq(check_image(s, "images/c.img", SIZE_MAX), RF_OK);
	rf_pkg_stream_stats(s, &st);
	ck_assert_uint_eq(st.passes, 3); /* a again; c passed on the way to e */
	rf_pkg_stream_close(s);
	ck_assert_uint_eq(spool_entries(), 0);
	rf_pkg_close(&p);
}
END_TEST

START_TEST(test_folder)
{
	char dir[256], cmd[1024];
	struct rf_package p;
	struct rf_pkg_stream_stats st;
	static const char *const order[] = {
		"images/e.img", "images/a.img", "images/c.img", "images/a.img",
		"images/d.img", "images/b.img",
	};
	snprintf(dir, sizeof dir, "%s/x.%d", root, (int)getpid());
	snprintf(cmd, sizeof cmd, "mkdir '%s' && tar xzf '%s' -C '%s'", dir,
		 tgz, dir);
	run(cmd);
	snprintf(dir + strlen(dir), sizeof dir - strlen(dir), "/%s", TOP);
	stream_all(dir, order, 6, 0, &st);
	ck_assert_uint_eq(st.passes, 0);
	ck_assert_uint_eq(st.spooled_bytes, 0);

	/* an image swapped for a link after the check is refused */
	open_pkg(&p, dir);
	struct rf_pkg_stream *s = open_stream(&p, order, 6, 0, NULL);
	snprintf(cmd, sizeof cmd, "cd '%s/images' && rm e.img && "
		 "ln -s /etc/passwd e.img", dir);
	run(cmd);
	rf_read_fn rd;
	void *ctx;
	uint64_t size;
	ck_assert_int_eq(rf_pkg_stream_image(s, "images/e.img", &rd, &ctx,
					     &size), RF_EFORMAT);
	ck_assert_ptr_nonnull(strstr(rf_pkg_stream_err(s), "changed"));
	/* a file that shrank is refused too */
	snprintf(cmd, sizeof cmd, "truncate -s 5 '%s/images/a.img'", dir);
	run(cmd);
	ck_assert_int_eq(rf_pkg_stream_image(s, "images/a.img", &rd, &ctx,
					     &size), RF_EFORMAT);
	ck_assert_int_eq(check_image(s, "images/c.img", SIZE_MAX), RF_OK);
	rf_pkg_stream_close(s);
	rf_pkg_close(&p);
	snprintf(cmd, sizeof cmd, "rm -rf '%s/x.%d'", root, (int)getpid());
	run(cmd);
}
END_TEST

START_TEST(test_absent)
{
	struct rf_package p;
	struct rf_pkg_stream *s = NULL;
	char err[RF_ERRLEN] = "";
	static const char *const bad[] = { "images/a.img", "images/nope.img" };
	struct rf_pkg_stream_opts o = { .order = bad, .norder = 2,
					.spool_dir = spool };
	rf_read_fn rd;
	void *ctx;
	uint64_t size;

	open_pkg(&p, tgz);
	ck_assert_int_eq(rf_pkg_stream_open(&s, &p, &o, err), RF_EFORMAT);
	ck_assert_ptr_null(s);
	ck_assert_ptr_nonnull(strstr(err, "images/nope.img"));
	s = open_stream(&p, fwd, NIMG, 0, NULL);
	ck_assert_int_eq(rf_pkg_stream_image(s, "images/nope.img", &rd, &ctx,
					     &size), RF_EFORMAT);
	ck_assert_ptr_nonnull(strstr(rf_pkg_stream_err(s), "nope"));
	/* the failed reader says so instead of handing out nothing */
	size_t n;
	unsigned char b[8];
	ck_assert_int_ne(rd(ctx, b, sizeof b, &n), RF_OK);
	/* the stream still works */
	ck_assert_int_eq(check_image(s, "images/b.img", SIZE_MAX), RF_OK);
	rf_pkg_stream_close(s);
	rf_pkg_close(&p);
}
END_TEST

START_TEST(test_cancel)
{
	struct rf_package p;
	volatile sig_atomic_t stop = 0;
	rf_read_fn rd;
	void *ctx;
	uint64_t size;
	size_t n;
	static unsigned char b[4096];

	open_pkg(&p, tgz);
	struct rf_pkg_stream *s = open_stream(&p, rev, NIMG, 64u << 20, &stop);
	ck_assert_int_eq(rf_pkg_stream_image(s, "images/e.img", &rd, &ctx,
					     &size), RF_OK);
	ck_assert_int_eq(rd(ctx, b, sizeof b, &n), RF_OK);
	stop = 1;
	/* an image being read is read to its end (its download must
	 * finish); the next one is refused */
	uint64_t total = n;
	do {
		ck_assert_int_eq(rd(ctx, b, sizeof b, &n), RF_OK);
		total += n;
	} while (n);
	ck_assert_uint_eq(total, size);
	ck_assert_int_eq(rf_pkg_stream_image(s, "images/d.img", &rd, &ctx,
					     &size), RF_EINTR);
	rf_pkg_stream_close(s);
	ck_assert_uint_eq(spool_entries(), 0);

	/* cancelled while walking to an image */
	stop = 1;
	s = open_stream(&p, rev, NIMG, 64u << 20, &stop);
	ck_assert_int_eq(rf_pkg_stream_image(s, "images/e.img", &rd, &ctx,
					     &size), RF_EINTR);
	rf_pkg_stream_close(s);
	rf_pkg_close(&p);
}
END_TEST

static void copy_pkg(char *out, size_t cap, const char *tag)
{
	char cmd[512];
	snprintf(out, cap, "%s/%s.%d.tgz", root, tag, (int)getpid());
	snprintf(cmd, sizeof cmd, "cp '%s' '%s'", tgz, out);
	run(cmd);
}

/* Byte 4 of a gzip file is its MTIME: changing it keeps a valid gzip of
 * the same content and size, but not the same file. */
static void touch_gzip_mtime(const char *path)
{
	int fd = open(path, O_RDWR);
	unsigned char c;
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, &c, 1, 4), 1);
	c ^= 0x5a;
	ck_assert_int_eq(pwrite(fd, &c, 1, 4), 1);
	close(fd);
}

START_TEST(test_replaced_between_passes)
{
	char path[256], other[300], cmd[1024];
	struct rf_package p;
	copy_pkg(path, sizeof path, "repl");
	open_pkg(&p, path);
	struct rf_pkg_stream *s = open_stream(&p, rev, NIMG, 1, NULL);
	ck_assert_int_eq(check_image(s, "images/e.img", SIZE_MAX), RF_OK);
	/* a new download of the same size renamed over it */
	snprintf(other, sizeof other, "%s.new", path);
	snprintf(cmd, sizeof cmd, "cp '%s' '%s'", path, other);
	run(cmd);
	touch_gzip_mtime(other);
	ck_assert_int_eq(rename(other, path), 0);
	ck_assert_int_eq(check_image(s, "images/d.img", SIZE_MAX), RF_OK);
	ck_assert_int_eq(check_image(s, "images/c.img", SIZE_MAX), RF_EFORMAT);
	ck_assert_ptr_nonnull(strstr(rf_pkg_stream_err(s), "changed"));
	rf_pkg_stream_close(s);
	rf_pkg_close(&p);
	unlink(path);
}
END_TEST

START_TEST(test_modified_before_stream)
{
	char path[256];
	struct rf_package p;
	struct rf_pkg_stream_opts o = { .order = fwd, .norder = NIMG,
					.spool_dir = spool };
	char err[RF_ERRLEN];
	copy_pkg(path, sizeof path, "mod");
	open_pkg(&p, path);
	touch_gzip_mtime(path); /* same inode, same size */
	/* the identity package.c recorded (mtime, ctime) refuses it at once */
	struct rf_pkg_stream *s = NULL;
	ck_assert_int_eq(rf_pkg_stream_open(&s, &p, &o, err), RF_EFORMAT);
	ck_assert_ptr_nonnull(strstr(err, "changed"));
	/* without that identity (a change the clock cannot show), the MD5
	 * of the pass still catches it */
	memset(&p.ident, 0, sizeof p.ident);
	s = open_stream(&p, fwd, NIMG, 0, NULL);
	for (int i = 0; i < NIMG - 1; i++)
		ck_assert_int_eq(check_image(s, fwd[i], SIZE_MAX), RF_OK);
	/* the last bytes of the last image wait for the pass's MD5 */
	ck_assert_int_eq(check_image(s, fwd[NIMG - 1], SIZE_MAX), RF_EFORMAT);
	ck_assert_ptr_nonnull(strstr(rf_pkg_stream_err(s), "MD5"));
	rf_pkg_stream_close(s);

	/* grown since the check: refused at once */
	FILE *f = fopen(path, "ab");
	ck_assert_ptr_nonnull(f);
	fputc(0, f);
	fclose(f);
	s = NULL;
	ck_assert_int_eq(rf_pkg_stream_open(&s, &p, &o, err), RF_EFORMAT);
	ck_assert_ptr_nonnull(strstr(err, "changed"));
	rf_pkg_close(&p);
	unlink(path);
}
END_TEST

static Suite *pkg_stream_suite(void)
{
	Suite *s = suite_create("pkg_stream");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
	tcase_add_checked_fixture(tc, test_setup, test_teardown);
	tcase_add_test(tc, test_tar_order);
	tcase_add_test(tc, test_reversed_spooled);
	tcase_add_test(tc, test_reversed_restarts);
	tcase_add_test(tc, test_reversed_partial);
	tcase_add_test(tc, test_repeated);
	tcase_add_test(tc, test_abandoned_reader);
	tcase_add_test(tc, test_folder);
	tcase_add_test(tc, test_absent);
	tcase_add_test(tc, test_cancel);
	tcase_add_test(tc, test_replaced_between_passes);
	tcase_add_test(tc, test_modified_before_stream);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(pkg_stream_suite());
	int failed;
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
