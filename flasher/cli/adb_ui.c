/* Phones in adb modes, the command line's side.  See adb_ui.h. */
#include "adb_ui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output.h"
#include "rf_str.h"
#include "transport_tcp.h"
#include "transport_usb.h"

#define PROMPT_S 60
#define REFUSED_WAIT_S 10 /* for the phone that just refused a reboot */

#define MODE_BIT(m) (1u << (m))
#define ADB_MODES (MODE_BIT(RF_ADB_MODE_DEVICE) | MODE_BIT(RF_ADB_MODE_RECOVERY) | \
		   MODE_BIT(RF_ADB_MODE_SIDELOAD))

/* ---- the "Allow USB debugging?" prompt ---------------------------------- */

static struct rf_adb_phone *prompt_phone;
static int prompt_s = PROMPT_S;

static void announce_prompt(void *user)
{
	struct rf_adb_phone *p = prompt_phone;
	char fp[48] = "?", e[RF_ERRLEN];
	(void)user;
	if (p && p->key_loaded)
		rf_adb_key_fingerprint(&p->key, fp, e);
	if (out_is_json()) {
		struct jw j;
		jw_begin(&j, "auth_prompt");
		jw_str(&j, "fingerprint", fp);
		jw_u64(&j, "timeout", (uint64_t)prompt_s);
		jw_end(&j);
	}
	/* the user must act: said even with -q, on stderr */
	out_stderr("romflash: the phone asks \"Allow USB debugging?\": unlock "
		   "it, check that the key fingerprint is %s and tap Allow (waiting "
		   "%d s)", fp, prompt_s);
	if (p && p->key_loaded && p->key.created)
		out_stderr("romflash: (a new adb key was made in %s; adb "
			   "uses the same one)", p->key.path);
}

static void phone_opts(const struct rf_cli *cli, struct rf_adb_phone *p,
		       struct rf_adb_phone_opts *o)
{
	memset(o, 0, sizeof *o);
	o->selector = cli->device;
	o->stop = &rf_interrupted;
	o->on_prompt = announce_prompt;
	o->prompt_timeout_ms = prompt_s * 1000;
	prompt_phone = p;
}

static void waiting(void *user, int el)
{
	const char *what = user;
	if (el == 0)
		out_msg("< waiting for %s >", what);
}

/* ---- finding ------------------------------------------------------------- */

static void no_adb_hint(void)
{
	struct rf_usb_devinfo *d = NULL;
	size_t n = 0;
	char e[RF_ERRLEN];
	if (!rf_usb_list(1u << RF_USB_PROTO_FASTBOOT, &d, &n, e) && n)
		out_error("%zu phone%s in fastboot mode: for sideload choose "
			  "Recovery on its screen (or hold power + volume up), "
			  "then \"Apply update from ADB\"", n, n > 1 ? "s" : "");
	free(d);
}

int adb_ui_open(const struct rf_cli *cli, struct rf_adb_phone *p, int wait_s,
		unsigned modes)
{
	struct rf_adb_phone_opts o;
	int rc;

	/* --wait is also how long the user has for the phone's prompt */
	prompt_s = wait_s > 0 ? wait_s : PROMPT_S;
	phone_opts(cli, p, &o);
	rc = rf_adb_phone_open(p, &o);
	if (rc == RF_ENODEV && wait_s > 0)
		rc = rf_adb_phone_wait(p, &o, NULL, modes, wait_s, waiting,
				       "a phone in adb mode");
	if (rc) {
		out_error("%s", rc == RF_EINTR ? "interrupted" : p->err);
		if (rc == RF_ENODEV)
			no_adb_hint();
		return rf_exit_for(rc);
	}
	return RF_EXIT_OK;
}

int adb_ui_confirm(int yes, const char *id, const char *now, const char *where)
{
	char line[32];
	if (yes)
		return 1;
	if (!isatty(STDIN_FILENO)) {
		out_error("the phone %s is in %s mode; rebooting it into %s needs "
			  "--yes (no terminal to ask on)", id, now, where);
		return 0;
	}
	if (!out_ask(line, sizeof line, "The phone %s is in %s mode. Reboot it into %s? [y/N] ",
		     id, now, where) || (strcmp(line, "y") && strcmp(line, "yes"))) {
		out_error("not confirmed; the phone was left as it is");
		return 0;
	}
	return 1;
}

