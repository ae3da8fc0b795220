/* romflash fetch URL|VERSION [-o DIR] ...: download a package into the
 * cache (or DIR), resumable and verified; and rf_cli_resolve, the same
 * for the PACKAGE argument of flash, plan, info and sideload.
 *
 * Defaults a test or a user may change through the environment (the
 * options of `fetch` win): ROMFLASH_STALL_TIMEOUT (seconds without a
 * byte before an attempt is given up, 30), ROMFLASH_RETRIES (5),
 * ROMFLASH_RETRY_DELAY_MS (first backoff, 1000, doubling), ROMFLASH_CACERT
 * (CA bundle instead of the system's store).  The cache is
 * $XDG_CACHE_HOME/romflash, else ~/.cache/romflash. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "md5.h"
#include "pkgname.h"
#include "output.h"

struct fetch_ui {
	struct out_bar p;
	int started;
	uint64_t base;    /* resumed from: the rate counts this run's bytes */
	const char *url;
	double t0;
};

static long env_num(const char *name, long dflt, long min, long max)
{
	const char *v = getenv(name);
	char *end;
	long n;
	if (!v || !*v)
		return dflt;
	n = strtol(v, &end, 10);
	if (*end || n < min || n > max) {
		out_warn("%s=%s ignored (wants %ld..%ld)", name, v, min, max);
		return dflt;
	}
	return n;
}

static void cache_dir(char *out, size_t cap)
{
	const char *x = getenv("XDG_CACHE_HOME"), *h = getenv("HOME");
	if (x && *x)
		snprintf(out, cap, "%s/romflash", x);
	else
		snprintf(out, cap, "%s/.cache/romflash", h && *h ? h : "/tmp");
}

static void json_note(const char *event, const char *key, const char *msg,
		      const struct rf_dl_event *e)
{
	struct jw j;
	jw_begin(&j, event);
	jw_str(&j, key, msg);
	jw_u64(&j, "bytes", e->done);
	jw_u64(&j, "total", e->total);
	if (e->kind == RF_DL_EV_RETRY) {
		jw_u64(&j, "attempt", e->attempt);
		jw_double(&j, "delay", e->delay_ms / 1000.0);
	}
	jw_end(&j);
}

static void on_event(void *user, const struct rf_dl_event *e)
{
	struct fetch_ui *u = user;
	char a[32], b[32];

	switch (e->kind) {
	case RF_DL_EV_START:
		u->base = e->offset;
		if (u->started)
			break;
		u->started = 1;
		if (e->offset)
			out_msg("Resuming the download at %s", out_size(e->offset, a, sizeof a));
		if (out_is_json()) {
			struct jw j;
			jw_begin(&j, "download_start");
			jw_str(&j, "url", u->url);
			jw_u64(&j, "offset", e->offset);
			jw_end(&j);
		}
		out_bar_start(&u->p, "downloading", 0);
		break;
	case RF_DL_EV_PROGRESS:
		if (!e->total || e->done < u->base)
			break;
		u->p.total = e->total - u->base;
		out_bar_update(&u->p, e->done - u->base);
		break;
	case RF_DL_EV_RETRY:
		out_bar_done(&u->p, 0);
		if (out_is_json())
			json_note("download_retry", "error", e->msg, e);
		out_warn("%s at %s of %s; retrying in %.1f s (retry %u)", e->msg,
			 out_size(e->done, a, sizeof a), e->total ? out_size(e->total, b, sizeof b)
			 : "?", e->delay_ms / 1000.0, e->attempt - 1);
		/* the next attempt's rate starts now */
		out_bar_start(&u->p, "downloading", 0);
		break;
	case RF_DL_EV_RESTART:
		if (out_is_json())
			json_note("download_restart", "reason", e->msg, e);
		out_warn("%s", e->msg);
		break;
	case RF_DL_EV_WARN:
		if (out_is_json())
			json_note("warning", "message", e->msg, e);
		out_warn("%s", e->msg);
		break;
	case RF_DL_EV_LOCKED:
		out_msg("Another romflash is working on this file; waiting for it (%s)", e->msg);
		if (out_is_json())
			json_note("download_waiting", "lock", e->msg, e);
		break;
	}
}

