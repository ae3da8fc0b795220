/* Streaming the images of a package in the plan's order (pkg_stream.c):
 * every byte handed out is compared with the file the package was made
 * from, in tar order, reversed (spool, then pass restarts), with repeated
 * images, from a folder, and with the failures a user can meet: among them
 * a package changed on disk after it was verified, which must never hand
 * out a byte that differs from the verified one. */
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
#include "pkg_fixture.h"
#include "pkg_stream.h"

#define NIMG 5

/* Tar order: the script first, then the images in this order. */
static const char *const img_rel[NIMG] = {
	"images/a.img", "images/b.img", "images/c.img", "images/d.img",
	"images/e.img",
};
static const size_t img_size[NIMG] = {
	(1u << 20) + 13, 300000, 7, 0, (2u << 20) + 4097,
};
static const enum pf_kind img_kind[NIMG] = {
	PF_RANDOM, PF_TEXT, PF_RANDOM, PF_TEXT, PF_RANDOM,
};

static struct pf_tree tree;
static char tgz[128];      /* the package, built once */

static void suite_setup(void)
{
	pf_tree_make(&tree, "ck_pkg_stream", img_rel, img_size, img_kind, NIMG);
	pf_tree_tgz(&tree, "pkg.tgz", "gnu", "", tgz, sizeof tgz);
}

static void suite_teardown(void)
{
	pf_tree_remove(&tree);
}

/* Per test: a spool folder of its own (to see it emptied). */
static char spool[128];

