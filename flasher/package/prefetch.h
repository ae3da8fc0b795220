/* Read ahead in a second thread, across a sequence of sources (the images
 * of a flash, in the plan's order).  Inflating an image out of a .tgz and
 * sending it to the phone then overlap instead of taking turns, and the
 * next image is found (a seek in the .tgz, tens of milliseconds) while the
 * phone still takes the previous one: the link never waits for it.
 *
 *   rf_prefetch_start(&pf, open, user, n, err);
 *   for each source k used, in ascending order:
 *       rf_prefetch_next(pf, k, &size, err);       // opened by the thread
 *       ... rf_prefetch_read(pf, buf, len, &got) as an rf_read_fn ...
 *   rf_prefetch_stop(pf);   // always: stops the thread, frees
 *
 * `open` and the readers it returns are called by the thread only; after
 * rf_prefetch_stop what they use is the caller's again.  Sources skipped
 * by the caller are read and dropped.  A read error is the underlying
 * reader's code, with its message (rf_prefetch_err). */
#ifndef RF_PREFETCH_H
#define RF_PREFETCH_H

#include <stddef.h>
#include <stdint.h>
#include "sparse.h"

/* Open source k: its reader, size, and where that reader leaves its error
 * messages (may be NULL).  On failure, a message in err. */
typedef int (*rf_open_fn)(void *user, size_t k, rf_read_fn *rd, void **ctx,
			  uint64_t *size, const char **read_err, char *err);

struct rf_prefetch;

int rf_prefetch_start(struct rf_prefetch **pf, rf_open_fn open, void *user,
		      size_t n, char *err);
/* Make source k (> the previous one) current: its size, or the error that
 * opening it gave (message in err). */
int rf_prefetch_next(struct rf_prefetch *pf, size_t k, uint64_t *size,
		     char *err);
/* rf_read_fn over the current source's prefetched bytes: 0 bytes at its
 * end; an error only after every byte read before it. */
int rf_prefetch_read(void *pf, void *buf, size_t len, size_t *got);
/* The current source's read error message ("" none); stable until the
 * next rf_prefetch_next. */
const char *rf_prefetch_err(const struct rf_prefetch *pf);
void rf_prefetch_stop(struct rf_prefetch *pf);

#endif
