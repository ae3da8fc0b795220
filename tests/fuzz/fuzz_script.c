/* libFuzzer target: the flash-script interpreter, both dialects, over a
 * made-up package (tools/fuzz.sh links flasher/script/script.c; the rest of
 * the interpreter is built in here, as it is several files). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../flasher/script/bat_dialect.c"
#include "../../flasher/script/interp.c"
#include "../../flasher/script/lexer.c"
#include "../../flasher/script/regex.c"
#include "../../flasher/script/sh_dialect.c"
#include "../../flasher/script/steps.c"

static int pkg_file(void *user, const char *rel, const char **text, size_t *len)
{
	(void)user;
	if (!strcmp(rel, "images/anti_version.txt")) {
		*text = "1\n";
		*len = 2;
		return 1;
	}
	if (!strcmp(rel, "images/platform_security_patch.txt")) {
		*text = "2025-11-01\n";
		*len = 11;
		return 1;
	}
	if (!strcmp(rel, "images/big.txt")) {
		*text = NULL; /* present, not small text */
		*len = 0;
		return 1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rf_script_env env = { pkg_file, NULL };
	struct rf_steplist l = { 0 }, twin = { 0 };
	struct rf_script_info info;
	char err[RF_ERRLEN], diff[256];
	int sh = rf_script_parse("f.sh", (const char *)data, size, RF_DIALECT_SH, &env,
				 &l, &info, err);
	int bat = rf_script_parse("f.bat", (const char *)data, size, RF_DIALECT_BAT, &env,
				  &twin, &info, err);
	for (size_t i = 0; !sh && i < l.n; i++) {
		rf_step_eval(&l.v[i], "1");
		rf_step_eval(&l.v[i], "2025-12-01");
	}
	if (!sh && !bat)
		rf_steps_compare(&l, &twin, diff, sizeof diff);
	rf_steplist_free(&l);
	rf_steplist_free(&twin);
	return 0;
}
