/* The command line's side of phones in adb modes: finding one (waiting for
 * it), asking before rebooting it, saying what happens.  Used by sideload,
 * by reboot, by devices (through the device layer) and by flash, which
 * offers to move a phone booted into Android into the bootloader. */
#ifndef RF_ADB_UI_H
#define RF_ADB_UI_H

#include "adb_device.h"
#include "cli.h"
#include "fastboot.h"
#include "transport.h"

/* Open the selected adb phone; with wait_s > 0 wait that long for one to
 * appear in one of `modes` (bits 1 << enum rf_adb_mode).  The "allow USB
 * debugging" prompt is announced; the user has wait_s (else 60 s) to
 * answer it.  Errors are printed, the exit status returned (0: open). */
int adb_ui_open(const struct rf_cli *cli, struct rf_adb_phone *p, int wait_s,
		unsigned modes);

/* Ask (or --yes) to reboot phone `id` into `where`; 1 to go on, 0 not (an
 * error was printed). */
int adb_ui_confirm(int yes, const char *id, const char *now, const char *where);

/* Move the open phone into sideload mode (a retail Android refuses
 * reboot:sideload, so through recovery), waiting up to wait_s for each
 * mode.  p is reopened in sideload mode.  Returns an exit status. */
int adb_ui_to_sideload(const struct rf_cli *cli, struct rf_adb_phone *p,
		       int wait_s);

/* flash, when no phone is in fastboot mode: if the selected phone is in
 * Android or recovery, offer to reboot it into the bootloader (--yes: do),
 * wait for it in fastboot mode and open it there.  0: *t and fb are the
 * phone in fastboot mode.  -1: no phone in an adb mode either (the
 * caller's error stands).  > 0: an exit status, the error printed. */
int adb_ui_offer_fastboot(const struct rf_cli *cli, int yes, int wait_s,
			  struct rf_transport **t, struct rf_fastboot *fb);

/* reboot: is the selected phone in an adb mode rather than in fastboot? */
int adb_ui_phone_is_adb(const struct rf_cli *cli);
/* ... and in fastboot mode, surely (not an adb phone too)? */
int adb_ui_phone_is_fastboot(const struct rf_cli *cli);

/* reboot [bootloader|recovery|sideload|""] of a phone in an adb mode. */
int adb_ui_reboot(const struct rf_cli *cli, const char *target);

#endif
