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
		fprintf(stderr, "usage: romflash %s %s\n", argv[0], usage);
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
			jw_end(&j);
		}
	} else if (n) {
		out_msg("%s%-20s %-9s %-16s %s%s", out_c("bold"), "SERIAL", "MODE",
			"PRODUCT", "LOCATION", out_c("reset"));
		for (size_t i = 0; i < n; i++)
			out_msg("%-20s %-9s %-16s %s", r[i].serial[0] ? r[i].serial : "?",
				r[i].mode, r[i].product[0] ? r[i].product : "-",
				r[i].location);
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
	} else if (out_verbosity() >= 0) {
		printf("%s: %s\n", argv[1], val);
	}
	rc = RF_EXIT_OK;
out:
	rf_transport_close(t);
	return rc;
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

int cmd_flash_image(struct rf_cli *cli, int argc, char **argv)
{
	struct rf_file_reader fr;
	struct rf_sparse_layout layout;
	struct rf_image img = { 0 };
	struct rf_transport *t = NULL;
	struct rf_fastboot fb;
	struct rf_progress prog;
	char err[RF_ERRLEN] = "", sz[32], label[96];
	const char *part;
	unsigned char head[RF_SPARSE_HEADER_LEN];
	uint32_t max_dl;
	uint64_t psize, wire;
	unsigned downloads;
	size_t got = 0;
	double t0;
	int rc, ex;

	memset(&layout, 0, sizeof layout);
	if (!want_args(argc, argv, 2, "PARTITION FILE"))
		return RF_EXIT_USAGE;
	part = argv[1];
	if (!*part || strlen(part) > RF_FB_CMD_MAX - 16) {
		out_error("flash-image: bad partition name '%s'", part);
		return RF_EXIT_USAGE;
	}

	/* Everything about the image is checked before the phone is touched. */
	if (rf_file_open(&fr, argv[2])) {
		out_error("flash-image: %s", fr.err);
		return RF_EXIT_PACKAGE;
	}
	if (rf_file_read(&fr, head, sizeof head, &got)) {
		out_error("flash-image: %s", fr.err);
		ex = RF_EXIT_PACKAGE;
		goto out;
	}
	if (rf_file_rewind(&fr)) {
		out_error("flash-image: %s", fr.err);
		ex = RF_EXIT_PACKAGE;
		goto out;
	}
	if (fr.size == 0) {
		out_error("flash-image: %s is empty", argv[2]);
		ex = RF_EXIT_PACKAGE;
		goto out;
	}
	if (rf_sparse_is_sparse(head, got)) {
		rc = rf_sparse_layout_scan_seekable(&layout, rf_file_read, rf_file_seek, &fr);
		if (rc) {
			out_error("flash-image: %s: %s", argv[2],
				  rc == RF_ESYS ? fr.err : layout.err);
			ex = RF_EXIT_PACKAGE;
			goto out;
		}
		if (rf_file_rewind(&fr)) {
			out_error("flash-image: %s", fr.err);
			ex = RF_EXIT_PACKAGE;
			goto out;
		}
	} else {
		rf_sparse_layout_raw(&layout, fr.size, RF_SPARSE_DEFAULT_BLOCK);
	}
	/* what the bootloader would refuse halfway through the write */
	if (rf_sparse_lk_check(head, fr.size, layout.is_sparse ? &layout : NULL, err)) {
		out_error("flash-image: %s: %s", argv[2], err);
		ex = RF_EXIT_PACKAGE;
		goto out;
	}
	img.read = rf_file_read;
	img.ctx = &fr;
	img.read_err = fr.err;
	img.size = fr.size;
	img.layout = &layout;

	struct rf_device_env env;
	rf_cli_device_env(cli, &env);
	rc = rf_device_open_fastboot(&env, &t, &fb, err);
	if (rc) {
		ex = fail(rc, "flash-image", err);
		goto out;
	}
	rc = rf_device_max_download(&env, &fb, t->serial, &max_dl);
	if (rc) {
		ex = fail(rc, "flash-image", fb.err);
		goto out;
	}
	rc = rf_device_partition_size(&fb, part, &psize);
	if (rc) {
		ex = fail(rc, "flash-image", fb.err);
		goto out;
	}
	if (psize && layout.out_bytes > psize) {
		out_error("flash-image: %s (%" PRIu64 " bytes) is larger than partition %s (%" PRIu64 " bytes)",
			  argv[2], layout.out_bytes, part, psize);
		ex = RF_EXIT_PACKAGE;
		goto out;
	}
	rc = rf_image_plan(&img, max_dl, &downloads, &wire, err);
	if (rc) {
		ex = fail(rc, "flash-image", err);
		goto out;
	}
	out_msg("Writing %s (%s, %s%s) to %s%s%s in %u download%s", argv[2],
		out_size(layout.out_bytes, sz, sizeof sz),
		layout.is_sparse ? "sparse" : "raw",
		downloads > 1 ? ", split" : "", out_c("bold"), part,
		out_c("reset"), downloads, downloads > 1 ? "s" : "");
	emit_step("step_start", "flash", part, wire, -1, NULL);
	snprintf(label, sizeof label, "%s", part);
	progress_start(&prog, label, NULL, wire);
	t0 = out_now();
	{
		struct rf_fanout fo;
		struct rf_fastboot *fbp = &fb;
		int prc;
		char perr[1][RF_ERRLEN];
		rf_fanout_one(&fo, &fbp, &prc, perr);
		fo.stop = &rf_interrupted;
		rc = rf_image_flash(&fo, part, &img, max_dl, &prog, err);
	}
	progress_done(&prog, rc == RF_OK);
	if (rc) {
		emit_step("step_failed", "flash", part, prog.done, out_now() - t0, err);
		ex = fail(rc, "flash-image", err);
		if (downloads > 1 && prog.done > 0)
			out_error("flash-image: %s is partly written (%" PRIu64 " of %" PRIu64
				  " bytes sent); run the same command again",
				  part, prog.done, wire);
		goto out;
	}
	emit_step("step_done", "flash", part, wire, out_now() - t0, NULL);
	out_msg("%sOK%s %s written in %.1f s", out_c("green"), out_c("reset"), part,
		out_now() - t0);
	ex = RF_EXIT_OK;
out:
	rf_transport_close(t);
	rf_sparse_layout_free(&layout);
	rf_file_close(&fr);
	return ex;
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
		emit_step("step_done", what, part, 0, out_now() - t0, NULL);
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
		fprintf(stderr, "usage: romflash reboot [bootloader|recovery|sideload]\n");
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
				 rf_fb_reboot_bootloader, "rebooting into the bootloader");
	if (!strcmp(to, "recovery"))
		return simple_op(cli, "reboot-recovery", NULL, NULL,
				 rf_fb_reboot_recovery, "rebooting into recovery");
	fprintf(stderr, "romflash: reboot: unknown target '%s' (bootloader, recovery, sideload)\n", to);
	return RF_EXIT_USAGE;
}
