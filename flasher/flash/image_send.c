/* Sending an image over fastboot to one phone.  See image_send.h. */
#include "image_send.h"
#include "rf_str.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Per phone: with many phones at once every one holds such a buffer. */
#define COPY_BUF (256 * 1024)

/* Sending counts what the phone took: the transport's queue (a socket
 * buffer of megabytes, USB transfers in flight) is not on the phone yet. */
static uint64_t taken(struct rf_send *s)
{
	uint64_t q = rf_transport_unacked(s->fb->t);
	return q < s->sent ? s->sent - q : 0;
}

static void progress(struct rf_send *s, enum rf_send_phase ph)
{
	if (s->progress)
		s->progress(s->user, ph, ph == RF_PHASE_SENDING ? taken(s) : s->sent, s->total);
}

/* The phone's own failure: its message. */
static int phone_err(struct rf_send *s, int rc)
{
	rf_strlcpy(s->err, s->fb->err, sizeof s->err);
	return rc;
}

/* The image's failure (reading the package): nothing wrong with the phone. */
static int image_err(struct rf_send *s, int rc, const char *what)
{
	s->read_failed = 1;
	return rf_errf(s->err, rc, "reading the image: %s", what && *what ? what : rf_strerror(rc));
}

/* A download whose data the phone stopped taking (or never confirmed):
 * the transport's or the reply's timeout.  Told in bytes of the image the
 * phone took, as progress counts them, not as a command that timed out. */
static int stall_err(struct rf_send *s, int rc)
{
	const char *what = s->label && *s->label ? s->label : "the image";
	uint64_t done = taken(s);
	int secs = (s->fb->timeout_ms > 0 ? s->fb->timeout_ms : RF_FB_DEFAULT_TIMEOUT_MS) / 1000;
	char piece[64] = "";

	if (rc != RF_ETIMEDOUT)
		return phone_err(s, rc);
	if (s->downloads > 1) /* the bytes count the whole image, say which piece */
		snprintf(piece, sizeof piece, ", in its download %u of %u", s->piece,
			 s->downloads);
	if (done < s->total)
		return rf_errf(s->err, rc, "the phone stopped taking data after %llu of %llu "
			       "bytes of %s%s (%d s without progress)", (unsigned long long)done,
			       (unsigned long long)s->total, what, piece, secs);
	/* the transport took every byte (over TCP: the phone's socket did) */
	return rf_errf(s->err, rc, "the phone took all %llu bytes of %s%s (as far as the link "
		       "tells) but did not confirm the download (%d s without progress)",
		       (unsigned long long)s->total, what, piece, secs);
}

static int write_sink(void *ctx, const void *buf, size_t len)
{
	struct rf_send *s = ctx;
	int rc = rf_fb_download_write(s->fb, buf, len);
	if (rc)
		return stall_err(s, rc);
	s->sent += len;
	progress(s, RF_PHASE_SENDING);
	return RF_OK;
}

static int begin(struct rf_send *s, uint64_t bytes)
{
	int rc;
	if (bytes > UINT32_MAX)
		return rf_errf(s->err, RF_ETOOBIG, "internal: download of %llu bytes",
			       (unsigned long long)bytes);
	rc = rf_fb_download_begin(s->fb, (uint32_t)bytes);
	return rc ? phone_err(s, rc) : RF_OK;
}

static int end(struct rf_send *s)
{
	int rc = rf_fb_download_end(s->fb);
	return rc ? stall_err(s, rc) : RF_OK;
}

/* One download of the image as stored. */
static int send_as_is(struct rf_send *s, const struct rf_image *img)
{
	unsigned char *buf = malloc(COPY_BUF);
	uint64_t left = img->size;
	int rc;

	if (!buf)
		return rf_errf(s->err, RF_ENOMEM, "out of memory");
	rc = begin(s, img->size);
	while (!rc && left) {
		size_t want = left < COPY_BUF ? (size_t)left : COPY_BUF;
		size_t got = 0;
		rc = img->read(img->ctx, buf, want, &got);
		if (rc) {
			image_err(s, rc, img->read_err);
			break;
		}
		if (!got) {
			s->read_failed = 1;
			rc = rf_errf(s->err, RF_EFORMAT, "image ended after %llu of %llu bytes",
				     (unsigned long long)(img->size - left),
				     (unsigned long long)img->size);
			break;
		}
		rc = write_sink(s, buf, got);
		left -= got;
	}
	if (!rc)
		rc = end(s);
	free(buf);
	return rc;
}

