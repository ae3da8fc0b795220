#!/bin/sh
# Failure reports tell what happened (SPEC rule 4), for three faults whose
# report once told another story (the emulator's --fault, docs/emulator.md):
#
#   rbl-garbage  a reply to reboot-bootloader that is not fastboot: quoted in
#                the phone's state, "cannot tell whether it restarts", the
#                resume line; never "the link dropped"
#   dl-stall     the phone stops taking the data of system.img part-way: "the
#                phone stopped taking data after X of Y bytes of
#                images/system.img (10 s without progress)" with X < Y,
#                "'flash:system' was not sent, so nothing of system was
#                written", the resume line, exit 1; the partition untouched
#   sl-cut       the link gone after 2 blocks of a sideload: one error line
#                with the blocks and bytes sent and what it means
#
# Every run is made with --json: stderr carries the human report, stdout the
# events, and both are checked (the failure event's error and state fields,
# the sideload's single error event).
# Env (tests/run-all): ROMFLASH, ROMFLASH_EMU, ROOT, B.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
. "$ROOT/tests/lib.sh"
lib_init t_fail_reports
HOME="$T/home"
export HOME
unset ANDROID_USER_HOME
mkdir -p "$HOME"

# has NAME FILE TEXT: FILE contains TEXT (fixed string)
has() {
	grep -qF -- "$3" "$2" || fail "$1: no '$3' in: $(cat "$2")"
}
# json_check NAME FILE PYTHON: PYTHON (a function body over `ev`, the list
# of events) prints what is wrong; nothing printed: right
json_check() {
	_bad=$(python3 - "$2" "$3" <<'EOF'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
exec(sys.argv[2])
EOF
) || _bad="python failed: $_bad"
	[ -z "$_bad" ] || fail "$1: $_bad"
}

"$MKPKG" --variant repartition --order scripts-first --size-mb 3 --seed 32 --out "$T/rep" \
	--keep-folder >/dev/null &
"$MKPKG" --variant modern --size-mb 16 --seed 33 --out "$T/big" --keep-folder >/dev/null &
python3 "$ROOT/tests/fixtures/mkzip" --out "$T/zip" --key "$T/keys" --size-mb 1.2 \
	>"$T/zip.out" &
