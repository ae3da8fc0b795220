/* adb sideload, host side: the block server recovery reads a package from.
 *
 * sideload-host (KitKat and later): the host opens
 * "sideload-host:SIZE:65536"; the phone writes 8 ASCII digits naming the
 * block it wants, in any order and sometimes more than once (it reads the
 * package once to verify it and again to install it); the host answers with
 * that block (the last one short); "DONEDONE" ends a successful install,
 * "FAILFAIL" a failed one.  The package is read by block from the caller's
 * source: nothing holds more than one block.
 *
 * Legacy (before KitKat): "sideload:SIZE", the host streams the package
 * once, the phone answers "OKAY" or "FAIL".  Used when the phone refuses
 * sideload-host.
 *
 * Never prints: progress goes to a callback, errors are RF_E* codes with a
 * message in s->err. */
#ifndef RF_SIDELOAD_H
#define RF_SIDELOAD_H

#include <signal.h>
#include <stdint.h>
#include "adb.h"

#define RF_SIDELOAD_BLOCK 65536u

/* Where the package's bytes come from: `read` fills buf with the `len`
 * bytes at `off` (never past `size`); RF_OK or an error (message in err,
 * RF_ERRLEN bytes). */
struct rf_sideload_src {
	int (*read)(void *user, uint64_t off, void *buf, size_t len, char *err);
	void *user;
	uint64_t size;
};

struct rf_sideload_stats {
	uint64_t size;     /* the package */
	uint64_t unique;   /* bytes of distinct blocks served */
	uint64_t served;   /* bytes served, repeats included */
	uint64_t blocks;   /* block requests answered, repeats included */
	uint64_t nblocks;  /* blocks in the package */
	int legacy;        /* the phone only knew sideload:SIZE */
};

struct rf_sideload {
	struct rf_adb *adb;               /* connected, in sideload mode */
	const struct rf_sideload_src *src;
	const volatile sig_atomic_t *stop; /* may be NULL */
	/* Longest wait for the phone's next request (it installs between
	 * reads); < 0: no limit (a USB link that stays up), 0: 15 min. */
	int idle_timeout_ms;
	/* At most every 100 ms and at the end; may be NULL. */
	void (*progress)(void *user, const struct rf_sideload_stats *st);
	void *progress_user;
	struct rf_sideload_stats st;
	char err[RF_ERRLEN];
};

/* Serve the package until the phone says it is done.  RF_OK: DONEDONE (or
 * the legacy OKAY).  RF_EFAIL: FAILFAIL / FAIL -- the phone refused the
 * package (its screen says why) -- or it refused both services.
 * RF_EPROTO: a request that makes no sense (past the end, not digits).
 * RF_EINTR: *stop was set (checked between blocks).  Otherwise the link's
 * error (RF_EDISCONNECTED, RF_ETIMEDOUT) or the source's. */
int rf_sideload_run(struct rf_sideload *s);

#endif
