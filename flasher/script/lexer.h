/* The lexer both script dialects share: a script is cut into physical
 * lines (kept for messages), the lines into commands, the commands into
 * words.  Internal to flasher/script.
 *
 * sh: a command ends at a newline or a ';' outside quotes, `...` and
 * $(...); '#' starts a comment; "then", "else", "do" and "{" in front of a
 * command are commands of their own.  bat: one command per line; blank
 * lines, "::" and "rem" comments are dropped. */
#ifndef RF_LEXER_H
#define RF_LEXER_H

#include <stddef.h>

#define RF_LEX_MAX_SCRIPT (1u << 20)
#define RF_LEX_MAX_LINE 4096
#define RF_LEX_MAX_WORDS 48
#define RF_LEX_MAX_WORD 512

struct rf_cmd {
	int line;   /* 1-based physical line */
	char *text; /* trimmed */
};

struct rf_lexed {
	char **lines; /* physical lines, for messages */
	int nlines;
	struct rf_cmd *cmd;
	int ncmd;
};

/* RF_EFORMAT (message in err, RF_ERRLEN) or RF_ENOMEM. */
int rf_lex(const char *file, const char *text, size_t len, int bat,
	   struct rf_lexed *lx, char *err);
void rf_lex_free(struct rf_lexed *lx);

/* A command as words.  Quotes are removed ('...' and "..." are literal:
 * nothing is expanded); `...` and $(...) are kept verbatim in their word;
 * | || && are words of their own.  -1 when it does not split (unterminated
 * quote, too many or too long words). */
struct rf_words {
	int n;
	char w[RF_LEX_MAX_WORDS][RF_LEX_MAX_WORD];
};
int rf_words_split(const char *s, struct rf_words *w, int bat);
/* Words [from, to) joined by single spaces (an echo's message). */
void rf_words_join(const struct rf_words *w, int from, int to, char *out,
		   size_t cap);
/* Index of the first word in [from, n) equal to one of `ops` ("||",
 * "&&"), or n. */
int rf_words_find(const struct rf_words *w, int from, const char *const *ops);

/* Small word tests shared by the dialects. */
int rf_is_uint(const char *s, unsigned *v);  /* 1..9 digits */
int rf_is_token(const char *s, const char *extra, size_t max); /* [A-Za-z0-9 extra]{1,max-1} */
int rf_is_partition(const char *s);          /* [A-Za-z0-9_.+-]{1,63} */
int rf_is_name(const char *s);               /* a shell variable name */

#endif
