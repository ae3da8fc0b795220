/* Entry point of the interpreter (see script.h): lex, run the dialect,
 * keep the result all or nothing. */
#include "script.h"
#include "interp.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum rf_dialect rf_script_dialect(const char *file)
{
	size_t n = strlen(file);
	return n >= 4 && !strcasecmp(file + n - 4, ".bat") ? RF_DIALECT_BAT
							    : RF_DIALECT_SH;
}

int rf_script_parse(const char *file, const char *text, size_t len,
		    enum rf_dialect d, const struct rf_script_env *env,
		    struct rf_steplist *out, struct rf_script_info *info,
		    char *err)
{
	struct rf_interp *ip = calloc(1, sizeof *ip);
	size_t before = out->n;
	int rc;
	if (!ip)
		return rf_errf(err, RF_ENOMEM, "out of memory");
	if (info)
		memset(info, 0, sizeof *info);
	ip->file = file;
	ip->bat = d == RF_DIALECT_BAT;
	ip->out = out;
	ip->first_step = before;
	ip->env = env;
	ip->info = info;
	ip->err = err;
	ip->live = 1;
	ip->last_step = -1;
	rc = rf_lex(file, text, len, ip->bat, &ip->lx, err);
	if (rc == RF_ENOMEM)
		rc = rf_errf(err, RF_ENOMEM, "out of memory");
	if (!rc && ip->lx.ncmd == 0)
		rc = rf_errf(err, RF_EFORMAT, "%s: the script is empty", file);
	if (!rc)
		rc = ip->bat ? rf_bat_run(ip) : rf_sh_run(ip);
	if (!rc && out->n == before)
		rc = rf_errf(err, RF_EFORMAT, "%s: the script does nothing", file);
	if (rc)
		out->n = before; /* all or nothing */
	rf_lex_free(&ip->lx);
	free(ip);
	return rc;
}
