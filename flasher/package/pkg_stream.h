/* Images of an opened package, handed out in the order the plan needs them
 * (the script's order), straight from the .tgz: nothing is extracted.
 *
 * The tar inside the gzip is read forward (ISA-L inflate, rf_gzr).  When
 * the plan asks for an image that comes later in the tar, the entries
 * passed over on the way that the plan still needs are spooled to a
 * private temporary folder, within a budget (default: 10% of the
 * package's unpacked size); an entry over the budget is not spooled, and
 * asking for it later restarts the pass over the file.  So a package whose
 * tar order matches the script streams in one pass, and any order works.
 *
 * A package opened with gz_index (package.h) has gunzip resume points:
 * an image far ahead or already passed is then reached by resuming the
 * gunzip at the last point before its tar header instead of walking or
 * restarting from byte 0, and nothing is spooled.  docs/design.md argues
 * the choice.
 *
 * Every byte handed out is a verified one: the .tgz is read only in the
 * 1 MiB windows whose digests rf_pkg_open recorded (vfile.h), folder files
 * and spool copies likewise, and a window that differs fails the read
 * with RF_ECHANGED ("changed on disk since it was verified") before any
 * of its bytes is used. */
#ifndef RF_PKG_STREAM_H
#define RF_PKG_STREAM_H

#include <signal.h>
#include <stdint.h>
#include "package.h"
#include "sparse.h"

struct rf_pkg_stream;

struct rf_pkg_stream_opts {
	/* Images (paths relative to the top folder) in the order they will be
	 * asked for; an image may appear several times. */
	const char *const *order;
	size_t norder;
	uint64_t spool_budget;   /* 0: 10% of pkg->content_size */
	const char *spool_dir;   /* NULL: $TMPDIR or /tmp */
	const volatile sig_atomic_t *cancel;
	/* TGZ with an index: images of at least this size are inflated by
	 * two threads (par_inflate.h).  0: RF_PKG_PAR_MIN; UINT64_MAX: never */
	uint64_t par_min;
};

#define RF_PKG_PAR_MIN (64ull << 20)

int rf_pkg_stream_open(struct rf_pkg_stream **s, const struct rf_package *pkg,
		       const struct rf_pkg_stream_opts *o, char *err);

/* Position the stream at image `rel` (next in the order given) and return
 * a forward reader over its bytes as stored (exactly `size` bytes).  The
 * reader is valid until the next call of rf_pkg_stream_image or close. */
int rf_pkg_stream_image(struct rf_pkg_stream *s, const char *rel,
			rf_read_fn *rd, void **ctx, uint64_t *size);

/* Message of the last error (reader errors included). */
const char *rf_pkg_stream_err(const struct rf_pkg_stream *s);

/* Statistics for benchmarks and tests. */
struct rf_pkg_stream_stats {
	unsigned passes;          /* passes started from byte 0 */
	unsigned seeks;           /* reads resumed at an index point */
	uint64_t spooled_bytes;   /* written to the spool */
	uint64_t spool_peak;      /* most bytes in the spool at once */
};
void rf_pkg_stream_stats(const struct rf_pkg_stream *s,
			 struct rf_pkg_stream_stats *st);

/* Removes the spool. */
void rf_pkg_stream_close(struct rf_pkg_stream *s);

#endif
