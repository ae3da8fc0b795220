/* The Windows dialect of the flash_all*.bat twins (docs/script-dialect.md):
 * reads cmd's syntax and leaves the meaning to interp.c, so a twin that
 * says the same as its .sh gives the same steps.
 *
 * One command per line; blocks are "(" ... ")" with ") else (".  `if exist
 * "FILE" (for /f ...)` reads a package file now; `for /f ... in ('fastboot
 * %* getvar VAR ...')` is the phone's answer; the anti-rollback and
 * security-patch tests go through a "set anticheck=..." variable that an
 * `echo | findstr pass` finally tests. */
#include "interp.h"
#include "regex.h"
#include "rf_str.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static int bat_line(struct rf_interp *ip, int line, const char *text);

static int is_else_line(const char *t)
{
	char n[32];
	size_t k = 0;
	for (; *t && k + 1 < sizeof n; t++)
		if (*t != ' ' && *t != '\t')
			n[k++] = (char)tolower((unsigned char)*t);
	n[k] = 0;
	return !*t && !strcmp(n, ")else(");
}

/* Commands up to ")" (*els = 0) or ") else (" (*els = 1). */
static int bat_block(struct rf_interp *ip, int *els, int start_line)
{
	while (ip->i < ip->lx.ncmd && !ip->ended) {
		const struct rf_cmd *c = &ip->lx.cmd[ip->i];
		if (!strcmp(c->text, ")") || is_else_line(c->text)) {
			*els = c->text[1] != 0;
			ip->i++;
			ip->last = RF_LAST_NONE;
			return RF_OK;
		}
		ip->i++;
		int rc = bat_line(ip, c->line, c->text);
		if (rc)
			return rc;
	}
	return rf_ip_fail(ip, start_line, "`(` without `)`");
}

static int bat_branches(struct rf_interp *ip, int line, int then_live,
			int else_live, int flip)
{
	int outer = ip->live, els = 0, rc;
	if (ip->depth >= RF_MAX_DEPTH)
		return rf_ip_unsupported(ip, line);
	ip->depth++;
	ip->live = outer && then_live;
	rc = bat_block(ip, &els, line);
	if (!rc && els) {
		ip->live = outer && else_live;
		if (flip)
			ip->cond_match = !ip->cond_match;
		rc = bat_block(ip, &els, line);
		if (!rc && els)
			rc = rf_ip_unsupported(ip, line);
	}
	ip->depth--;
	ip->live = outer;
	ip->last = RF_LAST_NONE;
	return rc;
}

static int is_error_label(const struct rf_interp *ip, const char *name)
{
	for (int i = 0; i < ip->nlabel; i++)
		if (!strcasecmp(ip->label[i], name))
			return 1;
	return 0;
}

/* "|| @echo MSG && pause && exit /B 1" and the like, from words[k] (a
 * "||" or "&&"): *op the first operator, *fails when it ends the script,
 * msg the echo.  0 when it is anything else. */
static int bat_tail(const struct rf_interp *ip, const struct rf_words *w, int k,
		    char *op, int *fails, char *msg, size_t cap)
{
	static const char *const seps[] = { "||", "&&", NULL };
	*op = 0;
	*fails = 0;
	msg[0] = 0;
	while (k < w->n) {
		if (strcmp(w->w[k], "||") && strcmp(w->w[k], "&&"))
			return 0;
		if (!*op)
			*op = w->w[k][0];
		int e = rf_words_find(w, k + 1, seps);
		const char *c0 = k + 1 < e ? w->w[k + 1] : "";
		if (*c0 == '@')
			c0++;
		if (*fails || e == k + 1)
			return 0;
		if (!strcasecmp(c0, "echo"))
			rf_words_join(w, k + 2, e, msg, cap);
		else if (rf_ip_exit_fail(w, k + 1, e))
			*fails = 1;
		else if (!strcasecmp(c0, "goto") && e == k + 3 &&
			 is_error_label(ip, w->w[k + 2]))
			*fails = 1;
		else if (strcasecmp(c0, "pause") || e != k + 2)
			return 0;
		k = e;
	}
	return 1;
}

