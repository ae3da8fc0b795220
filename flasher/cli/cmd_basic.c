/* Single fastboot operations: devices, getvar, flash-image, erase, reboot.
 * For people who know what they do: no package, no plan, no script checks. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adb_ui.h"
#include "cli.h"
#include "device.h"
#include "file_reader.h"
#include "image_send.h"
#include "output.h"
#include "phone_id.h"
#include "rf_str.h"

/* Report a protocol/device error and map it to an exit status. */
static int fail(int rc, const char *what, const char *msg)
{
	if (rc == RF_EINTR)
		out_error("%s: interrupted", what);
	else
		out_error("%s: %s", what, msg);
	return rf_exit_for(rc);
}

static int want_args(int argc, char **argv, int n, const char *usage)
{
	if (argc - 1 != n) {
		out_stderr("usage: romflash %s %s", argv[0], usage);
		return 0;
	}
	return 1;
}

int cmd_devices(struct rf_cli *cli, int argc, char **argv)
{
	struct rf_device_row *r = NULL;
	size_t n = 0;
	char err[RF_ERRLEN] = "";
	int rc;

	if (!want_args(argc, argv, 0, ""))
		return RF_EXIT_USAGE;
	struct rf_device_env env;
	rf_cli_device_env(cli, &env);
	rc = rf_devices_list(&env, &r, &n, err);
	if (rc)
		return fail(rc, "devices", err);
	if (out_is_json()) {
		for (size_t i = 0; i < n; i++) {
			struct jw j;
			jw_begin(&j, "device");
			jw_str(&j, "serial", r[i].serial);
			jw_str(&j, "mode", r[i].mode);
			jw_str(&j, "product", r[i].product);
			jw_str(&j, "location", r[i].location);
			jw_str(&j, "speed", r[i].speed);
			jw_str(&j, "state", r[i].state);
			jw_str(&j, "note", r[i].note);
			jw_end(&j);
		}
	} else if (n) {
		out_msg("%s%-20s %-9s %-16s %-12s %s%s", out_c("bold"), "SERIAL", "MODE",
			"PRODUCT", "LOCATION", "STATE", out_c("reset"));
		for (size_t i = 0; i < n; i++) {
			int ok = !strcmp(r[i].state, "ok");
			out_msg("%-20s %-9s %-16s %-12s %s%s%s", r[i].serial[0] ? r[i].serial : "?",
				r[i].mode, r[i].product[0] ? r[i].product : "-",
				r[i].location, ok ? "" : out_c("yellow"), r[i].state,
				ok ? "" : out_c("reset"));
			/* what is wrong and the fix, under the phone it is about */
			if (r[i].note[0])
				out_msg("    %s", r[i].note);
		}
	}
	free(r);
	if (!n) {
		out_error("no phones attached");
		return RF_EXIT_NODEV;
	}
	return RF_EXIT_OK;
}

int cmd_getvar(struct rf_cli *cli, int argc, char **argv)
{
	struct rf_transport *t = NULL;
	struct rf_fastboot fb;
	char err[RF_ERRLEN] = "", val[RF_FB_RESP_MAX + 1] = "";
	int rc;

	if (!want_args(argc, argv, 1, "NAME"))
		return RF_EXIT_USAGE;
	struct rf_device_env env;
	rf_cli_device_env(cli, &env);
	rc = rf_device_open_fastboot(&env, &t, &fb, err);
	if (rc)
		return fail(rc, "getvar", err);
	rc = rf_fb_getvar(&fb, argv[1], val, sizeof val);
	if (rc) {
		rc = fail(rc, "getvar", fb.err);
		goto out;
	}
	if (out_is_json()) {
		struct jw j;
		jw_begin(&j, "getvar");
		jw_str(&j, "name", argv[1]);
		jw_str(&j, "value", val);
		jw_end(&j);
	} else {
		out_value("%s: %s", argv[1], val);
	}
	rc = RF_EXIT_OK;
out:
	rf_transport_close(t);
	return rc;
}

/* ---- flash-image ---- */

struct image_file {
	struct rf_file_reader fr;
	struct rf_sparse_layout layout;
	struct rf_image img;
	struct rf_step step; /* what the events show: one flash step */
};

