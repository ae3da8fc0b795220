/* A Check test that needs an outside tool (img2simg, simg2img, python3):
 *
 *   if (!need_tool("img2simg"))
 *       return;          // skipped, and said so
 *
 * Missing under CI=true: the test fails (CI installs everything through
 * tools/deps.sh, so a missing tool there is a broken set-up).  Missing
 * elsewhere: a line "SKIP: ..." that tests/run-all shows and counts as a
 * skip, never as a pass.  Include after <check.h>. */
#ifndef NEED_TOOL_H
#define NEED_TOOL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline int need_tool(const char *tool)
{
	char cmd[256];
	const char *ci = getenv("CI");
	snprintf(cmd, sizeof cmd, "command -v '%s' >/dev/null 2>&1", tool);
	if (system(cmd) == 0)
		return 1;
	if (ci && !strcmp(ci, "true"))
		ck_abort_msg("%s is missing (CI=true; tools/deps.sh installs it)", tool);
	printf("SKIP: %s is missing (tools/deps.sh installs it)\n", tool);
	fflush(stdout);
	return 0;
}

#endif
