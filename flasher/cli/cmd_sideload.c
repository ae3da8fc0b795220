/* romflash sideload ZIP: a recovery package to a phone in sideload mode.
 *
 * Every check comes before the first byte goes out: the zip's structure,
 * the device its updater-script asserts against the phone's banner, then
 * one pass over the file for its MD5 (the name's prefix, or --md5) and its
 * whole-file signature.  A phone in Android or recovery is moved into
 * sideload mode after asking.  Then the phone's block requests are served
 * from the verified file, each block proven unchanged. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adb_ui.h"
#include "cli.h"
#include "interrupt_msg.h"
#include "md5.h"
#include "output.h"
#include "pkgname.h"
#include "rf_str.h"
#include "sideload.h"
#include "zip.h"
#include "zip_verify.h"

#define MAX_SCRIPT (4u << 20)
#define ANY_ADB_MODE ((1u << RF_ADB_MODE_DEVICE) | (1u << RF_ADB_MODE_RECOVERY) | \
		      (1u << RF_ADB_MODE_SIDELOAD))

struct sl_args {
	const char *zip, *md5, *region;
	int yes, wait_s;
};

struct package {
	struct rf_zip z;
	struct rf_zip_verified v;
	char dev[RF_ZIP_MAX_DEVICES][64];
	size_t ndev;
	struct rf_pkgname name;
	int zip_open;
};

static int parse_args(const struct rf_cli *cli, int argc, char **argv, struct sl_args *a)
{
	static const struct option opts[] = {
		{ "md5", required_argument, NULL, '5' },
		{ "region", required_argument, NULL, 'r' },
		{ "yes", no_argument, NULL, 'y' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(a, 0, sizeof *a);
	a->wait_s = cli->wait_s; /* the global --wait: the phone, its prompt */
	while ((c = rf_cli_getopt(argc, argv, "y", opts)) != -1) {
		switch (c) {
		case '5': a->md5 = optarg; break;
		case 'r': a->region = optarg; break;
		case 'y': a->yes = 1; break;
		default: return RF_EXIT_USAGE;
		}
	}
	if (optind != argc - 1)
		return rf_cli_usage("sideload: %s", optind == argc ? "the zip is missing"
				    : "one zip at a time");
	a->zip = argv[optind];
	if (rf_cli_md5_arg(argv[0], a->md5))
		return RF_EXIT_USAGE;
	return RF_EXIT_OK;
}

/* ---- the package --------------------------------------------------------- */

/* Structure and target device: small reads, before the phone is touched. */
static int check_structure(const struct sl_args *a, struct package *k)
{
	const struct rf_zip_entry *e;
	char *script = NULL;
	size_t len;
	int rc = rf_zip_open(&k->z, a->zip);

	k->zip_open = 1;
	if (rc) {
		out_error("%s: %s", a->zip, k->z.err);
		return rc == RF_ENOMEM ? RF_EXIT_DEVICE : RF_EXIT_PACKAGE;
	}
	e = rf_zip_find(&k->z, RF_ZIP_UPDATER_SCRIPT);
	if (!e) {
		out_error("%s: no %s: not a recovery package", a->zip,
			  RF_ZIP_UPDATER_SCRIPT);
		return RF_EXIT_PACKAGE;
	}
	if (rf_zip_read_entry(&k->z, e, MAX_SCRIPT, &script, &len)) {
		out_error("%s: %s", a->zip, k->z.err);
		return RF_EXIT_PACKAGE;
	}
	k->ndev = rf_zip_script_devices(script, k->dev);
	free(script);
	if (!k->ndev) {
		out_error("%s: its updater-script asserts no ro.product.device: "
			  "romflash cannot tell which phone it is for", a->zip);
		return RF_EXIT_PACKAGE;
	}
	rf_pkgname_parse(a->zip, &k->name);
	return RF_EXIT_OK;
}

static void devices_text(const struct package *k, char *out, size_t cap)
{
	size_t n = 0;
	out[0] = 0;
	for (size_t i = 0; i < k->ndev && n < cap; i++)
		n += (size_t)snprintf(out + n, cap - n, "%s%s", i ? ", " : "",
				      k->dev[i]);
}

/* The phone must be one the package asserts (recovery would check too, but
 * only after the transfer, and a modified recovery may not). */
