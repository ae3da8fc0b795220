/* The read-ahead thread: same bytes as the reader, in any read sizes; the
 * reader's error comes through after the bytes before it; stopping early
 * never hangs and never reads past the size given. */
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
	for (size_t c = 0; c < 5; c++) {
		struct src s = { want, size, 0, 300001, 0, 0 };
		struct rf_prefetch *pf;
		char err[RF_ERRLEN];
		size_t have = 0, n;
		ck_assert_int_eq(rf_prefetch_start(&pf, src_read, &s, size, err), RF_OK);
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
	struct rf_prefetch *pf;
	char err[RF_ERRLEN];
	size_t total = 0, n;
	ck_assert_int_eq(rf_prefetch_start(&pf, src_read, &s, 3000000, err), RF_OK);
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
	struct rf_prefetch *pf;
	char err[RF_ERRLEN];
	size_t total = 0, n = 0;
	int rc;
	ck_assert_int_eq(rf_prefetch_start(&pf, src_read, &s, 4 << 20, err), RF_OK);
	for (;;) {
		rc = rf_prefetch_read(pf, buf + total, 100000, &n);
		if (rc || !n)
			break;
		total += n;
	}
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
		struct rf_prefetch *pf;
		char err[RF_ERRLEN];
		size_t n;
		ck_assert_int_eq(rf_prefetch_start(&pf, src_read, &s, 32 << 20, err), RF_OK);
		for (int i = 0; i < k; i++)
			ck_assert_int_eq(rf_prefetch_read(pf, buf, sizeof buf, &n), RF_OK);
		rf_prefetch_stop(pf);
		ck_assert_uint_le(s.off, 32u << 20);
	}
	free(data);
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
	suite_add_tcase(su, tc);
	sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
