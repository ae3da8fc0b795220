/* romflash flash PACKAGE: open and verify the package, build the plan,
 * open the phone(s), preflight, confirm, execute.  Nothing is written to a
 * phone before every check passed (SPEC safety rule 2). */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adb_ui.h"
#include "cli.h"
#include "device.h"
#include "flash_exec.h"
#include "output.h"
#include "package.h"
#include "pkg_record.h"
#include "plan.h"
#include "resume.h"
#include "transport_usb.h"

#define MAX_PHONES 64

struct flash_args {
	const char *package, *md5, *mode_name, *region;
	enum rf_mode mode;
	int yes, no_reboot, resume, all, dry_run, wait_s;
	long skip;            /* --skip N: 1-based step, 0 none */
};

static int parse_args(int argc, char **argv, struct flash_args *a)
{
	static const struct option opts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "md5", required_argument, NULL, '5' },
		{ "yes", no_argument, NULL, 'y' },
		{ "no-reboot", no_argument, NULL, 'n' },
		{ "resume", no_argument, NULL, 'r' },
		{ "all", no_argument, NULL, 'a' },
		{ "dry-run", no_argument, NULL, 'd' },
		{ "wait", required_argument, NULL, 'w' },
		{ "skip", required_argument, NULL, 'k' },
		{ "region", required_argument, NULL, 'g' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	char *end;
	memset(a, 0, sizeof *a);
	a->mode_name = "keep-data";
	a->wait_s = 60;
	while ((c = getopt_long(argc, argv, "m:y", opts, NULL)) != -1) {
		switch (c) {
		case 'm': a->mode_name = optarg; break;
		case '5': a->md5 = optarg; break;
		case 'y': a->yes = 1; break;
		case 'n': a->no_reboot = 1; break;
		case 'r': a->resume = 1; break;
		case 'a': a->all = 1; break;
		case 'd': a->dry_run = 1; break;
		case 'w': a->wait_s = atoi(optarg); break;
		case 'k':
			a->skip = strtol(optarg, &end, 10);
			if (*end || a->skip <= 0)
				return -1;
			break;
		case 'g': a->region = optarg; break;
		default: return -1;
		}
	}
	if (optind != argc - 1 || a->wait_s <= 0)
		return -1;
	if (a->skip && !a->resume) {
		fprintf(stderr, "romflash: --skip goes with --resume (it skips the step the flash stopped at)\n");
		return -1;
	}
	a->package = argv[optind];
	if (rf_mode_parse(a->mode_name, &a->mode)) {
		fprintf(stderr, "romflash: unknown mode '%s' (keep-data, clean, lock)\n", a->mode_name);
		return -1;
	}
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: romflash [-s DEVICE] flash PACKAGE [--mode keep-data|clean|lock] [--yes]\n"
			"                [--no-reboot] [--resume [--skip STEP]] [--md5 MD5] [--all] [--dry-run]\n"
			"                [--wait SECONDS] [--region REGION]   (PACKAGE: file, folder, URL or\n"
			"                catalog version)\n");
	return RF_EXIT_USAGE;
}

static void verify_progress(void *user, uint64_t done, uint64_t total)
{
	struct rf_progress *p = user;
	p->total = total;
	progress_update(p, done);
}

/* The dry run is `plan` with the same package, mode and MD5. */
static int dry_run(struct rf_cli *cli, const struct flash_args *a)
{
	char *av[10];
	int ac = 0;
	av[ac++] = "plan";
	av[ac++] = (char *)a->package;
	av[ac++] = "--mode";
	av[ac++] = (char *)a->mode_name;
	if (a->md5) {
		av[ac++] = "--md5";
		av[ac++] = (char *)a->md5;
	}
	if (a->region) {
		av[ac++] = "--region";
		av[ac++] = (char *)a->region;
	}
	av[ac] = NULL;
	optind = 0;
	return cmd_plan(cli, ac, av);
}

static void target_id(struct rf_flash_target *t)
{
	const char *id = t->t->serial[0] ? t->t->serial : t->t->location;
	snprintf(t->id, sizeof t->id, "%s", id);
}

/* Open the phones: the one -s names (or the only one attached), or with
 * --all every USB phone in fastboot mode plus each of a comma-separated -s
 * list.  Returns how many were opened; on failure an exit status < 0. */
