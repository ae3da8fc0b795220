/* The emulated cancro phone in its adb modes: Android with USB debugging
 * ("device"), recovery, and recovery's sideload mode (minadbd).  Like emu.h
 * it is transport-agnostic: a TCP server (emu_adb_tcp.c, romflash-emu
 * --adb MODE) and the umockdev USB harness (tests/helpers/usb_emu.c, as a
 * struct usb_emu_model) feed it the host's bytes and send back its
 * replies.  Its own adb code, written from the protocol description, not
 * romflash's protocol/: a bug there cannot be mirrored here.
 *
 * What it does:
 *   CNXN: version 0x01000001 and a 1 MiB payload, or (old) 0x01000000,
 *     4 KiB and checksums on every message, checked on the host's;
 *     banner "MODE::ro.product.name=..;ro.product.model=..;
 *     ro.product.device=..;" (cancro by default).
 *   AUTH (with auth_keys): a random 20-byte token; a signature is checked
 *     with RSA against every key of the file (adbkey.pub lines); a refused
 *     one gets a new token; an offered public key is accepted (and added to
 *     the file) only with auth_accept -- otherwise the prompt stays
 *     unanswered.
 *   sideload-host:SIZE:BS (sideload mode): asks for blocks in the chosen
 *     order (sequential, tail first, random with repeats; `passes` times),
 *     one at a time, and writes them to <state>/sideload.zip; a block asked
 *     again must come back identical.  Ends with DONEDONE (FAILFAIL with
 *     `fail`) and leaves (minadbd exits: the link is gone).
 *   sideload:SIZE (legacy mode only): takes the stream, answers OKAY/FAIL.
 *   reboot:TARGET: device mode goes to bootloader/recovery/"" (refuses
 *     sideload unless `root`: "'adb root' is required ..."); recovery goes
 *     anywhere; sideload mode refuses every reboot.  The link drops for
 *     reboot_delay_ms and comes back in the new mode (bootloader: the
 *     phone is then in fastboot mode, emu_adb_mode() says so).
 *
 * Files in state_dir: sideload.zip, sideload.log (one line per request),
 * adb.log (connections, AUTH, services), adb-mode (current mode). */
#ifndef EMU_ADB_H
#define EMU_ADB_H

#include <stddef.h>
#include <stdint.h>
#include "emu.h"

enum emu_adb_mode {
	EMU_ADB_DEVICE = 0,
	EMU_ADB_RECOVERY,
	EMU_ADB_SIDELOAD,
	EMU_ADB_FASTBOOT,  /* left adb for the bootloader */
	EMU_ADB_OFF,       /* gone (sideload finished, link cut) */
};

enum emu_adb_order { EMU_ORDER_SEQ = 0, EMU_ORDER_TAIL, EMU_ORDER_RANDOM };

struct emu_adb_opts {
	const char *state_dir;     /* required */
	const char *serial;        /* default "EMU0001" */
	enum emu_adb_mode mode;    /* start mode */
	const char *device;        /* ro.product.device, default "cancro" */
	const char *name;          /* ro.product.name, default = device */
	const char *model;         /* ro.product.model, default "MI 4LTE" */
	int old_version;           /* 0x01000000, 4 KiB, checksums */
	enum emu_adb_order order;
	unsigned seed;             /* random order */
	int passes;                /* read the package this often (default 1) */
	const char *auth_keys;     /* trusted keys; NULL: no AUTH */
	int auth_accept;           /* the user taps "Allow" */
	int fail;                  /* FAILFAIL (legacy: FAIL) at the end */
	int legacy;                /* only the pre-KitKat sideload:SIZE */
	long long cut_after;       /* drop the link after this many package
				      bytes arrived (a cable pull); <= 0 never */
	int reboot_delay_ms;
	int root;                  /* device mode's adbd runs as root */
	double throttle_mbps;      /* TCP: take the host's bytes at most this
				      fast (10^6 B/s); 0: as fast as they come */
	/* "KIND@block[#N]" (emu_fault.h), at the phone's Nth block request:
	 * fail (FAILFAIL there), cut (the cable pulled), stall (it asks for
	 * nothing more, the link stays up), garbage (a WRTE that is not a
	 * block number), slow=MS (the request comes MS late) */
	const char *faults;
};

struct emu_adb;

struct emu_adb *emu_adb_new(const struct emu_adb_opts *o, char *err);
void emu_adb_free(struct emu_adb *a);

/* Bytes from the host: a stream (TCP) or one USB transfer (a header or a
 * payload).  Returns the link state after them. */
enum emu_link emu_adb_receive(struct emu_adb *a, const void *buf, size_t len);

/* The next piece for the host (a header, or a payload), at most `cap`
 * bytes of it; 0 when nothing is queued. */
size_t emu_adb_reply(struct emu_adb *a, void *buf, size_t cap);

enum emu_link emu_adb_link_state(const struct emu_adb *a);
/* Back on the bus after a reboot, in the mode the reboot asked for. */
void emu_adb_reset_link(struct emu_adb *a);
int emu_adb_reboot_delay_ms(const struct emu_adb *a);
double emu_adb_throttle_mbps(const struct emu_adb *a);
/* Seconds until the phone says its next word (a slow fault); 0: now. */
double emu_adb_busy_s(const struct emu_adb *a);
enum emu_adb_mode emu_adb_mode(const struct emu_adb *a);
const char *emu_adb_mode_name(enum emu_adb_mode m);
/* The host hung up (TCP): a new connection starts from CNXN. */
void emu_adb_host_closed(struct emu_adb *a);

#endif
