/* The flash-script dialects, interpreted (never executed).
 *
 * A flash_all*.sh (or its .bat twin) is read command by command and turned
 * into steps (steps.h).  Every form found in real Xiaomi packages is
 * understood (docs/script-dialect.md); any other line stops with
 * "FILE:LINE: unsupported: <line>" -- the interpreter never guesses.
 *
 * What the package itself holds (images/anti_version.txt, a file an `if
 * [ -e ... ]` tests) is read through `env` while interpreting; what the
 * phone answers becomes checks and conditions of the steps, decided later
 * by the preflight. */
#ifndef RF_SCRIPT_H
#define RF_SCRIPT_H

#include <stddef.h>
#include "steps.h"

enum rf_dialect {
	RF_DIALECT_SH,
	RF_DIALECT_BAT,
};

/* Dialect from the file name (".bat" -> BAT, else SH). */
enum rf_dialect rf_script_dialect(const char *file);

/* The package, as the script sees it. */
struct rf_script_env {
	/* A file by its path inside the package's top folder: 1 and its
	 * text when present (text may be NULL when it is not small text),
	 * 0 when absent. */
	int (*file)(void *user, const char *rel, const char **text, size_t *len);
	void *user;
};

/* What else the interpreter found out, for the user. */
#define RF_SCRIPT_CHECKS_PRODUCT 1u /* a check of getvar product */
#define RF_SCRIPT_PAUSED 2u         /* `pause` was ignored */
struct rf_script_info {
	unsigned flags;
	char notes[512]; /* "; "-separated remarks ("" none) */
};

/* Interpret `text` (`len` bytes, named `file` in messages) and append its
 * steps to `out`.  `env` (NULL: an empty package) and `info` (NULL) are
 * optional.  All or nothing: RF_EFORMAT with the message in `err`
 * (RF_ERRLEN) and `out` as it was. */
int rf_script_parse(const char *file, const char *text, size_t len,
		    enum rf_dialect d, const struct rf_script_env *env,
		    struct rf_steplist *out, struct rf_script_info *info,
		    char *err);

#endif
