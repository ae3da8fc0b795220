/* What the two dialects share (see interp.h). */
#include "interp.h"
#include "regex.h"
#include "rf_str.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rf_ip_unsupported(struct rf_interp *ip, int line)
{
	const char *l = line >= 1 && line <= ip->lx.nlines ? ip->lx.lines[line - 1] : "";
	while (*l == ' ' || *l == '\t')
		l++;
	return rf_errf(ip->err, RF_EFORMAT, "%s:%d: unsupported: %.160s",
		       ip->file, line, l);
}

int rf_ip_fail(struct rf_interp *ip, int line, const char *fmt, ...)
{
	char what[RF_ERRLEN];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	return rf_errf(ip->err, RF_EFORMAT, "%s:%d: %.400s", ip->file, line, what);
}

int rf_ip_nomem(struct rf_interp *ip)
{
	return rf_errf(ip->err, RF_ENOMEM, "out of memory");
}

void rf_ip_note(struct rf_interp *ip, const char *fmt, ...)
{
	char note[256];
	va_list ap;
	if (!ip->info || !ip->live)
		return;
	va_start(ap, fmt);
	vsnprintf(note, sizeof note, fmt, ap);
	va_end(ap);
	char *n = ip->info->notes;
	size_t len = strlen(n);
	if (strstr(n, note))
		return;
	snprintf(n + len, sizeof ip->info->notes - len, "%s%s", len ? "; " : "", note);
}

/* ---------------------------------------------------------- variables */

struct rf_var *rf_ip_var(struct rf_interp *ip, const char *name)
{
	for (int i = 0; i < ip->nvar; i++)
		if (!strcmp(ip->var[i].name, name))
			return &ip->var[i];
	return NULL;
}

struct rf_var *rf_ip_set(struct rf_interp *ip, const char *name, int line)
{
	struct rf_var *v = ip->live ? rf_ip_var(ip, name) : &ip->scratch;
	if (!v) {
		if (ip->nvar == RF_MAX_VARS) {
			rf_ip_fail(ip, line, "too many variables");
			return NULL;
		}
		v = &ip->var[ip->nvar++];
	}
	memset(v, 0, sizeof *v);
	rf_strlcpy(v->name, name, sizeof v->name);
	snprintf(v->src, sizeof v->src, "%.80s:%d", ip->file, line);
	return v;
}

int rf_ip_ref(const struct rf_interp *ip, const char *word, const char *suffix,
	      char *name, size_t cap)
{
	size_t n = strlen(word), sl = suffix ? strlen(suffix) : 0;
	const char *b, *e;
	if (n <= sl || (sl && strcmp(word + n - sl, suffix)))
		return 0;
	e = word + n - sl; /* end of the reference */
	if (ip->bat) {
		if (word[0] != '%' || e - word < 3 || e[-1] != '%')
			return 0;
		b = word + 1;
		e--;
	} else if (word[0] == '$' && word[1] == '{') {
		if (e[-1] != '}')
			return 0;
		b = word + 2;
		e--;
	} else if (word[0] == '$') {
		b = word + 1;
	} else {
		return 0;
	}
	if (e <= b || (size_t)(e - b) >= cap)
		return 0;
	memcpy(name, b, (size_t)(e - b));
	name[e - b] = 0;
	return rf_is_name(name);
}

const struct rf_var *rf_ip_value(struct rf_interp *ip, const char *word,
				 struct rf_var *scratch)
{
	char name[40];
	memset(scratch, 0, sizeof *scratch);
	scratch->kind = RF_V_CONST;
	if (rf_ip_ref(ip, word, NULL, name, sizeof name)) {
		const struct rf_var *v = rf_ip_var(ip, name);
		if (v)
			return v;
		rf_strlcpy(scratch->name, name, sizeof scratch->name);
		snprintf(scratch->src, sizeof scratch->src, "%s never set", name);
		return scratch; /* unset: empty */
	}
	if (strpbrk(word, "$%`\"'"))
		return NULL;
	rf_strlcpy(scratch->val, word, sizeof scratch->val);
	snprintf(scratch->src, sizeof scratch->src, "the script");
	return scratch;
}

