/* Recovery zip structure.  See zip.h. */
#include "zip.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>

#include "rf_str.h"

#define EOCD_LEN 22
#define CDH_LEN 46
#define LFH_LEN 30
#define MAX_COMMENT 65535
#define SIG_EOCD 0x06054b50u
#define SIG_CDH 0x02014b50u
#define SIG_LFH 0x04034b50u
#define SIG_DD 0x08074b50u
#define SIG_Z64_LOC 0x07064b50u
#define FLAG_ENCRYPTED 0x0001u
#define FLAG_DESCRIPTOR 0x0008u
#define METHOD_STORED 0
#define METHOD_DEFLATE 8

static uint16_t le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

int rf_zip_read_at(struct rf_zip *z, void *buf, size_t n, uint64_t off,
		   const char *what)
{
	size_t done = 0;
	while (done < n) {
		ssize_t r = pread(z->fd, (char *)buf + done, n - done,
				  (off_t)(off + done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return rf_errf(z->err, RF_ESYS, "reading %s: %s", what,
				       strerror(errno));
		if (r == 0)
			return rf_errf(z->err, RF_EFORMAT, "%s runs past the "
				       "end of the file", what);
		done += (size_t)r;
	}
	return RF_OK;
}

/* The end record: the last "PK\5\6" whose comment ends the file exactly.
 * A second marker after it (in the comment) would let a reader that
 * searches differently see another archive: refused, as recovery does. */
static int find_eocd(struct rf_zip *z)
{
	size_t tail = z->size < EOCD_LEN + MAX_COMMENT ? (size_t)z->size
						       : EOCD_LEN + MAX_COMMENT;
	uint64_t base = z->size - tail;
	unsigned char *t = malloc(tail);
	int rc, found = -1;

	if (!t)
		return rf_errf(z->err, RF_ENOMEM, "out of memory");
	rc = rf_zip_read_at(z, t, tail, base, "the end of the zip");
	for (size_t i = tail - EOCD_LEN + 1; !rc && i-- > 0;)
		if (le32(t + i) == SIG_EOCD &&
		    i + EOCD_LEN + le16(t + i + 20) == tail) {
			found = (int)i;
			break;
		}
	if (!rc && found < 0)
		rc = rf_errf(z->err, RF_EFORMAT, "no end-of-central-directory "
			     "record: not a zip, or cut short");
	for (size_t i = (size_t)found + 4; !rc && i + 4 <= tail; i++)
		if (le32(t + i) == SIG_EOCD)
			rc = rf_errf(z->err, RF_EFORMAT, "the zip comment holds "
				     "a second end-of-central-directory "
				     "marker (a crafted zip?)");
	if (!rc) {
		const unsigned char *e = t + found;
		uint16_t disk = le16(e + 4), cd_disk = le16(e + 6);
		uint16_t here = le16(e + 8), total = le16(e + 10);
		z->eocd_off = base + (uint64_t)found;
		z->cd_size = le32(e + 12);
		z->cd_off = le32(e + 16);
		z->comment_len = le16(e + 20);
		z->n = total;
		if (total == 0xffff || z->cd_size == 0xffffffffu ||
		    z->cd_off == 0xffffffffu ||
		    (found >= 20 && le32(t + found - 20) == SIG_Z64_LOC))
			rc = rf_errf(z->err, RF_EFORMAT, "a zip64 archive: "
				     "recovery cannot read those");
		else if (disk || cd_disk || here != total)
			rc = rf_errf(z->err, RF_EFORMAT, "a zip split over "
				     "several disks");
		else if (total == 0)
			rc = rf_errf(z->err, RF_EFORMAT, "an empty zip");
		else if (z->cd_off + z->cd_size != z->eocd_off)
			rc = rf_errf(z->err, RF_EFORMAT, "the central directory "
				     "(%llu bytes at %llu) does not end where "
				     "its end record starts (%llu)",
				     (unsigned long long)z->cd_size,
				     (unsigned long long)z->cd_off,
				     (unsigned long long)z->eocd_off);
		else if (z->cd_size > RF_ZIP_MAX_CD ||
			 z->cd_size < (uint64_t)total * CDH_LEN)
			rc = rf_errf(z->err, RF_EFORMAT, "a central directory "
				     "of %llu bytes for %u entries",
				     (unsigned long long)z->cd_size, total);
	}
	free(t);
	return rc;
}

/* One central directory header at cd[*pos]; the name is copied to *np. */
static int parse_cdh(struct rf_zip *z, const unsigned char *cd, size_t *pos,
		     struct rf_zip_entry *e, char **np)
{
	const unsigned char *h = cd + *pos;
	size_t left = (size_t)z->cd_size - *pos, nl, xl, cl;

	if (left < CDH_LEN || le32(h) != SIG_CDH)
		return rf_errf(z->err, RF_EFORMAT, "central directory entry "
			       "%zu is damaged", (size_t)(e - z->e) + 1);
	nl = le16(h + 28);
	xl = le16(h + 30);
	cl = le16(h + 32);
	if (CDH_LEN + nl + xl + cl > left || nl == 0 || memchr(h + CDH_LEN, 0, nl))
		return rf_errf(z->err, RF_EFORMAT, "central directory entry "
			       "%zu has a bad name or length",
			       (size_t)(e - z->e) + 1);
	memcpy(*np, h + CDH_LEN, nl);
	(*np)[nl] = 0;
	e->name = *np;
	*np += nl + 1;
	e->flags = le16(h + 8);
	e->method = le16(h + 10);
	e->crc = le32(h + 16);
	e->csize = le32(h + 20);
	e->usize = le32(h + 24);
	e->local_off = le32(h + 42);
	*pos += CDH_LEN + nl + xl + cl;
	if (le16(h + 34) != 0 || e->csize == 0xffffffffu ||
	    e->usize == 0xffffffffu || e->local_off == 0xffffffffu)
		return rf_errf(z->err, RF_EFORMAT, "%s: zip64 or multi-disk "
			       "entry", e->name);
	if (e->flags & FLAG_ENCRYPTED)
		return rf_errf(z->err, RF_EFORMAT, "%s is encrypted", e->name);
	if (e->method != METHOD_STORED && e->method != METHOD_DEFLATE)
		return rf_errf(z->err, RF_EFORMAT, "%s: compression method %u "
			       "(recovery reads only stored and deflate)",
			       e->name, e->method);
	if (e->method == METHOD_STORED && e->csize != e->usize)
		return rf_errf(z->err, RF_EFORMAT, "%s: stored, yet %llu bytes "
			       "hold %llu", e->name,
			       (unsigned long long)e->csize,
			       (unsigned long long)e->usize);
	return RF_OK;
}

static int read_cd(struct rf_zip *z)
{
	unsigned char *cd = malloc((size_t)z->cd_size);
	size_t pos = 0;
	char *np;
	int rc;

	z->e = calloc(z->n, sizeof *z->e);
	/* every name plus its NUL fits in the directory's size */
	z->names = malloc((size_t)z->cd_size + 1);
	if (!cd || !z->e || !z->names) {
		free(cd);
		return rf_errf(z->err, RF_ENOMEM, "out of memory");
	}
	np = z->names;
	rc = rf_zip_read_at(z, cd, (size_t)z->cd_size, z->cd_off,
		     "the central directory");
	for (size_t i = 0; !rc && i < z->n; i++)
		rc = parse_cdh(z, cd, &pos, &z->e[i], &np);
	if (!rc && pos != z->cd_size)
		rc = rf_errf(z->err, RF_EFORMAT, "the central directory holds "
			     "%llu bytes more than its %zu entries",
			     (unsigned long long)(z->cd_size - pos), z->n);
	free(cd);
	return rc;
}

static int by_offset(const void *a, const void *b)
{
	const struct rf_zip_entry *x = *(const struct rf_zip_entry *const *)a;
	const struct rf_zip_entry *y = *(const struct rf_zip_entry *const *)b;
	return x->local_off < y->local_off ? -1 : x->local_off > y->local_off;
}

static int by_name(const void *a, const void *b)
{
	return strcmp((*(const struct rf_zip_entry *const *)a)->name,
		      (*(const struct rf_zip_entry *const *)b)->name);
}

/* The data descriptor after entry e's data, when it has one: 12 bytes, or
 * 16 with the optional signature; it must repeat the directory's values. */
static int check_descriptor(struct rf_zip *z, const struct rf_zip_entry *e,
			    uint64_t at, uint64_t *len)
{
	unsigned char d[16];
	const unsigned char *v = d;
	int rc;

	if (at + 12 > z->cd_off)
		return rf_errf(z->err, RF_EFORMAT, "%s: no room for its data "
			       "descriptor", e->name);
	rc = rf_zip_read_at(z, d, at + 16 <= z->cd_off ? 16 : 12, at, e->name);
	if (rc)
		return rc;
	*len = 12;
	if (le32(d) == SIG_DD && at + 16 <= z->cd_off) {
		v = d + 4;
		*len = 16;
	}
	if (le32(v) != e->crc || le32(v + 4) != e->csize ||
	    le32(v + 8) != e->usize)
		return rf_errf(z->err, RF_EFORMAT, "%s: its data descriptor "
			       "disagrees with the central directory", e->name);
	return RF_OK;
}

/* Entry e's local header: the same name, method, CRC and sizes as in the
 * central directory.  Sets e->data_off; *end gets where its bytes end. */
static int check_local(struct rf_zip *z, struct rf_zip_entry *e,
		       uint64_t *end)
{
	unsigned char h[LFH_LEN];
	size_t nl = strlen(e->name);
	char *name = malloc(nl + 1);
	uint64_t dd = 0;
	int rc;

	if (!name)
		return rf_errf(z->err, RF_ENOMEM, "out of memory");
	rc = rf_zip_read_at(z, h, LFH_LEN, e->local_off, e->name);
	if (!rc && le32(h) != SIG_LFH)
		rc = rf_errf(z->err, RF_EFORMAT, "%s: no local header at "
			     "offset %llu", e->name,
			     (unsigned long long)e->local_off);
	if (!rc && (le16(h + 26) != nl || le16(h + 8) != e->method ||
		    (le16(h + 6) & FLAG_DESCRIPTOR) != (e->flags & FLAG_DESCRIPTOR)))
		rc = rf_errf(z->err, RF_EFORMAT, "%s: its local header "
			     "disagrees with the central directory", e->name);
	if (!rc)
		rc = rf_zip_read_at(z, name, nl, e->local_off + LFH_LEN, e->name);
	if (!rc && memcmp(name, e->name, nl))
		rc = rf_errf(z->err, RF_EFORMAT, "the entry at offset %llu is "
			     "named differently in the central directory "
			     "(%s)", (unsigned long long)e->local_off, e->name);
	if (!rc && !(e->flags & FLAG_DESCRIPTOR) &&
	    (le32(h + 14) != e->crc || le32(h + 18) != e->csize ||
	     le32(h + 22) != e->usize))
		rc = rf_errf(z->err, RF_EFORMAT, "%s: CRC or sizes differ "
			     "between its local header and the central "
			     "directory", e->name);
	free(name);
	if (rc)
		return rc;
	e->data_off = e->local_off + LFH_LEN + nl + le16(h + 28);
	*end = e->data_off + e->csize;
	if (*end > z->cd_off)
		return rf_errf(z->err, RF_EFORMAT, "%s runs into the central "
			       "directory", e->name);
	if (e->flags & FLAG_DESCRIPTOR) {
		rc = check_descriptor(z, e, *end, &dd);
		*end += dd;
	}
	return rc;
}

/* Local headers in file order: each entry starts where the previous one
 * ended, the first at 0, the last ends at the central directory -- no
 * overlaps, no bytes that belong to nothing. */
static int check_entries(struct rf_zip *z)
{
	struct rf_zip_entry **v = malloc(z->n * sizeof *v);
	uint64_t at = 0, end = 0;
	int rc = RF_OK;

	if (!v)
		return rf_errf(z->err, RF_ENOMEM, "out of memory");
	for (size_t i = 0; i < z->n; i++)
		v[i] = &z->e[i];
	qsort(v, z->n, sizeof *v, by_name);
	for (size_t i = 1; !rc && i < z->n; i++)
		if (!strcmp(v[i - 1]->name, v[i]->name))
			rc = rf_errf(z->err, RF_EFORMAT, "%s appears twice in "
				     "the zip", v[i]->name);
	qsort(v, z->n, sizeof *v, by_offset);
	for (size_t i = 0; !rc && i < z->n; i++) {
		if (v[i]->local_off != at) {
			rc = rf_errf(z->err, RF_EFORMAT, "%s starts at offset "
				     "%llu, the previous entry ends at %llu "
				     "(overlapping or hidden data)", v[i]->name,
				     (unsigned long long)v[i]->local_off,
				     (unsigned long long)at);
			break;
		}
		rc = check_local(z, v[i], &end);
		at = end;
	}
	if (!rc && at != z->cd_off)
		rc = rf_errf(z->err, RF_EFORMAT, "%llu bytes between the last "
			     "entry and the central directory",
			     (unsigned long long)(z->cd_off - at));
	free(v);
	return rc;
}

int rf_zip_open(struct rf_zip *z, const char *path)
{
	int rc;

	memset(z, 0, sizeof *z);
	z->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (z->fd < 0)
		return rf_errf(z->err, RF_ESYS, "%s: %s", path, strerror(errno));
	if (fstat(z->fd, &z->st) < 0) {
		rc = rf_errf(z->err, RF_ESYS, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(z->st.st_mode)) {
		rc = rf_errf(z->err, RF_EFORMAT, "%s: not a file", path);
		goto out;
	}
	z->size = (uint64_t)z->st.st_size;
	if (z->size < EOCD_LEN) {
		rc = rf_errf(z->err, RF_EFORMAT, "%s: too short for a zip "
			     "(%llu bytes)", path, (unsigned long long)z->size);
		goto out;
	}
	rc = find_eocd(z);
	if (!rc)
		rc = read_cd(z);
	if (!rc)
		rc = check_entries(z);
out:
	if (rc) {
		char why[RF_ERRLEN];
		rf_strlcpy(why, z->err, sizeof why);
		rf_zip_close(z);
		rf_errf(z->err, rc, "%s", why);
	}
	return rc;
}

void rf_zip_close(struct rf_zip *z)
{
	if (z->fd >= 0)
		close(z->fd);
	free(z->e);
	free(z->names);
	z->e = NULL;
	z->names = NULL;
	z->n = 0;
	z->fd = -1;
}

const struct rf_zip_entry *rf_zip_find(const struct rf_zip *z,
				       const char *name)
{
	for (size_t i = 0; i < z->n; i++)
		if (!strcmp(z->e[i].name, name))
			return &z->e[i];
	return NULL;
}

static int inflate_all(struct rf_zip *z, const struct rf_zip_entry *e,
		       unsigned char *in, char *out)
{
	struct inflate_state *st = malloc(sizeof *st);
	int r;

	if (!st)
		return rf_errf(z->err, RF_ENOMEM, "out of memory");
	isal_inflate_init(st);
	st->crc_flag = ISAL_DEFLATE;
	st->next_in = in;
	st->avail_in = (uint32_t)e->csize;
	st->next_out = (uint8_t *)out;
	st->avail_out = (uint32_t)e->usize;
	r = isal_inflate_stateless(st);
	uint32_t total = st->total_out;
	free(st);
	if (r != ISAL_DECOMP_OK || total != e->usize)
		return rf_errf(z->err, RF_EFORMAT, "%s: its deflate data is "
			       "damaged", e->name);
	return RF_OK;
}

int rf_zip_read_entry(struct rf_zip *z, const struct rf_zip_entry *e,
		      size_t max, char **out, size_t *len)
{
	unsigned char *in = NULL;
	char *buf = NULL;
	int deflated = e->method == METHOD_DEFLATE, rc;

	*out = NULL;
	*len = 0;
	if (e->usize > max || e->csize > max)
		return rf_errf(z->err, RF_EFORMAT, "%s: %llu bytes, more than "
			       "the %zu expected", e->name,
			       (unsigned long long)e->usize, max);
	buf = malloc((size_t)e->usize + 1);
	/* stored: read straight into the result */
	in = deflated ? malloc((size_t)e->csize + 1) : (unsigned char *)buf;
	if (!buf || !in) {
		rc = rf_errf(z->err, RF_ENOMEM, "out of memory");
		goto out;
	}
	rc = rf_zip_read_at(z, in, (size_t)e->csize, e->data_off, e->name);
	if (!rc && deflated)
		rc = inflate_all(z, e, in, buf);
	if (!rc && crc32_gzip_refl(0, (unsigned char *)buf, e->usize) != e->crc)
		rc = rf_errf(z->err, RF_EFORMAT, "%s: CRC mismatch (damaged "
			     "zip)", e->name);
	if (!rc) {
		buf[e->usize] = 0;
		*out = buf;
		*len = (size_t)e->usize;
		buf = NULL;
	}
out:
	if (deflated)
		free(in);
	free(buf);
	return rc;
}

/* ---- updater-script ----------------------------------------------------- */

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	return p;
}

/* A quoted string at p (backslash escapes kept as they are): its contents
 * go to out (cap bytes); returns the byte after the closing quote, or NULL
 * when p is not a complete string. */
static const char *quoted(const char *p, char *out, size_t cap)
{
	size_t k = 0;
	if (*p != '"')
		return NULL;
	for (p++; *p && *p != '"'; p++) {
		if (*p == '\\' && p[1])
			p++;
		if (k + 1 < cap)
			out[k++] = *p;
	}
	if (cap)
		out[k] = 0;
	return *p == '"' ? p + 1 : NULL;
}

/* The end of the parenthesised text starting after "assert(" at p: the
 * matching ')' (strings skipped), or NULL. */
static const char *close_paren(const char *p)
{
	int depth = 1;
	char tmp[2];
	while (*p) {
		if (*p == '"') {
			p = quoted(p, tmp, 0);
			if (!p)
				return NULL;
			continue;
		}
		if (*p == '(')
			depth++;
		else if (*p == ')' && --depth == 0)
			return p;
		p++;
	}
	return NULL;
}

/* getprop("KEY") == "VALUE" at p: fills key/value, returns the end. */
static const char *comparison(const char *p, char key[64], char val[64])
{
	p = skip_ws(p + strlen("getprop("));
	p = quoted(p, key, 64);
	if (!p)
		return NULL;
	p = skip_ws(p);
	if (*p != ')')
		return NULL;
	p = skip_ws(p + 1);
	if (p[0] != '=' || p[1] != '=')
		return NULL;
	return quoted(skip_ws(p + 2), val, 64);
}

size_t rf_zip_script_devices(const char *script,
			     char dev[RF_ZIP_MAX_DEVICES][64])
{
	for (const char *a = strstr(script, "assert("); a;
	     a = strstr(a + 1, "assert(")) {
		const char *body = a + strlen("assert(");
		const char *end = close_paren(body);
		size_t n = 0;
		if (!end)
			return 0;
		for (const char *g = strstr(body, "getprop("); g && g < end;
		     g = strstr(g + 1, "getprop(")) {
			char key[64], val[64];
			const char *after = comparison(g, key, val);
			if (!after || after > end || !val[0] ||
			    (strcmp(key, "ro.product.device") &&
			     strcmp(key, "ro.build.product")))
				continue;
			int known = 0;
			for (size_t i = 0; i < n; i++)
				known |= !strcmp(dev[i], val);
			if (!known && n < RF_ZIP_MAX_DEVICES)
				rf_strlcpy(dev[n++], val, 64);
		}
		if (n)
			return n;
	}
	return 0;
}
