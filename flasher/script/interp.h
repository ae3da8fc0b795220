/* The interpreter state and the meaning both dialects share (internal to
 * flasher/script): variables, image paths, fastboot operations, checks
 * built from getvar tests and comparisons, delays, the "echo; exit" bodies.
 * sh_dialect.c and bat_dialect.c only read their own syntax and call in
 * here, so a .sh and its .bat twin mean the same by construction.
 *
 * Values are symbolic.  What comes from the package (a literal, a file's
 * content, a date made of it) is known while interpreting; what comes from
 * the phone (a getvar answer) is known only to the preflight, so tests on
 * it become check steps or conditions. */
#ifndef RF_INTERP_H
#define RF_INTERP_H

#include "lexer.h"
#include "script.h"
#include "steps.h"

#define RF_MAX_VARS 32
#define RF_MAX_DEPTH 6

enum rf_vkind {
	RF_V_CONST = 1, /* known now: val ("" empty) */
	RF_V_DIRNAME,   /* $(dirname $0): the package's top folder */
	RF_V_PHONE,     /* the phone's answer to getvar `getvar` */
	RF_V_CHOICE,    /* bat: val, or alt when `chk` fails on the phone */
};

struct rf_var {
	char name[40];
	enum rf_vkind kind;
	char val[128];
	char src[96];     /* where the value came from */
	int is_date;      /* CONST made by date -d / Get-Date: val YYYY-MM-DD */
	char getvar[64];  /* PHONE */
	int dated;        /* PHONE: compared as a date */
	char alt[128];    /* CHOICE */
	struct rf_step chk;
};

/* A getvar | grep the script ran last, or a block's condition. */
struct rf_test {
	char var[64];
	char pat[128];
	enum rf_re_flavor flavor;
	int line;
};

struct rf_interp {
	const char *file;
	int bat;
	struct rf_lexed lx;
	int i;                  /* next command */
	struct rf_steplist *out;
	size_t first_step;      /* out->n when this script began */
	const struct rf_script_env *env;
	struct rf_script_info *info;
	char *err;
	/* what $? / %errorlevel% is about */
	enum { RF_LAST_NONE, RF_LAST_GREP, RF_LAST_FB } last;
	struct rf_test grep;
	long last_step;         /* step of the last fastboot command, -1 */
	/* the branch being read takes effect (a branch decided by the
	 * package at plan time is read either way, for the syntax) */
	int live;
	int depth;
	int errexit;            /* set -e: every failure stops the script */
	int ended;              /* exit 0 */
	int rebooted;           /* a reboot has left fastboot mode */
	int in_cond;            /* steps depend on cond */
	struct rf_test cond;
	int cond_match;
	struct rf_var var[RF_MAX_VARS];
	int nvar;
	struct rf_var scratch;  /* what a branch without effect assigns */
	char handler[8][40];    /* sh functions that echo and exit */
	int nhandler;
	char label[8][40];      /* bat labels whose block echoes and exits */
	int nlabel;
	/* bat: the message of a "getvar | findstr || echo MSG" line, for the
	 * "|| exit /B 1" line after it */
	char pend_msg[160];
	struct rf_test pend;
	int pend_match;
};

