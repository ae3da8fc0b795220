/* A small backtracking matcher for grep's basic and extended regular
 * expressions (see regex.h).  The pattern is parsed into nodes; sequences
 * and a group's alternatives are runs of indices, so the whole compiled
 * pattern lives in one fixed struct on the stack. */
#include "regex.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define RE_NODES 128
#define RE_ITEMS 256
#define RE_SEQS 64
#define RE_SETS 24
#define RE_ALTS 16
#define RE_BUDGET 200000
#define RE_LINE 1024

enum { K_CHAR, K_ANY, K_SET, K_BOL, K_EOL, K_GROUP };

struct re_node {
	unsigned char kind, c;
	short min, max;       /* repetitions; max -1: unbounded */
	short set;            /* K_SET */
	short alt, nalt;      /* K_GROUP: its alternatives (sequences) */
};

struct re_seq {
	short first, n;       /* item[first .. first+n) are node indices */
};

struct re {
	enum rf_re_flavor f;
	struct re_node node[RE_NODES];
	short item[RE_ITEMS];
	struct re_seq seq[RE_SEQS];
	short alts[RE_ITEMS]; /* runs of sequence indices */
	unsigned char set[RE_SETS][32];
	int nnode, nitem, nseq, nalts, nset;
	short top;            /* the group node of the whole pattern */
};

struct re_parse {
	struct re *re;
	const char *p;
	const char *end_of_pattern;
	int depth;
};

static int new_node(struct re *re, int kind)
{
	if (re->nnode == RE_NODES)
		return -1;
	struct re_node *n = &re->node[re->nnode];
	memset(n, 0, sizeof *n);
	n->kind = (unsigned char)kind;
	n->min = n->max = 1;
	return re->nnode++;
}

static void set_add(unsigned char *set, unsigned lo, unsigned hi)
{
	for (unsigned c = lo; c <= hi && c < 256; c++)
		set[c / 8] |= (unsigned char)(1u << (c % 8));
}

static int class_add(unsigned char *set, const char *name, size_t len)
{
	static const struct {
		const char *name;
		int (*fn)(int);
	} cls[] = { { "digit", isdigit }, { "alpha", isalpha },
		    { "alnum", isalnum }, { "space", isspace },
		    { "upper", isupper }, { "lower", islower },
		    { "xdigit", isxdigit }, { "punct", ispunct } };
	for (size_t i = 0; i < sizeof cls / sizeof cls[0]; i++)
		if (strlen(cls[i].name) == len && !strncmp(cls[i].name, name, len)) {
			for (unsigned c = 1; c < 128; c++)
				if (cls[i].fn((int)c))
					set_add(set, c, c);
			return 0;
		}
	return -1;
}

/* [...] after the '[' */
static int parse_set(struct re_parse *ps, unsigned char *set)
{
	const char *p = ps->p;
	int neg = 0, first = 1;
	if (*p == '^') {
		neg = 1;
		p++;
	}
	while (*p && (*p != ']' || first)) {
		if (p[0] == '[' && p[1] == ':') {
			const char *e = strstr(p + 2, ":]");
			if (!e || class_add(set, p + 2, (size_t)(e - p - 2)))
				return -1;
			p = e + 2;
		} else if (p[0] == '[' && (p[1] == '.' || p[1] == '=')) {
			return -1; /* collating elements: never in a script */
		} else {
			unsigned lo = (unsigned char)*p, hi = lo;
			if (p[1] == '-' && p[2] && p[2] != ']') {
				hi = (unsigned char)p[2];
				p += 3;
			} else {
				p++;
			}
			if (hi < lo)
				return -1;
			set_add(set, lo, hi);
		}
		first = 0;
	}
	if (*p != ']')
		return -1;
	ps->p = p + 1;
	if (neg)
		for (int i = 0; i < 32; i++)
			set[i] = (unsigned char)~set[i];
	set[0] &= 0xfe; /* never the terminating NUL */
	return 0;
}

