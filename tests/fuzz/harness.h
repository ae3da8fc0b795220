/* Shared by the fuzz harnesses (tests/fuzz/fuzz_*.c, docs/fuzzing.md).
 *
 * A harness is one function, LLVMFuzzerTestOneInput, that hands the bytes
 * to a parser through its public API and aborts when the parser breaks a
 * promise (an accepted input that is not what it should be).  It is built
 * twice: with clang -fsanitize=fuzzer by `make fuzz`, and with the normal
 * compiler into check_fuzz_replay (the entry point renamed rf_fuzz_NAME)
 * to replay the kept inputs in `make check`.  So: nothing but the entry
 * point may be global, no state may leak from one input to the next, and
 * nothing may print. */
#ifndef RF_FUZZ_HARNESS_H
#define RF_FUZZ_HARNESS_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

/* The input read front to back.  Past its end, numbers read as 0 and
 * takes give nothing. */
struct fz_in {
	const uint8_t *p;
	size_t len, off;
};

uint8_t fz_u8(struct fz_in *in);
uint16_t fz_u16(struct fz_in *in); /* little-endian */
/* Up to `max` bytes (fewer at the end); returns how many, *out at them. */
size_t fz_take(struct fz_in *in, size_t max, const uint8_t **out);
/* Everything left. */
size_t fz_rest(struct fz_in *in, const uint8_t **out);
/* The bytes up to the next NUL (or the end) as a string in dst, cut to
 * cap - 1 bytes; the NUL is consumed. */
void fz_field(struct fz_in *in, char *dst, size_t cap);

/* An unnamed in-memory file holding the bytes (memfd); *path gets a name
 * that opens it again (/proc/self/fd/N).  Returns the descriptor (the
 * caller closes it), aborts when the kernel refuses. */
int fz_memfile(const void *data, size_t len, char path[64]);

/* A copy of the bytes that ends where an unreadable page begins: a read
 * past its end faults even in code the sanitizers do not see (ISA-L's
 * CRC32, libcrypto). */
struct fz_guarded {
	uint8_t *p; /* the copy */
	void *map;
	size_t map_len;
};
struct fz_guarded fz_guarded_copy(const void *data, size_t len);
void fz_guarded_free(struct fz_guarded *g);

/* A private folder made once per process under /tmp and removed at exit;
 * fz_dir_clear empties it (files only). */
const char *fz_dir(void);
void fz_dir_clear(void);
/* Write a file (aborts on failure). */
void fz_write_file(const char *path, const void *data, size_t len);

/* Abort when `s` is not NUL-terminated within `cap` bytes. */
void fz_check_str(const char *s, size_t cap);

#endif
