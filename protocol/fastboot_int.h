/* The inside of the fastboot engine, shared by fastboot.c (commands,
 * replies, downloads) and fastboot_session.c (reboots, the start-of-
 * session sync).  Private to those two files. */
#ifndef RF_FASTBOOT_INT_H
#define RF_FASTBOOT_INT_H

#include "fastboot.h"

#include <stddef.h>
#include <stdint.h>

/* Reads use a buffer larger than a legal reply so an oversized reply is
 * reported by us, quoted, rather than as an opaque transport overflow. */
#define FB_READ_CAP (RF_FB_RESP_MAX * 4)

enum reply_kind { R_OKAY, R_FAIL, R_DATA };

/* Untrusted bytes quoted for a message: printable ASCII as is, the rest
 * as C escapes, cut with "..." when it does not fit cap. */
void rf_fb_quote(char *dst, size_t cap, const void *src, size_t len);
/* The monotonic clock in seconds. */
double rf_fb_now_s(void);
/* Read replies to `cmd` until its final one (OKAY, FAIL or DATA), INFO
 * and TEXT passed on; a writing command is awaited without a limit while
 * the link is alive (see fastboot.h). */
int rf_fb_read_reply(struct rf_fastboot *fb, const char *cmd,
		     enum reply_kind *kind, char *okay, uint32_t *data_size);

#endif