static int open_targets(struct rf_cli *cli, const struct flash_args *a,
			struct rf_flash_target *tg, size_t *n)
{
	char err[RF_ERRLEN] = "";
	struct rf_device_env env;
	int rc;
	*n = 0;
	rf_cli_device_env(cli, &env);
	if (!a->all) {
		rc = rf_device_open_fastboot(&env, &tg[0].t, &tg[0].fb, err);
		if (rc && !a->resume && rc != RF_EMULTIPLE) {
			/* a phone booted into Android or recovery: offer to
			 * move it into the bootloader (adb_ui.c) */
			int ex = adb_ui_offer_fastboot(cli, a->yes, a->wait_s,
						       &tg[0].t, &tg[0].fb);
			if (ex > 0)
				return ex;
			if (ex == 0)
				rc = RF_OK;
		}
		if (rc == RF_ENODEV && a->resume) {
			/* after a cut cable or a failed reboot the phone may
			 * still be on its way back */
			out_msg("Waiting up to %d s for the phone to be in fastboot mode ...", a->wait_s);
			rc = rf_device_wait_fastboot(&env, cli->device, a->wait_s, NULL, NULL,
						     &tg[0].t, &tg[0].fb, err);
		}
		if (rc) {
			out_error("%s", err);
			return rf_exit_for(rc);
		}
		tg[0].fbp = &tg[0].fb;
		target_id(&tg[0]);
		*n = 1;
		return 0;
	}
	if (cli->device) {
		char list[1024], *save = NULL;
		snprintf(list, sizeof list, "%s", cli->device);
		for (char *d = strtok_r(list, ",", &save); d && *n < MAX_PHONES;
		     d = strtok_r(NULL, ",", &save)) {
			struct rf_device_env one = env;
			one.selector = d;
			rc = rf_device_open_fastboot(&one, &tg[*n].t, &tg[*n].fb, err);
			if (rc) {
				out_error("%s: %s", d, err);
				return rf_exit_for(rc);
			}
			tg[*n].fbp = &tg[*n].fb;
			target_id(&tg[*n]);
			(*n)++;
		}
	} else {
		struct rf_usb_devinfo *d = NULL;
		size_t nd = 0;
		rc = rf_usb_list(1u << RF_USB_PROTO_FASTBOOT, &d, &nd, err);
		if (rc) {
			out_error("%s", err);
			return rf_exit_for(rc);
		}
		for (size_t i = 0; i < nd && *n < MAX_PHONES; i++) {
			rc = rf_usb_open(d[i].serial[0] ? d[i].serial : d[i].location,
					 RF_USB_PROTO_FASTBOOT, 0, &tg[*n].t, err);
			if (rc) {
				out_warn("%s: %s (left out)", d[i].location, err);
				continue;
			}
			rf_fb_init(&tg[*n].fb, tg[*n].t);
			tg[*n].fbp = &tg[*n].fb;
			target_id(&tg[*n]);
			(*n)++;
		}
		free(d);
	}
	if (!*n) {
		out_error("no phone in fastboot mode found");
		return RF_EXIT_NODEV;
	}
	return 0;
}

static int confirm_wipe(const struct flash_args *a, const struct rf_flash_target *tg, size_t n)
{
	char line[64];
	if (a->yes || a->mode == RF_MODE_KEEP_DATA)
		return 1;
	if (!isatty(STDIN_FILENO)) {
		out_error("--mode %s erases all user data: confirm with --yes "
			  "(no terminal to ask on); nothing was written", a->mode_name);
		return 0;
	}
	fprintf(stderr, "%s--mode %s ERASES ALL USER DATA%s (photos, apps, accounts)%s on:",
		out_c("red"), a->mode_name, out_c("reset"),
		a->mode == RF_MODE_LOCK ? " and relocks the bootloader" : "");
	for (size_t i = 0; i < n; i++)
		if (!tg[i].rc)
			fprintf(stderr, " %s", tg[i].id);
	fprintf(stderr, "\nType yes to go on: ");
	if (!fgets(line, sizeof line, stdin) || strcmp(line, "yes\n")) {
		out_error("not confirmed; nothing was written");
		return 0;
	}
	return 1;
}

/* --resume: where each phone stopped; lockstep starts at the earliest. */
static int resume_point(const struct rf_package *pkg,
			const struct rf_plan *pl, struct rf_flash_target *tg, size_t n,
			size_t *start)
{
	*start = SIZE_MAX;
	for (size_t i = 0; i < n; i++) {
		struct rf_resume rs;
		char err[RF_ERRLEN];
		int rc = rf_resume_load(tg[i].id, &rs, err);
		if (rc) {
			out_error("--resume: %s", err);
			return RF_EXIT_USAGE;
		}
		if (strcmp(rs.md5, pkg->md5) || strcmp(rs.mode, rf_mode_name(pl->mode)) ||
		    rs.nsteps != pl->steps.n) {
			out_error("--resume: the saved progress of %s is for %s (mode %s), not this package and mode",
				  tg[i].id, rs.package, rs.mode);
			return RF_EXIT_USAGE;
		}
		out_msg("Resuming %s at step %zu/%zu%s%s%s", tg[i].id, rs.next + 1, rs.nsteps,
			rs.failed[0] ? " (it stopped with: " : "", rs.failed,
			rs.failed[0] ? ")" : "");
		if (rs.next < *start)
			*start = rs.next;
	}
	return 0;
}

