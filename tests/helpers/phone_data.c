/* See phone_data.h. */
#include "phone_data.h"

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MiB (1024u * 1024u)

void phone_pattern(unsigned char *buf, size_t len, uint64_t off)
{
	for (size_t i = 0; i < len; i++) {
		uint64_t x = (off + i) / 8 * 0x9E3779B97F4A7C15ull + 0x1234567;
		x ^= x >> 29;
		buf[i] = (unsigned char)(x >> (8 * ((off + i) % 8)));
	}
}

int phone_download(struct rf_fastboot *fb, uint32_t size, size_t chunk)
{
	unsigned char *buf = malloc(chunk);
	int r;

	ck_assert_ptr_nonnull(buf);
	r = rf_fb_download_begin(fb, size);
	for (uint64_t off = 0; r == RF_OK && off < size; off += chunk) {
		size_t n = size - off < chunk ? (size_t)(size - off) : chunk;
		phone_pattern(buf, n, off);
		r = rf_fb_download_write(fb, buf, n);
	}
	if (r == RF_OK)
		r = rf_fb_download_end(fb);
	free(buf);
	return r;
}

void phone_check_partition(const char *dir, const char *name, uint32_t size)
{
	char path[512];
	unsigned char *a = malloc(MiB), *b = malloc(MiB);
	int fd;

	snprintf(path, sizeof(path), "%s/%s.img", dir, name);
	fd = open(path, O_RDONLY);
	ck_assert_msg(fd >= 0, "cannot open %s", path);
	for (uint64_t off = 0; off < size; off += MiB) {
		size_t n = size - off < MiB ? (size_t)(size - off) : MiB;
		ck_assert_int_eq(pread(fd, a, n, (off_t)off), (ssize_t)n);
		phone_pattern(b, n, off);
		ck_assert_msg(memcmp(a, b, n) == 0,
			      "%s differs in the MiB at offset %llu", path,
			      (unsigned long long)off);
	}
	close(fd);
	free(a);
	free(b);
}

void phone_mkdtemp(char *out, size_t cap, const char *prefix)
{
	snprintf(out, cap, "/tmp/%s.XXXXXX", prefix);
	ck_assert_ptr_nonnull(mkdtemp(out));
}

void phone_rm_rf(const char *dir)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

double phone_now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
