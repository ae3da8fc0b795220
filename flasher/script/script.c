/* The flash-script interpreter (see script.h and docs/script-dialect.md).
 *
 * The script is cut into commands (lines; ';' too in sh), each command
 * into words, and the words are matched against the forms Xiaomi scripts
 * use.  `$?` is tracked as "what the last command was" so that the `if`
 * after a `getvar | grep` becomes a check and the `if` after a flash is
 * just the stop-on-failure romflash always does. */
#include "script.h"
#include "rf_str.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SCRIPT (1u << 20)
#define MAX_LINE 4096
#define MAX_WORDS 48
#define MAX_WORD 512
#define MAX_DEPTH 4

/* ---------------------------------------------------------------- regex */

struct atom {
	enum { A_CHAR, A_ANY, A_SET } type;
	unsigned char c;
	unsigned char set[32];
	int star;
};

#define MAX_ATOMS 128

struct re {
	int bol, eol, n;
	struct atom a[MAX_ATOMS];
};

static int re_compile(const char *p, struct re *re)
{
	memset(re, 0, sizeof *re);
	if (*p == '^') {
		re->bol = 1;
		p++;
	}
	while (*p) {
		if (p[0] == '$' && p[1] == 0) {
			re->eol = 1;
			break;
		}
		if (*p == '*' && re->n > 0 && !re->a[re->n - 1].star) {
			re->a[re->n - 1].star = 1;
			p++;
			continue;
		}
		if (re->n == MAX_ATOMS)
			return -1;
		struct atom *a = &re->a[re->n++];
		if (*p == '.') {
			a->type = A_ANY;
			p++;
		} else if (*p == '\\') {
			if (!p[1])
				return -1;
			a->type = A_CHAR;
			a->c = (unsigned char)p[1];
			p += 2;
		} else if (*p == '[') {
			int neg = 0;
			p++;
			if (*p == '^') {
				neg = 1;
				p++;
			}
			a->type = A_SET;
			int first = 1;
			while (*p && (*p != ']' || first)) {
				unsigned char lo = (unsigned char)*p, hi = lo;
				if (p[1] == '-' && p[2] && p[2] != ']') {
					hi = (unsigned char)p[2];
					p += 3;
				} else {
					p++;
				}
				if (hi < lo)
					return -1;
				for (unsigned c = lo; c <= hi; c++)
					a->set[c / 8] |= (unsigned char)(1u << (c % 8));
				first = 0;
			}
			if (*p != ']')
				return -1;
			p++;
			if (neg)
				for (int i = 0; i < 32; i++)
					a->set[i] = (unsigned char)~a->set[i];
		} else {
			a->type = A_CHAR;
			a->c = (unsigned char)*p++;
		}
	}
	return 0;
}

static int atom_ok(const struct atom *a, unsigned char c)
{
	if (!c)
		return 0;
	switch (a->type) {
	case A_ANY: return 1;
	case A_CHAR: return a->c == c;
	default: return (a->set[c / 8] >> (c % 8)) & 1;
	}
}

static int re_here(const struct re *re, int i, const char *s)
{
	if (i == re->n)
		return re->eol ? *s == 0 : 1;
	const struct atom *a = &re->a[i];
	if (a->star) {
		const char *t = s;
		while (atom_ok(a, (unsigned char)*t))
			t++;
		for (;;) { /* greedy, backing off */
			if (re_here(re, i + 1, t))
				return 1;
			if (t == s)
				return 0;
			t--;
		}
	}
	return atom_ok(a, (unsigned char)*s) && re_here(re, i + 1, s + 1);
}

int rf_grep_valid(const char *pattern)
{
	struct re re;
	return pattern && re_compile(pattern, &re) == 0;
}

static int match_one_line(const struct re *re, const char *s)
{
	if (re->bol)
		return re_here(re, 0, s);
	do {
		if (re_here(re, 0, s))
			return 1;
	} while (*s++);
	return 0;
}

int rf_grep_match(const char *pattern, const char *text)
{
	struct re re;
	if (re_compile(pattern, &re))
		return -1;
	/* grep matches line by line */
	char line[1024];
	const char *p = text;
	for (;;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		if (n >= sizeof line)
			n = sizeof line - 1;
		memcpy(line, p, n);
		line[n] = 0;
		if (n && line[n - 1] == '\r')
			line[n - 1] = 0;
		if (match_one_line(&re, line))
			return 1;
		if (!nl)
			return 0;
		p = nl + 1;
	}
}

int rf_step_eval(const struct rf_step *s, const char *value)
{
	char line[256];
	int m;
	switch (s->op) {
	case RF_OP_GETVAR_CHECK:
	case RF_OP_CRC_FLASH:
		/* what `fastboot getvar VAR 2>&1` prints */
		snprintf(line, sizeof line, "%s: %s", s->var, value);
		m = rf_grep_match(s->pattern, line);
		if (m < 0)
			return -1;
		return s->op == RF_OP_CRC_FLASH ? m : (s->must_match ? m : !m);
	case RF_OP_ANTI_CHECK: {
		/* grep -oP "anti: \K[0-9]+": the leading digits; none means
		 * the script's `ver=0` */
		unsigned long v = 0;
		while (*value == ' ' || *value == '\t')
			value++;
		for (int k = 0; isdigit((unsigned char)value[k]); k++) {
			if (k >= 9)
				return -1;
			v = v * 10 + (unsigned long)(value[k] - '0');
		}
		return v <= s->anti_max;
	}
	default:
		return 1;
	}
}

