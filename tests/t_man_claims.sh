#!/bin/sh
# The man page's claims, checked against the program: every command it
# lists (romflash help COMMAND answers for it), every option in a
# command's synopsis (in the command's help, and the command accepts it),
# every global option and what it does, every --mode value (MiFlash's
# names too: the mode it means), every exit status (a case that gives it),
# every environment variable (what it changes), every file (make install
# puts it there, or romflash makes it).  Claims are read from
# docs/romflash.1; a claim this test has no check for fails it, so the page
# and the test stay in step.  Prints "N man-page claims checked".
# Env (tests/run-all): ROMFLASH, ROMFLASH_EMU, ROOT, B.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
. "$ROOT/tests/lib.sh"
lib_init t_man_claims
. "$ROOT/tests/fetch_lib.sh"
PATH="$PATH:/usr/sbin:/sbin"
need_tool nginx openssl mke2fs
web_start 4m
faults_start
unset ROMFLASH_CATALOG ROMFLASH_CACERT ANDROID_USER_HOME NO_COLOR
export ROMFLASH_RETRY_DELAY_MS=10 XDG_CACHE_HOME="$T/cache" XDG_CONFIG_HOME="$T/config"
HOME="$T/home"
export HOME
mkdir -p "$HOME"
MAN="$ROOT/docs/romflash.1"
checked=0

# ---- the claims --------------------------------------------------------------
python3 - "$MAN" >"$T/claims" <<'EOF' || { echo "FAIL: cannot read the claims of $MAN"; exit 1; }
import re, sys
def plain(s):
    s = re.sub(r'\\f[BIRP]', '', s).replace('\\-', '-').replace('"', '')
    return s
sec, prev, out = None, "", []
lines = open(sys.argv[1]).read().split("\n")
mode_para = False
for i, l in enumerate(lines):
    if l.startswith(".SH "):
        sec, mode_para = l[4:].strip('"'), False
        continue
    head = prev in (".TP", ".TQ")
    prev = l
    if sec == "COMMANDS" and head and re.match(r'\.BI? ', l):
        words = plain(l.split(None, 1)[1]).split()
        cmd = words[0]
        out.append(("command", cmd, ""))
        for m in re.finditer(r'\\fB(\\-(?:\\-)?[a-z](?:[a-z0-9]|\\-)*)( \\f[IB][A-Za-z])?', l):
            opt = m.group(1).replace('\\-', '-')
            out.append(("option", cmd, opt + ("=" if m.group(2) else "")))
    elif sec == "OPTIONS":
        if head:
            mode_para = "mode" in l
            for o in re.findall(r'(\\-(?:\\-)?[a-z](?:[a-z0-9]|\\-)*)', l):
                out.append(("global", o.replace('\\-', '-'), ""))
        elif mode_para and re.match(r'\.B [a-z"]', l):
            v = plain(l[3:]).strip()
            if re.fullmatch(r'[a-z][a-z \-]*', v):
                out.append(("mode", v, ""))
    elif sec == "EXIT STATUS" and head and l.startswith(".B "):
        out.append(("exit", l[3:].strip(), ""))
    elif sec == "ENVIRONMENT" and head:
        for v in re.findall(r'\b[A-Z][A-Z_]+\b', l.split(None, 1)[1]):
            out.append(("env", v, ""))
    elif sec == "FILES" and head:
        for f in re.findall(r'(?:\$[A-Z_]+|~)?/[^ ",()]+', plain(l)):
            out.append(("file", f, ""))
seen = set()
for c in out:
    if c not in seen:
        seen.add(c)
        print("\t".join(c))
EOF

# ---- what the checks need ------------------------------------------------------
"$MKPKG" --variant modern --order scripts-first --size-mb 4 --seed 51 --out "$T/pkg" >/dev/null ||
	{ echo "mkpkg failed"; exit 1; }
