/* See test_skip.h. */
#include "test_skip.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int rf_test_need_tool(const char *path)
{
	const char *ci = getenv("CI");
	if (access(path, X_OK) == 0)
		return 0;
	if (ci && !strcmp(ci, "true"))
		ck_abort_msg("%s is missing (CI=true: tools/deps.sh installs it)",
			     path);
	printf("SKIP: %s is missing\n", path);
	fflush(stdout);
	return 1;
}