/* ------------------------------------------------------------- lexing */

struct cmd {
	int line;       /* 1-based */
	char *text;     /* the command (a line, or a part between ';') */
};

struct words {
	int n;
	char w[MAX_WORDS][MAX_WORD];
};

struct interp {
	const char *file;
	enum rf_dialect d;
	char **lines; /* physical lines, for messages */
	int nlines;
	struct cmd *cmd;
	int ncmd, i;
	struct rf_steplist *out;
	char *err;
	/* what $? / %errorlevel% refers to */
	enum { LAST_NONE, LAST_GREP, LAST_FB } last;
	char last_var[32], last_pat[128];
	int last_line; /* of the getvar | grep */
	/* bat: the message of a "getvar | findstr || echo" line */
	char pend_msg[160], pend_var[32], pend_pat[128];
	int pend_match;
	/* anti-rollback preamble */
	int anti_set;
	unsigned anti_cur;
	int ver_getvar, ver_default;
	int ended;
};

static int unsupported(struct interp *ip, int line)
{
	const char *l = line >= 1 && line <= ip->nlines ? ip->lines[line - 1] : "";
	while (*l == ' ' || *l == '\t')
		l++;
	return rf_errf(ip->err, RF_EFORMAT, "%s:%d: unsupported: %.160s",
		       ip->file, line, l);
}

static int failf(struct interp *ip, int line, const char *what)
{
	return rf_errf(ip->err, RF_EFORMAT, "%s:%d: %s", ip->file, line, what);
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = 0;
	return s;
}

static int push_cmd(struct interp *ip, int line, const char *text)
{
	struct cmd *c = realloc(ip->cmd, sizeof *c * (size_t)(ip->ncmd + 1));
	if (!c)
		return RF_ENOMEM;
	ip->cmd = c;
	c[ip->ncmd].line = line;
	c[ip->ncmd].text = strdup(text);
	if (!c[ip->ncmd].text)
		return RF_ENOMEM;
	ip->ncmd++;
	return RF_OK;
}

/* sh: drop a comment, cut at ';' outside quotes, split "then CMD". */
static int lex_sh_line(struct interp *ip, int ln, char *s)
{
	char q = 0;
	int paren = 0;
	char *start = s;
	for (char *p = s;; p++) {
		char c = *p;
		if (q) {
			if (c == 0)
				return unsupported(ip, ln); /* unterminated quote */
			if (c == '\\' && q == '"' && p[1]) {
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
		if (c == ';' || c == 0) {
			*p = 0;
			char *t = trim(start);
			if (!strncmp(t, "then", 4) && (t[4] == ' ' || t[4] == '\t')) {
				int rc = push_cmd(ip, ln, "then");
				if (rc)
					return rc;
				t = trim(t + 4);
			}
			if (*t) {
				int rc = push_cmd(ip, ln, t);
				if (rc)
					return rc;
			}
			if (c == 0)
				return RF_OK;
			start = p + 1;
		}
	}
}

static int lex(struct interp *ip, const char *text, size_t len)
{
	if (len > MAX_SCRIPT)
		return rf_errf(ip->err, RF_EFORMAT, "%s: script too large",
			       ip->file);
	if (memchr(text, 0, len))
		return rf_errf(ip->err, RF_EFORMAT,
			       "%s: binary data in a script", ip->file);
	size_t pos = 0;
	int ln = 0;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		ln++;
		if (n >= MAX_LINE)
			return rf_errf(ip->err, RF_EFORMAT, "%s:%d: line too long",
				       ip->file, ln);
		char **nlines = realloc(ip->lines, sizeof *nlines * (size_t)ln);
		if (!nlines)
			return RF_ENOMEM;
		ip->lines = nlines;
		char *l = malloc(n + 1);
		if (!l)
			return RF_ENOMEM;
		memcpy(l, text + pos, n);
		l[n] = 0;
		if (n && l[n - 1] == '\r')
			l[n - 1] = 0;
		ip->lines[ln - 1] = l;
		ip->nlines = ln;
		pos += n + (nl ? 1 : 0);

		char buf[MAX_LINE];
		snprintf(buf, sizeof buf, "%s", l);
		char *t = trim(buf);
		if (ln == 1 && !strncmp(t, "\xef\xbb\xbf", 3))
			t += 3; /* UTF-8 BOM (Windows editors) */
		if (ip->d == RF_DIALECT_SH) {
			int rc = lex_sh_line(ip, ln, t);
			if (rc)
				return rc;
		} else {
			if (!*t || !strncmp(t, "::", 2) ||
			    (!strncasecmp(t, "rem", 3) && (!t[3] || t[3] == ' ')))
				continue;
			int rc = push_cmd(ip, ln, t);
			if (rc)
				return rc;
		}
	}
	return RF_OK;
}

/* Split a command into words.  Quotes are removed ('...' and "..." are
 * literal: nothing is expanded); `...` and $(...) are kept verbatim in the
 * word; | || && are words of their own. */
static int split_words(const char *s, struct words *w, int bat)
{
	w->n = 0;
	const char *p = s;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			return 0;
		if (w->n == MAX_WORDS)
			return -1;
		char *o = w->w[w->n];
		size_t n = 0;
#define PUT(ch) do { if (n + 1 >= MAX_WORD) return -1; o[n++] = (ch); } while (0)
		if (*p == '|' || (*p == '&' && p[1] == '&')) {
			PUT(*p);
			if (p[1] == *p) {
				PUT(*p);
				p++;
			}
			p++;
			o[n] = 0;
			w->n++;
			continue;
		}
		while (*p && *p != ' ' && *p != '\t' && *p != '|' &&
		       !(*p == '&' && p[1] == '&')) {
			if (*p == '"' || (*p == '\'' && !bat)) {
				char q = *p++;
				while (*p && *p != q) {
					if (!bat && q == '"' && *p == '\\' &&
					    (p[1] == '"' || p[1] == '\\' ||
					     p[1] == '$' || p[1] == '`'))
						p++;
					PUT(*p);
					p++;
				}
				if (*p != q)
					return -1;
				p++;
			} else if (!bat && *p == '`') {
				PUT(*p++);
				while (*p && *p != '`')
					PUT(*p++);
				if (!*p)
					return -1;
				PUT(*p++);
			} else if (!bat && *p == '$' && p[1] == '(') {
				int depth = 0;
				PUT(*p++);
				do {
					if (*p == '(')
						depth++;
					else if (*p == ')')
						depth--;
					PUT(*p++);
				} while (*p && depth);
				if (depth)
					return -1;
			} else {
				PUT(*p++);
			}
		}
#undef PUT
		o[n] = 0;
		w->n++;
	}
}

