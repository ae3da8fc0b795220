/* Lines, commands and words of a flash script (see lexer.h). */
#include "lexer.h"
#include "rf_error.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = 0;
	return s;
}

static int push_cmd(struct rf_lexed *lx, int line, const char *text)
{
	struct rf_cmd *c = realloc(lx->cmd, sizeof *c * (size_t)(lx->ncmd + 1));
	if (!c)
		return RF_ENOMEM;
	lx->cmd = c;
	c[lx->ncmd].line = line;
	c[lx->ncmd].text = strdup(text);
	if (!c[lx->ncmd].text)
		return RF_ENOMEM;
	lx->ncmd++;
	return RF_OK;
}

/* sh: "then CMD", "else CMD", "do CMD", "{ CMD" are two commands. */
static int push_sh_cmd(struct rf_lexed *lx, int ln, char *t)
{
	static const char *const kw[] = { "then", "else", "do", "{", NULL };
	for (;;) {
		t = trim(t);
		if (!*t)
			return RF_OK;
		const char *const *k;
		for (k = kw; *k; k++) {
			size_t n = strlen(*k);
			if (!strncmp(t, *k, n) && (t[n] == ' ' || t[n] == '\t'))
				break;
		}
		if (!*k)
			return push_cmd(lx, ln, t);
		int rc = push_cmd(lx, ln, *k);
		if (rc)
			return rc;
		t += strlen(*k);
	}
}

/* sh: drop a comment, cut at ';' outside quotes, `...` and $(...). */
static int lex_sh_line(struct rf_lexed *lx, int ln, char *s, char *err,
		       const char *file)
{
	char q = 0;
	int paren = 0;
	char *start = s;
	for (char *p = s;; p++) {
		char c = *p;
		if (q) {
			if (c == 0)
				return rf_errf(err, RF_EFORMAT, "%s:%d: unsupported: %.160s "
					       "(a quote is not closed)", file, ln, s);
			if (c == '\\' && q != '\'' && p[1]) {
				p++;
				continue;
			}
			if (c == q)
				q = 0;
			continue;
		}
		if (c == '\'' || c == '"' || c == '`') {
			q = c;
			continue;
		}
		if (c == '$' && p[1] == '(') {
			paren++;
			p++;
			continue;
		}
		if (c == ')' && paren) {
			paren--;
			continue;
		}
		if (c == '#' && !paren && (p == s || p[-1] == ' ' || p[-1] == '\t'))
			c = *p = 0; /* comment */
		if ((c == ';' && !paren) || c == 0) {
			*p = 0;
			int rc = push_sh_cmd(lx, ln, start);
			if (rc || c == 0)
				return rc;
			start = p + 1;
		}
	}
}

static int is_bat_comment(const char *t)
{
	return !strncmp(t, "::", 2) ||
	       (!strncasecmp(t, "rem", 3) && (!t[3] || t[3] == ' ' || t[3] == '\t')) ||
	       (!strncasecmp(t, "@rem", 4) && (!t[4] || t[4] == ' ' || t[4] == '\t'));
}

static int keep_line(struct rf_lexed *lx, int ln, const char *text, size_t n)
{
	char **nlines = realloc(lx->lines, sizeof *nlines * (size_t)ln);
	if (!nlines)
		return RF_ENOMEM;
	lx->lines = nlines;
	char *l = malloc(n + 1);
	if (!l)
		return RF_ENOMEM;
	memcpy(l, text, n);
	l[n] = 0;
	if (n && l[n - 1] == '\r')
		l[n - 1] = 0;
	lx->lines[ln - 1] = l;
	lx->nlines = ln;
	return RF_OK;
}

int rf_lex(const char *file, const char *text, size_t len, int bat,
	   struct rf_lexed *lx, char *err)
{
	size_t pos = 0;
	int ln = 0, rc;
	memset(lx, 0, sizeof *lx);
	if (len > RF_LEX_MAX_SCRIPT)
		return rf_errf(err, RF_EFORMAT, "%s: script too large", file);
	if (memchr(text, 0, len))
		return rf_errf(err, RF_EFORMAT, "%s: binary data in a script", file);
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		char buf[RF_LEX_MAX_LINE];
		ln++;
		if (n >= RF_LEX_MAX_LINE)
			return rf_errf(err, RF_EFORMAT, "%s:%d: line too long", file, ln);
		if ((rc = keep_line(lx, ln, text + pos, n)))
			return rc;
		pos += n + (nl ? 1 : 0);
		snprintf(buf, sizeof buf, "%s", lx->lines[ln - 1]);
		char *t = trim(buf);
		if (ln == 1 && !strncmp(t, "\xef\xbb\xbf", 3))
			t = trim(t + 3); /* UTF-8 BOM (Windows editors) */
		if (!bat)
			rc = lex_sh_line(lx, ln, t, err, file);
		else if (*t && !is_bat_comment(t))
			rc = push_cmd(lx, ln, t);
		if (rc)
			return rc;
	}
	return RF_OK;
}

