/* Sparse images: the layout scan (every chunk type, every malformed
 * header, CRC32 chunks in both of libsparse's conventions) and what the
 * bootloader of a cancro would refuse.  Split and emission:
 * check_sparse_split.c; shared builders: tests/helpers/sparse_build.c. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sparse.h"
#include "sparse_build.h"

START_TEST(test_is_sparse)
{
	uint8_t m[4];
	st_w32(m, RF_SPARSE_MAGIC);
	ck_assert(rf_sparse_is_sparse(m, 4));
	ck_assert(!rf_sparse_is_sparse(m, 3));
	m[0] ^= 1;
	ck_assert(!rf_sparse_is_sparse(m, 4));
}
END_TEST

START_TEST(test_all_chunk_types)
{
	struct sb s;
	struct rf_sparse_layout l;
	uint8_t data[3 * 1024];

	st_rnd_fill(data, sizeof(data));
	sb_begin(&s, 1024);
	sb_raw(&s, data, 2);
	sb_fill(&s, 0xdeadbeef, 3);
	sb_dc(&s, 2);
	sb_dc(&s, 1);      /* merged with the previous DONT_CARE */
	sb_crc(&s);
	sb_raw(&s, data + 2048, 1);
	sb_fill(&s, 0, 0); /* empty chunks produce no extent */
	sb_crc(&s);
	sb_finish(&s);

	ck_assert_int_eq(st_scan_mem(&l, s.img.p, s.img.len), RF_OK);
	ck_assert(l.is_sparse);
	ck_assert_uint_eq(l.blk_sz, 1024);
	ck_assert_uint_eq(l.total_blks, 9);
	ck_assert_uint_eq(l.out_bytes, 9 * 1024);
	ck_assert_uint_eq(l.in_bytes, s.img.len);
	ck_assert_uint_eq(l.n, 4);
	ck_assert_uint_eq(l.ext[0].type, RF_SPARSE_CHUNK_RAW);
	ck_assert_uint_eq(l.ext[0].out_blk, 0);
	ck_assert_uint_eq(l.ext[0].nblk, 2);
	ck_assert_uint_eq(l.ext[0].src_off, 40);
	ck_assert_uint_eq(l.ext[1].type, RF_SPARSE_CHUNK_FILL);
	ck_assert_uint_eq(l.ext[1].out_blk, 2);
	ck_assert_uint_eq(l.ext[1].nblk, 3);
	ck_assert_uint_eq(l.ext[1].fill, 0xdeadbeef);
	ck_assert_uint_eq(l.ext[2].type, RF_SPARSE_CHUNK_DONT_CARE);
	ck_assert_uint_eq(l.ext[2].out_blk, 5);
	ck_assert_uint_eq(l.ext[2].nblk, 3);
	ck_assert_uint_eq(l.ext[3].type, RF_SPARSE_CHUNK_RAW);
	ck_assert_uint_eq(l.ext[3].out_blk, 8);
	ck_assert_uint_eq(l.ext[3].src_off,
			  40 + 2048 + 16 + 12 + 12 + 16 + 12);

	/* One piece holding everything reproduces the content. */
	{
		uint8_t out[9 * 1024];
		memset(out, 0, sizeof(out));
		st_split_emit_apply(&l, s.img.p, s.img.len, 1 << 20, out);
		ck_assert(memcmp(out, s.content.p, sizeof(out)) == 0);
	}
	rf_sparse_layout_free(&l);
	rf_sparse_layout_free(&l); /* idempotent */
	sb_free(&s);
}
END_TEST

/* Base image for the error cases: chunk offsets are fixed so cases can patch
 * them.  blk 1024: RAW 2 @28, FILL 3 @2088, DC 2 @2104, CRC @2116,
 * RAW 1 @2132, end 3168. */
static void base_image(struct sb *s)
{
	uint8_t data[3 * 1024];
	st_rnd_fill(data, sizeof(data));
	sb_begin(s, 1024);
	sb_raw(s, data, 2);
	sb_fill(s, 0x01020304, 3);
	sb_dc(s, 2);
	sb_crc(s);
	sb_raw(s, data + 2048, 1);
	sb_finish(s);
	ck_assert_uint_eq(s->img.len, 3168);
}

