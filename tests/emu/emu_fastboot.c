/* The emulated cancro bootloader's commands (Xiaomi LK, fastboot): one
 * command message in, its replies queued.  See emu.h, emu_int.h.
 *
 * Replies and error strings follow what the real LK sends, because
 * romflash must cope with exactly those. */
#include "emu_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void log_cmd(struct emu *e, const char *cmd, size_t len)
{
	char line[EMU_CMD_MAX + 2];
	size_t n = len > EMU_CMD_MAX ? EMU_CMD_MAX : len;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)cmd[i];
		line[i] = (c < 0x20 || c > 0x7e) ? '?' : (char)c;
	}
	line[n] = '\n';
	if (e->log_fd >= 0 && write(e->log_fd, line, n + 1) < 0)
		fprintf(stderr, "emu: commands.log: %s\n", strerror(errno));
}

/* ---------- commands ---------- */

static const char *lookup_var(struct emu *e, const char *name)
{
	for (size_t i = 0; i < e->nvars; i++)
		if (strcmp(e->vars[i].name, name) == 0)
			return e->vars[i].value;
	if (!strcmp(name, "product"))
		return e->product;
	if (!strcmp(name, "serialno"))
		return e->serial;
	if (!strcmp(name, "max-download-size"))
		return e->max_text;
	if (!strcmp(name, "version"))
		return "0.5";
	if (!strcmp(name, "version-bootloader"))
		return "cancro-LK-1.0";
	if (!strcmp(name, "kernel"))
		return "lk";
	if (!strcmp(name, "secure"))
		return "yes";
	if (!strcmp(name, "unlocked"))
		return e->unlocked ? "yes" : "no";
	/* the real LK answers these with an empty OKAY */
	if (!strcmp(name, "all") || !strncmp(name, "partition-size:", 15) ||
	    !strncmp(name, "partition-type:", 15))
		return "";
	return NULL;
}

/* getvar:all as LK answers it: an INFO line "NAME:VALUE" per published
 * variable (no space after the colon), then an empty OKAY. */
