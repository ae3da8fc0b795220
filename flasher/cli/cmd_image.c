/* flash-image PARTITION FILE and boot IMAGE: one image file to one phone,
 * with the same events (and so the same output, text or JSON) as an
 * image step of a flash.  Everything about the file is checked before the
 * phone is touched; the phone is identified and locked for the run, as a
 * flash does. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "device.h"
#include "file_reader.h"
#include "image_send.h"
#include "output.h"
#include "phone_id.h"
#include "rf_str.h"
#include "single_op.h"

struct image_file {
	struct rf_file_reader fr;
	struct rf_sparse_layout layout;
	struct rf_image img;
	struct rf_step step; /* what the events show: one flash (or boot) step */
	const char *cmd;
};

static int image_open(const char *cmd, const char *part, const char *path,
		      struct image_file *f)
{
	unsigned char head[RF_SPARSE_HEADER_LEN];
	size_t got = 0;
	int rc;

	f->cmd = cmd;
	if (rf_file_open(&f->fr, path) || rf_file_read(&f->fr, head, sizeof head, &got) ||
	    rf_file_rewind(&f->fr)) {
		out_error("%s: %s", cmd, f->fr.err);
		return RF_EXIT_PACKAGE;
	}
	if (f->fr.size == 0) {
		out_error("%s: %s is empty", cmd, path);
		return RF_EXIT_PACKAGE;
	}
	if (rf_sparse_is_sparse(head, got)) {
		rc = rf_sparse_layout_scan_seekable(&f->layout, rf_file_read, rf_file_seek, &f->fr);
		if (rc || rf_file_rewind(&f->fr)) {
			out_error("%s: %s: %s", cmd, path,
				  rc == RF_ESYS || !rc ? f->fr.err : f->layout.err);
			return RF_EXIT_PACKAGE;
		}
	} else {
		rf_sparse_layout_raw(&f->layout, f->fr.size, RF_SPARSE_DEFAULT_BLOCK);
	}
	/* what the bootloader would refuse halfway through the write */
	char why[RF_ERRLEN];
	if (rf_sparse_lk_check(head, f->fr.size, f->layout.is_sparse ? &f->layout : NULL, why)) {
		out_error("%s: %s: %s", cmd, path, why);
		return RF_EXIT_PACKAGE;
	}
	f->img.read = rf_file_read;
	f->img.ctx = &f->fr;
	f->img.read_err = f->fr.err;
	f->img.size = f->fr.size;
	f->img.layout = &f->layout;
	f->step.op = part ? RF_OP_FLASH : RF_OP_BOOT;
	rf_strlcpy(f->step.partition, part ? part : "", sizeof f->step.partition);
	rf_strlcpy(f->step.image, path, sizeof f->step.image);
	f->step.size = f->fr.size;
	f->step.sparse = f->layout.is_sparse;
	f->step.out_bytes = f->layout.out_bytes;
	return RF_EXIT_OK;
}

/* The partition holds it, when the phone says how large it is (a single
 * image needs no more: the bootloader refuses one larger than its
 * partition before writing, and nothing else was written before it). */
static int image_fits(struct rf_fastboot *fb, const struct image_file *f)
{
	char names[RF_FB_CMD_MAX], *save = NULL;
	rf_strlcpy(names, f->step.partition, sizeof names);
	for (char *p = strtok_r(names, "+", &save); p; p = strtok_r(NULL, "+", &save)) {
		uint64_t psize;
		int rc = rf_device_partition_size(fb, p, &psize);
		if (rc)
			return single_fail(rc, f->cmd, fb->err);
		if (psize && f->layout.out_bytes > psize) {
			out_error("%s: %s (%" PRIu64 " bytes) is larger than partition %s (%"
				  PRIu64 " bytes)", f->cmd, f->step.image, f->layout.out_bytes, p,
				  psize);
			return RF_EXIT_PACKAGE;
		}
	}
	return RF_EXIT_OK;
}

struct image_events {
	struct rf_event ev;
	double t0, t_last;
};

static void image_progress(void *user, enum rf_send_phase phase, uint64_t done, uint64_t total)
{
	struct image_events *ie = user;
	double now = out_now();
	struct rf_event ev = ie->ev;
	/* at most 10 a second, as a flash's */
	if (phase == RF_PHASE_SENDING && done < total && now - ie->t_last < 0.1)
		return;
	ie->t_last = now;
	ev.type = RF_EV_PROGRESS;
	ev.phase = phase;
	ev.done = done;
	ev.total = total;
	ev.elapsed = now - ie->t0;
	ev.rate = ev.elapsed > 0 ? (double)done / ev.elapsed : 0;
	ev.eta = ev.rate > 0 ? (double)(total - done) / ev.rate : -1;
	out_flash_event(NULL, &ev);
}