/* --resume --skip N: the user confirms the step the flash stopped at is a
 * dead end (a command this phone refuses every time); the run starts after
 * it and the report says so. */
static int skip_step(const struct rf_plan *pl, const struct flash_args *a,
		     struct rf_flash_run *run)
{
	const struct rf_step *s;
	if ((size_t)a->skip != run->start + 1) {
		out_error("--skip %ld: the flash stopped at step %zu; only that step can be "
			  "skipped", a->skip, run->start + 1);
		return RF_EXIT_USAGE;
	}
	s = &pl->steps.v[run->start];
	if (rf_step_is_check(s)) {
		out_error("--skip %ld: step %ld is a check; checks cannot be skipped", a->skip,
			  a->skip);
		return RF_EXIT_USAGE;
	}
	out_warn("skipping step %ld/%zu (%s %s, %s) as asked with --skip%s", a->skip,
		 pl->steps.n, rf_op_name(s->op), s->partition[0] ? s->partition : s->arg,
		 s->src, rf_step_writes(s) ? ": that partition stays as it is" : "");
	run->start++;
	run->skipped = (long)run->start;
	return RF_EXIT_OK;
}

static void shell_quote(const char *s, char *out, size_t cap)
{
	size_t n = 0;
	if (!strpbrk(s, " '\"\\$`!*?&;|<>(){}[]#~\t")) {
		snprintf(out, cap, "%s", s);
		return;
	}
	out[n++] = '\'';
	for (; *s && n + 5 < cap; s++) {
		if (*s == '\'') {
			memcpy(out + n, "'\\''", 4);
			n += 4;
		} else {
			out[n++] = *s;
		}
	}
	out[n++] = '\'';
	out[n] = 0;
}

