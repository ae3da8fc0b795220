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
#include "format.h"
#include "output.h"
#include "package.h"
#include "pkg_record.h"
#include "plan.h"
#include "rf_str.h"
#include "step_kinds.h"
#include "effects.h"

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
	snprintf(buf, cap, "sparse (%s)", out_size(s->out_bytes, a, sizeof a));
	return buf;
}

/* What the step does besides its partition: its image, or what it checks. */
static void step_detail(const struct rf_step *s, char *buf, size_t cap)
{
	switch (s->op) {
	case RF_OP_GETVAR_CHECK:
		snprintf(buf, cap, "%s %s%s \"%s\"", s->var,
			 s->must_match ? "must match" : "must not match",
			 s->flavor == RF_RE_EXTENDED ? " (grep -E)" : "", s->pattern);
		break;
	case RF_OP_ANTI_CHECK:
		snprintf(buf, cap, "phone's %s <= %u (package: %s)", s->var,
			 s->anti_max, s->value_src);
		break;
	case RF_OP_PATCH_CHECK:
		snprintf(buf, cap, "phone's %s <= %s (package: %s)", s->var, s->arg,
			 s->value_src);
		break;
	case RF_OP_REBOOT_BOOTLOADER:
		snprintf(buf, cap, "wait %us, then for the same phone", s->sleep_s);
		break;
	case RF_OP_FORMAT:
		snprintf(buf, cap, "new empty %s filesystem", s->arg[0] ? s->arg : "ext4/f2fs");
		break;
	default:
		if (s->downloads > 1)
			snprintf(buf, cap, "%s (%u downloads)", s->image, s->downloads);
		else
			snprintf(buf, cap, "%s", s->image);
	}
}

/* What else to know of a step: its condition, a failure the script
 * forgives, what it erases or relocks.  Returns how many (into v). */
static int step_notes(const struct rf_step *s, char v[3][320])
{
	unsigned fx = rf_fx_of_step(s);
	int n = 0;
	if (s->cond)
		snprintf(v[n++], 320, "runs if %s %s \"%s\"", s->var,
			 s->must_match ? "matches" : "does not match", s->pattern);
	if (rf_exec_forgivable(s))
		snprintf(v[n++], 320, "a failure only warns (the script goes on)");
	if (fx)
		snprintf(v[n++], 320, "%s%s%s", out_c("red"), rf_fx_short(fx), out_c("reset"));
	return n;
}

/* With -s: the phone's answers to the checks and conditions (getvar only). */
struct step_result {
	char mark[8];       /* "pass" "FAIL" "yes" "no"; format: "ext4" "f2fs" "FAIL" */
	struct rf_format_spec fs; /* format: what the phone's answers call for */
	char tool[256];     /* format: the program that makes it ("" missing) */
	char why[RF_ERRLEN]; /* format: why it cannot be made */
};

struct phone {
	int on;
	struct rf_answers ans;
	struct step_result *res; /* per step of the plan */
	int failed;         /* checks that fail on this phone */
	int fs_exit;        /* a format flash would refuse: its exit status */
};

/* format: what the phone's answers make (nothing is made by a dry run). */
static int ask_format(struct rf_fastboot *fb, const struct rf_step *s, struct phone *ph,
		      struct step_result *r)
{
	int rc = rf_format_query(fb, s->partition, s->arg, &r->fs, r->why);
	if (rc && rc != RF_EFORMAT)
		return rc;
	if (rc) {
		rf_strlcpy(r->mark, "FAIL", sizeof r->mark);
		out_warn("%s: %s: flash would refuse this phone", s->src, r->why);
		if (!ph->fs_exit)
			ph->fs_exit = RF_EXIT_PACKAGE;
		return RF_OK;
	}
	rf_strlcpy(r->mark, r->fs.type, sizeof r->mark);
	if (!rf_format_tool(r->fs.type, NULL, r->tool, sizeof r->tool) || !r->tool[0]) {
		snprintf(r->why, sizeof r->why, "making %s needs %s, which is not installed",
			 r->fs.type, !strcmp(r->fs.type, "ext4") ? "mke2fs (e2fsprogs)"
			 : "mkfs.f2fs (f2fs-tools)");
		out_warn("%s: format %s: %s: flash would refuse", s->src, s->partition, r->why);
		if (!ph->fs_exit)
			ph->fs_exit = rf_exit_for(RF_EINVAL);
	}
	return RF_OK;
}

