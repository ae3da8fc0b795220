/* The read-ahead thread: same bytes as the reader, in any read sizes; the
 * reader's error comes through after the bytes before it; stopping early
 * never hangs and never reads past the size given; across a sequence of
 * sources, each source's bytes and nothing else, skipped sources dropped,
 * an open error where that source is asked for. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "prefetch.h"

struct src {
	const unsigned char *p;
	size_t len, off, max_read, fail_at;
	size_t reads;
};

/* Returns odd-sized pieces, like an inflater does. */
static int src_read(void *ctx, void *buf, size_t len, size_t *got)
{
	struct src *s = ctx;
	size_t n = s->len - s->off;
	s->reads++;
	if (s->fail_at && s->off >= s->fail_at) {
		*got = 0;
		return RF_EFORMAT;
	}
	if (n > len)
		n = len;
	if (n > s->max_read)
		n = s->max_read;
	if (s->fail_at && s->off + n > s->fail_at)
		n = s->fail_at - s->off;
	memcpy(buf, s->p + s->off, n);
	s->off += n;
	*got = n;
	return RF_OK;
}

/* A sequence of sources for rf_prefetch_start.  size[k] is what the
 * opener announces (a source may hold less: a short source). */
struct seq {
	struct src *s;
	uint64_t *size;
	size_t fail_open; /* 1 + index of the source whose open fails */
};

static int seq_open(void *user, size_t k, rf_read_fn *rd, void **ctx,
		    uint64_t *size, const char **read_err, char *err)
{
	struct seq *q = user;
	if (q->fail_open == k + 1)
		return rf_errf(err, RF_EFORMAT, "source %zu is missing", k);
	*rd = src_read;
	*ctx = &q->s[k];
	*size = q->size[k];
	*read_err = "the source broke";
	return RF_OK;
}

/* One source: the old single-reader use. */
static struct rf_prefetch *start_one(struct seq *q, struct src *s, uint64_t *size)
{
	struct rf_prefetch *pf;
	char err[RF_ERRLEN];
	uint64_t got;
	q->s = s;
	q->size = size;
	q->fail_open = 0;
	ck_assert_int_eq(rf_prefetch_start(&pf, seq_open, q, 1, err), RF_OK);
	ck_assert_int_eq(rf_prefetch_next(pf, 0, &got, err), RF_OK);
	ck_assert_uint_eq(got, *size);
	return pf;
}

static unsigned char *pattern(size_t n)
{
	unsigned char *p = malloc(n ? n : 1);
	uint32_t x = 12345;
	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = (unsigned char)(x >> 16);
	}
	return p;
}

START_TEST(test_same_bytes)
{
	static const size_t sizes[] = { 0, 1, 4095, 1 << 20, (1 << 20) + 1, 9 * (1 << 20) + 77 };
	static const size_t chunks[] = { 1, 7, 4096, 1 << 20, 3 << 20 };
	size_t size = sizes[_i % 6];
	unsigned char *want = pattern(size), *got = malloc(size + 16);
	/* tiny reads only on the smaller sizes: millions of locked calls
	 * prove nothing more and take seconds */
	for (size_t c = size > (2u << 20) ? 2 : 0; c < 5; c++) {
		struct src s = { want, size, 0, 300001, 0, 0 };
		struct seq q;
		uint64_t sz = size;
		struct rf_prefetch *pf = start_one(&q, &s, &sz);
		size_t have = 0, n;
		do {
			size_t ask = chunks[c] < size + 16 - have ? chunks[c] : size + 16 - have;
			ck_assert_int_eq(rf_prefetch_read(pf, got + have, ask, &n), RF_OK);
			have += n;
		} while (n);
		rf_prefetch_stop(pf);
		ck_assert_uint_eq(have, size);
		ck_assert(memcmp(got, want, size) == 0);
		ck_assert_uint_le(s.off, size);
	}
	free(want);
	free(got);
}
END_TEST

/* Never reads past `size`, even when the reader has more. */
START_TEST(test_stops_at_size)
{
	unsigned char *data = pattern(5 << 20), buf[4096];
	struct src s = { data, 5 << 20, 0, 1 << 20, 0, 0 };
	struct seq q;
	uint64_t sz = 3000000;
	struct rf_prefetch *pf = start_one(&q, &s, &sz);
	size_t total = 0, n;
	do {
		ck_assert_int_eq(rf_prefetch_read(pf, buf, sizeof buf, &n), RF_OK);
		total += n;
	} while (n);
	rf_prefetch_stop(pf);
	ck_assert_uint_eq(total, 3000000);
	ck_assert_uint_eq(s.off, 3000000);
	free(data);
}
END_TEST

