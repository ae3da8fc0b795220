/* A scratch folder per test: made under /tmp, removed with everything in
 * it at the end. */
#ifndef SCRATCH_H
#define SCRATCH_H

#include <stddef.h>

/* /tmp/NAME.XXXXXX into dir (cap bytes); aborts the test on failure. */
void scratch_make(char *dir, size_t cap, const char *name);
/* rm -rf dir (a message on stderr if that fails); dir = "" after. */
void scratch_remove(char *dir);

#endif