static void reboot_event(const char *id, const char *from, const char *to)
{
	struct jw j;
	if (!out_is_json())
		return;
	jw_begin(&j, "reboot");
	jw_str(&j, "device", id);
	jw_str(&j, "from", from);
	jw_str(&j, "to", to);
	jw_end(&j);
}

/* reboot:TARGET, then wait for the same phone in `want`.  RF_EFAIL (no
 * wait) when the phone refused; p is open again on RF_OK. */
static int reboot_step(const struct rf_cli *cli, struct rf_adb_phone *p,
		       const char *target, enum rf_adb_mode want, int wait_s)
{
	struct rf_adb_phone_opts o;
	char id[64], from[16];
	int rc;

	rf_strlcpy(id, p->id, sizeof id);
	rf_strlcpy(from, rf_adb_mode_name(rf_adb_phone_mode(p)), sizeof from);
	reboot_event(id, from, target);
	out_msg("Rebooting %s from %s mode into %s ...", id, from, target);
	rc = rf_adb_phone_reboot(p, target);
	rf_adb_phone_close(p);
	if (rc)
		return rc;
	out_msg("Waiting up to %d s for %s in %s mode ...", wait_s, id,
		rf_adb_mode_name(want));
	phone_opts(cli, p, &o);
	return rf_adb_phone_wait(p, &o, id, MODE_BIT(want), wait_s, NULL, NULL);
}

int adb_ui_to_sideload(const struct rf_cli *cli, struct rf_adb_phone *p,
		       int wait_s)
{
	enum rf_adb_mode m = rf_adb_phone_mode(p);
	struct rf_adb_phone_opts o;
	char id[64];
	int rc;

	if (m == RF_ADB_MODE_SIDELOAD)
		return RF_EXIT_OK;
	if (m != RF_ADB_MODE_DEVICE && m != RF_ADB_MODE_RECOVERY) {
		out_error("the phone %s is in %s mode: choose \"Apply update from "
			  "ADB\" on its screen", p->id, rf_adb_mode_name(m));
		return RF_EXIT_NODEV;
	}
	rf_strlcpy(id, p->id, sizeof id);
	rc = reboot_step(cli, p, "sideload", RF_ADB_MODE_SIDELOAD, wait_s);
	if (rc == RF_EFAIL && m == RF_ADB_MODE_DEVICE) {
		/* a retail build: "'adb root' is required" -- via recovery */
		out_msg("%s; going through recovery", p->err);
		phone_opts(cli, p, &o);
		rc = rf_adb_phone_wait(p, &o, id, MODE_BIT(RF_ADB_MODE_DEVICE),
				       REFUSED_WAIT_S, NULL, NULL);
		if (!rc)
			rc = reboot_step(cli, p, "recovery", RF_ADB_MODE_RECOVERY,
					 wait_s);
		if (!rc)
			rc = reboot_step(cli, p, "sideload", RF_ADB_MODE_SIDELOAD,
					 wait_s);
	}
	if (rc) {
		out_error("%s", rc == RF_EINTR ? "interrupted" : p->err);
		return rf_exit_for(rc);
	}
	return RF_EXIT_OK;
}

/* ---- flash and reboot ----------------------------------------------------- */

int adb_ui_offer_fastboot(const struct rf_cli *cli, int yes, int wait_s,
			  struct rf_transport **t, struct rf_fastboot *fb)
{
	struct rf_adb_phone p;
	struct rf_adb_phone_opts o;
	struct rf_device_env env;
	char id[64], err[RF_ERRLEN];
	int rc;

