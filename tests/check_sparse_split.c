/* Sparse images: split into pieces and emission.  Every emitted piece is
 * checked by an independent reference applier (tests/helpers/
 * sparse_build.c, not the code under test), and against AOSP's
 * img2simg/simg2img. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sparse.h"
#include "sparse_build.h"
#include "need_tool.h"

static void raw_roundtrip(uint64_t size, uint32_t bs, uint64_t max)
{
	struct rf_sparse_layout l;
	size_t out_len;
	uint8_t *img = malloc(size ? size : 1), *out;

	st_rnd_fill(img, size);
	ck_assert_int_eq(rf_sparse_layout_raw(&l, size, bs), RF_OK);
	ck_assert(!l.is_sparse);
	ck_assert_uint_eq(l.out_bytes, size);
	ck_assert_uint_eq(l.total_blks, (size + bs - 1) / bs);
	out_len = (size_t)l.total_blks * bs;
	out = malloc(out_len ? out_len : 1);
	st_rnd_fill(out, out_len);
	st_split_emit_apply(&l, img, size, max, out);
	ck_assert_msg(memcmp(out, img, size) == 0, "size %llu max %llu",
		      (unsigned long long)size, (unsigned long long)max);
	for (size_t i = size; i < out_len; i++)
		ck_assert_msg(out[i] == 0, "pad byte %zu not zero", i);
	rf_sparse_layout_free(&l);
	free(img);
	free(out);
}

START_TEST(test_raw_edges)
{
	static const uint64_t sizes[] = { 0, 1, 2, 3, 4, 4095, 4096, 4097,
					  8191, 8192, 8193, 12345, 65536,
					  1048575, 1048577 };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		raw_roundtrip(sizes[i], 4096, 8192);
		if (sizes[i] < 100000)
			raw_roundtrip(sizes[i], 4096, 4096 + 64); /* minimum */
		raw_roundtrip(sizes[i], 4096, 1 << 20);
	}
}
END_TEST

START_TEST(test_raw_random)
{
	static const uint32_t bss[] = { 4096, 4096, 512, 1024, 4 };
	st_seed_rng();
	for (int t = 0; t < 60; t++) {
		uint32_t bs = bss[st_rnd() % 5];
		uint64_t size = st_rnd() % 4 ? st_rnd_range(0, 3 << 20)
					  : st_rnd_range(1, 40) * bs +
						    st_rnd_range(0, 2) - 1;
		uint64_t max = st_rnd_range(8192, 1 << 20);
		if (bs == 4)
			size %= 100000;
		raw_roundtrip(size, bs, max);
	}
}
END_TEST

