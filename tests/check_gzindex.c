/* The gunzip access index: resume points taken during a straight inflate
 * (inflate.c, gz_index.c) give byte-identical output when resumed, on
 * single- and multi-member gzip, and stay bounded in number whatever the
 * package; package.c records them and the tar header offsets, and
 * pkg_stream.c serves images in any order from them without restarting
 * from byte 0 or spooling, through verified windows only: a byte changed
 * on disk is refused, whichever way it is reached. */
#include <check.h>
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
#include "pkg_fixture.h"
#include "pkg_stream.h"

#define NIMG 6
#define LONGNAME "images/a_very_long_image_name_that_needs_an_extension_" \
	"header_in_both_gnu_and_pax_formats_0123456789_abcdefghij.img"

static const char *const img_rel[NIMG] = {
	"images/boot.img", "images/cache.img", LONGNAME, "images/modem.img",
	"images/system.img", "images/tz.img",
};
static const size_t img_size[NIMG] = {
	(1u << 20) + 13, 3u << 20, 700001, 0, (2u << 20) + 4097, 5,
};
static const enum pf_kind img_kind[NIMG] = {
	PF_TEXT, PF_REPEAT, PF_TEXT, PF_RANDOM, PF_REPEAT, PF_RANDOM,
};

static struct pf_tree tree;
static struct {
	char gnu[128], pax[128], multi[128];
} pk;

static void suite_setup(void)
{
	static const size_t cuts[] = { 1500000, 4500000 };
	pf_tree_make(&tree, "ck_gzindex", img_rel, img_size, img_kind, NIMG);
	pf_tree_tgz(&tree, "gnu.tgz", "gnu", "", pk.gnu, sizeof pk.gnu);
	pf_tree_tgz(&tree, "pax.tgz", "pax", "", pk.pax, sizeof pk.pax);
	/* three gzip members, cut in the middle of images */
	pf_tree_tgz_members(&tree, "multi.tgz", cuts, 2, pk.multi,
			    sizeof pk.multi);
}

static void suite_teardown(void)
{
	pf_tree_remove(&tree);
}

/* ------------------------------------------------------- inflate.c */