	phone_opts(cli, &p, &o);
	rc = rf_adb_phone_open(&p, &o);
	if (rc == RF_ENODEV || (rc && rf_adb_selector_is_tcp(cli->device)))
		return -1; /* nothing in adb mode either */
	if (rc) {
		out_error("%s", p.err);
		return rf_exit_for(rc);
	}
	enum rf_adb_mode m = rf_adb_phone_mode(&p);
	rf_strlcpy(id, p.id, sizeof id);
	if (m != RF_ADB_MODE_DEVICE && m != RF_ADB_MODE_RECOVERY) {
		out_error("the phone %s is in %s mode, not fastboot: choose "
			  "\"Reboot to bootloader\" on its screen (or hold power + "
			  "volume down)", id, rf_adb_mode_name(m));
		rf_adb_phone_close(&p);
		return RF_EXIT_NODEV;
	}
	if (!adb_ui_confirm(yes, id, m == RF_ADB_MODE_DEVICE ? "Android (device)"
			    : "recovery", "the bootloader (fastboot mode)")) {
		rf_adb_phone_close(&p);
		return RF_EXIT_USAGE;
	}
	reboot_event(id, rf_adb_mode_name(m), "bootloader");
	out_msg("Rebooting %s into the bootloader ...", id);
	rc = rf_adb_phone_reboot(&p, "bootloader");
	rf_adb_phone_close(&p);
	if (rc) {
		out_error("%s", p.err);
		return rf_exit_for(rc);
	}
	out_msg("Waiting up to %d s for %s in fastboot mode ...", wait_s, id);
	rf_cli_device_env(cli, &env);
	rc = rf_device_wait_fastboot(&env, id, wait_s, NULL, NULL, t, fb, err);
	if (rc) {
		out_error("%s", err);
		return rf_exit_for(rc);
	}
	return RF_EXIT_OK;
}

static int matches(const struct rf_usb_devinfo *d, const char *sel)
{
	if (!sel)
		return 1;
	if (!strncmp(sel, "usb:", 4))
		return !strcmp(sel, d->location);
	return d->serial[0] && !strcmp(sel, d->serial);
}

/* The selected phone's protocol: fastboot, adb, or not known (none found,
 * or a choice of several in both). */
enum phone_proto { PROTO_UNKNOWN, PROTO_FASTBOOT, PROTO_ADB };

static enum phone_proto phone_proto(const struct rf_cli *cli)
{
	struct rf_usb_devinfo *d = NULL;
	size_t n = 0, fb = 0, adb = 0;
	char e[RF_ERRLEN];

	if (rf_adb_selector_is_tcp(cli->device)) {
		/* one address, either protocol: fastboot answers FB01 */
		struct rf_transport *t = NULL;
		char host[256];
		int port;
		if (rf_tcp_parse(cli->device, RF_TCP_FASTBOOT_PORT, host,
				 sizeof host, &port, e))
			return PROTO_UNKNOWN;
		if (!rf_tcp_open(host, port, RF_TCP_FASTBOOT, 2000, &t, e)) {
			rf_transport_close(t);
			return PROTO_FASTBOOT;
		}
		return PROTO_ADB;
	}
	if (rf_usb_list((1u << RF_USB_PROTO_FASTBOOT) | (1u << RF_USB_PROTO_ADB),
			&d, &n, e))
		return PROTO_UNKNOWN;
	for (size_t i = 0; i < n; i++)
		if (matches(&d[i], cli->device)) {
			if (d[i].proto == RF_USB_PROTO_FASTBOOT)
				fb++;
			else
				adb++;
		}
	free(d);
	return adb && !fb ? PROTO_ADB : fb && !adb ? PROTO_FASTBOOT : PROTO_UNKNOWN;
}

int adb_ui_phone_is_adb(const struct rf_cli *cli)
{
	return phone_proto(cli) == PROTO_ADB;
}

int adb_ui_phone_is_fastboot(const struct rf_cli *cli)
{
	return phone_proto(cli) == PROTO_FASTBOOT;
}

int adb_ui_reboot(const struct rf_cli *cli, const char *target)
{
	struct rf_adb_phone p;
	int ex = adb_ui_open(cli, &p, 0, ADB_MODES);

	if (ex)
		return ex;
	if (!strcmp(target, "sideload")) {
		ex = adb_ui_to_sideload(cli, &p, 60);
		if (!ex)
			out_msg("%sOK%s %s is in sideload mode", out_c("green"),
				out_c("reset"), p.id);
		rf_adb_phone_close(&p);
		return ex;
	}
	reboot_event(p.id, rf_adb_mode_name(rf_adb_phone_mode(&p)),
		     *target ? target : "system");
	int rc = rf_adb_phone_reboot(&p, target);
	rf_adb_phone_close(&p);
	if (rc) {
		out_error("reboot: %s", p.err);
		if (rf_adb_phone_mode(&p) == RF_ADB_MODE_SIDELOAD)
			out_error("in sideload mode choose a reboot on the "
				  "phone's screen");
		return rf_exit_for(rc);
	}
	out_msg("%sOK%s rebooting%s%s", out_c("green"), out_c("reset"),
		*target ? " into " : "", target);
	return RF_EXIT_OK;
}
