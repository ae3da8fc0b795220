/* What `romflash help [COMMAND]`, `romflash COMMAND --help` and a usage
 * error say, and the "did you mean" of a near miss.  Every line is within
 * 80 columns (tests/t_cli_help.sh checks it for every command). */
#include <string.h>

#include "cli.h"
#include "output.h"

#define MODES \
	"MODE: keep-data  keeps user data (the default; MiFlash: \"save user data\")\n" \
	"      clean      ERASES ALL USER DATA (MiFlash: \"clean all\")\n" \
	"      lock       ERASES ALL USER DATA and RELOCKS the bootloader: a relocked\n" \
	"                 phone refuses unofficial images (MiFlash: \"clean all and lock\")\n"

#define PACKAGE_IS \
	"PACKAGE: a .tgz file, an extracted package folder, an http(s):// URL or a\n" \
	"catalog version (7.12.8).\n"

const struct rf_cmd_help rf_help_devices = {
	"devices",
	"devices",
	"attached phones: serial, mode, product",
	"Attached phones: serial number, mode (fastboot, sideload, recovery, device,\n"
	"unauthorized), product and USB location.  Exit status 4 when none is\n"
	"attached.  fastboot's -l is accepted and changes nothing.\n",
	0,
};

const struct rf_cmd_help rf_help_info = {
	"info PACKAGE [--md5 MD5] [--region REGION]",
	"info PACKAGE",
	"what a package is, and whether it is verified",
	"What a package is: kind, codename, region, version, build date, Android\n"
	"version, size, MD5 and whether it was verified, the phone it is for.\n"
	"\n"
	"  --md5 MD5        the package's full MD5 (32 hex digits)\n"
	"  --region REGION  global or cn, for a catalog version that has both\n"
	"\n" PACKAGE_IS "A recovery zip is read too.\n",
	0,
};

const struct rf_cmd_help rf_help_plan = {
	"plan PACKAGE [--mode MODE] [--md5 MD5] [--region REGION]",
	"plan PACKAGE",
	"dry run: the ordered steps, nothing written",
	"Dry run: the steps of the mode's flash_all*.sh in order, what each one\n"
	"writes, the checks made before the first write, what the flash erases,\n"
	"and totals.  Nothing is written anywhere; without -s no phone is asked;\n"
	"with -s the phone only answers getvar (its download size, the checks).\n"
	"\n"
	"  --mode MODE      keep-data (default), clean or lock; MiFlash's names too\n"
	"  --md5 MD5        the package's full MD5 (32 hex digits)\n"
	"  --region REGION  global or cn, for a catalog version that has both\n"
	"\n" MODES PACKAGE_IS,
	0,
};

const struct rf_cmd_help rf_help_flash = {
	"flash PACKAGE [--mode MODE] [--yes] [--no-reboot] [--all]\n"
	"                [--resume [--confirm-phone] [--skip STEP]] [--no-resume]\n"
	"                [--md5 MD5] [--region REGION] [--force-device CODENAME]\n"
	"                [--dry-run]",
	"flash PACKAGE",
	"check the package and the phone, then flash",
	"Check the package (MD5, every image), the phone (the script's checks, the\n"
	"package is for it, every image fits), then write the partitions in the\n"
	"order of the mode's flash_all*.sh.  Nothing is written before every check\n"
	"passed.  A wipe (clean, lock) is confirmed first, before the package is\n"
	"read: typed yes, or --yes.\n"
	"\n"
	"  --mode MODE        keep-data (default), clean or lock; MiFlash's names too\n"
	"  --yes              no questions: the wipe, a phone to move into fastboot\n"
	"  --no-reboot        stay in fastboot mode at the end\n"
	"  --all              every phone in fastboot mode (or each of -s A,B,...)\n"
	"  --resume           go on from the step that failed (same phone only)\n"
	"  --confirm-phone    with --resume: a phone without a serial is that one\n"
	"  --skip STEP        with --resume: go past the step the phone refused\n"
	"  --no-resume        save no progress (a stopped flash cannot resume)\n"
	"  --md5 MD5          the package's full MD5 (32 hex digits)\n"
	"  --region REGION    global or cn, for a catalog version that has both\n"
	"  --force-device CODENAME  the package is for this phone (unknown codename)\n"
	"  --dry-run          the same as plan\n"
	"  --wait SECONDS     (global) also how long to wait for the phone to come\n"
	"                     back from a restart (60 when not given, or 0)\n"
	"\n" MODES PACKAGE_IS,
	0,
};

