#include "scratch.h"

#include <stdio.h>
#include <stdlib.h>

void scratch_make(char *dir, size_t cap, const char *name)
{
	snprintf(dir, cap, "/tmp/%s.XXXXXX", name);
	if (!mkdtemp(dir)) {
		perror(dir);
		abort();
	}
}

void scratch_remove(char *dir)
{
	char cmd[600];
	if (!dir[0])
		return;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	dir[0] = 0;
}
