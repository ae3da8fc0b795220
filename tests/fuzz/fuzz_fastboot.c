/* libFuzzer harness: the bootloader's replies (protocol/fastboot.c).
 *
 * Input: a byte choosing which commands of a flash session the host sends
 * (bit i: command i of the list in `session`, all when 0; the first is
 * the check of what an earlier run left, rf_fb_sync), then the
 * phone's replies, each a length byte and that many bytes (240: a read
 * that times out, 241: the cable pulled; a reply longer than a read takes
 * is refused by the transport, as USB's is).  After the last reply the
 * cable is pulled.
 *
 * Whatever the phone says: no crash; getvar values are terminated and
 * trimmed, a max-download-size is usable, a FAIL's text and every message
 * are terminated, each writing command's wait is opened once and closed
 * once (on_wait), a size variable (rf_fb_parse_hex, tried on every getvar
 * value and every reply's raw text) is read as a second reader reads it;
 * and on the wire every command is a protocol command (at
 * most 64 printable bytes) and image bytes go out only after a download
 * the phone accepted (DATA of exactly the size asked), never more than
 * announced, with no command before all of them went. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fastboot.h"
#include "fb_feed.h"

#define DATA_BYTE 0xee /* image bytes: never in a command */
#define IMAGE_LEN 3000

/* The writing phase of each writing command: opened when it was sent,
 * closed once by its reply or error. */
struct waits {
	char open[RF_FB_CMD_MAX + 1];
	int depth;
};

static void on_wait(void *user, const char *cmd, double elapsed, int done)
{
	struct waits *w = user;
	if (!rf_fb_is_writing(cmd) || elapsed < 0 || (done != 0 && done != 1))
		abort();
	if (!done && elapsed == 0) { /* the start */
		if (w->depth)
			abort();
		w->depth = 1;
		snprintf(w->open, sizeof w->open, "%s", cmd);
	} else if (!w->depth || strcmp(w->open, cmd)) {
		abort(); /* a tick or an end of no wait */
	} else if (done) {
		w->depth = 0;
	}
}

static void info(void *user, const char *kind, const char *text)
{
	(void)user;
	if (strcmp(kind, "INFO") && strcmp(kind, "TEXT"))
		abort();
	fz_check_str(text, RF_FB_RESP_MAX + 1);
}

/* A second reader of a size variable: white space (blanks, tabs), "0x" or
 * not, at least one hexadecimal digit, white space; at most 16 digits
 * after the leading zeros.  Both readers must agree on it. */
static void check_hex(const char *s)
{
	const char *p = s + strspn(s, " \t"), *digits;
	uint64_t want = 0, got = 0;
	size_t n, lead;
	int ok;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		p += 2;
	digits = p;
	n = strspn(digits, "0123456789abcdefABCDEF");
	lead = strspn(digits, "0");
	if (lead > n)
		lead = n;
	ok = n > 0 && n - lead <= 16 && !digits[n + strspn(digits + n, " \t")];
	for (size_t i = lead; ok && i < n; i++) {
		char c = digits[i];
		want = want << 4 | (uint64_t)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
	}
	if (rf_fb_parse_hex(s, &got) != (ok ? 0 : -1) || (ok && got != want))
		abort();
}

static void getvar(struct rf_fastboot *fb, const char *name, size_t cap)
{
	char v[RF_FB_RESP_MAX + 1];
	if (rf_fb_getvar(fb, name, v, cap))
		return;
	size_t n = strlen(v);
	if (n >= cap || (n && strchr(" \t\r\n\v\f", v[0])) ||
	    (n && strchr(" \t\r\n\v\f", v[n - 1])))
		abort();
	check_hex(v);
}

static void download(struct rf_fastboot *fb)
{
	static unsigned char image[IMAGE_LEN];
	uint32_t max;

	memset(image, DATA_BYTE, sizeof image);
	if (!rf_fb_max_download_size(fb, &max) && max == 0)
		abort();
	if (rf_fb_download_begin(fb, IMAGE_LEN))
		return;
	if (!fb->dl_active || fb->dl_size != IMAGE_LEN)
		abort();
	if (rf_fb_download_write(fb, image, 1000) ||
	    rf_fb_download_write(fb, image + 1000, IMAGE_LEN - 1000))
		return;
	if (rf_fb_download_write(fb, image, 1) == RF_OK)
		abort(); /* more than announced */
	rf_fb_download_end(fb);
}

static void session(struct rf_fastboot *fb, uint8_t which)
{
	for (int i = 0; i < 8; i++) {
		if (which && !(which & (1u << i)))
			continue;
		char stale[96];
		switch (i) {
		case 0:
			rf_fb_sync(fb, stale, sizeof stale);
			fz_check_str(stale, sizeof stale);
			break;
		case 1: getvar(fb, "product", RF_FB_RESP_MAX + 1); break;
		case 2: getvar(fb, "anti", 4); break;
		case 3: download(fb); break;
		case 4: rf_fb_flash(fb, "boot"); break;
		case 5: rf_fb_erase(fb, "cache"); break;
		case 6: rf_fb_oem(fb, "lock"); break;
		default: rf_fb_reboot_bootloader(fb); break;
		}
		fz_check_str(fb->err, sizeof fb->err);
		fz_check_str(fb->fail, sizeof fb->fail);
	}
}

/* What the host wrote: commands and image bytes, in a legal order. */
static void check_wire(const struct fake_transport *f)
{
	unsigned announced = 0, sent = 0;
	int after_download = 0;

	for (size_t i = 0; i < f->nwrites; i++) {
		size_t len;
		const unsigned char *w = fake_transport_write(f, i, &len);
		if (len && w[0] == DATA_BYTE) {
			for (size_t k = 0; k < len; k++)
				if (w[k] != DATA_BYTE)
					abort();
			if (!after_download || sent + len > announced)
				abort();
			sent += (unsigned)len;
			continue;
		}
		/* no command once data went out and before all of it did (a
		 * refused download sends none) */
		if ((sent && sent != announced) || len == 0 || len > RF_FB_CMD_MAX)
			abort();
		for (size_t k = 0; k < len; k++)
			if (w[k] < 0x20 || w[k] >= 0x7f)
				abort();
		char cmd[RF_FB_CMD_MAX + 1];
		memcpy(cmd, w, len);
		cmd[len] = 0;
		after_download = sscanf(cmd, "download:%8x", &announced) == 1;
		sent = 0;
		if (!after_download)
			announced = 0;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct fz_in in = { data, len, 0 };
	uint8_t which = fz_u8(&in);
	struct fz_in replies = in;
	struct fake_transport *f = fz_fb_phone(&in);
	struct rf_fastboot fb;
	struct waits waits = { "", 0 };

	rf_fb_init(&fb, &f->t);
	fb.on_info = info;
	fb.on_wait = on_wait;
	fb.user = &waits;
	session(&fb, which);
	if (waits.depth)
		abort(); /* a writing phase never closed */
	check_wire(f);
	fz_fb_each_reply_text(&replies, check_hex);
	rf_transport_close(&f->t);
	return 0;
}
