/* The gunzip access index: resume points taken during a straight inflate
 * (inflate.c) give byte-identical output when resumed, on single- and
 * multi-member gzip; package.c records them and the tar header offsets,
 * and pkg_stream.c serves images in any order from them without restarting
 * from byte 0 or spooling, and refuses a file changed since it was
 * verified. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "inflate.h"
#include "package.h"
#include "pkg_stream.h"

#define TOP "cancro_images_7.12.8_20171208.0000.00_6.0_cn"
#define NIMG 6
#define LONGNAME "images/a_very_long_image_name_that_needs_an_extension_" \
	"header_in_both_gnu_and_pax_formats_0123456789_abcdefghij.img"

static const char *img_rel[NIMG] = {
	"images/boot.img", "images/cache.img", LONGNAME, "images/modem.img",
	"images/system.img", "images/tz.img",
};
static const size_t img_size[NIMG] = {
	(1u << 20) + 13, 3u << 20, 700001, 0, (2u << 20) + 4097, 5,
};

enum { GNU, PAX, MULTI, NPKG };
static char root[64];
static char tgz[NPKG][128];

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void run(const char *cmd)
{
	int rc = system(cmd);
	ck_assert_msg(rc == 0, "%s: exit %d", cmd, rc);
}

/* kind 0: text-like (short matches), 1: random (stored blocks), 2: a
 * random block repeated (matches reaching ~30 KiB back, across the
 * inflater's output calls: the history must travel in the saved state) */
static void write_file(const char *path, size_t size, int kind)
{
	static unsigned char blk[30011];
	FILE *f = fopen(path, "wb");
	ck_assert_msg(f, "%s: %s", path, strerror(errno));
	for (size_t i = 0; i < sizeof blk; i++)
		blk[i] = (unsigned char)rnd();
	for (size_t i = 0; i < size; i++)
		fputc(kind == 1 ? (int)(rnd() & 0xff) :
		      kind == 2 ? blk[i % sizeof blk] :
		      "romflash index\n"[(i / 7) % 15], f);
	ck_assert_int_eq(fclose(f), 0);
}

static void suite_setup(void)
{
	char p[512], cmd[4096], list[2048];
	size_t n;
	snprintf(root, sizeof root, "/tmp/ck_gzindex.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
	snprintf(cmd, sizeof cmd, "mkdir -p '%s/src/%s/images'", root, TOP);
	run(cmd);
	snprintf(p, sizeof p, "%s/src/%s/flash_all.sh", root, TOP);
	FILE *f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "fastboot $* flash boot `dirname $0`/images/boot.img\n");
	fclose(f);
	n = (size_t)snprintf(list, sizeof list, TOP "/flash_all.sh");
	for (int i = 0; i < NIMG; i++) {
		snprintf(p, sizeof p, "%s/src/%s/%s", root, TOP, img_rel[i]);
		write_file(p, img_size[i], i == 1 || i == 4 ? 2 : i % 2);
		n += (size_t)snprintf(list + n, sizeof list - n, " '" TOP "/%s'",
				      img_rel[i]);
	}
	for (int k = 0; k < NPKG; k++)
		snprintf(tgz[k], sizeof tgz[k], "%s/pkg%d.tgz", root, k);
	snprintf(cmd, sizeof cmd, "cd '%s/src' && tar --format=gnu -czf '%s' %s",
		 root, tgz[GNU], list);
	run(cmd);
	snprintf(cmd, sizeof cmd, "cd '%s/src' && tar --format=pax -czf '%s' %s",
		 root, tgz[PAX], list);
	run(cmd);
	/* three gzip members, cut in the middle of images */
	snprintf(cmd, sizeof cmd, "cd '%s/src' && tar --format=gnu -cf ../m.tar "
		 "%s && cd .. && head -c 1500000 m.tar | gzip -1 > '%s' && "
		 "tail -c +1500001 m.tar | head -c 3000000 | gzip >> '%s' && "
		 "tail -c +4500001 m.tar | gzip >> '%s' && rm m.tar",
		 root, list, tgz[MULTI], tgz[MULTI], tgz[MULTI]);
	run(cmd);
}

static void suite_teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	if (root[0] && system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", root);
}

/* ------------------------------------------------------- inflate.c */

