/* Faults of the emulated phone, by option: `romflash-emu --fault SPEC`
 * (repeatable), `emu_opts.faults` / `emu_adb_opts.faults` (a comma-separated
 * list of SPECs).  Generic, so a test names the step and the fault:
 *
 *   SPEC   = KIND@WHAT[#N][+BYTES]
 *   KIND   = fail | cut | stall | garbage | slow=MS
 *   WHAT   = the start of a command: "getvar:product", "download",
 *            "flash:system", "erase:", "reboot-bootloader"; in the adb
 *            modes "block" (a sideload block request of the phone's)
 *   #N     = the Nth command that starts with WHAT (default: the first);
 *            #* every command that starts with WHAT
 *   +BYTES = (a download) strike once BYTES bytes of that download's data
 *            have arrived, not at the command itself (cut, stall, slow)
 *
 * What each kind does (fastboot; the adb side in emu_adb.h):
 *   fail     FAIL the command ("FAILemulated failure"), nothing done
 *   cut      the cable is pulled: the link drops before the command is
 *            done; the phone comes back after --reboot-delay (never with
 *            --no-return)
 *   stall    the phone hangs: it stops answering and stops reading (the
 *            link stays up: TCP bytes wait in the socket, USB OUT
 *            transfers are NAKed) until it is power-cycled (TCP: the
 *            process restarted; USB: re-plugged)
 *   garbage  the command is done, but its final reply is not one of
 *            OKAY/FAIL/INFO/TEXT/DATA; to a download: DATA with a wrong
 *            size
 *   slow=MS  the command is done, the reply comes MS later (the phone
 *            reads nothing meanwhile); with +BYTES the phone stops
 *            taking data for MS there
 *
 * Each fault strikes once (#*: at every match), and one fault strikes per
 * command: of two due at the same command the earlier in the list strikes
 * and the other waits for the next match; a #* one strikes only where no
 * other does.  The emulator's
 * --fail CMD and --slow CMD=MS are spellings of fail@CMD and
 * slow=MS@CMD#* (emu_main.c).  Independent of protocol/, like the rest
 * of the emulator. */
#ifndef EMU_FAULT_H
#define EMU_FAULT_H

#define EMU_MAX_FAULTS 16
#define EMU_FAULT_WHAT 64

enum emu_fault_kind {
	EMU_FAULT_FAIL = 0,
	EMU_FAULT_CUT,
	EMU_FAULT_STALL,
	EMU_FAULT_GARBAGE,
	EMU_FAULT_SLOW,
};

struct emu_fault {
	enum emu_fault_kind kind;
	char what[EMU_FAULT_WHAT + 1];
	unsigned nth;       /* strikes at the nth match (1: the first);
			       0: at every match (#*) */
	unsigned seen;      /* matches so far */
	long long after;    /* +BYTES; -1: at the command */
	int ms;             /* slow */
	int fired;
};

struct emu_faults {
	struct emu_fault f[EMU_MAX_FAULTS];
	int n;
};

/* Parse a comma-separated list of SPECs (NULL or "": none).  0, or -1
 * with a message in err (256 bytes). */
int emu_faults_parse(struct emu_faults *fs, const char *specs, char *err);

/* `cmd` arrived: the fault it sets off now (counted, marked fired), or
 * NULL. */
struct emu_fault *emu_faults_hit(struct emu_faults *fs, const char *cmd);

const char *emu_fault_name(enum emu_fault_kind k);

#endif