/* ------------------------------------------------------------- fastboot */

/* "getvar V | findstr A || fastboot %* getvar V 2>&1 | findstr B || ...":
 * cmd.exe binds `|` tighter than `||`, so each alternative asks the phone
 * again and the line goes on to its `|| echo`/`|| exit` only when none
 * matched -- V must match A or B: one check, its patterns joined as an
 * extended alternation.  From words[e] (after the first test): the index
 * after the last alternative, or -1 (unsupported) with *why set when the
 * line is something else that looks alike. */
static int bat_alternatives(const struct rf_interp *ip, const struct rf_words *w, int e,
			    struct rf_test *t, const char **why)
{
	char alt[4][sizeof t->pat];
	int n = 0;
	*why = NULL;
	while (e + 1 < w->n && !strcmp(w->w[e], "||")) {
		struct rf_test t2;
		const char *c = w->w[e + 1];
		if (!strcasecmp(c, "findstr")) {
			/* no pipe into it: it reads the console, not the phone */
			*why = "a `|| findstr` with nothing piped into it reads the console, "
			       "not the phone's answer (cmd.exe binds | tighter than ||)";
			return -1;
		}
		if (strcasecmp(c, "fastboot"))
			break;
		int k = e + 2 + (e + 2 < w->n && !strcmp(w->w[e + 2], "%*"));
		int next = rf_ip_getvar_grep(ip, w, k, &t2);
		if (next < 0 || strcmp(t2.var, t->var) || n == 3) {
			*why = "only alternatives of the same getvar make one check";
			return -1;
		}
		if (!n && rf_re_to_extended(t->pat, alt[n++], sizeof alt[0]))
			return -1;
		if (rf_re_to_extended(t2.pat, alt[n++], sizeof alt[0]))
			return -1;
		e = next;
	}
	if (n) {
		size_t len = 0;
		for (int i = 0; i < n; i++) {
			size_t a = strlen(alt[i]);
			if (len + a + 1 >= sizeof t->pat)
				return -1;
			if (i)
				t->pat[len++] = '|';
			memcpy(t->pat + len, alt[i], a + 1);
			len += a;
		}
		t->flavor = RF_RE_EXTENDED;
	}
	return e;
}


static int bat_fastboot(struct rf_interp *ip, int line, const struct rf_words *w)
{
	static const char *const seps[] = { "||", "&&", NULL };
	struct rf_test t;
	char op, msg[160];
	int fails, k = rf_ip_fastboot_args(ip, w), e = rf_ip_getvar_grep(ip, w, k, &t);
	if (e >= 0) {
		const char *why;
		if ((e = bat_alternatives(ip, w, e, &t, &why)) < 0)
			return why ? rf_ip_fail(ip, line, "%s", why) : rf_ip_unsupported(ip, line);
		t.line = line;
		ip->last = RF_LAST_GREP;
		ip->grep = t;
		if (e == w->n)
			return RF_OK;
		/* "... | findstr ... && if %errorlevel% equ 0 (" */
		if (w->n == e + 6 && !strcmp(w->w[e], "&&") &&
		    !strcasecmp(w->w[e + 1], "if") &&
		    !strcasecmp(w->w[e + 2], "%errorlevel%") &&
		    !strcasecmp(w->w[e + 3], "equ") && !strcmp(w->w[e + 4], "0") &&
		    !strcmp(w->w[e + 5], "("))
			return rf_ip_status(ip, line, RF_LAST_GREP, 0, ")", bat_branches);
		if (!bat_tail(ip, w, e, &op, &fails, msg, sizeof msg))
			return rf_ip_unsupported(ip, line);
		int must = op == '|';
		if (!fails) { /* the "|| echo" line of a pair */
			rf_strlcpy(ip->pend_msg, msg, sizeof ip->pend_msg);
			ip->pend = t;
			ip->pend_match = must;
			return RF_OK;
		}
		if (!msg[0] && ip->pend_msg[0] && ip->pend_match == must &&
		    !strcmp(ip->pend.var, t.var) && !strcmp(ip->pend.pat, t.pat))
			rf_strlcpy(msg, ip->pend_msg, sizeof msg);
		ip->pend_msg[0] = 0;
		ip->last = RF_LAST_NONE;
		return rf_ip_check(ip, &t, must, msg);
	}
	int end = rf_words_find(w, k, seps), checked = 0;
	if (end < w->n) {
		if (!bat_tail(ip, w, end, &op, &fails, msg, sizeof msg) || op != '|')
			return rf_ip_unsupported(ip, line);
		checked = fails;
	}
	return rf_ip_fastboot(ip, line, w, k, end, checked);
}

