/* libFuzzer harness: fastboot packages (.tgz) -- the gzip members, the tar
 * entries' metadata (names, types, sizes, pax and GNU headers), the
 * package checks, the gzip index and the images read back through it
 * (flasher/package/: package.c's verification pass, inflate.c,
 * pkg_stream.c).
 *
 * Input: a configuration byte, then either a whole .tgz (bit 0 clear) or
 * a tar that the harness wraps in a valid gzip of stored blocks (bit 0
 * set: the fuzzer works on the tar headers, not on deflate), cut into
 * several gzip members when bits 3-4 say so.
 *   bit 1  the package's full MD5 is given (the right one)
 *   bit 2  a wrong full MD5 is given
 *   bit 5  the images are read back in reverse tar order (through the
 *          gzip index, or the spool and restarts without it)
 *   bit 6  opened with the gzip index (a resume point every 8 KiB)
 *   bit 7  opened twice with a folder of verification records: the
 *          second open comes from the record the first one wrote
 *
 * Whatever the bytes: no crash; a wrong MD5 is refused; an accepted
 * package has the right MD5, files with plain relative paths inside it,
 * and each image reads back at its size, with the same bytes whatever the
 * order, and a script's bytes are its text; a package from its record is
 * the package the pass found, and reads back the same. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <isa-l/crc.h>

#include "harness.h"
#include "md5.h"
#include "package.h"
#include "pkg_stream.h"

#define MAX_IMAGES 64

/* A gzip member of stored deflate blocks holding p[0..n). */
static size_t gz_member(uint8_t *out, const uint8_t *p, size_t n)
{
	static const uint8_t head[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3 };
	size_t o = 0, done = 0;
	uint32_t crc = crc32_gzip_refl(0, p, n);

	memcpy(out, head, sizeof head);
	o += sizeof head;
	do {
		size_t k = n - done < 65535 ? n - done : 65535;
		out[o++] = done + k == n; /* BFINAL, BTYPE 00 */
		out[o++] = (uint8_t)k;
		out[o++] = (uint8_t)(k >> 8);
		out[o++] = (uint8_t)~k;
		out[o++] = (uint8_t)(~k >> 8);
		memcpy(out + o, p + done, k);
		o += k;
		done += k;
	} while (done < n);
	for (int i = 0; i < 4; i++)
		out[o++] = (uint8_t)(crc >> (8 * i));
	for (int i = 0; i < 4; i++)
		out[o++] = (uint8_t)(n >> (8 * i));
	return o;
}

/* The tar wrapped in gzip members of `member` bytes (0: one). */
static uint8_t *wrap(const uint8_t *tar, size_t n, size_t member, size_t *len)
{
	size_t per = member ? member : n + 1;
	size_t members = n / per + 1;
	uint8_t *out = malloc(n + members * (18 + 5 * (per / 65535 + 2)));
	size_t o = 0, done = 0;

	if (!out)
		abort();
	do {
		size_t k = n - done < per ? n - done : per;
		o += gz_member(out + o, tar + done, k);
		done += k;
	} while (done < n);
	*len = o;
	return out;
}

/* A path of the package: relative, no empty, "." or ".." component. */
static void check_path(const char *p)
{
	if (!*p || *p == '/')
		abort();
	for (const char *s = p; s;) {
		const char *e = strchr(s, '/');
		size_t l = e ? (size_t)(e - s) : strlen(s);
		if (!l || (l == 1 && s[0] == '.') || (l == 2 && !strncmp(s, "..", 2)))
			abort();
		s = e ? e + 1 : NULL;
	}
}

/* Read every image in the order given; crc[i] for order[i]. */
static int read_back(const struct rf_package *p, const char **order, size_t n,
		     uint32_t *crc)
{
	struct rf_pkg_stream_opts so = { .order = order, .norder = n,
					 .spool_budget = 4096,
					 .spool_dir = fz_dir() };
	struct rf_pkg_stream *s = NULL;
	char err[RF_ERRLEN];
	unsigned char buf[4096];
	int rc = rf_pkg_stream_open(&s, p, &so, err);

	for (size_t i = 0; !rc && i < n; i++) {
		const struct rf_pkg_file *f = rf_pkg_find(p, order[i]);
		rf_read_fn rd;
		void *ctx;
		uint64_t size, total = 0;
		size_t got;
		rc = rf_pkg_stream_image(s, order[i], &rd, &ctx, &size);
		if (rc)
			break;
		if (!f || size != f->size)
			abort();
		crc[i] = 0;
		while (!(rc = rd(ctx, buf, sizeof buf, &got)) && got) {
			if (f->text && (total + got > f->text_len ||
					memcmp(buf, f->text + total, got)))
				abort(); /* a script reads back as its text */
			crc[i] = crc32_gzip_refl(crc[i], buf, got);
			total += got;
		}
		if (!rc && total != size)
			abort();
	}
	if (s)
		rf_pkg_stream_close(s);
	return rc;
}