static void getvar_all(struct emu *e)
{
	static const char *const names[] = { "version", "version-bootloader", "product",
					     "serialno", "kernel", "secure", "unlocked",
					     "max-download-size" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		emu_push(e, "INFO%s:%s", names[i], lookup_var(e, names[i]));
	for (size_t i = 0; i < e->nvars; i++)
		emu_push(e, "INFO%s:%s", e->vars[i].name, e->vars[i].value);
	emu_push(e, "OKAY");
}

static void do_flash(struct emu *e, const char *arg)
{
	const struct part_def *t[MAX_TARGETS];
	int nt = emu_parse_targets(e, arg, t);
	if (nt < 0) {
		emu_push(e, "FAILpartition does not exist");
		return;
	}
	if (!e->have_data) {
		emu_push(e, "FAILno data downloaded");
		return;
	}
	double t0 = emu_mono_now();
	const char *why = emu_flash_data(e, t, nt);
	double took = emu_mono_now() - t0;
	/* A real eMMC takes its time and LK says nothing meanwhile: the
	 * reply is held until then (emu_reply), without blocking the
	 * transport's thread (one umockdev thread serves every USB phone). */
	if (e->write_mbps > 0) {
		double pace = (double)e->dl_size / (e->write_mbps * 1e6);
		if (pace > took) {
			e->busy_until = t0 + pace;
			took = pace;
		}
	}
	if (e->throttle_mbps > 0 || e->write_mbps > 0)
		fprintf(stderr, "emu: flash:%s took %.3f s\n", arg, took);
	if (why) {
		emu_push(e, "FAIL%s", why);
		return;
	}
	for (int i = 0; i < e->info_lines; i++)
		emu_push(e, "INFOwriting '%s' %d/%d", arg, i + 1, e->info_lines);
	emu_push(e, "OKAY");
}

static void do_erase(struct emu *e, const char *arg)
{
	const struct part_def *t[MAX_TARGETS];
	int nt = emu_parse_targets(e, arg, t);
	if (nt < 0) {
		emu_push(e, "FAILpartition does not exist");
		return;
	}
	for (int i = 0; i < nt; i++) {
		const char *why = emu_erase_part(e, t[i]);
		if (why) {
			emu_push(e, "FAIL%s", why);
			return;
		}
	}
	emu_push(e, "OKAY");
}

static void do_oem(struct emu *e, const char *arg)
{
	if (!strcmp(arg, "device-info")) {
		emu_push(e, "INFODevice tampered: false");
		emu_push(e, "INFODevice unlocked: %s", e->unlocked ? "true" : "false");
		emu_push(e, "INFOCharger screen enabled: false");
		emu_push(e, "INFODisplay panel: ");
		emu_push(e, "OKAY");
	} else if (!strcmp(arg, "lock")) {
		e->unlocked = 0;
		emu_push(e, "OKAY");
	} else if (!strcmp(arg, "unlock")) {
		e->unlocked = 1;
		emu_push(e, "OKAY");
	} else {
		emu_push(e, "FAILunknown command");
	}
}

/* ---------- faults (emu_fault.h) ---------- */

/* The final reply just queued, made garbage: to a download, DATA with a
 * wrong size; else bytes no fastboot reply starts with. */
static void garble(struct emu *e)
{
	if (!e->q_len)
		return;
	char *m = e->q[e->q_head + e->q_len - 1];
	if (!strncmp(m, "DATA", 4))
		snprintf(m, EMU_MSG + 1, "DATA%08llx",
			 (unsigned long long)e->dl_size + 4096);
	else
		snprintf(m, EMU_MSG + 1, "\xfe\xff" "GARBAGE\x01");
}

/* A fault set off by command c: 1 when it took the command (fail, cut,
 * stall), 0 when the command goes on (*after: garbage, slow, or nothing). */
static int fault_at(struct emu *e, const char *c, struct emu_fault **after)
{
	struct emu_fault *f = emu_faults_hit(&e->faults, c);
	*after = NULL;
	if (!f)
		return 0;
	if (f->after >= 0 && !strncmp(c, "download:", 9)) {
		e->armed = f; /* strikes inside the data (emu_download_data()) */
		return 0;
	}
	fprintf(stderr, "emu: fault: %s at '%s'\n", emu_fault_name(f->kind), c);
	switch (f->kind) {
	case EMU_FAULT_FAIL:
		emu_push(e, "FAILemulated failure");
		return 1;
	case EMU_FAULT_CUT:
		emu_leave(e, 1);
		return 1;
	case EMU_FAULT_STALL:
		emu_stall(e);
		return 1;
	default:
		*after = f;
		return 0;
	}
}

static void dispatch(struct emu *e, const char *c)
{
	if (!strcmp(c, "getvar:all")) {
		getvar_all(e);
	} else if (!strncmp(c, "getvar:", 7)) {
		const char *v = lookup_var(e, c + 7);
		if (v)
			emu_push(e, "OKAY%s", v);
		else
			emu_push(e, "FAILGetVar Variable Not found");
	} else if (!strncmp(c, "download:", 9)) {
		emu_start_download(e, c + 9);
	} else if (!strncmp(c, "flash:", 6)) {
		do_flash(e, c + 6);
	} else if (!strncmp(c, "erase:", 6)) {
		do_erase(e, c + 6);
	} else if (!strcmp(c, "boot")) {
		if (!e->have_data) {
			emu_push(e, "FAILno data downloaded");
			return;
		}
		/* stays in fastboot (recorded in commands.log only), so
		 * a test can go on talking to it */
		emu_push(e, "OKAY");
	} else if (!strcmp(c, "reboot")) {
		emu_push(e, "OKAY");
		emu_leave(e, 0);
	} else if (!strcmp(c, "reboot-bootloader")) {
		emu_push(e, "OKAY");
		emu_leave(e, 1);
	} else if (!strcmp(c, "continue")) {
		emu_push(e, "OKAY");
		emu_leave(e, 0);
	} else if (!strncmp(c, "oem ", 4)) {
		do_oem(e, c + 4);
	} else if (!strcmp(c, "flashing lock")) {
		do_oem(e, "lock");
	} else if (!strcmp(c, "flashing unlock")) {
		do_oem(e, "unlock");
	} else if (!strcmp(c, "set_active:a") || !strcmp(c, "set_active:b")) {
		emu_push(e, "OKAY");
	} else {
		emu_push(e, "FAILunknown command");
	}
}

void emu_command(struct emu *e, const char *cmd, size_t len)
{
	char c[EMU_CMD_MAX + 1];
	struct emu_fault *f;

	log_cmd(e, cmd, len);
	if (len > EMU_CMD_MAX) {
		emu_push(e, "FAILcommand too long");
		return;
	}
	memcpy(c, cmd, len);
	c[len] = '\0';
	if (strlen(c) != len) {
		emu_push(e, "FAILunknown command");
		return;
	}
	if (fault_at(e, c, &f))
		return;
	dispatch(e, c);
	if (f && f->kind == EMU_FAULT_GARBAGE)
		garble(e);
	else if (f && f->kind == EMU_FAULT_SLOW)
		emu_slow(e, f->ms); /* (--slow too) the reply is held, silent:
				       a phone wiping or erasing a while */
}

