#!/bin/sh
# make demo: start the emulated cancro phone, make a sample MIUI fastboot ROM
# package, show what romflash does with it: info, the dry run, the flash.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-build}
RF="$ROOT/$B/romflash"
EMU="$ROOT/$B/romflash-emu"
WORK=$(mktemp -d /tmp/romflash-demo.XXXXXX)
EMU_PID=""
cleanup() {
	[ -n "$EMU_PID" ] && kill "$EMU_PID" 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

mkdir -p "$WORK/phone"
"$EMU" --state "$WORK/phone" --port 0 --port-file "$WORK/port" --reboot-delay 1500 \
	>"$WORK/emu.log" 2>&1 &
EMU_PID=$!
for _ in $(seq 50); do [ -s "$WORK/port" ] && break; sleep 0.1; done
PORT=$(cat "$WORK/port")
DEV="tcp:127.0.0.1:$PORT"
say "An emulated Mi 4 in fastboot mode is listening on $DEV"
"$RF" -s "$DEV" devices

say "Making a sample ROM package (modern MIUI layout, small images)"
"$ROOT/tests/fixtures/mkpkg" --variant modern --order scripts-last --size-mb 24 --out "$WORK" >/dev/null
PKG=$(ls "$WORK"/*.tgz)
say "romflash info $(basename "$PKG")"
"$RF" info "$PKG"
say "romflash plan (dry run: nothing is written)"
"$RF" -s "$DEV" plan "$PKG"
say "romflash flash (keep-data mode)"
"$RF" -s "$DEV" flash "$PKG" --no-reboot
say "Done: the emulated phone's partitions are files in $WORK/phone (removed now)"
