/* Verification records (pkg_record.c): a second open of the same file
 * reads its record instead of the package, and learns exactly what the
 * pass learned; a touched, resized or damaged record's file is read whole
 * again; the window digests a record carries still check every byte a
 * stream reads; at most RF_PKG_RECORDS are kept. */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gz_index.h"
#include "package.h"
#include "pkg_fixture.h"
#include "pkg_record.h"
#include "pkg_stream.h"
#include "sparse_build.h"

#define NIMG 4

static const char *const img_rel[NIMG] = {
	"images/boot.img", "images/system.img", "images/tz.img",
	"images/userdata.img",
};
static const size_t img_size[NIMG] = {
	(1u << 20) + 13, (3u << 20) + 5, 5, 700001,
};
static const enum pf_kind img_kind[NIMG] = {
	PF_RANDOM, PF_REPEAT, PF_TEXT, PF_TEXT,
};

static struct pf_tree tree;
static char tgz[128], dir[128];

static void suite_setup(void)
{
	pf_tree_make(&tree, "ck_record", img_rel, img_size, img_kind, NIMG);
	pf_tree_tgz(&tree, "pkg.tgz", "gnu", "", tgz, sizeof tgz);
}

static void suite_teardown(void)
{
	pf_tree_remove(&tree);
}

/* Per test: a record folder of its own. */
static void test_setup(void)
{
	snprintf(dir, sizeof dir, "%s/records.%d", tree.root, (int)getpid());
}

static void test_teardown(void)
{
	pf_run("rm -rf '%s'", dir);
}

static size_t records(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;
	if (!d)
		return 0;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

static void open_rec(struct rf_package *p, const char *path, int index)
{
	struct rf_pkg_opts o = { .record_dir = dir, .gz_index = index,
				 .gz_index_step = 1u << 20 };
	int rc = rf_pkg_open(p, path, &o);
	ck_assert_msg(rc == RF_OK, "rf_pkg_open: %s", p->err);
}

/* What the record gave is what the pass learned. */
static void same_package(const struct rf_package *a, const struct rf_package *b)
{
	ck_assert_str_eq(a->md5, b->md5);
	ck_assert_str_eq(a->top, b->top);
	ck_assert_uint_eq(a->file_size, b->file_size);
	ck_assert_uint_eq(a->content_size, b->content_size);
	ck_assert_uint_eq(a->nfiles, b->nfiles);
	for (size_t i = 0; i < a->nfiles; i++) {
		const struct rf_pkg_file *x = &a->files[i], *y = &b->files[i];
		ck_assert_str_eq(x->path, y->path);
		ck_assert_uint_eq(x->size, y->size);
		ck_assert_int_eq(x->sparse, y->sparse);
		ck_assert_uint_eq(x->tar_off, y->tar_off);
		ck_assert_uint_eq(x->data_off, y->data_off);
		ck_assert_int_eq(!x->text, !y->text);
		if (x->text)
			ck_assert_str_eq(x->text, y->text);
		ck_assert_int_eq(!x->layout, !y->layout);
		if (x->layout)
			st_same_layout(x->layout, y->layout);
	}
	ck_assert_uint_eq(a->win.n, b->win.n);
	ck_assert_uint_eq(a->win.size, b->win.size);
	ck_assert_int_eq(a->win.keyed, b->win.keyed);
	ck_assert(!memcmp(a->win.key, b->win.key, sizeof a->win.key));
	ck_assert(!memcmp(a->win.tag, b->win.tag, a->win.n * sizeof *a->win.tag));
	ck_assert_uint_eq(a->ngz_points, b->ngz_points);
	for (size_t i = 0; i < a->ngz_points; i++) {
		ck_assert_uint_eq(a->gz_points[i].in_off, b->gz_points[i].in_off);
		ck_assert_uint_eq(a->gz_points[i].out_off, b->gz_points[i].out_off);
		ck_assert(!memcmp(&a->gz_points[i].st, &b->gz_points[i].st,
				  sizeof a->gz_points[i].st));
	}
}

/* Stream every image (index on), comparing every byte; the code of the
 * first failure. */
static int stream_all(const struct rf_package *p)
{
	static const char *const order[] = {
		"images/userdata.img", "images/tz.img", "images/system.img",
		"images/boot.img",
	};
	struct rf_pkg_stream_opts o = { .order = order, .norder = NIMG,
					.spool_dir = tree.root };
	struct rf_pkg_stream *s;
	char err[RF_ERRLEN];
	int rc = rf_pkg_stream_open(&s, p, &o, err);
	for (int i = 0; !rc && i < NIMG; i++)
		rc = pf_check_image(s, &tree, order[i], SIZE_MAX);
	if (s)
		rf_pkg_stream_close(s);
	return rc;
}

START_TEST(test_reused)
{
	struct rf_package first, again, plain;
	char path[256];

	pf_copy(&tree, tgz, "reused.tgz", path, sizeof path);
	open_rec(&first, path, 1);
	ck_assert_int_eq(first.from_record, 0);
	ck_assert_uint_gt(first.ngz_points, 2);
	ck_assert_uint_eq(records(), 1);
	open_rec(&again, path, 1);
	ck_assert_int_eq(again.from_record, 1);
	same_package(&first, &again);
	/* the points and offsets it gave serve every image, exactly */
	ck_assert_int_eq(stream_all(&again), RF_OK);
	rf_pkg_close(&again);
	/* without the index: the same listing, no points held */
	open_rec(&again, path, 0);
	ck_assert_int_eq(again.from_record, 1);
	ck_assert_uint_eq(again.ngz_points, 0);
	ck_assert_int_eq(stream_all(&again), RF_OK);
	rf_pkg_close(&again);
	/* an open without records: the same package */
	ck_assert_int_eq(rf_pkg_open(&plain, path, NULL), RF_OK);
	ck_assert_str_eq(plain.md5, first.md5);
	rf_pkg_close(&plain);
	rf_pkg_close(&first);
	unlink(path);
}
END_TEST

START_TEST(test_invalidated)
{
	struct rf_package p;
	struct timespec ts[2] = { { 0, UTIME_OMIT }, { 1000000000, 0 } };
	char path[256];

	pf_copy(&tree, tgz, "touched.tgz", path, sizeof path);
	open_rec(&p, path, 1);
	rf_pkg_close(&p);
	/* touched: read whole again, then its new record serves */
	ck_assert_int_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
	open_rec(&p, path, 1);
	ck_assert_int_eq(p.from_record, 0);
	rf_pkg_close(&p);
	open_rec(&p, path, 1);
	ck_assert_int_eq(p.from_record, 1);
	rf_pkg_close(&p);
	/* resized (zero padding after the gzip stream is allowed) */
	pf_run("printf '\\0\\0' >> '%s'", path);
	open_rec(&p, path, 1);
	ck_assert_int_eq(p.from_record, 0);
	ck_assert_int_eq(stream_all(&p), RF_OK);
	rf_pkg_close(&p);
	ck_assert_uint_eq(records(), 1); /* one per file */
	unlink(path);
}
END_TEST

START_TEST(test_damaged_record)
{
	struct rf_package p;
	struct dirent *de;
	char path[256], rec[512];
	struct stat sb;
	DIR *d;

	pf_copy(&tree, tgz, "damaged.tgz", path, sizeof path);
	open_rec(&p, path, 1);
	rf_pkg_close(&p);
	d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) && de->d_name[0] == '.')
		;
	ck_assert_ptr_nonnull(de);
	snprintf(rec, sizeof rec, "%s/%s", dir, de->d_name);
	closedir(d);
	ck_assert_int_eq(stat(rec, &sb), 0);
	/* it holds the key of the window tags: the owner's only */
	ck_assert_int_eq(sb.st_mode & 0777, 0600);
	/* a byte in the middle (a resume point's state), then the end */
	pf_flip(rec, (uint64_t)sb.st_size / 2);
	open_rec(&p, path, 1);
	ck_assert_int_eq(p.from_record, 0);
	rf_pkg_close(&p);
	pf_run("truncate -s %lld '%s'", (long long)sb.st_size - 1, rec);
	open_rec(&p, path, 1);
	ck_assert_int_eq(p.from_record, 0);
	ck_assert_int_eq(stream_all(&p), RF_OK);
	rf_pkg_close(&p);
	unlink(path);
}
END_TEST

