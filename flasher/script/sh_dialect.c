/* The sh dialect of flash_all*.sh (docs/script-dialect.md): reads the
 * shell syntax, and leaves the meaning to interp.c.
 *
 * `$?` is tracked as "what the last command was": after a getvar | grep,
 * an `if` on it is a check (its body echoes and exits) or a block of steps
 * that depend on the phone's answer; after a fastboot command it says the
 * script stops when that command fails.  An `if` on something the package
 * decides (a file is there, a variable is empty) is decided now: both
 * branches are read, only one takes effect. */
#include "interp.h"
#include "rf_str.h"

#include <stdio.h>
#include <string.h>

static int sh_cmd(struct rf_interp *ip);
static int sh_if(struct rf_interp *ip, int line, const struct rf_words *w);

/* Commands up to one of `closers` (its index in *which; "elif" is left for
 * the caller), or to the end of the script when closers is NULL. */
static int sh_block(struct rf_interp *ip, const char *const *closers, int *which,
		    int start_line)
{
	while (ip->i < ip->lx.ncmd && !ip->ended) {
		const struct rf_cmd *c = &ip->lx.cmd[ip->i];
		size_t kw = strcspn(c->text, " \t");
		for (int j = 0; closers && closers[j]; j++) {
			size_t n = strlen(closers[j]);
			if (kw != n || strncmp(c->text, closers[j], n))
				continue;
			if (strcmp(closers[j], "elif")) {
				if (c->text[n])
					return rf_ip_unsupported(ip, c->line);
				ip->i++;
			}
			ip->last = RF_LAST_NONE;
			*which = j;
			return RF_OK;
		}
		int rc = sh_cmd(ip);
		if (rc)
			return rc;
	}
	if (closers)
		return rf_ip_fail(ip, start_line, "`if` without `fi`");
	return RF_OK;
}

/* The branches of an if: `then_live`/`else_live` say which takes effect.
 * `flip`: the if made the steps depend on the phone's answer; the else
 * branch runs on the other answer. */
static int sh_branches(struct rf_interp *ip, int line, int then_live,
		       int else_live, int flip)
{
	static const char *const then_end[] = { "fi", "else", "elif", NULL };
	static const char *const else_end[] = { "fi", NULL };
	int outer = ip->live, which = 0, rc;
	if (ip->depth >= RF_MAX_DEPTH)
		return rf_ip_unsupported(ip, line);
	ip->depth++;
	ip->live = outer && then_live;
	rc = sh_block(ip, then_end, &which, line);
	ip->live = outer && else_live;
	if (flip)
		ip->cond_match = !ip->cond_match;
	if (!rc && which == 1) {
		rc = sh_block(ip, else_end, &which, line);
	} else if (!rc && which == 2) { /* elif: an if of its own, same fi */
		struct rf_words w;
		const struct rf_cmd *c = &ip->lx.cmd[ip->i];
		rc = rf_words_split(c->text, &w, 0) ? rf_ip_unsupported(ip, c->line)
						     : sh_if(ip, c->line, &w);
	}
	ip->depth--;
	ip->live = outer;
	ip->last = RF_LAST_NONE;
	return rc;
}

/* ---------------------------------------------------------------- if */

/* if [ -z "$P" ]; then V=0; [else V=$(date -d "$P" +%s);] fi, P from the
 * phone: V is P (an empty answer counts as 0), maybe read as a date. */
static int sh_if_phone_empty(struct rf_interp *ip, int line, const char *p)
{
	char lhs[40], want[160];
	const struct rf_cmd *c;
	int k = ip->i;
	if (k + 1 >= ip->lx.ncmd)
		return rf_ip_fail(ip, line, "`if` without `fi`");
	c = &ip->lx.cmd[k];
	const char *eq = strchr(c->text, '=');
	if (!eq || strcmp(eq, "=0") || (size_t)(eq - c->text) >= sizeof lhs)
		return rf_ip_unsupported(ip, c->line);
	snprintf(lhs, sizeof lhs, "%.*s", (int)(eq - c->text), c->text);
	c = &ip->lx.cmd[++k];
	if (!strcmp(c->text, "fi")) {
		ip->i = k + 1;
		return strcmp(lhs, p) ? rf_ip_unsupported(ip, line) : RF_OK;
	}
	if (strcmp(c->text, "else") || k + 2 >= ip->lx.ncmd)
		return rf_ip_unsupported(ip, c->line);
	c = &ip->lx.cmd[++k];
	snprintf(want, sizeof want, "%s=$(date -d \"$%s\" +%%s)", lhs, p);
	if (strcmp(c->text, want))
		return rf_ip_unsupported(ip, c->line);
	if (strcmp(ip->lx.cmd[k + 1].text, "fi"))
		return rf_ip_unsupported(ip, ip->lx.cmd[k + 1].line);
	ip->i = k + 2;
	snprintf(want, sizeof want, "$%s", p);
	return rf_ip_date_of(ip, c->line, lhs, want);
}