wait
REP=$(ls "$T"/rep/*.tgz) || { echo "mkpkg repartition failed"; exit 1; }
BIG=$(ls "$T"/big/*.tgz) || { echo "mkpkg modern failed"; exit 1; }
ZIP=$(sed -n 1p "$T/zip.out")
[ -f "$ZIP" ] || { echo "mkzip failed"; exit 1; }

# flash NAME PKG WANTRC [emu options]: a --json flash; $T/NAME.out, .err
flash() {
	_c=$1 _pkg=$2 _want=$3
	shift 3
	rm -rf "$ROMFLASH_STATE_DIR"
	emu_start E "$T/$_c" --reboot-delay 100 "$@"
	rf --json -s "$E_DEV" flash "$_pkg" --mode keep-data --yes --no-reboot --wait 3 \
		>"$T/$_c.out" 2>"$T/$_c.err"
	_rc=$?
	emu_stop E
	[ "$_rc" = "$_want" ] || fail "$_c: exit $_rc, want $_want: $(cat "$T/$_c.err")"
}

# ---- rbl-garbage -------------------------------------------------------------
flash rbl-garbage "$REP" 1 --vars "board_version=3.0" --fault garbage@reboot-bootloader
# shellcheck disable=SC1003 # the backslashes are the quoted bytes
Q='"\xfe\xffGARBAGE\x01"'
has rbl-garbage "$T/rbl-garbage.err" "(reboot-bootloader) failed: garbage reply to 'reboot-bootloader': $Q"
has rbl-garbage "$T/rbl-garbage.err" "phone: the phone answered $Q to 'reboot-bootloader', which is not fastboot: romflash cannot tell whether it restarts"
has rbl-garbage "$T/rbl-garbage.err" "to resume: romflash -s $E_DEV flash $REP --no-reboot --resume"
! grep -q "link dropped" "$T/rbl-garbage.err" || fail "rbl-garbage: told as a dropped link"
json_check rbl-garbage "$T/rbl-garbage.out" '
f = [e for e in ev if e["event"] == "failure"]
q = "\"\\xfe\\xffGARBAGE\\x01\""
if len(f) != 1: print("failure events:", len(f))
else:
    f = f[0]
    if f.get("op") != "reboot-bootloader": print("op", f.get("op"))
    if q not in f.get("state", "") or "cannot tell whether it restarts" not in f["state"]:
        print("state", f.get("state"))
    if q not in f.get("error", ""): print("error", f.get("error"))
    if "--resume" not in f.get("resume", ""): print("resume", f.get("resume"))
    if f.get("exit") != 1: print("exit", f.get("exit"))
'

# ---- dl-stall ----------------------------------------------------------------
# the download of system.img: from an uninterrupted flash's commands
emu_start R "$T/ref"
rf -s "$R_DEV" flash "$BIG" --mode keep-data --yes --no-reboot >"$T/ref.out" 2>&1 ||
	fail "ref: $(tail -n 3 "$T/ref.out")"
emu_stop R
N=$(awk '/^download:/ { n++ } $0 == "flash:system" { print n; exit }' "$T/ref/commands.log")
SYS="$(pkg_folder "$T/big")/images/system.img"
Y=$(stat -c %s "$SYS")
[ -n "$N" ] || { echo "no system download in the reference"; exit 1; }
# 1 MB in: past what the sockets of both ends hold, the rest of the image
# (megabytes) never leaves romflash
flash dl-stall "$BIG" 1 --fault "stall@download#$N+1000000"
X=$(sed -n "s/^.*the phone stopped taking data after \([0-9]*\) of $Y bytes of images\/system.img (10 s without progress).*$/\1/p" "$T/dl-stall.err" | head -n 1)
if [ -z "$X" ]; then
	fail "dl-stall: no 'stopped taking data after X of $Y bytes of images/system.img (10 s without progress)' in: $(cat "$T/dl-stall.err")"
elif [ "$X" -lt 1000000 ] || [ "$X" -ge "$Y" ]; then
	fail "dl-stall: X=$X, want 1000000 <= X < $Y"
fi
has dl-stall "$T/dl-stall.err" "phone: 'flash:system' was not sent, so nothing of system was written"
has dl-stall "$T/dl-stall.err" "to resume: romflash -s $E_DEV flash $BIG --no-reboot --resume"
grep -q "^flash:system" "$T/dl-stall/commands.log" && fail "dl-stall: flash:system was sent"
[ -s "$T/dl-stall/system.img" ] && fail "dl-stall: system was written"
json_check dl-stall "$T/dl-stall.out" "
f = [e for e in ev if e['event'] == 'failure']
if len(f) != 1: print('failure events:', len(f))
else:
    f = f[0]
    if f.get('partition') != 'system' or f.get('size') != $Y: print('step', f)
    if 'stopped taking data after $X of $Y bytes of images/system.img' not in f.get('error', ''):
        print('error', f.get('error'))
    if \"'flash:system' was not sent, so nothing of system was written\" not in f.get('state', ''):
        print('state', f.get('state'))
    if '--resume' not in f.get('resume', ''): print('resume', f.get('resume'))
    if f.get('exit') != 1: print('exit', f.get('exit'))
"

# ---- sl-cut ------------------------------------------------------------------
ZS=$(stat -c %s "$ZIP")
emu_start P "$T/sl" --adb sideload --fault cut@block#3
rf --json -s "$P_DEV" sideload "$ZIP" --wait 5 >"$T/sl.out" 2>"$T/sl.err" </dev/null
rc=$?
emu_stop P
[ "$rc" = 1 ] || fail "sl-cut: exit $rc, want 1: $(cat "$T/sl.err")"
[ "$(grep -c '^romflash: error:' "$T/sl.err")" = 1 ] ||
	fail "sl-cut: not one error line: $(cat "$T/sl.err")"
has sl-cut "$T/sl.err" "the link to the phone was lost ("
has sl-cut "$T/sl.err" "after 2 blocks of the zip were sent (128 KiB of 1.2 MiB, 131072 of $ZS bytes): recovery did not get the whole package and may have stopped installing"
has sl-cut "$T/sl.err" "reconnect it, choose \"Apply update from ADB\" and run the same command again"
json_check sl-cut "$T/sl.out" "
e = [x for x in ev if x['event'] == 'error']
f = [x for x in ev if x['event'] == 'step_failed']
if len(e) != 1: print('error events:', [x['message'] for x in e])
elif 'after 2 blocks of the zip were sent (128 KiB of 1.2 MiB, 131072 of $ZS bytes)' not in e[0]['message']:
    print('message', e[0]['message'])
if len(f) != 1 or f[0].get('blocks') != 2 or f[0].get('unique') != 131072: print('step_failed', f)
"
lib_finish