/* ---------------------------------------------------------- helpers */

static int is_uint(const char *s, unsigned *v)
{
	if (!*s || strlen(s) > 9)
		return 0;
	for (const char *p = s; *p; p++)
		if (!isdigit((unsigned char)*p))
			return 0;
	*v = (unsigned)strtoul(s, NULL, 10);
	return 1;
}

static int is_partition(const char *s)
{
	size_t n = strlen(s);
	if (!n || n >= 64)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_-+.", *s))
			return 0;
	return 1;
}

/* An image argument -> its path inside the package ("images/x.img"). */
static int image_path(const char *w, enum rf_dialect d, char *out, size_t cap)
{
	static const char *sh_pre[] = { "`dirname $0`/", "$(dirname $0)/",
					"`dirname \"$0\"`/", "$(dirname \"$0\")/" };
	const char *rest = NULL;
	if (d == RF_DIALECT_SH) {
		for (size_t i = 0; i < sizeof sh_pre / sizeof sh_pre[0]; i++)
			if (!strncmp(w, sh_pre[i], strlen(sh_pre[i]))) {
				rest = w + strlen(sh_pre[i]);
				break;
			}
	} else if (!strncasecmp(w, "%~dp0", 5)) {
		rest = w + 5;
	}
	if (!rest || !*rest || strlen(rest) >= cap)
		return 0;
	size_t n = 0;
	for (const char *p = rest; *p; p++) {
		char c = *p == '\\' && d == RF_DIALECT_BAT ? '/' : *p;
		if (!isalnum((unsigned char)c) && !strchr("._-+/", c))
			return 0;
		out[n++] = c;
	}
	out[n] = 0;
	if (out[0] == '/' || strstr(out, "//"))
		return 0;
	/* no ".." component */
	for (const char *p = out; *p;) {
		const char *e = strchr(p, '/');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if ((l == 2 && !strncmp(p, "..", 2)) || (l == 1 && *p == '.'))
			return 0;
		if (!e)
			break;
		p = e + 1;
	}
	return out[n - 1] != '/';
}

static void src_of(struct interp *ip, int line, struct rf_step *s)
{
	snprintf(s->src, sizeof s->src, "%.80s:%d", ip->file, line);
}

static int push(struct interp *ip, struct rf_step *s)
{
	if (rf_steplist_push(ip->out, s))
		return rf_errf(ip->err, RF_ENOMEM, "out of memory");
	return RF_OK;
}

/* `fastboot [$*|%*] ...` words from index 0.  Returns the index of the
 * first word after the device-selection placeholder. */
static int fb_args(const struct words *w, int bat)
{
	if (w->n >= 2 && !strcmp(w->w[1], bat ? "%*" : "$*"))
		return 2;
	return 1;
}

/* Is words[k..] "getvar VAR 2>&1 | grep PAT" (sh) or
 * "getvar VAR 2>&1 | findstr /r /c:PAT" (bat)?  Returns the index after. */
static int match_getvar_grep(const struct words *w, int k, int bat, char *var,
			     char *pat)
{
	if (k + 5 > w->n || strcmp(w->w[k], "getvar") ||
	    strcmp(w->w[k + 2], "2>&1") || strcmp(w->w[k + 3], "|"))
		return -1;
	const char *pw;
	int next;
	if (!bat) {
		if (strcmp(w->w[k + 4], "grep") || k + 6 > w->n)
			return -1;
		pw = w->w[k + 5];
		next = k + 6;
	} else {
		if (strcasecmp(w->w[k + 4], "findstr") || k + 7 > w->n ||
		    strcasecmp(w->w[k + 5], "/r") ||
		    strncasecmp(w->w[k + 6], "/c:", 3))
			return -1;
		pw = w->w[k + 6] + 3;
		next = k + 7;
	}
	if (!is_partition(w->w[k + 1]) || strlen(w->w[k + 1]) >= 32 ||
	    strlen(pw) >= 128 || !rf_grep_valid(pw))
		return -1;
	strcpy(var, w->w[k + 1]);
	strcpy(pat, pw);
	return next;
}

