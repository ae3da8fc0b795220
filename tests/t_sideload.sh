#!/bin/sh
# `romflash sideload` end to end over adb's TCP transport into the emulated
# recovery (romflash-emu --adb): the zip the phone reassembles from the
# blocks it asked for must be the original, byte for byte, for every
# request order, old and new adb, AUTH, the legacy service; and every
# refusal must leave the phone untouched:
#   wrong device -> 4, corrupt zip / MD5 mismatch / broken signature -> 3,
#   a cut link and FAILFAIL -> 1 with what to do next.
# Phones booted into Android: moved to sideload by `sideload` (through
# recovery: a retail build refuses reboot:sideload) and to fastboot by
# `flash`, after asking (--yes).  Also `devices`, `reboot` and --json.
# Env (tests/run-all): ROMFLASH, ROMFLASH_EMU, ROOT, B.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
. "$ROOT/tests/lib.sh"
lib_init t_sideload

if ! command -v openssl >/dev/null || ! command -v python3 >/dev/null; then
	[ "${CI:-}" = true ] && { echo "FAIL: openssl/python3 missing"; exit 1; }
	echo "SKIP: openssl or python3 missing (tools/deps.sh)"
	exit 0
fi
# a home of our own: the adb key romflash makes must not be the user's
HOME="$T/home"
export HOME
unset ANDROID_USER_HOME
mkdir -p "$HOME"

MKZIP="$ROOT/tests/fixtures/mkzip"
# mkzip NAME [options]: a zip in $T/NAME/; its path in ZIP, its MD5 in ZMD5
mkzip() {
	_n=$1
	shift
	python3 "$MKZIP" --out "$T/$_n" --key "$T/keys" --size-mb 2.3 "$@" >"$T/$_n.out" ||
		{ echo "mkzip $*: failed"; exit 1; }
	ZIP=$(sed -n 1p "$T/$_n.out")
	ZMD5=$(sed -n 2p "$T/$_n.out")
}

# sl LABEL EXPECT [romflash args...] -- [emulator args...]: a fresh phone in
# sideload mode (unless the emulator args say otherwise), romflash sideload
# $ZIP; checks the exit status; leaves the output in $T/LABEL.{out,err} and
# the phone's state in $T/LABEL.
sl() {
	label=$1 want=$2
	shift 2
	rfa=""
	while [ $# -gt 0 ] && [ "$1" != -- ]; do rfa="$rfa $1"; shift; done
	[ $# -gt 0 ] && shift
	st="$T/$label"
	case " $* " in *" --adb "*) ;; *) set -- --adb sideload "$@" ;; esac
	emu_start P "$st" --reboot-delay 100 "$@"
	# shellcheck disable=SC2086 # rfa is a word list
	rf -s "$P_DEV" sideload "$ZIP" --wait 5 $rfa >"$st.out" 2>"$st.err" </dev/null
	rc=$?
	emu_stop P
	[ "$rc" -eq "$want" ] || fail "$label: exit $rc, expected $want: $(tail -n 3 "$st.err")"
}

same() { cmp -s "$ZIP" "$T/$1/sideload.zip" || fail "$1: the phone's copy differs from $ZIP"; }
nothing_sent() {
	if grep -q '^OPEN sideload' "$T/$1/adb.log" 2>/dev/null; then
		fail "$1: a sideload was opened: $(grep OPEN "$T/$1/adb.log" | tr '\n' ' ')"
	fi
	[ ! -e "$T/$1/sideload.zip" ] || fail "$1: the phone got data"
}
said() { grep -q -- "$2" "$T/$1.err" "$T/$1.out" || fail "$1: no \"$2\" in: $(tail -n 3 "$T/$1.err")"; }

mkzip good
GOOD=$ZIP

# ---- every order, old and new adb ------------------------------------------
sl seq 0 -- --order seq
same seq
sl tail_old 0 -- --order tail --adb-old
same tail_old
sl random 0 -- --order random --seed 3 --passes 2
same random
said random "Done: the phone installed 7.12.8"
# repeats were served, counted once: more blocks than the package has
blocks=$(grep -c '^block ' "$T/random/sideload.log")
[ "$blocks" -gt 74 ] || fail "random: only $blocks requests"
sl random_old 0 -- --order random --seed 9 --adb-old
same random_old

# ---- legacy (pre-KitKat) ---------------------------------------------------
sl legacy 0 -- --legacy
same legacy
said legacy "legacy sideload"
grep -q '^OPEN sideload-host.* refused' "$T/legacy/adb.log" || fail "legacy: sideload-host not tried first"

# ---- AUTH -------------------------------------------------------------------
: >"$T/trusted"
sl auth_prompt 1 --wait 1 -- --auth "$T/trusted"
said auth_prompt "Allow USB debugging"
said auth_prompt "did not accept"
nothing_sent auth_prompt
[ -s "$HOME/.android/adbkey" ] && [ -s "$HOME/.android/adbkey.pub" ] || fail "no adb key made"
sl auth_allow 0 -- --auth "$T/trusted" --auth-accept
same auth_allow
grep -q 'key accepted by the user' "$T/auth_allow/adb.log" || fail "auth_allow: no prompt"
sl auth_known 0 -- --auth "$T/trusted" --adb-old
same auth_known
grep -q 'signature accepted' "$T/auth_known/adb.log" || fail "auth_known: signature not used"