START_TEST(test_sparse_random)
{
	static const uint32_t bss[] = { 4096, 1024, 512, 4 };
	st_seed_rng();
	for (int t = 0; t < 40; t++) {
		struct sb s;
		struct rf_sparse_layout l;
		uint32_t bs = bss[st_rnd() % 4];
		int nch = (int)st_rnd_range(0, 60);
		uint8_t *data, *out;
		size_t out_len;

		sb_begin(&s, bs);
		data = malloc((size_t)64 * bs);
		for (int c = 0; c < nch; c++) {
			uint32_t n = (uint32_t)st_rnd_range(0, 64);
			switch (st_rnd() % 7) {
			case 0: case 1: case 2:
				st_rnd_fill(data, (size_t)n * bs);
				sb_raw(&s, data, n);
				break;
			case 3:
				sb_fill(&s, (uint32_t)st_rnd(), n);
				break;
			case 4: case 5:
				sb_dc(&s, n * (uint32_t)st_rnd_range(1, 20));
				break;
			default:
				sb_crc(&s);
				break;
			}
		}
		sb_finish(&s);
		free(data);
		ck_assert_msg(st_scan_mem(&l, s.img.p, s.img.len) == RF_OK,
			      "case %d: %s", t, l.err);
		ck_assert_uint_eq(l.total_blks, s.blks);
		{
			struct rf_sparse_layout l2;
			ck_assert_msg(st_scan_mem_seekable(&l2, s.img.p, s.img.len) == RF_OK,
				      "case %d (seekable): %s", t, l2.err);
			st_same_layout(&l, &l2);
			rf_sparse_layout_free(&l2);
		}
		/* DONT_CARE never repeats: neighbours are merged. */
		for (size_t i = 1; i < l.n; i++)
			ck_assert(l.ext[i].type != RF_SPARSE_CHUNK_DONT_CARE ||
				  l.ext[i - 1].type !=
					  RF_SPARSE_CHUNK_DONT_CARE);
		out_len = (size_t)s.blks * bs;
		out = malloc(out_len ? out_len : 1);
		/* Tiny pieces only for small images: one scan per piece. */
		for (int k = 0; k < (s.blks * (uint64_t)bs < (1 << 20) ? 2 : 1);
		     k++) {
			uint64_t max = k ? st_rnd_range(bs + 64, 3 * bs + 200)
					 : st_rnd_range(8192, 1 << 20);
			if (max < (uint64_t)bs + 64)
				max = bs + 64;
			st_rnd_fill(out, out_len);
			{
				uint8_t *old = malloc(out_len ? out_len : 1);
				memcpy(old, out, out_len);
				st_split_emit_apply(&l, s.img.p, s.img.len, max,
						 out);
				for (uint32_t b = 0; b < s.blks; b++) {
					const uint8_t *want = s.dc.p[b] ? old :
							      s.content.p;
					ck_assert_msg(memcmp(out + (size_t)b * bs,
							     want + (size_t)b * bs,
							     bs) == 0,
						      "case %d max %llu block "
						      "%u differs", t,
						      (unsigned long long)max,
						      b);
				}
				free(old);
			}
		}
		free(out);
		rf_sparse_layout_free(&l);
		sb_free(&s);
	}
}
END_TEST

START_TEST(test_split_limits)
{
	struct rf_sparse_layout l;
	struct rf_sparse_split s;
	struct sb b;

	ck_assert_int_eq(rf_sparse_layout_raw(&l, 100000, 4096), RF_OK);
	ck_assert_int_eq(rf_sparse_split(&l, 4096 + 63, &s), RF_ETOOBIG);
	ck_assert(l.err[0] != 0);
	ck_assert_uint_eq(s.n, 0);
	ck_assert_int_eq(rf_sparse_split(&l, 4096 + 64, &s), RF_OK);
	ck_assert_uint_eq(s.n, 25);
	rf_sparse_split_free(&s);
	/* Split with a huge limit: one piece, chunks under 4 GiB. */
	ck_assert_int_eq(rf_sparse_split(&l, UINT64_MAX, &s), RF_OK);
	ck_assert_uint_eq(s.n, 1);
	ck_assert_uint_eq(s.piece[0].bytes, 28 + 12 + 25 * 4096);
	rf_sparse_split_free(&s);
	rf_sparse_layout_free(&l);

	/* A 12 GiB raw image: pieces stay under 4 GiB. */
	ck_assert_int_eq(rf_sparse_layout_raw(&l, 12ULL << 30, 4096), RF_OK);
	ck_assert_int_eq(rf_sparse_split(&l, UINT64_MAX, &s), RF_OK);
	ck_assert_uint_eq(s.n, 4);
	for (size_t i = 0; i < s.n; i++)
		ck_assert_uint_le(s.piece[i].bytes, 0xffffffffULL);
	rf_sparse_split_free(&s);
	ck_assert_int_eq(rf_sparse_split(&l, 0x30000000, &s), RF_OK);
	ck_assert_uint_eq(s.n, 17);
	rf_sparse_split_free(&s);
	rf_sparse_layout_free(&l);

	ck_assert_int_eq(rf_sparse_layout_raw(&l, 100, 0), RF_EINVAL);
	ck_assert_int_eq(rf_sparse_layout_raw(&l, 100, 6), RF_EINVAL);
	ck_assert_int_eq(rf_sparse_layout_raw(&l, 1ULL << 50, 4096),
			 RF_ETOOBIG);

	/* All DONT_CARE: one piece of headers only. */
	sb_begin(&b, 4096);
	sb_dc(&b, 1000);
	sb_finish(&b);
	ck_assert_int_eq(st_scan_mem(&l, b.img.p, b.img.len), RF_OK);
	ck_assert_int_eq(rf_sparse_split(&l, 8192, &s), RF_OK);
	ck_assert_uint_eq(s.n, 1);
	ck_assert_uint_eq(s.piece[0].bytes, 40);
	rf_sparse_split_free(&s);
	{
		uint8_t *out = calloc(1000, 4096);
		st_split_emit_apply(&l, b.img.p, b.img.len, 8192, out);
		free(out);
	}
	rf_sparse_layout_free(&l);
	sb_free(&b);
}
END_TEST

