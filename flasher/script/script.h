/* The MIUI flash-script dialect, interpreted (never executed).
 *
 * A flash_all*.sh (or its .bat twin) is read line by line and turned into
 * plan steps (plan.h).  Every form found in real Xiaomi packages is
 * understood (docs/script-dialect.md); any other line stops with
 * "FILE:LINE: unsupported: <line>" -- the interpreter never guesses. */
#ifndef RF_SCRIPT_H
#define RF_SCRIPT_H

#include <stddef.h>
#include "plan.h"

enum rf_dialect {
	RF_DIALECT_SH,
	RF_DIALECT_BAT,
};

/* Dialect from the file name (".bat" -> BAT, else SH). */
enum rf_dialect rf_script_dialect(const char *file);

/* Interpret `text` (`len` bytes, named `file` in messages) and append its
 * steps to `out`.  RF_EFORMAT with the message in `err` (RF_ERRLEN). */
int rf_script_parse(const char *file, const char *text, size_t len,
		    enum rf_dialect d, struct rf_steplist *out, char *err);

/* grep/findstr basic regular expressions: ^ $ . * [...] [^...] \c.
 * Searches `line` like grep does (anywhere unless anchored).  Returns 1 on
 * a match, 0 on none, -1 if the pattern is malformed. */
int rf_grep_match(const char *pattern, const char *line);
/* Is `pattern` one rf_grep_match understands? */
int rf_grep_valid(const char *pattern);

/* Evaluate a step against the phone's getvar answer `value` (trimmed):
 * GETVAR_CHECK -> 1 pass / 0 fail; CRC_FLASH -> 1 when the step applies;
 * ANTI_CHECK -> 1 when the phone's anti version (value; empty means 0) is
 * not above anti_max.  -1 for a malformed answer or pattern. */
int rf_step_eval(const struct rf_step *s, const char *value);

/* Compare the plans of a .sh and its .bat twin (messages and source lines
 * are ignored; a pattern's trailing '$' too, since findstr scripts omit
 * it).  0 when equal, else 1 with a description in `diff`. */
int rf_steps_compare(const struct rf_steplist *sh, const struct rf_steplist *bat,
		     char *diff, size_t cap);

#endif