/* ---------------------------------------------------------- the package */

int rf_ip_path(struct rf_interp *ip, const char *w, char *out, size_t cap)
{
	static const char *const sh_pre[] = { "`dirname $0`/", "$(dirname $0)/",
					      "`dirname \"$0\"`/", "$(dirname \"$0\")/",
					      NULL };
	const char *rest = NULL;
	char name[40];
	if (!ip->bat) {
		for (const char *const *p = sh_pre; *p && !rest; p++)
			if (!strncmp(w, *p, strlen(*p)))
				rest = w + strlen(*p);
		const char *sl = strchr(w, '/');
		if (!rest && sl) {
			char head[64];
			snprintf(head, sizeof head, "%.*s", (int)(sl - w), w);
			const struct rf_var *v = rf_ip_ref(ip, head, NULL, name, sizeof name)
						 ? rf_ip_var(ip, name) : NULL;
			if (v && v->kind == RF_V_DIRNAME)
				rest = sl + 1;
		}
	} else if (!strncasecmp(w, "%~dp0", 5)) {
		rest = w + 5;
		if (*rest == '\\' || *rest == '/') /* %~dp0 ends with one */
			rest++;
	}
	if (!rest || !*rest || strlen(rest) >= cap)
		return 0;
	size_t n = 0;
	for (const char *p = rest; *p; p++) {
		char c = *p == '\\' && ip->bat ? '/' : *p;
		if (!isalnum((unsigned char)c) && !strchr("._-+/", c))
			return 0;
		out[n++] = c;
	}
	out[n] = 0;
	if (out[0] == '/' || strstr(out, "//") || out[n - 1] == '/')
		return 0;
	for (const char *p = out; *p;) { /* no "." or ".." component */
		const char *e = strchr(p, '/');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if ((l == 2 && !strncmp(p, "..", 2)) || (l == 1 && *p == '.'))
			return 0;
		if (!e)
			break;
		p = e + 1;
	}
	return 1;
}

int rf_ip_exists(struct rf_interp *ip, const char *rel)
{
	const char *text;
	size_t len;
	return ip->env && ip->env->file &&
	       ip->env->file(ip->env->user, rel, &text, &len) == 1;
}

int rf_ip_file_text(struct rf_interp *ip, int line, const char *rel,
		    char *val, size_t cap)
{
	const char *text = NULL;
	size_t len = 0, i = 0, n;
	if (!ip->env || !ip->env->file ||
	    ip->env->file(ip->env->user, rel, &text, &len) != 1)
		return 0;
	if (!text)
		return rf_ip_fail(ip, line, "%s is not a small text file the script "
				  "can read", rel);
	while (i < len && strchr(" \t\r\n", text[i]))
		i++;
	n = i;
	while (n < len && text[n] != '\n' && text[n] != '\r')
		n++;
	for (size_t j = n; j < len; j++)
		if (!strchr(" \t\r\n", text[j]))
			return rf_ip_fail(ip, line, "%s has more than one line: the "
					  "script's value would be ambiguous", rel);
	while (n > i && (text[n - 1] == ' ' || text[n - 1] == '\t'))
		n--;
	if (n - i >= cap)
		return rf_ip_fail(ip, line, "%s: value too long", rel);
	memcpy(val, text + i, n - i);
	val[n - i] = 0;
	return 1;
}

int rf_ip_set_file(struct rf_interp *ip, int line, const char *name,
		   const char *rel)
{
	char val[128] = "";
	struct rf_var *v;
	int rc = ip->live ? rf_ip_file_text(ip, line, rel, val, sizeof val) : 0;
	if (rc < 0)
		return rc;
	if (!(v = rf_ip_set(ip, name, line)))
		return RF_EFORMAT;
	v->kind = RF_V_CONST;
	rf_strlcpy(v->val, rc == 1 ? val : "", sizeof v->val);
	rf_strlcpy(v->src, rel, sizeof v->src);
	return RF_OK;
}

/* ------------------------------------------------------------- fastboot */