static void check_package(const struct rf_package *p, int reverse)
{
	const char *order[MAX_IMAGES];
	uint32_t crc[MAX_IMAGES], crc2[MAX_IMAGES];
	size_t n = 0;

	for (size_t i = 0; i < p->nfiles; i++) {
		check_path(p->files[i].path);
		if (p->files[i].size > RF_PKG_MAX_ENTRY)
			abort();
		if (rf_pkg_find(p, p->files[i].path) == NULL)
			abort();
		if (n < MAX_IMAGES)
			order[n++] = p->files[i].path;
	}
	if (read_back(p, order, n, crc) || !reverse)
		return;
	for (size_t i = 0; i < n / 2; i++) {
		const char *t = order[i];
		order[i] = order[n - 1 - i];
		order[n - 1 - i] = t;
	}
	if (read_back(p, order, n, crc2))
		return;
	for (size_t i = 0; i < n; i++)
		if (crc2[i] != crc[n - 1 - i])
			abort(); /* another order, other bytes */
}

static int same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* What a record gives back is what the pass found. */
static void same_package(const struct rf_package *a, const struct rf_package *b)
{
	if (a->nfiles != b->nfiles || strcmp(a->top, b->top) || strcmp(a->md5, b->md5) ||
	    a->content_size != b->content_size || a->md5_state != b->md5_state ||
	    a->ngz_points != b->ngz_points)
		abort();
	for (size_t i = 0; i < a->nfiles; i++) {
		const struct rf_pkg_file *x = &a->files[i], *y = &b->files[i];
		if (strcmp(x->path, y->path) || x->size != y->size || x->sparse != y->sparse ||
		    x->tar_off != y->tar_off || x->data_off != y->data_off ||
		    !same_str(x->bad, y->bad) || x->text_len != y->text_len ||
		    (x->text_len && memcmp(x->text, y->text, x->text_len)) ||
		    !x->layout != !y->layout ||
		    (x->layout && (x->layout->n != y->layout->n ||
				   x->layout->out_bytes != y->layout->out_bytes)))
			abort();
	}
}

/* Open the package again: from the record the first open wrote. */
static void reopen(const struct rf_package *first, const char *path,
		   const struct rf_pkg_opts *o, int reverse)
{
	struct rf_package p;

	if (rf_pkg_open(&p, path, o) != RF_OK || !p.from_record)
		abort();
	same_package(first, &p);
	check_package(&p, reverse);
	rf_pkg_close(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct fz_in in = { data, len, 0 };
	uint8_t cfg = fz_u8(&in);
	const uint8_t *body;
	size_t n = fz_rest(&in, &body), flen = n;
	uint8_t *file = (uint8_t *)body, *wrapped = NULL;
	struct rf_pkg_opts o = { 0 };
	struct rf_package p;
	struct rf_md5 m;
	char md5[33], wrong[33], path[64];
	int fd, rc;

	if (cfg & 1) {
		size_t member = (cfg >> 3) & 3 ? (size_t)256 << ((cfg >> 3) & 3) * 2 : 0;
		file = wrapped = wrap(body, n, member, &flen);
	}
	if (rf_md5_init(&m))
		abort();
	rf_md5_update(&m, file, flen);
	rf_md5_final(&m, md5);
	memcpy(wrong, md5, sizeof wrong);
	wrong[0] = wrong[0] == '0' ? '1' : '0';
	if (cfg & 2)
		o.md5 = md5;
	if (cfg & 4)
		o.md5 = wrong;
	o.gz_index = (cfg >> 6) & 1;
	o.gz_index_step = 8192;
	o.record_dir = cfg & 0x80 ? fz_dir() : NULL;
	fz_dir_clear();
	fd = fz_memfile(file, flen, path);
	rc = rf_pkg_open(&p, path, &o);
	fz_check_str(p.err, sizeof p.err);
	if (rc == RF_OK) {
		if ((cfg & 4) || strcmp(p.md5, md5) ||
		    (o.md5 && p.md5_state != RF_MD5_FULL))
			abort();
		/* a zip (magic PK) is fuzz_zip's: here only the kind matters */
		if (p.kind != (flen >= 2 && file[0] == 0x1f && file[1] == 0x8b ?
			       RF_PKG_TGZ : RF_PKG_ZIP))
			abort();
		if (p.kind == RF_PKG_TGZ)
			check_package(&p, (cfg >> 5) & 1);
		if (p.kind == RF_PKG_TGZ && o.record_dir)
			reopen(&p, path, &o, (cfg >> 5) & 1);
	} else if (!p.err[0]) {
		abort();
	}
	rf_pkg_close(&p);
	close(fd);
	free(wrapped);
	return 0;
}
