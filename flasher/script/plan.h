/* The plan: the ordered list of steps a package's flash script asks for.
 *
 * Built once from the package (script interpreted, images looked up, sizes
 * and download counts computed); then the dry run prints it, the preflight
 * evaluates its checks, and the flash executes it.  All three walk this
 * same list, so what `plan` shows is what `flash` does.
 *
 * Checks (GETVAR_CHECK, ANTI_CHECK) are evaluated by the preflight before
 * anything is written, wherever they stand in the script (safety rule 2);
 * CRC_FLASH steps are flashed only when the phone's `getvar crc` line
 * matches the step's pattern ("^crc: 1"). */
#ifndef RF_PLAN_H
#define RF_PLAN_H

#include <stddef.h>
#include <stdint.h>
#include "rf_error.h"

enum rf_op {
	RF_OP_FLASH,
	RF_OP_ERASE,
	RF_OP_BOOT,              /* download image, "boot" */
	RF_OP_REBOOT_BOOTLOADER, /* then wait sleep_s and for the same phone */
	RF_OP_REBOOT,
	RF_OP_OEM,               /* "oem ARG" */
	RF_OP_SET_ACTIVE,        /* "set_active ARG" */
	RF_OP_GETVAR_CHECK,      /* "VAR: value" must (not) match pattern */
	RF_OP_ANTI_CHECK,        /* phone's anti version <= anti_max */
	RF_OP_CRC_FLASH,         /* FLASH if "crc: value" matches pattern */
};

enum rf_mode {
	RF_MODE_KEEP_DATA = 0, /* flash_all_except_storage.sh (or _data_storage) */
	RF_MODE_CLEAN,         /* flash_all.sh */
	RF_MODE_LOCK,          /* flash_all_lock.sh */
};

struct rf_step {
	enum rf_op op;
	char partition[64]; /* as sent: "system", "modem+modem1", "partition" */
	char image[256];    /* FLASH/BOOT/CRC_FLASH: path inside the package's
			       top folder, e.g. "images/system.img" */
	char var[32];       /* GETVAR_CHECK / CRC_FLASH: "product", "crc" */
	char pattern[128];  /* grep/findstr pattern the "VAR: value" line is
			       matched against */
	int must_match;     /* GETVAR_CHECK: 1 fail unless it matches,
			       0 fail if it matches */
	char message[160];  /* GETVAR_CHECK/ANTI_CHECK: the script's echo */
	char arg[64];       /* OEM args, SET_ACTIVE slot */
	unsigned anti_max;  /* ANTI_CHECK */
	unsigned sleep_s;   /* REBOOT_BOOTLOADER: the script's sleep */
	char src[96];       /* "flash_all.sh:12" */
	/* Filled by rf_plan_build from the package: */
	uint64_t size;      /* image bytes as stored */
	int sparse;         /* Android sparse image */
	uint64_t out_bytes; /* bytes it writes (unsparsed size) */
	unsigned downloads; /* downloads at the plan's max-download-size */
};

struct rf_steplist {
	struct rf_step *v;
	size_t n, cap;
};

int rf_steplist_push(struct rf_steplist *l, const struct rf_step *s);
void rf_steplist_free(struct rf_steplist *l);

const char *rf_op_name(enum rf_op op); /* "flash", "getvar-check", ... */
const char *rf_mode_name(enum rf_mode m);
int rf_mode_parse(const char *s, enum rf_mode *m); /* 0 ok, -1 unknown */

struct rf_package;

#define RF_DEFAULT_MAX_DL 0x30000000u

struct rf_plan {
	enum rf_mode mode;
	char script[64];          /* the .sh interpreted */
	char bat[64];             /* its .bat twin, "" if none */
	char bat_diff[256];       /* "" when the twin gives the same plan */
	uint32_t max_dl;
	struct rf_steplist steps;
	/* totals */
	unsigned n_writes;        /* FLASH + CRC_FLASH + ERASE steps */
	unsigned n_checks;        /* GETVAR_CHECK + ANTI_CHECK */
	uint64_t bytes;           /* image bytes sent (all FLASH/BOOT/CRC) */
	unsigned downloads;
	char err[RF_ERRLEN];
};

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

/* Downloads needed to send an image at max_dl (same rule as image_send:
 * one download when it fits as stored, else sparse pieces). */
int rf_plan_downloads(const struct rf_package *pkg, const char *image,
		      uint32_t max_dl, unsigned *n, char *err);

#endif