/* ----------------------------------------------------------------- if */

/* if [%P%] EQU [] (  set L=0  ) else (  for ... Get-Date ... set "L=%%a"  ) */
static int bat_phone_empty_block(struct rf_interp *ip, int line,
				 const char *p_getvar)
{
	char lhs[40];
	const struct rf_cmd *c;
	if (ip->i + 3 >= ip->lx.ncmd)
		return rf_ip_fail(ip, line, "`(` without `)`");
	c = &ip->lx.cmd[ip->i];
	if (strncasecmp(c->text, "set ", 4) || !strchr(c->text, '=') ||
	    strcmp(strchr(c->text, '='), "=0"))
		return rf_ip_unsupported(ip, c->line);
	snprintf(lhs, sizeof lhs, "%.*s", (int)(strchr(c->text, '=') - c->text - 4),
		 c->text + 4);
	if (!rf_is_name(lhs) || !is_else_line(ip->lx.cmd[ip->i + 1].text))
		return rf_ip_unsupported(ip, ip->lx.cmd[ip->i + 1].line);
	c = &ip->lx.cmd[ip->i + 2];
	if (strcmp(ip->lx.cmd[ip->i + 3].text, ")"))
		return rf_ip_unsupported(ip, ip->lx.cmd[ip->i + 3].line);
	ip->i += 4;
	/* the else branch must make L the date of P */
	int rc = bat_line(ip, c->line, c->text);
	const struct rf_var *v = rf_ip_var(ip, lhs);
	if (!rc && ip->live && (!v || v->kind != RF_V_PHONE || !v->dated ||
				strcmp(v->getvar, p_getvar)))
		return rf_ip_unsupported(ip, c->line);
	return rc;
}