static unsigned char *inflate_all(const char *path, size_t *len,
				  struct rf_gz_point **pts, size_t *npts,
				  uint64_t step, struct rf_winsums *ws)
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
	rf_gzr_record_windows(g, ws);
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
static void resume_all(const char *path, const struct rf_winsums *ws,
		       const struct rf_gz_point *pts, size_t npts,
		       const unsigned char *all, size_t len)
{
	char err[RF_ERRLEN], md5[33];
	struct rf_vfile vf;
	ck_assert_int_eq(rf_vfile_open(&vf, path, ws, err), RF_OK);
	for (size_t i = 0; i < npts; i++) {
		struct rf_gzr *g;
		const void *p;
		size_t n;
		uint64_t off = pts[i].out_off;
		ck_assert_int_eq(rf_gzr_open_at(&g, &vf, &pts[i], err), RF_OK);
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
	rf_vfile_close(&vf);
}

static void check_points(const char *path, uint64_t step)
{
	struct rf_gz_point *pts;
	struct rf_winsums ws;
	size_t len, npts;
	unsigned char *all = inflate_all(path, &len, &pts, &npts, step, &ws);
	ck_assert_ptr_nonnull(pts);
	ck_assert_uint_ge(npts, 4);
	ck_assert_uint_eq(pts[0].out_off, 0);
	for (size_t i = 1; i < npts; i++) /* ascending, about `step` apart */
		ck_assert_uint_ge(pts[i].out_off, pts[i - 1].out_off + step);
	resume_all(path, &ws, pts, npts, all, len);
	free(pts);
	free(all);
	rf_winsums_free(&ws);
}

START_TEST(test_points_single)
{
	check_points(pk.gnu, 1);
	check_points(pk.pax, 1);
	check_points(pk.gnu, 1u << 20);
}
END_TEST

/* Three gzip members: points on either side of the member boundaries
 * (never at one) resume correctly */
START_TEST(test_points_multi)
{
	check_points(pk.multi, 1);
	check_points(pk.multi, 300000);
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
	struct rf_winsums ws;
	ck_assert_ptr_nonnull(all);
	ck_assert_int_eq(rf_gzr_open(&g, pk.gnu, 1, err), RF_OK);
	rf_gzr_index_every(g, 1ull << 40); /* only the point at 0 */
	rf_gzr_record_windows(g, &ws);
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
	resume_all(pk.gnu, &ws, pts, npts, all, len);
	free(pts);
	free(all);
	rf_winsums_free(&ws);
}
END_TEST

START_TEST(test_point_pass_through)
{
	struct rf_gzr *g;
	char err[RF_ERRLEN], md5[33];
	size_t n;
	const void *p;
	ck_assert_int_eq(rf_gzr_open(&g, pk.gnu, 0, err), RF_OK);
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


/* However many points a pass could take, a bounded number is kept: every
 * other one goes when they are too many (the step doubles), and marks
 * stop at their own bound; those kept still resume exactly. */
START_TEST(test_index_bounded)
{
	static const char *const rel[] = { "images/zeroish.img" };
	static const size_t size[] = { 100u << 20 };
	static const enum pf_kind kind[] = { PF_REPEAT };
	struct pf_tree t;
	struct rf_gzr *g;
	struct rf_winsums ws;
	char err[RF_ERRLEN], md5[33], path[128];
	const void *p;
	size_t n, len = 0, npts, nmarks = 0;
	unsigned char *all = malloc(101u << 20);
	ck_assert_ptr_nonnull(all);
	/* 100 MiB that inflate in no time: over 100 output slots */
	pf_tree_make(&t, "ck_gzindex_many", rel, size, kind, 1);
	pf_tree_tgz(&t, "many.tgz", "gnu", "", path, sizeof path);
	ck_assert_int_eq(rf_gzr_open(&g, path, 1, err), RF_OK);
	rf_gzr_index_every(g, 1); /* a point at every call: thousands */
	rf_gzr_record_windows(g, &ws);
	for (;;) {
		ck_assert_int_eq(rf_gzr_next(g, &p, &n), RF_OK);
		if (!n)
			break;
		ck_assert_uint_le(len + n, 101u << 20);
		memcpy(all + len, p, n);
		len += n;
		rf_gzr_index_mark(g, len); /* and a mark for each piece */
		nmarks++;
	}
	ck_assert_int_eq(rf_gzr_finish(g, md5), RF_OK);
	struct rf_gz_point *pts = rf_gzr_take_points(g, &npts);
	rf_gzr_close(g);
	ck_assert_uint_gt(nmarks, RF_GZ_MAX_MARKS);
	ck_assert_ptr_nonnull(pts);
	ck_assert_uint_ge(npts, RF_GZ_MAX_POINTS / 2);
	ck_assert_uint_le(npts, RF_GZ_MAX_POINTS + RF_GZ_MAX_MARKS);
	ck_assert_uint_eq(pts[0].out_off, 0);
	for (size_t i = 1; i < npts; i++)
		ck_assert_uint_gt(pts[i].out_off, pts[i - 1].out_off);
	/* spread over the whole stream, not only its start */
	ck_assert_uint_gt(pts[npts - 1].out_off, len / 2);
	resume_all(path, &ws, pts, npts, all, len);
	free(pts);
	free(all);
	rf_winsums_free(&ws);
	pf_tree_remove(&t);
}
END_TEST

/* ----------------------------------------------------- pkg_stream.c */

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
					.spool_dir = tree.root, .par_min = par_min };
	struct rf_pkg_stream *s = NULL;
	int rc = rf_pkg_stream_open(&s, p, &o, err);
	return rc ? NULL : s;
}

static struct rf_pkg_stream *open_stream(const struct rf_package *p,
					 const char *const *order, size_t n,
					 char *err)
{
	struct rf_pkg_stream_opts o = { .order = order, .norder = n,
					.spool_dir = tree.root };
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
		int rc = pf_check_image(s, &tree, order[i], SIZE_MAX);
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
	const char *all[] = { pk.gnu, pk.pax, pk.multi };
	for (int k = 0; k < 3; k++) {
		stream_order(all[k], rev, NIMG, 0);
		stream_order(all[k], rev, NIMG, 1);
	}
}
END_TEST

START_TEST(test_stream_mixed)
{
	const char *all[] = { pk.gnu, pk.pax, pk.multi };
	for (int k = 0; k < 3; k++) {
		stream_order(all[k], mixed, sizeof mixed / sizeof *mixed, 0);
		stream_order(all[k], mixed, sizeof mixed / sizeof *mixed, 1);
	}
}
END_TEST