/* Everything about the image is checked before the phone is touched. */
static int image_open(const char *part, const char *path, struct image_file *f)
{
	unsigned char head[RF_SPARSE_HEADER_LEN];
	size_t got = 0;
	int rc;

	if (rf_file_open(&f->fr, path) || rf_file_read(&f->fr, head, sizeof head, &got) ||
	    rf_file_rewind(&f->fr)) {
		out_error("flash-image: %s", f->fr.err);
		return RF_EXIT_PACKAGE;
	}
	if (f->fr.size == 0) {
		out_error("flash-image: %s is empty", path);
		return RF_EXIT_PACKAGE;
	}
	if (rf_sparse_is_sparse(head, got)) {
		rc = rf_sparse_layout_scan_seekable(&f->layout, rf_file_read, rf_file_seek, &f->fr);
		if (rc || rf_file_rewind(&f->fr)) {
			out_error("flash-image: %s: %s", path,
				  rc == RF_ESYS || !rc ? f->fr.err : f->layout.err);
			return RF_EXIT_PACKAGE;
		}
	} else {
		rf_sparse_layout_raw(&f->layout, f->fr.size, RF_SPARSE_DEFAULT_BLOCK);
	}
	/* what the bootloader would refuse halfway through the write */
	char why[RF_ERRLEN];
	if (rf_sparse_lk_check(head, f->fr.size, f->layout.is_sparse ? &f->layout : NULL, why)) {
		out_error("flash-image: %s: %s", path, why);
		return RF_EXIT_PACKAGE;
	}
	f->img.read = rf_file_read;
	f->img.ctx = &f->fr;
	f->img.read_err = f->fr.err;
	f->img.size = f->fr.size;
	f->img.layout = &f->layout;
	f->step.op = RF_OP_FLASH;
	rf_strlcpy(f->step.partition, part, sizeof f->step.partition);
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
			return fail(rc, "flash-image", fb->err);
		if (psize && f->layout.out_bytes > psize) {
			out_error("flash-image: %s (%" PRIu64 " bytes) is larger than partition %s (%"
				  PRIu64 " bytes)", f->step.image, f->layout.out_bytes, p, psize);
			return RF_EXIT_PACKAGE;
		}
	}
	return RF_EXIT_OK;
}

struct image_events {
	struct rf_event ev;
	double t0;
};

static void image_progress(void *user, enum rf_send_phase phase, uint64_t done, uint64_t total)
{
	struct image_events *ie = user;
	double now = out_now();
	struct rf_event ev = ie->ev;
	ev.type = RF_EV_PROGRESS;
	ev.phase = phase;
	ev.done = done;
	ev.total = total;
	ev.elapsed = now - ie->t0;
	ev.rate = ev.elapsed > 0 ? (double)done / ev.elapsed : 0;
	ev.eta = ev.rate > 0 ? (double)(total - done) / ev.rate : -1;
	out_flash_event(NULL, &ev);
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
	rc = rf_image_flash(&snd, f->step.partition, &f->img);
	ie.ev.type = rc ? RF_EV_STEP_FAILED : RF_EV_STEP_DONE;
	ie.ev.elapsed = out_now() - ie.t0;
	ie.ev.text = rc ? snd.err : NULL;
	out_flash_event(NULL, &ie.ev);
	if (!rc)
		return RF_EXIT_OK;
	/* one line: what failed, and what that left on the phone */
	if (snd.flashed)
		out_error("flash-image: %s; %s is partly written (%u of %u pieces): run the same "
			  "command again", snd.err, f->step.partition, snd.flashed, snd.downloads);
	else if (snd.in_flash && rc != RF_EFAIL)
		out_error("flash-image: %s; %s may be partly written: run the same command again",
			  snd.err, f->step.partition);
	else
		return fail(rc, "flash-image", snd.err);
	return rf_exit_for(rc);
}

int cmd_flash_image(struct rf_cli *cli, int argc, char **argv)
{
	struct image_file f;
	struct rf_transport *t = NULL;
	struct rf_fastboot fb;
	struct rf_device_env env;
	struct rf_phone_id id;
	struct rf_phone_lock *lock = NULL;
	char err[RF_ERRLEN] = "";
	uint32_t max_dl;
	int rc, ex;

	memset(&f, 0, sizeof f);
	f.fr.fd = -1;
	if (!want_args(argc, argv, 2, "PARTITION FILE"))
		return RF_EXIT_USAGE;
	if (!*argv[1] || strlen(argv[1]) > RF_FB_CMD_MAX - 16) {
		out_error("flash-image: bad partition name '%s'", argv[1]);
		return RF_EXIT_USAGE;
	}
	ex = image_open(argv[1], argv[2], &f);
	if (ex)
		goto out;
	rf_cli_device_env(cli, &env);
	if ((rc = rf_device_open_fastboot(&env, &t, &fb, err)) ||
	    (rc = rf_phone_identify(&fb, &id, err)) ||
	    (rc = rf_phone_lock(&id, "romflash flash-image", &lock, err))) {
		ex = fail(rc, "flash-image", err);
		goto out;
	}
	if ((rc = rf_device_max_download(&env, &fb, t->serial, &max_dl))) {
		ex = fail(rc, "flash-image", fb.err);
		goto out;
	}
	ex = image_fits(&fb, &f);
	if (!ex)
		ex = image_send(&fb, t->serial, max_dl, &f);
out:
	rf_phone_unlock(lock);
	rf_transport_close(t);
	rf_sparse_layout_free(&f.layout);
	rf_file_close(&f.fr);
	return ex;
}

