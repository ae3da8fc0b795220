/* Sending images over fastboot.  See image_send.h. */
#include "image_send.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COPY_BUF (1024 * 1024)

/* The image goes as stored (one download) when it fits; a raw image that
 * does not fit, or a sparse image that does not fit, is split. */
static int fits_as_is(const struct rf_image *img, uint32_t max_dl)
{
	return img->size <= max_dl;
}

struct dl_sink {
	struct rf_fastboot *fb;
	struct rf_progress *p;
	uint64_t sent;
	int fb_rc; /* a fastboot failure, as opposed to the reader's */
};

static int sink_write(void *ctx, const void *buf, size_t len)
{
	struct dl_sink *s = ctx;
	int rc = rf_fb_download_write(s->fb, buf, len);
	if (rc)
		return s->fb_rc = rc;
	s->sent += len;
	if (s->p)
		progress_update(s->p, s->p->done + len);
	return RF_OK;
}

static int copy_as_is(struct rf_fastboot *fb, const struct rf_image *img,
		      struct rf_progress *p, char *err)
{
	struct dl_sink s = { fb, p, 0, 0 };
	unsigned char *buf = malloc(COPY_BUF);
	int rc;

	if (!buf)
		return rf_errf(err, RF_ENOMEM, "out of memory");
	rc = rf_fb_download_begin(fb, (uint32_t)img->size);
	if (rc)
		goto fb_err;
	while (s.sent < img->size) {
		size_t want = img->size - s.sent < COPY_BUF ? (size_t)(img->size - s.sent) : COPY_BUF;
		size_t got = 0;
		rc = img->read(img->ctx, buf, want, &got);
		if (rc) {
			rf_errf(err, rc, "reading the image: %s",
				img->read_err ? img->read_err : rf_strerror(rc));
			goto out;
		}
		if (!got) {
			rc = rf_errf(err, RF_ESYS, "image ended after %llu of %llu bytes",
				     (unsigned long long)s.sent, (unsigned long long)img->size);
			goto out;
		}
		rc = sink_write(&s, buf, got);
		if (rc)
			goto fb_err;
	}
	rc = rf_fb_download_end(fb);
	if (rc)
		goto fb_err;
	goto out;
fb_err:
	rf_errf(err, rc, "%s", fb->err);
out:
	free(buf);
	return rc;
}

int rf_image_plan(const struct rf_image *img, uint32_t max_dl,
		  unsigned *downloads, uint64_t *wire, char *err)
{
	struct rf_sparse_split s = { 0 };
	int rc;

	if (fits_as_is(img, max_dl)) {
		*downloads = 1;
		*wire = img->size;
		return RF_OK;
	}
	rc = rf_sparse_split(img->layout, max_dl, &s);
	if (rc)
		return rf_errf(err, rc, "%s", img->layout->err);
	*downloads = (unsigned)s.n;
	*wire = 0;
	for (size_t i = 0; i < s.n; i++)
		*wire += s.piece[i].bytes;
	rf_sparse_split_free(&s);
	return RF_OK;
}

int rf_image_flash(struct rf_fastboot *fb, const char *partition,
		   const struct rf_image *img, uint32_t max_dl,
		   struct rf_progress *p, char *err)
{
	struct rf_sparse_split s = { 0 };
	struct dl_sink sink = { fb, p, 0, 0 };
	uint64_t pos = 0;
	int rc;

	if (fits_as_is(img, max_dl)) {
		rc = copy_as_is(fb, img, p, err);
		if (!rc && (rc = rf_fb_flash(fb, partition)))
			rf_errf(err, rc, "%s", fb->err);
		return rc;
	}
	if (!img->layout)
		return rf_errf(err, RF_EINVAL, "internal: no layout for a split image");
	rc = rf_sparse_split(img->layout, max_dl, &s);
	if (rc) {
		rf_errf(err, rc, "%s", img->layout->err);
		goto out;
	}
	for (size_t i = 0; i < s.n; i++) {
		if (s.piece[i].bytes > UINT32_MAX) {
			rc = rf_errf(err, RF_ETOOBIG, "internal: piece too large");
			goto out;
		}
		rc = rf_fb_download_begin(fb, (uint32_t)s.piece[i].bytes);
		if (rc)
			goto fb_err;
		rc = rf_sparse_emit_piece(img->layout, &s, i, img->read, img->ctx,
					  &pos, sink_write, &sink);
		if (rc) {
			/* a fastboot failure, else the reader's or the
			 * layout's (the image does not match its scan) */
			if (sink.fb_rc)
				goto fb_err;
			rf_errf(err, rc, "reading the image: %s",
				img->read_err && img->read_err[0] ? img->read_err
								  : img->layout->err);
			goto out;
		}
		rc = rf_fb_download_end(fb);
		if (rc)
			goto fb_err;
		rc = rf_fb_flash(fb, partition);
		if (rc)
			goto fb_err;
	}
	goto out;
fb_err:
	rf_errf(err, rc, "%s", fb->err);
out:
	rf_sparse_split_free(&s);
	return rc;
}

int rf_image_boot(struct rf_fastboot *fb, const struct rf_image *img,
		  uint32_t max_dl, struct rf_progress *p, char *err)
{
	int rc;
	if (!fits_as_is(img, max_dl))
		return rf_errf(err, RF_ETOOBIG,
			       "image of %llu bytes exceeds the phone's download size 0x%x",
			       (unsigned long long)img->size, max_dl);
	rc = copy_as_is(fb, img, p, err);
	if (!rc && (rc = rf_fb_boot(fb)))
		rf_errf(err, rc, "%s", fb->err);
	return rc;
}
