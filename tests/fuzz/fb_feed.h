/* The bootloader's side of a fastboot link for the fastboot and format
 * harnesses: the rest of the fuzz input is the phone's replies, queued on
 * a fake transport. */
#ifndef RF_FUZZ_FB_FEED_H
#define RF_FUZZ_FB_FEED_H

#include "fake_transport.h"
#include "harness.h"

#define FZ_FB_TIMEOUT 240 /* a length byte that means: a read times out */
#define FZ_FB_PULLED 241  /* ... the cable is pulled */

/* A fake transport whose reads return the replies left in `in`: each a
 * length byte and that many bytes (FZ_FB_TIMEOUT, FZ_FB_PULLED: those
 * errors instead), then the cable pulled.  A reply longer than a read
 * takes is refused by the transport, as USB's is. */
struct fake_transport *fz_fb_phone(struct fz_in *in);

/* The text of each reply after its 4-byte kind ("OKAY", "INFO", ...),
 * NUL-terminated, from the replies left in `in`. */
void fz_fb_each_reply_text(struct fz_in *in, void (*visit)(const char *text));

/* Abort unless write call i is exactly the command `cmd`. */
void fz_fb_check_cmd(const struct fake_transport *f, size_t i, const char *cmd);

#endif
