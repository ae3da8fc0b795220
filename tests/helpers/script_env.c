/* See script_env.h. */
#include "script_env.h"

#include <string.h>

const struct fake_file *fake_pkg;
char fake_err[256];
struct rf_script_info fake_info;

static int fake_file(void *user, const char *rel, const char **text, size_t *len)
{
	(void)user;
	for (const struct fake_file *f = fake_pkg; f && f->path; f++)
		if (!strcmp(f->path, rel)) {
			*text = f->text;
			*len = f->text ? strlen(f->text) : 0;
			return 1;
		}
	return 0;
}

int fake_parse(const char *file, const char *text, struct rf_steplist *l)
{
	struct rf_script_env env = { fake_file, NULL };
	memset(l, 0, sizeof *l);
	fake_err[0] = 0;
	return rf_script_parse(file, text, strlen(text), rf_script_dialect(file),
			       &env, l, &fake_info, fake_err);
}