PKG=$(ls "$T"/pkg/*.tgz)
# a file to download, named with its MD5 prefix
A=$(python3 -c 'import hashlib,random,sys; d=random.Random(5).randbytes(100000); open(sys.argv[1]+"/r.bin","wb").write(d); print("miui_MI3WMI4WGlobal_7.5.1_%s_6.0.zip" % hashlib.md5(d).hexdigest()[:10])' "$WWW")
mv "$WWW/r.bin" "$WWW/$A"
# a folder package whose script formats cache
FMT="$T/fmt/cancro_global_images_7.12.8_20171208.0000.00_6.0_global"
mkdir -p "$FMT/images"
head -c 7000 /dev/urandom >"$FMT/images/tz.mbn"
printf '%s\n' 'fastboot $* getvar product 2>&1 | grep "^product: *MSM8974$"' \
	'if [ $? -ne 0 ] ; then echo "Missmatching image and device"; exit 1; fi' \
	'fastboot $* flash tz `dirname $0`/images/tz.mbn' 'fastboot $* format cache' \
	'fastboot $* reboot' >"$FMT/flash_all_except_storage.sh"
CLOSED=$(free_port)
NOPHONE="tcp:127.0.0.1:$CLOSED" # (not waited for: --wait 0; --wait has its own check)
ok() { checked=$((checked + 1)); }
# run STATUS LABEL ARGS...: romflash exits STATUS (stdout $T/out, stderr $T/err)
run() {
	_w=$1 _l=$2
	shift 2
	rf "$@" >"$T/out" 2>"$T/err" </dev/null
	_rc=$?
	[ "$_rc" -eq "$_w" ] && return 0
	fail "$_l: exit $_rc, want $_w (romflash $*): $(head -n 2 "$T/err")"
	return 1
}

# the first argument a command is probed with
probe_args() {
	case $1 in
	info | plan) echo "$PKG" ;;
	flash) echo "$PKG --wait 1" ;;
	sideload) echo "$T/none.zip --wait 1" ;;
	fetch) echo "http://127.0.0.1:$CLOSED/x.tgz" ;;
	oem) echo device-info ;;
	flashing) echo get_unlock_ability ;;
	*) echo "" ;;
	esac
}
value_for() {
	case $1 in
	--mode) echo clean ;; --type) echo fastboot ;; --region) echo global ;;
	--md5) echo 0123456789abcdef0123456789abcdef ;; --force-device) echo cancro ;;
	-o | --output) echo "$T/o" ;; *) echo 1 ;;
	esac
}

check_command() {
	run 0 "help $1" help "$1" && head -n 1 "$T/out" | grep -q "^usage: romflash $1" &&
		ok || fail "man: command $1: romflash help $1 does not describe it"
}

# the command's help names it, and the command takes it
check_option() {
	_o=${2%=}
	run 0 "help $1" help "$1" || return
	grep -q -- "$_o\b" "$T/out" || { fail "man: $1 $_o: not in romflash help $1"; return; }
	_a=$(probe_args "$1")
	if [ "$_o" != "$2" ]; then
		# shellcheck disable=SC2086
		rf --wait 0 -s "$NOPHONE" "$1" $_a "$_o" "$(value_for "$_o")" >"$T/out" 2>"$T/err" </dev/null
	else
		# shellcheck disable=SC2086
		rf --wait 0 -s "$NOPHONE" "$1" $_a "$_o" >"$T/out" 2>"$T/err" </dev/null
	fi
	if grep -Eq "unknown option|needs a value" "$T/err"; then
		fail "man: $1 $_o: $(head -n 1 "$T/err")"
	else
		ok
	fi
}

check_global() {
	case $1 in
	-s)
		run 4 "-s before" --wait 0 -s "$NOPHONE" getvar product &&
			run 4 "-s after" getvar product --wait 0 -s "$NOPHONE" && ok ;;
	-v | --verbose)
		run 0 "catalog" catalog && ! grep -q "https://" "$T/out" &&
			run 0 "catalog $1" catalog "$1" && grep -q "https://" "$T/out" && ok ||
			fail "man: $1 does not add the catalog's URLs" ;;
	-q | --quiet)
		run 0 "plan $1" plan "$PKG" "$1" && [ ! -s "$T/out" ] && ok ||
			fail "man: $1: plan printed $(wc -l <"$T/out") lines" ;;
	--json)
		run 0 "plan --json" plan "$PKG" --json &&
			python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$T/out" && ok ||
			fail "man: --json: not JSON lines" ;;
	-h | --help)
		run 0 "$1" "$1" && head -n 1 "$T/out" | grep -q "^usage: romflash" &&
			run 0 "plan $1" plan "$1" && head -n 1 "$T/out" | grep -q "^usage: romflash plan" &&
			ok || fail "man: $1 gives no help" ;;
	--version)
		run 0 --version --version &&
			[ "$(cat "$T/out")" = "romflash $(sed -n '1s/.*"romflash \([^"]*\)".*/\1/p' "$MAN")" ] &&
			ok || fail "man: --version: $(cat "$T/out")" ;;
	--wait)
		t0=$(date +%s%N)
		run 4 "--wait 2" getvar product -s "$NOPHONE" --wait 2
		t1=$(date +%s%N)
		[ $(((t1 - t0) / 1000000)) -ge 1900 ] && grep -q "waited 2 s" "$T/err" && ok ||
			fail "man: --wait 2 waited $(((t1 - t0) / 1000000)) ms: $(head -n 1 "$T/err")" ;;
	--mode)
		run 0 "--mode" --json plan "$PKG" --mode lock &&
			tail -n 1 "$T/out" | grep -q '"mode":"lock"' && ok || fail "man: --mode lock" ;;
	*) fail "man: global option $1: no check for it (tests/t_man_claims.sh)" ;;
	esac
}

