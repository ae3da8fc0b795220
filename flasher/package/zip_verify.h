/* The one pass over a recovery zip before anything is sent: its MD5, its
 * whole-file signature, and a CRC of every 64 KiB block, so the blocks
 * served to the phone later are proven to be the bytes verified here.
 *
 * Whole-file signature (what recovery checks, bootable/recovery's
 * verifier): the zip comment ends with a 6-byte footer -- signature start
 * (bytes back from the end), 0xffff, comment size -- and the PKCS#7
 * SignedData (detached) lies between the signature start and the footer.
 * It signs every byte of the file but the comment and its 2-byte length.
 * It is verified with libcrypto against the certificate it carries (else
 * META-INF/com/android/otacert), which is shown as the signer. */
#ifndef RF_ZIP_VERIFY_H
#define RF_ZIP_VERIFY_H

#include <signal.h>
#include <stdint.h>
#include "zip.h"

#define RF_ZIP_BLOCK 65536u

enum rf_zip_sig {
	RF_ZIP_UNSIGNED = 0,  /* no footer: a warning, not an error */
	RF_ZIP_SIGNED,        /* verified */
	RF_ZIP_SIG_BROKEN,    /* a footer, but the signature does not verify */
};

struct rf_zip_verify_opts {
	const volatile sig_atomic_t *stop;
	void (*progress)(void *user, uint64_t done, uint64_t total);
	void *progress_user;
};

struct rf_zip_verified {
	char md5[33];
	enum rf_zip_sig sig;
	char signer[256];      /* the certificate's subject, one line */
	char fingerprint[96];  /* "SHA-256 ab:cd:..." (first 8 bytes) */
	char why[RF_ERRLEN];   /* RF_ZIP_SIG_BROKEN: why */
	char warning[RF_ERRLEN]; /* e.g. otacert is another certificate */
	uint32_t *crc;         /* per RF_ZIP_BLOCK block */
	uint64_t nblocks;
};

/* Read the whole file once, through the descriptor rf_zip_open checked
 * (`path` names it in messages): MD5, signature digest and block CRCs on
 * three threads over the same buffers (fanout.h), so the pass costs the
 * slowest of them.  RF_OK also when the signature is broken or absent (see
 * v->sig); errors are reading errors, a file that got shorter
 * (RF_EFORMAT), RF_EINTR, RF_ENOMEM (message in z->err). */
int rf_zip_verify(struct rf_zip *z, const char *path,
		  const struct rf_zip_verify_opts *o, struct rf_zip_verified *v);
void rf_zip_verified_free(struct rf_zip_verified *v);

/* A sideload source over the verified file: rf_sideload_src.read.  Reads
 * the bytes again and refuses a block whose CRC is not the verified one
 * (the file changed since). */
struct rf_zip_blocks {
	struct rf_zip *z;
	const struct rf_zip_verified *v;
	unsigned char *buf; /* one block, when a read is not block-aligned */
	uint64_t cached;    /* the block in buf, when `have` */
	int have;
};
void rf_zip_blocks_free(struct rf_zip_blocks *r);
int rf_zip_blocks_read(void *user, uint64_t off, void *buf, size_t len,
		       char *err);

#endif