static unsigned char *inflate_all(const char *path, size_t *len,
				  struct rf_gz_point **pts, size_t *npts,
				  uint64_t step)
{
	struct rf_gzr *g;
	char err[RF_ERRLEN], md5[33];
	size_t cap = 16u << 20;
	unsigned char *buf = malloc(cap);
	const void *p;
	size_t n;
	ck_assert_ptr_nonnull(buf);
	*len = 0;
	ck_assert_int_eq(rf_gzr_open(&g, path, 1, err), RF_OK);
	rf_gzr_index_every(g, step);
	for (;;) {
		ck_assert_int_eq(rf_gzr_next(g, &p, &n), RF_OK);
		if (!n)
			break;
		ck_assert_uint_le(*len + n, cap);
		memcpy(buf + *len, p, n);
		*len += n;
	}
	ck_assert_ptr_null(rf_gzr_take_points(g, npts)); /* not finished */
	ck_assert_int_eq(rf_gzr_finish(g, md5), RF_OK);
	ck_assert_uint_eq(strlen(md5), 32);
	ck_assert_uint_eq(rf_gzr_out_total(g), *len);
	*pts = rf_gzr_take_points(g, npts);
	rf_gzr_close(g);
	return buf;
}

/* Every point resumes the stream exactly: same bytes to the end. */
static void resume_all(const char *path, const struct rf_gz_point *pts,
		       size_t npts, const unsigned char *all, size_t len)
{
	char err[RF_ERRLEN], md5[33];
	for (size_t i = 0; i < npts; i++) {
		struct rf_gzr *g;
		const void *p;
		size_t n;
		uint64_t off = pts[i].out_off;
		ck_assert_int_eq(rf_gzr_open_at(&g, path, &pts[i], err), RF_OK);
		for (;;) {
			ck_assert_int_eq(rf_gzr_next(g, &p, &n), RF_OK);
			if (!n)
				break;
			ck_assert_uint_le(off + n, len);
			ck_assert_msg(!memcmp(all + off, p, n), "%s: point %zu "
				      "differs near %llu", path, i,
				      (unsigned long long)off);
			off += n;
		}
		ck_assert_uint_eq(off, len);
		ck_assert_int_eq(rf_gzr_finish(g, md5), RF_OK);
		ck_assert_str_eq(md5, "");
		rf_gzr_close(g);
	}
}

static void check_points(const char *path, uint64_t step)
{
	struct rf_gz_point *pts;
	size_t len, npts;
	unsigned char *all = inflate_all(path, &len, &pts, &npts, step);
	ck_assert_ptr_nonnull(pts);
	ck_assert_uint_ge(npts, 4);
	ck_assert_uint_eq(pts[0].out_off, 0);
	for (size_t i = 1; i < npts; i++) /* ascending, about `step` apart */
		ck_assert_uint_ge(pts[i].out_off, pts[i - 1].out_off + step);
	resume_all(path, pts, npts, all, len);
	free(pts);
	free(all);
}

START_TEST(test_points_single)
{
	check_points(tgz[GNU], 1);
	check_points(tgz[PAX], 1);
	check_points(tgz[GNU], 1u << 20);
}
END_TEST

/* Three gzip members: points on either side of the member boundaries
 * (never at one) resume correctly */
START_TEST(test_points_multi)
{
	check_points(tgz[MULTI], 1);
	check_points(tgz[MULTI], 300000);
}
END_TEST

/* rf_gzr_index_mark: a point at most ~2 MiB (one recent-point step plus
 * one inflate call) before every marked offset, even with a coarse step,
 * and every point resumes exactly. */
START_TEST(test_marks)
{
	struct rf_gzr *g;
	char err[RF_ERRLEN], md5[33];
	const void *p;
	size_t n, len = 0, npts, nmark = 0;
	uint64_t mark[64];
	unsigned char *all = malloc(16u << 20);
	ck_assert_ptr_nonnull(all);
	ck_assert_int_eq(rf_gzr_open(&g, tgz[GNU], 1, err), RF_OK);
	rf_gzr_index_every(g, 1ull << 40); /* only the point at 0 */
	for (;;) {
		ck_assert_int_eq(rf_gzr_next(g, &p, &n), RF_OK);
		if (!n)
			break;
		ck_assert_uint_le(len + n, 16u << 20);
		memcpy(all + len, p, n);
		len += n;
		/* the offset just handed out, as a tar header would be */
		if (nmark < 64 && len > (2u << 20) * (nmark + 1)) {
			mark[nmark++] = len;
			rf_gzr_index_mark(g, len);
		}
	}
	ck_assert_int_eq(rf_gzr_finish(g, md5), RF_OK);
	struct rf_gz_point *pts = rf_gzr_take_points(g, &npts);
	rf_gzr_close(g);
	ck_assert_uint_ge(nmark, 2);
	ck_assert_ptr_nonnull(pts);
	ck_assert_uint_eq(pts[0].out_off, 0);
	for (size_t i = 1; i < npts; i++)
		ck_assert_uint_gt(pts[i].out_off, pts[i - 1].out_off);
	for (size_t m = 0; m < nmark; m++) {
		int near = 0;
		for (size_t i = 0; i < npts; i++)
			near |= pts[i].out_off <= mark[m] && mark[m] - pts[i].out_off <= (2u << 20);
		ck_assert_msg(near, "no point near mark %zu at %llu", m,
			      (unsigned long long)mark[m]);
	}
	resume_all(tgz[GNU], pts, npts, all, len);
	free(pts);
	free(all);
}
END_TEST

