/* See fb_feed.h. */
#include "fb_feed.h"

#include <stdlib.h>
#include <string.h>

#include "rf_error.h"

struct fake_transport *fz_fb_phone(struct fz_in *in)
{
	struct fake_transport *f = fake_transport_new();

	while (in->off < in->len) {
		uint8_t n = fz_u8(in);
		const uint8_t *p;
		if (n == FZ_FB_TIMEOUT) {
			fake_transport_reply_error(f, RF_ETIMEDOUT);
		} else if (n == FZ_FB_PULLED) {
			fake_transport_reply_error(f, RF_EDISCONNECTED);
		} else {
			size_t k = fz_take(in, n, &p);
			fake_transport_reply_bytes(f, p, k);
		}
	}
	fake_transport_reply_error(f, RF_EDISCONNECTED);
	return f;
}

void fz_fb_each_reply_text(struct fz_in *in, void (*visit)(const char *text))
{
	char text[256];

	while (in->off < in->len) {
		uint8_t n = fz_u8(in);
		const uint8_t *p;
		size_t k;
		if (n == FZ_FB_TIMEOUT || n == FZ_FB_PULLED)
			continue;
		k = fz_take(in, n, &p);
		if (k < 4)
			continue;
		memcpy(text, p + 4, k - 4);
		text[k - 4] = 0;
		visit(text);
	}
}

void fz_fb_check_cmd(const struct fake_transport *f, size_t i, const char *cmd)
{
	if (!fake_transport_write_is(f, i, cmd))
		abort();
}