static int bat_if(struct rf_interp *ip, int line, const char *text,
		  const struct rf_words *w)
{
	char name[40], rel[256];
	int n = w->n, last = ip->last;
	ip->last = RF_LAST_NONE;
	if (n == 5 && !strcasecmp(w->w[1], "%errorlevel%") && !strcmp(w->w[3], "0") &&
	    !strcmp(w->w[4], "(") &&
	    (!strcasecmp(w->w[2], "neq") || !strcasecmp(w->w[2], "equ")))
		return rf_ip_status(ip, line, last, !strcasecmp(w->w[2], "neq"), ")",
				    bat_branches);
	if (n >= 4 && !strcasecmp(w->w[1], "exist")) {
		/* if exist "FILE" (ONE COMMAND): decided by the package */
		const char *body = strchr(text, '(');
		size_t bl = body ? strlen(body) : 0;
		char inner[RF_LEX_MAX_LINE];
		if (!rf_ip_path(ip, w->w[2], rel, sizeof rel) || bl < 3 ||
		    body[bl - 1] != ')')
			return rf_ip_unsupported(ip, line);
		snprintf(inner, sizeof inner, "%.*s", (int)(bl - 2), body + 1);
		int outer = ip->live;
		ip->live = outer && rf_ip_exists(ip, rel);
		int rc = bat_line(ip, line, inner);
		ip->live = outer;
		return rc;
	}
	/* if [%V%] EQU [] set V=0 / ( ... ) else ( ... ) */
	if (n >= 5 && !strcasecmp(w->w[2], "EQU") && !strcmp(w->w[3], "[]") &&
	    w->w[1][0] == '[' && w->w[1][strlen(w->w[1]) - 1] == ']') {
		char ref[64];
		snprintf(ref, sizeof ref, "%.*s", (int)strlen(w->w[1]) - 2, w->w[1] + 1);
		if (!rf_ip_ref(ip, ref, NULL, name, sizeof name))
			return rf_ip_unsupported(ip, line);
		const struct rf_var *v = rf_ip_var(ip, name);
		char want[64];
		snprintf(want, sizeof want, "%s=0", name);
		if (v && v->kind == RF_V_PHONE) {
			if (n == 5 && !strcmp(w->w[4], "("))
				return bat_phone_empty_block(ip, line, v->getvar);
			/* an empty answer is 0 already */
			return n == 6 && !strcasecmp(w->w[4], "set") &&
			       !strcmp(w->w[5], want) ? RF_OK : rf_ip_unsupported(ip, line);
		}
		if ((v && v->kind != RF_V_CONST) || n != 6 ||
		    strcasecmp(w->w[4], "set") || strcmp(w->w[5], want))
			return rf_ip_unsupported(ip, line);
		char set[80];
		int outer = ip->live;
		snprintf(set, sizeof set, "set %s", want);
		ip->live = outer && (!v || !v->val[0]);
		int rc = bat_line(ip, line, set);
		ip->live = outer;
		return rc;
	}
	/* if %P% GTR %C% ( echo / exit ) or if %P% GTR %C% set V="..." */
	if (n >= 5 && !strcasecmp(w->w[2], "GTR")) {
		struct rf_step chk;
		char msg[160];
		int rc = rf_ip_compare(ip, line, w->w[1], w->w[3], &chk);
		if (rc)
			return rc;
		if (n == 5 && !strcmp(w->w[4], "(")) {
			rc = rf_ip_echo_exit(ip, line, ")", msg, sizeof msg);
			return rc || !chk.op ? rc : rf_ip_push_check(ip, line, &chk, msg);
		}
		const char *eq = n == 6 && !strcasecmp(w->w[4], "set") ? strchr(w->w[5], '=') : NULL;
		if (!eq)
			return rf_ip_unsupported(ip, line);
		if (!chk.op) /* nothing to compare with: never stops, as in sh */
			return RF_OK;
		snprintf(name, sizeof name, "%.*s", (int)(eq - w->w[5]), w->w[5]);
		struct rf_var *v = rf_ip_var(ip, name);
		if (!v || v->kind != RF_V_CONST)
			return rf_ip_unsupported(ip, line);
		if (!ip->live)
			return RF_OK;
		v->kind = RF_V_CHOICE;
		rf_strlcpy(v->alt, eq + 1, sizeof v->alt);
		v->chk = chk;
		return RF_OK;
	}
	return rf_ip_unsupported(ip, line);
}

/* echo %V% | findstr /r /c:"pass" || @echo "..." && exit /B 1 */
static int bat_echo_findstr(struct rf_interp *ip, int line, const struct rf_words *w)
{
	char name[40], op, msg[160];
	int fails;
	if (w->n < 8 || strcmp(w->w[2], "|") || strcasecmp(w->w[3], "findstr") ||
	    strcasecmp(w->w[4], "/r") || strncasecmp(w->w[5], "/c:", 3) ||
	    !rf_ip_ref(ip, w->w[1], NULL, name, sizeof name) ||
	    !bat_tail(ip, w, 6, &op, &fails, msg, sizeof msg) || op != '|' || !fails)
		return rf_ip_unsupported(ip, line);
	struct rf_var *v = rf_ip_var(ip, name);
	const char *pat = w->w[5] + 3;
	if (!ip->live)
		return RF_OK;
	/* never set to anything else (nothing to compare with): never stops */
	if (v && v->kind == RF_V_CONST && rf_grep_match(pat, RF_RE_BASIC, v->val) == 1)
		return RF_OK;
	if (!v || v->kind != RF_V_CHOICE)
		return rf_ip_unsupported(ip, line);
	int pass = rf_grep_match(pat, RF_RE_BASIC, v->val),
	    fail = rf_grep_match(pat, RF_RE_BASIC, v->alt);
	if (pass == 1 && fail == 0) {
		struct rf_step chk = v->chk;
		return rf_ip_push_check(ip, line, &chk, msg);
	}
	return pass == 1 && fail == 1 ? RF_OK : rf_ip_unsupported(ip, line);
}

