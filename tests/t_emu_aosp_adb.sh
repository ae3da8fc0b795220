#!/bin/sh
# Keeps the emulated recovery honest: Debian's AOSP adb (the reference
# client) against romflash-emu --adb over TCP, with its own server on a
# private port and a private HOME (its key, not the user's):
#   - `adb devices` sees the banner's mode and product;
#   - `adb sideload` (sideload-host, every request order, old and new adb
#     versions, with AUTH using adb's own key, and the pre-KitKat service)
#     and the phone's copy is the zip, byte for byte;
#   - `adb reboot bootloader` from Android: the phone comes back in
#     fastboot mode on the same port (Debian fastboot answers it);
#   - `adb reboot sideload` from a retail Android is refused as adbd does;
#   - romflash reads adb's key files: the same public key, the same trust.
# `adb kill-server` at the end.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
. "$ROOT/tests/lib.sh"
lib_init t_emu_aosp_adb

for tool in adb fastboot openssl python3; do
	if ! command -v "$tool" >/dev/null; then
		[ "${CI:-}" = true ] && { echo "FAIL: $tool missing"; exit 1; }
		echo "SKIP: $tool missing (tools/deps.sh)"
		exit 0
	fi
done
HOME="$T/home"
ANDROID_ADB_SERVER_PORT=$((20000 + $$ % 20000))
export HOME ANDROID_ADB_SERVER_PORT
unset ANDROID_USER_HOME ANDROID_SERIAL
mkdir -p "$HOME"
stop_adb() { adb kill-server >/dev/null 2>&1; }
trap 'stop_adb; lib_cleanup' EXIT

# a server of our own, started once: it makes $HOME/.android/adbkey
timeout 20 adb start-server >/dev/null 2>&1 || fail "adb start-server"
[ -s "$HOME/.android/adbkey.pub" ] || { fail "adb made no key"; lib_finish; }

python3 "$ROOT/tests/fixtures/mkzip" --out "$T/z" --key "$T/keys" --size-mb 3 >"$T/z.out" ||
	{ echo "mkzip failed"; exit 1; }
ZIP=$(sed -n 1p "$T/z.out")

# adb_on NAME [emulator args]: a phone, connected to our adb server
adb_on() {
	emu_start "$@"
	eval "_port=\$${1}_PORT"
	ADDR="127.0.0.1:$_port"
	timeout 10 adb connect "$ADDR" >"$T/connect.out" 2>&1
	_i=0
	while ! adb devices | grep -q "^$ADDR[[:space:]]*[a-z]" && [ $_i -lt 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
}
adb_off() {
	adb disconnect "$ADDR" >/dev/null 2>&1
	emu_stop "$1"
}

# sideload_with LABEL [emulator args]: adb sideload, the copy compared
sideload_with() {
	label=$1
	shift
	adb_on S "$T/$label" --adb sideload "$@"
	if ! timeout 60 adb -s "$ADDR" sideload "$ZIP" >"$T/$label.out" 2>&1; then
		fail "$label: adb sideload: $(tail -c 300 "$T/$label.out")"
	fi
	cmp -s "$ZIP" "$T/$label/sideload.zip" || fail "$label: the phone's copy differs"
	grep -q '^DONEDONE' "$T/$label/sideload.log" 2>/dev/null || grep -q '^OKAY' "$T/$label/sideload.log" ||
		fail "$label: the phone did not finish: $(tail -n 2 "$T/$label/sideload.log")"
	adb_off S
}

adb_on S "$T/list" --adb sideload
adb devices -l >"$T/devices.out" 2>&1
grep -q "$ADDR *sideload product:cancro model:MI_4LTE device:cancro" "$T/devices.out" ||
	fail "adb devices: $(cat "$T/devices.out")"
adb_off S

sideload_with seq --order seq
sideload_with tail --order tail --passes 2
sideload_with random --order random --seed 5
sideload_with old --adb-old --order random --seed 6
sideload_with legacy --legacy

# AUTH: the phone trusts adb's key; adb signs with it
cp "$HOME/.android/adbkey.pub" "$T/trusted"
sideload_with auth --auth "$T/trusted"
grep -q 'signature accepted' "$T/auth/adb.log" || fail "auth: adb's signature was not checked"
# romflash uses the same key files: trusted as well, no prompt
emu_start A "$T/auth2" --adb sideload --auth "$T/trusted"
rf -s "$A_DEV" sideload "$ZIP" >"$T/auth2.out" 2>&1 || fail "romflash with adb's key: $(tail -n 3 "$T/auth2.out")"
grep -q 'signature accepted' "$T/auth2/adb.log" || fail "romflash did not sign with adb's key"
grep -q 'Allow USB debugging' "$T/auth2.out" && fail "romflash prompted for a trusted key"
emu_stop A

# reboots from Android
adb_on R "$T/android" --adb device --reboot-delay 200
timeout 20 adb -s "$ADDR" reboot sideload >"$T/rs.out" 2>&1
grep -q "'adb root' is required" "$T/rs.out" || fail "reboot sideload not refused: $(cat "$T/rs.out")"
timeout 20 adb -s "$ADDR" reboot bootloader >"$T/rb.out" 2>&1 || fail "adb reboot bootloader: $(cat "$T/rb.out")"
adb disconnect "$ADDR" >/dev/null 2>&1
emu_wait_online "$T/android" 5
_i=0
until timeout 5 fastboot -s "tcp:$ADDR" getvar product >"$T/fb.out" 2>&1 &&
	grep -q '^product: MSM8974' "$T/fb.out"; do
	_i=$((_i + 1))
	[ $_i -gt 20 ] && { fail "no fastboot after adb reboot bootloader: $(cat "$T/fb.out")"; break; }
	sleep 0.2
done
grep -q '^reboot:bootloader' "$T/android/adb.log" || fail "the phone did not see reboot:bootloader"
emu_stop R

lib_finish