struct bad_case {
	const char *what;
	const char *msg; /* substring expected in the error */
};

static const struct bad_case bad_cases[] = {
	{ "bad magic", "magic" },
	{ "major version 2", "version" },
	{ "file header 20", "header sizes" },
	{ "chunk header 8", "header sizes" },
	{ "block size 0", "block size" },
	{ "block size 1022", "block size" },
	{ "unknown chunk type", "chunk 1 at offset 0x828 has unknown type" },
	{ "RAW total_sz", "chunk 0 at offset 0x1c" },
	{ "FILL total_sz", "total size 20, expected 16" },
	{ "DONT_CARE total_sz", "total size 16, expected 12" },
	{ "CRC32 total_sz", "total size 12, expected 16" },
	{ "past total_blks", "past the image end" },
	{ "sum < total_blks", "chunks cover 8 blocks, header says 13" },
	{ "total_chunks too big", "image ends after 5 chunks, header says 6" },
	{ "total_chunks too small", "trailing data" },
	{ "ends in chunk data", "chunk 4 at offset 0x854 runs past the end" },
	{ "ends in chunk header", "chunk 4 at offset 0x854 runs past the end" },
	{ "trailing garbage", "trailing data after the last chunk at offset 0xc60" },
	{ "CRC mismatch", "chunk 3 at offset 0x844: CRC32 mismatch" },
	{ "10-byte file", "too short" },
	{ "empty file", "too short" },
	{ "CRC32 with blocks", "CRC32 chunk claims 1 blocks" },
	{ "total_sz < header", "smaller than its header" },
	{ "huge block size", "block size" },
	{ "huge output", "absurdly large" },
	{ "file header runs past end", "too short for its sparse header" },
	{ "chunk header extra past end", "chunk 0 at offset 0x1c runs past" },
	{ "short 3-byte file", "too short" },
};

START_TEST(test_bad_images)
{
	struct sb s;
	struct rf_sparse_layout l;
	uint8_t *p;
	size_t len;

	base_image(&s);
	p = s.img.p;
	len = s.img.len;
	switch (_i) {
	case 0: p[0] ^= 0xff; break;
	case 1: st_w16(p + 4, 2); break;
	case 2: st_w16(p + 8, 20); break;
	case 3: st_w16(p + 10, 8); break;
	case 4: st_w32(p + 12, 0); break;
	case 5: st_w32(p + 12, 1022); break;
	case 6: st_w16(p + 2088, 0xcac5); break;
	case 7: st_w32(p + 28 + 8, 12 + 2048 - 4); break;
	case 8: st_w32(p + 2088 + 8, 20); break;
	case 9: st_w32(p + 2104 + 8, 16); break;
	case 10: st_w32(p + 2116 + 8, 12); break;
	case 11: st_w32(p + 16, 6); break;
	case 12: st_w32(p + 16, 13); break;
	case 13: st_w32(p + 20, 6); break;
	case 14: st_w32(p + 20, 4); st_w32(p + 16, 7); break;
	case 15: len -= 100; break;
	case 16: len = 2132 + 5; break;
	case 17: st_buf_add(&s.img, "x", 1); p = s.img.p; len++; break;
	case 18: p[100] ^= 1; break;
	case 19: len = 10; break;
	case 20: len = 0; break;
	case 21: st_w32(p + 2116 + 4, 1); break;
	case 22: st_w32(p + 28 + 8, 8); break;
	case 23: st_w32(p + 12, 128u << 20); break;
	case 24: st_w32(p + 12, 4096); st_w32(p + 16, 0xffffffffu); break;
	case 25: st_w16(p + 8, 60000); break;
	case 26: st_w16(p + 10, 60000); break;
	case 27: len = 3; break;
	}
	memset(&l, 0x5a, sizeof(l));
	ck_assert_int_eq(st_scan_mem(&l, p, len), RF_EFORMAT);
	ck_assert_msg(strstr(l.err, bad_cases[_i].msg) != NULL,
		      "%s: message '%s' lacks '%s'", bad_cases[_i].what, l.err,
		      bad_cases[_i].msg);
	ck_assert_uint_eq(l.n, 0);
	ck_assert_ptr_null(l.ext);
	rf_sparse_layout_free(&l);
	/* skipping RAW data must not let any of them through */
	memset(&l, 0x5a, sizeof(l));
	ck_assert_msg(st_scan_mem_seekable(&l, p, len) == RF_EFORMAT,
		      "%s: seekable scan accepted it", bad_cases[_i].what);
	ck_assert_uint_eq(l.n, 0);
	rf_sparse_layout_free(&l);
	sb_free(&s);
}
END_TEST

