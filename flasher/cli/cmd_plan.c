/* romflash plan PACKAGE [--mode MODE] [--md5 HEX]: the dry run.
 *
 * Writes nothing anywhere.  Without -s it talks to no phone and assumes
 * max-download-size 0x30000000 (a Mi 4's); with -s it only sends getvar:
 * the phone's max-download-size, and the script's checks evaluated. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "device.h"
#include "fastboot.h"
#include "output.h"
#include "package.h"
#include "pkg_record.h"
#include "plan.h"
#include "script.h"

static int pkg_exit(int rc)
{
	if (rc == RF_EINTR)
		return RF_EXIT_INTERRUPTED;
	if (rc == RF_ENOMEM)
		return RF_EXIT_DEVICE;
	return RF_EXIT_PACKAGE;
}

static const char *step_format(const struct rf_step *s, char *buf, size_t cap)
{
	char a[32];
	if (!s->image[0])
		return "";
	if (!s->sparse)
		return "raw";
	snprintf(buf, cap, "sparse→%s", out_size(s->out_bytes, a, sizeof a));
	return buf;
}

/* What the step does besides its partition, for the table. */
static void step_detail(const struct rf_step *s, char *buf, size_t cap)
{
	switch (s->op) {
	case RF_OP_GETVAR_CHECK:
		snprintf(buf, cap, "%s %s \"%s\"", s->var,
			 s->must_match ? "must match" : "must not match",
			 s->pattern);
		break;
	case RF_OP_ANTI_CHECK:
		snprintf(buf, cap, "phone's anti-rollback version <= %u",
			 s->anti_max);
		break;
	case RF_OP_REBOOT_BOOTLOADER:
		snprintf(buf, cap, "wait %us, then for the same phone",
			 s->sleep_s);
		break;
	case RF_OP_OEM:
	case RF_OP_SET_ACTIVE:
		snprintf(buf, cap, "%s", s->arg);
		break;
	default:
		snprintf(buf, cap, "%s", s->image);
	}
}

/* With -s: the phone's answers to the checks (getvar only). */
struct phone {
	int on;
	char result[256][8]; /* per step: "pass" "FAIL" "yes" "no" */
	char value[256][132]; /* per step: [0] 2 once asked, then the answer */
	int failed;
};

static int getvar_or_empty(struct rf_fastboot *fb, const char *var, char *val,
			   size_t cap)
{
	int rc = rf_fb_getvar(fb, var, val, cap);
	if (rc == RF_EFAIL) { /* unknown variable: the script's grep sees "" */
		val[0] = 0;
		return RF_OK;
	}
	return rc;
}