const struct rf_cmd_help rf_help_sideload = {
	"sideload ZIP|URL|VERSION [--md5 MD5] [--region REGION] [--yes]\n"
	"                [--wait SECONDS]",
	"sideload ZIP",
	"send a recovery zip to a phone in sideload mode",
	"Check a recovery package (structure, the device it is for, MD5, signature)\n"
	"and send it to a phone in recovery's sideload mode over adb.  A phone in\n"
	"Android or recovery is moved into sideload mode after asking.\n"
	"\n"
	"  --md5 MD5        the zip's full MD5 (32 hex digits)\n"
	"  --region REGION  global or cn, for a catalog version that has both\n"
	"  --yes            move the phone into sideload mode without asking\n"
	"  --wait SECONDS   (global) also how long the phone's user has to allow our\n"
	"                   adb key (30)\n",
	0,
};

const struct rf_cmd_help rf_help_fetch = {
	"fetch URL|VERSION [-o DIR] [--region REGION]\n"
	"                [--type fastboot|recovery] [--md5 MD5] [--cacert FILE]\n"
	"                [--stall-timeout S] [--retries N]",
	"fetch URL|VERSION",
	"download a package into the cache, verified",
	"Download a package into the cache ($XDG_CACHE_HOME/romflash) or DIR:\n"
	"resumable, its MD5 checked as it arrives, TLS always verified.\n"
	"\n"
	"  -o, --output DIR     where to put it\n"
	"  --region REGION      global or cn, for a catalog version that has both\n"
	"  --type TYPE          fastboot or recovery, for a catalog version\n"
	"  --md5 MD5            the full MD5 (32 hex digits) to check against\n"
	"  --cacert FILE        CA certificates instead of the system's\n"
	"  --stall-timeout S    give an attempt up after S seconds without data (30)\n"
	"  --retries N          retries of a transient failure (5)\n",
	0,
};

const struct rf_cmd_help rf_help_catalog = {
	"catalog [CODENAME|VERSION] [--type fastboot|recovery]\n"
	"                [--region REGION]",
	"catalog [CODENAME]",
	"known ROMs",
	"The known ROMs (built from the release pages; the user's\n"
	"~/.config/romflash/catalog.txt is added): codename, version, type, region,\n"
	"Android version, date, size, MD5, package name.  -v adds the URL, --json\n"
	"every field.\n"
	"\n"
	"  --type TYPE      fastboot or recovery\n"
	"  --region REGION  global or cn\n",
	0,
};

const struct rf_cmd_help rf_help_getvar = {
	"getvar NAME|all",
	"getvar NAME|all",
	"read a bootloader variable (all: every one)",
	"Print a bootloader variable as NAME: VALUE.  `getvar all` prints every\n"
	"line the bootloader sends (as INFO lines) in its answer.\n",
	1,
};

const struct rf_cmd_help rf_help_flash_image = {
	"flash-image PARTITION FILE",
	"flash-image PART FILE",
	"write one image (raw or sparse) to a partition",
	"Write one image file, raw or Android sparse, to a partition (fastboot's\n"
	"`flash PARTITION FILE`).  An image larger than the phone's\n"
	"max-download-size is sent as sparse pieces.  NAME+NAME writes both.\n",
	1,
};

const struct rf_cmd_help rf_help_erase = {
	"erase PARTITION",
	"erase PARTITION",
	"erase a partition",
	"Erase a partition.  `erase userdata` erases all user data.\n",
	1,
};

const struct rf_cmd_help rf_help_boot = {
	"boot IMAGE",
	"boot IMAGE",
	"boot an image once, without writing it",
	"Send a boot image (a kernel and ramdisk, e.g. a recovery.img) and boot it\n"
	"once; nothing is written to the phone.\n",
	1,
};

const struct rf_cmd_help rf_help_oem = {
	"oem ARGS... [--yes]",
	"oem ARGS...",
	"a bootloader OEM command (oem device-info, ...)",
	"Send `oem ARGS` and print what the bootloader answers.  `oem device-info`\n"
	"says whether the bootloader is locked.  `oem lock` and `oem unlock` ERASE\n"
	"ALL USER DATA; a relocked phone refuses unofficial images.  They are\n"
	"confirmed first: typed yes, or --yes.\n",
	1,
};

const struct rf_cmd_help rf_help_flashing = {
	"flashing lock|unlock|get_unlock_ability [--yes]",
	"flashing lock|unlock",
	"relock or unlock the bootloader (ERASES data)",
	"The newer names of oem lock and oem unlock.  Both ERASE ALL USER DATA; a\n"
	"relocked phone refuses unofficial images.  Confirmed first: typed yes, or\n"
	"--yes.  lock_critical and unlock_critical are passed on as well.\n",
	1,
};