/* `echo ...` -> message (the words joined). */
static void echo_msg(const struct words *w, int from, char *msg, size_t cap)
{
	size_t n = 0;
	msg[0] = 0;
	for (int i = from; i < w->n; i++) {
		int r = snprintf(msg + n, cap - n, "%s%s", n ? " " : "", w->w[i]);
		if (r < 0 || (size_t)r >= cap - n)
			break;
		n += (size_t)r;
	}
}

static int is_exit_fail(const struct words *w, int k)
{ /* sh "exit 1", bat "exit /B 1" or "exit 1" */
	unsigned v;
	if (k >= w->n || strcasecmp(w->w[k], "exit"))
		return 0;
	if (k + 2 == w->n && !strcasecmp(w->w[k + 1], "/b"))
		return 0;
	int a = k + 1;
	if (a < w->n && !strcasecmp(w->w[a], "/b"))
		a++;
	return a + 1 == w->n && is_uint(w->w[a], &v) && v != 0;
}

/* ------------------------------------------------------------ fastboot */

/* The fastboot operations (everything but getvar).  words[k..end). */
static int fb_op(struct interp *ip, int line, const struct words *w, int k,
		 int end, int in_crc, const char *crc_var, const char *crc_pat)
{
	struct rf_step s;
	memset(&s, 0, sizeof s);
	src_of(ip, line, &s);
	int argc = end - k;
	const char *op = k < end ? w->w[k] : "";
	if (!strcmp(op, "flash") && argc == 3) {
		if (!is_partition(w->w[k + 1]) ||
		    !image_path(w->w[k + 2], ip->d, s.image, sizeof s.image))
			return unsupported(ip, line);
		rf_strlcpy(s.partition, w->w[k + 1], sizeof s.partition);
		s.op = RF_OP_FLASH;
		if (in_crc) {
			s.op = RF_OP_CRC_FLASH;
			snprintf(s.var, sizeof s.var, "%s", crc_var);
			snprintf(s.pattern, sizeof s.pattern, "%s", crc_pat);
		}
	} else if (in_crc) {
		return unsupported(ip, line); /* only flashes are conditional */
	} else if (!strcmp(op, "erase") && argc == 2) {
		if (!is_partition(w->w[k + 1]))
			return unsupported(ip, line);
		s.op = RF_OP_ERASE;
		rf_strlcpy(s.partition, w->w[k + 1], sizeof s.partition);
	} else if (!strcmp(op, "boot") && argc == 2) {
		if (!image_path(w->w[k + 1], ip->d, s.image, sizeof s.image))
			return unsupported(ip, line);
		s.op = RF_OP_BOOT;
	} else if (!strcmp(op, "reboot") && argc == 1) {
		s.op = RF_OP_REBOOT;
	} else if (!strcmp(op, "reboot-bootloader") && argc == 1) {
		s.op = RF_OP_REBOOT_BOOTLOADER;
	} else if (!strcmp(op, "oem") && argc == 2 && !strcmp(w->w[k + 1], "lock")) {
		s.op = RF_OP_OEM;
		strcpy(s.arg, "lock");
	} else if (!strcmp(op, "set_active") && argc == 2 &&
		   (!strcmp(w->w[k + 1], "a") || !strcmp(w->w[k + 1], "b"))) {
		s.op = RF_OP_SET_ACTIVE;
		strcpy(s.arg, w->w[k + 1]);
	} else {
		return unsupported(ip, line);
	}
	return push(ip, &s);
}

static int push_check(struct interp *ip, int line, const char *var,
		      const char *pat, int must_match, const char *msg)
{
	struct rf_step s;
	memset(&s, 0, sizeof s);
	src_of(ip, line, &s);
	s.op = RF_OP_GETVAR_CHECK;
	snprintf(s.var, sizeof s.var, "%s", var);
	snprintf(s.pattern, sizeof s.pattern, "%s", pat);
	s.must_match = must_match;
	snprintf(s.message, sizeof s.message, "%s", msg);
	return push(ip, &s);
}

static int push_anti(struct interp *ip, int line, const char *msg)
{
	struct rf_step s;
	memset(&s, 0, sizeof s);
	src_of(ip, line, &s);
	if (!ip->anti_set || !ip->ver_getvar)
		return unsupported(ip, line);
	s.op = RF_OP_ANTI_CHECK;
	s.anti_max = ip->anti_cur;
	snprintf(s.message, sizeof s.message, "%s", msg);
	return push(ip, &s);
}

static int do_sleep(struct interp *ip, int line, unsigned secs)
{
	struct rf_steplist *l = ip->out;
	if (!l->n || l->v[l->n - 1].op != RF_OP_REBOOT_BOOTLOADER ||
	    l->v[l->n - 1].sleep_s || secs > 600)
		return unsupported(ip, line);
	l->v[l->n - 1].sleep_s = secs;
	return RF_OK;
}

/* ------------------------------------------------------------------ sh */

static int sh_block(struct interp *ip, int depth, int in_crc,
		    const char *crc_var, const char *crc_pat);