/* Without the flag: no index, the plain passes. */
START_TEST(test_no_index)
{
	struct rf_package p;
	struct rf_pkg_stream_stats st;
	char err[RF_ERRLEN];
	ck_assert_int_eq(rf_pkg_open(&p, pk.pax, NULL), RF_OK);
	ck_assert_uint_eq(p.ngz_points, 0);
	struct rf_pkg_stream *s = open_stream(&p, rev, NIMG, err);
	ck_assert_ptr_nonnull(s);
	for (size_t i = 0; i < NIMG; i++)
		ck_assert_int_eq(pf_check_image(s, &tree, rev[i], SIZE_MAX), RF_OK);
	rf_pkg_stream_stats(s, &st);
	ck_assert_uint_eq(st.seeks, 0);
	ck_assert_uint_ge(st.passes, 1);
	rf_pkg_stream_close(s);
	rf_pkg_close(&p);
}
END_TEST

/* Touched, or rewritten with the same bytes: the bytes read are still the
 * verified ones, so images come out (the identity is the record's key,
 * not a condition of reading). */
START_TEST(test_same_bytes_accepted)
{
	char path[256], err[RF_ERRLEN];
	struct rf_package p;
	struct timespec ts[2] = { { 0, UTIME_OMIT }, { 1000000000, 0 } };
	pf_copy(&tree, pk.gnu, "same.tgz", path, sizeof path);
	open_indexed(&p, path);
	ck_assert_int_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
	struct rf_pkg_stream *s = open_stream(&p, rev, NIMG, err);
	ck_assert_msg(s != NULL, "%s", err);
	ck_assert_int_eq(pf_check_image(s, &tree, rev[0], SIZE_MAX), RF_OK);
	pf_run("cat '%s' > '%s.x' && cat '%s.x' > '%s' && rm '%s.x'", path,
	       path, path, path, path);
	for (int i = 1; i < NIMG; i++)
		ck_assert_int_eq(pf_check_image(s, &tree, rev[i], SIZE_MAX), RF_OK);
	rf_pkg_stream_close(s);
	rf_pkg_close(&p);
	unlink(path);
}
END_TEST

/* A package of large random images: compressed bytes map to one image. */
static const char *const big_rel[] = {
	"images/x.img", "images/y.img", "images/z.img",
};
static const size_t big_size[] = { 3u << 20, 3u << 20, 5 };
static const enum pf_kind big_kind[] = { PF_RANDOM, PF_RANDOM, PF_TEXT };

/* A byte of y's compressed data changed after the verification: y is
 * refused whether it is reached by a resume point or by the two-thread
 * inflate; x and z, in other windows, come out whole. */
START_TEST(test_changed_indexed)
{
	static const char *const order[] = {
		"images/z.img", "images/y.img", "images/x.img",
	};
	struct pf_tree big;
	struct rf_package p;
	char path[256], err[RF_ERRLEN];
	const struct rf_pkg_file *y;
	uint64_t at;

	pf_tree_make(&big, "ck_gzindex_big", big_rel, big_size, big_kind, 3);
	pf_tree_tgz(&big, "big.tgz", "gnu", "", path, sizeof path);
	for (uint64_t par_min = 1; par_min <= 2; par_min++) {
		open_indexed(&p, path);
		y = rf_pkg_find(&p, "images/y.img");
		ck_assert_ptr_nonnull(y);
		/* random data is stored: its compressed offset is about its
		 * tar offset */
		at = y->data_off + y->size / 2;
		pf_flip(path, at);
		struct rf_pkg_stream *s = open_stream_par(&p, order, 3,
			par_min == 1 ? 1 : UINT64_MAX, err);
		ck_assert_msg(s != NULL, "%s", err);
		ck_assert_int_eq(pf_check_image(s, &big, order[0], SIZE_MAX), RF_OK);
		ck_assert_int_eq(pf_check_image(s, &big, order[1], SIZE_MAX),
				 RF_ECHANGED);
		ck_assert_ptr_nonnull(strstr(rf_pkg_stream_err(s),
					     "changed on disk since it was verified"));
		ck_assert_int_eq(pf_check_image(s, &big, order[2], SIZE_MAX), RF_OK);
		rf_pkg_stream_close(s);
		rf_pkg_close(&p);
		pf_flip(path, at);
	}
	pf_tree_remove(&big);
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
	tcase_add_test(tc, test_index_bounded);
	tcase_add_test(tc, test_stream_reversed);
	tcase_add_test(tc, test_stream_mixed);
	tcase_add_test(tc, test_no_index);
	tcase_add_test(tc, test_same_bytes_accepted);
	tcase_add_test(tc, test_changed_indexed);
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