int rf_ip_fastboot_args(const struct rf_interp *ip, const struct rf_words *w)
{
	return w->n >= 2 && !strcmp(w->w[1], ip->bat ? "%*" : "$*") ? 2 : 1;
}

int rf_ip_getvar_grep(const struct rf_interp *ip, const struct rf_words *w,
		      int k, struct rf_test *t)
{
	const char *pw;
	int next;
	memset(t, 0, sizeof *t);
	if (k + 5 > w->n || strcmp(w->w[k], "getvar") ||
	    strcmp(w->w[k + 2], "2>&1") || strcmp(w->w[k + 3], "|"))
		return -1;
	if (!ip->bat) {
		if (strcmp(w->w[k + 4], "grep") || k + 6 > w->n)
			return -1;
		next = k + 5;
		if (!strcmp(w->w[next], "-E")) {
			t->flavor = RF_RE_EXTENDED;
			next++;
		}
		if (next >= w->n)
			return -1;
		pw = w->w[next++];
	} else {
		if (strcasecmp(w->w[k + 4], "findstr") || k + 7 > w->n ||
		    strcasecmp(w->w[k + 5], "/r") || strncasecmp(w->w[k + 6], "/c:", 3))
			return -1;
		pw = w->w[k + 6] + 3;
		next = k + 7;
	}
	if (!rf_is_token(w->w[k + 1], "_-.:+", 64) || strlen(pw) >= sizeof t->pat ||
	    !rf_re_valid(pw, t->flavor))
		return -1;
	rf_strlcpy(t->var, w->w[k + 1], sizeof t->var);
	rf_strlcpy(t->pat, pw, sizeof t->pat);
	return next;
}

/* A step the script asks for, as it takes effect here. */
static int push_step(struct rf_interp *ip, int line, struct rf_step *s, int checked)
{
	snprintf(s->src, sizeof s->src, "%.80s:%d", ip->file, line);
	s->unchecked = !checked && !ip->errexit;
	if (!ip->live)
		return RF_OK;
	if (ip->rebooted)
		return rf_ip_fail(ip, line, "a fastboot command after the phone left "
				  "fastboot mode (reboot or boot): fastboot would wait "
				  "for it forever");
	if (ip->in_cond) {
		if (s->op != RF_OP_FLASH && s->op != RF_OP_ERASE)
			return rf_ip_fail(ip, line, "only flash and erase may depend "
					  "on the phone's getvar %s", ip->cond.var);
		if (s->op == RF_OP_FLASH)
			s->op = RF_OP_CRC_FLASH;
		s->cond = 1;
		rf_strlcpy(s->var, ip->cond.var, sizeof s->var);
		rf_strlcpy(s->pattern, ip->cond.pat, sizeof s->pattern);
		s->flavor = ip->cond.flavor;
		s->must_match = ip->cond_match;
	}
	if (rf_steplist_push(ip->out, s))
		return rf_ip_nomem(ip);
	ip->last_step = (long)ip->out->n - 1;
	if (s->op == RF_OP_REBOOT || s->op == RF_OP_BOOT)
		ip->rebooted = line;
	return RF_OK;
}

static int known_oem(const char *a)
{
	/* lock: MiFlash's "clean all and lock"; cdms: MediaTek packages */
	return !strcmp(a, "lock") || !strcmp(a, "cdms");
}

