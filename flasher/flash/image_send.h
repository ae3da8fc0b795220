/* Send one image to a partition: as stored in one download when it fits,
 * otherwise as sparse pieces of at most max-download-size, each written
 * with its own flash command.  Used by flash-image and by the package
 * flasher, so both send the same bytes.
 *
 * The data can go to several phones at once (romflash flash --all): the
 * image is read once and every buffer is written to each phone still
 * alive; a phone that fails is dropped and the others go on. */
#ifndef RF_IMAGE_SEND_H
#define RF_IMAGE_SEND_H

#include <signal.h>
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
	 * sparse image, rf_sparse_layout_raw for a raw one.  Only needed when
	 * the image does not fit one download. */
	const struct rf_sparse_layout *layout;
};

/* The phones an image goes to.  rc[i] is RF_OK while phone i is alive;
 * when it fails, rc[i] gets the error and err[i] the message. */
struct rf_fanout {
	size_t n;
	struct rf_fastboot **fb;
	int *rc;
	char (*err)[RF_ERRLEN];
	/* Checked between downloads: when set, stop before the next one
	 * (the download under way is finished so the phone stays in step). */
	const volatile sig_atomic_t *stop;
};

/* What sending it will take: number of downloads and bytes on the wire. */
int rf_image_plan(const struct rf_image *img, uint32_t max_dl,
		  unsigned *downloads, uint64_t *wire_bytes, char *err);

/* Download and flash `img` to `partition` on every live phone of `fo`.
 * Returns RF_OK while at least one phone is alive (check fo->rc), else
 * the error, with its message in `err`.  A read error fails every phone.
 * `progress` (may be NULL) is advanced by wire bytes. */
int rf_image_flash(struct rf_fanout *fo, const char *partition,
		   const struct rf_image *img, uint32_t max_dl,
		   struct rf_progress *progress, char *err);

/* Download `img` (must fit one download) and "boot" it. */
int rf_image_boot(struct rf_fanout *fo, const struct rf_image *img,
		  uint32_t max_dl, struct rf_progress *progress, char *err);

/* One phone: a fanout of one over `fb`, results in *rc / err. */
void rf_fanout_one(struct rf_fanout *fo, struct rf_fastboot **fbp, int *rc,
		   char (*err)[RF_ERRLEN]);

/* A failure that is every live phone's (the image could not be read):
 * each gets `rc` and `err`.  Returns rc. */
int rf_fanout_fail_all(struct rf_fanout *fo, int rc, const char *err);

/* Run `op` on every live phone of the fanout (erase, oem, ...): failures
 * drop the phone.  Returns RF_OK while one is alive. */
int rf_fanout_each(struct rf_fanout *fo,
		   int (*op)(struct rf_fastboot *fb, const char *arg),
		   const char *arg, char *err);

#endif