START_TEST(test_point_pass_through)
{
	struct rf_gzr *g;
	char err[RF_ERRLEN], md5[33];
	size_t n;
	const void *p;
	ck_assert_int_eq(rf_gzr_open(&g, tgz[GNU], 0, err), RF_OK);
	rf_gzr_index_every(g, 1);
	do
		ck_assert_int_eq(rf_gzr_next(g, &p, &n), RF_OK);
	while (n);
	ck_assert_int_eq(rf_gzr_finish(g, md5), RF_OK);
	ck_assert_ptr_null(rf_gzr_take_points(g, &n));
	ck_assert_uint_eq(n, 0);
	rf_gzr_close(g);
}
END_TEST

/* ----------------------------------------------------- pkg_stream.c */

static int img_index(const char *rel)
{
	for (int i = 0; i < NIMG; i++)
		if (!strcmp(img_rel[i], rel))
			return i;
	ck_abort_msg("unknown image %s", rel);
	return -1;
}

static int check_image(struct rf_pkg_stream *s, const char *rel)
{
	static unsigned char got[70000], want[70000];
	char path[512];
	rf_read_fn rd;
	void *ctx;
	uint64_t size, pos = 0;
	int i = img_index(rel), rc;

	if ((rc = rf_pkg_stream_image(s, rel, &rd, &ctx, &size)))
		return rc;
	ck_assert_uint_eq(size, img_size[i]);
	snprintf(path, sizeof path, "%s/src/%s/%s", root, TOP, rel);
	FILE *f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	while (pos < size) {
		size_t n;
		if ((rc = rd(ctx, got, 1 + (size_t)(rnd() % 65536), &n))) {
			fclose(f);
			return rc;
		}
		ck_assert_uint_gt(n, 0);
		ck_assert_uint_eq(fread(want, 1, n, f), n);
		ck_assert_msg(!memcmp(got, want, n), "%s differs near %llu",
			      rel, (unsigned long long)pos);
		pos += n;
	}
	fclose(f);
	return RF_OK;
}

static void open_indexed(struct rf_package *p, const char *path)
{
	struct rf_pkg_opts o = { .gz_index = 1, .gz_index_step = 1u << 20 };
	int rc = rf_pkg_open(p, path, &o);
	ck_assert_msg(rc == RF_OK, "rf_pkg_open: %s", p->err);
	ck_assert_uint_ge(p->ngz_points, 4);
}

/* par_min 0: the default (no image here is that large); 1: every image
 * through par_inflate, over chunks of 1 MiB (the index step) */
static struct rf_pkg_stream *open_stream_par(const struct rf_package *p,
					     const char *const *order, size_t n,
					     uint64_t par_min, char *err)
{
	struct rf_pkg_stream_opts o = { .order = order, .norder = n,
					.spool_dir = root, .par_min = par_min };
	struct rf_pkg_stream *s = NULL;
	int rc = rf_pkg_stream_open(&s, p, &o, err);
	return rc ? NULL : s;
}

static struct rf_pkg_stream *open_stream(const struct rf_package *p,
					 const char *const *order, size_t n,
					 char *err)
{
	struct rf_pkg_stream_opts o = { .order = order, .norder = n,
					.spool_dir = root };
	struct rf_pkg_stream *s = NULL;
	int rc = rf_pkg_stream_open(&s, p, &o, err);
	return rc ? NULL : s;
}

static const char *const rev[] = {
	"images/tz.img", "images/system.img", "images/modem.img", LONGNAME,
	"images/cache.img", "images/boot.img",
};
static const char *const mixed[] = {
	"images/tz.img", "images/boot.img", LONGNAME, "images/system.img",
	"images/boot.img", "images/cache.img", "images/modem.img",
	"images/tz.img", LONGNAME,
};