int rf_cli_resolve(struct rf_cli *cli, const struct rf_cli_fetch *f,
		   const char *arg, enum rf_rom_type type, struct rf_resolved *res)
{
	struct rf_resolve_opts ro;
	struct fetch_ui ui;
	char dir[4096];
	int ex, rc;
	(void)cli;

	memset(&ro, 0, sizeof ro);
	memset(&ui, 0, sizeof ui);
	ro.type = type;
	ro.region = f ? f->region : NULL;
	ro.md5 = f ? f->md5 : NULL;
	ro.catalog = rf_cli_catalog(&ex);
	if (!ro.catalog)
		return ex;
	if (f && f->dir)
		snprintf(dir, sizeof dir, "%s", f->dir);
	else
		cache_dir(dir, sizeof dir);
	ro.dl.dir = dir;
	ro.dl.cacert = f && f->cacert ? f->cacert : getenv("ROMFLASH_CACERT");
	ro.dl.stall_s = (unsigned)(f && f->stall_s ? f->stall_s
				   : env_num("ROMFLASH_STALL_TIMEOUT", RF_DL_STALL_S, 1, 3600));
	ro.dl.retries = f && f->retries >= 0 ? f->retries
			: (int)env_num("ROMFLASH_RETRIES", RF_DL_RETRIES, 0, 100);
	ro.dl.retry_delay_ms = (unsigned)env_num("ROMFLASH_RETRY_DELAY_MS",
						  RF_DL_RETRY_DELAY_MS, 1, 600000);
	ro.dl.stop = &rf_interrupted;
	ro.dl.event = on_event;
	ro.dl.user = &ui;
	ro.dl.watch = f ? f->watch : NULL;
	ui.url = arg;
	ui.t0 = out_now();
	if (rf_pkg_source_of(arg) != RF_SRC_LOCAL)
		out_msg("Fetching %s", arg);
	if (f && f->pkg_opts && f->pkg)
		rc = rf_resolve_open(arg, &ro, f->pkg_opts, f->pkg, res);
	else
		rc = rf_resolve_package(arg, &ro, res);
	if (ui.started)
		out_bar_done(&ui.p, rc == RF_OK);
	if (rc) {
		out_error("%s", res->err);
		if (rc == RF_EINTR)
			return RF_EXIT_INTERRUPTED;
		return res->download_failed ? RF_EXIT_DOWNLOAD : RF_EXIT_USAGE;
	}
	if (res->source == RF_SRC_LOCAL)
		return RF_EXIT_OK;
	if (out_is_json()) {
		struct jw j;
		jw_begin(&j, "fetched");
		jw_str(&j, "url", res->rom && res->source == RF_SRC_CATALOG ? res->rom->url : arg);
		jw_str(&j, "path", res->path);
		jw_u64(&j, "size", res->dl.size);
		jw_str(&j, "md5", res->dl.md5);
		jw_str(&j, "md5_checked", rf_dl_md5_source_name(res->dl.md5_source));
		jw_bool(&j, "cached", res->dl.cached);
		jw_double(&j, "seconds", out_now() - ui.t0);
		if (res->pkg_opened && !res->pkg_rc) {
			jw_str(&j, "package_check", res->pkg_beside ? "while-downloading"
			       : f->pkg->from_record ? "record" : "after-download");
			jw_double(&j, "package_ready_after", res->pkg_after_s);
			jw_u64(&j, "package_restarts", res->pkg_restarts);
		}
		jw_end(&j);
	} else {
		char a[32];
		out_msg("%s %s (%s), MD5 %s %s", res->dl.cached ? "Already here:" : "Saved",
			res->path, out_size(res->dl.size, a, sizeof a), res->dl.md5,
			res->dl.md5_source == RF_DL_MD5_FULL ? "verified (full MD5)"
			: res->dl.md5_source == RF_DL_MD5_PREFIX ? "verified (prefix in the name)"
			: "NOT verified (no MD5 known)");
	}
	if (res->pkg_opened && !res->pkg_rc && res->pkg_beside)
		out_msg("  package checked while it downloaded%s", res->pkg_restarts
			? " (started over with the server's new file)" : "");
	if (res->dl.md5_source == RF_DL_MD5_NONE)
		out_warn("%s: no MD5 known (not in the catalog, none in its name, no --md5): "
			 "it is not verified", res->path);
	return RF_EXIT_OK;
}