int rf_ip_unsupported(struct rf_interp *ip, int line);
int rf_ip_fail(struct rf_interp *ip, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void rf_ip_note(struct rf_interp *ip, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int rf_ip_nomem(struct rf_interp *ip);

/* Variables.  rf_ip_var: NULL when not set.  rf_ip_set: the variable to
 * (re)define -- a scratch one in a branch that does not take effect. */
struct rf_var *rf_ip_var(struct rf_interp *ip, const char *name);
struct rf_var *rf_ip_set(struct rf_interp *ip, const char *name, int line);
/* "$N", "${N}" (sh) or "%N%" (bat), maybe followed by `suffix` ("x" of
 * the "${v}"x idiom).  1 with the name, else 0. */
int rf_ip_ref(const struct rf_interp *ip, const char *word, const char *suffix,
	      char *name, size_t cap);
/* A word that names a variable known now, or a literal: its value. */
const struct rf_var *rf_ip_value(struct rf_interp *ip, const char *word,
				 struct rf_var *scratch);

/* An image argument -> its path inside the package ("images/x.img"):
 * `dirname $0`/..., $(dirname $0)/..., ${SCRIPT_PATH}/... (sh), %~dp0...
 * (bat).  1 when it is one, 0 else. */
int rf_ip_path(struct rf_interp *ip, const char *word, char *out, size_t cap);
/* A package file's text, first line trimmed: 1 present, 0 absent,
 * RF_EFORMAT (message set) when it is not small text. */
int rf_ip_file_text(struct rf_interp *ip, int line, const char *rel,
		    char *val, size_t cap);
/* NAME := the text of package file `rel` (cat, for /f): "" when absent
 * (as the shell would have it); where it came from is `rel`. */
int rf_ip_set_file(struct rf_interp *ip, int line, const char *name,
		   const char *rel);
/* Is this file in the package (an `if [ -e ... ]`, `if exist ...`)? */
int rf_ip_exists(struct rf_interp *ip, const char *rel);

/* Words [k..) "getvar VAR 2>&1 | grep [-E] PAT" (sh) or "... | findstr
 * /r /c:PAT" (bat): the test, and the index after it; -1 if not. */
int rf_ip_getvar_grep(const struct rf_interp *ip, const struct rf_words *w,
		      int k, struct rf_test *t);
/* `fastboot [$*|%*] ...`: index of the operation's first word. */
int rf_ip_fastboot_args(const struct rf_interp *ip, const struct rf_words *w);
/* The fastboot operation in words [k, end): a step. */
int rf_ip_fastboot(struct rf_interp *ip, int line, const struct rf_words *w,
		   int k, int end, int checked);
/* The previous fastboot command's failure stops the script after all. */
void rf_ip_checked(struct rf_interp *ip);

/* A check from a getvar test: must_match 1 (fail unless it matches) or 0. */
int rf_ip_check(struct rf_interp *ip, const struct rf_test *t, int must_match,
		const char *msg);
/* The check "phone's A > package's B stops the script" (sh -gt, bat GTR):
 * into *chk.  0 and chk->op set; 0 and chk->op == 0 when it can never
 * stop (B empty: the test is an error, the script goes on); RF_EFORMAT. */
int rf_ip_compare(struct rf_interp *ip, int line, const char *a, const char *b,
		  struct rf_step *chk);
int rf_ip_push_check(struct rf_interp *ip, int line, struct rf_step *chk,
		     const char *msg);
/* A phone variable: its getvar, how the value is read from it. */
int rf_ip_phone_var(struct rf_interp *ip, int line, const char *name,
		    const char *getvar, int dated);
/* date -d "$X" / Get-Date of a value known now. */
int rf_ip_date_of(struct rf_interp *ip, int line, const char *name,
		  const char *of);

int rf_ip_sleep(struct rf_interp *ip, int line, unsigned secs);

/* Is words[k..end) "exit N" / "exit /B N" with N != 0? */
int rf_ip_exit_fail(const struct rf_words *w, int k, int end);
/* The body of an `if` made of echo and exit N (N != 0) up to `closer`
 * ("fi", ")"): consumed; its message.  Pause is ignored. */
int rf_ip_echo_exit(struct rf_interp *ip, int if_line, const char *closer,
		    char *msg, size_t cap);
/* Would rf_ip_echo_exit accept what follows? */
int rf_ip_is_echo_exit(const struct rf_interp *ip, const char *closer);

/* The branches of an if, read in the dialect's syntax: `then_live`,
 * `else_live` say which takes effect; `flip`: the if made the steps depend
 * on the phone's answer and the else branch runs on the other one. */
typedef int (*rf_branches_fn)(struct rf_interp *ip, int line, int then_live,
			      int else_live, int flip);
/* `if [ $? -ne|-eq 0 ]` (sh) / `if %errorlevel% neq|equ 0 (` (bat) after
 * the command `last`: a fastboot command's failure checked, a check on the
 * getvar test, or steps depending on it.  The body ends at `closer`. */
int rf_ip_status(struct rf_interp *ip, int line, int last, int ne,
		 const char *closer, rf_branches_fn branches);

/* The dialects: interpret ip->lx from ip->i to the end. */
int rf_sh_run(struct rf_interp *ip);
int rf_bat_run(struct rf_interp *ip);

#endif
