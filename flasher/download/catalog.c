/* The ROM catalog: strict, bounded parsing of docs/catalog.md's format. */
#include "catalog.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include "rf_str.h"

/* data/catalog.txt, linked in by catalog_data.c */
extern const char rf_catalog_builtin[], rf_catalog_builtin_end[];

enum check { C_TEXT, C_NAME, C_URL, C_WORD, C_VERSION, C_TYPE, C_MD5, C_DATE };

static const struct field {
	const char *key;
	size_t off, cap;
	enum check check;
	int required;
} fields[] = {
#define F(k, m, c, r) { k, offsetof(struct rf_rom, m), sizeof(((struct rf_rom *)0)->m), c, r }
	F("name", name, C_NAME, 1),
	F("url", url, C_URL, 1),
	F("codename", codename, C_WORD, 1),
	F("version", version, C_VERSION, 1),
	{ "type", 0, 0, C_TYPE, 1 },
	F("region", region, C_WORD, 1),
	F("device", device, C_TEXT, 0),
	F("branch", branch, C_TEXT, 0),
	F("android", android, C_TEXT, 0),
	F("size", size, C_TEXT, 0),
	F("date", date, C_DATE, 0),
	F("md5", md5, C_MD5, 0),
	{ "changelog", 0, 0, C_TEXT, 0 },
#undef F
};
#define NFIELDS (sizeof fields / sizeof fields[0])
#define F_TYPE 4
#define F_CHANGELOG 12

const char *rf_rom_type_name(enum rf_rom_type t)
{
	return t == RF_ROM_FASTBOOT ? "fastboot" : t == RF_ROM_RECOVERY ? "recovery" : "any";
}

