/* Test data for emulated phones: deterministic image bytes, a fastboot
 * download of them, and the check that a partition file holds them. */
#ifndef PHONE_DATA_H
#define PHONE_DATA_H

#include <stddef.h>
#include <stdint.h>
#include "fastboot.h"

/* Deterministic bytes: position `off` of a test image. */
void phone_pattern(unsigned char *buf, size_t len, uint64_t off);

/* Send `size` pattern bytes as one fastboot download, in `chunk`-sized
 * writes.  Returns the first error (message in fb->err). */
int phone_download(struct rf_fastboot *fb, uint32_t size, size_t chunk);

/* The first `size` bytes of <dir>/<name>.img hold the pattern (Check
 * assertions). */
void phone_check_partition(const char *dir, const char *name, uint32_t size);

/* A fresh folder /tmp/<prefix>.XXXXXX into out (cap >= 64); rm -rf. */
void phone_mkdtemp(char *out, size_t cap, const char *prefix);
void phone_rm_rf(const char *dir);

double phone_now_s(void);

#endif
