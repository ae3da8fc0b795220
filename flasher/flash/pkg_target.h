/* Which phone a package is for, and whether the phone at hand is one.
 *
 * The package says it by its name's codename (cancro_global_images_...),
 * its misc.txt (`product=cancro`) and its android-info.txt (`require
 * product=cancro`, `require board=MSM8974`), when it has them.  The phone
 * says only what its bootloader answers to `getvar product`; romflash
 * knows which answers which codenames give (docs/design.md lists the
 * pairings: cancro <-> MSM8974).  The check runs even when the package's
 * script has no product check of its own:
 *   - a known pairing that matches: fine;
 *   - a codename romflash knows whose answers differ: the wrong phone;
 *   - anything romflash cannot decide: refused unless the user names the
 *     codename with --force-device (they then vouch for the pairing). */
#ifndef RF_PKG_TARGET_H
#define RF_PKG_TARGET_H

#include <stddef.h>
#include "package.h"
#include "part_table.h"
#include "rf_error.h"

struct rf_pkg_target {
	char codename[32];   /* "" when the package does not say */
	char source[64];     /* where it came from: "file name", "misc.txt" */
	char board[64];      /* android-info.txt's `require board=` ("" none) */
	const char *model;   /* known codename: "Xiaomi Mi 3 / Mi 4"; else NULL */
	const char *product; /* known codename: the bootloader's product answer */
	const struct rf_part_table *layout; /* known codename: its partitions */
};

/* What the package says.  RF_EFORMAT when its name and files disagree
 * (message in err). */
int rf_pkg_target(const struct rf_package *pkg, struct rf_pkg_target *t, char *err);

/* Is the phone answering `product` one this package is for?  `force`: the
 * codename the user vouched for (--force-device), or NULL.
 * `script_checks`: the package's own script checks `getvar product` (the
 * preflight holds the phone to it): a codename romflash does not know is
 * then the script's business, as it is for bash + fastboot.  RF_OK, or
 * RF_EWRONGDEV with the reason in err. */
int rf_target_check(const struct rf_pkg_target *t, const char *product,
		    const char *force, int script_checks, char *err);

#endif