/* Pieces must be emitted in order from a forward reader; skipping ahead is
 * fine, going back is refused without writing anything. */
START_TEST(test_emit_order)
{
	struct rf_sparse_layout l;
	struct rf_sparse_split s;
	uint8_t img[40000];
	struct st_mrd r = { .p = img, .len = sizeof(img) };
	struct st_buf w = { 0 };
	uint64_t pos = 0;

	st_rnd_fill(img, sizeof(img));
	ck_assert_int_eq(rf_sparse_layout_raw(&l, sizeof(img), 4096), RF_OK);
	ck_assert_int_eq(rf_sparse_split(&l, 3 * 4096 + 64, &s), RF_OK);
	ck_assert_uint_eq(s.n, 4);
	ck_assert_int_eq(rf_sparse_emit_piece(&l, &s, 2, st_mem_read, &r, &pos,
					      st_mem_write, &w), RF_OK);
	ck_assert_uint_eq(w.len, s.piece[2].bytes);
	ck_assert_uint_eq(pos, 9 * 4096);
	w.len = 0;
	ck_assert_int_eq(rf_sparse_emit_piece(&l, &s, 1, st_mem_read, &r, &pos,
					      st_mem_write, &w), RF_EINVAL);
	ck_assert(strstr(l.err, "out of order") != NULL);
	ck_assert_uint_eq(w.len, 0);
	ck_assert_int_eq(rf_sparse_emit_piece(&l, &s, 4, st_mem_read, &r, &pos,
					      st_mem_write, &w), RF_EINVAL);
	/* A truncated image is reported, never padded silently. */
	{
		struct st_mrd r2 = { .p = img, .len = 5000 };
		uint64_t pos2 = 0;
		w.len = 0;
		ck_assert_int_eq(rf_sparse_emit_piece(&l, &s, 0, st_mem_read,
						      &r2, &pos2, st_mem_write,
						      &w), RF_EFORMAT);
	}
	st_buf_free(&w);
	rf_sparse_split_free(&s);
	rf_sparse_layout_free(&l);
}
END_TEST

static int fail_write(void *ctx, const void *d, size_t len)
{
	(void)ctx; (void)d; (void)len;
	return RF_EDISCONNECTED;
}

START_TEST(test_write_error)
{
	struct rf_sparse_layout l;
	struct rf_sparse_split s;
	uint8_t img[10000];
	struct st_mrd r = { .p = img, .len = sizeof(img) };
	uint64_t pos = 0;

	ck_assert_int_eq(rf_sparse_layout_raw(&l, sizeof(img), 4096), RF_OK);
	ck_assert_int_eq(rf_sparse_split(&l, 1 << 20, &s), RF_OK);
	ck_assert_int_eq(rf_sparse_emit_piece(&l, &s, 0, st_mem_read, &r, &pos,
					      fail_write, NULL),
			 RF_EDISCONNECTED);
	ck_assert(l.err[0] != 0);
	rf_sparse_split_free(&s);
	rf_sparse_layout_free(&l);
}
END_TEST