check_mode() {
	case $1 in
	keep-data | "save user data") _m=keep-data ;;
	clean | "clean all") _m=clean ;;
	lock | "clean all and lock") _m=lock ;;
	*) fail "man: mode '$1': no check for it"; return ;;
	esac
	run 0 "--mode $1" --json plan "$PKG" --mode "$1" &&
		tail -n 1 "$T/out" | grep -q "\"mode\":\"$_m\"" && ok || fail "man: --mode '$1' is not $_m"
}

emu_start E "$T/e" --reboot-delay 200 # (stopped at the end: fetch_lib's cleanup waits)
check_exit() {
	case $1 in
	0) run 0 "exit 0" plan "$PKG" && ok ;;
	1) run 1 "exit 1" -s "$E_DEV" reboot recovery && ok ;;
	2) run 2 "exit 2" plan "$PKG" --md5 xyz && run 2 "exit 2" -s "$E_DEV" flash "$PKG" --mode clean && ok ;;
	3) head -c 100000 "$PKG" >"$T/cut.tgz"
	   run 3 "exit 3" info "$T/cut.tgz" && run 3 "exit 3" -s "$E_DEV" flash-image boot "$T/nofile" && ok ;;
	4) run 4 "exit 4" --wait 0 -s "$NOPHONE" getvar all && ok ;;
	5) ROMFLASH_RETRIES=0 run 5 "exit 5" fetch "http://127.0.0.1:$CLOSED/x.tgz" -o "$T/o5" && ok ;;
	130)
		emu_start S "$T/s" --throttle 4 --max-download 0x400000
		head -c $((12 << 20)) /dev/urandom >"$T/r12.img"
		"$ROMFLASH" -s "$S_DEV" flash-image recovery "$T/r12.img" >/dev/null 2>&1 &
		_p=$!
		sleep 0.5
		kill -INT $_p
		wait $_p
		_rc=$?
		emu_stop S
		[ $_rc -eq 130 ] && ok || fail "exit 130: Ctrl-C gave $_rc" ;;
	*) fail "man: exit status $1: no check for it" ;;
	esac
}

check_env() {
	case $1 in
	NO_COLOR)
		for nc in "" 1; do
			NO_COLOR=$nc python3 - "$ROMFLASH" "$PKG" >"$T/pty.$nc" 2>&1 <<'EOF'
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], "plan", sys.argv[2], "--mode", "clean"])
out = b""
while True:
    try:
        d = os.read(fd, 65536)
    except OSError:
        break
    if not d:
        break
    out += d
