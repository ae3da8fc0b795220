/* romflash catalog [CODENAME|VERSION] [--type T] [--region R]: the known
 * ROMs -- the catalog built into romflash (or $ROMFLASH_CATALOG instead),
 * with the entries of $XDG_CONFIG_HOME/romflash/catalog.txt added or
 * overriding (docs/catalog.md). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "output.h"

/* The user's catalog file: $XDG_CONFIG_HOME/romflash/catalog.txt, else
 * ~/.config/romflash/catalog.txt ("" when neither variable is set). */
static void user_catalog_path(char *out, size_t cap)
{
	const char *x = getenv("XDG_CONFIG_HOME"), *h = getenv("HOME");
	if (x && *x)
		snprintf(out, cap, "%s/romflash/catalog.txt", x);
	else if (h && *h)
		snprintf(out, cap, "%s/.config/romflash/catalog.txt", h);
	else
		out[0] = 0;
}

const struct rf_catalog *rf_cli_catalog(int *exit_status)
{
	static struct rf_catalog cat;
	static int loaded;
	char user[4200];
	const char *env = getenv("ROMFLASH_CATALOG");
	int rc;

	*exit_status = RF_EXIT_OK;
	if (loaded)
		return &cat;
	rc = env && *env ? rf_catalog_add_file(&cat, env, 0) : rf_catalog_add_builtin(&cat);
	user_catalog_path(user, sizeof user);
	if (!rc && user[0])
		rc = rf_catalog_add_file(&cat, user, 1);
	if (rc) {
		out_error("catalog: %s", cat.err);
		rf_catalog_free(&cat);
		*exit_status = rc == RF_ENOMEM ? RF_EXIT_DEVICE : RF_EXIT_USAGE;
		return NULL;
	}
	loaded = 1;
	return &cat;
}

static void print_json(const struct rf_rom *r)
{
	struct jw j;
	jw_begin(&j, "rom");
	jw_str(&j, "name", r->name);
	jw_str(&j, "codename", r->codename);
	jw_str(&j, "version", r->version);
	jw_str(&j, "type", rf_rom_type_name(r->type));
	jw_str(&j, "region", r->region);
	jw_str(&j, "device", r->device[0] ? r->device : NULL);
	jw_str(&j, "branch", r->branch[0] ? r->branch : NULL);
	jw_str(&j, "android", r->android[0] ? r->android : NULL);
	jw_str(&j, "size", r->size[0] ? r->size : NULL);
	jw_str(&j, "date", r->date[0] ? r->date : NULL);
	jw_str(&j, "md5", r->md5[0] ? r->md5 : NULL);
	jw_str(&j, "url", r->url);
	jw_str(&j, "changelog", r->changelog);
	jw_str(&j, "origin", r->origin);
	jw_end(&j);
}

static int matches(const struct rf_rom *r, const char *what, const char *type,
		   const char *region)
{
	if (what && strcmp(r->codename, what) && strcmp(r->version, what))
		return 0;
	if (type && strcmp(rf_rom_type_name(r->type), type))
		return 0;
	return !region || !strcmp(r->region, region);
}

/* The columns of a row before the package's name. */
#define ROW_COLS 78

int cmd_catalog(struct rf_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "type", required_argument, NULL, 't' },
		{ "region", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	const char *type = NULL, *region = NULL, *what = NULL;
	const struct rf_catalog *cat;
	size_t shown = 0;
	const char *sep = " ";
	int c, ex, md5w;

	(void)cli;
	while ((c = rf_cli_getopt(argc, argv, "", opts)) != -1) {
		switch (c) {
		case 't': type = optarg; break;
		case 'r': region = optarg; break;
		default: return RF_EXIT_USAGE;
		}
	}
	if (optind + 1 < argc)
		return rf_cli_usage("catalog: one codename or version at a time");
	if (optind < argc)
		what = argv[optind];
	if (type && strcmp(type, "fastboot") && strcmp(type, "recovery"))
		return rf_cli_usage("catalog: --type wants fastboot or recovery");
	cat = rf_cli_catalog(&ex);
	if (!cat)
		return ex;
	/* the package's name (60 to 70 columns) under its row when a row
	 * would not fit the terminal (80 columns when piped) */
	for (size_t i = 0; i < cat->n; i++)
		if (matches(&cat->v[i], what, type, region) &&
		    ROW_COLS + 1 + strlen(cat->v[i].name) > (size_t)out_width())
			sep = "\n          ";
	md5w = sep[0] == ' ' ? 10 : 0; /* no trailing blanks */
	if (!out_is_json())
		out_msg("%-9s %-10s %-8s %-7s %-7s %-10s %-9s %-*s%s%s", "codename", "version",
			"type", "region", "android", "date", "size", md5w, "md5", sep, "package");
	for (size_t i = 0; i < cat->n; i++) {
		const struct rf_rom *r = &cat->v[i];
		if (!matches(r, what, type, region))
			continue;
		shown++;
		if (out_is_json()) {
			print_json(r);
			continue;
		}
		out_msg("%-9s %-10s %-8s %-7s %-7s %-10s %-9s %-*.10s%s%s", r->codename,
			r->version, rf_rom_type_name(r->type), r->region,
			r->android[0] ? r->android : "-", r->date[0] ? r->date : "-",
			r->size[0] ? r->size : "-", md5w, r->md5[0] ? r->md5 : "unknown", sep, r->name);
		if (out_verbosity() > 0) /* -v: part of the listing */
			out_msg("          %s", r->url);
	}
	if (!shown && what)
		out_warn("nothing in the catalog matches '%s'%s%s%s%s", what,
			 type ? " " : "", type ? type : "", region ? " " : "",
			 region ? region : "");
	return RF_EXIT_OK;
}