/* Body "echo MSG; exit N" (in any order, echo optional) up to `fi`. */
static int sh_echo_exit_body(struct interp *ip, int if_line, char *msg,
			     size_t cap)
{
	int exited = 0;
	msg[0] = 0;
	for (; ip->i < ip->ncmd; ip->i++) {
		struct cmd *c = &ip->cmd[ip->i];
		struct words w;
		if (split_words(c->text, &w, 0) || !w.n)
			return unsupported(ip, c->line);
		if (!strcmp(w.w[0], "fi") && w.n == 1) {
			ip->i++;
			if (!exited)
				return unsupported(ip, if_line);
			return RF_OK;
		}
		if (!strcmp(w.w[0], "echo") && !exited)
			echo_msg(&w, 1, msg, cap);
		else if (is_exit_fail(&w, 0) && !exited)
			exited = 1;
		else
			return unsupported(ip, c->line);
	}
	return failf(ip, if_line, "`if` without `fi`");
}

static int sh_if(struct interp *ip, const struct words *w, int line, int depth,
		 int in_crc)
{
	/* "if [ COND ]" then "then" */
	if (w->n < 3 || strcmp(w->w[1], "[") || strcmp(w->w[w->n - 1], "]"))
		return unsupported(ip, line);
	ip->i++;
	if (ip->i >= ip->ncmd || strcmp(ip->cmd[ip->i].text, "then"))
		return unsupported(ip, ip->i < ip->ncmd ? ip->cmd[ip->i].line : line);
	ip->i++;
	int last = ip->last;
	ip->last = LAST_NONE;
	char msg[160];
	int rc;
	if (w->n == 6 && !strcmp(w->w[2], "$?") && !strcmp(w->w[4], "0") &&
	    (!strcmp(w->w[3], "-ne") || !strcmp(w->w[3], "-eq"))) {
		int ne = !strcmp(w->w[3], "-ne");
		if (last == LAST_FB && ne) /* stop on failure: always done */
			return sh_echo_exit_body(ip, line, msg, sizeof msg);
		if (last != LAST_GREP)
			return unsupported(ip, line);
		if (ne) {
			rc = sh_echo_exit_body(ip, line, msg, sizeof msg);
			return rc ? rc : push_check(ip, ip->last_line, ip->last_var,
						    ip->last_pat, 1, msg);
		}
		/* -eq 0: a "must not match" check, or the crc block */
		if (ip->i < ip->ncmd) {
			struct words b;
			if (!split_words(ip->cmd[ip->i].text, &b, 0) && b.n &&
			    (!strcmp(b.w[0], "echo") || !strcmp(b.w[0], "exit"))) {
				rc = sh_echo_exit_body(ip, line, msg, sizeof msg);
				return rc ? rc : push_check(ip, ip->last_line, ip->last_var,
							    ip->last_pat, 0, msg);
			}
		}
		if (strcmp(ip->last_var, "crc") || in_crc || depth >= MAX_DEPTH)
			return unsupported(ip, line);
		char var[32], pat[128];
		strcpy(var, ip->last_var);
		strcpy(pat, ip->last_pat);
		return sh_block(ip, depth + 1, 1, var, pat);
	}
	if (w->n == 5 && !strcmp(w->w[2], "-z") && !strcmp(w->w[3], "$ver")) {
		/* if [ -z "$ver" ]; then ver=0; fi */
		if (ip->i + 1 >= ip->ncmd || strcmp(ip->cmd[ip->i].text, "ver=0") ||
		    strcmp(ip->cmd[ip->i + 1].text, "fi") || !ip->ver_getvar)
			return unsupported(ip, line);
		ip->i += 2;
		ip->ver_default = 1;
		return RF_OK;
	}
	if (w->n == 6 && !strcmp(w->w[2], "$ver") && !strcmp(w->w[3], "-gt") &&
	    !strcmp(w->w[4], "$CURRENT_ANTI_VER")) {
		rc = sh_echo_exit_body(ip, line, msg, sizeof msg);
		if (!rc && !ip->ver_default)
			return unsupported(ip, line);
		return rc ? rc : push_anti(ip, line, msg);
	}
	return unsupported(ip, line);
}

/* ver=`fastboot $* getvar anti 2>&1 | grep -oP "anti: \K[0-9]+"` */
static int sh_ver_assign(struct interp *ip, const char *word, int line)
{
	size_t n = strlen(word);
	if (strncmp(word, "ver=`", 5) || n < 7 || word[n - 1] != '`')
		return unsupported(ip, line);
	char inner[MAX_WORD];
	snprintf(inner, sizeof inner, "%.*s", (int)(n - 6), word + 5);
	struct words w;
	if (split_words(inner, &w, 0))
		return unsupported(ip, line);
	int k = w.n ? fb_args(&w, 0) : 0;
	if (!w.n || strcmp(w.w[0], "fastboot") || w.n != k + 7 ||
	    strcmp(w.w[k], "getvar") || strcmp(w.w[k + 1], "anti") ||
	    strcmp(w.w[k + 2], "2>&1") || strcmp(w.w[k + 3], "|") ||
	    strcmp(w.w[k + 4], "grep") || strcmp(w.w[k + 5], "-oP") ||
	    strcmp(w.w[k + 6], "anti: \\K[0-9]+"))
		return unsupported(ip, line);
	ip->ver_getvar = 1;
	return RF_OK;
}