int cmd_flash(struct rf_cli *cli, int argc, char **argv)
{
	struct flash_args a;
	struct rf_package pkg;
	struct rf_pkg_opts po;
	struct rf_plan pl;
	struct rf_flash_target *tg = NULL;
	struct rf_flash_run run;
	struct rf_resolved src;
	char size[32], qpkg[4200], resume_args[4400];
	size_t n = 0, ok;
	int rc, ex = RF_EXIT_OK;

	memset(&pkg, 0, sizeof pkg);
	memset(&pl, 0, sizeof pl);
	if (parse_args(argc, argv, &a))
		return usage();
	if (a.dry_run)
		return dry_run(cli, &a);
	/* a URL or a catalog version: downloaded and verified first */
	struct rf_cli_fetch fo = { .region = a.region, .md5 = a.md5, .retries = -1 };
	ex = rf_cli_resolve(cli, &fo, a.package, RF_ROM_FASTBOOT, &src);
	if (ex)
		return ex;
	if ((ex = rf_cli_name_check(src.path)))
		return ex;

	/* 1. The phone(s): found first, so a missing phone is said at once,
	 * not after reading a gigabyte. */
	tg = calloc(MAX_PHONES, sizeof *tg);
	if (!tg) {
		out_error("out of memory");
		ex = RF_EXIT_DEVICE;
		goto out;
	}
	ex = open_targets(cli, &a, tg, &n);
	if (ex)
		goto out;

	/* 2. The package: verified, every image present, the plan built. */
	memset(&po, 0, sizeof po);
	po.md5 = a.md5 ? a.md5 : src.md5[0] ? src.md5 : NULL;
	po.refuse_zip = 1;
	po.gz_index = 1; /* images in script order without re-reading the file */
	po.cancel = &rf_interrupted;
	/* a file verified before (unchanged since) is not read whole again:
	 * its window digests still check every byte sent */
	char records[4096];
	rf_pkg_record_dir(records, sizeof records);
	po.record_dir = records;
	{
		struct rf_progress vp;
		progress_start(&vp, "checking the package", NULL, 0);
		po.progress = verify_progress;
		po.progress_user = &vp;
		out_msg("Checking %s", src.path);
		rc = rf_pkg_open(&pkg, src.path, &po);
		if (vp.total)
			progress_done(&vp, rc == RF_OK);
	}
	if (rc) {
		out_error("%s", pkg.err);
		ex = rc == RF_EINTR ? RF_EXIT_INTERRUPTED : RF_EXIT_PACKAGE;
		goto out;
	}
	if (pkg.kind == RF_PKG_TGZ && pkg.md5_state != RF_MD5_FULL &&
	    pkg.md5_state != RF_MD5_PREFIX) {
		out_error("%s cannot be verified: its name carries no MD5 and none was given; "
			  "pass --md5 with the MD5 from the ROM's release page", a.package);
		ex = RF_EXIT_PACKAGE;
		goto out;
	}
	if (pkg.kind == RF_PKG_DIR)
		out_warn("a folder cannot be checked against the package's MD5; flashing it as it is");
	if (pkg.from_record)
		out_msg("  verified when this very file was first read (its bytes are checked again as they are sent)");
	rc = rf_plan_build(&pl, &pkg, a.mode, RF_DEFAULT_MAX_DL);
	if (rc) {
		out_error("%s", pl.err);
		ex = RF_EXIT_PACKAGE;
		goto out;
	}
	out_msg("Package %s%s%s: %s, MD5 %s (%s), script %s, %zu steps",
		out_c("bold"), pkg.name.version[0] ? pkg.name.version : "(unknown version)",
		out_c("reset"), out_size(pkg.file_size, size, sizeof size),
		pkg.md5[0] ? pkg.md5 : "-", rf_md5_state_name(pkg.md5_state), pl.script,
		pl.steps.n);

	/* 3. Every check of the script against the phone(s). */
	memset(&run, 0, sizeof run);
	rf_cli_device_env(cli, &run.dev);
	run.pkg = &pkg;
	run.plan = &pl;
	run.tg = tg;
	run.ntg = n;
	run.no_reboot = a.no_reboot;
	run.wait_timeout_s = a.wait_s;
	shell_quote(a.package, qpkg, sizeof qpkg);
	snprintf(resume_args, sizeof resume_args, " flash %s%s%s%s%s%s%s --resume", qpkg,
		 a.region ? " --region " : "", a.region ? a.region : "",
		 a.mode != RF_MODE_KEEP_DATA ? " --mode " : "",
		 a.mode != RF_MODE_KEEP_DATA ? a.mode_name : "",
		 a.mode != RF_MODE_KEEP_DATA ? " --yes" : "",
		 a.no_reboot ? " --no-reboot" : "");
	run.resume_args = resume_args;
	if (a.resume) {
		ex = resume_point(&pkg, &pl, tg, n, &run.start);
		if (!ex && a.skip)
			ex = skip_step(&pl, &a, &run);
		if (ex)
			goto out;
	} else {
		for (size_t i = 0; i < n; i++) {
			struct rf_resume rs;
			char e[RF_ERRLEN];
			if (!rf_resume_load(tg[i].id, &rs, e))
				out_warn("%s: an earlier flash stopped at step %zu; starting over "
					 "(--resume continues instead)", tg[i].id, rs.next + 1);
		}
	}
	ok = rf_flash_preflight(&run);
	for (size_t i = 0; i < n; i++)
		if (tg[i].rc) {
			out_error("%s: %s; nothing was written to it", tg[i].id, tg[i].err);
			if (!ex)
				ex = tg[i].exit_status;
		}
	if (!ok)
		goto out;
	{
		uint32_t m = UINT32_MAX;
		for (size_t i = 0; i < n; i++)
			if (!tg[i].rc && tg[i].max_dl < m)
				m = tg[i].max_dl;
		if (m != pl.max_dl && (rc = rf_plan_set_max_dl(&pl, &pkg, m))) {
			out_error("%s", pl.err);
			ex = RF_EXIT_PACKAGE;
			goto out;
		}
	}
	out_msg("Checks passed on %zu phone%s; writing %s in %u download%s",
		ok, ok > 1 ? "s" : "", out_size(pl.bytes, size, sizeof size), pl.downloads,
		pl.downloads == 1 ? "" : "s");
	if (!confirm_wipe(&a, tg, n)) {
		ex = RF_EXIT_USAGE;
		goto out;
	}

	/* 4. Write. */
	ok = rf_flash_execute(&run);
	for (size_t i = 0; i < n; i++)
		if (tg[i].rc && !ex)
			ex = tg[i].exit_status ? tg[i].exit_status : RF_EXIT_DEVICE;
	if (ok == n && !ex)
		out_msg("%sDone%s: %zu phone%s flashed with %s%s%s", out_c("green"), out_c("reset"),
			ok, ok > 1 ? "s" : "", pkg.name.version[0] ? pkg.name.version : a.package,
			a.no_reboot ? " (not rebooted: --no-reboot)" : "",
			run.skipped > 0 ? " -- except the step skipped with --skip" : "");
out:
	for (size_t i = 0; tg && i < n; i++)
		rf_transport_close(tg[i].t);
	free(tg);
	rf_plan_free(&pl);
	rf_pkg_close(&pkg);
	return ex;
}