/* libsparse accepts longer headers and skips the extra bytes. */
START_TEST(test_longer_headers)
{
	struct sb s;
	struct st_buf img = { 0 };
	struct rf_sparse_layout l;
	const uint8_t *p;
	uint8_t pad[8] = { 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee };
	uint8_t out[8 * 1024];
	size_t off = 28;

	base_image(&s);
	p = s.img.p;
	st_buf_add(&img, p, 28);
	st_w16(img.p + 8, 32);
	st_w16(img.p + 10, 16);
	st_buf_add(&img, pad, 4);
	while (off < s.img.len) {
		uint32_t tsz = st_r32(p + off + 8);
		uint8_t h[12];
		memcpy(h, p + off, 12);
		st_w32(h + 8, tsz + 4);
		st_buf_add(&img, h, 12);
		st_buf_add(&img, pad, 4);
		st_buf_add(&img, p + off + 12, tsz - 12);
		off += tsz;
	}
	ck_assert_int_eq(st_scan_mem(&l, img.p, img.len), RF_OK);
	ck_assert_uint_eq(l.n, 4);
	ck_assert_uint_eq(l.ext[0].src_off, 32 + 16);
	st_rnd_fill(out, sizeof(out));
	st_split_emit_apply(&l, img.p, img.len, 3000, out);
	for (uint32_t b = 0; b < 8; b++)
		if (!s.dc.p[b])
			ck_assert(memcmp(out + b * 1024, s.content.p + b * 1024,
					 1024) == 0);
	rf_sparse_layout_free(&l);
	st_buf_free(&img);
	sb_free(&s);
}
END_TEST

/* FILL and DONT_CARE runs of several MiB exercise the algebraic CRC. */
START_TEST(test_crc_long_runs)
{
	struct sb s;
	struct rf_sparse_layout l;
	uint8_t data[4096 * 3];

	st_rnd_fill(data, sizeof(data));
	sb_begin(&s, 4096);
	sb_raw(&s, data, 1);
	sb_fill(&s, 0xa5a5a5a5, 700);  /* 2.7 MiB: past the 1 MiB unit */
	sb_crc(&s);
	sb_dc(&s, 3000);
	sb_crc(&s);
	sb_fill(&s, 0x12345678, 257);
	sb_crc(&s);
	sb_fill(&s, 0x0badf00d, 1800); /* 7 units: several doublings */
	sb_crc(&s);
	sb_raw(&s, data + 4096, 2);
	sb_fill(&s, 0, 1);
	sb_dc(&s, 1);
	sb_crc_as(&s, s.crc);
	sb_crc_as(&s, s.crc_skip);
	sb_finish(&s);
	ck_assert(s.crc != s.crc_skip);
	ck_assert_msg(st_scan_mem(&l, s.img.p, s.img.len) == RF_OK, "%s", l.err);
	rf_sparse_layout_free(&l);
	/* Any other value is refused. */
	s.img.p[s.img.len - 1] ^= 0x10;
	ck_assert_int_eq(st_scan_mem(&l, s.img.p, s.img.len), RF_EFORMAT);
	ck_assert(strstr(l.err, "CRC32 mismatch") != NULL);
	sb_free(&s);
}
END_TEST