static int check_device(const struct sl_args *a, const struct package *k,
			const struct rf_adb_phone *p)
{
	const char *dev = p->adb.banner.device;
	char list[600];

	devices_text(k, list, sizeof list);
	if (!dev[0]) {
		out_error("the phone %s does not say which device it is (no "
			  "ro.product.device in its banner); %s is for %s: nothing "
			  "was sent", p->id, a->zip, list);
		return RF_EXIT_NODEV;
	}
	for (size_t i = 0; i < k->ndev; i++)
		if (!strcmp(dev, k->dev[i]))
			return RF_EXIT_OK;
	out_error("wrong phone: %s is for %s, the phone %s is %s; nothing was "
		  "sent", a->zip, list, p->id, dev);
	return RF_EXIT_NODEV;
}

static void verify_progress(void *user, uint64_t done, uint64_t total)
{
	struct out_bar *bar = user;
	bar->total = total;
	out_bar_update(bar, done);
}

static void package_event(const struct sl_args *a, const struct package *k,
			  const char *md5_state)
{
	static const char *sig[] = { "unsigned", "signed", "broken" };
	const char *dev[RF_ZIP_MAX_DEVICES];
	struct jw j;

	if (!out_is_json())
		return;
	for (size_t i = 0; i < k->ndev; i++)
		dev[i] = k->dev[i];
	jw_begin(&j, "package");
	jw_str(&j, "file", a->zip);
	jw_u64(&j, "size", k->z.size);
	jw_str(&j, "md5", k->v.md5);
	jw_str(&j, "md5_state", md5_state);
	jw_str(&j, "signature", sig[k->v.sig]);
	jw_str(&j, "signer", k->v.signer[0] ? k->v.signer : NULL);
	jw_str(&j, "fingerprint", k->v.fingerprint[0] ? k->v.fingerprint : NULL);
	jw_strs(&j, "devices", dev, k->ndev);
	jw_end(&j);
}

/* The whole file once: MD5 and signature.  Exit status. */
static int verify(const struct sl_args *a, struct package *k)
{
	struct rf_zip_verify_opts vo = { .stop = &rf_interrupted };
	struct out_bar bar;
	const char *want = a->md5 ? a->md5 :
		k->name.kind == RF_NAME_RECOVERY ? k->name.md5_prefix : NULL;
	char lower[33] = "";
	int rc;

	out_bar_start(&bar, "checking the package", k->z.size);
	vo.progress = verify_progress;
	vo.progress_user = &bar;
	rc = rf_zip_verify(&k->z, a->zip, &vo, &k->v);
	out_bar_done(&bar, rc == RF_OK);
	if (rc) {
		out_error("%s: %s", a->zip, k->z.err);
		return rc == RF_EINTR ? RF_EXIT_INTERRUPTED : RF_EXIT_PACKAGE;
	}
	for (size_t i = 0; want && want[i] && i < 32; i++)
		lower[i] = (char)(want[i] >= 'A' && want[i] <= 'F' ? want[i] + 32 : want[i]);
	package_event(a, k, !want ? "unknown" : a->md5 ? "full" : "prefix");
	if (want && strncmp(k->v.md5, lower, strlen(lower))) {
		out_error("%s: MD5 mismatch: %s %s%s, the file has %s (corrupt or "
			  "incomplete download?)", a->zip, a->md5 ? "expected" :
			  "the file name says", lower, a->md5 ? "" : "...", k->v.md5);
		return RF_EXIT_PACKAGE;
	}
	if (k->v.sig == RF_ZIP_SIG_BROKEN) {
		out_error("%s: %s; recovery would refuse it too: nothing was sent",
			  a->zip, k->v.why);
		return RF_EXIT_PACKAGE;
	}
	if (k->v.sig == RF_ZIP_UNSIGNED && !want) {
		out_error("%s is neither signed nor named with its MD5: it cannot "
			  "be verified; pass --md5 with the MD5 from the ROM's "
			  "release page", a->zip);
		return RF_EXIT_PACKAGE;
	}
	if (k->v.sig == RF_ZIP_UNSIGNED)
		out_warn("%s carries no whole-file signature: a stock recovery "
			 "will refuse it", a->zip);
	else
		out_msg("Signed by %s (%s)", k->v.signer, k->v.fingerprint);
	if (k->v.warning[0])
		out_warn("%s", k->v.warning);
	if (!want)
		out_warn("no MD5 to check %s against (none given, none in its "
			 "name): its signature vouches for it", a->zip);
	out_msg("Package %s: %"PRIu64" bytes, MD5 %s (%s), for %s", a->zip,
		k->z.size, k->v.md5, !want ? "not checked" : a->md5 ? "full" :
		"prefix", k->dev[0]);
	return RF_EXIT_OK;
}