const struct rf_cmd_help rf_help_set_active = {
	"set_active SLOT",
	"set_active SLOT",
	"make slot a or b the one that boots",
	"Make slot a or b active (phones with A/B slots; a Mi 3/Mi 4 has none and\n"
	"refuses it).\n",
	1,
};

const struct rf_cmd_help rf_help_continue = {
	"continue",
	"continue",
	"leave fastboot mode and boot normally",
	"Leave fastboot mode and go on booting the system from the phone.\n",
	1,
};

const struct rf_cmd_help rf_help_reboot = {
	"reboot [system|bootloader|recovery|sideload]",
	"reboot [TARGET]",
	"restart the phone (into a mode)",
	"Restart the phone, into the system (default), the bootloader (fastboot\n"
	"mode), recovery or recovery's sideload mode; from fastboot mode or from\n"
	"any adb mode (Android with USB debugging, recovery).  A bootloader that\n"
	"cannot restart into recovery says so with what to do instead; sideload\n"
	"is recovery's: from fastboot mode romflash says how to get there.\n"
	"reboot-bootloader (fastboot's name) is `reboot bootloader`.\n",
	1,
};

const struct rf_cmd_help rf_help_help = {
	"help [COMMAND]",
	"help [COMMAND]",
	"this text, or a command's",
	"What romflash does, or what COMMAND does and its options.\n",
	1,
};

static const char globals[] =
	"Global options (anywhere on the line):\n"
	"  -s DEVICE        the phone: a USB serial number, usb:BUS-PORT[.PORT...]\n"
	"                   or tcp:HOST[:PORT]; default: $ANDROID_SERIAL, else the\n"
	"                   only one attached\n"
	"  --wait SECONDS   how long to wait for the phone to appear (30; 0: not)\n"
	"  -v, --verbose    more detail (the phone's INFO lines during a flash)\n"
	"  -q, --quiet      only errors, warnings and the values asked for\n"
	"  --json           one JSON object per line on stdout\n"
	"  -h, --help       help (romflash help COMMAND: a command's)\n"
	"  --version        romflash's version\n";

static const char exits[] =
	"Exit status: 0 done, 1 device or protocol failure, 2 usage, 3 package\n"
	"invalid or not verified, 4 no device, several or the wrong one, 5 download\n"
	"failed, 130 interrupted.  See romflash(1).\n";

static void list(int single)
{
	for (const struct rf_cmd *c = rf_commands; c->name; c++)
		if (c->help->single == single)
			out_plain("  %-22s %s", c->help->head, c->help->summary);
}

void rf_help(const struct rf_cmd *c)
{
	if (!c) {
		out_plain("usage: romflash [-s DEVICE] [-v|-q] [--json] [--wait SECONDS] COMMAND [ARGS]\n"
			  "\n"
			  "Flash an official MIUI ROM onto a Xiaomi Mi 3 / Mi 4 (cancro):");
		list(0);
		out_plain("\nSingle fastboot operations, for people who know what they do:");
		list(1);
		out_plain("\n%s\n" MODES "\n%s", globals, exits);
		return;
	}
	out_plain("usage: romflash %s\n\n%s\n%s", c->help->usage, c->help->text, globals);
}

void rf_usage_error(const struct rf_cmd *c)
{
	if (c)
		out_stderr("usage: romflash %s\nMore: romflash help %s", c->help->usage, c->name);
	else
		out_stderr("usage: romflash [-s DEVICE] [-v|-q] [--json] [--wait SECONDS] COMMAND [ARGS]\n"
			   "Commands: romflash help");
}

/* Edit distance with transpositions (optimal string alignment), capped:
 * "flahs" is one step from "flash". */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), d[3][40];
	if (la >= 39 || lb >= 39)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t *cur = d[i % 3], *prev = d[(i - 1) % 3], *prev2 = d[(i + 1) % 3];
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1], v = prev[j - 1] + cost;
			if (prev[j] + 1 < v)
				v = prev[j] + 1;
			if (cur[j - 1] + 1 < v)
				v = cur[j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    prev2[j - 2] + 1 < v)
				v = prev2[j - 2] + 1;
			cur[j] = v;
		}
	}
	return d[la % 3][lb];
}

const char *rf_suggest(const char *word, const char *const *names, size_t n)
{
	const char *best = NULL;
	size_t best_d = 99, len = strlen(word);
	size_t limit = len < 4 ? 1 : len < 8 ? 2 : 3;
	for (size_t i = 0; i < n; i++) {
		size_t d = distance(word, names[i]);
		/* a prefix of a longer name ("flash-im") is as near as a typo */
		if (len >= 3 && !strncmp(names[i], word, len))
			d = 1;
		if (d < best_d) {
			best_d = d;
			best = names[i];
		}
	}
	return best_d <= limit ? best : NULL;
}
