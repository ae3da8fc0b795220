/* The regular expressions flash scripts test getvar answers with: grep's
 * basic REs (also findstr /r's), and grep -E's extended ones.
 *
 * Basic: ^ $ . * [...] [^...] [[:class:]] \c.  Extended adds + ? {m,n}
 * ( ) and |.  GNU's backslash operators (\w \< \( \| ...) are refused
 * rather than guessed.  Matching backtracks within a fixed budget: a
 * pattern that would take longer is reported as malformed. */
#ifndef RF_REGEX_H
#define RF_REGEX_H

#include "steps.h"

/* Is `pattern` one this matcher understands? */
int rf_re_valid(const char *pattern, enum rf_re_flavor f);

/* grep: does a line of `text` contain a match?  1 yes, 0 no, -1 malformed
 * pattern. */
int rf_grep_match(const char *pattern, enum rf_re_flavor f, const char *text);

/* The extended pattern that means what basic `pattern` means (its
 * literal + ? ( ) { } | quoted, a ^ or $ that is not an anchor quoted), so
 * alternatives can be joined with '|'.  0, or -1 when it is not a valid
 * basic pattern or does not fit `cap`. */
int rf_re_to_extended(const char *pattern, char *out, size_t cap);

/* Do two patterns mean the same to grep and to findstr?  A trailing '$'
 * (findstr scripts leave it out) is ignored, and so is the flavor when the
 * text has none of the characters the flavors read differently. */
int rf_re_same(const char *a, enum rf_re_flavor fa, const char *b,
	       enum rf_re_flavor fb);

#endif