static int ask_phone(struct rf_cli *cli, struct rf_plan *pl,
		     const struct rf_package *pkg, struct phone *ph)
{
	struct rf_transport *t = NULL;
	struct rf_fastboot fb;
	char err[RF_ERRLEN] = "", msg[RF_ERRLEN];
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
	rc = rf_exec_ask(&fb, pl, &ph->ans); /* one getvar per variable */
	if (rc) {
		out_error("plan: getvar: %s", fb.err);
		ex = rf_exit_for(rc);
		goto out;
	}
	if (!(ph->res = calloc(pl->steps.n + 1, sizeof *ph->res))) {
		out_error("plan: out of memory");
		ex = RF_EXIT_DEVICE;
		goto out;
	}
	ph->on = 1;
	for (size_t i = 0; i < pl->steps.n; i++) {
		const struct rf_step *s = &pl->steps.v[i];
		const char *val = rf_step_query(s) ? rf_answers_get(&ph->ans, s->var) : NULL;
		if (s->op == RF_OP_FORMAT && (rc = ask_format(&fb, s, ph, &ph->res[i]))) {
			out_error("plan: getvar: %s", fb.err);
			ex = rf_exit_for(rc);
			goto out;
		}
		if (!val)
			continue;
		int v = rf_step_eval(s, val);
		if (s->cond) {
			snprintf(ph->res[i].mark, 8, "%s", v == 1 ? "yes" : "no");
			continue;
		}
		snprintf(ph->res[i].mark, 8, "%s", v == 1 ? "pass" : "FAIL");
		if (v != 1) {
			ph->failed++;
			rf_exec_check_failure(s, val, msg, sizeof msg);
			out_warn("check fails on this phone: %s", msg);
		}
	}
out:
	rf_transport_close(t);
	return ex;
}

static void json_format(struct jw *j, const struct step_result *r)
{
	if (r->fs.type[0]) {
		jw_str(j, "fs_type", r->fs.type);
		jw_u64(j, "fs_size", r->fs.size / RF_FORMAT_BLOCK * RF_FORMAT_BLOCK);
		jw_str(j, "fs_tool", r->tool[0] ? r->tool : NULL);
	}
	if (r->why[0])
		jw_str(j, "format_error", r->why);
}