START_TEST(test_error_after_bytes)
{
	unsigned char *data = pattern(4 << 20), *buf = malloc(4 << 20);
	struct src s = { data, 4 << 20, 0, 65536, 2500000, 0 };
	struct seq q;
	uint64_t sz = 4 << 20;
	struct rf_prefetch *pf = start_one(&q, &s, &sz);
	size_t total = 0, n = 0;
	int rc;
	for (;;) {
		rc = rf_prefetch_read(pf, buf + total, 100000, &n);
		if (rc || !n)
			break;
		total += n;
	}
	ck_assert_str_eq(rf_prefetch_err(pf), "the source broke");
	rf_prefetch_stop(pf);
	ck_assert_int_eq(rc, RF_EFORMAT);
	ck_assert_uint_eq(total, 2500000);
	ck_assert(memcmp(buf, data, total) == 0);
	free(data);
	free(buf);
}
END_TEST

/* The consumer gives up after a little: stop must not hang. */
START_TEST(test_stop_early)
{
	unsigned char *data = pattern(32 << 20), buf[1000];
	for (int k = 0; k < 20; k++) {
		struct src s = { data, 32 << 20, 0, 1 << 20, 0, 0 };
		struct seq q;
		uint64_t sz = 32 << 20;
		struct rf_prefetch *pf = start_one(&q, &s, &sz);
		size_t n;
		for (int i = 0; i < k; i++)
			ck_assert_int_eq(rf_prefetch_read(pf, buf, sizeof buf, &n), RF_OK);
		rf_prefetch_stop(pf);
		ck_assert_uint_le(s.off, 32u << 20);
	}
	free(data);
}
END_TEST

/* Read source k to its end into a fresh buffer; its length in *len. */
static unsigned char *read_source(struct rf_prefetch *pf, size_t k, uint64_t want,
				  size_t chunk, size_t *len)
{
	char err[RF_ERRLEN];
	uint64_t size;
	unsigned char *buf = malloc(want + 1);
	size_t n;
	ck_assert_int_eq(rf_prefetch_next(pf, k, &size, err), RF_OK);
	ck_assert_uint_eq(size, want);
	*len = 0;
	do {
		size_t ask = chunk < want + 1 - *len ? chunk : want + 1 - *len;
		ck_assert_int_eq(rf_prefetch_read(pf, buf + *len, ask, &n), RF_OK);
		*len += n;
	} while (n && *len <= want);
	return buf;
}

/* Five sources, some empty, some spanning several slots, some smaller
 * than one; read in order, in odd pieces: each gives exactly its bytes. */
START_TEST(test_sequence)
{
	static const uint64_t sizes[5] = { 3000000, 0, 1, 17u << 20, 4097 };
	uint64_t size[5];
	struct src s[5];
	unsigned char *data[5];
	struct seq q = { s, size, 0 };
	struct rf_prefetch *pf;
	char err[RF_ERRLEN];
	for (int k = 0; k < 5; k++) {
		size[k] = sizes[k];
		data[k] = pattern((size_t)sizes[k] + (size_t)k);
		s[k] = (struct src){ data[k] + k, (size_t)sizes[k], 0, 77777, 0, 0 };
	}
	ck_assert_int_eq(rf_prefetch_start(&pf, seq_open, &q, 5, err), RF_OK);
	for (size_t k = 0; k < 5; k++) {
		size_t len;
		unsigned char *got = read_source(pf, k, sizes[k], 65537, &len);
		ck_assert_uint_eq(len, sizes[k]);
		ck_assert(memcmp(got, data[k] + k, len) == 0);
		free(got);
	}
	rf_prefetch_stop(pf);
	for (int k = 0; k < 5; k++) {
		ck_assert_uint_eq(s[k].off, sizes[k]);
		free(data[k]);
	}
}
END_TEST

/* Source 0 read in part, source 1 never asked for, source 2 whole: what
 * was skipped is dropped, and source 2 is exactly its bytes. */