int rf_cli_name_check(const char *path)
{
	struct rf_pkgname n;
	if (!rf_pkgname_parse(path, &n) || !n.note[0])
		return RF_EXIT_OK;
	if (n.partial) {
		out_error("%s is %s; finish the download first", path, n.note);
		return RF_EXIT_PACKAGE;
	}
	out_warn("%s: %s", path, n.note);
	return RF_EXIT_OK;
}

int rf_cli_open_package(struct rf_cli *cli, const struct rf_cli_fetch *f,
			const char *arg, struct rf_pkg_opts *po,
			struct rf_package *pkg, struct rf_resolved *src, int *pkg_rc)
{
	struct rf_cli_fetch fo = *f;
	int ex;
	fo.pkg_opts = po;
	fo.pkg = pkg;
	memset(pkg, 0, sizeof *pkg);
	*pkg_rc = RF_OK;
	ex = rf_cli_resolve(cli, &fo, arg, RF_ROM_FASTBOOT, src);
	if (!ex)
		ex = rf_cli_name_check(src->path);
	if (ex) {
		rf_pkg_close(pkg);
		return ex;
	}
	if (!po->md5 && src->md5[0])
		po->md5 = src->md5;
	*pkg_rc = src->pkg_opened ? src->pkg_rc : rf_pkg_open(pkg, src->path, po);
	return RF_EXIT_OK;
}

int cmd_fetch(struct rf_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "region", required_argument, NULL, 'r' },
		{ "type", required_argument, NULL, 't' },
		{ "md5", required_argument, NULL, '5' },
		{ "cacert", required_argument, NULL, 'c' },
		{ "stall-timeout", required_argument, NULL, 'S' },
		{ "retries", required_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 },
	};
	struct rf_cli_fetch f = { .retries = -1 };
	enum rf_rom_type type = RF_ROM_ANY;
	struct rf_resolved res;
	char *end;
	int c;

	while ((c = rf_cli_getopt(argc, argv, "o:", opts)) != -1) {
		switch (c) {
		case 'o': f.dir = optarg; break;
		case 'r': f.region = optarg; break;
		case '5': f.md5 = optarg; break;
		case 'c': f.cacert = optarg; break;
		case 't':
			if (!strcmp(optarg, "fastboot"))
				type = RF_ROM_FASTBOOT;
			else if (!strcmp(optarg, "recovery"))
				type = RF_ROM_RECOVERY;
			else
				return rf_cli_usage("fetch: --type wants fastboot or "
						    "recovery");
			break;
		case 'S':
			f.stall_s = (unsigned)strtoul(optarg, &end, 10);
			if (*end || !f.stall_s || f.stall_s > 3600)
				return rf_cli_usage("fetch: --stall-timeout wants 1..3600 "
						    "seconds");
			break;
		case 'R':
			f.retries = (int)strtol(optarg, &end, 10);
			if (*end || f.retries < 0 || f.retries > 100)
				return rf_cli_usage("fetch: --retries wants 0..100");
			break;
		default: return RF_EXIT_USAGE;
		}
	}
	if (optind + 1 != argc)
		return rf_cli_usage("fetch: %s", optind == argc ? "what to fetch is "
				    "missing" : "one package at a time");
	if (rf_cli_md5_arg(argv[0], f.md5))
		return RF_EXIT_USAGE;
	if (rf_pkg_source_of(argv[optind]) == RF_SRC_LOCAL) {
		out_error("fetch: '%s' is neither an http(s):// URL nor a catalog version "
			  "(romflash catalog lists them)", argv[optind]);
		return RF_EXIT_USAGE;
	}
	return rf_cli_resolve(cli, &f, argv[optind], type, &res);
}
