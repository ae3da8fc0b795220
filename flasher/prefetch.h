/* Read ahead in a second thread.  Inflating an image out of a .tgz and
 * sending it to the phone then overlap instead of taking turns: the sender
 * finds the next megabyte ready while the previous one is on the wire.
 *
 *   rf_prefetch_start(&pf, rd, ctx, size, err);
 *   ... rf_prefetch_read(pf, buf, len, &got) as an rf_read_fn ...
 *   rf_prefetch_stop(pf);   // always: stops the thread, frees
 *
 * The underlying reader is used by the thread only, and never past `size`
 * bytes; after rf_prefetch_stop it is the caller's again.  A read error is
 * the underlying reader's code, its message where that reader keeps it. */
#ifndef RF_PREFETCH_H
#define RF_PREFETCH_H

#include <stdint.h>
#include "sparse.h"

struct rf_prefetch;

int rf_prefetch_start(struct rf_prefetch **pf, rf_read_fn rd, void *ctx,
		      uint64_t size, char *err);
/* rf_read_fn over the prefetched bytes. */
int rf_prefetch_read(void *pf, void *buf, size_t len, size_t *got);
void rf_prefetch_stop(struct rf_prefetch *pf);

#endif
