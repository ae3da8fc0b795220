/* Fastboot client: the command/response engine and the commands built on it.
 *
 * Host sends an ASCII command of at most 64 bytes; the device answers with
 * messages of at most 64 bytes: "INFO..." and "TEXT..." (any number, each
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
#define RF_FB_RESP_MAX 64
#define RF_FB_DEFAULT_TIMEOUT_MS 30000

struct rf_fastboot {
	struct rf_transport *t;
	int timeout_ms;   /* wait for a reply (restarted by each INFO) */
	/* Called with the payload of each INFO/TEXT line (NUL-terminated). */
	void (*on_info)(void *user, const char *kind, const char *text);
	void *user;
	/* When non-NULL and set to non-zero (signal handler), long operations
	 * stop at the next transfer boundary with RF_EINTR. */
	const volatile sig_atomic_t *cancel;
	char err[RF_ERRLEN];
	char fail[RF_FB_RESP_MAX + 1]; /* payload of the last FAIL */
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

/* getvar NAME; value trimmed of leading/trailing white space. */
int rf_fb_getvar(struct rf_fastboot *fb, const char *name, char *val,
		 size_t cap);
/* getvar max-download-size parsed (hex "0x..." or decimal). */
int rf_fb_max_download_size(struct rf_fastboot *fb, uint32_t *out);

int rf_fb_download_begin(struct rf_fastboot *fb, uint32_t size);
int rf_fb_download_write(struct rf_fastboot *fb, const void *buf, size_t len);
int rf_fb_download_end(struct rf_fastboot *fb);

int rf_fb_flash(struct rf_fastboot *fb, const char *partition);
int rf_fb_erase(struct rf_fastboot *fb, const char *partition);
int rf_fb_boot(struct rf_fastboot *fb);          /* boot the downloaded image */
int rf_fb_reboot(struct rf_fastboot *fb);
int rf_fb_reboot_bootloader(struct rf_fastboot *fb);
int rf_fb_reboot_recovery(struct rf_fastboot *fb); /* "reboot-recovery" */
int rf_fb_continue(struct rf_fastboot *fb);
int rf_fb_oem(struct rf_fastboot *fb, const char *args);      /* "oem ARGS" */
int rf_fb_flashing(struct rf_fastboot *fb, const char *args); /* "flashing ARGS" */
int rf_fb_set_active(struct rf_fastboot *fb, const char *slot);

#endif