# ---- refusals: nothing sent --------------------------------------------------
sl wrong_phone 4 -- --adb-device virgo
said wrong_phone "wrong phone"
nothing_sent wrong_phone
mkzip virgo --device virgo
sl wrong_zip 4
nothing_sent wrong_zip

ZIP="$T/corrupt.zip"
head -c 1000000 "$GOOD" >"$ZIP"
sl corrupt 3
said corrupt "end-of-central-directory"
nothing_sent corrupt

mkzip badmd5 --bad-md5
sl md5_name 3
said md5_name "MD5 mismatch"
nothing_sent md5_name
# the full MD5 given overrides the name
sl md5_given 0 --md5 "$ZMD5"
same md5_given
sl md5_wrong 3 --md5 0123456789abcdef0123456789abcdef
nothing_sent md5_wrong

mkzip flipped --flip
sl broken_sig 3
said broken_sig "does not match its content"
nothing_sent broken_sig

mkzip unsigned --unsigned
sl unsigned 0
said unsigned "no whole-file signature"
same unsigned

# ---- info reads a zip with the same checks ------------------------------------
rf info "$GOOD" >"$T/info.out" 2>"$T/info.err" || fail "info: $(cat "$T/info.err")"
grep -q "Device    cancro (updater-script)" "$T/info.out" || fail "info: device: $(cat "$T/info.out")"
grep -q "MD5       $(sed -n 2p "$T/good.out") verified (10-digit prefix" "$T/info.out" ||
	fail "info: md5: $(cat "$T/info.out")"
rf info "$T/corrupt.zip" >"$T/info_corrupt.out" 2>"$T/info_corrupt.err"
[ $? -eq 3 ] || fail "info of a cut zip: not refused"
grep -q "end-of-central-directory" "$T/info_corrupt.err" || fail "info of a cut zip: $(cat "$T/info_corrupt.err")"
# names that differ between the local headers (all a streaming reader
# sees) and the central directory (what recovery reads)
python3 - "$T" <<'EOF'
import hashlib, os, sys, zipfile
d = sys.argv[1]
p = os.path.join(d, "renamed.zip")
with zipfile.ZipFile(p, "w") as z:
    z.writestr("META-INF/com/google/android/updater-script",
               'assert(getprop("ro.product.device") == "cancro");\n')
    z.writestr("system.img", b"\0" * 5000)
b = bytearray(open(p, "rb").read())
cd = b.rfind(b"PK\x01\x02")
i = b.index(b"system.img", cd)
b[i:i + 10] = b"system.imx"
h = hashlib.md5(b).hexdigest()[:10]
open(os.path.join(d, "miui_MI3WMI4WGlobal_7.12.8_%s_6.0.zip" % h), "wb").write(b)
os.remove(p)
EOF
rf info "$T"/miui_*.zip >"$T/info_renamed.out" 2>"$T/info_renamed.err"
[ $? -eq 3 ] || fail "info of a zip renamed in its central directory: not refused"
grep -q "named differently in the central directory (system.imx)" "$T/info_renamed.err" ||
	fail "info renamed: $(cat "$T/info_renamed.err")"

# ---- memory: bounded whatever the package (the pass's ring, adb's buffers) ---
if [ -n "${ASAN:-}" ]; then
	echo "SKIP: peak RSS of a sanitizer build says nothing"
else
	mkzip big --size-mb 24
	emu_start M "$T/mem" --adb sideload
	python3 - "$ROMFLASH" -s "$M_DEV" sideload "$ZIP" >"$T/mem.rss" <<'EOF'