/* An img2simg-like image: thousands of small RAW, FILL (mostly one block
 * of zeros) and DONT_CARE chunks, CRC32 chunks among them and at the end.
 * The scan keeps one running CRC between DONT_CARE chunks and folds it
 * into both conventions only at DONT_CARE and CRC32 chunks, so every
 * neighbourhood of those (leading, consecutive, trailing DONT_CARE; a CRC32
 * chunk right after one) must agree with the byte-by-byte reference. */
START_TEST(test_crc_many_chunks)
{
	uint8_t data[4 * 4096];

	st_seed_rng();
	for (int skip = 0; skip < 2; skip++) {
		struct sb s;
		struct rf_sparse_layout l, l2;
		uint32_t good;

		sb_begin(&s, 4096);
		sb_crc(&s);                /* nothing yet: the empty CRC */
		if (skip)
			sb_dc(&s, 3);      /* zeros before any data */
		for (int c = 0; c < 2000; c++) {
			uint32_t n;
			switch (st_rnd() % 10) {
			case 0: case 1: case 2: case 3:
				n = (uint32_t)st_rnd_range(1, 4);
				st_rnd_fill(data, (size_t)n * 4096);
				sb_raw(&s, data, n);
				break;
			case 4: case 5:
				sb_fill(&s, 0, 1);
				break;
			case 6: /* up to 40 blocks: past the scan's 64 KiB unit */
				sb_fill(&s, st_rnd() % 2 ? (uint32_t)st_rnd() : 0,
					(uint32_t)st_rnd_range(1, 40));
				break;
			case 7: case 8:
				sb_dc(&s, (uint32_t)st_rnd_range(1, 8));
				break;
			default:
				sb_crc(&s);
				break;
			}
		}
		sb_dc(&s, 2);
		sb_crc(&s);                /* right after a DONT_CARE */
		st_rnd_fill(data, 4096);
		sb_raw(&s, data, 1);
		sb_dc(&s, 5);              /* trailing: the conventions differ */
		ck_assert(s.crc != s.crc_skip);
		good = skip ? s.crc_skip : s.crc;
		sb_crc_as(&s, good);
		sb_finish(&s);

		ck_assert_msg(st_scan_mem(&l, s.img.p, s.img.len) == RF_OK,
			      "skip=%d: %s", skip, l.err);
		ck_assert_uint_eq(l.total_blks, s.blks);
		ck_assert_msg(st_scan_mem_seekable(&l2, s.img.p, s.img.len) ==
			      RF_OK, "skip=%d (seekable): %s", skip, l2.err);
		st_same_layout(&l, &l2);
		rf_sparse_layout_free(&l);
		rf_sparse_layout_free(&l2);

		/* Any other final value is refused, by both scans. */
		for (int bit = 0; bit < 32; bit += 5) {
			st_w32(s.img.p + s.img.len - 4, good ^ (1u << bit));
			ck_assert_int_eq(st_scan_mem(&l, s.img.p, s.img.len),
					 RF_EFORMAT);
			ck_assert_msg(strstr(l.err, "CRC32 mismatch") != NULL,
				      "%s", l.err);
			ck_assert_int_eq(st_scan_mem_seekable(&l, s.img.p,
							   s.img.len),
					 RF_EFORMAT);
			ck_assert_msg(strstr(l.err, "CRC32 mismatch") != NULL,
				      "%s", l.err);
		}
		sb_free(&s);
	}
}
END_TEST