/* ---------------------------------------------------------- for, set */

static void unescape_caret(const char *s, char *o, size_t cap)
{
	size_t n = 0;
	for (; *s && n + 1 < cap; s++) {
		if (*s == '^' && s[1])
			s++;
		o[n++] = *s;
	}
	o[n] = 0;
}

/* for /f "OPTS" %%X in (SRC) do BODY, BODY setting NAME to %%X: the parts.
 * -1 when it is not that. */
static int for_parts(const char *text, char *opts, char *src, size_t cap,
		     char *name)
{
	char var[8], body[160], want[32], *eq;
	int n = 0;
	if (sscanf(text, "for /f \"%63[^\"]\" %%%%%7s in (%n", opts, var, &n) != 2 || !n)
		return -1;
	/* the source: 'command', "file" or file, up to ") do " */
	const char *s = text + n, *q = NULL;
	int quoted = *s == '\'' || *s == '"';
	if (!*s)
		return -1;
	for (const char *p = s + 1; *p; p++) {
		if (p[1] != ')' || (quoted ? p[0] != *s : p[0] == ' '))
			continue;
		const char *d = p + 2;
		while (*d == ' ')
			d++;
		if (strncmp(d, "do ", 3))
			continue;
		q = p; /* the last one: the command may quote too */
		if (!quoted)
			break;
	}
	if (!q || (size_t)(q + 1 - s) >= cap)
		return -1;
	snprintf(src, cap, "%.*s", (int)(q + 1 - s), s);
	const char *b = strstr(q + 2, "do ") + 3;
	while (*b == ' ')
		b++;
	/* (set V=%%X), set "V=%%X", set V=%%X */
	snprintf(body, sizeof body, "%s", b);
	snprintf(want, sizeof want, "=%%%%%s", var);
	size_t bl = strlen(body);
	if (bl > 2 && body[0] == '(' && body[bl - 1] == ')')
		memmove(body, body + 1, bl - 2), body[bl - 2] = 0;
	bl = strlen(body);
	if (bl > 6 && !strncasecmp(body, "set \"", 5) && body[bl - 1] == '"')
		memmove(body + 4, body + 5, bl - 5), body[bl - 2] = 0;
	if (strncasecmp(body, "set ", 4) || !(eq = strchr(body, '=')) || strcmp(eq, want))
		return -1;
	snprintf(name, 40, "%.*s", (int)(eq - body - 4), body + 4);
	return rf_is_name(name) ? 0 : -1;
}

/* for /f over a package file: "FILE" with usebackq, FILE without. */
static int for_file(struct rf_interp *ip, int line, const char *opts,
		    const char *src, const char *name)
{
	char path[300], rel[256];
	size_t sl = strlen(src);
	int backq = !strcmp(opts, "usebackq") || !strcmp(opts, "usebackq delims==");
	if (backq && (sl < 3 || src[0] != '"' || src[sl - 1] != '"'))
		return rf_ip_unsupported(ip, line);
	if (!backq && (strcmp(opts, "delims==") || strpbrk(src, "'\" ")))
		return rf_ip_unsupported(ip, line);
	rf_strlcpy(path, src + backq, sizeof path);
	if (backq)
		path[strlen(path) - 1] = 0;
	if (!rf_ip_path(ip, path, rel, sizeof rel))
		return rf_ip_unsupported(ip, line);
	return rf_ip_set_file(ip, line, name, rel);
}

