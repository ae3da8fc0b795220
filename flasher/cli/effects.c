/* Wipes and relocks: what they are, saying them, confirming them.  See
 * effects.h. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "effects.h"
#include "output.h"

/* The partitions that hold the user's data (NAME+NAME: either). */
static int is_user_data(const char *part)
{
	static const char *const names[] = { "userdata", "data" };
	char copy[64], *save = NULL;
	snprintf(copy, sizeof copy, "%s", part);
	for (char *p = strtok_r(copy, "+", &save); p; p = strtok_r(NULL, "+", &save))
		for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
			if (!strcmp(p, names[i]))
				return 1;
	return 0;
}

unsigned rf_fx_of_command(const char *cmd, const char *arg)
{
	char a[64];
	size_t n = 0;
	if (!arg || (strcmp(cmd, "oem") && strcmp(cmd, "flashing")))
		return 0;
	/* the first word, lower case: "unlock-go", "lock_critical" */
	for (; arg[n] && arg[n] != ' ' && n + 1 < sizeof a; n++)
		a[n] = (char)tolower((unsigned char)arg[n]);
	a[n] = 0;
	if (!strcmp(a, "lock") || !strcmp(a, "lock_critical"))
		return RF_FX_RELOCK | RF_FX_WIPE;
	if (!strcmp(a, "unlock") || !strcmp(a, "unlock-go") || !strcmp(a, "unlock_critical"))
		return RF_FX_UNLOCK | RF_FX_WIPE;
	return 0;
}

unsigned rf_fx_of_step(const struct rf_step *s)
{
	switch (s->op) {
	case RF_OP_FLASH:
	case RF_OP_CRC_FLASH:
	case RF_OP_ERASE:
	case RF_OP_FORMAT:
		return is_user_data(s->partition) ? RF_FX_WIPE : 0;
	case RF_OP_OEM:
		return rf_fx_of_command("oem", s->arg);
	default:
		return 0;
	}
}

unsigned rf_fx_of_mode(enum rf_mode m)
{
	return m == RF_MODE_LOCK ? RF_FX_WIPE | RF_FX_RELOCK : m == RF_MODE_CLEAN ? RF_FX_WIPE : 0;
}

void rf_fx_of_plan(const struct rf_plan *pl, struct rf_fx *fx)
{
	memset(fx, 0, sizeof *fx);
	for (size_t i = 0; i < pl->steps.n; i++) {
		unsigned w = rf_fx_of_step(&pl->steps.v[i]);
		if (!w)
			continue;
		fx->what |= w;
		if (fx->nsteps < sizeof fx->steps / sizeof fx->steps[0])
			fx->steps[fx->nsteps++] = i + 1;
	}
}

const char *rf_fx_sentence(unsigned what, char *buf, size_t cap)
{
	const char *lock = what & RF_FX_RELOCK
		? "RELOCKS THE BOOTLOADER: a relocked phone refuses unofficial images "
		  "(custom recoveries, other ROMs) until it is unlocked again, which erases "
		  "it again"
		: what & RF_FX_UNLOCK ? "UNLOCKS THE BOOTLOADER: the phone then boots any image"
				      : "";
	snprintf(buf, cap, "%s%s%s", what & RF_FX_WIPE ? "ERASES ALL USER DATA (photos, apps, "
		 "accounts, messages: everything not backed up)" : "",
		 what & RF_FX_WIPE && lock[0] ? " and " : "", lock);
	return buf;
}

const char *rf_fx_short(unsigned what)
{
	if (what & RF_FX_RELOCK)
		return "ERASES user data, RELOCKS the bootloader";
	if (what & RF_FX_UNLOCK)
		return "ERASES user data, UNLOCKS the bootloader";
	return what & RF_FX_WIPE ? "ERASES all user data" : "";
}

void rf_fx_announce(unsigned what, int yes, const char *mode, const struct rf_fx *fx,
		    const char *command)
{
	char msg[512];
	uint64_t steps[8];
	struct jw j;
	enum rf_mode m;

	if (!out_is_json()) {
		/* without --yes the question says it */
		if (what && yes)
			out_warn("%s%s %s", command ? "" : "--mode ", command ? command : mode,
				 rf_fx_sentence(what, msg, sizeof msg));
		return;
	}
	jw_begin(&j, "effects");
	if (command)
		jw_str(&j, "command", command);
	if (mode && !rf_mode_parse(mode, &m)) {
		jw_str(&j, "mode", mode);
		jw_str(&j, "miflash_mode", rf_cli_mode_miflash(m));
	}
	jw_bool(&j, "erases_user_data", (what & RF_FX_WIPE) != 0);
	jw_bool(&j, "relocks_bootloader", (what & RF_FX_RELOCK) != 0);
	jw_bool(&j, "unlocks_bootloader", (what & RF_FX_UNLOCK) != 0);
	if (fx) {
		for (size_t i = 0; i < fx->nsteps; i++)
			steps[i] = fx->steps[i];
		jw_u64s(&j, "steps", steps, fx->nsteps);
	}
	jw_str(&j, "message", rf_fx_sentence(what, msg, sizeof msg));
	jw_end(&j);
}

int rf_fx_refuse_early(unsigned what, int yes, const char *doing)
{
	if (!what || yes || out_can_ask())
		return 0;
	out_error("%s %s: confirm with --yes (there is no terminal to ask on); nothing was "
		  "read or written", doing, rf_fx_short(what));
	return 1;
}

int rf_fx_confirm(unsigned what, int yes, const char *doing, const char *who)
{
	char answer[64], msg[512], line[700], wrapped[800];
	if (!what || yes)
		return 1;
	if (rf_fx_refuse_early(what, yes, doing))
		return 0;
	snprintf(line, sizeof line, "%s %s%s%s.", doing, rf_fx_sentence(what, msg, sizeof msg),
		 who[0] ? " on " : "", who);
	if (!out_ask(answer, sizeof answer, "%s%s%s\nType yes to go on: ", out_c("red"),
		     out_wrap(line, 0, 0, wrapped, sizeof wrapped), out_c("reset")) ||
	    strcmp(answer, "yes")) {
		out_error("not confirmed; nothing was written");
		return 0;
	}
	return 1;
}