START_TEST(test_skip)
{
	uint64_t size[3] = { 5u << 20, 3u << 20, 2500000 };
	struct src s[3];
	unsigned char *data[3], buf[1000];
	struct seq q = { s, size, 0 };
	struct rf_prefetch *pf;
	char err[RF_ERRLEN];
	uint64_t sz;
	size_t n, len;
	for (int k = 0; k < 3; k++) {
		data[k] = pattern((size_t)size[k] + (size_t)k);
		s[k] = (struct src){ data[k] + k, (size_t)size[k], 0, 1 << 20, 0, 0 };
	}
	ck_assert_int_eq(rf_prefetch_start(&pf, seq_open, &q, 3, err), RF_OK);
	ck_assert_int_eq(rf_prefetch_next(pf, 0, &sz, err), RF_OK);
	ck_assert_int_eq(rf_prefetch_read(pf, buf, sizeof buf, &n), RF_OK);
	ck_assert_uint_eq(n, sizeof buf);
	ck_assert(memcmp(buf, data[0], n) == 0);
	unsigned char *got = read_source(pf, 2, size[2], 1 << 20, &len);
	ck_assert_uint_eq(len, size[2]);
	ck_assert(memcmp(got, data[2] + 2, len) == 0);
	/* going back is refused */
	ck_assert_int_eq(rf_prefetch_next(pf, 1, &sz, err), RF_EINVAL);
	free(got);
	rf_prefetch_stop(pf);
	for (int k = 0; k < 3; k++)
		free(data[k]);
}
END_TEST

/* Opening source 1 fails: source 0 is whole, source 1 gives the open's
 * error and message, source 2 was never opened. */
START_TEST(test_open_error)
{
	uint64_t size[3] = { 2u << 20, 100, 100 };
	struct src s[3];
	unsigned char *data = pattern(2u << 20);
	struct seq q = { s, size, 2 };
	struct rf_prefetch *pf;
	char err[RF_ERRLEN];
	uint64_t sz;
	size_t len;
	for (int k = 0; k < 3; k++)
		s[k] = (struct src){ data, (size_t)size[k], 0, 1 << 20, 0, 0 };
	ck_assert_int_eq(rf_prefetch_start(&pf, seq_open, &q, 3, err), RF_OK);
	unsigned char *got = read_source(pf, 0, size[0], 1 << 20, &len);
	ck_assert_uint_eq(len, size[0]);
	free(got);
	ck_assert_int_eq(rf_prefetch_next(pf, 1, &sz, err), RF_EFORMAT);
	ck_assert_str_eq(err, "source 1 is missing");
	rf_prefetch_stop(pf);
	ck_assert_uint_eq(s[2].off, 0);
	free(data);
}
END_TEST

/* A source holding less than announced: its bytes, then the end (the
 * caller's check on the size says "ended early"); nothing after it. */
START_TEST(test_short_source)
{
	uint64_t size[2] = { 3u << 20, 1000 };
	struct src s[2];
	unsigned char *data = pattern(3u << 20), *buf = malloc(3u << 20);
	struct seq q = { s, size, 0 };
	struct rf_prefetch *pf;
	char err[RF_ERRLEN];
	uint64_t sz;
	size_t n, total = 0;
	s[0] = (struct src){ data, 1500000, 0, 1 << 20, 0, 0 };
	s[1] = (struct src){ data, 1000, 0, 1 << 20, 0, 0 };
	ck_assert_int_eq(rf_prefetch_start(&pf, seq_open, &q, 2, err), RF_OK);
	ck_assert_int_eq(rf_prefetch_next(pf, 0, &sz, err), RF_OK);
	do {
		ck_assert_int_eq(rf_prefetch_read(pf, buf + total, 4096, &n), RF_OK);
		total += n;
	} while (n);
	ck_assert_uint_eq(total, 1500000);
	ck_assert_int_eq(rf_prefetch_next(pf, 1, &sz, err), RF_EINVAL);
	rf_prefetch_stop(pf);
	free(data);
	free(buf);
}
END_TEST

int main(void)
{
	Suite *su = suite_create("prefetch");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int nf;
	tcase_add_loop_test(tc, test_same_bytes, 0, 6);
	tcase_add_test(tc, test_stops_at_size);
	tcase_add_test(tc, test_error_after_bytes);
	tcase_add_test(tc, test_stop_early);
	tcase_add_test(tc, test_sequence);
	tcase_add_test(tc, test_skip);
	tcase_add_test(tc, test_open_error);
	tcase_add_test(tc, test_short_source);
	suite_add_tcase(su, tc);
	sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
