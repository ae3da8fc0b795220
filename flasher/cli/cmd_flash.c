/* romflash flash PACKAGE: find the phone(s), identify and lock them, get
 * the wipe confirmation, open and verify the package, build the plan,
 * check where each phone resumes, preflight, execute.  Nothing is written
 * to a phone before every check passed (SPEC safety rule 2). */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adb_ui.h"
#include "cli.h"
#include "device.h"
#include "effects.h"
#include "flash_exec.h"
#include "output.h"
#include "package.h"
#include "pkg_record.h"
#include "phone_id.h"
#include "plan.h"
#include "resume.h"
#include "rf_str.h"
#include "transport_usb.h"

#define MAX_PHONES 64
#define FLASH_WAIT_S 60 /* for a phone restarting into the bootloader */

struct flash_args {
	const char *package, *md5, *mode_name, *force_device, *region;
	enum rf_mode mode;
	int yes, no_reboot, resume, all, dry_run, wait_s, no_resume, confirm_phone;
	long skip;         /* --skip N: 1-based step, 0 none */
	char cmdline[512]; /* for the lock file: who holds the phone */
};

static void remember_cmdline(struct flash_args *a, int argc, char **argv)
{
	size_t n = (size_t)snprintf(a->cmdline, sizeof a->cmdline, "romflash");
	for (int i = 0; i < argc && n < sizeof a->cmdline; i++)
		n += (size_t)snprintf(a->cmdline + n, sizeof a->cmdline - n, " %s", argv[i]);
}

/* `flash boot boot.img`: fastboot's habit, romflash's flash-image. */
static int flash_image_meant(char **argv, int first, int argc)
{
	if (argc - first != 2)
		return 0;
	rf_cli_usage("flash takes one PACKAGE; to write one image to a partition: "
		     "romflash flash-image %s %s", argv[first], argv[first + 1]);
	return 1;
}