static int ask_phone(struct rf_cli *cli, struct rf_plan *pl,
		     const struct rf_package *pkg, struct phone *ph)
{
	struct rf_transport *t = NULL;
	struct rf_fastboot fb;
	char err[RF_ERRLEN] = "", val[128];
	uint32_t max_dl;
	int rc, ex = RF_EXIT_OK;

	struct rf_device_env env;
	rf_cli_device_env(cli, &env);
	rc = rf_device_open_fastboot(&env, &t, &fb, err);
	if (rc) {
		out_error("plan: %s", err);
		return rf_exit_for(rc);
	}
	rc = rf_device_max_download(&env, &fb, t->serial, &max_dl);
	if (rc) {
		out_error("plan: getvar max-download-size: %s", fb.err);
		ex = rf_exit_for(rc);
		goto out;
	}
	rc = rf_plan_set_max_dl(pl, pkg, max_dl);
	if (rc) {
		out_error("plan: %s", pl->err);
		ex = pkg_exit(rc);
		goto out;
	}
	ph->on = 1;
	for (size_t i = 0; i < pl->steps.n && i < 256; i++) {
		struct rf_step *s = &pl->steps.v[i];
		const char *var = s->op == RF_OP_ANTI_CHECK ? "anti" : s->var;
		if (s->op != RF_OP_GETVAR_CHECK && s->op != RF_OP_ANTI_CHECK &&
		    s->op != RF_OP_CRC_FLASH)
			continue;
		/* one getvar per variable: crc decides several steps */
		size_t k;
		for (k = 0; k < i; k++) {
			const struct rf_step *o = &pl->steps.v[k];
			if (ph->value[k][0] == 2 && !strcmp(o->op == RF_OP_ANTI_CHECK
							  ? "anti" : o->var, var))
				break;
		}
		rc = RF_OK;
		if (k < i)
			snprintf(val, sizeof val, "%s", ph->value[k] + 1);
		else
			rc = getvar_or_empty(&fb, var, val, sizeof val);
		ph->value[i][0] = 2; /* asked; [1..] holds the answer */
		snprintf(ph->value[i] + 1, sizeof ph->value[i] - 1, "%s", val);
		if (rc) {
			out_error("plan: getvar %s: %s", var, fb.err);
			ex = rf_exit_for(rc);
			goto out;
		}
		int v = rf_step_eval(s, val);
		if (s->op == RF_OP_CRC_FLASH) {
			snprintf(ph->result[i], 8, "%s", v == 1 ? "yes" : "no");
		} else {
			snprintf(ph->result[i], 8, "%s", v == 1 ? "pass" : "FAIL");
			if (v != 1) {
				ph->failed++;
				out_warn("%s: check fails on this phone: %s = \"%s\"%s%s",
					 s->src, var, val, s->message[0] ? ": " : "",
					 s->message);
			}
		}
	}
out:
	rf_transport_close(t);
	return ex;
}

static void print_json(const struct rf_package *pkg, const struct rf_plan *pl,
		       const struct phone *ph)
{
	struct jw j;
	for (size_t i = 0; i < pl->steps.n; i++) {
		const struct rf_step *s = &pl->steps.v[i];
		jw_begin(&j, "step");
		jw_u64(&j, "n", i + 1);
		jw_str(&j, "op", rf_op_name(s->op));
		if (s->partition[0])
			jw_str(&j, "partition", s->partition);
		if (s->image[0]) {
			jw_str(&j, "image", s->image);
			jw_u64(&j, "size", s->size);
			jw_str(&j, "format", s->sparse ? "sparse" : "raw");
			jw_u64(&j, "unsparsed_size", s->out_bytes);
			jw_u64(&j, "downloads", s->downloads);
		}
		if (s->op == RF_OP_GETVAR_CHECK || s->op == RF_OP_CRC_FLASH) {
			jw_str(&j, "var", s->var);
			jw_str(&j, "pattern", s->pattern);
		}
		if (s->op == RF_OP_GETVAR_CHECK)
			jw_bool(&j, "must_match", s->must_match);
		if (s->op == RF_OP_ANTI_CHECK)
			jw_u64(&j, "anti_max", s->anti_max);
		if (s->message[0])
			jw_str(&j, "message", s->message);
		if (s->op == RF_OP_REBOOT_BOOTLOADER)
			jw_u64(&j, "sleep", s->sleep_s);
		if (s->arg[0])
			jw_str(&j, "arg", s->arg);
		if (ph->on && i < 256 && ph->result[i][0])
			jw_str(&j, "phone", ph->result[i][0] == 'F' ? "fail"
					    : ph->result[i]);
		jw_str(&j, "source", s->src);
		jw_end(&j);
	}
	jw_begin(&j, "plan");
	jw_str(&j, "package", pkg->path);
	jw_str(&j, "kind", rf_pkg_kind_name(pkg->kind));
	jw_str(&j, "codename", pkg->name.kind ? pkg->name.codename : NULL);
	jw_str(&j, "version", pkg->name.kind ? pkg->name.version : NULL);
	jw_str(&j, "mode", rf_mode_name(pl->mode));
	jw_str(&j, "script", pl->script);
	jw_str(&j, "bat", pl->bat[0] ? pl->bat : NULL);
	jw_str(&j, "bat_diff", pl->bat_diff[0] ? pl->bat_diff : NULL);
	jw_str(&j, "md5", pkg->md5[0] ? pkg->md5 : NULL);
	jw_str(&j, "md5_verified", rf_md5_state_name(pkg->md5_state));
	jw_u64(&j, "max_download_size", pl->max_dl);
	jw_str(&j, "max_download_source", ph->on ? "phone" : "default");
	jw_u64(&j, "steps", pl->steps.n);
	jw_u64(&j, "writes", pl->n_writes);
	jw_u64(&j, "checks", pl->n_checks);
	jw_u64(&j, "bytes", pl->bytes);
	jw_u64(&j, "downloads", pl->downloads);
	if (ph->on)
		jw_u64(&j, "checks_failed", (uint64_t)ph->failed);
	jw_end(&j);
}

