/* The verified file reader (vfile.c): window digests recorded in any
 * pieces, whole windows read and checked (boundaries, the last short
 * window, a changed byte in every position class, a file that grew or
 * shrank), and the reader of a file still being written (a download under
 * way) that waits for its bytes, with a stop flag and a stall timeout, or
 * that its writer feeds (rf_growing.wait). */
#include <check.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
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
#include "vfile.h"

#define W RF_VWIN

static struct pf_tree tree;
static char tgz[128];

static const char *const img_rel[] = { "images/a.img", "images/b.img" };
static const size_t img_size[] = { (2u << 20) + 77, 600000 };
static const enum pf_kind img_kind[] = { PF_RANDOM, PF_TEXT };

static void suite_setup(void)
{
	pf_tree_make(&tree, "ck_vfile", img_rel, img_size, img_kind, 2);
	pf_tree_tgz(&tree, "pkg.tgz", "gnu", "", tgz, sizeof tgz);
}

static void suite_teardown(void)
{
	pf_tree_remove(&tree);
}

/* A file of `size` random bytes at root/name. */
static void random_file(const char *name, size_t size, char *out, size_t cap)
{
	uint64_t rng = 0x1234567887654321ULL ^ size;
	FILE *f;
	snprintf(out, cap, "%s/%s", tree.root, name);
	f = fopen(out, "wb");
	ck_assert_ptr_nonnull(f);
	for (size_t i = 0; i < size; i++)
		fputc((int)(pf_rnd(&rng) & 0xff), f);
	ck_assert_int_eq(fclose(f), 0);
}

/* Record the windows of fd whole, one rf_winsums_add each. */
static void record_whole(int fd, struct rf_winsums *ws)
{
	static unsigned char buf[W];
	for (uint64_t off = 0;; off += W) {
		ssize_t r = pread(fd, buf, W, (off_t)off);
		ck_assert_int_ge(r, 0);
		if (!r)
			break;
		ck_assert_int_eq(rf_winsums_add(ws, buf, (size_t)r), RF_OK);
	}
}

/* Tags recorded by the piecewise recorder, fed in odd pieces, and by
 * whole windows under the same key: the same.  Under another key: none
 * the same. */
