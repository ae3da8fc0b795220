/* The ROM catalog: known packages (data/catalog.txt, built into the binary,
 * format in docs/catalog.md), plus entries a user adds or overrides in a
 * file of the same format.
 *
 * Parsing is strict and bounded (it is fuzzed): a line longer than
 * RF_CAT_MAX_LINE, a value longer than its field, an unknown key (other
 * than x-*), a missing required field, a malformed URL, MD5, type or date
 * makes the whole text invalid, with "ORIGIN:LINE: why" in c->err. */
#ifndef RF_CATALOG_H
#define RF_CATALOG_H

#include <stddef.h>
#include "rf_error.h"

#define RF_CAT_MAX_LINE 2048
#define RF_CAT_MAX_TEXT (8u << 20)     /* one catalog file */
#define RF_CAT_MAX_ENTRIES 10000
#define RF_CAT_MAX_CHANGELOG (16u << 10)

enum rf_rom_type {
	RF_ROM_ANY = 0, /* only as a filter */
	RF_ROM_FASTBOOT,
	RF_ROM_RECOVERY,
};

struct rf_rom {
	char name[256];      /* package file name: the entry's key */
	char url[1024];      /* http(s)://... */
	char codename[32];
	char version[64];
	enum rf_rom_type type;
	char region[16];     /* global, cn, eea, in, ... */
	char device[160];    /* device names, "; "-separated */
	char branch[32];     /* weekly, stable, ... */
	char android[16];
	char size[32];       /* as the release page says: "1.1 GB" */
	char date[11];       /* YYYY-MM-DD */
	char md5[33];        /* 32 hex digits, lower case; "" unknown */
	char *changelog;     /* lines joined by '\n', may be NULL */
	char origin[64];     /* where it came from: "catalog.txt:12" */
};

struct rf_catalog {
	struct rf_rom *v;
	size_t n, cap;
	char err[RF_ERRLEN];
};

/* Parse one catalog text and add its entries; an entry whose name is
 * already there replaces it (a user's file overrides the shipped one).
 * `origin` names the text in messages.  RF_EFORMAT (nothing added) or
 * RF_ENOMEM; c->err says why. */
int rf_catalog_parse(struct rf_catalog *c, const char *text, size_t len,
		     const char *origin);
/* The same from a file.  A file that does not exist is no error when
 * `optional` is set. */
int rf_catalog_add_file(struct rf_catalog *c, const char *path, int optional);
/* The catalog built into romflash (data/catalog.txt at build time). */
int rf_catalog_add_builtin(struct rf_catalog *c);
void rf_catalog_free(struct rf_catalog *c);

const char *rf_rom_type_name(enum rf_rom_type t); /* "fastboot", "recovery" */

/* Does `s` look like a catalog version rather than a file name or URL?
 * ("7.12.8", "V7.1.2.0.KXDMICK": letters, digits and dots, a dot and a
 * digit, no slash.) */
int rf_catalog_is_version(const char *s);

/* Entries of that version (and region, and type unless RF_ROM_ANY; a NULL
 * or "" region matches any), in catalog order: up to `cap` pointers in
 * out[], returns how many matched in all. */
size_t rf_catalog_find(const struct rf_catalog *c, const char *version,
		       const char *region, enum rf_rom_type type,
		       const struct rf_rom **out, size_t cap);
/* An entry by package file name, or NULL. */
const struct rf_rom *rf_catalog_by_name(const struct rf_catalog *c,
					const char *name);

#endif
