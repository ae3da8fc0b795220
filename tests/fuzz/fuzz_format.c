/* libFuzzer harness: the phone's answers about its partitions -- what
 * `format` asks before making a filesystem (flasher/flash/format.c,
 * rf_format_query: partition-type, partition-size, erase-block-size,
 * logical-block-size) and the sizes the preflight compares images with
 * (flasher/flash/device.c, rf_device_partition_size, "a+b").
 *
 * Input: a configuration byte (bits 0-1: the filesystem the script names:
 * none, ext4, f2fs, vfat; bit 2: the sizes of system+userdata are asked
 * first), then the phone's replies as fuzz_fastboot reads them (fb_feed.h).
 *
 * Whatever the phone says: no crash; only those getvars go out, in their
 * order; a filesystem spec that comes back is one romflash can make (ext4
 * or f2fs, the one the script names, a size from 1 MiB to what ext4's 32-
 * bit block counts hold, block sizes 0 or powers of two); a refusal says
 * why. */
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "fb_feed.h"
#include "format.h"

#define PART "userdata"
#define MAX_FS ((uint64_t)UINT32_MAX * RF_FORMAT_BLOCK)

static void check_spec(const struct rf_format_spec *sp, const char *want)
{
	uint32_t b[2] = { sp->erase_blk, sp->logical_blk };

	if (strcmp(sp->partition, PART) || (strcmp(sp->type, "ext4") && strcmp(sp->type, "f2fs")))
		abort();
	if (want && strcmp(want, sp->type))
		abort();
	if (sp->size < (1u << 20) || sp->size > MAX_FS)
		abort();
	for (int i = 0; i < 2; i++)
		if (b[i] & (b[i] - 1))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const char *const wants[] = { NULL, "ext4", "f2fs", "vfat" };
	static const char *const sizes[] = {
		"getvar:partition-size:system", "getvar:partition-size:userdata",
	};
	static const char *const query[] = {
		"getvar:partition-type:" PART, "getvar:partition-size:" PART,
		"getvar:erase-block-size", "getvar:logical-block-size",
	};
	struct fz_in in = { data, len, 0 };
	uint8_t cfg = fz_u8(&in);
	const char *want = wants[cfg & 3];
	struct fake_transport *f = fz_fb_phone(&in);
	struct rf_format_spec sp;
	struct rf_fastboot fb;
	char err[RF_ERRLEN] = "";
	size_t sent = 0, n;
	int rc;

	rf_fb_init(&fb, &f->t);
	if (cfg & 4) {
		uint64_t size;
		rc = rf_device_partition_size(&fb, "system+userdata", &size);
		n = f->nwrites;
		if (n > 2 || (rc == RF_OK && n != 2) ||
		    (rc != RF_OK && !fb.err[0]))
			abort();
		for (; sent < n; sent++)
			fz_fb_check_cmd(f, sent, sizes[sent]);
	}
	rc = rf_format_query(&fb, PART, want, &sp, err);
	fz_check_str(err, sizeof err);
	n = f->nwrites - sent;
	if (rc == RF_OK) {
		if (n != 4)
			abort();
		check_spec(&sp, want);
	} else if (!err[0] || n > 4) {
		abort();
	}
	for (size_t i = 0; i < n; i++)
		fz_fb_check_cmd(f, sent + i, query[i]);
	rf_transport_close(&f->t);
	return 0;
}