static int parse_args(const struct rf_cli *cli, int argc, char **argv, struct flash_args *a)
{
	static const struct option opts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "md5", required_argument, NULL, '5' },
		{ "yes", no_argument, NULL, 'y' },
		{ "no-reboot", no_argument, NULL, 'n' },
		{ "resume", no_argument, NULL, 'r' },
		{ "no-resume", no_argument, NULL, 'N' },
		{ "confirm-phone", no_argument, NULL, 'c' },
		{ "all", no_argument, NULL, 'a' },
		{ "dry-run", no_argument, NULL, 'd' },
		{ "force-device", required_argument, NULL, 'f' },
		{ "skip", required_argument, NULL, 'k' },
		{ "region", required_argument, NULL, 'g' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;
	memset(a, 0, sizeof *a);
	a->mode_name = "keep-data";
	/* the global --wait also bounds the wait for a phone coming back from
	 * a restart, which a flash cannot do without (0 there: the default) */
	a->wait_s = cli->wait_given && cli->wait_s > 0 ? cli->wait_s : FLASH_WAIT_S;
	remember_cmdline(a, argc, argv);
	while ((c = rf_cli_getopt(argc, argv, "m:y", opts)) != -1) {
		switch (c) {
		case 'm': a->mode_name = optarg; break;
		case '5': a->md5 = optarg; break;
		case 'y': a->yes = 1; break;
		case 'n': a->no_reboot = 1; break;
		case 'r': a->resume = 1; break;
		case 'N': a->no_resume = 1; break;
		case 'c': a->confirm_phone = 1; break;
		case 'a': a->all = 1; break;
		case 'd': a->dry_run = 1; break;
		case 'f': a->force_device = optarg; break;
		case 'k':
			a->skip = strtol(optarg, &end, 10);
			if (*end || a->skip <= 0)
				return rf_cli_usage("flash: --skip wants a step number");
			break;
		case 'g': a->region = optarg; break;
		default: return RF_EXIT_USAGE;
		}
	}
	if (flash_image_meant(argv, optind, argc))
		return RF_EXIT_USAGE;
	if (optind != argc - 1)
		return rf_cli_usage("flash: %s", optind == argc ? "the package is missing"
				    : "one package at a time");
	if (a->resume && a->no_resume)
		return rf_cli_usage("flash: --resume and --no-resume exclude each other");
	if (a->skip && !a->resume)
		return rf_cli_usage("flash: --skip goes with --resume (it skips the step "
				    "the flash stopped at)");
	a->package = argv[optind];
	if (rf_cli_mode(argv[0], a->mode_name, &a->mode) || rf_cli_md5_arg(argv[0], a->md5))
		return RF_EXIT_USAGE;
	/* the canonical name from here on (the resume command, JSON) */
	a->mode_name = rf_mode_name(a->mode);
	return RF_EXIT_OK;
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

/* ---- the phones ---- */

static void target_init(struct rf_flash_target *t)
{
	const char *id = t->t->serial[0] ? t->t->serial : t->t->location;
	rf_strlcpy(t->id, id, sizeof t->id);
	rf_strlcpy(t->selector, id, sizeof t->selector);
}

/* The one phone -s names (or the only one attached). */
static int open_one(struct rf_cli *cli, const struct flash_args *a,
		    struct rf_flash_target *tg, size_t *n)
{
	struct rf_device_env env;
	char err[RF_ERRLEN] = "";
	int rc;

	rf_cli_device_env(cli, &env);
	rc = rf_device_open_fastboot(&env, &tg[0].t, &tg[0].fb, err);
	if (rc && !a->resume && rc != RF_EMULTIPLE) {
		/* a phone booted into Android or recovery: offer to move it
		 * into the bootloader (adb_ui.c) */
		int ex = adb_ui_offer_fastboot(cli, a->yes, a->wait_s, &tg[0].t, &tg[0].fb);
		if (ex > 0)
			return ex;
		if (ex == 0)
			rc = RF_OK;
	}
	if (rc == RF_ENODEV && a->resume) {
		/* after a cut cable or a failed reboot the phone may still be
		 * on its way back */
		out_msg("Waiting up to %d s for the phone to be in fastboot mode ...", a->wait_s);
		rc = rf_device_wait_fastboot(&env, cli->device, a->wait_s, NULL, NULL,
					     &tg[0].t, &tg[0].fb, err);
	}
	if (rc) {
		out_error("%s", err);
		return rf_exit_for(rc);
	}
	target_init(&tg[0]);
	*n = 1;
	return RF_EXIT_OK;
}

/* --all: each phone of a comma-separated -s list, else every USB phone in
 * fastboot mode. */
static int open_all(struct rf_cli *cli, struct rf_flash_target *tg, size_t *n)
{
	struct rf_device_env env;
	struct rf_usb_devinfo *d = NULL;
	char err[RF_ERRLEN] = "", list[1024], *save = NULL;
	size_t nd = 0;
	int rc;

	rf_cli_device_env(cli, &env);
	if (cli->device) {
		rf_strlcpy(list, cli->device, sizeof list);
		for (char *s = strtok_r(list, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
			if (*n == MAX_PHONES) {
				out_error("more than %d phones: flash them in groups", MAX_PHONES);
				return RF_EXIT_USAGE;
			}
			env.selector = s;
			if ((rc = rf_device_open_fastboot(&env, &tg[*n].t, &tg[*n].fb, err))) {
				out_error("%s: %s", s, err);
				return rf_exit_for(rc);
			}
			target_init(&tg[(*n)++]);
		}
		return RF_EXIT_OK;
	}
	if ((rc = rf_usb_list(1u << RF_USB_PROTO_FASTBOOT, &d, &nd, err))) {
		out_error("%s", err);
		return rf_exit_for(rc);
	}
	for (size_t i = 0; i < nd && !rc; i++) {
		env.selector = d[i].serial[0] ? d[i].serial : d[i].location;
		if (*n == MAX_PHONES) {
			out_error("more than %d phones in fastboot mode: flash them in groups with -s",
				  MAX_PHONES);
			rc = RF_EXIT_USAGE;
		} else if (rf_device_open_fastboot(&env, &tg[*n].t, &tg[*n].fb, err)) {
			out_warn("%s: %s (left out)", d[i].location, err);
		} else {
			target_init(&tg[(*n)++]);
		}
	}
	free(d);
	if (!rc && !*n) {
		out_error("no phone in fastboot mode found");
		return RF_EXIT_NODEV;
	}
	return rc;
}

/* Who each phone is, and one romflash per phone from here on. */
static int identify_and_lock(const struct flash_args *a, struct rf_flash_target *tg,
			     size_t n, struct rf_phone_lock **locks)
{
	char err[RF_ERRLEN];
	for (size_t i = 0; i < n; i++) {
		int rc = rf_phone_identify(&tg[i].fb, &tg[i].ident, err);
		if (!rc)
			rc = rf_phone_lock(&tg[i].ident, a->cmdline, &locks[i], err);
		if (rc) {
			out_error("%s: %s; nothing was written to it", tg[i].id, err);
			return rf_exit_for(rc);
		}
	}
	return RF_EXIT_OK;
}

static const char *phone_list(const struct rf_flash_target *tg, size_t n, char *buf, size_t cap)
{
	size_t k = 0;
	buf[0] = 0;
	for (size_t i = 0; i < n && k < cap; i++)
		k += (size_t)snprintf(buf + k, cap - k, "%s%s", i ? ", " : "", tg[i].id);
	return buf;
}

/* The wipe the mode means, confirmed on the phones found: typed yes, or
 * --yes (a missing --yes without a terminal was refused before anything
 * else). */
static int confirm_wipe(const struct flash_args *a, const struct rf_flash_target *tg, size_t n)
{
	char phones[1024], doing[64];
	snprintf(doing, sizeof doing, "--mode %s", a->mode_name);
	return rf_fx_confirm(rf_fx_of_mode(a->mode), a->yes, doing,
			     phone_list(tg, n, phones, sizeof phones));
}

/* What the plan itself does, beyond what its mode said and was confirmed
 * (a keep-data script that erases userdata; a lock mode whose script does
 * not relock): said, and confirmed again when it is more. */
static int confirm_plan(const struct flash_args *a, const struct rf_plan *pl,
			const struct rf_flash_target *tg, size_t n)
{
	unsigned said = rf_fx_of_mode(a->mode);
	struct rf_fx fx;
	rf_fx_of_plan(pl, &fx);
	if ((said & RF_FX_RELOCK) && !(fx.what & RF_FX_RELOCK))
		out_warn("%s does not relock the bootloader (no oem lock in it)", pl->script);
	if (!(fx.what & ~said))
		return 1;
	char doing[128], phones[1024];
	rf_fx_announce(fx.what, a->yes, a->mode_name, &fx, NULL);
	snprintf(doing, sizeof doing, "%s (--mode %s) also", pl->script, a->mode_name);
	return rf_fx_confirm(fx.what & ~said, a->yes, doing, phone_list(tg, n, phones,
									  sizeof phones));
}

/* ---- the package ---- */

static void verify_progress(void *user, uint64_t done, uint64_t total)
{
	struct out_bar *b = user;
	if (!b->label) /* a downloaded file read after its download */
		out_bar_start(b, "checking the package", total);
	b->total = total;
	out_bar_update(b, done);
}

/* How flash opens a package (records: room for the folder's name). */
static void package_opts(const struct flash_args *a, struct rf_pkg_opts *po,
			 char *records, size_t cap, struct out_bar *bar)
{
	memset(po, 0, sizeof *po);
	po->md5 = a->md5;
	po->refuse_zip = 1;
	po->gz_index = 1; /* images in script order without re-reading the file */
	po->cancel = &rf_interrupted;
	/* a file verified before (unchanged since) is not read whole again:
	 * its window digests still check every byte sent */
	rf_pkg_record_dir(records, cap);
	po->record_dir = records;
	po->progress = verify_progress;
	po->progress_user = bar;
}

/* The package: opened while it downloaded (src->pkg_opened), or now. */
static int open_package(const struct flash_args *a, const struct rf_resolved *src,
			struct rf_package *pkg, struct rf_plan *pl)
{
	struct rf_pkg_opts po;
	struct out_bar bar;
	char size[32], records[4096];
	int rc;

	package_opts(a, &po, records, sizeof records, &bar);
	if (!po.md5 && src->md5[0])
		po.md5 = src->md5;
	memset(&bar, 0, sizeof bar);
	if (src->pkg_opened) {
		rc = src->pkg_rc;
	} else {
		out_bar_start(&bar, "checking the package", 0);
		out_msg("Checking %s", src->path);
		rc = rf_pkg_open(pkg, src->path, &po);
	}
	if (bar.total)
		out_bar_done(&bar, rc == RF_OK);
	if (rc) {
		out_error("%s", pkg->err);
		return rc == RF_EINTR ? RF_EXIT_INTERRUPTED : RF_EXIT_PACKAGE;
	}
	if (pkg->kind == RF_PKG_TGZ && pkg->md5_state != RF_MD5_FULL &&
	    pkg->md5_state != RF_MD5_PREFIX) {
		out_error("%s cannot be verified: its name carries no MD5 and none was given; "
			  "pass --md5 with the MD5 from the ROM's release page", a->package);
		return RF_EXIT_PACKAGE;
	}
	if (pkg->kind == RF_PKG_DIR)
		out_warn("a folder cannot be checked against the package's MD5; flashing it as it is");
	if (pkg->from_record)
		out_msg("  verified when this very file was first read (its bytes are checked "
			"again as they are sent)");
	if (rf_plan_build(pl, pkg, a->mode, RF_DEFAULT_MAX_DL)) {
		out_error("%s", pl->err);
		return RF_EXIT_PACKAGE;
	}
	out_msg("Package %s%s%s: %s, MD5 %s (%s), script %s, %zu steps", out_c("bold"),
		pkg->name.version[0] ? pkg->name.version : "(unknown version)", out_c("reset"),
		out_size(pkg->file_size, size, sizeof size), pkg->md5[0] ? pkg->md5 : "-",
		rf_md5_state_name(pkg->md5_state), pl->script, pl->steps.n);
	return RF_EXIT_OK;
}

/* ---- where each phone starts ---- */

/* A phone without a serial number cannot prove it is the one that
 * stopped: the user says so. */
static int same_phone_confirmed(const struct flash_args *a, const struct rf_flash_target *t)
{
	char answer[16];
	if (t->ident.serial[0] || a->confirm_phone)
		return 1;
	if (out_ask(answer, sizeof answer, "%s has no serial number: romflash cannot tell it "
		    "from another phone of the same kind.\nIs it the phone whose flash stopped? "
		    "Type yes to resume: ", t->id) && !strcmp(answer, "yes"))
		return 1;
	out_error("--resume: %s has no serial number, so romflash cannot tell it is the phone "
		  "whose flash stopped; confirm with --confirm-phone (resuming on another phone "
		  "leaves it with a mixed ROM)", t->id);
	return 0;
}

/* --resume --skip N: the user confirms the step the flash stopped at is a
 * dead end (a command this phone refuses every time); the run starts after
 * it, and says so. */
static int skip_step(const struct rf_plan *pl, const struct flash_args *a,
		     struct rf_flash_target *t)
{
	const struct rf_step *s;
	if ((size_t)a->skip != t->start + 1) {
		out_error("--skip %ld: the flash of %s stopped at step %zu; only that step can be "
			  "skipped", a->skip, t->id, t->start + 1);
		return RF_EXIT_USAGE;
	}
	s = &pl->steps.v[t->start];
	if (rf_step_is_check(s)) {
		out_error("--skip %ld: step %ld is a check; checks cannot be skipped", a->skip,
			  a->skip);
		return RF_EXIT_USAGE;
	}
	out_warn("%s: skipping step %ld/%zu (%s %s, %s) as asked with --skip%s", t->id, a->skip,
		 pl->steps.n, rf_op_name(s->op), s->partition[0] ? s->partition : s->arg,
		 s->src, rf_step_writes(s) ? ": that partition stays as it is" : "");
	t->start++;
	return RF_EXIT_OK;
}

static int resume_point(const struct flash_args *a, const struct rf_package *pkg,
			const struct rf_plan *pl, struct rf_flash_target *t)
{
	struct rf_resume rs, other;
	char err[RF_ERRLEN], was[200], is[200];
	int rc = rf_resume_load(&t->ident, &rs, err);

	if (rc == RF_ENODEV && !rf_resume_find_at(t->ident.address, &t->ident, &other)) {
		rf_phone_describe(&other.phone, was, sizeof was);
		rf_phone_describe(&t->ident, is, sizeof is);
		out_error("--resume: the flash that stopped at %s was on phone %s; this is phone %s: "
			  "refused (resuming on another phone leaves it with a mixed ROM)",
			  t->ident.address, was, is);
		return RF_EXIT_NODEV;
	}
	if (rc) {
		out_error("--resume: %s", err);
		return RF_EXIT_USAGE;
	}
	if (strcmp(rs.md5, pkg->md5) || strcmp(rs.mode, rf_mode_name(pl->mode)) ||
	    rs.nsteps != pl->steps.n) {
		out_error("--resume: the saved progress of %s is for %s (mode %s), not this package "
			  "and mode", t->id, rs.package, rs.mode);
		return RF_EXIT_USAGE;
	}
	if (!same_phone_confirmed(a, t))
		return RF_EXIT_NODEV;
	out_msg("Resuming %s at step %zu/%zu%s%s%s", t->id, rs.next + 1, rs.nsteps,
		rs.failed[0] ? " (it stopped with: " : "", rs.failed, rs.failed[0] ? ")" : "");
	t->start = rs.next;
	return a->skip ? skip_step(pl, a, t) : RF_EXIT_OK;
}

static int start_points(const struct flash_args *a, const struct rf_package *pkg,
			const struct rf_plan *pl, struct rf_flash_target *tg, size_t n)
{
	char err[RF_ERRLEN];
	for (size_t i = 0; i < n; i++) {
		struct rf_resume rs;
		int ex;
		if (a->resume) {
			if ((ex = resume_point(a, pkg, pl, &tg[i])))
				return ex;
		} else if (!rf_resume_load(&tg[i].ident, &rs, err)) {
			out_warn("%s: an earlier flash stopped at step %zu; starting over "
				 "(--resume continues instead)", tg[i].id, rs.next + 1);
		}
	}
	/* progress that cannot be saved makes the resume command a lie */
	if (!a->no_resume && rf_resume_writable(err)) {
		out_error("cannot save progress (%s): a flash that stops could not be resumed; "
			  "set ROMFLASH_STATE_DIR to a writable folder, or run with --no-resume; "
			  "nothing was written", err);
		return RF_EXIT_USAGE;
	}
	return RF_EXIT_OK;
}

/* "Checks passed on 1 phone; writing 31 MiB in 14 downloads", counted
 * from where the phones start ("resuming at step 14 of 18: ... left"). */
static void announce(const struct rf_plan *pl, const struct rf_flash_target *tg, size_t n,
		     size_t ok)
{
	size_t from = SIZE_MAX;
	uint64_t bytes = 0;
	unsigned dls = 0;
	char size[32];
	for (size_t i = 0; i < n; i++)
		if (!tg[i].rc && tg[i].start < from)
			from = tg[i].start;
	for (size_t i = from; i < pl->steps.n; i++)
		if (pl->steps.v[i].image[0] && pl->steps.v[i].op != RF_OP_GETVAR_CHECK) {
			bytes += pl->steps.v[i].size;
			dls += pl->steps.v[i].downloads;
		}
	if (from)
		out_msg("Checks passed on %zu phone%s; resuming at step %zu of %zu: %s in %u "
			"download%s left", ok, ok > 1 ? "s" : "", from + 1, pl->steps.n,
			out_size(bytes, size, sizeof size), dls, dls == 1 ? "" : "s");
	else
		out_msg("Checks passed on %zu phone%s; writing %s in %u download%s", ok,
			ok > 1 ? "s" : "", out_size(bytes, size, sizeof size), dls,
			dls == 1 ? "" : "s");
}

/* ---- the command ---- */

static void shell_quote(const char *s, char *out, size_t cap)
{
	size_t n = 0;
	if (!strpbrk(s, " '\"\\$`!*?&;|<>(){}[]#~\t")) {
		rf_strlcpy(out, s, cap);
		return;
	}
	out[n++] = '\'';
	for (; *s && n + 6 < cap; s++) {
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

static void run_init(struct rf_flash_run *run, struct rf_cli *cli, const struct flash_args *a,
		     const struct rf_package *pkg, const struct rf_plan *pl,
		     struct rf_flash_target *tg, size_t n, char *resume_args, size_t cap)
{
	char qpkg[4200];
	memset(run, 0, sizeof *run);
	rf_cli_device_env(cli, &run->dev);
	run->pkg = pkg;
	run->plan = pl;
	run->tg = tg;
	run->ntg = n;
	run->no_reboot = a->no_reboot;
	run->wait_timeout_s = a->wait_s;
	run->no_progress = a->no_resume;
	run->force_device = a->force_device;
	run->skipped = a->skip;
	run->on_event = out_flash_event;
	shell_quote(a->package, qpkg, sizeof qpkg);
	snprintf(resume_args, cap, " flash %s%s%s%s%s%s%s%s%s --resume", qpkg,
		 a->region ? " --region " : "", a->region ? a->region : "",
		 a->mode != RF_MODE_KEEP_DATA ? " --mode " : "",
		 a->mode != RF_MODE_KEEP_DATA ? a->mode_name : "",
		 a->mode != RF_MODE_KEEP_DATA ? " --yes" : "", a->no_reboot ? " --no-reboot" : "",
		 a->force_device ? " --force-device " : "", a->force_device ? a->force_device : "");
	run->resume_args = resume_args;
}

/* The smallest max-download-size of the phones, for the plan's counts. */
static int plan_for_phones(struct rf_plan *pl, const struct rf_package *pkg,
			   const struct rf_flash_target *tg, size_t n)
{
	uint32_t m = UINT32_MAX;
	for (size_t i = 0; i < n; i++)
		if (!tg[i].rc && tg[i].max_dl < m)
			m = tg[i].max_dl;
	if (m != UINT32_MAX && m != pl->max_dl && rf_plan_set_max_dl(pl, pkg, m)) {
		out_error("%s", pl->err);
		return RF_EXIT_PACKAGE;
	}
	return RF_EXIT_OK;
}

/* With several phones, one line each at the end. */
static void results(const struct rf_flash_target *tg, size_t n, size_t steps)
{
	if (n < 2)
		return;
	out_msg("Results:");
	for (size_t i = 0; i < n; i++) {
		if (!tg[i].rc && tg[i].next >= steps)
			out_msg("  %s%-24s ok%s", out_c("green"), tg[i].id, out_c("reset"));
		else if (tg[i].failed_step >= 0)
			out_msg("  %s%-24s failed%s at step %d: %s", out_c("red"), tg[i].id,
				out_c("reset"), tg[i].failed_step + 1, tg[i].err);
		else
			out_msg("  %s%-24s refused%s: %s", out_c("red"), tg[i].id, out_c("reset"),
				tg[i].err);
	}
}

/* "Done: ... in 41.2 s (sending 25.0 s, the phone writing 12.1 s, ...)" */
static void done_line(const struct flash_args *a, const struct rf_package *pkg, size_t ok,
		      double total)
{
	double send_s, write_s, wait_s;
	char times[200] = "", waits[48] = "";
	out_flash_times(&send_s, &write_s, &wait_s);
	if (wait_s > 0)
		snprintf(waits, sizeof waits, ", restarts %.1f s", wait_s);
	if (ok == 1) /* several phones' times overlap: their sum says nothing */
		snprintf(times, sizeof times, " (sending %.1f s, the phone writing %.1f s%s, the "
			 "rest %.1f s)", send_s, write_s, waits, total - send_s - write_s - wait_s);
	out_msg("%sDone%s: %zu phone%s flashed with %s in %.1f s%s%s%s", out_c("green"),
		out_c("reset"), ok, ok > 1 ? "s" : "",
		pkg->name.version[0] ? pkg->name.version : a->package, total, times,
		a->no_reboot ? "; not rebooted (--no-reboot)" : "",
		a->skip ? " -- except the step skipped with --skip" : "");
}

/* The exit status of the run: the first phone's failure. */
static int run_status(const struct rf_flash_target *tg, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (tg[i].rc)
			return rf_exit_for(tg[i].rc);
	return RF_EXIT_OK;
}

int cmd_flash(struct rf_cli *cli, int argc, char **argv)
{
	struct flash_args a;
	struct rf_package pkg;
	struct rf_plan pl;
	struct rf_flash_target *tg = calloc(MAX_PHONES, sizeof *tg);
	struct rf_phone_lock *locks[MAX_PHONES] = { 0 };
	struct rf_flash_run run;
	struct rf_resolved src;
	char resume_args[4600];
	size_t n = 0, ok;
	double t0;
	int ex;

	memset(&pkg, 0, sizeof pkg);
	memset(&pl, 0, sizeof pl);
	memset(&run, 0, sizeof run);
	ex = tg ? parse_args(cli, argc, argv, &a) : RF_EXIT_DEVICE;
	if (!ex && a.dry_run)
		ex = dry_run(cli, &a);
	if (ex || a.dry_run) {
		free(tg);
		return ex;
	}
	/* a wipe or a relock is said before anything else, and without
	 * --yes and a terminal to ask on it stops here */
	char doing[64];
	snprintf(doing, sizeof doing, "--mode %s", a.mode_name);
	rf_fx_announce(rf_fx_of_mode(a.mode), a.yes, a.mode_name, NULL, NULL);
	ex = rf_fx_refuse_early(rf_fx_of_mode(a.mode), a.yes, doing) ? RF_EXIT_USAGE : 0;
	/* a URL or a catalog version: downloaded and verified first (before
	 * the phones are locked: a download may take long, and --wait counts
	 * from its end), the package checked while it arrives */
	struct rf_pkg_opts po;
	struct out_bar bar;
	char records[4096];
	package_opts(&a, &po, records, sizeof records, &bar);
	memset(&bar, 0, sizeof bar);
	struct rf_cli_fetch fo = { .region = a.region, .md5 = a.md5, .retries = -1,
				   .pkg_opts = &po, .pkg = &pkg };
	if (!ex)
		ex = rf_cli_resolve(cli, &fo, a.package, RF_ROM_FASTBOOT, &src);
	if (bar.total)
		out_bar_done(&bar, !ex && !src.pkg_rc);
	if (!ex)
		ex = rf_cli_name_check(src.path);
	if (!ex && src.pkg_opened) /* checked already: its verdict at once */
		ex = open_package(&a, &src, &pkg, &pl);
	if (ex)
		goto out;
	/* the phones first, so a missing one is said at once, not after
	 * reading a gigabyte; the wipe confirmed before the package is read */
	if (!ex)
		ex = a.all ? open_all(cli, tg, &n) : open_one(cli, &a, tg, &n);
	if (!ex)
		ex = identify_and_lock(&a, tg, n, locks);
	if (!ex && !confirm_wipe(&a, tg, n))
		ex = RF_EXIT_USAGE;
	if (!ex && !src.pkg_opened)
		ex = open_package(&a, &src, &pkg, &pl);
	if (!ex && !confirm_plan(&a, &pl, tg, n))
		ex = RF_EXIT_USAGE;
	if (!ex)
		ex = start_points(&a, &pkg, &pl, tg, n);
	if (ex)
		goto out;
	run_init(&run, cli, &a, &pkg, &pl, tg, n, resume_args, sizeof resume_args);
	ok = rf_flash_preflight(&run);
	ex = ok ? plan_for_phones(&pl, &pkg, tg, n) : run_status(tg, n);
	if (!ok || ex)
		goto out;
	announce(&pl, tg, n, ok);
	t0 = out_now();
	ok = rf_flash_execute(&run);
	results(tg, n, pl.steps.n);
	ex = run_status(tg, n);
	if (ok == n && !ex)
		done_line(&a, &pkg, ok, out_now() - t0);
out:
	rf_flash_release(&run); /* what the preflight made, when no flash followed */
	for (size_t i = 0; i < n; i++) {
		rf_transport_close(tg[i].t);
		rf_phone_unlock(locks[i]);
	}
	free(tg);
	rf_plan_free(&pl);
	rf_pkg_close(&pkg);
	return ex;
}
