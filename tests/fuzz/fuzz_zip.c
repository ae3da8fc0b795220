/* libFuzzer harness: a recovery zip (flasher/package/zip.c, zip_verify.c):
 * the end record, the central directory, local headers, data descriptors,
 * entries read back (stored and deflate), the updater-script's devices,
 * and the whole-file signature in the comment (PKCS#7, otacert).
 *
 * Input: the zip file, as an in-memory file.  Whatever the bytes: no
 * crash; an accepted zip's entries tile the file up to the central
 * directory, each is found by its name and reads back at its size; the
 * verification pass gives the file's MD5-shaped digest, a CRC per 64 KiB
 * block that is the CRC of that block, and a signature verdict with its
 * texts terminated; the verified blocks read back as the file's bytes. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <isa-l/crc.h>

#include "harness.h"
#include "zip.h"
#include "zip_verify.h"
#include "zip_devices.h"

#define MAX_ENTRY (64u << 10)

static void check_entries(struct rf_zip *z)
{
	uint64_t end = 0;

	for (size_t i = 0; i < z->n; i++) {
		const struct rf_zip_entry *e = &z->e[i];
		char *text;
		size_t len;
		if (!e->name[0] || rf_zip_find(z, e->name) != e)
			abort(); /* names are unique and non-empty */
		if (e->data_off < e->local_off || e->data_off + e->csize > z->cd_off)
			abort();
		if (e->data_off + e->csize > end)
			end = e->data_off + e->csize;
		if (rf_zip_read_entry(z, e, MAX_ENTRY, &text, &len) == RF_OK) {
			if (len != e->usize || text[len] != 0)
				abort();
			free(text);
		} else if (text || !z->err[0]) {
			abort();
		}
	}
	if (end > z->cd_off || z->cd_off + z->cd_size != z->eocd_off)
		abort();
}

static void check_script(struct rf_zip *z)
{
	const struct rf_zip_entry *e = rf_zip_find(z, RF_ZIP_UPDATER_SCRIPT);
	char *text;
	size_t len;

	if (!e || rf_zip_read_entry(z, e, MAX_ENTRY, &text, &len))
		return;
	fz_check_script_devices(text);
	free(text);
}

static void check_verified(struct rf_zip *z, const struct rf_zip_verified *v,
			   const uint8_t *data, size_t size)
{
	struct rf_zip_blocks r = { .z = z, .v = v };
	unsigned char buf[3000];
	char err[RF_ERRLEN];

	if (strlen(v->md5) != 32 || v->nblocks != (size + RF_ZIP_BLOCK - 1) / RF_ZIP_BLOCK)
		abort();
	if (v->sig != RF_ZIP_UNSIGNED && v->sig != RF_ZIP_SIGNED &&
	    v->sig != RF_ZIP_SIG_BROKEN)
		abort();
	if (v->sig == RF_ZIP_SIG_BROKEN && !v->why[0])
		abort();
	fz_check_str(v->signer, sizeof v->signer);
	fz_check_str(v->fingerprint, sizeof v->fingerprint);
	fz_check_str(v->why, sizeof v->why);
	fz_check_str(v->warning, sizeof v->warning);
	for (uint64_t b = 0; b < v->nblocks; b++) {
		size_t off = (size_t)b * RF_ZIP_BLOCK;
		size_t n = size - off < RF_ZIP_BLOCK ? size - off : RF_ZIP_BLOCK;
		if (v->crc[b] != crc32_gzip_refl(0, data + off, n))
			abort();
	}
	/* served in pieces that straddle blocks, as legacy sideload asks */
	for (size_t off = 0; off < size;) {
		size_t n = size - off < sizeof buf ? size - off : sizeof buf;
		if (rf_zip_blocks_read(&r, off, buf, n, err) ||
		    memcmp(buf, data + off, n))
			abort();
		off += n;
	}
	if (rf_zip_blocks_read(&r, size, buf, 1, err) == RF_OK)
		abort();
	rf_zip_blocks_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct rf_zip z;
	struct rf_zip_verified v;
	char path[64];
	int fd = fz_memfile(data, len, path);

	if (rf_zip_open(&z, path) == RF_OK) {
		if (z.size != len || z.n == 0)
			abort();
		check_entries(&z);
		check_script(&z);
		if (rf_zip_verify(&z, path, NULL, &v) == RF_OK) {
			check_verified(&z, &v, data, len);
			rf_zip_verified_free(&v);
		}
	} else if (!z.err[0]) {
		abort();
	}
	rf_zip_close(&z);
	close(fd);
	return 0;
}
