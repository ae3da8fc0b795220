#!/bin/sh
# The command line as people type it (issue 14): global options anywhere
# give the same result as before the command; help, help COMMAND, COMMAND
# --help and -h (the same text, on stdout, exit 0, every line within 80
# columns, every command and its options named); "did you mean" for near
# misses; MiFlash's mode names; --md5 that is not an MD5 is a usage error
# (2) for every command that takes one; the single fastboot operations
# (getvar all, oem, flashing, boot, continue, set_active, reboot to each
# target) with the SPEC's exit statuses; a wipe or a relock refused
# without --yes before the package is read (a FIFO as the package: a read
# would hang) or anything is sent, and asked on a terminal.
# Env (tests/run-all): ROMFLASH, ROMFLASH_EMU, ROOT, B.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
. "$ROOT/tests/lib.sh"
lib_init t_cli_args

# r STATUS NAME ARGS...: romflash ARGS must exit STATUS; stdout in $T/out,
# stderr in $T/err
r() {
	_want=$1 _name=$2
	shift 2
	rf "$@" >"$T/out" 2>"$T/err" </dev/null
	_rc=$?
	if [ "$_rc" -ne "$_want" ]; then
		fail "$_name: exit $_rc, want $_want: romflash $* -- $(head -n 3 "$T/err")"
		return 1
	fi
	return 0
}
# said PATTERN NAME: stderr matches the extended regex
said() { grep -Eq -- "$1" "$T/err" || fail "$2: stderr does not say /$1/: $(head -n 3 "$T/err")"; }
# wide FILE NAME: no line longer than 80 columns
wide() {
	awk -v n="$2" 'length($0) > 80 { printf "FAIL: %s: %d columns: %s\n", n, length($0), $0; bad = 1 }
		END { exit bad }' "$1" || fails=$((fails + 1))
}

"$MKPKG" --variant modern --order scripts-first --size-mb 4 --seed 41 --out "$T/pkg" >/dev/null ||
	{ echo "mkpkg failed"; exit 1; }
