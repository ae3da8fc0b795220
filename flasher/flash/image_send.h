/* Send one image to a partition of one phone: as stored in one download
 * when it fits, otherwise as sparse pieces of at most max-download-size,
 * each written with its own flash command.  Used by flash-image and by the
 * package flasher (one call per phone, each phone in its own thread), so
 * both send the same bytes.
 *
 * Progress goes back through a callback, in two phases per download:
 * sending (bytes the transport took) and writing (the `flash:` sent, the
 * phone silent until its reply).  What was sent when a failure happened is
 * kept in the rf_send (`flashed`, `in_flash`), so the caller can tell the
 * user what state the partition is in. */
#ifndef RF_IMAGE_SEND_H
#define RF_IMAGE_SEND_H

#include <signal.h>
#include <stdint.h>
#include "fastboot.h"
#include "sparse.h"

struct rf_image {
	rf_read_fn read;   /* forward reader over the image as stored */
	void *ctx;
	const char *read_err; /* where the reader leaves its message */
	uint64_t size;     /* bytes of the image as stored */
	/* Layout from a pass over the image (rf_sparse_layout_scan) for a
	 * sparse image, rf_sparse_layout_raw for a raw one.  Only needed when
	 * the image does not fit one download.  Only read (its err too is
	 * left alone: several phones may share one layout). */
	const struct rf_sparse_layout *layout;
	/* The image exists only as its layout (a filesystem made for a
	 * `format`: `read` gives the RAW extents' data in order): always sent
	 * as sparse pieces, even when one would fit. */
	int layout_only;
};

enum rf_send_phase {
	RF_PHASE_NONE = 0,
	RF_PHASE_SENDING,  /* download: bytes on their way to the phone */
	RF_PHASE_WRITING,  /* flash:/boot sent, the phone writing (silent) */
};

/* done/total: wire bytes of this image (split pieces carry headers);
 * called after every buffer while sending, and once when a flash: is
 * sent (WRITING, done == bytes sent so far). */
typedef void (*rf_send_progress_fn)(void *user, enum rf_send_phase phase,
				    uint64_t done, uint64_t total);

struct rf_send {
	/* in */
	struct rf_fastboot *fb;
	uint32_t max_dl;
	/* Checked between downloads: when set, stop before the next one
	 * (the download under way is finished so the phone stays in step,
	 * and not flashed). */
	const volatile sig_atomic_t *stop;
	rf_send_progress_fn progress; /* may be NULL */
	void *user;
	const char *label;  /* the image in messages (NULL: "the image") */
	/* out */
	uint64_t total;     /* wire bytes of the whole image */
	uint64_t sent;      /* wire bytes the transport took */
	unsigned downloads; /* downloads the image takes */
	unsigned piece;     /* the download under way (1-based) */
	unsigned flashed;   /* flash:/boot commands the phone answered OKAY */
	int in_flash;       /* the failure came after a flash:/boot was sent
			       and before its answer (or the answer was FAIL):
			       the phone may have written part of it */
	int read_failed;    /* the failure was the image's (package), not
			       the phone's */
	char err[RF_ERRLEN];
};

/* What sending it will take: number of downloads and bytes on the wire. */
int rf_image_plan(const struct rf_image *img, uint32_t max_dl,
		  unsigned *downloads, uint64_t *wire_bytes, char *err);

/* Download and flash `img` to `partition`.  RF_OK, or the error with its
 * message in s->err (RF_EINTR when s->stop ended it between downloads). */
int rf_image_flash(struct rf_send *s, const char *partition,
		   const struct rf_image *img);

/* Download `img` (must fit one download) and "boot" it. */
int rf_image_boot(struct rf_send *s, const struct rf_image *img);

#endif