/* What cancro's bootloader (LK) would refuse halfway through a write. */
START_TEST(test_lk_check)
{
	static const uint8_t magic[4] = { 0x3a, 0xff, 0x26, 0xed };
	struct sb s;
	struct rf_sparse_layout l;
	uint8_t data[4096], head[28];
	char why[RF_ERRLEN];

	st_rnd_fill(data, sizeof(data));
	/* shorter than a sparse header, beginning like one: every length */
	memset(head, 0x55, sizeof(head));
	memcpy(head, magic, 4);
	for (uint64_t n = 1; n < 28; n++) {
		why[0] = 0;
		ck_assert_int_eq(rf_sparse_lk_check(head, n, NULL, why),
				 RF_EFORMAT);
		ck_assert_ptr_nonnull(strstr(why, "begin like a sparse image"));
	}
	ck_assert_int_eq(rf_sparse_lk_check(head, 0, NULL, why), RF_OK);
	head[1] ^= 1; /* not the magic: a raw image, whatever its size */
	ck_assert_int_eq(rf_sparse_lk_check(head, 2, NULL, why), RF_OK);
	ck_assert_int_eq(rf_sparse_lk_check(head, 27, NULL, why), RF_OK);
	ck_assert_int_eq(rf_sparse_lk_check(data, sizeof data, NULL, why), RF_OK);

	/* a block size of 1024 (whole sectors) passes, 1020 does not */
	sb_begin(&s, 1024);
	sb_raw(&s, data, 2);
	sb_finish(&s);
	ck_assert_int_eq(st_scan_mem(&l, s.img.p, s.img.len), RF_OK);
	ck_assert_int_eq(rf_sparse_lk_check(s.img.p, s.img.len, &l, why), RF_OK);
	rf_sparse_layout_free(&l);
	sb_free(&s);
	sb_begin(&s, 1020);
	sb_raw(&s, data, 2);
	sb_finish(&s);
	ck_assert_int_eq(st_scan_mem(&l, s.img.p, s.img.len), RF_OK);
	ck_assert_int_eq(rf_sparse_lk_check(s.img.p, s.img.len, &l, why),
			 RF_EFORMAT);
	ck_assert_ptr_nonnull(strstr(why, "multiple of 512"));
	rf_sparse_layout_free(&l);
	sb_free(&s);

	/* a valid CRC32 chunk (libsparse's form, checksum included) */
	sb_begin(&s, 4096);
	sb_raw(&s, data, 1);
	sb_crc(&s);
	sb_finish(&s);
	ck_assert_int_eq(st_scan_mem(&l, s.img.p, s.img.len), RF_OK);
	ck_assert_uint_eq(l.crc_chunks, 1);
	ck_assert_int_eq(rf_sparse_lk_check(s.img.p, s.img.len, &l, why),
			 RF_EFORMAT);
	ck_assert_ptr_nonnull(strstr(why, "CRC32"));
	rf_sparse_layout_free(&l);
	sb_free(&s);
}
END_TEST

/* A caller's budget of extents (a package holds every image's layout). */
START_TEST(test_scan_max)
{
	struct sb s;
	struct rf_sparse_layout l;
	struct st_mrd r;
	uint8_t data[1024];

	st_rnd_fill(data, sizeof(data));
	sb_begin(&s, 1024);
	for (int i = 0; i < 10; i++) {
		sb_raw(&s, data, 1);
		sb_fill(&s, (uint32_t)i, 1);
	}
	sb_finish(&s);
	r = (struct st_mrd){ .p = s.img.p, .len = s.img.len };
	ck_assert_int_eq(rf_sparse_layout_scan_max(&l, st_mem_read, &r, 20),
			 RF_OK);
	ck_assert_uint_eq(l.n, 20);
	rf_sparse_layout_free(&l);
	r = (struct st_mrd){ .p = s.img.p, .len = s.img.len };
	ck_assert_int_eq(rf_sparse_layout_scan_max(&l, st_mem_read, &r, 19),
			 RF_EFORMAT);
	ck_assert_ptr_nonnull(strstr(l.err, "more than 19 chunks"));
	ck_assert_ptr_null(l.ext);
	sb_free(&s);
}
END_TEST

static Suite *sparse_suite(void)
{
	Suite *s = suite_create("sparse");
	TCase *tc = tcase_create("scan");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_is_sparse);
	tcase_add_test(tc, test_all_chunk_types);
	tcase_add_loop_test(tc, test_bad_images, 0,
			    sizeof(bad_cases) / sizeof(bad_cases[0]));
	tcase_add_test(tc, test_longer_headers);
	tcase_add_test(tc, test_crc_long_runs);
	tcase_add_test(tc, test_crc_many_chunks);
	tcase_add_test(tc, test_lk_check);
	tcase_add_test(tc, test_scan_max);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	sr = srunner_create(sparse_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