import resource, subprocess, sys
rc = subprocess.call(sys.argv[1:], stdin=subprocess.DEVNULL,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(rc, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
EOF
	emu_stop M
	read -r mrc mkb <"$T/mem.rss"
	[ "$mrc" = 0 ] || fail "memory: sideload exit $mrc"
	cmp -s "$ZIP" "$T/mem/sideload.zip" || fail "memory: the phone's copy differs"
	[ "$mkb" -le 32768 ] || fail "memory: peak RSS $mkb KiB > 32 MiB"
	ZIP=$GOOD
fi

# ---- the phone gives up, or goes --------------------------------------------
ZIP=$GOOD
sl failfail 1 -- --sideload-fail
said failfail "refused the package"
sl cut 1 -- --cut-after 700000
said cut "link to the phone was lost"
said cut "run the same command again"

# ---- Ctrl-C: the words fit what sideload is doing ------------------------------
# sl_int LABEL DEVICE FILE: romflash sideload $ZIP to DEVICE, SIGINT once FILE
# is not empty; it must end with 130 within 10 s
sl_int() {
	"$ROMFLASH" -s "$2" sideload "$ZIP" --wait 20 >"$T/$1.out" 2>"$T/$1.err" </dev/null &
	pid=$!
	wait_file "$3" $pid 20 || fail "$1: $3 stayed empty"
	sigint_wait $pid "$1"
	rc=$?
	[ $rc = 130 ] || fail "$1: exit $rc, want 130: $(cat "$T/$1.err")"
	grep -q "current download" "$T/$1.err" && fail "$1: a flash's words: $(cat "$T/$1.err")"
}
# before anything is sent: waiting for a phone at an address nobody answers
emu_start X "$T/gone" --adb sideload
NOBODY=$X_DEV
emu_stop X
sl_int int_check "$NOBODY" "$T/int_check.out"
said int_check "nothing of the package has been sent"
# while serving blocks: a slow link (1 MB/s), stopped once the phone has data
emu_start S "$T/int_serve" --adb sideload --throttle 1
sl_int int_serve "$S_DEV" "$T/int_serve/sideload.zip"
emu_stop S
said int_serve "stopping the sideload after the current block"
said int_serve "interrupted after"
cmp -s "$ZIP" "$T/int_serve/sideload.zip" && fail "int_serve: the phone got all of it"

# ---- a phone booted into Android ----------------------------------------------
sl android_no 2 -- --adb device
said android_no "needs --yes"
grep -q 'reboot' "$T/android_no/adb.log" && fail "android_no: rebooted without asking"
sl android 0 --yes -- --adb device
same android
said android "going through recovery"
grep -q "reboot:sideload refused (not root)" "$T/android/adb.log" || fail "android: no refused reboot:sideload"
grep -q "^reboot:recovery" "$T/android/adb.log" || fail "android: not through recovery"
sl recovery 0 --yes -- --adb recovery
same recovery

# flash: Android -> bootloader (the emulator serves fastboot on the same port)
python3 "$MKPKG" --out "$T/pkg" --size-mb 3 --keep-folder >"$T/mkpkg.out" 2>&1 || fail "mkpkg"
PKG=$(sed -n 1p "$T/mkpkg.out")
st="$T/flash"
emu_start F "$st" --adb device --reboot-delay 100
rf -s "$F_DEV" flash "$PKG" </dev/null >"$st.no.out" 2>"$st.no.err"
[ $? -eq 2 ] || fail "flash from Android without --yes: not refused"
rf --json plan "$PKG" >"$st.plan" 2>/dev/null
rf -s "$F_DEV" flash "$PKG" --yes </dev/null >"$st.out" 2>"$st.err" ||
	fail "flash from Android: $(tail -n 3 "$st.err")"
grep -q '^reboot:bootloader' "$st/adb.log" || fail "flash: no reboot:bootloader"
grep -q '^Done: 1 phone flashed' "$st.out" || fail "flash: no Done line"
emu_wait_gone F 5 || emu_stop F
check_partitions "$st" "$(pkg_folder "$T/pkg")" "$st.plan"

# ---- devices, reboot, --json ---------------------------------------------------
emu_start D "$T/dev" --adb sideload
rf -s "$D_DEV" devices >"$T/dev.out" 2>&1 || fail "devices: $(cat "$T/dev.out")"
grep -q "sideload *cancro" "$T/dev.out" || fail "devices: $(cat "$T/dev.out")"
rf -s "$D_DEV" reboot bootloader >"$T/dev.rb" 2>&1 && fail "reboot in sideload mode: accepted"
grep -q "refuses to reboot" "$T/dev.rb" || fail "reboot in sideload: $(cat "$T/dev.rb")"
emu_stop D
emu_start R "$T/rb" --adb device --reboot-delay 100
rf -s "$R_DEV" reboot sideload >"$T/rb.out" 2>&1 || fail "reboot sideload: $(cat "$T/rb.out")"
grep -qx sideload "$T/rb/adb-mode" || fail "reboot sideload: phone is $(cat "$T/rb/adb-mode")"
rf -s "$R_DEV" --json devices >"$T/rb.json" 2>&1
grep -q '"mode":"sideload"' "$T/rb.json" || fail "devices --json: $(cat "$T/rb.json")"
emu_stop R

ZIP=$GOOD
emu_start J "$T/json" --adb sideload
rf --json -s "$J_DEV" sideload "$ZIP" >"$T/json.out" 2>"$T/json.err" || fail "--json: $(cat "$T/json.err")"
emu_stop J
python3 - "$T/json.out" <<'EOF' || fail "--json events"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
kinds = [e["event"] for e in ev]
for k in ("phone", "package", "step_start", "progress", "step_done", "summary"):
    assert k in kinds, (k, kinds)
p = [e for e in ev if e["event"] == "package"][0]
assert p["signature"] == "signed" and p["devices"] == ["cancro"], p
prog = [e for e in ev if e["event"] == "progress"][-1]
assert prog["bytes"] == prog["total"] and prog["blocks"] > 0 and prog["served"] >= prog["total"], prog
assert ev[-1]["event"] == "summary" and ev[-1]["result"] == "ok", ev[-1]
EOF

lib_finish
