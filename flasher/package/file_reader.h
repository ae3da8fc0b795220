/* A forward reader over a local file, for rf_read_fn users. */
#ifndef RF_FILE_READER_H
#define RF_FILE_READER_H

#include <stddef.h>
#include <stdint.h>
#include "rf_error.h"

struct rf_file_reader {
	int fd;
	uint64_t size;
	char path[4096];
	char err[RF_ERRLEN];
};

/* Open `path` for reading: a regular file, readable.  RF_ESYS otherwise. */
int rf_file_open(struct rf_file_reader *r, const char *path);
/* Back to the start (a second pass over the file). */
int rf_file_rewind(struct rf_file_reader *r);
int rf_file_read(void *ctx, void *buf, size_t len, size_t *got);
/* rf_seek_fn: RF_EFORMAT past the end of the file. */
int rf_file_seek(void *ctx, uint64_t off);
void rf_file_close(struct rf_file_reader *r);

#endif