/* ---- serving -------------------------------------------------------------- */

struct sl_view {
	struct out_bar bar;
	char label[96];
	double t0, last_json;
};

static void serve_progress(void *user, const struct rf_sideload_stats *st)
{
	struct sl_view *w = user;
	double now = out_now(), el = now - w->t0;
	double rate = el > 0 ? (double)st->unique / el : 0;

	if (out_is_json()) {
		struct jw j;
		if (now - w->last_json < 0.1 && st->unique < st->size)
			return;
		w->last_json = now;
		jw_begin(&j, "progress");
		jw_str(&j, "label", "sideload");
		jw_u64(&j, "bytes", st->unique);
		jw_u64(&j, "total", st->size);
		jw_u64(&j, "served", st->served);
		jw_u64(&j, "blocks", st->blocks);
		jw_double(&j, "rate", rate);
		jw_double(&j, "eta", rate > 0 ? (double)(st->size - st->unique) / rate : -1);
		jw_end(&j);
		return;
	}
	snprintf(w->label, sizeof w->label, "sideload, %" PRIu64 " blocks served",
		 st->blocks);
	out_bar_update(&w->bar, st->unique);
}

static void step_event(const char *event, const struct rf_sideload_stats *st,
		       double secs, const char *error)
{
	struct jw j;
	if (!out_is_json())
		return;
	jw_begin(&j, event);
	jw_str(&j, "op", "sideload");
	jw_u64(&j, "size", st->size);
	if (secs >= 0) {
		jw_double(&j, "seconds", secs);
		jw_u64(&j, "served", st->served);
		jw_u64(&j, "unique", st->unique);
		jw_u64(&j, "blocks", st->blocks);
		jw_str(&j, "service", st->legacy ? "sideload" : "sideload-host");
	}
	if (error)
		jw_str(&j, "error", error);
	jw_end(&j);
}

static int failed(const struct rf_sideload *s, int rc)
{
	char sz[32], tot[32];
	out_size(s->st.unique, sz, sizeof sz);
	out_size(s->st.size, tot, sizeof tot);
	switch (rc) {
	case RF_EFAIL:
		out_error("%s", s->err);
		return RF_EXIT_DEVICE;
	case RF_EFORMAT:
	case RF_ESYS:
		out_error("%s", s->err);
		return RF_EXIT_PACKAGE;
	case RF_EINTR:
		out_error("interrupted after %s of %s: the installation did not "
			  "finish; the phone stays in recovery: run the same "
			  "command again", sz, tot);
		return RF_EXIT_INTERRUPTED;
	case RF_EPROTO:
		/* the link is up, the phone said something else */
		out_error("%s", s->err);
		out_error("the sideload stopped after %s of %s: the installation did not "
			  "finish; the phone stays in recovery: on the phone, choose \"Apply "
			  "update from ADB\" and run the same command again", sz, tot);
		return RF_EXIT_DEVICE;
	default:
		/* the link is gone: one report, what was sent and what it means
		 * (the cause in brackets: the transport's words) */
		out_error("the link to the phone was lost (%s) after %" PRIu64 " blocks of the "
			  "zip were sent (%s of %s, %" PRIu64 " of %" PRIu64 " bytes): recovery "
			  "did not get the whole package and may have stopped installing "
			  "part-way; the phone stays in recovery: reconnect it, choose \"Apply "
			  "update from ADB\" and run the same command again (the package "
			  "installs from the start)", s->err, s->st.blocks, sz, tot,
			  s->st.unique, s->st.size);
		return RF_EXIT_DEVICE;
	}
}

static int serve(const struct sl_args *a, struct package *k,
		 struct rf_adb_phone *p)
{
	struct rf_zip_blocks blocks = { .z = &k->z, .v = &k->v };
	struct rf_sideload_src src = { .read = rf_zip_blocks_read,
				       .user = &blocks, .size = k->z.size };
	struct rf_sideload s = { .adb = &p->adb, .src = &src,
				 .stop = &rf_interrupted };
	struct sl_view w;
	char sz[32];
	int rc, ex = RF_EXIT_OK;