static int parse_bound(struct re_parse *ps, struct re_node *n)
{
	const char *p = ps->p + 1; /* after '{' */
	int m = 0, x, digits = 0;
	while (isdigit((unsigned char)*p) && m < 1000) {
		m = m * 10 + (*p++ - '0');
		digits++;
	}
	if (!digits)
		return -1;
	x = m;
	if (*p == ',') {
		p++;
		x = -1;
		if (isdigit((unsigned char)*p)) {
			x = 0;
			while (isdigit((unsigned char)*p) && x < 1000)
				x = x * 10 + (*p++ - '0');
		}
	}
	if (*p != '}' || m >= 1000 || (x >= 0 && (x < m || x >= 1000)))
		return -1;
	n->min = (short)m;
	n->max = (short)x;
	ps->p = p + 1;
	return 0;
}

static int parse_group(struct re_parse *ps, int nd);

/* One atom and its repetition, appended to items[]. */
static int parse_piece(struct re_parse *ps, short *items, int *ni, int at_start)
{
	struct re *re = ps->re;
	int ere = re->f == RF_RE_EXTENDED;
	const char *p = ps->p;
	int nd;
	if (*ni == 64)
		return -1;
	if (*p == '^' && (ere || at_start)) {
		nd = new_node(re, K_BOL);
		ps->p = p + 1;
	} else if (*p == '$' && (ere || p + 1 == ps->end_of_pattern)) {
		nd = new_node(re, K_EOL);
		ps->p = p + 1;
	} else if (*p == '.') {
		nd = new_node(re, K_ANY);
		ps->p = p + 1;
	} else if (*p == '[') {
		if (re->nset == RE_SETS || (nd = new_node(re, K_SET)) < 0)
			return -1;
		re->node[nd].set = (short)re->nset;
		memset(re->set[re->nset], 0, 32);
		ps->p = p + 1;
		if (parse_set(ps, re->set[re->nset++]))
			return -1;
	} else if (*p == '(' && ere) {
		if ((nd = new_node(re, K_GROUP)) < 0 || ps->depth >= 8)
			return -1;
		ps->p = p + 1;
		ps->depth++;
		if (parse_group(ps, nd) || *ps->p != ')')
			return -1;
		ps->depth--;
		ps->p++;
	} else if (*p == '\\') {
		/* a quoted punctuation character; GNU's letter and group
		 * operators are not ours to guess */
		if (!p[1] || isalnum((unsigned char)p[1]) ||
		    (!ere && strchr("(){}|+?<>", p[1])) || strchr("<>`'", p[1]))
			return -1;
		nd = new_node(re, K_CHAR);
		if (nd >= 0)
			re->node[nd].c = (unsigned char)p[1];
		ps->p = p + 2;
	} else if (ere && strchr("*+?{", *p)) {
		return -1; /* a repetition of nothing */
	} else if (ere && *p == ')') {
		return -1;
	} else {
		nd = new_node(re, K_CHAR);
		if (nd >= 0)
			re->node[nd].c = (unsigned char)*p;
		ps->p = p + 1;
	}
	if (nd < 0)
		return -1;
	struct re_node *n = &re->node[nd];
	p = ps->p;
	if (*p == '*' && n->kind != K_BOL) {
		n->min = 0;
		n->max = -1;
		ps->p++;
	} else if (ere && (*p == '+' || *p == '?') && n->kind != K_BOL &&
		   n->kind != K_EOL) {
		n->min = *p == '+' ? 1 : 0;
		n->max = *p == '+' ? -1 : 1;
		ps->p++;
	} else if (ere && *p == '{' && n->kind != K_BOL && n->kind != K_EOL) {
		if (parse_bound(ps, n))
			return -1;
	}
	p = ps->p;
	if (*p == '*' || (ere && (*p == '+' || *p == '?' || *p == '{')))
		return -1; /* a repetition of a repetition */
	items[(*ni)++] = (short)nd;
	return 0;
}