static int sh_cmd(struct interp *ip, int depth, int in_crc, const char *crc_var,
		  const char *crc_pat)
{
	struct cmd *c = &ip->cmd[ip->i];
	struct words w;
	unsigned v;
	if (split_words(c->text, &w, 0) || !w.n)
		return unsupported(ip, c->line);
	const char *w0 = w.w[0];
	if (!strcmp(w0, "fastboot")) {
		int k = fb_args(&w, 0);
		char var[32], pat[128];
		int e = match_getvar_grep(&w, k, 0, var, pat);
		ip->i++;
		if (e >= 0) {
			if (e != w.n || in_crc)
				return unsupported(ip, c->line);
			ip->last = LAST_GREP;
			ip->last_line = c->line;
			strcpy(ip->last_var, var);
			strcpy(ip->last_pat, pat);
			return RF_OK;
		}
		int rc = fb_op(ip, c->line, &w, k, w.n, in_crc, crc_var, crc_pat);
		ip->last = LAST_FB;
		return rc;
	}
	if (!strcmp(w0, "if"))
		return sh_if(ip, &w, c->line, depth, in_crc);
	ip->i++;
	ip->last = LAST_NONE;
	if (!strcmp(w0, "echo"))
		return RF_OK;
	if (!strcmp(w0, "sleep") && w.n == 2 && is_uint(w.w[1], &v))
		return do_sleep(ip, c->line, v);
	if (!strcmp(w0, "exit") && w.n == 2 && !strcmp(w.w[1], "0") && !depth) {
		ip->ended = 1;
		return RF_OK;
	}
	if (w.n == 1 && !strncmp(w0, "CURRENT_ANTI_VER=", 17) && !in_crc &&
	    is_uint(w0 + 17, &v)) {
		ip->anti_set = 1;
		ip->anti_cur = v;
		return RF_OK;
	}
	if (w.n == 1 && !strncmp(w0, "ver=`", 5) && !in_crc)
		return sh_ver_assign(ip, w0, c->line);
	return unsupported(ip, c->line);
}

typedef int (*cmd_fn)(struct interp *ip, int depth, int in_crc,
		      const char *crc_var, const char *crc_pat);

/* Commands up to the block's closer (`fi`, `)`), or to the end of the
 * script at depth 0.  Shared by both dialects. */
static int run_block(struct interp *ip, int depth, int in_crc,
		     const char *crc_var, const char *crc_pat, const char *closer,
		     cmd_fn cmd, const char *unclosed)
{
	int start_line = ip->i > 0 ? ip->cmd[ip->i - 1].line : 1;
	while (ip->i < ip->ncmd && !ip->ended) {
		struct cmd *c = &ip->cmd[ip->i];
		if (!strcmp(c->text, closer)) {
			if (!depth)
				return unsupported(ip, c->line);
			ip->i++;
			ip->last = LAST_NONE;
			return RF_OK;
		}
		int rc = cmd(ip, depth, in_crc, crc_var, crc_pat);
		if (rc)
			return rc;
	}
	if (depth)
		return failf(ip, start_line, unclosed);
	return RF_OK;
}

static int sh_block(struct interp *ip, int depth, int in_crc,
		    const char *crc_var, const char *crc_pat)
{
	return run_block(ip, depth, in_crc, crc_var, crc_pat, "fi", sh_cmd,
			 "`if` without `fi`");
}

/* ----------------------------------------------------------------- bat */

static int bat_block(struct interp *ip, int depth, int in_crc,
		     const char *crc_var, const char *crc_pat);

/* Is words[k..] an "|| echo/exit" / "&& echo/exit" tail made only of
 * echo and exit?  Sets *op ('|' or '&' of the first), *has_exit, msg. */
static int bat_tail(const struct words *w, int k, char *op, int *has_exit,
		    char *msg, size_t cap)
{
	*op = 0;
	*has_exit = 0;
	msg[0] = 0;
	while (k < w->n) {
		const char *sep = w->w[k];
		if (strcmp(sep, "||") && strcmp(sep, "&&"))
			return 0;
		if (!*op)
			*op = sep[0];
		int e = k + 1;
		while (e < w->n && strcmp(w->w[e], "||") && strcmp(w->w[e], "&&"))
			e++;
		if (e == k + 1)
			return 0;
		const char *c0 = w->w[k + 1];
		if (*c0 == '@')
			c0++;
		if (!strcasecmp(c0, "echo")) {
			struct words tmp;
			tmp.n = 0;
			for (int i = k + 2; i < e; i++)
				strcpy(tmp.w[tmp.n++], w->w[i]);
			echo_msg(&tmp, 0, msg, cap);
		} else {
			struct words tmp;
			tmp.n = 0;
			for (int i = k + 1; i < e; i++)
				strcpy(tmp.w[tmp.n++], w->w[i]);
			if (!is_exit_fail(&tmp, 0))
				return 0;
			*has_exit = 1;
		}
		k = e;
	}
	return 1;
}

static int bat_echo_exit_body(struct interp *ip, int if_line, char *msg,
			      size_t cap)
{
	int exited = 0;
	msg[0] = 0;
	for (; ip->i < ip->ncmd; ip->i++) {
		struct cmd *c = &ip->cmd[ip->i];
		struct words w;
		if (split_words(c->text, &w, 1) || !w.n)
			return unsupported(ip, c->line);
		const char *c0 = w.w[0][0] == '@' ? w.w[0] + 1 : w.w[0];
		if (!strcmp(c0, ")") && w.n == 1) {
			ip->i++;
			return exited ? RF_OK : unsupported(ip, if_line);
		}
		if (!strcasecmp(c0, "echo") && !exited)
			echo_msg(&w, 1, msg, cap);
		else if (is_exit_fail(&w, 0) && !exited)
			exited = 1;
		else
			return unsupported(ip, c->line);
	}
	return failf(ip, if_line, "`(` without `)`");
}