	/* a USB link that stays up may be silent while the phone installs;
	 * over TCP a silent link may be dead: 15 minutes at most */
	s.idle_timeout_ms = p->tcp ? 0 : -1;
	memset(&w, 0, sizeof w);
	snprintf(w.label, sizeof w.label, "sideload");
	out_bar_start(&w.bar, w.label, k->z.size);
	w.t0 = out_now();
	s.progress = serve_progress;
	s.progress_user = &w;
	out_msg("Sending %s (%s) to %s", a->zip, out_size(k->z.size, sz, sizeof sz),
		p->id);
	rf_cli_interrupt_say(RF_SAY_SIDELOAD_SERVE);
	step_event("step_start", &s.st, -1, NULL);
	rc = rf_sideload_run(&s);
	double secs = out_now() - w.t0;
	if (!out_is_json()) /* JSON progress is serve_progress's own */
		out_bar_done(&w.bar, rc == RF_OK);
	step_event(rc ? "step_failed" : "step_done", &s.st, secs, rc ? s.err : NULL);
	if (rc) {
		ex = failed(&s, rc);
	} else {
		out_msg("%sDone%s: the phone installed %s (%" PRIu64 " blocks, "
			"%.2fx the package, %.1f s, %.1f MB/s%s)", out_c("green"),
			out_c("reset"), k->name.version[0] ? k->name.version : a->zip,
			s.st.blocks, s.st.size ? (double)s.st.served / (double)s.st.size : 0,
			secs, secs > 0 ? (double)s.st.served / secs / 1e6 : 0,
			s.st.legacy ? ", legacy sideload" : "");
	}
	rf_zip_blocks_free(&blocks);
	return ex;
}

static void summary(int ex, double t0)
{
	struct jw j;
	if (!out_is_json())
		return;
	jw_begin(&j, "summary");
	jw_str(&j, "result", ex ? "failed" : "ok");
	jw_double(&j, "seconds", out_now() - t0);
	jw_i64(&j, "exit", ex);
	jw_end(&j);
}

static void phone_event(const struct rf_adb_phone *p)
{
	const struct rf_adb_banner *b = &p->adb.banner;
	out_msg("Phone %s (%s): %s mode, device %s", p->id, p->location,
		rf_adb_mode_name(b->mode), b->device[0] ? b->device : "unknown");
	if (out_is_json()) {
		struct jw j;
		jw_begin(&j, "phone");
		jw_str(&j, "serial", p->id);
		jw_str(&j, "mode", rf_adb_mode_name(b->mode));
		jw_str(&j, "product", b->device);
		jw_str(&j, "location", p->location);
		jw_end(&j);
	}
}

int cmd_sideload(struct rf_cli *cli, int argc, char **argv)
{
	struct sl_args a;
	struct package k;
	struct rf_adb_phone p;
	int phone_open = 0, ex;
	double t0 = out_now();

	memset(&k, 0, sizeof k);
	if ((ex = parse_args(cli, argc, argv, &a)))
		return ex;
	rf_cli_interrupt_say(RF_SAY_SIDELOAD_CHECK);
	/* a URL or a catalog version: downloaded (MD5-checked) first; the
	 * MD5 the catalog knows is then the full one to check against */
	struct rf_cli_fetch fo = { .region = a.region, .md5 = a.md5, .retries = -1 };
	struct rf_resolved src;
	ex = rf_cli_resolve(cli, &fo, a.zip, RF_ROM_RECOVERY, &src);
	if (ex)
		return ex;
	a.zip = src.path;
	if (!a.md5 && src.md5[0])
		a.md5 = src.md5;
	ex = check_structure(&a, &k);
	if (!ex)
		ex = adb_ui_open(cli, &p, a.wait_s, ANY_ADB_MODE);
	phone_open = !ex;
	if (!ex) {
		phone_event(&p);
		ex = check_device(&a, &k, &p);
	}
	if (!ex)
		ex = verify(&a, &k);
	if (!ex && rf_adb_phone_mode(&p) != RF_ADB_MODE_SIDELOAD) {
		if (!adb_ui_confirm(a.yes, p.id, rf_adb_mode_name(rf_adb_phone_mode(&p)),
				    "sideload mode"))
			ex = RF_EXIT_USAGE;
		if (!ex)
			ex = adb_ui_to_sideload(cli, &p, a.wait_s > 0 ? 2 * a.wait_s : 60);
		if (!ex) {
			phone_event(&p);
			ex = check_device(&a, &k, &p);
		}
	}
	if (!ex)
		ex = serve(&a, &k, &p);
	if (phone_open)
		rf_adb_phone_close(&p);
	rf_zip_verified_free(&k.v);
	if (k.zip_open)
		rf_zip_close(&k.z);
	summary(ex, t0);
	return ex;
}
