/* Test helper: interpret a script text against a made-up package (a few
 * files with their text), as rf_plan_build would against a real one. */
#ifndef SCRIPT_ENV_H
#define SCRIPT_ENV_H

#include "script.h"

struct fake_file {
	const char *path; /* "images/anti_version.txt" */
	const char *text; /* NULL: present but not small text */
};

/* Files the scripts may read (NULL-path terminated), or NULL for none. */
extern const struct fake_file *fake_pkg;
extern char fake_err[256];
extern struct rf_script_info fake_info;

/* rf_script_parse of `text` named `file` (dialect from the name) over
 * fake_pkg; the list is emptied first. */
int fake_parse(const char *file, const char *text, struct rf_steplist *l);

#endif
