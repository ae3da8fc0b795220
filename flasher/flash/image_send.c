/* Sending images over fastboot, to one phone or several.  See image_send.h. */
#include "image_send.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COPY_BUF (1024 * 1024)

void rf_fanout_one(struct rf_fanout *fo, struct rf_fastboot **fbp, int *rc,
		   char (*err)[RF_ERRLEN])
{
	memset(fo, 0, sizeof *fo);
	fo->n = 1;
	fo->fb = fbp;
	fo->rc = rc;
	fo->err = err;
	*rc = RF_OK;
}

/* Phone i failed: keep its fastboot message. */
static void drop(struct rf_fanout *fo, size_t i, int rc)
{
	fo->rc[i] = rc;
	snprintf(fo->err[i], RF_ERRLEN, "%s", fo->fb[i]->err);
}

/* RF_OK while a phone is alive; else the last failure, message in err. */
static int alive(const struct rf_fanout *fo, char *err)
{
	int last = RF_EIO;
	for (size_t i = 0; i < fo->n; i++) {
		if (fo->rc[i] == RF_OK)
			return RF_OK;
		last = fo->rc[i];
	}
	for (size_t i = fo->n; i-- > 0;)
		if (fo->rc[i]) {
			snprintf(err, RF_ERRLEN, "%s", fo->err[i]);
			break;
		}
	return last;
}

int rf_fanout_fail_all(struct rf_fanout *fo, int rc, const char *err)
{
	for (size_t i = 0; i < fo->n; i++)
		if (fo->rc[i] == RF_OK) {
			fo->rc[i] = rc;
			snprintf(fo->err[i], RF_ERRLEN, "%s", err);
		}
	return rc;
}

int rf_fanout_each(struct rf_fanout *fo,
		   int (*op)(struct rf_fastboot *fb, const char *arg),
		   const char *arg, char *err)
{
	for (size_t i = 0; i < fo->n; i++) {
		int rc;
		if (fo->rc[i])
			continue;
		rc = op(fo->fb[i], arg);
		if (rc)
			drop(fo, i, rc);
	}
	return alive(fo, err);
}

static int op_begin(struct rf_fastboot *fb, const char *arg)
{
	return rf_fb_download_begin(fb, (uint32_t)strtoul(arg, NULL, 10));
}

static int op_end(struct rf_fastboot *fb, const char *arg)
{
	(void)arg;
	return rf_fb_download_end(fb);
}

static int op_flash(struct rf_fastboot *fb, const char *part)
{
	return rf_fb_flash(fb, part);
}

static int op_boot(struct rf_fastboot *fb, const char *arg)
{
	(void)arg;
	return rf_fb_boot(fb);
}

struct sink {
	struct rf_fanout *fo;
	struct rf_progress *p;
	char *err;
};

/* Each buffer goes to every live phone (USB writes are queued by the
 * transport, so the phones receive in parallel). */
static int sink_write(void *ctx, const void *buf, size_t len)
{
	struct sink *s = ctx;
	struct rf_fanout *fo = s->fo;
	int rc;
	for (size_t i = 0; i < fo->n; i++) {
		if (fo->rc[i])
			continue;
		rc = rf_fb_download_write(fo->fb[i], buf, len);
		if (rc)
			drop(fo, i, rc);
	}
	rc = alive(fo, s->err);
	if (!rc && s->p)
		progress_update(s->p, s->p->done + len);
	return rc;
}

static int begin(struct rf_fanout *fo, uint64_t bytes, char *err)
{
	char arg[24];
	if (bytes > UINT32_MAX)
		return rf_errf(err, RF_ETOOBIG, "internal: download of %llu bytes",
			       (unsigned long long)bytes);
	snprintf(arg, sizeof arg, "%llu", (unsigned long long)bytes);
	return rf_fanout_each(fo, op_begin, arg, err);
}

/* One download of the image as stored. */
static int send_as_is(struct rf_fanout *fo, const struct rf_image *img,
		      struct rf_progress *p, char *err)
{
	struct sink s = { fo, p, err };
	unsigned char *buf = malloc(COPY_BUF);
	uint64_t sent = 0;
	int rc;