os.waitpid(pid, 0)
sys.stdout.write("colour\n" if b"\x1b[31" in out or b"\x1b[1m" in out else "none\n")
EOF
		done
		[ "$(cat "$T/pty.")" = colour ] && [ "$(cat "$T/pty.1")" = none ] && ok ||
			fail "man: NO_COLOR: without '$(cat "$T/pty.")', with '$(cat "$T/pty.1")'" ;;
	ROMFLASH_STATE_DIR)
		emu_start F "$T/f" --fail flash:system
		ROMFLASH_STATE_DIR="$T/state" run 1 "failing flash" -s "$F_DEV" flash "$PKG" --no-reboot
		emu_stop F
		ls "$T/state/"*.resume >/dev/null 2>&1 && ok ||
			fail "man: ROMFLASH_STATE_DIR: no saved progress in it" ;;
	ROMFLASH_LOCK_DIR)
		emu_start L "$T/l" --throttle 4
		head -c $((4 << 20)) /dev/urandom >"$T/r4.img"
		ROMFLASH_LOCK_DIR="$T/locks2" "$ROMFLASH" -s "$L_DEV" flash-image boot "$T/r4.img" \
			>/dev/null 2>&1 &
		_p=$!
		_i=0
		while ! ls "$T/locks2/"*.lock >/dev/null 2>&1 && [ $_i -lt 100 ]; do
			sleep 0.05
			_i=$((_i + 1))
		done
		ls "$T/locks2/"*.lock >/dev/null 2>&1 && ok || fail "man: ROMFLASH_LOCK_DIR: no lock in it"
		wait $_p
		emu_stop L ;;
	ANDROID_USER_HOME)
		: >"$T/trusted"
		emu_start A "$T/a" --adb device --auth "$T/trusted" --auth-accept
		ANDROID_USER_HOME="$T/ah" run 0 "adb auth" -s "$A_DEV" reboot bootloader
		emu_stop A
		[ -s "$T/ah/adbkey" ] && [ ! -e "$HOME/.android/adbkey" ] && ok ||
			fail "man: ANDROID_USER_HOME: the key is not there" ;;
	XDG_CACHE_HOME)
		run 0 "fetch to the cache" fetch "$HTTP/$A" && [ -f "$XDG_CACHE_HOME/romflash/$A" ] &&
			ok || fail "man: XDG_CACHE_HOME: not downloaded there" ;;
	XDG_CONFIG_HOME)
		mkdir -p "$XDG_CONFIG_HOME/romflash"
		printf 'name: %s\nurl: https://example.invalid/x.tgz\ncodename: cancro\nversion: 9.9.9\ntype: fastboot\nregion: global\n' \
			"cancro_global_images_9.9.9_20990101.0000.00_6.0_global_0123456789.tgz" \
			>"$XDG_CONFIG_HOME/romflash/catalog.txt"
		run 0 "the user's catalog" catalog && grep -q "9.9.9" "$T/out" && ok ||
			fail "man: XDG_CONFIG_HOME: the user's catalog entry is not listed"
		rm -f "$XDG_CONFIG_HOME/romflash/catalog.txt" ;;
	ROMFLASH_CATALOG)
		printf 'name: %s\nurl: https://example.invalid/y.tgz\ncodename: cancro\nversion: 8.8.8\ntype: fastboot\nregion: global\n' \
			"cancro_global_images_8.8.8_20990101.0000.00_6.0_global_0123456789.tgz" >"$T/cat.txt"
		ROMFLASH_CATALOG="$T/cat.txt" run 0 "another catalog" catalog &&
			grep -q "8.8.8" "$T/out" && ! grep -q "7.12.8" "$T/out" && ok ||
			fail "man: ROMFLASH_CATALOG: $(cat "$T/out")" ;;
	ROMFLASH_STALL_TIMEOUT)
		t0=$(date +%s)
		ROMFLASH_STALL_TIMEOUT=1 ROMFLASH_RETRIES=0 run 5 "stall" fetch "$FAULTS/stall/1000/$A" -o "$T/o6"
		[ $(($(date +%s) - t0)) -lt 15 ] && ok || fail "man: ROMFLASH_STALL_TIMEOUT=1 took $(($(date +%s) - t0)) s" ;;
	ROMFLASH_RETRIES | ROMFLASH_RETRY_DELAY_MS)
		ROMFLASH_RETRIES=2 ROMFLASH_RETRY_DELAY_MS=20 run 5 "retries" --json fetch \
			"http://127.0.0.1:$CLOSED/$A" -o "$T/o7"
		[ "$(grep -c '"event":"download_retry"' "$T/out")" = 2 ] &&
			grep -q '"delay":0.020' "$T/out" && ok ||
			fail "man: $1: $(grep download_retry "$T/out" | head -n 2)" ;;
	ANDROID_SERIAL)
		ANDROID_SERIAL="$E_DEV" run 0 "ANDROID_SERIAL" getvar serialno &&
			[ "$(cat "$T/out")" = "serialno: EMU0001" ] && ok ||
			fail "man: ANDROID_SERIAL: $(cat "$T/out")" ;;
	ROMFLASH_MKFS_PATH)
		emu_start M "$T/m" --vars "partition-type:cache=ext4;partition-size:cache=0x18000000"
		run 0 "plan with a format" -s "$M_DEV" plan "$FMT" &&
			ROMFLASH_MKFS_PATH="$T/none" run 2 "no mke2fs there" -s "$M_DEV" plan "$FMT" &&
			grep -q "mke2fs.*not installed" "$T/err" && ok ||
			fail "man: ROMFLASH_MKFS_PATH: $(head -n 2 "$T/err")"
		emu_stop M ;;
	TMPDIR)
		emu_start M "$T/m2" --vars "partition-type:cache=ext4;partition-size:cache=0x18000000"
		TMPDIR="$T/nothere" run 1 "format, TMPDIR missing" -s "$M_DEV" flash "$FMT" --no-reboot &&
			grep -q "$T/nothere/" "$T/err" && ok || fail "man: TMPDIR: $(head -n 3 "$T/err")"
		emu_stop M ;;
	ROMFLASH_CACERT)
		run 5 "https, the system's store" fetch "$HTTPS/$A" -o "$T/o8" &&
			ROMFLASH_CACERT="$CA" run 0 "https, ROMFLASH_CACERT" fetch "$HTTPS/$A" -o "$T/o9" && ok ;;
	XDG_STATE_HOME)
		failing_flash "XDG_STATE_HOME=$T/xs2"
		ls "$T/xs2/romflash/"*.resume >/dev/null 2>&1 && ok || fail "man: $1: no saved progress there" ;;
	XDG_RUNTIME_DIR)
		mkdir -p "$T/xr2"
		image_write "XDG_RUNTIME_DIR=$T/xr2"
		[ -f "$T/xr2/romflash/MANLOCK$$.lock" ] && ok || fail "man: $1: no lock file there" ;;
	HOME)
		in_env "HOME=$T/h2" fetch "$HTTP/$A" && [ -f "$T/h2/.cache/romflash/$A" ] && ok ||
			fail "man: HOME: not downloaded under it: $(head -n 2 "$T/err")" ;;
	USER)
		: >"$T/trusted3"
		emu_start U "$T/u" --adb device --auth "$T/trusted3" --auth-accept
		USER=manclaims ANDROID_USER_HOME="$T/ah3" run 0 "adb auth, USER" -s "$U_DEV" reboot bootloader
		emu_stop U
		grep -q " manclaims@" "$T/ah3/adbkey.pub" 2>/dev/null && ok ||
			fail "man: USER: not in the key's comment: $(cat "$T/ah3/adbkey.pub" 2>&1)" ;;
	XDG_SEAT)
		# needs a USB phone this user may not open (umockdev, setpriv):
		# checked, both ways, by check_usb_e2e_life's test_no_permission
		grep -q '"XDG_SEAT=seat0"' "$ROOT/tests/check_usb_e2e_life.c" && ok ||
			fail "man: XDG_SEAT: check_usb_e2e_life no longer checks it" ;;
	*) fail "man: environment variable $1: no check for it (tests/t_man_claims.sh)" ;;
	esac
}

