/* What the package open learns from an image's bytes: whether it is a
 * sparse image (its layout, or why it is malformed or would be refused by
 * the bootloader), and for a folder the digests of its windows. */
#include "pkg_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int src_raw(struct rf_pkg_src *r, void *buf, size_t len, size_t *got)
{
	if (r->a) {
		la_ssize_t n = archive_read_data(r->a, buf, len);
		if (n < 0)
			return rf_errf(r->err, RF_EFORMAT, "%s",
				       archive_error_string(r->a));
		*got = (size_t)n;
		return RF_OK;
	}
	for (;;) {
		ssize_t n = read(r->fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return rf_errf(r->err, RF_ESYS, "read: %s", strerror(errno));
		*got = (size_t)n;
		return RF_OK;
	}
}

int rf_pkg_src_read(void *ctx, void *buf, size_t len, size_t *got)
{
	struct rf_pkg_src *r = ctx;
	int rc;
	*got = 0;
	if (r->head_pos < r->head_len) {
		/* the first bytes were taken to look at the magic */
		size_t k = r->head_len - r->head_pos;
		if (k > len)
			k = len;
		memcpy(buf, r->head + r->head_pos, k);
		r->head_pos += k;
		*got = k;
		return RF_OK;
	}
	if ((rc = src_raw(r, buf, len, got)))
		return rc;
	r->done += *got;
	if (r->rec && *got && rf_winrec_feed(r->rec, buf, *got))
		return rf_errf(r->err, RF_ENOMEM, "out of memory");
	return RF_OK;
}

int rf_pkg_src_drain(struct rf_pkg_src *r)
{
	static unsigned char sink[65536];
	size_t got;
	int rc;
	do
		rc = rf_pkg_src_read(r, sink, sizeof sink, &got);
	while (!rc && got);
	return rc;
}

/* Fill r->head with up to 4 bytes (they count as read: digests). */
static int src_head(struct rf_pkg_src *r)
{
	while (r->head_len < sizeof r->head) {
		size_t got;
		int rc = rf_pkg_src_read(r, r->head + r->head_len,
					 sizeof r->head - r->head_len, &got);
		if (rc)
			return rc;
		if (!got)
			break;
		r->head_len += got;
		r->head_pos = r->head_len;
	}
	r->head_pos = 0;
	return RF_OK;
}

/* The image is bad: why, for the plan to say if a script names it. */
static int mark_bad(struct rf_package *p, struct rf_pkg_file *f,
		    const char *why)
{
	f->sparse = 1;
	f->bad = strdup(why);
	return f->bad ? RF_OK : rf_errf(p->err, RF_ENOMEM, "out of memory");
}

/* Scan a sparse image's layout within what is left of the package's
 * budget of extents; *l NULL with f->bad when it is malformed. */
static int scan_layout(struct rf_package *p, struct rf_pkg_file *f,
		       struct rf_pkg_src *r, struct rf_sparse_layout **out)
{
	struct rf_sparse_layout *l = calloc(1, sizeof *l);
	int rc;

	*out = NULL;
	if (!l)
		return rf_errf(p->err, RF_ENOMEM, "out of memory");
	r->err[0] = 0;
	rc = rf_sparse_layout_scan_max(l, rf_pkg_src_read, r,
				       RF_PKG_MAX_EXTENTS - p->used_extents);
	if (r->err[0]) { /* the read itself failed */
		free(l);
		return rf_errf(p->err, rc ? rc : RF_EFORMAT, "%s: %s", f->path,
			       r->err);
	}
	if (rc == RF_ENOMEM) {
		free(l);
		return rf_errf(p->err, rc, "out of memory");
	}
	if (rc) {
		rc = mark_bad(p, f, l->err[0] ? l->err : "malformed sparse image");
		free(l);
		return rc;
	}
	*out = l;
	return RF_OK;
}

int rf_pkg_scan_image(struct rf_package *p, struct rf_pkg_file *f,
		      struct rf_pkg_src *r)
{
	struct rf_sparse_layout *l;
	char why[RF_ERRLEN];
	int rc = src_head(r);

	if (rc)
		return rf_errf(p->err, rc, "%s: %s", f->path, r->err);
	/* fewer than 28 bytes beginning like a sparse image: the
	 * bootloader takes them for one (rf_sparse_lk_check) */
	if (f->size < RF_SPARSE_HEADER_LEN)
		return rf_sparse_lk_check(r->head, f->size, NULL, why) ?
		       mark_bad(p, f, why) : RF_OK;
	if (r->head_len < 4 || !rf_sparse_is_sparse(r->head, 4))
		return RF_OK;
	f->sparse = 1;
	if ((rc = scan_layout(p, f, r, &l)) || !l)
		return rc;
	if (rf_sparse_lk_check(r->head, f->size, l, why)) {
		rf_sparse_layout_free(l);
		free(l);
		return mark_bad(p, f, why);
	}
	p->used_extents += l->n;
	f->layout = l;
	return RF_OK;
}