static void emit_step(const char *event, const char *op, const char *part,
		      uint64_t bytes, double secs, const char *error)
{
	struct jw j;
	if (!out_is_json())
		return;
	jw_begin(&j, event);
	jw_str(&j, "op", op);
	if (part)
		jw_str(&j, "partition", part);
	if (bytes)
		jw_u64(&j, "bytes", bytes);
	if (secs >= 0)
		jw_double(&j, "seconds", secs);
	if (error)
		jw_str(&j, "error", error);
	jw_end(&j);
}

/* One fastboot command that needs a phone and nothing else. */
static int simple_op(struct rf_cli *cli, const char *what, const char *part,
		     int (*op)(struct rf_fastboot *, const char *),
		     int (*op0)(struct rf_fastboot *), const char *done_msg)
{
	struct rf_transport *t = NULL;
	struct rf_fastboot fb;
	char err[RF_ERRLEN] = "";
	double t0;
	int rc;

	struct rf_device_env env;
	rf_cli_device_env(cli, &env);
	rc = rf_device_open_fastboot(&env, &t, &fb, err);
	if (rc)
		return fail(rc, what, err);
	emit_step("step_start", what, part, 0, -1, NULL);
	t0 = out_now();
	rc = op ? op(&fb, part) : op0(&fb);
	if (rc) {
		emit_step("step_failed", what, part, 0, out_now() - t0, fb.err);
		rc = fail(rc, what, fb.err);
	} else {
		double took = out_now() - t0;
		emit_step("step_done", what, part, 0, took, NULL);
		/* an erase can keep the phone busy for a while: say how long */
		if (took >= 1.0)
			out_msg("%sOK%s %s (%.1f s)", out_c("green"), out_c("reset"),
				done_msg, took);
		else
			out_msg("%sOK%s %s", out_c("green"), out_c("reset"), done_msg);
	}
	rf_transport_close(t);
	return rc;
}

int cmd_erase(struct rf_cli *cli, int argc, char **argv)
{
	char msg[128];
	if (!want_args(argc, argv, 1, "PARTITION"))
		return RF_EXIT_USAGE;
	snprintf(msg, sizeof msg, "%s erased", argv[1]);
	return simple_op(cli, "erase", argv[1], rf_fb_erase, NULL, msg);
}

int cmd_reboot(struct rf_cli *cli, int argc, char **argv)
{
	const char *to = argc > 1 ? argv[1] : "";
	if (argc > 2) {
		out_stderr("usage: romflash reboot [bootloader|recovery|sideload]");
		return RF_EXIT_USAGE;
	}
	/* a phone in Android, recovery or sideload: adb (adb_ui.c) */
	if (!strcmp(to, "sideload") ||
	    ((!*to || !strcmp(to, "system") || !strcmp(to, "bootloader") ||
	      !strcmp(to, "recovery")) && adb_ui_phone_is_adb(cli)))
		return adb_ui_reboot(cli, !strcmp(to, "system") ? "" : to);
	if (!*to || !strcmp(to, "system"))
		return simple_op(cli, "reboot", NULL, NULL, rf_fb_reboot, "rebooting");
	if (!strcmp(to, "bootloader"))
		return simple_op(cli, "reboot-bootloader", NULL, NULL,
				 rf_fb_reboot_bootloader,
				 "the phone left to restart into the bootloader");
	if (!strcmp(to, "recovery"))
		return simple_op(cli, "reboot-recovery", NULL, NULL,
				 rf_fb_reboot_recovery, "rebooting into recovery");
	out_error("reboot: unknown target '%s' (bootloader, recovery, sideload)", to);
	return RF_EXIT_USAGE;
}