/* A package opened from its record, then changed on disk: the record's
 * window digests refuse the changed bytes. */
START_TEST(test_record_windows_checked)
{
	struct rf_package p;
	const struct rf_pkg_file *f;
	char path[256];

	pf_copy(&tree, tgz, "checked.tgz", path, sizeof path);
	open_rec(&p, path, 1);
	rf_pkg_close(&p);
	open_rec(&p, path, 1);
	ck_assert_int_eq(p.from_record, 1);
	f = rf_pkg_find(&p, "images/boot.img"); /* random: stored */
	ck_assert_ptr_nonnull(f);
	pf_flip(path, f->data_off + f->size / 2);
	ck_assert_int_eq(stream_all(&p), RF_ECHANGED);
	rf_pkg_close(&p);
	unlink(path);
}
END_TEST

START_TEST(test_pruned)
{
	struct rf_package p;
	char path[256], tag[32];
	for (int i = 0; i < RF_PKG_RECORDS + 3; i++) {
		snprintf(tag, sizeof tag, "prune%d.tgz", i);
		pf_copy(&tree, tgz, tag, path, sizeof path);
		open_rec(&p, path, 0);
		rf_pkg_close(&p);
		unlink(path);
	}
	ck_assert_uint_eq(records(), RF_PKG_RECORDS);
}
END_TEST

static Suite *record_suite(void)
{
	Suite *s = suite_create("record");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
	tcase_add_checked_fixture(tc, test_setup, test_teardown);
	tcase_add_test(tc, test_reused);
	tcase_add_test(tc, test_invalidated);
	tcase_add_test(tc, test_damaged_record);
	tcase_add_test(tc, test_record_windows_checked);
	tcase_add_test(tc, test_pruned);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(record_suite());
	int failed;
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