static int parse_seq(struct re_parse *ps)
{
	struct re *re = ps->re;
	short items[64];
	int ni = 0, ere = re->f == RF_RE_EXTENDED;
	while (*ps->p && !(ere && (*ps->p == '|' || *ps->p == ')'))) {
		int at_start = ni == 0 ||
			       (ni == 1 && re->node[items[0]].kind == K_BOL);
		/* BRE: a '*' first is a literal star */
		if (!ere && *ps->p == '*' && at_start) {
			int nd = new_node(re, K_CHAR);
			if (nd < 0 || ni == 64)
				return -1;
			re->node[nd].c = '*';
			items[ni++] = (short)nd;
			ps->p++;
			continue;
		}
		if (parse_piece(ps, items, &ni, ni == 0))
			return -1;
	}
	if (re->nseq == RE_SEQS || re->nitem + ni > RE_ITEMS)
		return -1;
	struct re_seq *s = &re->seq[re->nseq];
	s->first = (short)re->nitem;
	s->n = (short)ni;
	memcpy(re->item + re->nitem, items, sizeof items[0] * (size_t)ni);
	re->nitem += ni;
	return re->nseq++;
}

static int parse_group(struct re_parse *ps, int nd)
{
	struct re *re = ps->re;
	short alts[RE_ALTS];
	int na = 0;
	for (;;) {
		int s = parse_seq(ps);
		if (s < 0 || na == RE_ALTS)
			return -1;
		alts[na++] = (short)s;
		if (re->f != RF_RE_EXTENDED || *ps->p != '|')
			break;
		ps->p++;
	}
	if (re->nalts + na > RE_ITEMS)
		return -1;
	re->node[nd].alt = (short)re->nalts;
	re->node[nd].nalt = (short)na;
	memcpy(re->alts + re->nalts, alts, sizeof alts[0] * (size_t)na);
	re->nalts += na;
	return 0;
}

static int re_compile(const char *pattern, enum rf_re_flavor f, struct re *re)
{
	struct re_parse ps = { re, pattern, pattern + strlen(pattern), 0 };
	memset(re, 0, sizeof *re);
	re->f = f;
	int top = new_node(re, K_GROUP);
	if (top < 0 || parse_group(&ps, top) || *ps.p)
		return -1;
	re->top = (short)top;
	return 0;
}

/* ---------------------------------------------------------------- match */

struct re_k { /* what to do once a group's alternative has matched */
	short seq, idx, cnt;
	const char *start;
	const struct re_k *next;
};

struct re_m {
	const struct re *re;
	const char *line;
	long budget;
};

static int m_seq(struct re_m *m, int seq, int idx, const char *s,
		 const struct re_k *k);

static int one_ok(const struct re *re, const struct re_node *n, unsigned char c)
{
	if (!c)
		return 0;
	switch (n->kind) {
	case K_ANY: return 1;
	case K_CHAR: return n->c == c;
	default: return (re->set[n->set][c / 8] >> (c % 8)) & 1;
	}
}

/* Node idx of seq has matched cnt times so far, ending at s. */
static int m_node(struct re_m *m, int seq, int idx, int cnt, const char *s,
		  const struct re_k *k)
{
	const struct re *re = m->re;
	const struct re_node *n = &re->node[re->item[re->seq[seq].first + idx]];
	if (--m->budget < 0)
		return 0;
	if (n->max < 0 || cnt < n->max) { /* greedy: one more first */
		if (n->kind == K_GROUP) {
			struct re_k k2 = { (short)seq, (short)idx, (short)(cnt + 1), s, k };
			for (int a = 0; a < n->nalt; a++)
				if (m_seq(m, re->alts[n->alt + a], 0, s, &k2))
					return 1;
		} else if (one_ok(re, n, (unsigned char)*s) &&
			   m_node(m, seq, idx, cnt + 1, s + 1, k)) {
			return 1;
		}
	}
	return cnt >= n->min && m_seq(m, seq, idx + 1, s, k);
}