static int sh_if_empty(struct rf_interp *ip, int line, const char *word,
		       const char *suffix)
{
	char name[40];
	if (!rf_ip_ref(ip, word, suffix, name, sizeof name))
		return rf_ip_unsupported(ip, line);
	const struct rf_var *v = rf_ip_var(ip, name);
	if (v && v->kind == RF_V_PHONE)
		return sh_if_phone_empty(ip, line, name);
	if (v && v->kind != RF_V_CONST)
		return rf_ip_unsupported(ip, line);
	int empty = !v || !v->val[0];
	return sh_branches(ip, line, empty, !empty, 0);
}

static int sh_if_compare(struct rf_interp *ip, int line, const char *a,
			 const char *b)
{
	struct rf_step chk;
	char msg[160];
	int rc = rf_ip_compare(ip, line, a, b, &chk);
	if (!rc)
		rc = rf_ip_echo_exit(ip, line, "fi", msg, sizeof msg);
	if (rc || !chk.op)
		return rc;
	return rf_ip_push_check(ip, line, &chk, msg);
}

static int sh_if(struct rf_interp *ip, int line, const struct rf_words *w)
{
	int n = w->n, last = ip->last, na = n - 3;
	const char (*a)[RF_LEX_MAX_WORD] = w->w + 2; /* between [ and ] */
	char rel[256];
	if (n < 4 || strcmp(w->w[1], "[") || strcmp(w->w[n - 1], "]"))
		return rf_ip_unsupported(ip, line);
	ip->i++;
	if (ip->i >= ip->lx.ncmd || strcmp(ip->lx.cmd[ip->i].text, "then"))
		return rf_ip_unsupported(ip, ip->i < ip->lx.ncmd ? ip->lx.cmd[ip->i].line
							      : line);
	ip->i++;
	ip->last = RF_LAST_NONE;
	if (na == 3 && !strcmp(a[0], "$?") && !strcmp(a[2], "0") &&
	    (!strcmp(a[1], "-ne") || !strcmp(a[1], "-eq")))
		return rf_ip_status(ip, line, last, a[1][1] == 'n', "fi", sh_branches);
	if (na == 2 && (!strcmp(a[0], "-e") || !strcmp(a[0], "-f"))) {
		if (!rf_ip_path(ip, a[1], rel, sizeof rel))
			return rf_ip_unsupported(ip, line);
		int there = rf_ip_exists(ip, rel);
		return sh_branches(ip, line, there, !there, 0);
	}
	if (na == 2 && !strcmp(a[0], "-z"))
		return sh_if_empty(ip, line, a[1], NULL);
	/* [ "${v}"x == ""x ]: the old way of writing -z */
	if (na == 3 && (!strcmp(a[1], "==") || !strcmp(a[1], "=")) &&
	    !strcmp(a[2], "x"))
		return sh_if_empty(ip, line, a[0], "x");
	if (na == 3 && !strcmp(a[1], "-gt"))
		return sh_if_compare(ip, line, a[0], a[2]);
	return rf_ip_unsupported(ip, line);
}

/* ---------------------------------------------------------- commands */

/* After `||`: a function that echoes and exits, or exit N. */
static int sh_or_tail(const struct rf_interp *ip, const struct rf_words *w, int k)
{
	if (rf_ip_exit_fail(w, k, w->n))
		return 1;
	for (int i = 0; k < w->n && i < ip->nhandler; i++)
		if (!strcmp(w->w[k], ip->handler[i]))
			return 1;
	return 0;
}

static int sh_fastboot(struct rf_interp *ip, int line, const struct rf_words *w)
{
	static const char *const ops[] = { "||", "&&", "|", NULL };
	struct rf_test t;
	int k = rf_ip_fastboot_args(ip, w), e = rf_ip_getvar_grep(ip, w, k, &t);
	int end, checked = 0;
	ip->i++;
	if (e >= 0) {
		if (e != w->n)
			return rf_ip_unsupported(ip, line);
		t.line = line;
		ip->last = RF_LAST_GREP;
		ip->grep = t;
		/* set -e: a grep that finds nothing ends the script here */
		return ip->errexit ? rf_ip_check(ip, &t, 1, "") : RF_OK;
	}
	end = rf_words_find(w, k, ops);
	if (end < w->n) {
		if (strcmp(w->w[end], "||") || !sh_or_tail(ip, w, end + 1))
			return rf_ip_unsupported(ip, line);
		checked = 1;
	}
	return rf_ip_fastboot(ip, line, w, k, end, checked);
}