static void record(const char *path, struct rf_winsums *ws)
{
	static unsigned char buf[W];
	static const size_t pieces[] = { 1, 4095, W - 1, 3, W, 77777 };
	struct rf_winrec rec;
	struct rf_winsums whole;
	size_t n;
	int fd = open(path, O_RDONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(rf_winrec_init(&rec, ws), RF_OK);
	for (unsigned i = 0;; i++) {
		ssize_t r = read(fd, buf, pieces[i % 6]);
		ck_assert_int_ge(r, 0);
		if (!r)
			break;
		ck_assert_int_eq(rf_winrec_feed(&rec, buf, (size_t)r), RF_OK);
	}
	ck_assert_int_eq(rf_winrec_finish(&rec), RF_OK);
	rf_winrec_free(&rec);
	memset(&whole, 0, sizeof whole);
	memcpy(whole.key, ws->key, sizeof whole.key);
	whole.keyed = 1;
	record_whole(fd, &whole);
	ck_assert_uint_eq(whole.n, ws->n);
	ck_assert_uint_eq(whole.size, ws->size);
	ck_assert(!memcmp(whole.tag, ws->tag, ws->n * sizeof *ws->tag));
	n = (size_t)((ws->size + W - 1) / W);
	ck_assert_uint_eq(ws->n, n);
	rf_winsums_free(&whole);
	/* a key of its own (drawn at the first window) */
	memset(&whole, 0, sizeof whole);
	record_whole(fd, &whole);
	close(fd);
	ck_assert_uint_eq(whole.n, ws->n);
	ck_assert(memcmp(whole.key, ws->key, sizeof whole.key));
	for (size_t k = 0; k < n; k++)
		ck_assert(memcmp(whole.tag[k], ws->tag[k], sizeof *ws->tag));
	rf_winsums_free(&whole);
}

/* Every window reads back whole and checked; window `bad` (or none: -1)
 * is refused, naming its bytes. */
static void read_all(const char *path, const struct rf_winsums *ws, long bad)
{
	static unsigned char buf[W];
	struct rf_vfile vf;
	char err[RF_ERRLEN], want[80];
	size_t len;

	ck_assert_int_eq(rf_vfile_open(&vf, path, ws, err), RF_OK);
	for (size_t k = 0; k < ws->n; k++) {
		int rc = rf_vfile_window(&vf, k, buf, &len, err);
		if ((long)k == bad) {
			ck_assert_int_eq(rc, RF_ECHANGED);
			ck_assert_uint_eq(len, 0);
			snprintf(want, sizeof want, "changed on disk since it was "
				 "verified (bytes %zu-", k * W);
			ck_assert_msg(strstr(err, want), "%s", err);
			continue;
		}
		ck_assert_msg(rc == RF_OK, "window %zu: %s", k, err);
		ck_assert_uint_eq(len, k + 1 < ws->n ? W : ws->size - k * W);
	}
	ck_assert_int_eq(rf_vfile_window(&vf, ws->n, buf, &len, err), RF_EINVAL);
	rf_vfile_close(&vf);
}

START_TEST(test_windows)
{
	const uint64_t size = 3 * (uint64_t)W + 1234;
	/* first and last byte of a full window, first of the next, one in
	 * the middle, the last short window's first and last byte */
	const uint64_t where[] = { 0, W - 1, W, 2 * W + W / 2, 3 * W, size - 1 };
	struct rf_winsums ws;
	char path[256];

	random_file("four.bin", size, path, sizeof path);
	record(path, &ws);
	ck_assert_uint_eq(ws.n, 4);
	read_all(path, &ws, -1);
	for (size_t i = 0; i < sizeof where / sizeof *where; i++) {
		pf_flip(path, where[i]);
		read_all(path, &ws, (long)(where[i] / W));
		pf_flip(path, where[i]);
	}
	read_all(path, &ws, -1);
	rf_winsums_free(&ws);

	/* an exact number of windows: no empty last one */
	random_file("two.bin", 2 * (uint64_t)W, path, sizeof path);
	record(path, &ws);
	ck_assert_uint_eq(ws.n, 2);
	read_all(path, &ws, -1);
	rf_winsums_free(&ws);
}
END_TEST

START_TEST(test_size_changed)
{
	static unsigned char buf[W];
	struct rf_winsums ws;
	struct rf_vfile vf;
	char path[256], err[RF_ERRLEN];
	size_t len;

	random_file("size.bin", W + 100, path, sizeof path);
	record(path, &ws);
	/* grown: refused at once */
	pf_run("printf x >> '%s'", path);
	ck_assert_int_eq(rf_vfile_open(&vf, path, &ws, err), RF_ECHANGED);
	ck_assert_ptr_nonnull(strstr(err, "changed on disk"));
	/* shrunk after it was opened: the short window is refused */
	pf_run("truncate -s %u '%s'", W + 100, path);
	ck_assert_int_eq(rf_vfile_open(&vf, path, &ws, err), RF_OK);
	pf_run("truncate -s %u '%s'", W + 50, path);
	ck_assert_int_eq(rf_vfile_window(&vf, 0, buf, &len, err), RF_OK);
	ck_assert_int_eq(rf_vfile_window(&vf, 1, buf, &len, err), RF_ECHANGED);
	ck_assert_ptr_nonnull(strstr(err, "it ends at"));
	rf_vfile_close(&vf);
	rf_winsums_free(&ws);
}
END_TEST

/* The whole-file pass through verified windows stops at the changed
 * window, having handed out only bytes before it. */
START_TEST(test_gzr_verified)
{
	struct rf_package p;
	struct rf_vfile vf;
	struct rf_gzr *g;
	char path[256], err[RF_ERRLEN];
	const void *buf;
	size_t n;
	uint64_t out = 0;
	int rc;

	pf_copy(&tree, tgz, "gzr.tgz", path, sizeof path);
	ck_assert_int_eq(rf_pkg_open(&p, path, NULL), RF_OK);
	ck_assert_uint_ge(p.win.n, 2);
	pf_flip(path, W + 10); /* in a's random (stored) data */
	ck_assert_int_eq(rf_vfile_open(&vf, path, &p.win, err), RF_OK);
	ck_assert_int_eq(rf_gzr_open_verified(&g, &vf, err), RF_OK);
	while ((rc = rf_gzr_next(g, &buf, &n)) == RF_OK && n)
		out += n;
	ck_assert_int_eq(rc, RF_ECHANGED);
	ck_assert_ptr_nonnull(strstr(rf_gzr_err(g), "bytes 1048576-"));
	/* what came out was inflated from window 0 only */
	ck_assert_uint_le(out, W + (64u << 10));
	rf_gzr_close(g);
	rf_vfile_close(&vf);
	rf_pkg_close(&p);
	unlink(path);
}
END_TEST

/* ------------------------------------------- a file still being written */

struct writer {
	const char *src, *dst;
	size_t stop_at;      /* write this much, then stop (0: all) */
	volatile int done;
};

/* Copy src to dst in 64 KiB pieces, 2 ms apart (a slow download). */
static void *writer_main(void *arg)
{
	struct writer *w = arg;
	static unsigned char buf[65536];
	FILE *in = fopen(w->src, "rb"), *out = fopen(w->dst, "ab");
	size_t n, total = 0;
	while (in && out && (n = fread(buf, 1, sizeof buf, in)) > 0) {
		if (w->stop_at && total + n > w->stop_at)
			n = w->stop_at - total;
		fwrite(buf, 1, n, out);
		fflush(out);
		total += n;
		if (w->stop_at && total >= w->stop_at)
			break;
		nanosleep(&(struct timespec){ 0, 2 * 1000 * 1000 }, NULL);
	}
	if (in)
		fclose(in);
	if (out)
		fclose(out);
	w->done = 1;
	return NULL;
}

static volatile sig_atomic_t stop_flag;

struct stopper {
	unsigned ms;
};

static void *stopper_main(void *arg)
{
	struct stopper *s = arg;
	nanosleep(&(struct timespec){ s->ms / 1000, (long)(s->ms % 1000) * 1000000 },
		  NULL);
	stop_flag = 1;
	return NULL;
}

/* Open `dst` while `w` writes it; returns rf_pkg_open's code. */
static int open_growing(struct rf_package *p, struct writer *w,
			uint64_t expect, unsigned stall_ms, unsigned stop_ms)
{
	struct rf_growing gr = { .expect = expect, .stop = &stop_flag,
				 .stall_ms = stall_ms };
	struct rf_pkg_opts o = { .growing = &gr };
	struct stopper sp = { stop_ms };
	pthread_t th, st;
	int rc;

	stop_flag = 0;
	unlink(w->dst);
	pf_run(": > '%s'", w->dst); /* the download has just begun */
	ck_assert_int_eq(pthread_create(&th, NULL, writer_main, w), 0);
	if (stop_ms)
		ck_assert_int_eq(pthread_create(&st, NULL, stopper_main, &sp), 0);
	rc = rf_pkg_open(p, w->dst, &o);
	pthread_join(th, NULL);
	if (stop_ms)
		pthread_join(st, NULL);
	return rc;
}

START_TEST(test_growing)
{
	struct rf_package whole, p;
	struct stat sb;
	char dst[256];
	struct writer w = { .src = tgz, .dst = dst };

	snprintf(dst, sizeof dst, "%s/growing.tgz", tree.root);
	ck_assert_int_eq(stat(tgz, &sb), 0);
	ck_assert_int_eq(rf_pkg_open(&whole, tgz, NULL), RF_OK);
	/* it waits for every byte and learns what a pass over the whole
	 * file learns */
	ck_assert_int_eq(open_growing(&p, &w, (uint64_t)sb.st_size, 0, 0), RF_OK);
	ck_assert_str_eq(p.md5, whole.md5);
	ck_assert_uint_eq(p.nfiles, whole.nfiles);
	ck_assert_uint_eq(p.win.n, whole.win.n);
	read_all(tgz, &p.win, -1);
	ck_assert_int_eq(p.ident.size, sb.st_size);
	rf_pkg_close(&p);

	/* the download stops halfway: the stop flag ends the wait */
	w.stop_at = (size_t)sb.st_size / 2;
	ck_assert_int_eq(open_growing(&p, &w, (uint64_t)sb.st_size, 0, 300),
			 RF_EINTR);
	/* ... or the stall timeout does */
	ck_assert_int_eq(open_growing(&p, &w, (uint64_t)sb.st_size, 300, 0),
			 RF_ETIMEDOUT);
	ck_assert_ptr_nonnull(strstr(p.err, "stopped growing"));
	rf_pkg_close(&whole);
}
END_TEST

START_TEST(test_read_at)
{
	char path[256], err[RF_ERRLEN];
	unsigned char buf[100];
	size_t got;
	int fd;
	struct rf_growing gr = { .expect = 50, .stop = &stop_flag, .stall_ms = 200 };

	random_file("ra.bin", 40, path, sizeof path);
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	/* complete file: up to its end */
	ck_assert_int_eq(rf_read_at(fd, buf, 100, 10, NULL, &got, err), RF_OK);
	ck_assert_uint_eq(got, 30);
	/* expected larger: a stall */
	stop_flag = 0;
	ck_assert_int_eq(rf_read_at(fd, buf, 100, 0, &gr, &got, err), RF_ETIMEDOUT);
	/* its expected size reached: done */
	gr.expect = 40;
	ck_assert_int_eq(rf_read_at(fd, buf, 100, 0, &gr, &got, err), RF_OK);
	ck_assert_uint_eq(got, 40);
	close(fd);
}
END_TEST

/* A writer that says how far it is (rf_growing.wait): `avail` bytes, then
 * complete; or the error it returns. */
struct fake_writer {
	uint64_t avail;
	int rc;
	unsigned calls;
};

static int fake_wait(void *user, uint64_t want, uint64_t *avail, char *err)
{
	struct fake_writer *fw = user;
	fw->calls++;
	if (fw->rc)
		return rf_errf(err, fw->rc, "the writer says no");
	(void)want;
	*avail = fw->avail;
	return RF_OK;
}

START_TEST(test_read_fed)
{
	char path[256], err[RF_ERRLEN];
	unsigned char buf[100];
	size_t got;
	int fd;
	struct fake_writer fw = { .avail = 25 };
	struct rf_growing gr = { .wait = fake_wait, .user = &fw };

	random_file("fed.bin", 40, path, sizeof path);
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	/* only what the writer says is there, though the file holds more */
	ck_assert_int_eq(rf_read_at(fd, buf, 100, 0, &gr, &got, err), RF_OK);
	ck_assert_uint_eq(got, 25);
	ck_assert_int_eq(rf_read_at(fd, buf, 100, 30, &gr, &got, err), RF_OK);
	ck_assert_uint_eq(got, 0);
	/* the writer's verdict ends the read: started over, failed */
	fw.rc = RF_ECHANGED;
	ck_assert_int_eq(rf_read_at(fd, buf, 10, 0, &gr, &got, err), RF_ECHANGED);
	fw.rc = RF_EIO;
	ck_assert_int_eq(rf_read_at(fd, buf, 10, 0, &gr, &got, err), RF_EIO);
	/* the file shorter than its writer says, and staying so: not a
	 * short read passed on as the end */
	fw.rc = RF_OK;
	fw.avail = 60;
	ck_assert_int_eq(rf_read_at(fd, buf, 100, 0, &gr, &got, err), RF_ECHANGED);
	ck_assert_ptr_nonnull(strstr(err, "its writer says 60"));
	close(fd);
}
END_TEST

static Suite *vfile_suite(void)
{
	Suite *s = suite_create("vfile");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
	tcase_add_test(tc, test_windows);
	tcase_add_test(tc, test_size_changed);
	tcase_add_test(tc, test_gzr_verified);
	tcase_add_test(tc, test_growing);
	tcase_add_test(tc, test_read_at);
	tcase_add_test(tc, test_read_fed);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(vfile_suite());
	int failed;
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