static void test_setup(void)
{
	snprintf(spool, sizeof spool, "%s/spool.%d", tree.root, (int)getpid());
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
		int rc = pf_check_image(s, &tree, order[i], SIZE_MAX);
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
	ck_assert_int_eq(pf_check_image(s, &tree, "images/a.img", 500000), RF_OK);
	ck_assert_int_eq(pf_check_image(s, &tree, "images/b.img", 10), RF_OK);
	ck_assert_int_eq(pf_check_image(s, &tree, "images/a.img", 70000), RF_OK);
	ck_assert_int_eq(pf_check_image(s, &tree, "images/e.img", 1), RF_OK);
	ck_assert_int_eq(pf_check_image(s, &tree, "images/c.img", SIZE_MAX), RF_OK);
	rf_pkg_stream_stats(s, &st);
	ck_assert_uint_eq(st.passes, 1);
	ck_assert_uint_eq(st.spooled_bytes, img_size[0] + img_size[2]);
	rf_pkg_stream_close(s);
	/* no spool: a is read again from the package */
	s = open_stream(&p, order, 5, 1, NULL);
	ck_assert_int_eq(pf_check_image(s, &tree, "images/a.img", 3), RF_OK);
	ck_assert_int_eq(pf_check_image(s, &tree, "images/b.img", SIZE_MAX), RF_OK);
	ck_assert_int_eq(pf_check_image(s, &tree, "images/a.img", SIZE_MAX), RF_OK);
	ck_assert_int_eq(pf_check_image(s, &tree, "images/e.img", 100), RF_OK);
	ck_assert_int_eq(pf_check_image(s, &tree, "images/c.img", SIZE_MAX), RF_OK);
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
	snprintf(dir, sizeof dir, "%s/x.%d", tree.root, (int)getpid());
	pf_run("mkdir '%s' && tar xzf '%s' -C '%s'", dir, tgz, dir);
	snprintf(dir + strlen(dir), sizeof dir - strlen(dir), "/%s", PF_TOP);
	stream_all(dir, order, 6, 0, &st);
	ck_assert_uint_eq(st.passes, 0);
	ck_assert_uint_eq(st.spooled_bytes, 0);

	/* an image swapped for a link after the check is refused */
	open_pkg(&p, dir);
	struct rf_pkg_stream *s = open_stream(&p, order, 6, 0, NULL);
	pf_run("cd '%s/images' && rm e.img && ln -s /etc/passwd e.img", dir);
	rf_read_fn rd;
	void *ctx;
	uint64_t size;
	ck_assert_int_eq(rf_pkg_stream_image(s, "images/e.img", &rd, &ctx,
					     &size), RF_ECHANGED);
	ck_assert_ptr_nonnull(strstr(rf_pkg_stream_err(s), "changed on disk"));
	/* a file that shrank is refused too */
	pf_run("truncate -s 5 '%s/images/a.img'", dir);
	ck_assert_int_eq(rf_pkg_stream_image(s, "images/a.img", &rd, &ctx,
					     &size), RF_ECHANGED);
	ck_assert_int_eq(pf_check_image(s, &tree, "images/c.img", SIZE_MAX), RF_OK);
	/* a byte of b changed in place: refused when read, no byte of the
	 * window it is in handed out */
	snprintf(cmd, sizeof cmd, "%s/images/b.img", dir);
	pf_flip(cmd, 299999);
	ck_assert_int_eq(pf_check_image(s, &tree, "images/b.img", SIZE_MAX),
			 RF_ECHANGED);
	ck_assert_ptr_nonnull(strstr(rf_pkg_stream_err(s), "b.img changed on disk"));
	rf_pkg_stream_close(s);
	rf_pkg_close(&p);
	pf_run("rm -rf '%s/x.%d'", tree.root, (int)getpid());
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
	ck_assert_int_eq(pf_check_image(s, &tree, "images/b.img", SIZE_MAX), RF_OK);
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


/* A package whose bytes change on disk after it was verified, before and
 * while it is streamed.  `path` is a copy of a package of the tree. */
static void changed_package(const char *path, const char *tag)
{
	struct rf_package p;
	struct rf_pkg_stream *s;
	struct stat sb;
	char err[RF_ERRLEN];
	struct rf_pkg_stream_opts o = { .order = fwd, .norder = NIMG,
					.spool_dir = spool };

	ck_assert_int_eq(stat(path, &sb), 0);
	open_pkg(&p, path);
	/* a byte inside e's data (the last 2 MiB, stored or nearly), after
	 * the verification and before the pass that reads it: a..d come
	 * out whole, e fails, and none of its bytes from that window on */
	pf_flip(path, (uint64_t)sb.st_size - 100000);
	s = open_stream(&p, fwd, NIMG, 0, NULL);
	for (int i = 0; i < NIMG - 1; i++)
		ck_assert_msg(pf_check_image(s, &tree, fwd[i], SIZE_MAX) == RF_OK,
			      "%s %s: %s", tag, fwd[i], rf_pkg_stream_err(s));
	ck_assert_int_eq(pf_check_image(s, &tree, fwd[NIMG - 1], SIZE_MAX),
			 RF_ECHANGED);
	ck_assert_ptr_nonnull(strstr(rf_pkg_stream_err(s), "changed on disk "
				     "since it was verified"));
	rf_pkg_stream_close(s);
	pf_flip(path, (uint64_t)sb.st_size - 100000); /* back */

	/* byte 4, the gzip header's MTIME: the same size, a valid gzip of
	 * the same content, but not the bytes verified: the first window */
	pf_flip(path, 4);
	s = open_stream(&p, fwd, NIMG, 0, NULL);
	ck_assert_int_eq(pf_check_image(s, &tree, fwd[0], SIZE_MAX), RF_ECHANGED);
	rf_pkg_stream_close(s);
	pf_flip(path, 4);

	/* grown since the check: refused at once */
	FILE *f = fopen(path, "ab");
	ck_assert_ptr_nonnull(f);
	fputc(0, f);
	fclose(f);
	s = NULL;
	ck_assert_int_eq(rf_pkg_stream_open(&s, &p, &o, err), RF_ECHANGED);
	ck_assert_ptr_nonnull(strstr(err, "changed on disk"));
	rf_pkg_close(&p);
	unlink(path);
}

START_TEST(test_changed_on_disk)
{
	char path[256], src[256];
	static const size_t cuts[] = { 700000, 2000000 };
	pf_copy(&tree, tgz, "changed.tgz", path, sizeof path);
	changed_package(path, "deflate");
	/* stored blocks (no compression: every byte as it is in the tar) */
	pf_tree_tgz_stored(&tree, "stored.src.tgz", src, sizeof src);
	pf_copy(&tree, src, "stored.tgz", path, sizeof path);
	changed_package(path, "stored");
	/* three gzip members, cut in the middle of images */
	pf_tree_tgz_members(&tree, "multi.src.tgz", cuts, 2, src, sizeof src);
	pf_copy(&tree, src, "multi.tgz", path, sizeof path);
	changed_package(path, "multi-member");
}
END_TEST

/* Touched, rewritten with the same bytes, renamed over: what is read is
 * still exactly the verified bytes, so the stream goes on. */
START_TEST(test_same_bytes_accepted)
{
	char path[256], other[300];
	struct rf_package p;
	struct timespec ts[2] = { { 0, UTIME_OMIT }, { 1000000000, 0 } };

	pf_copy(&tree, tgz, "same.tgz", path, sizeof path);
	open_pkg(&p, path);
	struct rf_pkg_stream *s = open_stream(&p, rev, NIMG, 1, NULL);
	ck_assert_int_eq(pf_check_image(s, &tree, "images/e.img", SIZE_MAX), RF_OK);
	ck_assert_int_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
	pf_run("cat '%s' > '%s.x' && cat '%s.x' > '%s' && rm '%s.x'", path,
	       path, path, path, path);
	ck_assert_int_eq(pf_check_image(s, &tree, "images/d.img", SIZE_MAX), RF_OK);
	/* another file renamed over it: the stream reads the one verified */
	snprintf(other, sizeof other, "%s.new", path);
	pf_run("cp '%s' '%s'", path, other);
	pf_flip(other, 4);
	ck_assert_int_eq(rename(other, path), 0);
	ck_assert_int_eq(pf_check_image(s, &tree, "images/c.img", SIZE_MAX), RF_OK);
	rf_pkg_stream_close(s);
	/* a new stream opens the new file: its first window differs */
	s = open_stream(&p, rev, NIMG, 1, NULL);
	ck_assert_int_eq(pf_check_image(s, &tree, "images/e.img", SIZE_MAX),
			 RF_ECHANGED);
	rf_pkg_stream_close(s);
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
	tcase_add_test(tc, test_changed_on_disk);
	tcase_add_test(tc, test_same_bytes_accepted);
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