/* `cat FILE`, `date -d ARG +%s`, `dirname $0` in `...` or $(...). */
static int sh_assign_subst(struct rf_interp *ip, int line, const char *name,
			   const char *inner)
{
	struct rf_words w;
	struct rf_var *v;
	char rel[256];
	if (rf_words_split(inner, &w, 0) || !w.n)
		return rf_ip_unsupported(ip, line);
	if (w.n == 2 && !strcmp(w.w[0], "dirname") && !strcmp(w.w[1], "$0")) {
		if (!(v = rf_ip_set(ip, name, line)))
			return RF_EFORMAT;
		v->kind = RF_V_DIRNAME;
		return RF_OK;
	}
	if (w.n == 2 && !strcmp(w.w[0], "cat")) {
		if (!rf_ip_path(ip, w.w[1], rel, sizeof rel))
			return rf_ip_unsupported(ip, line);
		return rf_ip_set_file(ip, line, name, rel);
	}
	if (w.n == 4 && !strcmp(w.w[0], "date") && !strcmp(w.w[1], "-d") &&
	    !strcmp(w.w[3], "+%s"))
		return rf_ip_date_of(ip, line, name, w.w[2]);
	/* fastboot [$*] getvar VAR 2>&1 | grep -oP "VAR: \K..."  or
	 * | grep "VAR:" | awk -F ": " '{print $2}' */
	int k = w.n && !strcmp(w.w[0], "fastboot") ? rf_ip_fastboot_args(ip, &w) : 0;
	if (!k || k + 6 > w.n || strcmp(w.w[k], "getvar") ||
	    strcmp(w.w[k + 2], "2>&1") || strcmp(w.w[k + 3], "|") ||
	    strcmp(w.w[k + 4], "grep"))
		return rf_ip_unsupported(ip, line);
	const char *var = w.w[k + 1];
	char pat[160], want[160];
	if (w.n == k + 7 && !strcmp(w.w[k + 5], "-oP")) {
		for (int d = 0; d < 2; d++) {
			if (d)
				snprintf(want, sizeof want, "%.60s: \\K\\d+(-\\d+)*", var);
			else
				snprintf(want, sizeof want, "%.60s: \\K[0-9]+", var);
			if (strcmp(w.w[k + 6], want))
				continue;
			if (ip->errexit) { /* nothing found ends the script */
				struct rf_test t = { .line = line, .flavor = RF_RE_EXTENDED };
				rf_strlcpy(t.var, var, sizeof t.var);
				snprintf(pat, sizeof pat, "%.60s: [0-9]", var);
				rf_strlcpy(t.pat, pat, sizeof t.pat);
				int rc = rf_ip_check(ip, &t, 1, "");
				if (rc)
					return rc;
			}
			return rf_ip_phone_var(ip, line, name, var, d);
		}
		return rf_ip_unsupported(ip, line);
	}
	snprintf(want, sizeof want, "%.60s:", var);
	if (w.n == k + 11 && !strcmp(w.w[k + 5], want) && !strcmp(w.w[k + 6], "|") &&
	    !strcmp(w.w[k + 7], "awk") && !strcmp(w.w[k + 8], "-F") &&
	    !strcmp(w.w[k + 9], ": ") && !strcmp(w.w[k + 10], "{print $2}"))
		return rf_ip_phone_var(ip, line, name, var, 0);
	return rf_ip_unsupported(ip, line);
}

