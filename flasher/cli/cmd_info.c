/* romflash info PACKAGE [--md5 HEX]: what a package is, and whether its
 * MD5 was verified (against which reference). */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "output.h"
#include "package.h"
#include "pkg_record.h"
#include "pkg_target.h"

static const char *or_unknown(int known, const char *s)
{
	return known && s && *s ? s : "unknown";
}

static void count_images(const struct rf_package *p, unsigned *n,
			 unsigned *sparse, uint64_t *bytes)
{
	*n = *sparse = 0;
	*bytes = 0;
	for (size_t i = 0; i < p->nfiles; i++) {
		if (strncmp(p->files[i].path, "images/", 7))
			continue;
		(*n)++;
		*sparse += p->files[i].sparse != 0;
		*bytes += p->files[i].size;
	}
}

static const char *md5_words(const struct rf_package *p)
{
	switch (p->md5_state) {
	case RF_MD5_FULL: return "verified (full MD5 given)";
	case RF_MD5_PREFIX: return "verified (10-digit prefix in the file name)";
	case RF_MD5_NOT_KNOWN: return "NOT verified (no MD5 known: give --md5)";
	default: return "not applicable (a folder)";
	}
}

static void print_json(const struct rf_package *p, const struct rf_pkg_target *tg,
		       const char *scripts)
{
	const struct rf_pkgname *n = &p->name;
	int known = n->kind != RF_NAME_UNKNOWN;
	unsigned ni, ns;
	uint64_t ib;
	struct jw j;

	count_images(p, &ni, &ns, &ib);
	jw_begin(&j, "info");
	jw_str(&j, "package", p->path);
	jw_str(&j, "kind", rf_pkg_kind_name(p->kind));
	jw_bool(&j, "name_parsed", known);
	if (p->kind == RF_PKG_ZIP) {
		jw_str(&j, "model", known ? n->model : NULL);
		jw_str(&j, "device", p->device[0] ? p->device : NULL);
	} else {
		jw_str(&j, "codename", known ? n->codename : NULL);
		jw_str(&j, "build_date", known ? n->build_date : NULL);
		jw_str(&j, "build", known ? n->build : NULL);
		jw_str(&j, "top", p->top);
		jw_str(&j, "scripts", scripts);
		jw_u64(&j, "images", ni);
		jw_u64(&j, "images_sparse", ns);
		jw_u64(&j, "images_bytes", ib);
		jw_str(&j, "for_codename", tg->codename[0] ? tg->codename : NULL);
		jw_str(&j, "for_source", tg->codename[0] ? tg->source : NULL);
		jw_str(&j, "for_model", tg->model);
		jw_str(&j, "for_product", tg->product);
	}
	jw_str(&j, "region", known ? n->region : NULL);
	jw_str(&j, "name_note", n->note[0] ? n->note : NULL);
	jw_str(&j, "version", known ? n->version : NULL);
	jw_str(&j, "android", known ? n->android : NULL);
	jw_u64(&j, "size", p->file_size);
	jw_str(&j, "md5", p->md5[0] ? p->md5 : NULL);
	jw_str(&j, "md5_verified", rf_md5_state_name(p->md5_state));
	jw_str(&j, "md5_expected", p->md5_expected[0] ? p->md5_expected : NULL);
	jw_bool(&j, "from_record", p->from_record);
	jw_end(&j);
}

/* "cancro (Xiaomi Mi 3 / Mi 4: bootloader product MSM8974), from its name" */
static void target_line(const struct rf_pkg_target *tg)
{
	if (!tg->codename[0])
		out_msg("For       unknown (no codename in its name or files: flash needs "
			"--force-device CODENAME)");
	else if (tg->model)
		out_msg("For       %s (%s: bootloader product %s), from %s", tg->codename,
			tg->model, tg->product, tg->source);
	else
		out_msg("For       %s, from %s (a phone romflash does not know: flash needs "
			"--force-device %s)", tg->codename, tg->source, tg->codename);
}

