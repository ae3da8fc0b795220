/* libFuzzer harness: the saved progress of a flash, read by `flash
 * --resume` to choose the step it goes on from (flasher/flash/resume.c).
 * What it holds comes partly from outside: the phone's identity and
 * answers, the package's path and the failure's message (which can quote
 * a phone's reply or a package's file name).
 *
 * Input: a configuration byte, then
 *   bit 0 clear: a progress, saved and read back: the phone's serial,
 *          product and address (NUL-separated), two 16-bit numbers
 *          (steps, next), then bootloader, package, md5, mode, script and
 *          failed (NUL-separated);
 *   bit 0 set: a progress file's content, read as this phone's.
 *
 * Whatever the fields or the file: no crash; a progress read back is this
 * phone's, with 0 <= next <= steps and steps > 0; one saved and read back
 * is the same progress -- the same steps, next step, identity and texts
 * (a line break in a text reads back as a space): nothing in a text can
 * move the step a resume starts from. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "resume.h"

/* What a text reads back as. */
static void flat(char *s)
{
	for (; *s; s++)
		if (*s == '\n' || *s == '\r')
			*s = ' ';
}

static void same_text(const char *saved, const char *loaded)
{
	char want[4096];

	snprintf(want, sizeof want, "%s", saved);
	flat(want);
	if (strcmp(want, loaded))
		abort();
}

static void round_trip(struct fz_in *in, const struct rf_phone_id *id)
{
	struct rf_resume *r = calloc(1, sizeof *r), *back = calloc(1, sizeof *back);
	char err[RF_ERRLEN];

	if (!r || !back)
		abort();
	r->phone = *id;
	r->nsteps = fz_u16(in);
	r->next = fz_u16(in);
	fz_field(in, r->phone.bootloader, sizeof r->phone.bootloader);
	fz_field(in, r->package, sizeof r->package);
	fz_field(in, r->md5, sizeof r->md5);
	fz_field(in, r->mode, sizeof r->mode);
	fz_field(in, r->script, sizeof r->script);
	fz_field(in, r->failed, sizeof r->failed);
	if (rf_resume_save(r, err))
		abort(); /* the folder is there and writable */
	if (rf_resume_load(&r->phone, back, err) == RF_OK) {
		if (back->nsteps != r->nsteps || back->next != r->next)
			abort(); /* a text moved the step */
		same_text(r->phone.serial, back->phone.serial);
		same_text(r->phone.product, back->phone.product);
		same_text(r->phone.address, back->phone.address);
		same_text(r->phone.bootloader, back->phone.bootloader);
		same_text(r->package, back->package);
		same_text(r->md5, back->md5);
		same_text(r->mode, back->mode);
		same_text(r->script, back->script);
		same_text(r->failed, back->failed);
	} else if (r->nsteps && r->next <= r->nsteps &&
		   !strpbrk(r->phone.serial, "\r\n") && !strpbrk(r->phone.product, "\r\n") &&
		   !strpbrk(r->phone.address, "\r\n")) {
		abort(); /* a good progress lost */
	}
	free(r);
	free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct fz_in in = { data, len, 0 };
	uint8_t cfg = fz_u8(&in);
	struct rf_phone_id id;
	struct rf_resume r;
	char err[RF_ERRLEN], dir[400];

	setenv("ROMFLASH_STATE_DIR", fz_dir(), 1);
	fz_dir_clear();
	memset(&id, 0, sizeof id);
	if (cfg & 1) {
		const uint8_t *p;
		size_t n = fz_rest(&in, &p);
		snprintf(id.serial, sizeof id.serial, "fuzz0001");
		snprintf(id.product, sizeof id.product, "MSM8974");
		snprintf(dir, sizeof dir, "%s/fuzz0001.resume", fz_dir());
		fz_write_file(dir, p, n);
		if (rf_resume_load(&id, &r, err) == RF_OK) {
			if (!r.nsteps || r.next > r.nsteps || strcmp(r.phone.serial, id.serial) ||
			    strcmp(r.phone.product, id.product))
				abort();
		} else {
			fz_check_str(err, sizeof err);
			if (!err[0])
				abort();
		}
		return 0;
	}
	fz_field(&in, id.serial, sizeof id.serial);
	fz_field(&in, id.product, sizeof id.product);
	fz_field(&in, id.address, sizeof id.address);
	round_trip(&in, &id);
	return 0;
}