int rf_image_plan(const struct rf_image *img, uint32_t max_dl,
		  unsigned *downloads, uint64_t *wire, char *err)
{
	if ((img->size > max_dl || img->layout_only) && !img->layout)
		return rf_errf(err, RF_EINVAL, "internal: no layout for a split image");
	/* the plan counts with the same function: they agree (an image that
	 * is only a layout counts as larger than any download: split) */
	return rf_sparse_download_count(img->layout, img->layout_only ? UINT64_MAX
								      : img->size,
					max_dl, downloads, wire, err);
}

/* Ctrl-C lets the download under way finish (the bootloader would take
 * anything else for image data) and then writes nothing more: not even
 * that download, which the resumed flash sends again. */
static int stopped(struct rf_send *s)
{
	if (s->stop && *s->stop)
		return rf_errf(s->err, RF_EINTR, "interrupted");
	return RF_OK;
}

/* The command that makes the phone write what it downloaded. */
static int commit(struct rf_send *s, const char *partition)
{
	int rc = stopped(s);
	if (rc)
		return rc;
	s->in_flash = 1;
	progress(s, RF_PHASE_WRITING);
	rc = partition ? rf_fb_flash(s->fb, partition) : rf_fb_boot(s->fb);
	if (rc)
		return phone_err(s, rc);
	s->in_flash = 0;
	s->flashed++;
	return RF_OK;
}

static int send_split(struct rf_send *s, const char *partition,
		      const struct rf_image *img)
{
	struct rf_sparse_split sp = { 0 };
	struct rf_sparse_layout l;
	uint64_t pos = 0;
	int rc;

	if (!img->layout)
		return rf_errf(s->err, RF_EINVAL, "internal: no layout for a split image");
	l = *img->layout;
	rc = rf_sparse_split(&l, s->max_dl, &sp);
	if (rc) {
		s->read_failed = 1;
		rc = rf_errf(s->err, rc, "%s", l.err);
		goto out;
	}
	for (size_t i = 0; i < sp.n && !rc; i++) {
		/* no new piece after Ctrl-C */
		if (i > 0 && (rc = stopped(s)))
			break;
		s->piece = (unsigned)i + 1;
		rc = begin(s, sp.piece[i].bytes);
		if (rc)
			break;
		s->err[0] = 0;
		rc = rf_sparse_emit_piece(&l, &sp, i, img->read, img->ctx, &pos, write_sink, s);
		if (rc && !s->err[0]) /* the sink did not fail: the image did */
			image_err(s, rc, img->read_err && img->read_err[0] ? img->read_err : l.err);
		if (!rc)
			rc = end(s);
		if (!rc)
			rc = commit(s, partition);
	}
out:
	rf_sparse_split_free(&sp);
	return rc;
}

static int prepare(struct rf_send *s, const struct rf_image *img)
{
	s->sent = 0;
	s->flashed = 0;
	s->in_flash = 0;
	s->read_failed = 0;
	s->piece = 1;
	s->err[0] = 0;
	return rf_image_plan(img, s->max_dl, &s->downloads, &s->total, s->err);
}

int rf_image_flash(struct rf_send *s, const char *partition,
		   const struct rf_image *img)
{
	int rc = prepare(s, img);
	if (rc)
		return rc;
	if (s->downloads > 1 || img->size > s->max_dl || img->layout_only)
		return send_split(s, partition, img);
	rc = send_as_is(s, img);
	return rc ? rc : commit(s, partition);
}

int rf_image_boot(struct rf_send *s, const struct rf_image *img)
{
	int rc;
	if (img->size > s->max_dl) {
		s->read_failed = 1;
		return rf_errf(s->err, RF_ETOOBIG,
			       "image of %llu bytes exceeds the phone's download size 0x%x",
			       (unsigned long long)img->size, s->max_dl);
	}
	rc = prepare(s, img);
	if (!rc)
		rc = send_as_is(s, img);
	return rc ? rc : commit(s, NULL);
}