int rf_catalog_is_version(const char *s)
{
	int dot = 0, digit = 0;
	size_t n = strlen(s);
	if (!n || n >= 64 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (; *s; s++) {
		if (*s == '.')
			dot = 1;
		else if (isdigit((unsigned char)*s))
			digit = 1;
		else if (!isalpha((unsigned char)*s))
			return 0;
	}
	return dot && digit;
}

static int all_of(const char *v, const char *set_name)
{
	for (const char *p = v; *p; p++) {
		unsigned char ch = (unsigned char)*p;
		int ok = !strcmp(set_name, "word") ? (islower(ch) || isdigit(ch) || ch == '_')
			: !strcmp(set_name, "hex") ? isxdigit(ch)
			: (ch > 0x20 && ch != 0x7f); /* "url": no spaces or controls */
		if (!ok)
			return 0;
	}
	return 1;
}

/* Why `v` is not a valid value of field f, or NULL. */
static const char *bad_value(const struct field *f, const char *v)
{
	switch (f->check) {
	case C_NAME:
		if (!*v || v[0] == '.' || strchr(v, '/') || !all_of(v, "url"))
			return "not a plain file name";
		return NULL;
	case C_URL: {
		const char *host = !strncmp(v, "https://", 8) ? v + 8
				   : !strncmp(v, "http://", 7) ? v + 7 : NULL;
		if (!host || !*host || *host == '/' || !all_of(v, "url"))
			return "not an http:// or https:// URL";
		return NULL;
	}
	case C_WORD:
		return *v && all_of(v, "word") ? NULL
			: "wants lower-case letters, digits and _";
	case C_VERSION:
		return rf_catalog_is_version(v) ? NULL : "not a version (7.12.8)";
	case C_TYPE:
		return !strcmp(v, "fastboot") || !strcmp(v, "recovery") ? NULL
			: "wants fastboot or recovery";
	case C_MD5:
		return !strcmp(v, "unknown") || (strlen(v) == 32 && all_of(v, "hex"))
			? NULL : "wants 32 hex digits or unknown";
	case C_DATE:
		if (strlen(v) != 10 || v[4] != '-' || v[7] != '-')
			return "wants YYYY-MM-DD";
		for (int i = 0; i < 10; i++)
			if (i != 4 && i != 7 && !isdigit((unsigned char)v[i]))
				return "wants YYYY-MM-DD";
		return NULL;
	default:
		return NULL;
	}
}

struct parser {
	struct rf_catalog out;  /* this text's entries */
	struct rf_rom cur;
	unsigned seen;          /* bit per field */
	int in_entry;
	int last;               /* field the last line set, for continuations */
	size_t log_len;
	const char *origin;
	unsigned line;
	char *err;              /* the caller's c->err */
};

static int perr(struct parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int perr(struct parser *p, const char *fmt, ...)
{
	char msg[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return rf_errf(p->err, RF_EFORMAT, "%s:%u: %s", p->origin, p->line, msg);
}

static int push(struct rf_catalog *c, const struct rf_rom *r)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 16;
		struct rf_rom *v = realloc(c->v, cap * sizeof *v);
		if (!v)
			return RF_ENOMEM;
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n++] = *r;
	return RF_OK;
}

static int end_entry(struct parser *p)
{
	if (!p->in_entry)
		return RF_OK;
	for (size_t i = 0; i < NFIELDS; i++)
		if (fields[i].required && !(p->seen & (1u << i)))
			return perr(p, "the entry ending here has no %s:", fields[i].key);
	if (rf_catalog_by_name(&p->out, p->cur.name))
		return perr(p, "%s is listed twice", p->cur.name);
	if (p->out.n >= RF_CAT_MAX_ENTRIES)
		return perr(p, "more than %d entries", RF_CAT_MAX_ENTRIES);
	if (push(&p->out, &p->cur))
		return rf_errf(p->err, RF_ENOMEM, "out of memory");
	memset(&p->cur, 0, sizeof p->cur);
	p->in_entry = 0;
	p->seen = 0;
	p->last = -1;
	return RF_OK;
}

static int append_changelog(struct parser *p, const char *v)
{
	size_t n = strlen(v);
	size_t sep = p->log_len ? 1 : 0;
	char *s;
	if (p->log_len + sep + n + 1 > RF_CAT_MAX_CHANGELOG)
		return perr(p, "changelog longer than %u bytes", RF_CAT_MAX_CHANGELOG);
	s = realloc(p->cur.changelog, p->log_len + sep + n + 1);
	if (!s)
		return rf_errf(p->err, RF_ENOMEM, "out of memory");
	if (sep)
		s[p->log_len] = '\n';
	memcpy(s + p->log_len + sep, v, n + 1);
	p->cur.changelog = s;
	p->log_len += sep + n;
	return RF_OK;
}

static int set_field(struct parser *p, size_t i, const char *v)
{
	const struct field *f = &fields[i];
	const char *why = bad_value(f, v);
	if (p->seen & (1u << i))
		return perr(p, "%s: given twice in one entry", f->key);
	p->seen |= 1u << i;
	p->last = (int)i;
	if (why)
		return perr(p, "%s: %s", f->key, why);
	if (i == F_CHANGELOG)
		return *v ? append_changelog(p, v) : RF_OK;
	if (i == F_TYPE) {
		p->cur.type = !strcmp(v, "fastboot") ? RF_ROM_FASTBOOT : RF_ROM_RECOVERY;
		return RF_OK;
	}
	if (strlen(v) >= f->cap)
		return perr(p, "%s: longer than %zu bytes", f->key, f->cap - 1);
	if (f->check == C_MD5 && !strcmp(v, "unknown"))
		return RF_OK;
	char *dst = (char *)&p->cur + f->off;
	rf_strlcpy(dst, v, f->cap);
	if (f->check == C_MD5)
		for (char *q = dst; *q; q++)
			*q = (char)tolower((unsigned char)*q);
	return RF_OK;
}

static int parse_line(struct parser *p, char *s)
{
	size_t n = strlen(s);
	if (n && s[n - 1] == '\r')
		s[--n] = 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 && s[i] != '\t')
			return perr(p, "a control character");
	if (s[0] == '#')
		return RF_OK;
	if (strspn(s, " \t") == n)
		return end_entry(p);
	if (s[0] == ' ' || s[0] == '\t') {
		if (p->last != F_CHANGELOG)
			return perr(p, "a continuation line, but only changelog: has them");
		return append_changelog(p, !strcmp(s + 1, ".") ? "" : s + 1);
	}
	char *colon = strchr(s, ':');
	if (!colon)
		return perr(p, "not 'key: value'");
	*colon = 0;
	char *v = colon + 1;
	v += strspn(v, " \t");
	for (char *e = v + strlen(v); e > v && (e[-1] == ' ' || e[-1] == '\t');)
		*--e = 0;
	if (!p->in_entry) {
		memset(&p->cur, 0, sizeof p->cur);
		snprintf(p->cur.origin, sizeof p->cur.origin, "%.50s:%u", p->origin, p->line);
		p->in_entry = 1;
		p->log_len = 0;
		p->seen = 0;
	}
	if (!strncmp(s, "x-", 2)) {
		p->last = -1; /* an extension: kept for others, ignored here */
		return RF_OK;
	}
	for (size_t i = 0; i < NFIELDS; i++)
		if (!strcmp(s, fields[i].key))
			return set_field(p, i, v);
	return perr(p, "unknown key '%.40s'", s);
}