static void print_human(const struct rf_package *pkg, const struct rf_plan *pl,
			const struct phone *ph)
{
	char a[32], b[48], d[300];
	const struct rf_pkgname *n = &pkg->name;
	out_msg("%sPackage%s  %s", out_c("bold"), out_c("reset"), pkg->path);
	if (n->kind == RF_NAME_FASTBOOT)
		out_msg("         %s %s %s (build %s), Android %s", n->codename,
			n->region, n->version, n->build_date, n->android);
	else
		out_msg("         unknown (the name does not follow Xiaomi's "
			"pattern)");
	switch (pkg->md5_state) {
	case RF_MD5_FULL:
		out_msg("MD5      %s verified (full MD5 given)", pkg->md5);
		break;
	case RF_MD5_PREFIX:
		out_msg("MD5      %s verified (prefix %s in the file name)",
			pkg->md5, pkg->md5_expected);
		break;
	case RF_MD5_NOT_KNOWN:
		out_msg("MD5      %s %sNOT verified%s (no MD5 known: give --md5)",
			pkg->md5, out_c("yellow"), out_c("reset"));
		break;
	default:
		out_msg("MD5      - (a folder: nothing to verify)");
	}
	out_msg("Mode     %s: %s%s%s", rf_mode_name(pl->mode), pl->script,
		pl->bat[0] ? (pl->bat_diff[0] ? " (its .bat twin DIFFERS)"
					      : " (its .bat twin agrees)")
			   : "", "");
	out_msg("Download max %s (0x%" PRIx32 ", %s)",
		out_size(pl->max_dl, a, sizeof a), pl->max_dl,
		ph->on ? "from the phone" : "default; -s asks the phone");
	out_msg("%s", "");
	out_msg("%3s  %-18s %-16s %-34s %10s %-18s %s%s", "#", "operation",
		"partition", "image / detail", "size", "format", "dl",
		ph->on ? "  phone" : "");
	for (size_t i = 0; i < pl->steps.n; i++) {
		const struct rf_step *s = &pl->steps.v[i];
		char dl[16] = "";
		step_detail(s, d, sizeof d);
		if (s->image[0])
			snprintf(dl, sizeof dl, "%u", s->downloads);
		out_msg("%3zu  %-18s %-16s %-34s %10s %-18s %s%s%s", i + 1,
			rf_op_name(s->op), s->partition, d,
			s->image[0] ? out_size(s->size, a, sizeof a) : "",
			step_format(s, b, sizeof b), dl,
			ph->on && i < 256 && ph->result[i][0] ? "  " : "",
			ph->on && i < 256 ? ph->result[i] : "");
	}
	out_msg("%s", "");
	out_msg("Checks before the first write (the preflight runs all of "
		"them first):");
	int nc = 0;
	for (size_t i = 0; i < pl->steps.n; i++) {
		const struct rf_step *s = &pl->steps.v[i];
		if (s->op == RF_OP_GETVAR_CHECK || s->op == RF_OP_ANTI_CHECK) {
			step_detail(s, d, sizeof d);
			out_msg("  - %s (%s)", d, s->src);
			nc++;
		} else if (s->op == RF_OP_CRC_FLASH && (i == 0 ||
			   pl->steps.v[i - 1].op != RF_OP_CRC_FLASH)) {
			out_msg("  - getvar %s \"%s\" decides the crc-flash steps",
				s->var, s->pattern);
		}
	}
	out_msg("  - every image present, readable%s", pkg->md5_state ==
		RF_MD5_FULL || pkg->md5_state == RF_MD5_PREFIX
		? ", package MD5 verified" : "");
	(void)nc;
	out_msg("%s", "");
	out_msg("Total: %zu steps, %u writes, %u checks; %s in %u downloads",
		pl->steps.n, pl->n_writes, pl->n_checks,
		out_size(pl->bytes, a, sizeof a), pl->downloads);
}

