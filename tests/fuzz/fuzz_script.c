/* libFuzzer harness: the flash-script interpreter, both dialects
 * (flasher/script/: lexer, sh and bat dialects, the regex matcher, steps),
 * over a made-up package holding anti_version.txt and a security patch
 * date.
 *
 * Input: a script text, read as flash_all.sh and as flash_all.bat.
 * Whatever it says: no crash; a refusal says where ("f.sh:LINE: ...") and
 * adds no step; an accepted script gives steps whose fields are terminated,
 * whose images are plain paths inside the package, whose partitions are
 * names, whose oem/set_active arguments are the known ones, with no write
 * after the phone was sent away (reboot, boot), decided the same way
 * twice; every check and condition can be evaluated against an answer. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "lexer.h"
#include "script.h"

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

/* A path inside the package's top folder: [A-Za-z0-9._+-/], relative, no
 * empty, "." or ".." component. */
static int inside(const char *p)
{
	if (!*p || *p == '/' || strstr(p, "//") || p[strlen(p) - 1] == '/')
		return 0;
	for (const char *c = p; *c; c++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789._+-/", *c))
			return 0;
	for (const char *s = p; s;) {
		const char *e = strchr(s, '/');
		size_t l = e ? (size_t)(e - s) : strlen(s);
		if ((l == 1 && s[0] == '.') || (l == 2 && !strncmp(s, "..", 2)))
			return 0;
		s = e ? e + 1 : NULL;
	}
	return 1;
}

static void check_step(const struct rf_step *s)
{
	fz_check_str(s->partition, sizeof s->partition);
	fz_check_str(s->image, sizeof s->image);
	fz_check_str(s->var, sizeof s->var);
	fz_check_str(s->pattern, sizeof s->pattern);
	fz_check_str(s->message, sizeof s->message);
	fz_check_str(s->arg, sizeof s->arg);
	fz_check_str(s->value_src, sizeof s->value_src);
	fz_check_str(s->src, sizeof s->src);
	switch (s->op) {
	case RF_OP_FLASH:
	case RF_OP_CRC_FLASH:
		if (!rf_is_partition(s->partition) || !inside(s->image) ||
		    (s->op == RF_OP_CRC_FLASH) != (s->cond != 0))
			abort();
		break;
	case RF_OP_BOOT:
		if (!inside(s->image))
			abort();
		break;
	case RF_OP_ERASE:
	case RF_OP_FORMAT:
		if (!rf_is_partition(s->partition))
			abort();
		break;
	case RF_OP_OEM:
		if (strcmp(s->arg, "lock") && strcmp(s->arg, "cdms"))
			abort();
		break;
	case RF_OP_SET_ACTIVE:
		if (strcmp(s->arg, "a") && strcmp(s->arg, "b"))
			abort();
		break;
	default:
		break;
	}
	if (rf_step_query(s) && !rf_step_query(s)[0])
		abort();
	/* any answer is decided or refused, never anything else */
	static const char *answers[] = { "", "1", "MSM8974", "2025-12-01", "0x30000000" };
	for (size_t i = 0; i < sizeof answers / sizeof answers[0]; i++) {
		int r = rf_step_eval(s, answers[i]);
		if (r < -1 || r > 1)
			abort();
	}
}

static void parse(const char *file, const uint8_t *data, size_t len,
		  struct rf_steplist *l)
{
	static const struct rf_script_env env = { pkg_file, NULL };
	struct rf_script_info info;
	char err[RF_ERRLEN];
	int sent_away = 0;

	memset(l, 0, sizeof *l);
	if (rf_script_parse(file, (const char *)data, len, rf_script_dialect(file),
			    &env, l, &info, err)) {
		/* all or nothing, and it says where */
		if (l->n || strncmp(err, file, strlen(file)))
			abort();
		return;
	}
	fz_check_str(info.notes, sizeof info.notes);
	for (size_t i = 0; i < l->n; i++) {
		check_step(&l->v[i]);
		if (sent_away && rf_step_writes(&l->v[i]))
			abort();
		if (l->v[i].op == RF_OP_REBOOT || l->v[i].op == RF_OP_BOOT)
			sent_away = 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct rf_steplist sh, bat, again;
	char diff[256];

	parse("f.sh", data, len, &sh);
	parse("f.bat", data, len, &bat);
	if (sh.n && bat.n)
		rf_steps_compare(&sh, &bat, diff, sizeof diff);
	/* the same text, the same plan */
	parse("f.sh", data, len, &again);
	if (again.n != sh.n || (sh.n && rf_steps_compare(&sh, &again, diff, sizeof diff)))
		abort();
	rf_steplist_free(&again);
	parse("f.bat", data, len, &again);
	if (again.n != bat.n || (bat.n && rf_steps_compare(&bat, &again, diff, sizeof diff)))
		abort();
	rf_steplist_free(&again);
	rf_steplist_free(&sh);
	rf_steplist_free(&bat);
	return 0;
}
