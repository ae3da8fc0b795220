/* `romflash devices`: every attached phone, with what is wrong and the
 * fix (device_list.c). */
#ifndef RF_DEVICE_LIST_H
#define RF_DEVICE_LIST_H

#include <stddef.h>

#include "device.h"

/* One row of `romflash devices`.  Phones romflash cannot use right now
 * are listed too, with what is wrong and the fix in `note`. */
struct rf_device_row {
	char serial[64];
	char mode[16];     /* fastboot | sideload | recovery | device | adb |
			      mtp (a Xiaomi phone in MTP or charging mode) */
	char product[64];
	char location[64];
	char speed[16];    /* "480 Mbit/s"; "" unknown (TCP) */
	/* ok | no-permission | busy (another program holds it) | wrong-mode
	 * | not-answering | slow (below USB high speed, usable) */
	char state[16];
	char note[512];    /* "" when there is nothing to say */
};

/* Attached phones (USB; plus the -s tcp: one if given).  *rows malloc'ed.
 * Nothing is opened but the fastboot phones no program holds (sysfs
 * says which are held), to ask their product; a phone another process
 * is flashing is never touched.  Never waits for a phone. */
int rf_devices_list(const struct rf_device_env *env, struct rf_device_row **rows,
		    size_t *n, char *err);

#endif
