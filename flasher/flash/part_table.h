/* How large a partition is, when the phone does not say.
 *
 * Xiaomi's LK answers `getvar partition-size:*` with nothing, so an image
 * larger than its partition would pass every check and be refused by the
 * phone only after the bootloader chain was written.  Sizes therefore
 * come, in this order, from: the phone (when it reports them); the
 * package's own partition table (gpt_both0.bin, when the plan writes it:
 * that is the table the phone will have); romflash's table of the known
 * cancro layout (SPEC, MIUI 6.0 layout, the smallest storage variant's
 * userdata).  A name found in none of them is not checked (and said so).
 *
 * GPT: primary header at LBA 1 of 512-byte sectors ("EFI PART"), its
 * CRC32 and its entries' CRC32 verified, names UTF-16LE (non-ASCII
 * characters become '?'). */
#ifndef RF_PART_TABLE_H
#define RF_PART_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include "rf_error.h"

#define RF_GPT_SECTOR 512
#define RF_GPT_MAX_PARTS 128

struct rf_part {
	char name[40];
	uint64_t bytes;
};

struct rf_part_table {
	size_t n;
	struct rf_part part[RF_GPT_MAX_PARTS];
};

/* Parse a GPT image (at least the protective MBR, the header and its
 * entries).  RF_EFORMAT with the reason in err when it is not a valid one. */
int rf_gpt_parse(const void *buf, size_t len, struct rf_part_table *t, char *err);

/* The known cancro layout (shared, read-only). */
const struct rf_part_table *rf_part_table_cancro(void);

/* Size of `name` in table t; 0 when the table does not have it. */
uint64_t rf_part_size(const struct rf_part_table *t, const char *name);

enum rf_size_src {
	RF_SIZE_UNKNOWN = 0,
	RF_SIZE_PHONE,    /* getvar partition-size */
	RF_SIZE_PACKAGE,  /* the package's gpt_both0.bin */
	RF_SIZE_KNOWN,    /* romflash's cancro table */
};
const char *rf_size_src_name(enum rf_size_src s);

#endif
