/* Proving that bytes read again are the bytes that were verified.
 *
 * The verification pass over a package records a tag of every RF_VWIN-byte
 * window of the file (struct rf_winsums, through a recorder fed the bytes
 * in order).  A tag is a GMAC (AES-128-GCM over the window as associated
 * data, the window's index as the IV) under a random key of the recording:
 * without the key nobody can make other bytes that give the same tags
 * (a forgery succeeds with odds of about 2^-112 per window), which is the
 * guarantee a SHA-256 gives, at four times the speed (8 GB/s here with
 * PCLMULQDQ, against 1.8 GB/s), paid twice per flash: once verifying, once
 * reading back.  The key lives as long as the tags: in memory, and in a
 * verification record (mode 0600) that whoever could rewrite could also
 * rewrite with SHA-256 digests in it.
 *
 * Every later read of that file goes through rf_vfile_window: whole
 * windows only, each checked against its tag before a byte of it is used,
 * RF_ECHANGED when it differs.  Whatever is derived from those bytes
 * (inflated, parsed, sent to a phone) is then derived from verified bytes
 * only, however the file was damaged or rewritten in between.
 *
 * The same recorder and reader serve image files of a package folder and
 * the spool copies pkg_stream makes.  rf_read_at reads a file that may
 * still be growing (a download under way): it waits for the bytes up to an
 * expected size, with a stop flag and a stall timeout. */
#ifndef RF_VFILE_H
#define RF_VFILE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include "rf_error.h"

#define RF_VWIN (1u << 20)
#define RF_WINKEY_LEN 16    /* AES-128 */
#define RF_WINTAG_LEN 16

struct rf_winsums {
	uint64_t size;      /* bytes recorded */
	size_t n;           /* windows: ceil(size / RF_VWIN) */
	size_t cap;
	unsigned char key[RF_WINKEY_LEN]; /* secret of this recording */
	int keyed;          /* key drawn (else drawn at the first window) */
	unsigned char (*tag)[RF_WINTAG_LEN];
};

/* Forget the tags and the key. */
void rf_winsums_free(struct rf_winsums *ws);

/* Records the tags of bytes fed in order, in pieces of any size. */
struct rf_winrec {
	struct rf_winsums *ws;
	void *mac;          /* EVP_MAC_CTX of the window being fed, if any */
	size_t fill;        /* its bytes so far */
};

/* Start recording into `ws` (emptied, with a new key). */
int rf_winrec_init(struct rf_winrec *r, struct rf_winsums *ws);
int rf_winrec_feed(struct rf_winrec *r, const void *p, size_t n);
/* Tag of the last (short) window; `ws` complete. */
int rf_winrec_finish(struct rf_winrec *r);
void rf_winrec_free(struct rf_winrec *r);

/* Record window k from its complete bytes at once (a reader that reads
 * whole windows: the verification pass).  Windows come in order; `ws`
 * starts zeroed (its key is drawn with the first window). */
int rf_winsums_add(struct rf_winsums *ws, const void *p, size_t n);

/* A file read only in verified windows.  Thread-safe (pread). */
struct rf_vfile {
	int fd;
	int own_fd;         /* close it with rf_vfile_close */
	const struct rf_winsums *ws;
	char name[256];     /* for messages */
};

/* Open `path` for verified reads: its size must still be the recorded one
 * (RF_ECHANGED otherwise). */
int rf_vfile_open(struct rf_vfile *vf, const char *path,
		  const struct rf_winsums *ws, char *err);
/* The same over a descriptor the caller keeps (not closed here). */
void rf_vfile_wrap(struct rf_vfile *vf, int fd, const struct rf_winsums *ws,
		   const char *name);
void rf_vfile_close(struct rf_vfile *vf);
/* Read window k whole into buf (RF_VWIN bytes), check it against its tag:
 * *len its size.  RF_ECHANGED when its bytes are not the recorded ones,
 * RF_ESYS when it cannot be read, RF_EINVAL past the recorded end. */
int rf_vfile_window(const struct rf_vfile *vf, size_t k, unsigned char *buf,
		    size_t *len, char *err);

/* How to read a file that may still be growing.  Either the size it will
 * have (`expect`: bytes not there yet are polled for, with a stall
 * timeout), or its writer says how far it is (`wait`: a download's watch;
 * no polling, no timeout of its own). */
struct rf_growing {
	uint64_t expect;    /* its final size (0: the file is complete, or
			       unknown with `wait`) */
	const volatile sig_atomic_t *stop;
	unsigned stall_ms;  /* give up when it does not grow for this long
			       (0: RF_GROW_STALL_MS; not with `wait`) */
	/* Block until the file holds at least `want` bytes or is complete;
	 * *avail: the bytes it holds (fewer than `want` only when complete).
	 * RF_OK, or an error that ends the read: RF_ECHANGED the file
	 * started over from byte 0 (what was read of it is void), RF_EIO its
	 * writer failed, RF_EINTR stopped (message in err). */
	int (*wait)(void *user, uint64_t want, uint64_t *avail, char *err);
	void *user;
};

#define RF_GROW_STALL_MS 60000

/* pread len bytes at off, or up to the end of the file.  With gr and
 * gr->expect: bytes below expect that are not there yet are waited for
 * (RF_EINTR when *gr->stop is set, RF_ETIMEDOUT after a stall).  With
 * gr->wait: read only what the writer says is there, waiting for it
 * (the end of the file is where the writer says it is complete). */
int rf_read_at(int fd, void *buf, size_t len, uint64_t off,
	       const struct rf_growing *gr, size_t *got, char *err);

#endif