int cmd_plan(struct rf_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "md5", required_argument, NULL, '5' },
		{ "region", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum rf_mode mode = RF_MODE_KEEP_DATA;
	const char *md5 = NULL, *region = NULL;
	struct rf_resolved src;
	struct rf_package pkg;
	struct rf_plan pl;
	struct phone ph;
	int c, rc, ex = RF_EXIT_OK;

	memset(&ph, 0, sizeof ph);
	memset(&pl, 0, sizeof pl);
	optind = 0; /* glibc: full re-initialisation (main used "+") */
	while ((c = getopt_long(argc, argv, "m:h", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (rf_mode_parse(optarg, &mode)) {
				out_error("plan: unknown mode '%s' (keep-data, "
					  "clean, lock)", optarg);
				return RF_EXIT_USAGE;
			}
			break;
		case '5': md5 = optarg; break;
		case 'r': region = optarg; break; /* catalog versions */
		case 'h':
			printf("usage: romflash plan PACKAGE [--mode keep-data|"
			       "clean|lock] [--md5 HEX]\n");
			return RF_EXIT_OK;
		default: return RF_EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		out_error("usage: romflash plan PACKAGE [--mode MODE] [--md5 HEX]");
		return RF_EXIT_USAGE;
	}
	if (md5 && !(strlen(md5) == 32 && strspn(md5, "0123456789abcdefABCDEF") == 32)) {
		out_error("plan: --md5 wants 32 hex digits");
		return RF_EXIT_USAGE;
	}
	/* a URL or a catalog version: downloaded and verified first */
	struct rf_cli_fetch fo = { .region = region, .md5 = md5, .retries = -1 };
	ex = rf_cli_resolve(cli, &fo, argv[optind], RF_ROM_FASTBOOT, &src);
	if (ex)
		return ex;
	char records[4096];
	rf_pkg_record_dir(records, sizeof records);
	struct rf_pkg_opts po = { .md5 = md5 ? md5 : src.md5[0] ? src.md5 : NULL,
				  .refuse_zip = 1, .cancel = &rf_interrupted,
				  .record_dir = records };
	rc = rf_pkg_open(&pkg, src.path, &po);
	if (rc) {
		out_error("plan: %s", pkg.err);
		return pkg_exit(rc);
	}
	if (md5 && pkg.kind == RF_PKG_DIR)
		out_warn("--md5 applies to a .tgz file; a folder is not checked");
	rc = rf_plan_build(&pl, &pkg, mode, RF_DEFAULT_MAX_DL);
	if (rc) {
		out_error("plan: %s", pl.err);
		ex = pkg_exit(rc);
		goto out;
	}
	if (pl.bat_diff[0])
		out_warn("%s and %s differ: %s (the .sh is used)", pl.script,
			 pl.bat, pl.bat_diff);
	if (pkg.md5_state == RF_MD5_NOT_KNOWN)
		out_warn("%s: no MD5 known (name without one, no --md5): the "
			 "package is not verified", pkg.path);
	if (cli->device) {
		ex = ask_phone(cli, &pl, &pkg, &ph);
		if (ex)
			goto out;
	}
	if (out_is_json())
		print_json(&pkg, &pl, &ph);
	else
		print_human(&pkg, &pl, &ph);
	if (ph.failed) {
		out_error("plan: %d check%s fail%s on this phone: flash would "
			  "refuse it", ph.failed, ph.failed > 1 ? "s" : "",
			  ph.failed > 1 ? "" : "s");
		ex = RF_EXIT_NODEV;
	}
out:
	rf_plan_free(&pl);
	rf_pkg_close(&pkg);
	return ex;
}
