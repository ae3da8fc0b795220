/* Why this process may not open a USB phone, and the fix (see device.h):
 * shared by opening a phone (device.c) and listing them (device_list.c). */
#include "device.h"

#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const char *const rules_paths[] = {
	"/etc/udev/rules.d/51-romflash.rules",
	"/lib/udev/rules.d/51-romflash.rules",
	"/usr/lib/udev/rules.d/51-romflash.rules",
};

static const char *rules_installed(void)
{
	for (size_t i = 0; i < sizeof rules_paths / sizeof rules_paths[0]; i++)
		if (access(rules_paths[i], R_OK) == 0)
			return rules_paths[i];
	return NULL;
}

static int in_group(const char *name)
{
	struct group *g = getgrnam(name);
	gid_t gs[256];
	int n;

	if (!g)
		return 0;
	if (getegid() == g->gr_gid)
		return 1;
	n = getgroups((int)(sizeof gs / sizeof gs[0]), gs);
	for (int i = 0; i < n; i++)
		if (gs[i] == g->gr_gid)
			return 1;
	return 0;
}

void rf_device_access_hint(char *out, size_t cap)
{
	const char *seat = getenv("XDG_SEAT");
	/* uaccess gives the node to the user of a local seat (logind); an
	 * SSH or headless session has none: the rules' plugdev group then */
	int local = seat && *seat;
	const char *group = local || in_group("plugdev") ? "" :
		"; no local seat (SSH, headless): join plugdev (sudo usermod "
		"-aG plugdev $USER), log in again";

	if (!rules_installed())
		snprintf(out, cap, "install udev/51-romflash.rules in "
			 "/etc/udev/rules.d, sudo udevadm control --reload, "
			 "re-plug%s", group);
	else
		snprintf(out, cap, "udev rules installed: re-plug the phone "
			 "(after udevadm control --reload if new)%s", group);
}