static const char BAT_ANTI_FOR[] =
	"for /f \"tokens=2 delims=: \" %%i in ('fastboot %* getvar anti 2^>^&1 "
	"^| findstr /r /c:\"anti:\"') do (set version=%%i)";

static int bat_cmd(struct interp *ip, int depth, int in_crc,
		   const char *crc_var, const char *crc_pat)
{
	struct cmd *c = &ip->cmd[ip->i];
	struct words w;
	unsigned v;
	char msg[160];
	if (!strcasecmp(c->text, BAT_ANTI_FOR) && !in_crc) {
		ip->i++;
		ip->ver_getvar = 1;
		ip->last = LAST_NONE;
		return RF_OK;
	}
	if (split_words(c->text, &w, 1) || !w.n)
		return unsupported(ip, c->line);
	char *w0 = w.w[0];
	if (*w0 == '@')
		memmove(w0, w0 + 1, strlen(w0));
	if (!strcasecmp(w0, "fastboot")) {
		int k = fb_args(&w, 1);
		char var[32], pat[128], op;
		int has_exit;
		int e = match_getvar_grep(&w, k, 1, var, pat);
		ip->i++;
		if (e >= 0) {
			if (in_crc || !bat_tail(&w, e, &op, &has_exit, msg, sizeof msg))
				return unsupported(ip, c->line);
			ip->last = LAST_GREP;
			ip->last_line = c->line;
			strcpy(ip->last_var, var);
			strcpy(ip->last_pat, pat);
			if (!op)
				return RF_OK;
			int must = op == '|';
			if (!has_exit) { /* the "|| echo" line of a pair */
				snprintf(ip->pend_msg, sizeof ip->pend_msg, "%s", msg);
				strcpy(ip->pend_var, var);
				strcpy(ip->pend_pat, pat);
				ip->pend_match = must;
				return RF_OK;
			}
			if (!msg[0] && ip->pend_msg[0] && ip->pend_match == must &&
			    !strcmp(ip->pend_var, var) && !strcmp(ip->pend_pat, pat))
				snprintf(msg, sizeof msg, "%s", ip->pend_msg);
			ip->pend_msg[0] = 0;
			ip->last = LAST_NONE;
			return push_check(ip, c->line, var, pat, must, msg);
		}
		int end = k;
		while (end < w.n && strcmp(w.w[end], "||") && strcmp(w.w[end], "&&"))
			end++;
		if (!bat_tail(&w, end, &op, &has_exit, msg, sizeof msg) ||
		    (op && op != '|'))
			return unsupported(ip, c->line);
		int rc = fb_op(ip, c->line, &w, k, end, in_crc, crc_var, crc_pat);
		ip->last = LAST_FB;
		return rc;
	}
	if (!strcasecmp(w0, "if")) {
		int line = c->line;
		int last = ip->last;
		ip->last = LAST_NONE;
		ip->i++;
		/* if %errorlevel% equ|neq 0 ( */
		if (w.n == 5 && !strcasecmp(w.w[1], "%errorlevel%") &&
		    !strcmp(w.w[3], "0") && !strcmp(w.w[4], "(")) {
			int neq = !strcasecmp(w.w[2], "neq");
			if (!neq && strcasecmp(w.w[2], "equ"))
				return unsupported(ip, line);
			if (neq && last == LAST_FB)
				return bat_echo_exit_body(ip, line, msg, sizeof msg);
			if (last != LAST_GREP)
				return unsupported(ip, line);
			if (neq) {
				int rc = bat_echo_exit_body(ip, line, msg, sizeof msg);
				return rc ? rc : push_check(ip, ip->last_line, ip->last_var,
							    ip->last_pat, 1, msg);
			}
			if (strcmp(ip->last_var, "crc") || in_crc || depth >= MAX_DEPTH)
				return unsupported(ip, line);
			char var[32], pat[128];
			strcpy(var, ip->last_var);
			strcpy(pat, ip->last_pat);
			return bat_block(ip, depth + 1, 1, var, pat);
		}
		/* if [%version%] EQU [] set version=0 */
		if (w.n == 6 && !strcmp(w.w[1], "[%version%]") &&
		    !strcasecmp(w.w[2], "EQU") && !strcmp(w.w[3], "[]") &&
		    !strcasecmp(w.w[4], "set") && !strcmp(w.w[5], "version=0") &&
		    ip->ver_getvar) {
			ip->ver_default = 1;
			return RF_OK;
		}
		/* if %version% GTR %CURRENT_ANTI_VER% ( */
		if (w.n == 5 && !strcmp(w.w[1], "%version%") &&
		    !strcasecmp(w.w[2], "GTR") &&
		    !strcmp(w.w[3], "%CURRENT_ANTI_VER%") && !strcmp(w.w[4], "(") &&
		    ip->ver_default) {
			int rc = bat_echo_exit_body(ip, line, msg, sizeof msg);
			return rc ? rc : push_anti(ip, line, msg);
		}
		return unsupported(ip, line);
	}
	ip->i++;
	ip->last = LAST_NONE;
	if (!strcasecmp(w0, "echo"))
		return RF_OK; /* also "echo off" */
	if (!strcasecmp(w0, "set") && w.n == 2 &&
	    !strncmp(w.w[1], "CURRENT_ANTI_VER=", 17) && is_uint(w.w[1] + 17, &v) &&
	    !in_crc) {
		ip->anti_set = 1;
		ip->anti_cur = v;
		return RF_OK;
	}
	/* sleeps: "timeout /t N [/nobreak] [>nul]", "ping -n N 127.0.0.1 >nul" */
	if (!strcasecmp(w0, "timeout") && w.n >= 3 && !strcasecmp(w.w[1], "/t") &&
	    is_uint(w.w[2], &v)) {
		for (int i = 3; i < w.n; i++)
			if (strcasecmp(w.w[i], "/nobreak") && strcasecmp(w.w[i], ">nul"))
				return unsupported(ip, c->line);
		return do_sleep(ip, c->line, v);
	}
	if (!strcasecmp(w0, "ping") && w.n == 5 && !strcmp(w.w[1], "-n") &&
	    is_uint(w.w[2], &v) && v >= 1 && !strcmp(w.w[3], "127.0.0.1") &&
	    !strcasecmp(w.w[4], ">nul"))
		return do_sleep(ip, c->line, v - 1); /* N pings, 1 s apart */
	if (!strcasecmp(w0, "exit") && w.n == 3 && !strcasecmp(w.w[1], "/b") &&
	    !strcmp(w.w[2], "0") && !depth) {
		ip->ended = 1;
		return RF_OK;
	}
	return unsupported(ip, c->line);
}