/* --- interop with AOSP img2simg / simg2img -------------------------------- */

static char tmpdir[64];

static void tmp_setup(void)
{
	strcpy(tmpdir, "/tmp/check_sparse.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void tmp_teardown(void)
{
	char cmd[128];
	if (!tmpdir[0])
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
}

static void write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(p, 1, n, f), n);
	ck_assert_int_eq(fclose(f), 0);
}

static uint8_t *read_file(const char *path, size_t *n)
{
	struct stat st;
	uint8_t *p;
	int fd = open(path, O_RDONLY);
	ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(fstat(fd, &st), 0);
	p = malloc(st.st_size ? (size_t)st.st_size : 1);
	ck_assert_int_eq(read(fd, p, (size_t)st.st_size), st.st_size);
	close(fd);
	*n = (size_t)st.st_size;
	return p;
}

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* 0 when both AOSP tools are there (else the test is skipped, or fails
 * under CI=true) */
static int missing_tools(void)
{
	return !need_tool("img2simg") || !need_tool("simg2img");
}

/* Emit all pieces of `l` (read from file `src`) to tmpdir/pN.simg. */
static size_t emit_to_files(struct rf_sparse_layout *l, const char *src,
			    uint64_t max)
{
	struct rf_sparse_split s;
	uint64_t pos = 0;
	size_t n;
	int fd = open(src, O_RDONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_msg(rf_sparse_split(l, max, &s) == RF_OK, "%s", l->err);
	for (size_t i = 0; i < s.n; i++) {
		struct st_buf w = { 0 };
		char path[128];
		ck_assert_msg(rf_sparse_emit_piece(l, &s, i, st_fd_read, &fd,
						   &pos, st_mem_write, &w) ==
				      RF_OK, "%s", l->err);
		ck_assert_uint_le(w.len, max);
		snprintf(path, sizeof(path), "%s/p%zu.simg", tmpdir, i);
		write_file(path, w.p, w.len);
		st_buf_free(&w);
	}
	n = s.n;
	rf_sparse_split_free(&s);
	close(fd);
	return n;
}

/* simg2img accepts every piece alone, and applying all of them in order
 * onto one file rebuilds the image. */
static void check_with_simg2img(size_t npieces, const uint8_t *want,
				size_t want_len)
{
	char list[8192] = "", path[256];
	size_t got_len, off = 0;
	uint8_t *got;

	for (size_t i = 0; i < npieces; i++) {
		ck_assert_int_eq(run("simg2img %s/p%zu.simg %s/one.raw "
				     ">/dev/null 2>&1", tmpdir, i, tmpdir), 0);
		off += (size_t)snprintf(list + off, sizeof(list) - off,
					" %s/p%zu.simg", tmpdir, i);
		ck_assert_uint_lt(off, sizeof(list));
	}
	ck_assert_int_eq(run("simg2img%s %s/all.raw >/dev/null 2>&1", list,
			     tmpdir), 0);
	snprintf(path, sizeof(path), "%s/all.raw", tmpdir);
	got = read_file(path, &got_len);
	ck_assert_uint_eq(got_len, want_len);
	ck_assert(memcmp(got, want, want_len) == 0);
	free(got);
}

START_TEST(test_img2simg_interop)
{
	char raw[128], simg[128], back[128];
	struct rf_sparse_layout l;
	size_t img_len, back_len, npieces, out_len;
	uint8_t *img, *want, *out, blk[4096];
	int fd;

	if (missing_tools())
		return;
	snprintf(raw, sizeof(raw), "%s/in.raw", tmpdir);
	snprintf(simg, sizeof(simg), "%s/in.simg", tmpdir);
	snprintf(back, sizeof(back), "%s/back.raw", tmpdir);
	/* Holes, random data, zero blocks, a repeated pattern, and a size
	 * that is not a multiple of the block size. */
	fd = open(raw, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	for (int i = 0; i < 40; i++) {
		st_rnd_fill(blk, sizeof(blk));
		ck_assert_int_eq(pwrite(fd, blk, sizeof(blk), i * 4096), 4096);
	}
	for (size_t i = 0; i < sizeof(blk); i += 4)
		memcpy(blk + i, "\x11\x22\x33\x44", 4);
	for (int i = 100; i < 150; i++)
		ck_assert_int_eq(pwrite(fd, blk, sizeof(blk), i * 4096), 4096);
	memset(blk, 0, sizeof(blk));
	for (int i = 150; i < 160; i++)
		ck_assert_int_eq(pwrite(fd, blk, sizeof(blk), i * 4096), 4096);
	st_rnd_fill(blk, sizeof(blk));
	ck_assert_int_eq(pwrite(fd, blk, 3000, 400 * 4096), 3000);
	ck_assert_int_eq(pwrite(fd, blk, 1234, 700 * 4096), 1234);
	close(fd);
	ck_assert_int_eq(run("img2simg %s %s >/dev/null 2>&1", raw, simg), 0);
	ck_assert_int_eq(run("simg2img %s %s >/dev/null 2>&1", simg, back), 0);
	want = read_file(back, &back_len);
	img = read_file(simg, &img_len);

	ck_assert_msg(st_scan_mem(&l, img, img_len) == RF_OK, "%s", l.err);
	ck_assert_uint_eq(l.out_bytes, back_len);
	out_len = back_len;
	out = calloc(1, out_len);
	st_split_emit_apply(&l, img, img_len, 64 * 1024, out);
	ck_assert(memcmp(out, want, out_len) == 0);
	free(out);

	npieces = emit_to_files(&l, simg, 50 * 1024);
	ck_assert_uint_gt(npieces, 3);
	check_with_simg2img(npieces, want, back_len);
	rf_sparse_layout_free(&l);
	free(img);
	free(want);
}
END_TEST

/* The case Debian's fastboot gets wrong: a raw image whose size is not a
 * multiple of 4096, split into pieces. */
START_TEST(test_raw_split_simg2img)
{
	static const size_t sizes[] = { 200001, 4097, 65536 * 3 + 4 };
	char raw[128];
	if (missing_tools())
		return;
	snprintf(raw, sizeof(raw), "%s/in.raw", tmpdir);
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		struct rf_sparse_layout l;
		size_t n = sizes[k], padded = (n + 4095) / 4096 * 4096;
		uint8_t *img = calloc(1, padded);
		size_t npieces;

		st_rnd_fill(img, n);
		write_file(raw, img, n);
		ck_assert_int_eq(rf_sparse_layout_raw(&l, n, 4096), RF_OK);
		npieces = emit_to_files(&l, raw, 3 * 4096 + 64);
		ck_assert_uint_eq(npieces, (padded / 4096 + 2) / 3);
		check_with_simg2img(npieces, img, padded);
		rf_sparse_layout_free(&l);
		free(img);
	}
}
END_TEST

static Suite *sparse_split_suite(void)
{
	Suite *s = suite_create("sparse_split");
	TCase *tc = tcase_create("split");
	TCase *ti = tcase_create("interop");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_raw_edges);
	tcase_add_test(tc, test_raw_random);
	tcase_add_test(tc, test_sparse_random);
	tcase_add_test(tc, test_split_limits);
	tcase_add_test(tc, test_emit_order);
	tcase_add_test(tc, test_write_error);
	suite_add_tcase(s, tc);

	tcase_set_timeout(ti, 60);
	tcase_add_checked_fixture(ti, tmp_setup, tmp_teardown);
	tcase_add_test(ti, test_img2simg_interop);
	tcase_add_test(ti, test_raw_split_simg2img);
	suite_add_tcase(s, ti);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	sr = srunner_create(sparse_split_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