PKG=$(ls "$T"/pkg/*.tgz)

# ---- help: within 80 columns, the same whichever way it is asked -------------
r 0 "help" help && wide "$T/out" "romflash help"
[ -s "$T/out" ] || fail "help printed nothing on stdout"
cp "$T/out" "$T/help"
r 0 "--help" --help && cmp -s "$T/out" "$T/help" || fail "--help differs from help"
r 0 "-h" -h && cmp -s "$T/out" "$T/help" || fail "-h differs from help"
cmds=$(sed -n 's/^  \([a-z][a-z_-]*\) .*/\1/p' "$T/help" | sort -u)
[ "$(echo "$cmds" | wc -w)" -ge 17 ] || fail "help lists $(echo "$cmds" | wc -w) commands: $cmds"
for c in $cmds; do
	r 0 "help $c" help "$c" || continue
	wide "$T/out" "help $c"
	grep -q "^usage: romflash $c" "$T/out" || fail "help $c: no usage line: $(head -n 1 "$T/out")"
	cp "$T/out" "$T/help.$c"
	r 0 "$c --help" "$c" --help && cmp -s "$T/out" "$T/help.$c" || fail "$c --help differs from help $c"
	r 0 "$c -h" -q "$c" -h && cmp -s "$T/out" "$T/help.$c" || fail "-q $c -h differs from help $c"
done
# every long option of a command's source is in its help
for f in "$ROOT"/flasher/cli/cmd_*.c; do
	for o in $(sed -n 's/.*{ "\([a-z][a-z0-9-]*\)", \(no\|required\)_argument.*/\1/p' "$f"); do
		grep -q -- "--$o\b" "$T"/help.* || fail "option --$o ($(basename "$f")) is in no command's help"
	done
done
r 2 "help nosuch" help nosuch && said "no command 'nosuch'" "help nosuch"

# ---- near misses ------------------------------------------------------------
r 2 "flahs" flahs && said "did you mean 'flash'" "flahs"
r 2 "getvars" getvars product && said "did you mean 'getvar'" "getvars"
r 2 "flash PART FILE" flash boot boot.img && said "romflash flash-image boot boot.img" "flash PART FILE"
r 2 "--mdoe" plan "$PKG" --mdoe clean && said "did you mean --mode" "--mdoe"
r 2 "--jsno" --jsno devices && said "did you mean --json" "--jsno"
r 2 "clean al" plan "$PKG" --mode "clean al" && said "did you mean 'clean all'" "clean al"
r 2 "reboot bootlaoder" reboot bootlaoder && said "did you mean 'bootloader'" "reboot bootlaoder"
r 2 "flashing unlok" flashing unlok && said "did you mean 'unlock'" "flashing unlok"
r 2 "command option before the command" --mode clean plan "$PKG" &&
	said "not a global option" "command option before the command"
r 2 "-v -q" getvar product -v -q && said "exclude each other" "-v -q anywhere"

# ---- --md5 that is not an MD5: usage (2), before anything is read -----------
for c in plan info flash sideload fetch; do
	r 2 "$c --md5 xyz" "$c" "$PKG" --md5 xyz && said "32 hex digits" "$c --md5 xyz"
	grep -q "Checking" "$T/out" && fail "$c --md5 xyz read the package first"
done

# ---- MiFlash's mode names ---------------------------------------------------
for m in "keep-data:save user data" "clean:clean all" "lock:clean all and lock" "clean:Clean_All"; do
	r 0 "--mode ${m#*:}" --json plan "$PKG" --mode "${m#*:}" || continue
	tail -n 1 "$T/out" | grep -q "\"mode\":\"${m%%:*}\"" ||
		fail "--mode '${m#*:}' is not ${m%%:*}: $(tail -n 1 "$T/out")"
done
r 0 "plan --mode lock" plan "$PKG" --mode lock
head -n 1 "$T/out" | grep -q "^WARNING: this flash ERASES ALL USER DATA" ||
	fail "plan --mode lock: the wipe is not its first line: $(head -n 1 "$T/out")"
tr '\n' ' ' <"$T/out" | grep -q "RELOCKS THE BOOTLOADER: a relocked phone refuses unofficial images" ||
	fail "plan --mode lock does not say what a relock means"
grep -q 'MiFlash: "clean all and lock"' "$T/out" || fail "plan: MiFlash's name not shown"
grep -q "ERASES user data, RELOCKS the bootloader" "$T/out" || fail "plan: the oem lock step is not marked"
# the plan table within 80 columns (the package's path, one word, may not be)
grep -v "^Package" "$T/out" >"$T/plan.txt"
wide "$T/plan.txt" "plan table"
r 0 "plan keep-data" plan "$PKG"
r 0 "catalog" catalog && wide "$T/out" "catalog table"
grep -q "^          cancro_global_images_7.3.23_" "$T/out" || fail "catalog: no package name under its row"
grep -q "WARNING" "$T/out" && fail "plan keep-data warns of a wipe"

# ---- options before and after the command: the same result ----------------
emu_start E "$T/e" --reboot-delay 200
S=$E_DEV
same() { # NAME ARGS1 -- ARGS2: same exit status and stdout
	_n=$1
	shift
	_a="" _b=""
	while [ "$1" != -- ]; do _a="$_a $1"; shift; done
	shift
	# (the arguments hold no blanks)
	# shellcheck disable=SC2086
	rf $_a >"$T/same.a" 2>/dev/null </dev/null
	_ra=$?
	# shellcheck disable=SC2086
	rf "$@" >"$T/same.b" 2>/dev/null </dev/null
	_rb=$?
	if [ $_ra -ne $_rb ] || ! cmp -s "$T/same.a" "$T/same.b"; then
		fail "$_n: 'romflash$_a' (exit $_ra) and 'romflash $*' (exit $_rb) differ"
		diff "$T/same.a" "$T/same.b" | head -n 5
	fi
}
# with a phone, keep-data (the longest script name): its answers within 80
# columns too
r 0 "plan with a phone" -s "$S" plan "$PKG"
grep -q 'says "MSM8974"' "$T/out" || fail "plan with a phone: no answer shown"
grep -v "^Package" "$T/out" >"$T/plan.txt"
wide "$T/plan.txt" "plan table with a phone"
same "-s" -s "$S" getvar product -- getvar product -s "$S"
same "-s in the middle" -s "$S" getvar product -- getvar -s "$S" product
same "-s attached" -s "$S" getvar product -- getvar product "-s$S"
same "--json" --json -s "$S" getvar product -- getvar product --json -s "$S"
same "-q" -q -s "$S" getvar serialno -- -s "$S" getvar serialno -q
same "devices --json" --json -s "$S" devices -- devices -s "$S" --json
same "plan --json" --json plan "$PKG" --mode clean -- plan "$PKG" --mode clean --json
same "plan -s" -s "$S" --json plan "$PKG" -- plan "$PKG" --json -s "$S"
same "-v" -v catalog -- catalog -v
same "info" --json info "$PKG" -- info "$PKG" --json
# read before (plan, info above): from its record, said on a line of its own
r 0 "info from a record" info "$PKG"
grep -qx "          when this very file was first read whole (its verification record)" "$T/out" ||
	fail "info: the record is not said: $(grep -A1 '^MD5' "$T/out")"
r 0 "-q getvar product" getvar product -q -s "$S"
[ "$(cat "$T/out")" = "product: MSM8974" ] || fail "-q getvar product: '$(cat "$T/out")'"

# ---- the single fastboot operations -----------------------------------------
r 0 "getvar all" -s "$S" getvar all
grep -qx "product: MSM8974" "$T/out" && grep -qx "serialno: EMU0001" "$T/out" &&
	grep -qx "version-bootloader: cancro-LK-1.0" "$T/out" || fail "getvar all: $(cat "$T/out")"
r 0 "oem device-info" -s "$S" oem device-info
grep -qx "(bootloader) Device unlocked: true" "$T/out" || fail "oem device-info: $(cat "$T/out")"
r 0 "-q oem device-info" -q -s "$S" oem device-info
grep -qx "(bootloader) Device unlocked: true" "$T/out" || fail "-q hides oem device-info's answer"
r 2 "oem lock without --yes" -s "$S" oem lock && said "--yes" "oem lock without --yes"
grep -q "^oem lock" "$T/e/commands.log" && fail "oem lock was sent without --yes"
r 0 "oem lock --yes" -s "$S" oem lock --yes && said "RELOCKS THE BOOTLOADER" "oem lock --yes"
r 0 "oem device-info after the lock" -s "$S" oem device-info
grep -qx "(bootloader) Device unlocked: false" "$T/out" || fail "oem lock did not lock: $(cat "$T/out")"
r 2 "flashing unlock without --yes" -s "$S" flashing unlock
r 0 "flashing unlock --yes" -s "$S" flashing unlock --yes
grep -qx "flashing unlock" "$T/e/commands.log" || fail "flashing unlock not sent"
r 0 "set_active a" -s "$S" set_active a
r 0 "set_active _b" -s "$S" set_active _b
grep -qx "set_active:b" "$T/e/commands.log" || fail "set_active _b sent as: $(tail -n 1 "$T/e/commands.log")"
r 2 "set_active c" -s "$S" set_active c
head -c 100000 /dev/urandom >"$T/boot.img"
r 0 "boot IMAGE" -s "$S" boot "$T/boot.img"
grep -q "boot  OK  sent 98 KiB in .* s, started in .* s$" "$T/out" && ! grep -q "written in" "$T/out" ||
	fail "boot: as if written: $(cat "$T/out")"
tail -n 2 "$T/e/commands.log" | tr '\n' ' ' | grep -q "download:000186a0 boot" ||
	fail "boot: $(tail -n 2 "$T/e/commands.log" | tr '\n' ' ')"
r 1 "reboot recovery on LK" -s "$S" reboot recovery &&
	said "cannot restart into recovery.*Volume-Up" "reboot recovery"
grep -q "^reboot-recovery" "$T/e/commands.log" && grep -q "^oem reboot-recovery" "$T/e/commands.log" ||
	fail "reboot recovery did not try both: $(tail -n 3 "$T/e/commands.log" | tr '\n' ' ')"
r 1 "reboot sideload in fastboot mode" -s "$S" reboot sideload &&
	said "fastboot mode, whose bootloader cannot start sideload.*Volume-Up.*Apply update from ADB" \
		"reboot sideload"
r 0 "reboot-bootloader (fastboot's name)" -s "$S" reboot-bootloader
[ "$(tail -n 1 "$T/e/commands.log")" = reboot-bootloader ] || fail "reboot-bootloader not sent"
emu_wait_online "$T/e" 10 || fail "the phone did not come back"
r 0 "continue" -s "$S" continue
emu_wait_gone E 5 || fail "continue: the phone stayed"
# no phone: 4 for every single operation
CLOSED=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
for op in "getvar all" "oem device-info" "flashing get_unlock_ability" "set_active a" \
	"continue" "boot $T/boot.img" "erase cache" "reboot bootloader"; do
	# shellcheck disable=SC2086
	r 4 "$op, no phone" --wait 0 -s "tcp:127.0.0.1:$CLOSED" $op
done

# ---- a wipe refused before the package is read ------------------------------
# the package is a FIFO: reading it would hang (rf: timeout, exit 124)
mkfifo "$T/cancro_global_images_7.12.8_20171208.0000.00_6.0_global_0123456789.tgz"
FIFO="$T/cancro_global_images_7.12.8_20171208.0000.00_6.0_global_0123456789.tgz"
emu_start W "$T/w"
t0=$(date +%s%N)
r 2 "flash --mode clean, no terminal, no --yes" -s "$W_DEV" flash "$FIFO" --mode clean
t1=$(date +%s%N)
said "--mode clean ERASES all user data: confirm with --yes.*nothing was read or written" "flash --mode clean without --yes"
[ $(((t1 - t0) / 1000000)) -lt 5000 ] || fail "the refusal took $(((t1 - t0) / 1000000)) ms"
r 2 "the same with MiFlash's name, --json" --json -s "$W_DEV" flash "$FIFO" --mode "clean all and lock"
head -n 1 "$T/out" | grep -q '"event":"effects".*"erases_user_data":true,"relocks_bootloader":true' ||
	fail "flash --json: effects not first: $(head -n 1 "$T/out")"
r 2 "a real package too" -s "$W_DEV" flash "$PKG" --mode lock
grep -q "Checking" "$T/out" && fail "flash --mode lock without --yes read the package"
[ -s "$T/w/commands.log" ] && fail "the phone was asked: $(tr '\n' ' ' <"$T/w/commands.log")"
# on a terminal: asked, after the phone is found, before the package is read
python3 - "$ROMFLASH" "$W_DEV" "$FIFO" >"$T/pty.out" 2>&1 <<'EOF' || fail "the question on a terminal: $(cat "$T/pty.out")"
import os, pty, select, sys
rf, dev, pkg = sys.argv[1:4]
pid, fd = pty.fork()
if pid == 0:
    os.execv(rf, [rf, "-s", dev, "flash", pkg, "--mode", "clean"])
out, answered = b"", False
while True:
    r, _, _ = select.select([fd], [], [], 20)
    if not r:
        print("no question within 20 s; got %r" % out)
        os.kill(pid, 9)
        sys.exit(1)
    try:
        d = os.read(fd, 4096)
    except OSError:
        break
    if not d:
        break
    out += d
    if not answered and b"Type yes to go on:" in out:
        os.write(fd, b"no\n")
        answered = True
_, st = os.waitpid(pid, 0)
text = out.decode(errors="replace")
ok = answered and os.WEXITSTATUS(st) == 2 and "ERASES ALL USER DATA" in text and \
    "not confirmed; nothing was written" in text and "Checking" not in text
print(text)
sys.exit(0 if ok else 1)
EOF
grep -q "EMU0001\|$W_DEV" "$T/pty.out" || fail "the question does not name the phone: $(cat "$T/pty.out")"

lib_finish
