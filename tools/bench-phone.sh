#!/bin/sh
# make bench, real phones' timing (docs/benchmarks.md):
#  1. one 768 MiB sparse piece into an emulated phone writing at 10 MB/s (the
#     eMMC pace: about 80 s of silence after the download): romflash
#     flash-image flashes it, showing the phone's writing time (romflash
#     before this gave up after 30 s);
#  2. 16 emulated USB phones on two buses downloading at once within Linux's
#     default 16 MiB usbfs budget (tests/check_usb_station.c, case station16).
# Env: BENCH_DIR (work folder, default /tmp/romflash-bench-phone), B (build
# dir), BENCH_PHONE_MIB (size of the raw image, default 767).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-build}
RF="$ROOT/$B/romflash"
EMU="$ROOT/$B/romflash-emu"
DIR=${BENCH_DIR:-/tmp/romflash-bench-phone}
MIB=${BENCH_PHONE_MIB:-767}
EMU_PID=""

cleanup() { [ -n "$EMU_PID" ] && kill "$EMU_PID" 2>/dev/null; rm -rf "$DIR/state"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
command -v img2simg >/dev/null || { echo "bench-phone: needs img2simg" >&2; exit 1; }
command -v /usr/bin/time >/dev/null || { echo "bench-phone: needs /usr/bin/time" >&2; exit 1; }
mkdir -p "$DIR"

# the piece: random data with a 1 MiB hole, as img2simg makes it sparse
if [ ! -s "$DIR/piece.simg" ]; then
	python3 - "$DIR/piece.raw" "$MIB" <<'PY'
import os, sys
with open(sys.argv[1], "wb") as f:
    for i in range(int(sys.argv[2])):
        f.write(bytes(1 << 20) if i == 100 else os.urandom(1 << 20))
PY
	img2simg "$DIR/piece.raw" "$DIR/piece.simg"
	rm -f "$DIR/piece.raw"
fi
size=$(stat -c %s "$DIR/piece.simg")

rm -rf "$DIR/state"; mkdir -p "$DIR/state"; rm -f "$DIR/port"
"$EMU" --state "$DIR/state" --port 0 --port-file "$DIR/port" --write-rate 10 >"$DIR/emu.log" 2>&1 &
EMU_PID=$!
for _ in $(seq 100); do [ -s "$DIR/port" ] && break; sleep 0.05; done
sync
/usr/bin/time -f '%e %M' -o "$DIR/time.out" \
	"$RF" -s "tcp:127.0.0.1:$(cat "$DIR/port")" flash-image system "$DIR/piece.simg" \
	>"$DIR/out" 2>"$DIR/err" || { echo "bench-phone: flash-image failed:" >&2; cat "$DIR/err" >&2; exit 1; }
kill "$EMU_PID"; wait "$EMU_PID" 2>/dev/null || true; EMU_PID=""
wrote=$(sed -n 's/.*, written in \([0-9.]*\) s.*/\1/p' "$DIR/out")
echo "one sparse piece of $((size / 1048576)) MiB ($size bytes) into a phone writing at 10 MB/s ($(awk "BEGIN {printf \"%.1f\", $size / 10e6}") s of silence expected):"
sed 's/^/    /' "$DIR/out"
echo "    wall $(cut -d' ' -f1 "$DIR/time.out") s, peak RSS $(($(cut -d' ' -f2 "$DIR/time.out") / 1024)) MiB, written in ${wrote:-?} s (the emulated phone's write: $(sed -n 's/.*took \([0-9.]*\) s/\1/p' "$DIR/emu.log") s)"

echo "16 USB phones within the usbfs budget (umockdev):"
[ -x "$ROOT/$B/tests/check_usb_station" ] ||
	make -s -C "$ROOT" WERROR= "$B/tests/check_usb_station" >/dev/null
umockdev-wrapper env CK_RUN_CASE=station16 "$ROOT/$B/tests/check_usb_station" 2>&1 |
	grep -E '^usb station|Checks' | sed 's/^/    /'
