/* devices, erase, reboot.  The other single operations: cmd_fastboot.c
 * (getvar, oem, flashing, set_active, continue), cmd_image.c
 * (flash-image, boot).  For people who know what they do: no package, no
 * plan, no script checks. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adb_ui.h"
#include "cli.h"
#include "device.h"
#include "device_list.h"
#include "output.h"
#include "phone_id.h"
#include "rf_str.h"
#include "single_op.h"

int cmd_devices(struct rf_cli *cli, int argc, char **argv)
{
	struct rf_device_row *r = NULL;
	size_t n = 0;
	char err[RF_ERRLEN] = "";
	int rc, c;

	while ((c = rf_cli_getopt(argc, argv, "l", NULL)) != -1)
		if (c == '?') /* -l: fastboot's "devices -l", changes nothing */
			return RF_EXIT_USAGE;
	if (optind < argc)
		return rf_cli_usage("devices: no arguments");
	struct rf_device_env env;
	rf_cli_device_env(cli, &env);
	rc = rf_devices_list(&env, &r, &n, err);
	if (rc)
		return single_fail(rc, "devices", err);
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

int cmd_erase(struct rf_cli *cli, int argc, char **argv)
{
	struct single s = { 0 };
	int i = single_args(argc, argv, 1, 1), ex;
	if (i < 0)
		return RF_EXIT_USAGE;
	if ((ex = single_open(cli, &s, "erase")))
		return ex;
	ex = single_run(&s, "erase", argv[i], NULL, rf_fb_erase, argv[i], NULL);
	single_close(&s);
	return ex;
}

/* LK on a Mi 3/Mi 4 knows neither reboot-recovery nor oem reboot-recovery
 * (MSM8974's aboot registers neither): say what works instead. */
static int fastboot_to_recovery(struct rf_cli *cli)
{
	struct single s = { 0 };
	double t0 = out_now();
	char first[RF_FB_RESP_MAX + 1];
	int rc, ex;

	if ((ex = single_open(cli, &s, "reboot recovery")))
		return ex;
	out_single_event(RF_EV_STEP_START, s.id, "reboot-recovery", NULL, NULL, 0, NULL);
	rc = rf_fb_reboot_recovery(&s.fb);
	if (rc == RF_EFAIL) {
		/* other LKs (MediaTek's) know it as an oem command */
		rf_strlcpy(first, s.fb.fail, sizeof first);
		rc = rf_fb_oem(&s.fb, "reboot-recovery");
	}
	out_single_event(rc ? RF_EV_STEP_FAILED : RF_EV_STEP_DONE, s.id, "reboot-recovery",
			 NULL, NULL, out_now() - t0, rc ? s.fb.err : NULL);
	if (rc == RF_EFAIL) {
		out_error("reboot recovery: this bootloader cannot restart into recovery on "
			  "request (it answered '%s' to reboot-recovery and to oem "
			  "reboot-recovery); instead: `romflash reboot` and hold Volume-Up + Power "
			  "while the phone restarts, or boot a recovery image once with `romflash "
			  "boot recovery.img`", first);
		ex = RF_EXIT_DEVICE;
	} else if (rc) {
		ex = single_fail(rc, "reboot recovery", s.fb.err);
	} else {
		out_msg("the phone is restarting into recovery");
	}
	single_close(&s);
	return ex;
}

static int fastboot_reboot(struct rf_cli *cli, const char *op, int (*fn)(struct rf_fastboot *),
			   const char *done)
{
	struct single s = { 0 };
	int ex = single_open(cli, &s, op);
	if (ex)
		return ex;
	ex = single_run(&s, op, NULL, NULL, NULL, NULL, fn);
	if (!ex)
		out_msg("%s", done);
	single_close(&s);
	return ex;
}

int cmd_reboot(struct rf_cli *cli, int argc, char **argv)
{
	static const char *const targets[] = { "system", "bootloader", "recovery", "sideload" };
	int i = single_args(argc, argv, 0, 1);
	const char *to, *near;

	if (i < 0)
		return RF_EXIT_USAGE;
	to = i < argc ? argv[i] : "";
	if (*to && strcmp(to, "system") && strcmp(to, "bootloader") && strcmp(to, "recovery") &&
	    strcmp(to, "sideload")) {
		near = rf_suggest(to, targets, 4);
		return rf_cli_usage("reboot: unknown target '%s'%s%s%s (system, "
				    "bootloader, recovery, sideload)", to,
				    near ? " (did you mean '" : "", near ? near : "",
				    near ? "'?)" : "");
	}
	/* sideload is recovery's: no bootloader starts it (AOSP fastboot has
	 * no such target either) */
	if (!strcmp(to, "sideload") && adb_ui_phone_is_fastboot(cli)) {
		out_error("reboot sideload: the phone is in fastboot mode, whose bootloader "
			  "cannot start sideload; instead: `romflash reboot` and hold Volume-Up "
			  "+ Power while the phone restarts, then choose \"Apply update from "
			  "ADB\" in recovery");
		return RF_EXIT_DEVICE;
	}
	/* a phone in Android, recovery or sideload: adb (adb_ui.c) */
	if (!strcmp(to, "sideload") || adb_ui_phone_is_adb(cli))
		return adb_ui_reboot(cli, !strcmp(to, "system") ? "" : to);
	if (!strcmp(to, "bootloader"))
		return fastboot_reboot(cli, "reboot-bootloader", rf_fb_reboot_bootloader,
				       "the phone left to restart into the bootloader");
	if (!strcmp(to, "recovery"))
		return fastboot_to_recovery(cli);
	return fastboot_reboot(cli, "reboot", rf_fb_reboot, "the phone is restarting");
}