void rf_lex_free(struct rf_lexed *lx)
{
	for (int i = 0; i < lx->ncmd; i++)
		free(lx->cmd[i].text);
	free(lx->cmd);
	for (int i = 0; i < lx->nlines; i++)
		free(lx->lines[i]);
	free(lx->lines);
	memset(lx, 0, sizeof *lx);
}

/* ------------------------------------------------------------- words */

struct wbuf {
	char *o;
	size_t n;
};

static int put(struct wbuf *b, char c)
{
	if (b->n + 1 >= RF_LEX_MAX_WORD)
		return -1;
	b->o[b->n++] = c;
	return 0;
}

/* One quoted, backquoted or $(...) part of a word, from *pp. */
static int word_part(const char **pp, struct wbuf *b, int bat)
{
	const char *p = *pp;
	if (*p == '"' || (*p == '\'' && !bat)) {
		char q = *p++;
		while (*p && *p != q) {
			if (!bat && q == '"' && *p == '\\' && p[1] && strchr("\"\\$`", p[1]))
				p++;
			if (put(b, *p++))
				return -1;
		}
		if (*p != q)
			return -1;
		p++;
	} else if (!bat && *p == '`') {
		if (put(b, *p++))
			return -1;
		while (*p && *p != '`')
			if (put(b, *p++))
				return -1;
		if (!*p || put(b, *p++))
			return -1;
	} else if (!bat && *p == '$' && p[1] == '(') {
		int depth = 1;
		if (put(b, *p++) || put(b, *p++))
			return -1;
		while (*p && depth) {
			if (*p == '(')
				depth++;
			else if (*p == ')')
				depth--;
			if (put(b, *p++))
				return -1;
		}
		if (depth)
			return -1;
	} else if (put(b, *p++)) {
		return -1;
	}
	*pp = p;
	return 0;
}

int rf_words_split(const char *s, struct rf_words *w, int bat)
{
	const char *p = s;
	w->n = 0;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			return 0;
		if (w->n == RF_LEX_MAX_WORDS)
			return -1;
		struct wbuf b = { w->w[w->n], 0 };
		if (*p == '|' || (*p == '&' && p[1] == '&')) {
			put(&b, *p);
			if (p[1] == *p)
				put(&b, *p++);
			p++;
		} else {
			while (*p && *p != ' ' && *p != '\t' && *p != '|' &&
			       !(*p == '&' && p[1] == '&'))
				if (word_part(&p, &b, bat))
					return -1;
		}
		b.o[b.n] = 0;
		w->n++;
	}
}

void rf_words_join(const struct rf_words *w, int from, int to, char *out,
		   size_t cap)
{
	size_t n = 0;
	out[0] = 0;
	for (int i = from; i < to && i < w->n; i++) {
		int r = snprintf(out + n, cap - n, "%s%s", n ? " " : "", w->w[i]);
		if (r < 0 || (size_t)r >= cap - n)
			break;
		n += (size_t)r;
	}
}

int rf_words_find(const struct rf_words *w, int from, const char *const *ops)
{
	for (int i = from; i < w->n; i++)
		for (const char *const *o = ops; *o; o++)
			if (!strcmp(w->w[i], *o))
				return i;
	return w->n;
}

int rf_is_uint(const char *s, unsigned *v)
{
	if (!*s || strlen(s) > 9)
		return 0;
	for (const char *p = s; *p; p++)
		if (!isdigit((unsigned char)*p))
			return 0;
	*v = (unsigned)strtoul(s, NULL, 10);
	return 1;
}

int rf_is_token(const char *s, const char *extra, size_t max)
{
	size_t n = strlen(s);
	if (!n || n >= max)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(extra, *s))
			return 0;
	return 1;
}

int rf_is_partition(const char *s)
{
	return rf_is_token(s, "_-+.", 64);
}

int rf_is_name(const char *s)
{
	if (!*s || strlen(s) >= 40 || isdigit((unsigned char)*s))
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}
