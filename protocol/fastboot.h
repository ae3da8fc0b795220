/* Fastboot client: the command/response engine and the commands built on it.
 *
 * Host sends an ASCII command of at most 64 bytes; the device answers with
 * messages of at most 256 bytes (cancro's LK sends 64 at most; AOSP's
 * client takes 256, and so does this one, so that a newer bootloader's
 * longer FAIL text is shown, not called garbage): "INFO..." and "TEXT..." (any number, each
 * restarts the timeout, passed to on_info), then one of "OKAY...",
 * "FAIL..." or "DATA%08x".  Download is "download:%08x" -> "DATA%08x" ->
 * exactly that many bytes -> "OKAY".
 *
 * Download is a push API so an image never has to be in memory:
 *   rf_fb_download_begin(fb, size); rf_fb_download_write(...)*;
 *   rf_fb_download_end(fb);
 * then rf_fb_flash(fb, "system"). */
#ifndef RF_FASTBOOT_H
#define RF_FASTBOOT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include "transport.h"

#define RF_FB_CMD_MAX 64
#define RF_FB_RESP_MAX 256
/* Replies a phone gives at once (getvar, download, reboot, the OKAY after
 * the data), and a link that stops moving during a download. */
#define RF_FB_DEFAULT_TIMEOUT_MS 10000
/* Writing commands report their wait this often. */
#define RF_FB_WAIT_SLICE_MS 1000
/* A phone that answered OKAY to a reboot leaves the bus within this. */
#define RF_FB_LEAVE_MS 15000
/* rf_fb_sync: how long to listen for replies nobody read, and how long a
 * phone may take to accept and answer a command. */
#define RF_FB_DRAIN_MS 50
#define RF_FB_PROBE_MS 3000

struct rf_fastboot {
	struct rf_transport *t;
	int timeout_ms;   /* replies answered at once (restarted by each
			     INFO), and every transfer of a download */
	/* Writing commands (rf_fb_is_writing): the phone says nothing while
	 * it writes, a minute or more for a large piece on an old eMMC, so
	 * there is no limit while the link is alive (0, the default) --
	 * over TCP a closed connection ends the wait, over USB a phone that
	 * leaves the bus.  A test may set a limit (ms). */
	int write_timeout_ms;
	/* How long a rebooting phone may take to leave the bus (0:
	 * RF_FB_LEAVE_MS). */
	int leave_timeout_ms;
	/* Called with the payload of each INFO/TEXT line (NUL-terminated). */
	void (*on_info)(void *user, const char *kind, const char *text);
	/* The "writing on the phone" phase of a writing command: called
	 * when the command has been sent (elapsed 0), about once a second
	 * while the phone is silent, and once more with done = 1 when its
	 * reply (or an error) came.  May be NULL. */
	void (*on_wait)(void *user, const char *cmd, double elapsed_s, int done);
	void *user;
	/* When non-NULL and set to non-zero (signal handler), long operations
	 * stop at the next transfer boundary with RF_EINTR.  A writing
	 * command's wait is not cut by it: the phone finishes the write
	 * whatever the host does, and its late OKAY would be read by the
	 * next run as the answer to another command. */
	const volatile sig_atomic_t *cancel;
	char err[RF_ERRLEN];
	char fail[RF_FB_RESP_MAX + 1]; /* payload of the last FAIL */
	/* The last command's reply that is no fastboot reply (garbage, an
	 * unknown kind, too long), quoted as in err (bounded, escaped) for a
	 * report that tells what the phone said apart from what it means;
	 * "" when the reply made sense. */
	char bad_reply[RF_ERRLEN / 2];
	/* download in progress */
	uint32_t dl_size, dl_sent;
	int dl_active;
};

/* Initialise `fb` over transport `t` (not owned). */
void rf_fb_init(struct rf_fastboot *fb, struct rf_transport *t);

/* Send `cmd`, read replies until OKAY/FAIL.  `okay` (may be NULL, else
 * RF_FB_RESP_MAX+1 bytes) receives the OKAY payload.  FAIL -> RF_EFAIL with
 * the device's text in fb->fail and fb->err. */
int rf_fb_command(struct rf_fastboot *fb, const char *cmd, char *okay);

/* Does the phone write flash (or may take long) for `cmd`: flash, erase,
 * boot, oem, flashing, format, set_active. */
int rf_fb_is_writing(const char *cmd);

/* Before the first command on a USB connection, which an earlier run may
 * have left in a bad state:
 * - replies nobody read (a run that gave up or was killed while the phone
 *   wrote) are read and dropped; `stale` (may be NULL) gets them quoted,
 *   "" when there were none;
 * - the phone must take a command at once: RF_EBUSY when it does not (it
 *   is still writing for an earlier run);
 * - and answer it: RF_EPROTO when it takes it but never answers (it is
 *   still inside a download an earlier run did not finish, and takes
 *   every byte as data).
 * The messages say what to do.  The probe is "getvar:version". */
int rf_fb_sync(struct rf_fastboot *fb, char *stale, size_t cap);

/* getvar NAME; value trimmed of leading/trailing white space. */
int rf_fb_getvar(struct rf_fastboot *fb, const char *name, char *val,
		 size_t cap);
/* A size variable as AOSP fastboot reads one (partition-size:*,
 * erase-block-size, ...): hexadecimal, with or without "0x" (some
 * bootloaders leave it out), white space around it ignored.  0 or -1. */
int rf_fb_parse_hex(const char *s, uint64_t *out);
/* getvar max-download-size parsed (hex "0x..." or decimal). */
int rf_fb_max_download_size(struct rf_fastboot *fb, uint32_t *out);

int rf_fb_download_begin(struct rf_fastboot *fb, uint32_t size);
int rf_fb_download_write(struct rf_fastboot *fb, const void *buf, size_t len);
int rf_fb_download_end(struct rf_fastboot *fb);

int rf_fb_flash(struct rf_fastboot *fb, const char *partition);
int rf_fb_erase(struct rf_fastboot *fb, const char *partition);
int rf_fb_boot(struct rf_fastboot *fb);          /* boot the downloaded image */
/* The reboots return once the phone has left the bus (the link dropped),
 * so whatever comes next waits for the phone to come back instead of
 * finding the old one still there; RF_ETIMEDOUT when it answered OKAY
 * but is still there after RF_FB_LEAVE_MS. */
int rf_fb_reboot(struct rf_fastboot *fb);
int rf_fb_reboot_bootloader(struct rf_fastboot *fb);
int rf_fb_reboot_recovery(struct rf_fastboot *fb); /* "reboot-recovery" */
int rf_fb_continue(struct rf_fastboot *fb);
int rf_fb_oem(struct rf_fastboot *fb, const char *args);      /* "oem ARGS" */
int rf_fb_flashing(struct rf_fastboot *fb, const char *args); /* "flashing ARGS" */
int rf_fb_set_active(struct rf_fastboot *fb, const char *slot);

#endif