/* for /f over a command: the phone's getvar, or Get-Date of a value. */
static int for_command(struct rf_interp *ip, int line, const char *opts,
		       const char *cmd, const char *name)
{
	struct rf_words w;
	struct rf_test t;
	char unesc[RF_LEX_MAX_LINE], want[80], of[48];
	int m = 0;
	if (!strcmp(opts, "delims=")) { /* Get-Date X: seconds since 1970 */
		if (sscanf(cmd, "powershell -Command \"$dateString = '%47[^']'; $date = "
			   "Get-Date $dateString; ($date - (Get-Date '1970-01-01'))"
			   ".TotalSeconds\"%n", of, &m) != 1 || !m || cmd[m])
			return rf_ip_unsupported(ip, line);
		return rf_ip_date_of(ip, line, name, of);
	}
	/* fastboot %* getvar VAR 2^>^&1 ^| findstr /r /c:"VAR:" */
	unescape_caret(cmd, unesc, sizeof unesc);
	if (strcmp(opts, "tokens=2 delims=: ") || rf_words_split(unesc, &w, 1) ||
	    !w.n || strcasecmp(w.w[0], "fastboot"))
		return rf_ip_unsupported(ip, line);
	int k = rf_ip_fastboot_args(ip, &w);
	if (rf_ip_getvar_grep(ip, &w, k, &t) != w.n)
		return rf_ip_unsupported(ip, line);
	snprintf(want, sizeof want, "%s:", t.var);
	if (strcmp(t.pat, want))
		return rf_ip_unsupported(ip, line);
	return rf_ip_phone_var(ip, line, name, t.var, 0);
}

static int bat_for(struct rf_interp *ip, int line, const char *text)
{
	char opts[64], src[RF_LEX_MAX_LINE], name[40];
	if (for_parts(text, opts, src, sizeof src, name))
		return rf_ip_unsupported(ip, line);
	size_t sl = strlen(src);
	if (sl < 2 || src[0] != '\'' || src[sl - 1] != '\'')
		return for_file(ip, line, opts, src, name);
	src[sl - 1] = 0;
	return for_command(ip, line, opts, src + 1, name);
}

static int bat_set(struct rf_interp *ip, int line, const struct rf_words *w)
{
	struct rf_var *v;
	const char *eq = w->n == 2 ? strchr(w->w[1], '=') : NULL;
	char name[40];
	if (!eq || (size_t)(eq - w->w[1]) >= sizeof name || strpbrk(eq, "%!"))
		return rf_ip_unsupported(ip, line);
	snprintf(name, sizeof name, "%.*s", (int)(eq - w->w[1]), w->w[1]);
	if (!rf_is_name(name))
		return rf_ip_unsupported(ip, line);
	if (!(v = rf_ip_set(ip, name, line)))
		return RF_EFORMAT;
	v->kind = RF_V_CONST;
	rf_strlcpy(v->val, eq + 1, sizeof v->val);
	return RF_OK;
}

/* ping [-n N] [-w MS] 127.0.0.1 [>nul]: N echoes a second apart;
 * timeout /t N [/nobreak] [>nul]. */
static int bat_delay(struct rf_interp *ip, int line, const struct rf_words *w)
{
	unsigned n = 0, ms;
	int host = 0, ping = !strcasecmp(w->w[0], "ping");
	for (int i = 1; i < w->n; i++) {
		const char *a = w->w[i];
		if (!strcasecmp(a, ">nul") || (!strcmp(a, ">") && i + 1 < w->n &&
					      !strcasecmp(w->w[++i], "nul")))
			continue;
		if (ping && (!strcmp(a, "127.0.0.1") || !strcasecmp(a, "localhost")))
			host = 1;
		else if (i + 1 < w->n && ((ping && !strcmp(a, "-n")) ||
					  (!ping && !strcasecmp(a, "/t"))) &&
			 rf_is_uint(w->w[i + 1], &n))
			i++;
		else if (ping && !strcmp(a, "-w") && i + 1 < w->n &&
			 rf_is_uint(w->w[i + 1], &ms))
			i++;
		else if (ping || strcasecmp(a, "/nobreak"))
			return rf_ip_unsupported(ip, line);
	}
	if (ping && (!host || !n))
		return rf_ip_unsupported(ip, line);
	return rf_ip_sleep(ip, line, ping ? n - 1 : n);
}

