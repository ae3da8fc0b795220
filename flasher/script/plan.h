/* The plan: the ordered list of steps a package's flash script asks for.
 *
 * Built once from the package (script interpreted, images looked up, sizes
 * and download counts computed); then the dry run prints it, the preflight
 * evaluates its checks, and the flash executes it.  All three walk this
 * same list, so what `plan` shows is what `flash` does.
 *
 * Checks are evaluated by the preflight before anything is written,
 * wherever they stand in the script (safety rule 2); steps with a
 * condition run only on phones whose answer satisfies it (steps.h). */
#ifndef RF_PLAN_H
#define RF_PLAN_H

#include <stddef.h>
#include <stdint.h>
#include "rf_error.h"
#include "steps.h"

struct rf_package;

#define RF_DEFAULT_MAX_DL 0x30000000u

struct rf_plan {
	enum rf_mode mode;
	char script[64];          /* the .sh interpreted */
	char bat[64];             /* its .bat twin, "" if none */
	char bat_diff[256];       /* "" when the twin gives the same plan */
	char notes[768];          /* "; "-separated remarks for the user */
	int checks_product;       /* the .sh checks getvar product */
	uint32_t max_dl;
	struct rf_steplist steps;
	/* totals */
	unsigned n_writes;        /* FLASH + CRC_FLASH + ERASE + FORMAT steps */
	unsigned n_checks;        /* GETVAR/ANTI/PATCH checks */
	uint64_t bytes;           /* image bytes sent (all FLASH/BOOT/CRC) */
	unsigned downloads;
	char err[RF_ERRLEN];
};

/* The mode's script in the package, NULL when it has none.  Keep-data is
 * flash_all_except_storage.sh, else _except_data_storage.sh, else
 * _except_data.sh. */
const char *rf_plan_script_name(const struct rf_package *pkg, enum rf_mode mode);

/* Interpret the mode's script, check every image it names is in the
 * package, and compute sizes and downloads at `max_dl`.  RF_EFORMAT (bad
 * script, missing image) or RF_EINVAL (no script for the mode) with a
 * message in pl->err. */
int rf_plan_build(struct rf_plan *pl, const struct rf_package *pkg,
		  enum rf_mode mode, uint32_t max_dl);
/* Recompute downloads for another max-download-size (the phone's). */
int rf_plan_set_max_dl(struct rf_plan *pl, const struct rf_package *pkg,
		       uint32_t max_dl);
void rf_plan_free(struct rf_plan *pl);

/* Downloads needed to send an image at max_dl (the same count the sender
 * makes: one download when it fits as stored, else sparse pieces). */
int rf_plan_downloads(const struct rf_package *pkg, const char *image,
		      uint32_t max_dl, unsigned *n, char *err);

#endif