	if (!buf)
		return rf_errf(err, RF_ENOMEM, "out of memory");
	rc = begin(fo, img->size, err);
	while (!rc && sent < img->size) {
		size_t want = img->size - sent < COPY_BUF ? (size_t)(img->size - sent) : COPY_BUF;
		size_t got = 0;
		rc = img->read(img->ctx, buf, want, &got);
		if (rc) {
			rf_errf(err, rc, "reading the image: %s",
				img->read_err ? img->read_err : rf_strerror(rc));
			rf_fanout_fail_all(fo, rc, err);
			break;
		}
		if (!got) {
			rc = rf_errf(err, RF_EFORMAT, "image ended after %llu of %llu bytes",
				     (unsigned long long)sent, (unsigned long long)img->size);
			rf_fanout_fail_all(fo, rc, err);
			break;
		}
		rc = sink_write(&s, buf, got);
		sent += got;
	}
	if (!rc)
		rc = rf_fanout_each(fo, op_end, NULL, err);
	free(buf);
	return rc;
}

int rf_image_plan(const struct rf_image *img, uint32_t max_dl,
		  unsigned *downloads, uint64_t *wire, char *err)
{
	if (img->size > max_dl && !img->layout)
		return rf_errf(err, RF_EINVAL, "internal: no layout for a split image");
	return rf_sparse_download_count(img->layout, img->size, max_dl, downloads,
					wire, err);
}

/* Ctrl-C lets the download under way finish (the bootloader would take
 * anything else for image data) and then writes nothing more: not even
 * that download, which the resumed flash sends again. */
static int flash_downloaded(struct rf_fanout *fo, const char *partition,
			    char *err)
{
	if (fo->stop && *fo->stop)
		return rf_fanout_fail_all(fo, rf_errf(err, RF_EINTR, "interrupted"), err);
	return rf_fanout_each(fo, op_flash, partition, err);
}

int rf_image_flash(struct rf_fanout *fo, const char *partition,
		   const struct rf_image *img, uint32_t max_dl,
		   struct rf_progress *p, char *err)
{
	struct rf_sparse_layout *l = (struct rf_sparse_layout *)img->layout;
	struct rf_sparse_split s = { 0 };
	struct sink sk = { fo, p, err };
	uint64_t pos = 0;
	int rc;

	if (img->size <= max_dl) {
		rc = send_as_is(fo, img, p, err);
		return rc ? rc : flash_downloaded(fo, partition, err);
	}
	if (!l)
		return rf_errf(err, RF_EINVAL, "internal: no layout for a split image");
	rc = rf_sparse_split(l, max_dl, &s);
	if (rc) {
		rf_errf(err, rc, "%s", l->err);
		goto out;
	}
	for (size_t i = 0; i < s.n; i++) {
		/* and no new piece after Ctrl-C */
		if (i > 0 && fo->stop && *fo->stop) {
			rc = rf_fanout_fail_all(fo, rf_errf(err, RF_EINTR, "interrupted"), err);
			goto out;
		}
		rc = begin(fo, s.piece[i].bytes, err);
		if (rc)
			goto out;
		rc = rf_sparse_emit_piece(l, &s, i, img->read, img->ctx, &pos,
					  sink_write, &sk);
		if (rc) {
			if (alive(fo, err) == RF_OK) {
				/* the phones are fine: the image is not */
				rf_errf(err, rc, "reading the image: %s",
					img->read_err && img->read_err[0] ? img->read_err : l->err);
				rf_fanout_fail_all(fo, rc, err);
			}
			goto out;
		}
		rc = rf_fanout_each(fo, op_end, NULL, err);
		if (!rc)
			rc = flash_downloaded(fo, partition, err);
		if (rc)
			goto out;
	}
out:
	rf_sparse_split_free(&s);
	return rc;
}

int rf_image_boot(struct rf_fanout *fo, const struct rf_image *img,
		  uint32_t max_dl, struct rf_progress *p, char *err)
{
	int rc;
	if (img->size > max_dl)
		return rf_fanout_fail_all(fo, rf_errf(err, RF_ETOOBIG,
			"image of %llu bytes exceeds the phone's download size 0x%x",
			(unsigned long long)img->size, max_dl), err);
	rc = send_as_is(fo, img, p, err);
	return rc ? rc : rf_fanout_each(fo, op_boot, NULL, err);
}
