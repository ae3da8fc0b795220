/* Partition tables: a package's GPT, the known cancro layout.  See
 * part_table.h. */
#include "part_table.h"

#include <isa-l/crc.h>
#include <string.h>

#include "rf_str.h"

#define M (1024ull * 1024)

/* SPEC, "Partition sizes on a Mi 4 (MIUI 6.0 layout)"; userdata is the
 * 16 GB phone's (a 64 GB phone has more: an image that fits here fits
 * there). */
static const struct rf_part_table cancro = {
	19,
	{
		{ "sbl1", 2 * M }, { "rpm", 1 * M }, { "tz", 1 * M },
		{ "DDR", 1 * M }, { "ssd", 1 * M }, { "dbi", 1 * M },
		{ "aboot", 4 * M }, { "misc", 4 * M }, { "logo", 8 * M },
		{ "modemst1", 3 * M / 2 }, { "modemst2", 3 * M / 2 },
		{ "fsg", 3 * M / 2 }, { "persist", 16 * M }, { "modem", 128 * M },
		{ "system", 1280 * M }, { "cache", 384 * M },
		{ "userdata", 12980 * M }, { "boot", 32 * M },
		{ "recovery", 16 * M },
	},
};

const struct rf_part_table *rf_part_table_cancro(void)
{
	return &cancro;
}

uint64_t rf_part_size(const struct rf_part_table *t, const char *name)
{
	for (size_t i = 0; t && i < t->n; i++)
		if (!strcmp(t->part[i].name, name))
			return t->part[i].bytes;
	return 0;
}

const char *rf_size_src_name(enum rf_size_src s)
{
	switch (s) {
	case RF_SIZE_PHONE: return "the phone";
	case RF_SIZE_PACKAGE: return "the package's partition table";
	case RF_SIZE_KNOWN: return "the known cancro layout";
	default: return "nowhere";
	}
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t le64(const unsigned char *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* UTF-16LE name (36 code units) to ASCII. */
static void entry_name(const unsigned char *p, char *out, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < 36 && n + 1 < cap; i++) {
		unsigned c = p[2 * i] | (unsigned)p[2 * i + 1] << 8;
		if (!c)
			break;
		out[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	out[n] = 0;
}

static int is_unused(const unsigned char *e)
{
	for (int i = 0; i < 16; i++)
		if (e[i])
			return 0;
	return 1;
}

/* Header fields (UEFI 2.x, 5.3.2) */
#define H_SIZE 12
#define H_CRC 16
#define H_ENTRY_LBA 72
#define H_NENTRIES 80
#define H_ENTRY_SIZE 84
#define H_ENTRIES_CRC 88
#define H_MIN 92

static int check_header(const unsigned char *b, size_t len, uint64_t *eoff,
			uint32_t *n, uint32_t *esz, char *err)
{
	const unsigned char *h = b + RF_GPT_SECTOR;
	unsigned char copy[RF_GPT_SECTOR];
	uint32_t hsz, crc;

	if (len < 2 * RF_GPT_SECTOR || memcmp(h, "EFI PART", 8))
		return rf_errf(err, RF_EFORMAT, "no GPT header at sector 1");
	hsz = le32(h + H_SIZE);
	if (hsz < H_MIN || hsz > RF_GPT_SECTOR)
		return rf_errf(err, RF_EFORMAT, "GPT header size %u", hsz);
	memcpy(copy, h, hsz);
	memset(copy + H_CRC, 0, 4);
	crc = crc32_gzip_refl(0, copy, hsz);
	if (crc != le32(h + H_CRC))
		return rf_errf(err, RF_EFORMAT, "GPT header CRC32 %08x, the header says %08x",
			       crc, le32(h + H_CRC));
	*eoff = le64(h + H_ENTRY_LBA);
	*n = le32(h + H_NENTRIES);
	*esz = le32(h + H_ENTRY_SIZE);
	if (*esz < 128 || *esz % 8 || *n > 4096)
		return rf_errf(err, RF_EFORMAT, "GPT: %u entries of %u bytes", *n, *esz);
	if (*eoff > len / RF_GPT_SECTOR ||
	    (uint64_t)*n * *esz > len - *eoff * RF_GPT_SECTOR)
		return rf_errf(err, RF_EFORMAT, "GPT entries beyond the %zu bytes of the image", len);
	*eoff *= RF_GPT_SECTOR;
	crc = crc32_gzip_refl(0, b + *eoff, (uint64_t)*n * *esz);
	if (crc != le32(h + H_ENTRIES_CRC))
		return rf_errf(err, RF_EFORMAT, "GPT entries CRC32 %08x, the header says %08x",
			       crc, le32(h + H_ENTRIES_CRC));
	return RF_OK;
}

int rf_gpt_parse(const void *buf, size_t len, struct rf_part_table *t, char *err)
{
	const unsigned char *b = buf;
	uint64_t eoff;
	uint32_t n, esz;
	int rc = check_header(b, len, &eoff, &n, &esz, err);

	memset(t, 0, sizeof *t);
	if (rc)
		return rc;
	for (uint32_t i = 0; i < n; i++) {
		const unsigned char *e = b + eoff + (uint64_t)i * esz;
		uint64_t first = le64(e + 32), last = le64(e + 40);
		struct rf_part *p;
		if (is_unused(e))
			continue;
		if (last < first || last - first >= UINT64_MAX / RF_GPT_SECTOR)
			return rf_errf(err, RF_EFORMAT, "GPT entry %u: LBA %llu..%llu", i,
				       (unsigned long long)first, (unsigned long long)last);
		if (t->n == RF_GPT_MAX_PARTS)
			return rf_errf(err, RF_EFORMAT, "GPT: more than %d partitions",
				       RF_GPT_MAX_PARTS);
		p = &t->part[t->n++];
		entry_name(e + 56, p->name, sizeof p->name);
		p->bytes = (last - first + 1) * RF_GPT_SECTOR;
	}
	if (!t->n)
		return rf_errf(err, RF_EFORMAT, "GPT without partitions");
	return RF_OK;
}