static int m_seq(struct re_m *m, int seq, int idx, const char *s,
		 const struct re_k *k)
{
	const struct re *re = m->re;
	if (m->budget < 0)
		return 0;
	if (idx == re->seq[seq].n) {
		if (!k)
			return 1;
		/* an empty pass through a repeated group ends the repetition */
		if (s == k->start)
			return m_seq(m, k->seq, k->idx + 1, s, k->next);
		return m_node(m, k->seq, k->idx, k->cnt, s, k->next);
	}
	const struct re_node *n = &re->node[re->item[re->seq[seq].first + idx]];
	if (n->kind == K_BOL)
		return s == m->line && m_seq(m, seq, idx + 1, s, k);
	if (n->kind == K_EOL)
		return !*s && m_seq(m, seq, idx + 1, s, k);
	return m_node(m, seq, idx, 0, s, k);
}

/* 1 match, 0 none, -1 over budget */
static int re_search(const struct re *re, const char *line)
{
	struct re_m m = { re, line, RE_BUDGET };
	const struct re_node *top = &re->node[re->top];
	const char *s = line;
	do {
		for (int a = 0; a < top->nalt; a++)
			if (m_seq(&m, re->alts[top->alt + a], 0, s, NULL))
				return 1;
		if (m.budget < 0)
			return -1;
	} while (*s++);
	return 0;
}

int rf_re_valid(const char *pattern, enum rf_re_flavor f)
{
	struct re re;
	return pattern && re_compile(pattern, f, &re) == 0;
}

int rf_grep_match(const char *pattern, enum rf_re_flavor f, const char *text)
{
	struct re re;
	char line[RE_LINE];
	const char *p = text;
	if (re_compile(pattern, f, &re))
		return -1;
	for (;;) { /* grep matches line by line */
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		if (n >= sizeof line)
			n = sizeof line - 1;
		memcpy(line, p, n);
		line[n] = 0;
		if (n && line[n - 1] == '\r')
			line[n - 1] = 0;
		int r = re_search(&re, line);
		if (r)
			return r;
		if (!nl)
			return 0;
		p = nl + 1;
	}
}

/* The end of the bracket expression that starts at p (a '['), as
 * parse_set reads it. */
static const char *set_end(const char *p)
{
	p += 1 + (p[1] == '^');
	for (int first = 1; *p && (*p != ']' || first); first = 0) {
		const char *e = p[0] == '[' && p[1] == ':' ? strstr(p + 2, ":]") : NULL;
		p = e ? e + 2 : p + 1;
	}
	return p; /* at the ']' */
}

int rf_re_to_extended(const char *pattern, char *out, size_t cap)
{
	size_t n = 0;
	if (!rf_re_valid(pattern, RF_RE_BASIC))
		return -1;
	for (const char *p = pattern; *p; ) {
		const char *from = p, *to = p + 1;
		int quote = 0;
		if (*p == '[') {
			to = set_end(p) + 1;
		} else if (*p == '\\') {
			to = p + 2;
		} else if (*p == '^') {
			quote = p != pattern;
		} else if (*p == '$') {
			quote = p[1] != 0;
		} else if (*p == '*') {
			quote = p == pattern; /* a star first is a literal in BRE */
		} else {
			quote = strchr("+?(){}|", *p) != NULL;
		}
		if (n + (size_t)quote + (size_t)(to - from) >= cap)
			return -1;
		if (quote)
			out[n++] = '\\';
		memcpy(out + n, from, (size_t)(to - from));
		n += (size_t)(to - from);
		p = to;
	}
	out[n] = 0;
	return rf_re_valid(out, RF_RE_EXTENDED) ? 0 : -1;
}

static void strip_dollar(const char *p, char *o, size_t cap)
{
	snprintf(o, cap, "%s", p);
	size_t n = strlen(o);
	if (n && o[n - 1] == '$' && (n < 2 || o[n - 2] != '\\'))
		o[n - 1] = 0;
}

int rf_re_same(const char *a, enum rf_re_flavor fa, const char *b,
	       enum rf_re_flavor fb)
{
	char x[160], y[160];
	strip_dollar(a, x, sizeof x);
	strip_dollar(b, y, sizeof y);
	if (strcmp(x, y))
		return 0;
	return fa == fb || !strpbrk(x, "+?|(){}\\");
}