static void print_json(const struct rf_package *pkg, const struct rf_plan *pl,
		       const struct phone *ph)
{
	struct jw j;
	struct rf_fx fx;

	/* what it erases or relocks, before anything else */
	rf_fx_of_plan(pl, &fx);
	rf_fx_announce(fx.what, 0, rf_mode_name(pl->mode), &fx, NULL);
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
		if (s->var[0]) {
			jw_str(&j, "var", s->var);
			if (s->pattern[0])
				jw_str(&j, "pattern", s->pattern);
			if (s->flavor == RF_RE_EXTENDED)
				jw_str(&j, "pattern_flavor", "extended");
		}
		if (s->op == RF_OP_GETVAR_CHECK || s->cond)
			jw_bool(&j, "must_match", s->must_match);
		if (s->cond)
			jw_bool(&j, "cond", 1);
		if (s->op == RF_OP_ANTI_CHECK)
			jw_u64(&j, "anti_max", s->anti_max);
		if (s->op == RF_OP_PATCH_CHECK)
			jw_str(&j, "patch_max", s->arg);
		if (s->value_src[0])
			jw_str(&j, "value_source", s->value_src);
		if (s->message[0])
			jw_str(&j, "message", s->message);
		if (s->op == RF_OP_REBOOT_BOOTLOADER || s->sleep_s)
			jw_u64(&j, "sleep", s->sleep_s);
		if (s->arg[0] && s->op != RF_OP_PATCH_CHECK)
			jw_str(&j, "arg", s->arg);
		if (s->unchecked)
			jw_bool(&j, "unchecked", 1);
		if (rf_fx_of_step(s))
			jw_str(&j, "effect", rf_fx_short(rf_fx_of_step(s)));
		if (ph->on && rf_step_query(s) && rf_answers_get(&ph->ans, s->var))
			jw_str(&j, "phone_value", rf_answers_get(&ph->ans, s->var));
		if (ph->on && ph->res[i].mark[0])
			jw_str(&j, "phone", ph->res[i].mark[0] == 'F' ? "fail"
					    : ph->res[i].mark);
		if (ph->on && s->op == RF_OP_FORMAT)
			json_format(&j, &ph->res[i]);
		jw_str(&j, "source", s->src);
		jw_end(&j);
	}
	jw_begin(&j, "plan");
	jw_str(&j, "package", pkg->path);
	jw_str(&j, "kind", rf_pkg_kind_name(pkg->kind));
	jw_str(&j, "codename", pkg->name.kind ? pkg->name.codename : NULL);
	jw_str(&j, "version", pkg->name.kind ? pkg->name.version : NULL);
	jw_str(&j, "mode", rf_mode_name(pl->mode));
	jw_str(&j, "miflash_mode", rf_cli_mode_miflash(pl->mode));
	jw_bool(&j, "erases_user_data", (fx.what & RF_FX_WIPE) != 0);
	jw_bool(&j, "relocks_bootloader", (fx.what & RF_FX_RELOCK) != 0);
	jw_str(&j, "script", pl->script);
	jw_str(&j, "bat", pl->bat[0] ? pl->bat : NULL);
	jw_str(&j, "bat_diff", pl->bat_diff[0] ? pl->bat_diff : NULL);
	jw_bool(&j, "checks_product", pl->checks_product);
	jw_str(&j, "notes", pl->notes[0] ? pl->notes : NULL);
	jw_str(&j, "md5", pkg->md5[0] ? pkg->md5 : NULL);
	jw_str(&j, "md5_verified", rf_md5_state_name(pkg->md5_state));
	jw_u64(&j, "max_download_size", pl->max_dl);
	jw_str(&j, "max_download_source", ph->on ? "phone" : "default");
	jw_u64(&j, "steps", pl->steps.n);
	jw_u64(&j, "writes", pl->n_writes);
	jw_u64(&j, "checks", pl->n_checks);
	jw_u64(&j, "bytes", pl->bytes);
	jw_u64(&j, "downloads", pl->downloads);
	if (ph->on) {
		jw_u64(&j, "checks_failed", (uint64_t)ph->failed);
		jw_bool(&j, "formats_refused", ph->fs_exit != 0);
	}
	jw_end(&j);
}

/* What a format step will make: from the phone's answers with -s. */
static void format_line(const struct rf_step *s, const struct step_result *r)
{
	char a[32], ext4[256], f2fs[256];
	if (!r) {
		rf_format_tool("ext4", NULL, ext4, sizeof ext4);
		rf_format_tool("f2fs", NULL, f2fs, sizeof f2fs);
		out_msg("  - format %s (%s): the phone's getvar partition-type:%s and "
			"partition-size:%s say what to make: an empty ext4 (mke2fs: %s) or "
			"f2fs (mkfs.f2fs: %s) filesystem of the partition's size, made before "
			"the first write and sent as a sparse image of what the program wrote; "
			"a phone that does not say is refused", s->partition, s->src,
			s->partition, s->partition, ext4[0] ? ext4 : "NOT installed",
			f2fs[0] ? f2fs : "NOT installed");
	} else if (r->fs.type[0] && !r->why[0]) {
		out_msg("  - format %s (%s): the phone says %s, %s (%llu bytes): an empty %s "
			"filesystem of that size is made with %s before the first write, "
			"sent as a sparse image of what it writes", s->partition, s->src,
			r->fs.type, out_size(r->fs.size, a, sizeof a),
			(unsigned long long)r->fs.size, r->fs.type, r->tool);
	} else {
		out_msg("  - format %s (%s): FAIL: %s", s->partition, s->src, r->why);
	}
}

/* Two steps that depend on the same answer the same way (a block). */
static int same_cond(const struct rf_step *a, const struct rf_step *b)
{
	return a->cond && b->cond && a->must_match == b->must_match &&
	       !strcmp(a->var, b->var) && !strcmp(a->pattern, b->pattern);
}

/* "flash system", "check product", "oem lock": the step column. */
static void step_label(const struct rf_step *s, char *buf, size_t cap)
{
	/* (a check's variable is in its detail) */
	const char *what = s->partition[0] ? s->partition
			 : s->op == RF_OP_OEM || s->op == RF_OP_SET_ACTIVE ? s->arg : "";
	snprintf(buf, cap, "%s%s%s", rf_op_name(s->op), what[0] ? " " : "", what);
}