int rf_ip_fastboot(struct rf_interp *ip, int line, const struct rf_words *w,
		   int k, int end, int checked)
{
	struct rf_step s;
	int argc = end - k;
	const char *op = k < end ? w->w[k] : "", *a1 = argc > 1 ? w->w[k + 1] : "";
	memset(&s, 0, sizeof s);
	ip->last = RF_LAST_FB;
	ip->last_step = -1;
	if (!strcmp(op, "flash") && argc == 3) {
		if (!rf_is_partition(a1) ||
		    !rf_ip_path(ip, w->w[k + 2], s.image, sizeof s.image))
			return rf_ip_unsupported(ip, line);
		s.op = RF_OP_FLASH;
		rf_strlcpy(s.partition, a1, sizeof s.partition);
	} else if ((!strcmp(op, "erase") || !strncmp(op, "format", 6)) && argc == 2) {
		const char *fs = op + 6;
		if (!rf_is_partition(a1))
			return rf_ip_unsupported(ip, line);
		s.op = *op == 'e' ? RF_OP_ERASE : RF_OP_FORMAT;
		if (s.op == RF_OP_FORMAT && *fs &&
		    strcmp(fs, ":ext4") && strcmp(fs, ":f2fs"))
			return rf_ip_unsupported(ip, line);
		if (s.op == RF_OP_FORMAT && *fs)
			rf_strlcpy(s.arg, fs + 1, sizeof s.arg);
		rf_strlcpy(s.partition, a1, sizeof s.partition);
	} else if (!strcmp(op, "boot") && argc == 2) {
		if (!rf_ip_path(ip, a1, s.image, sizeof s.image))
			return rf_ip_unsupported(ip, line);
		s.op = RF_OP_BOOT;
	} else if (!strcmp(op, "reboot") && argc == 1) {
		s.op = RF_OP_REBOOT;
	} else if (!strcmp(op, "reboot-bootloader") && argc == 1) {
		s.op = RF_OP_REBOOT_BOOTLOADER;
	} else if (!strcmp(op, "oem") && argc == 2 && known_oem(a1)) {
		s.op = RF_OP_OEM;
		rf_strlcpy(s.arg, a1, sizeof s.arg);
	} else if (!strcmp(op, "set_active") && argc == 2 &&
		   (!strcmp(a1, "a") || !strcmp(a1, "b"))) {
		s.op = RF_OP_SET_ACTIVE;
		rf_strlcpy(s.arg, a1, sizeof s.arg);
	} else {
		return rf_ip_unsupported(ip, line);
	}
	return push_step(ip, line, &s, checked);
}

void rf_ip_checked(struct rf_interp *ip)
{
	if (ip->live && ip->last_step >= 0 && (size_t)ip->last_step < ip->out->n)
		ip->out->v[ip->last_step].unchecked = 0;
}

/* --------------------------------------------------------------- checks */

int rf_ip_push_check(struct rf_interp *ip, int line, struct rf_step *chk,
		     const char *msg)
{
	if (!ip->live)
		return RF_OK;
	if (ip->in_cond)
		return rf_ip_fail(ip, line, "a check that depends on getvar %s",
				  ip->cond.var);
	rf_strlcpy(chk->message, msg, sizeof chk->message);
	snprintf(chk->src, sizeof chk->src, "%.80s:%d", ip->file, line);
	if (chk->op == RF_OP_GETVAR_CHECK && !strcmp(chk->var, "product") &&
	    ip->info)
		ip->info->flags |= RF_SCRIPT_CHECKS_PRODUCT;
	if (rf_steplist_push(ip->out, chk))
		return rf_ip_nomem(ip);
	return RF_OK;
}

int rf_ip_check(struct rf_interp *ip, const struct rf_test *t, int must_match,
		const char *msg)
{
	struct rf_step s;
	memset(&s, 0, sizeof s);
	s.op = RF_OP_GETVAR_CHECK;
	rf_strlcpy(s.var, t->var, sizeof s.var);
	rf_strlcpy(s.pattern, t->pat, sizeof s.pattern);
	s.flavor = t->flavor;
	s.must_match = must_match;
	return rf_ip_push_check(ip, t->line, &s, msg);
}