static void print_human(const struct rf_package *p, const struct rf_pkg_target *tg,
			const char *scripts)
{
	const struct rf_pkgname *n = &p->name;
	int known = n->kind != RF_NAME_UNKNOWN, zip = p->kind == RF_PKG_ZIP;
	unsigned ni, ns;
	uint64_t ib;
	char a[32];

	count_images(p, &ni, &ns, &ib);
	out_msg("Package   %s (%s)", p->path, out_size(p->file_size, a, sizeof a));
	out_msg("Kind      %s", zip ? "recovery package (zip, for sideload)"
			       : p->kind == RF_PKG_DIR ? "fastboot package (extracted folder)"
						       : "fastboot package (tgz)");
	if (zip) {
		out_msg("Model     %s", or_unknown(known, n->model));
		out_msg("Device    %s (updater-script)", p->device[0] ? p->device : "unknown");
	} else {
		out_msg("Codename  %s", or_unknown(known, n->codename));
		target_line(tg);
	}
	out_msg("Region    %s", or_unknown(known, n->region));
	if (n->note[0])
		out_msg("Name      %s", n->note);
	out_msg("Version   %s", or_unknown(known, n->version));
	if (!zip)
		out_msg("Build     %s%s%s%s", or_unknown(known, n->build_date), known ? " (" : "",
			known ? n->build : "", known ? ")" : "");
	out_msg("Android   %s", or_unknown(known, n->android));
	if (p->md5[0]) {
		out_msg("MD5       %s %s", p->md5, md5_words(p));
		if (p->from_record) /* (a line of its own: within 80 columns) */
			out_msg("          when this very file was first read whole "
				"(its verification record)");
	} else
		out_msg("MD5       %s", md5_words(p));
	if (!zip) {
		out_msg("Top       %s", p->kind == RF_PKG_DIR ? p->dir : p->top[0] ? p->top : "(none)");
		out_msg("Scripts   %s", scripts);
		out_msg("Images    %u files, %s, %u sparse", ni, out_size(ib, a, sizeof a), ns);
	}
}

int cmd_info(struct rf_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "md5", required_argument, NULL, '5' },
		{ "region", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	const char *md5 = NULL, *region = NULL;
	struct rf_resolved src;
	struct rf_package p;
	struct rf_pkg_target tg;
	char scripts[512], err[RF_ERRLEN];
	int c, rc;

	while ((c = rf_cli_getopt(argc, argv, "", opts)) != -1) {
		switch (c) {
		case '5': md5 = optarg; break;
		case 'r': region = optarg; break;
		default: return RF_EXIT_USAGE;
		}
	}
	if (optind + 1 != argc)
		return rf_cli_usage("info: %s", optind == argc ? "the package is missing"
				    : "one package at a time");
	if (rf_cli_md5_arg(argv[0], md5))
		return RF_EXIT_USAGE;
	char records[4096];
	rf_pkg_record_dir(records, sizeof records);
	struct rf_pkg_opts po = { .md5 = md5, .cancel = &rf_interrupted,
				  .record_dir = records };
	/* a URL or a catalog version: checked while it downloads */
	struct rf_cli_fetch fo = { .region = region, .md5 = md5, .retries = -1 };
	int ex = rf_cli_open_package(cli, &fo, argv[optind], &po, &p, &src, &rc);
	if (ex)
		return ex;
	if (rc) {
		out_error("info: %s", p.err);
		return rc == RF_EINTR ? RF_EXIT_INTERRUPTED
		       : rc == RF_ENOMEM ? RF_EXIT_DEVICE : RF_EXIT_PACKAGE;
	}
	if (rf_pkg_target(&p, &tg, err))
		out_warn("%s", err);
	rf_pkg_scripts(&p, scripts, sizeof scripts);
	if (out_is_json())
		print_json(&p, &tg, scripts);
	else
		print_human(&p, &tg, scripts);
	if (p.md5_state == RF_MD5_NOT_KNOWN)
		out_warn("%s: no MD5 known: the package is not verified", p.path);
	rf_pkg_close(&p);
	return RF_EXIT_OK;
}