make -C "$ROOT" --no-print-directory B="$B" install DESTDIR="$T/inst" PREFIX=/usr \
	>"$T/install.log" 2>&1 || fail "make install: $(tail -n 3 "$T/install.log")"
# in_env "VAR=VALUE..." ARGS...: romflash run with only the given ones of
# the state, lock and XDG variables set (the rest unset: their defaults)
in_env() {
	_e=$1
	shift
	(unset ROMFLASH_STATE_DIR ROMFLASH_LOCK_DIR XDG_STATE_HOME XDG_RUNTIME_DIR \
		XDG_CACHE_HOME XDG_CONFIG_HOME
	# shellcheck disable=SC2086
	[ -n "$_e" ] && export $_e
	rf "$@" >"$T/out" 2>"$T/err" </dev/null)
}
# a flash that fails at system: its progress is saved
failing_flash() {
	emu_start F "$T/f2" --fail flash:system
	in_env "$1 ROMFLASH_LOCK_DIR=$T/locks3" -s "$F_DEV" flash "$PKG" --no-reboot
	emu_stop F
}
# a flash-image of a phone with a serial no other test uses: its lock
image_write() {
	emu_start G "$T/g" --serial "MANLOCK$$"
	head -c 4096 /dev/urandom >"$T/small.img"
	in_env "$1" -s "$G_DEV" flash-image boot "$T/small.img"
	emu_stop G
}
user_catalog() { # the user's catalog file $1, listed by catalog run in env $2
	mkdir -p "$(dirname "$1")"
	printf 'name: %s\nurl: https://example.invalid/z.tgz\ncodename: cancro\nversion: 6.6.6\ntype: fastboot\nregion: global\n' \
		"cancro_global_images_6.6.6_20990101.0000.00_6.0_global_0123456789.tgz" >"$1"
	in_env "$2" catalog
	_rc=$?
	rm -f "$1"
	[ $_rc -eq 0 ] && grep -q "6.6.6" "$T/out"
}
check_file() {
	case $1 in
	"\$XDG_CACHE_HOME/romflash/")
		in_env "XDG_CACHE_HOME=$T/xc" fetch "$HTTP/$A" && [ -f "$T/xc/romflash/$A" ] &&
			[ -f "$T/xc/romflash/$A.verified" ] && ok ||
			fail "man: $1: not downloaded there: $(head -n 2 "$T/err")" ;;
	"~/.cache/romflash/")
		in_env "" fetch "$HTTP/$A" && [ -f "$HOME/.cache/romflash/$A" ] && ok ||
			fail "man: $1: not downloaded there: $(head -n 2 "$T/err")" ;;
	"\$XDG_CONFIG_HOME/romflash/catalog.txt")
		user_catalog "$T/xcf/romflash/catalog.txt" "XDG_CONFIG_HOME=$T/xcf" && ok ||
			fail "man: $1: its entry is not listed" ;;
	"~/.config/romflash/catalog.txt")
		user_catalog "$HOME/.config/romflash/catalog.txt" "" && ok ||
			fail "man: $1: its entry is not listed" ;;
	"\$XDG_STATE_HOME/romflash/")
		failing_flash "XDG_STATE_HOME=$T/xs"
		ls "$T/xs/romflash/"*.resume >/dev/null 2>&1 && ok || fail "man: $1: no saved progress there" ;;
	"~/.local/state/romflash/")
		failing_flash ""
		ls "$HOME/.local/state/romflash/"*.resume >/dev/null 2>&1 && ok ||
			fail "man: $1: no saved progress there" ;;
	"\$XDG_RUNTIME_DIR/romflash/")
		mkdir -p "$T/xr" # (made by the system at login: romflash makes only its folder)
		image_write "XDG_RUNTIME_DIR=$T/xr"
		[ -f "$T/xr/romflash/MANLOCK$$.lock" ] && ok || fail "man: $1: no lock file there" ;;
	"/tmp/romflash-UID/")
		image_write ""
		_lk="/tmp/romflash-$(id -u)/MANLOCK$$.lock"
		[ -f "$_lk" ] && ok || fail "man: $1: no lock file $_lk"
		rm -f "$_lk" ;;
	"\$XDG_CACHE_HOME/romflash/verified/")
		run 0 "info, a record" info "$PKG" && ls "$XDG_CACHE_HOME/romflash/verified/"* >/dev/null 2>&1 &&
			ok || fail "man: $1: no record made there" ;;
	"~/.cache/romflash/verified/")
		(unset XDG_CACHE_HOME; rf info "$PKG" >/dev/null 2>&1 </dev/null) &&
			ls "$HOME/.cache/romflash/verified/"* >/dev/null 2>&1 && ok ||
			fail "man: $1: no record made there" ;;
	"~/.android/"*)
		# made by the ANDROID_USER_HOME check's run without it: HOME's
		: >"$T/trusted2"
		emu_start K "$T/k" --adb device --auth "$T/trusted2" --auth-accept
		run 0 "adb auth, HOME" -s "$K_DEV" reboot bootloader
		emu_stop K
		[ -s "$HOME/${1#"~/"}" ] && ok || fail "man: $1 was not made" ;;
	/*) [ -e "$T/inst$1" ] && ok || fail "man: $1: make install does not put it there" ;;
	*) fail "man: file $1: no check for it" ;;
	esac
}

while IFS="$(printf '\t')" read -r kind a b; do
	case $kind in
	command) check_command "$a" ;;
	option) check_option "$a" "$b" ;;
	global) check_global "$a" ;;
	mode) check_mode "$a" ;;
	exit) check_exit "$a" ;;
	env) check_env "$a" ;;
	file) check_file "$a" ;;
	esac
done <"$T/claims"
emu_stop E
total=$(wc -l <"$T/claims")
echo "$checked man-page claims checked (of $total read from docs/romflash.1)"
[ "$checked" -eq "$total" ] || fail "$((total - checked)) claims not confirmed"
# the page lists every command romflash has
rf help >"$T/help"
for c in $(sed -n 's/^  \([a-z][a-z_-]*\) .*/\1/p' "$T/help" | sort -u); do
	grep -q "^command	$c	" "$T/claims" ||
		fail "romflash has the command $c; the man page does not list it"
done
lib_finish
