/* The images of a flash, read once from the package and shared by every
 * phone, each phone at its own pace, in bounded memory.
 *
 * One producer thread reads the run's images in order (rf_pkg_stream)
 * into a window of fixed-size slots; each phone has a reader, a cursor
 * into the concatenated images.  A slot is reused once every reader
 * attached to the window has passed it, so the window is the spread the
 * phones may drift apart while sharing one read of the package.  A phone
 * that falls further behind (a slow link, a long write, a reboot) while
 * another waits for data is detached after a grace time: from then on it
 * reads the rest of that image from the (verified) package through its
 * own stream, seeking with the gzip index, and the others go on.  At its
 * next image it joins the window again if the window still holds that
 * image's start.  A reader that starts ahead of the window (a resume at a
 * later step) reads on its own until the window catches up.
 * docs/design.md argues the choice.
 *
 *   rf_feed_start(&f, &opts, err);
 *   per phone (each in its own thread):
 *       r = rf_feed_reader(f, first);     // its first image
 *       rf_feed_image(r, k, &size, err);   // k ascending
 *       rf_feed_read(r, buf, len, &got)... // an rf_read_fn
 *       rf_feed_leave(r);
 *   rf_feed_stop(f);
 */
#ifndef RF_IMAGE_FEED_H
#define RF_IMAGE_FEED_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include "package.h"

#define RF_FEED_SLOT (1u << 20)

struct rf_feed_opts {
	const struct rf_package *pkg;
	const char *const *order;  /* images in the order readers use them */
	size_t n;
	size_t window;             /* bytes; 0: 16 MiB */
	unsigned grace_ms;         /* 0: 200 */
	/* Ctrl-C: the image being read is finished, no new one is started */
	const volatile sig_atomic_t *stop;
};

struct rf_feed;
struct rf_feed_rd;

int rf_feed_start(struct rf_feed **f, const struct rf_feed_opts *o, char *err);
/* A reader whose first image will be `first` (>= n: it reads none),
 * holding the window there from now on (a phone still busy with its
 * first steps must not find its image gone); NULL: out of memory. */
struct rf_feed_rd *rf_feed_reader(struct rf_feed *f, size_t first);
/* Go to image k (greater than the reader's previous one): its size. */
int rf_feed_image(struct rf_feed_rd *r, size_t k, uint64_t *size, char *err);
/* rf_read_fn over the current image: 0 bytes at its end. */
int rf_feed_read(void *r, void *buf, size_t len, size_t *got);
/* The reader's last error message ("" none). */
const char *rf_feed_err(const struct rf_feed_rd *r);
/* The reader holds nothing from now on; frees it. */
void rf_feed_leave(struct rf_feed_rd *r);
/* Stops the producer and frees (every reader must have left). */
void rf_feed_stop(struct rf_feed *f);

struct rf_feed_stats {
	unsigned detaches;     /* readers sent to read on their own */
	unsigned private_opens;/* images (or rests of images) read on their own */
	uint64_t produced;     /* bytes read into the window */
	uint64_t private_bytes;/* bytes read on their own */
	size_t peak_slots;     /* most slots allocated */
};
void rf_feed_stats(struct rf_feed *f, struct rf_feed_stats *st);

#endif