static void free_entries(struct rf_catalog *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i].changelog);
	free(c->v);
	c->v = NULL;
	c->n = c->cap = 0;
}

/* Move the parsed entries into c, replacing those of the same name. */
static int commit(struct rf_catalog *c, struct rf_catalog *add)
{
	size_t i;
	for (i = 0; i < add->n; i++) {
		struct rf_rom *r = &add->v[i];
		struct rf_rom *old = (struct rf_rom *)rf_catalog_by_name(c, r->name);
		if (old) {
			free(old->changelog);
			*old = *r;
		} else if (push(c, r)) {
			break;
		}
		r->changelog = NULL; /* now c's */
	}
	int rc = i == add->n ? RF_OK : rf_errf(c->err, RF_ENOMEM, "out of memory");
	free_entries(add);
	return rc;
}

int rf_catalog_parse(struct rf_catalog *c, const char *text, size_t len,
		     const char *origin)
{
	struct parser p;
	char line[RF_CAT_MAX_LINE + 1];
	size_t pos = 0;
	int rc = RF_OK;

	memset(&p, 0, sizeof p);
	p.origin = origin;
	p.err = c->err;
	p.last = -1;
	if (len > RF_CAT_MAX_TEXT)
		return rf_errf(c->err, RF_EFORMAT, "%s: larger than 8 MiB", origin);
	while (pos < len && !rc) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		p.line++;
		if (n > RF_CAT_MAX_LINE) {
			rc = perr(&p, "a line longer than %d bytes", RF_CAT_MAX_LINE);
			break;
		}
		if (memchr(text + pos, 0, n)) {
			rc = perr(&p, "a NUL byte");
			break;
		}
		memcpy(line, text + pos, n);
		line[n] = 0;
		pos += n + (nl ? 1 : 0);
		rc = parse_line(&p, line);
	}
	if (!rc) {
		p.line++;
		rc = end_entry(&p);
	}
	if (rc) {
		free(p.cur.changelog);
		free_entries(&p.out);
		return rc;
	}
	return commit(c, &p.out);
}

int rf_catalog_add_file(struct rf_catalog *c, const char *path, int optional)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int rc = RF_OK;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		if (optional && errno == ENOENT)
			return RF_OK;
		return rf_errf(c->err, RF_ESYS, "%s: %s", path, strerror(errno));
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > RF_CAT_MAX_TEXT) {
		rc = rf_errf(c->err, RF_EFORMAT, "%s: not a regular file of at most 8 MiB", path);
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		rc = rf_errf(c->err, RF_ENOMEM, "out of memory");
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = rf_errf(c->err, RF_ESYS, "%s: %s", path,
				     r ? strerror(errno) : "shorter than it was");
			goto out;
		}
		got += (size_t)r;
	}
	rc = rf_catalog_parse(c, buf, got, path);
out:
	free(buf);
	close(fd);
	return rc;
}

int rf_catalog_add_builtin(struct rf_catalog *c)
{
	return rf_catalog_parse(c, rf_catalog_builtin,
				(size_t)(rf_catalog_builtin_end - rf_catalog_builtin),
				"catalog.txt");
}

void rf_catalog_free(struct rf_catalog *c)
{
	free_entries(c);
}

size_t rf_catalog_find(const struct rf_catalog *c, const char *version,
		       const char *region, enum rf_rom_type type,
		       const struct rf_rom **out, size_t cap)
{
	size_t k = 0;
	for (size_t i = 0; i < c->n; i++) {
		const struct rf_rom *r = &c->v[i];
		if (strcmp(r->version, version) || (type && r->type != type) ||
		    (region && *region && strcmp(r->region, region)))
			continue;
		if (k < cap)
			out[k] = r;
		k++;
	}
	return k;
}

const struct rf_rom *rf_catalog_by_name(const struct rf_catalog *c,
					const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->v[i].name, name))
			return &c->v[i];
	return NULL;
}