/* What a failed send left on the phone, in one line. */
static int send_failed(const struct image_file *f, const struct rf_send *snd, int rc)
{
	const char *part = f->step.partition[0] ? f->step.partition : "the image";
	if (snd->read_failed) {
		out_error("%s: %s; nothing more was sent", f->cmd, snd->err);
		return RF_EXIT_PACKAGE;
	}
	if (snd->flashed)
		out_error("%s: %s; %s is partly written (%u of %u pieces): run the same command "
			  "again", f->cmd, snd->err, part, snd->flashed, snd->downloads);
	else if (snd->in_flash && rc != RF_EFAIL && f->step.op == RF_OP_FLASH)
		out_error("%s: %s; %s may be partly written (the phone did not answer the "
			  "write): run the same command again", f->cmd, snd->err, part);
	else if (snd->in_flash)
		out_error("%s: %s", f->cmd, snd->err);
	else if (rc == RF_EINTR)
		out_error("%s: interrupted; nothing of %s was written", f->cmd, part);
	else
		out_error("%s: %s; nothing of %s was written (the transfer stopped before the "
			  "phone was told to write it)%s", f->cmd, snd->err, part,
			  rc == RF_EFAIL ? "" : "; if the phone does not answer, restart it into "
			  "fastboot mode (hold Volume-Down + Power)");
	return rf_exit_for(rc);
}

/* Send it, with the same events (and so the same output) as a flash step. */
static int image_send(struct rf_fastboot *fb, const char *id, uint32_t max_dl,
		      struct image_file *f)
{
	struct image_events ie;
	struct rf_send snd;
	int rc;

	memset(&ie, 0, sizeof ie);
	ie.ev.phone = id;
	ie.ev.steps = 1;
	ie.ev.step = &f->step;
	ie.ev.overall = ie.ev.overall_eta = ie.ev.eta = -1;
	ie.t0 = out_now();
	memset(&snd, 0, sizeof snd);
	snd.fb = fb;
	snd.max_dl = max_dl;
	snd.stop = &rf_interrupted;
	snd.progress = image_progress;
	snd.user = &ie;
	ie.ev.type = RF_EV_STEP_START;
	out_flash_event(NULL, &ie.ev);
	rc = f->step.op == RF_OP_BOOT ? rf_image_boot(&snd, &f->img)
				      : rf_image_flash(&snd, f->step.partition, &f->img);
	ie.ev.type = rc ? RF_EV_STEP_FAILED : RF_EV_STEP_DONE;
	ie.ev.elapsed = out_now() - ie.t0;
	ie.ev.text = rc ? snd.err : NULL;
	out_flash_event(NULL, &ie.ev);
	return rc ? send_failed(f, &snd, rc) : RF_EXIT_OK;
}

/* The phone: opened, identified and locked for this run; its download
 * size; then the image sent. */
static int image_run(struct rf_cli *cli, struct image_file *f, const char *lock_as)
{
	struct single s;
	struct rf_phone_id id;
	struct rf_phone_lock *lock = NULL;
	struct rf_device_env env;
	char err[RF_ERRLEN] = "";
	uint32_t max_dl;
	int rc, ex;

	memset(&s, 0, sizeof s);
	if ((ex = single_open(cli, &s, f->cmd)))
		return ex;
	rf_cli_device_env(cli, &env);
	if ((rc = rf_phone_identify(&s.fb, &id, err)) ||
	    (rc = rf_phone_lock(&id, lock_as, &lock, err))) {
		ex = single_fail(rc, f->cmd, err);
	} else if ((rc = rf_device_max_download(&env, &s.fb, s.id, &max_dl))) {
		ex = single_fail(rc, f->cmd, s.fb.err);
	} else if (f->step.op == RF_OP_BOOT && f->fr.size > max_dl) {
		out_error("%s: %s (%" PRIu64 " bytes) is larger than the phone's download size "
			  "(%" PRIu32 " bytes): it cannot be booted", f->cmd, f->step.image,
			  (uint64_t)f->fr.size, max_dl);
		ex = RF_EXIT_PACKAGE;
	} else {
		ex = f->step.op == RF_OP_FLASH ? image_fits(&s.fb, f) : RF_EXIT_OK;
		if (!ex)
			ex = image_send(&s.fb, s.id, max_dl, f);
	}
	rf_phone_unlock(lock);
	single_close(&s);
	return ex;
}

static void image_close(struct image_file *f)
{
	rf_sparse_layout_free(&f->layout);
	rf_file_close(&f->fr);
}

int cmd_flash_image(struct rf_cli *cli, int argc, char **argv)
{
	struct image_file f;
	int i = single_args(argc, argv, 2, 2), ex;

	if (i < 0)
		return RF_EXIT_USAGE;
	if (!*argv[i] || strlen(argv[i]) > RF_FB_CMD_MAX - 16)
		return rf_cli_usage("flash-image: bad partition name '%s'", argv[i]);
	memset(&f, 0, sizeof f);
	f.fr.fd = -1;
	ex = image_open("flash-image", argv[i], argv[i + 1], &f);
	if (!ex)
		ex = image_run(cli, &f, "romflash flash-image");
	image_close(&f);
	return ex;
}

int cmd_boot(struct rf_cli *cli, int argc, char **argv)
{
	struct image_file f;
	int i = single_args(argc, argv, 1, 1), ex;

	if (i < 0)
		return RF_EXIT_USAGE;
	memset(&f, 0, sizeof f);
	f.fr.fd = -1;
	ex = image_open("boot", NULL, argv[i], &f);
	if (!ex)
		ex = image_run(cli, &f, "romflash boot");
	if (!ex)
		out_msg("the phone is booting %s (nothing was written to it)", argv[i]);
	image_close(&f);
	return ex;
}