/* One row of the table within `width` columns: what does not fit goes on
 * lines of its own under the step. */
static void print_row(const struct rf_step *s, size_t i, const struct phone *ph, int width)
{
	char label[160], a[32], b[48], d[300], row[700], notes[3][320];
	const char *res = ph->on ? ph->res[i].mark : "";
	int n, k, nn;

	step_label(s, label, sizeof label);
	step_detail(s, d, sizeof d);
	if (s->image[0] && !rf_step_is_check(s))
		n = snprintf(row, sizeof row, "%3zu  %-*s%-22s %8s %-16s", i + 1, ph->on ? 6 : 0,
			     res, label, out_size(s->size, a, sizeof a),
			     step_format(s, b, sizeof b));
	else
		n = snprintf(row, sizeof row, "%3zu  %-*s%s", i + 1, ph->on ? 6 : 0, res, label);
	k = ph->on ? 11 : 5; /* the column of the step */
	if (d[0] && n + 1 + (int)strlen(d) <= width) {
		out_msg("%s %s", row, d);
	} else {
		while (n > 0 && row[n - 1] == ' ') /* no trailing blanks */
			row[--n] = 0;
		out_msg("%s", row);
		if (d[0])
			out_msg("%*s%s", k + 2, "", d);
	}
	nn = step_notes(s, notes);
	for (int j = 0; j < nn; j++)
		out_msg("%*s! %s", k + 2, "", notes[j]);
}

/* Before anything else: what the flash erases or relocks, and at which
 * steps. */
static void print_effects(const struct rf_plan *pl)
{
	char msg[512], line[900], wrapped[1000];
	struct rf_fx fx;
	size_t n;

	rf_fx_of_plan(pl, &fx);
	if (!fx.what)
		return;
	n = (size_t)snprintf(line, sizeof line, "WARNING: this flash %s. Step%s",
			     rf_fx_sentence(fx.what, msg, sizeof msg), fx.nsteps > 1 ? "s" : "");
	for (size_t i = 0; i < fx.nsteps && n < sizeof line; i++) {
		const struct rf_step *s = &pl->steps.v[fx.steps[i] - 1];
		char label[160];
		step_label(s, label, sizeof label);
		n += (size_t)snprintf(line + n, sizeof line - n, "%s %zu (%s)",
				      i == 0 ? "" : i + 1 == fx.nsteps ? " and" : ",", fx.steps[i],
				      label);
	}
	if (n < sizeof line)
		snprintf(line + n, sizeof line - n, ".");
	out_msg("%s%s%s", out_c("red"), out_wrap(line, 0, 0, wrapped, sizeof wrapped),
		out_c("reset"));
	out_msg("%s", "");
}

static void print_head(const struct rf_package *pkg, const struct rf_plan *pl,
		       const struct phone *ph)
{
	char a[32];
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
		out_msg("MD5      %s verified (--md5)", pkg->md5);
		break;
	case RF_MD5_PREFIX:
		out_msg("MD5      %s verified (prefix %s in name)", pkg->md5,
			pkg->md5_expected);
		break;
	case RF_MD5_NOT_KNOWN:
		out_msg("MD5      %s %sNOT verified%s (give --md5)",
			pkg->md5, out_c("yellow"), out_c("reset"));
		break;
	default:
		out_msg("MD5      - (a folder: nothing to verify)");
	}
	out_msg("Mode     %s: %s%s", rf_mode_name(pl->mode), pl->script,
		pl->bat[0] ? (pl->bat_diff[0] ? " (its .bat twin DIFFERS)"
					      : " (its .bat twin agrees)") : "");
	out_msg("         MiFlash: \"%s\"", rf_cli_mode_miflash(pl->mode));
	out_msg("Download max %s (0x%" PRIx32 ", %s)",
		out_size(pl->max_dl, a, sizeof a), pl->max_dl,
		ph->on ? "from the phone" : "default; -s asks the phone");
}

/* The checks the preflight makes before the first write, and which
 * answers decide which steps. */