static int bat_block(struct interp *ip, int depth, int in_crc,
		     const char *crc_var, const char *crc_pat)
{
	return run_block(ip, depth, in_crc, crc_var, crc_pat, ")", bat_cmd,
			 "`(` without `)`");
}

/* -------------------------------------------------------------- entry */

enum rf_dialect rf_script_dialect(const char *file)
{
	size_t n = strlen(file);
	return n >= 4 && !strcasecmp(file + n - 4, ".bat") ? RF_DIALECT_BAT
							    : RF_DIALECT_SH;
}

int rf_script_parse(const char *file, const char *text, size_t len,
		    enum rf_dialect d, struct rf_steplist *out, char *err)
{
	struct interp ip;
	memset(&ip, 0, sizeof ip);
	ip.file = file;
	ip.d = d;
	ip.out = out;
	ip.err = err;
	size_t before = out->n;
	int rc = lex(&ip, text, len);
	if (rc == RF_ENOMEM)
		rc = rf_errf(err, RF_ENOMEM, "out of memory");
	if (rc)
		goto out;
	if (ip.ncmd == 0) {
		rc = rf_errf(err, RF_EFORMAT, "%s: the script is empty", file);
		goto out;
	}
	rc = d == RF_DIALECT_SH ? sh_block(&ip, 0, 0, "", "")
				: bat_block(&ip, 0, 0, "", "");
	if (rc)
		goto out;
	if (out->n == before)
		rc = rf_errf(err, RF_EFORMAT, "%s: the script does nothing",
			     file);
	else if (ip.anti_set && !ip.ver_getvar)
		rc = rf_errf(err, RF_EFORMAT,
			     "%s: CURRENT_ANTI_VER is set but never checked", file);
out:
	if (rc)
		out->n = before; /* all or nothing */
	for (int i = 0; i < ip.ncmd; i++)
		free(ip.cmd[i].text);
	free(ip.cmd);
	for (int i = 0; i < ip.nlines; i++)
		free(ip.lines[i]);
	free(ip.lines);
	return rc;
}

/* ------------------------------------------------------------ compare */

static void pat_norm(const char *p, char *o, size_t cap)
{
	snprintf(o, cap, "%s", p);
	size_t n = strlen(o);
	if (n && o[n - 1] == '$' && (n < 2 || o[n - 2] != '\\'))
		o[n - 1] = 0;
}

static int step_eq(const struct rf_step *a, const struct rf_step *b)
{
	char pa[128], pb[128];
	pat_norm(a->pattern, pa, sizeof pa);
	pat_norm(b->pattern, pb, sizeof pb);
	return a->op == b->op && !strcmp(a->partition, b->partition) &&
	       !strcmp(a->image, b->image) && !strcmp(a->var, b->var) &&
	       !strcmp(pa, pb) && a->must_match == b->must_match &&
	       !strcmp(a->arg, b->arg) && a->anti_max == b->anti_max &&
	       a->sleep_s == b->sleep_s;
}

static void step_desc(const struct rf_step *s, char *o, size_t cap)
{
	snprintf(o, cap, "%s %.40s%s%.60s (%.60s)", rf_op_name(s->op),
		 s->partition[0] ? s->partition : s->var,
		 s->image[0] ? " " : "", s->image, s->src);
}

int rf_steps_compare(const struct rf_steplist *a, const struct rf_steplist *b,
		     char *diff, size_t cap)
{
	size_t n = a->n < b->n ? a->n : b->n;
	char da[256], db[256];
	for (size_t i = 0; i < n; i++)
		if (!step_eq(&a->v[i], &b->v[i])) {
			step_desc(&a->v[i], da, sizeof da);
			step_desc(&b->v[i], db, sizeof db);
			snprintf(diff, cap, "step %zu: %.110s vs %.110s", i + 1, da, db);
			return 1;
		}
	if (a->n != b->n) {
		const struct rf_step *x = a->n > b->n ? &a->v[n] : &b->v[n];
		step_desc(x, da, sizeof da);
		snprintf(diff, cap, "%zu steps vs %zu; first extra: %s", a->n,
			 b->n, da);
		return 1;
	}
	diff[0] = 0;
	return 0;
}
