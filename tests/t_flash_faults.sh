#!/bin/sh
# `romflash flash` when things go wrong, and `--resume`.
#
# A fault at every kind of step (flash, crc-flash, erase, oem, boot,
# reboot-bootloader that never comes back, a cable cut mid-download,
# Ctrl-C): exit 1 (130 for Ctrl-C) and a report on stderr naming the failed
# step ("step N/M (flash system) failed"), the completed steps, the phone's
# state and the "to resume: romflash -s ... --resume" command.  That very
# command (run as printed, plus --no-reboot) then completes the flash, on
# the same emulator or a new one on the same state dir, and the partitions
# are byte-identical to an uninterrupted flash of the same package.
# Also: --resume without saved progress, or with another mode -> exit 2.
# Env (tests/run-all): ROMFLASH, ROMFLASH_EMU, ROOT, B.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
. "$ROOT/tests/lib.sh"
lib_init t_flash_faults
need_tool img2simg simg2img

"$MKPKG" --variant modern --order shuffled --size-mb 8 --seed 3 --out "$T/mod" \
	--keep-folder >/dev/null &
"$MKPKG" --variant repartition --order scripts-last --size-mb 8 --seed 4 --out "$T/rep" \
	--keep-folder >/dev/null &
wait
MOD=$(ls "$T"/mod/*.tgz) || { echo "mkpkg modern failed"; exit 1; }
REP=$(ls "$T"/rep/*.tgz) || { echo "mkpkg repartition failed"; exit 1; }
MODDIR=$(pkg_folder "$T/mod")
REPDIR=$(pkg_folder "$T/rep")
REPVARS="board_version=3.0"

# reference NAME PKG DIR MODE [emu options]: an uninterrupted flash into
# $T/ref.NAME, itself checked against the images and the script.
reference() {
	_r=$1 _pkg=$2 _dir=$3 _mode=$4
	shift 4
	f0=$fails
	emu_start REF "$T/ref.$_r" --reboot-delay 100 "$@"
	rf --json -s "$REF_DEV" plan "$_pkg" --mode "$_mode" >"$T/ref.$_r.plan" ||
		fail "ref $_r: plan"
	rf -s "$REF_DEV" flash "$_pkg" --mode "$_mode" --yes --no-reboot \
		>"$T/ref.$_r.out" 2>&1 || fail "ref $_r: $(tail -n 3 "$T/ref.$_r.out")"
	emu_stop REF
	check_flash "$T/ref.$_r" "$_dir" "$T/ref.$_r.plan" --no-reboot
	[ "$fails" -eq "$f0" ]
}

# expect_report NAME RC WANTRC STEP DEV: the failure report on $st.err
expect_report() {
	[ "$2" = "$3" ] || fail "$1: exit $2, want $3: $(cat "$st.err")"
	grep -q "step [0-9]*/[0-9]* ($4) failed" "$st.err" ||
		fail "$1: stderr does not name the step '($4)': $(cat "$st.err")"
	grep -q "completed: " "$st.err" || fail "$1: no completed steps on stderr"
	grep -q "phone: " "$st.err" || fail "$1: no phone state on stderr"
	grep -q "to resume: romflash -s $5 flash .* --resume" "$st.err" ||
		fail "$1: no resume command on stderr"
	ls "$ROMFLASH_STATE_DIR"/*.resume >/dev/null 2>&1 || fail "$1: no progress saved"
}

# run_resume NAME: the command the report printed, run as printed
run_resume() {
	cmd=$(sed -n 's/^.*to resume: romflash //p' "$st.err" | head -n 1)
	[ -n "$cmd" ] || { fail "$1: nothing to resume with"; return; }
	eval "rf $cmd --no-reboot" >"$st.res.out" 2>"$st.res.err"
	rc=$?
	[ $rc = 0 ] || fail "$1: resume exit $rc: $(cat "$st.res.err")"
	grep -q "^Resuming " "$st.res.out" || fail "$1: no 'Resuming' line"
	! ls "$ROMFLASH_STATE_DIR"/*.resume >/dev/null 2>&1 ||
		fail "$1: progress left after the resumed flash completed"
}

# fault NAME STEPLABEL COMMAND MODE PKG REF [emu options]: fail, report,
# resume on the same emulator (it stays up, or comes back by itself as a
# re-plugged phone would), compare.  COMMAND: what the failed step sends;
# the resumed flash must start with it (nothing completed is sent again).
fault() {
	_f=$1 _step=$2 _cmd=$3 _mode=$4 _pkg=$5 _ref=$6
	shift 6
	st="$T/st.$_f"
	rm -rf "$ROMFLASH_STATE_DIR"
	emu_start E "$st" --reboot-delay 100 "$@"
	rf -s "$E_DEV" flash "$_pkg" --mode "$_mode" --yes --no-reboot >"$st.out" 2>"$st.err"
	expect_report "$_f" $? 1 "$_step" "$E_DEV"
	emu_wait_online "$st" 3 || fail "$_f: the phone did not come back"
	nb=$(wc -l <"$st/commands.log")
	run_resume "$_f"
	first=$(tail -n +$((nb + 1)) "$st/commands.log" |
		grep -E '^(flash|erase|oem|boot|reboot|set_active)' | head -n 1)
	[ "$first" = "$_cmd" ] ||
		fail "$_f: the resumed flash started with '$first', not '$_cmd'"
	emu_stop E
	same_partitions "$T/ref.$_ref" "$st"
}

# --- the repartition variant in the background (its script sleeps 5 s
# after reboot-bootloader) ----------------------------------------------------
# The phone never comes back from reboot-bootloader (--wait 3); a new
# emulator process on the same state dir and port resumes; there `boot`
# fails, and a second resume completes.
rep_noreturn() {
	st="$T/st.noreturn"
	emu_start E "$st" --reboot-delay 100 --no-return --vars "$REPVARS"
	port=$E_PORT dev=$E_DEV
	rf -s "$dev" flash "$REP" --wait 3 --no-reboot >"$st.out" 2>"$st.err"
	expect_report noreturn $? 1 reboot-bootloader "$dev"
	grep -q "did not come back in fastboot mode within 3 s" "$st.err" ||
		fail "noreturn: phone state"
	emu_wait_gone E 3 || fail "noreturn: the emulator did not end"
	emu_start E "$st" --port "$port" --reboot-delay 100 --vars "$REPVARS" --fail boot
	# without --no-reboot, so that the boot step runs (and fails)
	cmd=$(sed -n 's/^.*to resume: romflash //p' "$st.err" | head -n 1 | sed 's/ --no-reboot//')
	eval "rf $cmd" >"$st.out2" 2>"$st.err"
	expect_report "noreturn+boot" $? 1 boot "$dev"
	run_resume noreturn
	emu_stop E
	[ "$fails" -eq 0 ]
}
job ref-rep reference rep "$REP" "$REPDIR" keep-data --vars "$REPVARS"
job noreturn rep_noreturn

# --- modern: every other kind of step ----------------------------------------
reference mod "$MOD" "$MODDIR" keep-data --vars crc=1 --max-download 0x200000 || :
reference modlock "$MOD" "$MODDIR" lock --vars crc=1 || :

fault system "flash system" flash:system keep-data "$MOD" mod --vars crc=1 --max-download 0x200000 --fail flash:system
fault erase "erase boot" erase:boot keep-data "$MOD" mod --vars crc=1 --fail erase:boot
fault crc "crc-flash crclist" flash:crclist keep-data "$MOD" mod --vars crc=1 --fail flash:crclist
fault oem "oem lock" "oem lock" lock "$MOD" modlock --vars crc=1 --fail "oem lock"
fault aboot "flash aboot" flash:aboot keep-data "$MOD" mod --vars crc=1 --fail flash:aboot
grep -q "do NOT unplug" "$T/st.aboot.err" || fail "aboot: no bootloader warning"

# a cable cut in the middle of the system image's download
cut=$(python3 - "$T/ref.mod.plan" <<'EOF'
import json, sys
n = 0
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("event") != "step":
        continue
    if e["op"] == "flash" and e["partition"] == "system":
        print(n + e["size"] // 2)
        break
    if e["op"] == "flash" or (e["op"] == "crc-flash" and e.get("phone") == "yes"):
        n += e["size"]
EOF
)
fault cut "flash system" flash:system keep-data "$MOD" mod --vars crc=1 --cut-after "$cut"
grep -qi "link\|connection\|disconnect" "$T/st.cut.err" || fail "cut: no word of the lost link"

# --resume with another mode: refused, nothing more written
st="$T/st.othermode"
rm -rf "$ROMFLASH_STATE_DIR"
emu_start E "$st" --vars crc=1 --fail flash:system
rf -s "$E_DEV" flash "$MOD" --no-reboot >"$st.out" 2>"$st.err"
expect_report othermode $? 1 "flash system" "$E_DEV"
grep -vE '^getvar' "$st/commands.log" >"$st.before"
rf -s "$E_DEV" flash "$MOD" --mode clean --yes --resume --no-reboot >"$st.out2" 2>"$st.err2"
rc=$?
[ $rc = 2 ] || fail "resume with another mode: exit $rc, want 2: $(cat "$st.err2")"
grep -vE '^getvar' "$st/commands.log" | cmp -s - "$st.before" ||
	fail "resume with another mode wrote to the phone"
ls "$ROMFLASH_STATE_DIR"/*.resume >/dev/null 2>&1 || fail "othermode: the saved progress is gone"
emu_stop E

# --resume with no saved progress
st="$T/st.noprogress"
rm -rf "$ROMFLASH_STATE_DIR"
emu_start E "$st"
rf -s "$E_DEV" flash "$MOD" --resume --no-reboot >"$st.out" 2>"$st.err"
rc=$?
[ $rc = 2 ] || fail "resume without progress: exit $rc, want 2: $(cat "$st.err")"
emu_stop E
no_writes "$st"

# interrupt NAME PKG DELAY: flash PKG into the emulator E on $st, SIGINT
# DELAY seconds after flash:logo (a watchdog in case it hangs); expects 130,
# saved progress and the resume command on stderr
interrupt() {
	"$ROMFLASH" -s "$E_DEV" flash "$2" --no-reboot >"$st.out" 2>"$st.err" &
	pid=$!
	i=0
	while ! grep -q '^flash:logo' "$st/commands.log" 2>/dev/null && [ $i -lt 400 ] &&
		kill -0 $pid 2>/dev/null; do
		sleep 0.05
		i=$((i + 1))
	done
	sleep "$3"
	sigint_wait $pid "$1"
	rc=$?
	[ $rc = 130 ] || fail "$1: exit $rc, want 130: $(cat "$st.err")"
	ls "$ROMFLASH_STATE_DIR"/*.resume >/dev/null 2>&1 || fail "$1: no progress saved"
	grep -q "to resume: romflash -s $E_DEV flash .* --resume" "$st.err" ||
		fail "$1: no resume command on stderr: $(cat "$st.err")"
}

# Ctrl-C: SIGINT in the middle of a throttled flash -> 130, progress saved;
# early in the system image's first 2 MiB piece (the throttle makes it take
# 0.4 s)
st="$T/st.sigint"
rm -rf "$ROMFLASH_STATE_DIR"
emu_start E "$st" --vars crc=1 --max-download 0x200000 --throttle 5
interrupt sigint "$MOD" 0.1
run_resume sigint
emu_stop E
same_partitions "$T/ref.mod" "$st"

# Ctrl-C in the middle of one download larger than the read-ahead (system,
# ~24 MB in one download at 4 MB/s): that download is finished (the
# bootloader would take anything else for image data), not flashed, then
# exit 130; the resumed flash starts with it again.
"$MKPKG" --variant modern --order scripts-first --size-mb 40 --seed 5 --out "$T/big" \
	>/dev/null || fail "mkpkg big"
BIG=$(ls "$T"/big/*.tgz)
st="$T/st.sigbig"
rm -rf "$ROMFLASH_STATE_DIR"
emu_start E "$st" --throttle 4
interrupt sigbig "$BIG" 0.3
tail -n 1 "$st/commands.log" | grep -q '^download:' ||
	fail "sigbig: the last command was not the system download: $(tail -n 2 "$st/commands.log")"
! grep -q 'flash:system' "$st/commands.log" || fail "sigbig: system was flashed"
# the emulator serves one host at a time: this runs once it has taken in
# everything romflash sent and seen it hang up
rf -s "$E_DEV" getvar product >/dev/null 2>&1 || fail "sigbig: the phone does not answer"
! grep -q 'mid-download' "$st.emu.log" ||
	fail "sigbig: romflash left a download unfinished: $(cat "$st.emu.log")"
nb=$(wc -l <"$st/commands.log")
# resume at full speed: the same phone (state, port) without the throttle
port=$E_PORT
emu_stop E
emu_start E "$st" --port "$port"
run_resume sigbig
first=$(tail -n +$((nb + 1)) "$st/commands.log" | grep -E '^flash' | head -n 1)
[ "$first" = "flash:system" ] || fail "sigbig: resumed with '$first', not flash:system"
emu_stop E

wait_jobs
same_partitions "$T/ref.rep" "$T/st.noreturn"
lib_finish