/* ------------------------------------------------------------- commands */

static int bat_line(struct rf_interp *ip, int line, const char *text)
{
	struct rf_words w;
	if (!strncasecmp(text, "for ", 4))
		return bat_for(ip, line, text);
	if (text[0] == ':') { /* a label: the main flow ends before it */
		if (ip->depth)
			return rf_ip_unsupported(ip, line);
		ip->ended = 1;
		return RF_OK;
	}
	if (rf_words_split(text, &w, 1) || !w.n)
		return rf_ip_unsupported(ip, line);
	char *w0 = w.w[0];
	if (*w0 == '@')
		memmove(w0, w0 + 1, strlen(w0));
	if (!strcasecmp(w0, "fastboot"))
		return bat_fastboot(ip, line, &w);
	if (!strcasecmp(w0, "if"))
		return bat_if(ip, line, text, &w);
	ip->last = RF_LAST_NONE;
	if (!strcasecmp(w0, "echo"))
		return rf_words_find(&w, 1, (const char *const[]){ "|", NULL }) < w.n
			       ? bat_echo_findstr(ip, line, &w) : RF_OK;
	if (!strcasecmp(w0, "set"))
		return bat_set(ip, line, &w);
	if (!strcasecmp(w0, "ping") || !strcasecmp(w0, "timeout"))
		return bat_delay(ip, line, &w);
	if (!strcasecmp(w0, "pause") && w.n == 1) {
		if (ip->info && ip->live)
			ip->info->flags |= RF_SCRIPT_PAUSED;
		rf_ip_note(ip, "`pause` ignored (%s:%d)", ip->file, line);
		return RF_OK;
	}
	if (!strcasecmp(w0, "exit") && !ip->depth &&
	    ((w.n == 2 && !strcmp(w.w[1], "0")) ||
	     (w.n == 3 && !strcasecmp(w.w[1], "/b") && !strcmp(w.w[2], "0")))) {
		ip->ended = ip->live;
		return RF_OK;
	}
	return rf_ip_unsupported(ip, line);
}

/* Labels whose block only echoes, pauses and exits with a failure: what
 * "|| ... && goto LABEL" jumps to. */
static void find_error_labels(struct rf_interp *ip)
{
	for (int i = 0; i < ip->lx.ncmd && ip->nlabel < 8; i++) {
		const char *t = ip->lx.cmd[i].text;
		int exited = 0, ok = 1, j;
		if (t[0] != ':' || !rf_is_name(t + 1))
			continue;
		for (j = i + 1; j < ip->lx.ncmd && ip->lx.cmd[j].text[0] != ':'; j++) {
			struct rf_words w;
			if (rf_words_split(ip->lx.cmd[j].text, &w, 1) || !w.n) {
				ok = 0;
				break;
			}
			const char *c0 = w.w[0][0] == '@' ? w.w[0] + 1 : w.w[0];
			if (rf_ip_exit_fail(&w, 0, w.n))
				exited = 1;
			else if (exited || (strcasecmp(c0, "echo") && strcasecmp(c0, "pause")))
				ok = 0;
		}
		if (ok && exited)
			rf_strlcpy(ip->label[ip->nlabel++], t + 1, sizeof ip->label[0]);
	}
}

int rf_bat_run(struct rf_interp *ip)
{
	find_error_labels(ip);
	while (ip->i < ip->lx.ncmd && !ip->ended) {
		const struct rf_cmd *c = &ip->lx.cmd[ip->i];
		if (!strcmp(c->text, ")") || is_else_line(c->text))
			return rf_ip_unsupported(ip, c->line);
		ip->i++;
		int rc = bat_line(ip, c->line, c->text);
		if (rc)
			return rc;
	}
	return RF_OK;
}