static void stream_order(const char *path, const char *const *order,
			 size_t n, uint64_t par_min)
{
	struct rf_package p;
	struct rf_pkg_stream_stats st;
	char err[RF_ERRLEN];
	open_indexed(&p, path);
	struct rf_pkg_stream *s = open_stream_par(&p, order, n, par_min, err);
	ck_assert_msg(s != NULL, "%s", err);
	for (size_t i = 0; i < n; i++) {
		int rc = check_image(s, order[i]);
		ck_assert_msg(rc == RF_OK, "%s: %s", order[i],
			      rf_pkg_stream_err(s));
	}
	rf_pkg_stream_stats(s, &st);
	ck_assert_uint_eq(st.passes, 0);
	ck_assert_uint_gt(st.seeks, 0);
	ck_assert_uint_eq(st.spooled_bytes, 0);
	rf_pkg_stream_close(s);
	rf_pkg_close(&p);
	ck_assert_ptr_null(p.gz_points);
}

START_TEST(test_stream_reversed)
{
	for (int k = 0; k < NPKG; k++) {
		stream_order(tgz[k], rev, NIMG, 0);
		stream_order(tgz[k], rev, NIMG, 1);
	}
}
END_TEST

START_TEST(test_stream_mixed)
{
	for (int k = 0; k < NPKG; k++) {
		stream_order(tgz[k], mixed, sizeof mixed / sizeof *mixed, 0);
		stream_order(tgz[k], mixed, sizeof mixed / sizeof *mixed, 1);
	}
}
END_TEST

/* Without the flag: no index, the plain passes. */
START_TEST(test_no_index)
{
	struct rf_package p;
	struct rf_pkg_stream_stats st;
	char err[RF_ERRLEN];
	ck_assert_int_eq(rf_pkg_open(&p, tgz[PAX], NULL), RF_OK);
	ck_assert_uint_eq(p.ngz_points, 0);
	struct rf_pkg_stream *s = open_stream(&p, rev, NIMG, err);
	ck_assert_ptr_nonnull(s);
	for (size_t i = 0; i < NIMG; i++)
		ck_assert_int_eq(check_image(s, rev[i]), RF_OK);
	rf_pkg_stream_stats(s, &st);
	ck_assert_uint_eq(st.seeks, 0);
	ck_assert_uint_ge(st.passes, 1);
	rf_pkg_stream_close(s);
	rf_pkg_close(&p);
}
END_TEST

static void copy_pkg(char *out, size_t cap, const char *tag)
{
	char cmd[512];
	snprintf(out, cap, "%s/%s.tgz", root, tag);
	snprintf(cmd, sizeof cmd, "cp '%s' '%s'", tgz[GNU], out);
	run(cmd);
}

static void bump_mtime(const char *path)
{
	struct timespec ts[2] = { { 0, UTIME_OMIT }, { 1000000000, 0 } };
	ck_assert_int_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
}

START_TEST(test_touched_refused)
{
	char path[256], err[RF_ERRLEN];
	struct rf_package p;
	copy_pkg(path, sizeof path, "touched");
	open_indexed(&p, path);
	bump_mtime(path);
	ck_assert_ptr_null(open_stream(&p, rev, NIMG, err));
	ck_assert_ptr_nonnull(strstr(err, "changed"));
	rf_pkg_close(&p);
	unlink(path);
}
END_TEST

START_TEST(test_rewritten_refused)
{
	char path[256], cmd[1400], err[RF_ERRLEN];
	struct rf_package p;
	copy_pkg(path, sizeof path, "rewritten");
	open_indexed(&p, path);
	struct rf_pkg_stream *s = open_stream(&p, rev, NIMG, err);
	ck_assert_msg(s != NULL, "%s", err);
	ck_assert_int_eq(check_image(s, rev[0]), RF_OK);
	/* the same bytes written again in place: same inode, new times */
	snprintf(cmd, sizeof cmd, "cat '%s' > '%s.x' && cat '%s.x' > '%s' && "
		 "rm '%s.x'", path, path, path, path, path);
	run(cmd);
	bump_mtime(path); /* in case the clock did not move */
	ck_assert_int_eq(check_image(s, rev[1]), RF_EFORMAT);
	ck_assert_ptr_nonnull(strstr(rf_pkg_stream_err(s), "changed"));
	rf_pkg_stream_close(s);
	rf_pkg_close(&p);
	unlink(path);
}
END_TEST

static Suite *gzindex_suite(void)
{
	Suite *s = suite_create("gzindex");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
	tcase_add_test(tc, test_points_single);
	tcase_add_test(tc, test_points_multi);
	tcase_add_test(tc, test_point_pass_through);
	tcase_add_test(tc, test_marks);
	tcase_add_test(tc, test_stream_reversed);
	tcase_add_test(tc, test_stream_mixed);
	tcase_add_test(tc, test_no_index);
	tcase_add_test(tc, test_touched_refused);
	tcase_add_test(tc, test_rewritten_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(gzindex_suite());
	int failed;
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