/* "2025-11-01" (date -d accepts one-digit month and day too) */
static int normal_date(const char *v, char *out, size_t cap)
{
	int y, m, d, n = 0;
	if (sscanf(v, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || v[n] ||
	    y < 1970 || m < 1 || m > 12 || d < 1 || d > 31)
		return 0;
	snprintf(out, cap, "%04d-%02d-%02d", y, m, d);
	return 1;
}

int rf_ip_compare(struct rf_interp *ip, int line, const char *a, const char *b,
		  struct rf_step *chk)
{
	struct rf_var sa, sb;
	const struct rf_var *va = rf_ip_value(ip, a, &sa), *vb = rf_ip_value(ip, b, &sb);
	unsigned n;
	memset(chk, 0, sizeof *chk);
	if (!va || !vb || va->kind != RF_V_PHONE || vb->kind != RF_V_CONST)
		return rf_ip_unsupported(ip, line);
	if (!vb->val[0])
		return RF_OK; /* `[ $ver -gt ]` is an error: never stops */
	rf_strlcpy(chk->var, va->getvar, sizeof chk->var);
	rf_strlcpy(chk->value_src, vb->src, sizeof chk->value_src);
	if (va->dated) {
		if (!vb->is_date)
			return rf_ip_fail(ip, line, "%s is compared as a date with %s "
					  "(\"%s\"), which is not one", va->name,
					  vb->name, vb->val);
		chk->op = RF_OP_PATCH_CHECK;
		rf_strlcpy(chk->arg, vb->val, sizeof chk->arg);
		return RF_OK;
	}
	if (!rf_is_uint(vb->val, &n))
		return rf_ip_fail(ip, line, "%s is compared with %s = \"%s\" (%s), "
				  "which is not a number", va->name, vb->name,
				  vb->val, vb->src);
	chk->op = RF_OP_ANTI_CHECK;
	chk->anti_max = n;
	return RF_OK;
}

int rf_ip_phone_var(struct rf_interp *ip, int line, const char *name,
		    const char *getvar, int dated)
{
	struct rf_var *v = rf_ip_set(ip, name, line);
	if (!v)
		return RF_EFORMAT;
	v->kind = RF_V_PHONE;
	v->dated = dated;
	rf_strlcpy(v->getvar, getvar, sizeof v->getvar);
	return RF_OK;
}

int rf_ip_date_of(struct rf_interp *ip, int line, const char *name,
		  const char *of)
{
	struct rf_var so, *v;
	const struct rf_var *o = rf_ip_value(ip, of, &so);
	char getvar[64], src[96], date[48];
	if (!o)
		return rf_ip_unsupported(ip, line);
	if (o->kind == RF_V_PHONE) {
		rf_strlcpy(getvar, o->getvar, sizeof getvar);
		return rf_ip_phone_var(ip, line, name, getvar, 1);
	}
	if (o->kind != RF_V_CONST)
		return rf_ip_unsupported(ip, line);
	int ok = normal_date(o->val, date, sizeof date);
	rf_strlcpy(src, o->src, sizeof src);
	if (!(v = rf_ip_set(ip, name, line)))
		return RF_EFORMAT;
	v->kind = RF_V_CONST;
	v->is_date = ok; /* not a date: date -d fails, the value is empty */
	if (ok)
		rf_strlcpy(v->val, date, sizeof v->val);
	rf_strlcpy(v->src, src, sizeof v->src);
	return RF_OK;
}

int rf_ip_status(struct rf_interp *ip, int line, int last, int ne,
		 const char *closer, rf_branches_fn branches)
{
	char msg[160];
	int rc;
	if (last == RF_LAST_FB) { /* stop when that command failed */
		if (!ne)
			return rf_ip_unsupported(ip, line);
		rc = rf_ip_echo_exit(ip, line, closer, msg, sizeof msg);
		if (!rc)
			rf_ip_checked(ip);
		return rc;
	}
	if (last != RF_LAST_GREP)
		return rf_ip_unsupported(ip, line);
	if (ip->errexit && ne && rf_ip_is_echo_exit(ip, closer)) {
		/* set -e ended the script where the grep found nothing, so this
		 * `if [ $? -ne 0 ]` never runs; its check is the grep's own,
		 * and its echo that check's message (latte's flash_all.sh) */
		struct rf_step *c = ip->live && ip->out->n > ip->first_step
				    ? &ip->out->v[ip->out->n - 1] : NULL;
		rc = rf_ip_echo_exit(ip, line, closer, msg, sizeof msg);
		if (!rc && c && c->op == RF_OP_GETVAR_CHECK && !c->message[0] &&
		    !strcmp(c->var, ip->grep.var) && !strcmp(c->pattern, ip->grep.pat))
			rf_strlcpy(c->message, msg, sizeof c->message);
		return rc;
	}
	if (ip->errexit) /* a grep that found nothing ended the script */
		return branches(ip, line, !ne, ne, 0);
	if (rf_ip_is_echo_exit(ip, closer)) {
		rc = rf_ip_echo_exit(ip, line, closer, msg, sizeof msg);
		return rc ? rc : rf_ip_check(ip, &ip->grep, ne, msg);
	}
	/* steps that depend on the phone's answer (crc lists, partition types):
	 * written `if [ $? -eq 0 ]` in real scripts, nothing else is taken */
	if (ne)
		return rf_ip_unsupported(ip, line);
	if (ip->in_cond)
		return rf_ip_fail(ip, line, "a block that depends on getvar %s inside "
				  "one that depends on getvar %s", ip->grep.var,
				  ip->cond.var);
	ip->in_cond = 1;
	ip->cond = ip->grep;
	ip->cond_match = 1;
	rc = branches(ip, line, 1, 1, 1);
	ip->in_cond = 0;
	return rc;
}

/* --------------------------------------------------------------- delays */

int rf_ip_sleep(struct rf_interp *ip, int line, unsigned secs)
{
	if (secs > 600)
		return rf_ip_unsupported(ip, line);
	if (!ip->live)
		return RF_OK;
	if (ip->out->n == ip->first_step) {
		rf_ip_note(ip, "%s:%d: a delay before the first fastboot command "
			   "(not needed)", ip->file, line);
		return RF_OK;
	}
	ip->out->v[ip->out->n - 1].sleep_s += secs;
	return RF_OK;
}

/* ------------------------------------------------------- echo; exit N */

int rf_ip_exit_fail(const struct rf_words *w, int k, int end)
{
	unsigned v;
	if (k >= end || strcasecmp(w->w[k], "exit"))
		return 0;
	int a = k + 1;
	if (a < end && !strcasecmp(w->w[a], "/b"))
		a++;
	return a + 1 == end && rf_is_uint(w->w[a], &v) && v != 0;
}

/* One command of an echo/exit body: 0 echo (msg set), 1 exit N, 2 pause,
 * 3 the closer, -1 anything else. */
static int body_cmd(const struct rf_interp *ip, const char *text,
		    const char *closer, char *msg, size_t cap)
{
	struct rf_words w;
	if (rf_words_split(text, &w, ip->bat) || !w.n)
		return -1;
	const char *c0 = w.w[0][0] == '@' ? w.w[0] + 1 : w.w[0];
	if (w.n == 1 && !strcmp(c0, closer))
		return 3;
	if (!strcasecmp(c0, "echo")) {
		if (msg && !msg[0])
			rf_words_join(&w, 1, w.n, msg, cap);
		return 0;
	}
	if (rf_ip_exit_fail(&w, 0, w.n))
		return 1;
	if (ip->bat && w.n == 1 && !strcasecmp(c0, "pause"))
		return 2;
	return -1;
}

int rf_ip_is_echo_exit(const struct rf_interp *ip, const char *closer)
{
	int exited = 0;
	for (int i = ip->i; i < ip->lx.ncmd; i++) {
		int k = body_cmd(ip, ip->lx.cmd[i].text, closer, NULL, 0);
		if (k == 3)
			return exited;
		if (k < 0 || (exited && k != 2))
			return 0;
		exited |= k == 1;
	}
	return 0;
}

int rf_ip_echo_exit(struct rf_interp *ip, int if_line, const char *closer,
		    char *msg, size_t cap)
{
	int exited = 0;
	msg[0] = 0;
	for (; ip->i < ip->lx.ncmd; ip->i++) {
		const struct rf_cmd *c = &ip->lx.cmd[ip->i];
		int k = body_cmd(ip, c->text, closer, msg, cap);
		if (k == 3) {
			ip->i++;
			return exited ? RF_OK : rf_ip_unsupported(ip, if_line);
		}
		if (k == 2)
			rf_ip_note(ip, "`pause` ignored");
		if (k < 0 || (exited && k != 2))
			return rf_ip_unsupported(ip, c->line);
		exited |= k == 1;
	}
	return rf_ip_fail(ip, if_line, "`%s` missing", closer);
}
