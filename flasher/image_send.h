/* Send one image to a partition: raw in one download when it fits,
 * otherwise (or when sparse and too large) as sparse pieces of at most
 * max-download-size, each written with its own flash command.  Used by
 * flash-image and by the package flasher, so both send the same bytes. */
#ifndef RF_IMAGE_SEND_H
#define RF_IMAGE_SEND_H

#include <stdint.h>
#include "fastboot.h"
#include "output.h"
#include "sparse.h"

struct rf_image {
	rf_read_fn read;   /* forward reader over the image as stored */
	void *ctx;
	const char *read_err; /* where the reader leaves its message */
	uint64_t size;     /* bytes of the image as stored */
	/* Layout from a pass over the image (rf_sparse_layout_scan) for a
	 * sparse image; for a raw one, rf_image_prepare fills it. */
	struct rf_sparse_layout *layout;
};

/* What sending it will take: number of downloads and bytes on the wire. */
int rf_image_plan(const struct rf_image *img, uint32_t max_dl,
		  unsigned *downloads, uint64_t *wire_bytes, char *err);

/* Download and flash `img` to `partition` ("flash:PARTITION" after each
 * download).  `progress` (may be NULL) is advanced by wire bytes. */
int rf_image_flash(struct rf_fastboot *fb, const char *partition,
		   const struct rf_image *img, uint32_t max_dl,
		   struct rf_progress *progress, char *err);

/* Download `img` (must fit one download) and "boot" it. */
int rf_image_boot(struct rf_fastboot *fb, const struct rf_image *img,
		  uint32_t max_dl, struct rf_progress *progress, char *err);

#endif