static void print_checks(const struct rf_package *pkg, const struct rf_plan *pl,
			 const struct phone *ph)
{
	char d[300], line[600], wrapped[700];
	out_msg("Checks before the first write (the preflight runs all of "
		"them first):");
	for (size_t i = 0; i < pl->steps.n; i++) {
		const struct rf_step *s = &pl->steps.v[i];
		if (rf_step_is_check(s)) {
			const char *val = ph->on ? rf_answers_get(&ph->ans, s->var) : NULL;
			step_detail(s, d, sizeof d);
			snprintf(line, sizeof line, "- %s (%s)%s%s%s%s", d, s->src,
				 val ? ": the phone says \"" : "", val ? val : "",
				 val ? "\", " : "", val ? ph->res[i].mark : "");
			out_msg("  %s", out_wrap(line, 2, 4, wrapped, sizeof wrapped));
		} else if (s->op == RF_OP_FORMAT) {
			format_line(s, ph->on ? &ph->res[i] : NULL);
		} else if (s->cond && (i == 0 || !same_cond(&pl->steps.v[i - 1], s))) {
			size_t last = i;
			while (last + 1 < pl->steps.n && same_cond(&pl->steps.v[last + 1], s))
				last++;
			if (last > i)
				out_msg("  - getvar %s \"%s\" decides steps %zu-%zu", s->var,
					s->pattern, i + 1, last + 1);
			else
				out_msg("  - getvar %s \"%s\" decides step %zu", s->var,
					s->pattern, i + 1);
		}
	}
	out_msg("  - every image present, readable%s", pkg->md5_state ==
		RF_MD5_FULL || pkg->md5_state == RF_MD5_PREFIX
		? ", package MD5 verified" : "");
}

static void print_human(const struct rf_package *pkg, const struct rf_plan *pl,
			const struct phone *ph)
{
	char a[32], line[900], wrapped[1000];
	int width = out_width();

	print_effects(pl);
	print_head(pkg, pl, ph);
	out_msg("%s", "");
	out_msg("%3s  %-*s%-22s %8s %-16s %s", "#", ph->on ? 6 : 0, ph->on ? "phone" : "", "step",
		"size", "format", "image / detail");
	for (size_t i = 0; i < pl->steps.n; i++)
		print_row(&pl->steps.v[i], i, ph, width);
	out_msg("%s", "");
	print_checks(pkg, pl, ph);
	out_msg("%s", "");
	out_msg("Total: %zu steps, %u writes, %u checks; %s in %u downloads",
		pl->steps.n, pl->n_writes, pl->n_checks,
		out_size(pl->bytes, a, sizeof a), pl->downloads);
	if (pl->notes[0]) {
		snprintf(line, sizeof line, "Notes: %s", pl->notes);
		out_msg("%s", out_wrap(line, 0, 7, wrapped, sizeof wrapped));
	}
}

int cmd_plan(struct rf_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "md5", required_argument, NULL, '5' },
		{ "region", required_argument, NULL, 'r' },
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
	while ((c = rf_cli_getopt(argc, argv, "m:", opts)) != -1) {
		switch (c) {
		case 'm':
			if (rf_cli_mode(argv[0], optarg, &mode))
				return RF_EXIT_USAGE;
			break;
		case '5': md5 = optarg; break;
		case 'r': region = optarg; break; /* catalog versions */
		default: return RF_EXIT_USAGE;
		}
	}
	if (optind + 1 != argc)
		return rf_cli_usage("plan: %s", optind == argc ? "the package is missing"
				    : "one package at a time");
	if (rf_cli_md5_arg(argv[0], md5))
		return RF_EXIT_USAGE;
	char records[4096];
	rf_pkg_record_dir(records, sizeof records);
	struct rf_pkg_opts po = { .md5 = md5, .refuse_zip = 1,
				  .cancel = &rf_interrupted, .record_dir = records };
	/* a URL or a catalog version: checked while it downloads */
	struct rf_cli_fetch fo = { .region = region, .md5 = md5, .retries = -1 };
	ex = rf_cli_open_package(cli, &fo, argv[optind], &po, &pkg, &src, &rc);
	if (ex)
		return ex;
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
	} else if (ph.fs_exit) {
		out_error("plan: a format cannot be done on this phone: flash would "
			  "refuse it");
		ex = ph.fs_exit;
	}
out:
	free(ph.res);
	rf_plan_free(&pl);
	rf_pkg_close(&pkg);
	return ex;
}
