/* libFuzzer harness: a package's partition table, gpt_both0.bin
 * (flasher/flash/part_table.c, rf_gpt_parse), whose sizes the preflight
 * trusts when the phone gives none (cancro's LK never does).
 *
 * Input: a configuration byte (bit 0: the harness writes the right CRC32s
 * into the header first -- the entries' and then the header's own -- so
 * the fuzzer gets past them), then the image.
 *
 * Whatever the image: no crash, no read past its end (it ends where an
 * unreadable page begins); an accepted table has
 * from 1 to RF_GPT_MAX_PARTS partitions, one per used entry (type GUID not
 * zero) in entry order, each a whole number of sectors, its name
 * terminated printable ASCII; a refusal says why. */
#include <isa-l/crc.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "part_table.h"

#define SEC RF_GPT_SECTOR

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> 8 * i);
}

/* The header's entry array (LBA, count, size) within the image, or 0. */
static size_t entries(const uint8_t *b, size_t len, size_t *off)
{
	const uint8_t *h = b + SEC;
	uint64_t lba = get32(h + 72) | (uint64_t)get32(h + 76) << 32;
	uint64_t bytes = (uint64_t)get32(h + 80) * get32(h + 84);

	if (lba > len / SEC || bytes > len - lba * SEC)
		return 0;
	*off = (size_t)lba * SEC;
	return (size_t)bytes;
}

static void fix_crcs(uint8_t *b, size_t len)
{
	uint8_t *h = b + SEC;
	uint32_t hsz;
	size_t off = 0, n;

	if (len < 2 * SEC)
		return;
	n = entries(b, len, &off);
	put32(h + 88, crc32_gzip_refl(0, b + off, n));
	hsz = get32(h + 12);
	if (hsz > SEC)
		return;
	put32(h + 16, 0);
	put32(h + 16, crc32_gzip_refl(0, h, hsz));
}

/* Used entries, counted without the parser. */
static size_t used(const uint8_t *b, size_t len)
{
	size_t off = 0, n = entries(b, len, &off), esz = get32(b + SEC + 84), count = 0;
	static const uint8_t zero[16];

	for (size_t at = 0; esz && at + esz <= n; at += esz)
		count += memcmp(b + off + at, zero, 16) != 0;
	return count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct fz_in in = { data, len, 0 };
	uint8_t cfg = fz_u8(&in);
	const uint8_t *p;
	size_t n = fz_rest(&in, &p);
	/* a read past its end faults, in ISA-L's CRC32 too */
	struct fz_guarded g = fz_guarded_copy(p, n);
	uint8_t *img = g.p;
	struct rf_part_table *t = malloc(sizeof *t);
	char err[RF_ERRLEN] = "";

	if (!t)
		abort();
	if (cfg & 1)
		fix_crcs(img, n);
	if (rf_gpt_parse(img, n, t, err) == RF_OK) {
		if (t->n < 1 || t->n > RF_GPT_MAX_PARTS || t->n != used(img, n))
			abort();
		for (size_t i = 0; i < t->n; i++) {
			fz_check_str(t->part[i].name, sizeof t->part[i].name);
			for (const char *c = t->part[i].name; *c; c++)
				if (*c < 0x20 || *c >= 0x7f)
					abort();
			if (!t->part[i].bytes || t->part[i].bytes % SEC)
				abort();
		}
	} else {
		fz_check_str(err, sizeof err);
		if (!err[0])
			abort();
	}
	free(t);
	fz_guarded_free(&g);
	return 0;
}