static int sh_assign(struct rf_interp *ip, int line, const char *word)
{
	char name[40], inner[RF_LEX_MAX_WORD];
	const char *eq = strchr(word, '='), *val;
	struct rf_var scratch, *v;
	size_t n;
	if (!eq || (size_t)(eq - word) >= sizeof name)
		return rf_ip_unsupported(ip, line);
	snprintf(name, sizeof name, "%.*s", (int)(eq - word), word);
	if (!rf_is_name(name))
		return rf_ip_unsupported(ip, line);
	val = eq + 1;
	n = strlen(val);
	if (n >= 2 && ((val[0] == '`' && val[n - 1] == '`') ||
		       (val[0] == '$' && val[1] == '(' && val[n - 1] == ')'))) {
		size_t skip = val[0] == '`' ? 1 : 2;
		snprintf(inner, sizeof inner, "%.*s", (int)(n - skip - 1), val + skip);
		return sh_assign_subst(ip, line, name, inner);
	}
	const struct rf_var *from = rf_ip_value(ip, val, &scratch);
	if (!from || from->kind == RF_V_CHOICE)
		return rf_ip_unsupported(ip, line);
	struct rf_var copy = *from;
	if (!(v = rf_ip_set(ip, name, line)))
		return RF_EFORMAT;
	char src[96];
	snprintf(src, sizeof src, "%s", v->src);
	*v = copy;
	rf_strlcpy(v->name, name, sizeof v->name);
	if (!strcmp(copy.src, "the script")) /* a literal: this line */
		rf_strlcpy(v->src, src, sizeof v->src);
	return RF_OK;
}

/* NAME() { echo ...; exit N; }: a function `|| NAME` calls on failure. */
static int sh_function(struct rf_interp *ip, int line, const struct rf_words *w)
{
	char name[40], msg[160];
	int k = !strcmp(w->w[0], "function"), next = k + 1, rc;
	if (k >= w->n)
		return rf_ip_unsupported(ip, line);
	const char *nw = w->w[k];
	size_t n = strlen(nw);
	if (n > 2 && !strcmp(nw + n - 2, "()"))
		n -= 2;
	else if (next < w->n && !strcmp(w->w[next], "()"))
		next++;
	else if (!k)
		return rf_ip_unsupported(ip, line);
	snprintf(name, sizeof name, "%.*s", (int)n, nw);
	if (!rf_is_name(name) || ip->nhandler == 8 || ip->depth)
		return rf_ip_unsupported(ip, line);
	int brace = next < w->n && !strcmp(w->w[next], "{");
	if (next + brace != w->n)
		return rf_ip_unsupported(ip, line);
	if (!brace) {
		if (ip->i >= ip->lx.ncmd || strcmp(ip->lx.cmd[ip->i].text, "{"))
			return rf_ip_unsupported(ip, line);
		ip->i++;
	}
	if ((rc = rf_ip_echo_exit(ip, line, "}", msg, sizeof msg)))
		return rc;
	rf_strlcpy(ip->handler[ip->nhandler++], name, sizeof ip->handler[0]);
	return RF_OK;
}

static int sh_set(struct rf_interp *ip, int line, const struct rf_words *w)
{
	int on;
	if (w->n == 2 && (!strcmp(w->w[1], "-e") || !strcmp(w->w[1], "+e")))
		on = w->w[1][0] == '-';
	else if (w->n == 3 && !strcmp(w->w[2], "errexit") &&
		 (!strcmp(w->w[1], "-o") || !strcmp(w->w[1], "+o")))
		on = w->w[1][0] == '-';
	else
		return rf_ip_unsupported(ip, line);
	if (ip->live)
		ip->errexit = on;
	return RF_OK;
}

static int sh_cmd(struct rf_interp *ip)
{
	const struct rf_cmd *c = &ip->lx.cmd[ip->i];
	struct rf_words w;
	unsigned v;
	if (rf_words_split(c->text, &w, 0) || !w.n)
		return rf_ip_unsupported(ip, c->line);
	const char *w0 = w.w[0];
	if (!strcmp(w0, "fastboot"))
		return sh_fastboot(ip, c->line, &w);
	if (!strcmp(w0, "if"))
		return sh_if(ip, c->line, &w);
	ip->i++;
	ip->last = RF_LAST_NONE;
	if (!strcmp(w0, "echo"))
		return RF_OK;
	if (!strcmp(w0, "sleep") && w.n == 2 && rf_is_uint(w.w[1], &v))
		return rf_ip_sleep(ip, c->line, v);
	if (!strcmp(w0, "exit") && w.n == 2 && !strcmp(w.w[1], "0") && !ip->depth) {
		ip->ended = 1;
		return RF_OK;
	}
	if (!strcmp(w0, "set"))
		return sh_set(ip, c->line, &w);
	if (w.n <= 3 && (!strcmp(w0, "function") || strstr(w0, "()") ||
			 (w.n > 1 && !strcmp(w.w[1], "()"))))
		return sh_function(ip, c->line, &w);
	if (w.n == 1 && strchr(w0, '=') && w0[0] != '=')
		return sh_assign(ip, c->line, w0);
	return rf_ip_unsupported(ip, c->line);
}

int rf_sh_run(struct rf_interp *ip)
{
	int which;
	return sh_block(ip, NULL, &which, 1);
}
