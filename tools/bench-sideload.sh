#!/bin/sh
# Sideload benchmark (docs/benchmarks.md): an 800 MB recovery zip into the
# emulated recovery over TCP, romflash against Debian's `adb sideload`,
# side by side in one run (alternating, after sync, medians of RUNS runs
# each), with romflash's peak RSS; then the same zip over umockdev USB
# (check_usb_adb's throughput case).
#
#   tools/bench-sideload.sh            (make build/romflash build/romflash-emu tests first)
# Env: MB (default 800), RUNS (default 5), ORDER (seq|tail|random, default
# seq), PASSES (default 1; recovery reads a package twice: 2), B (build),
# USB=0 to skip the USB figure, BASE=/path/to/an/older/romflash to time it
# too, in the same alternation (a before/after figure in one run).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-build}
RF="$ROOT/$B/romflash"
EMU="$ROOT/$B/romflash-emu"
MB=${MB:-800}
RUNS=${RUNS:-5}
ORDER=${ORDER:-seq}
PASSES=${PASSES:-1}
BASE=${BASE:-}
for x in "$RF" "$EMU" $BASE; do [ -x "$x" ] || { echo "no $x: make $B/romflash $B/romflash-emu"; exit 1; }; done
command -v adb >/dev/null || { echo "no adb (tools/deps.sh)"; exit 1; }

T=$(mktemp -d /tmp/bench-sideload.XXXXXX)
HOME="$T/home"
ANDROID_ADB_SERVER_PORT=$((20000 + $$ % 20000))
export HOME ANDROID_ADB_SERVER_PORT
unset ANDROID_USER_HOME ANDROID_SERIAL
mkdir -p "$HOME"
EP=""
cleanup() {
	[ -n "$EP" ] && kill "$EP" 2>/dev/null
	adb kill-server >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "making a ${MB} MB signed zip ..."
python3 "$ROOT/tests/fixtures/mkzip" --out "$T/z" --key "$T/keys" --size-mb "$MB" >"$T/z.out" || exit 1
ZIP=$(sed -n 1p "$T/z.out")
SIZE=$(stat -c %s "$ZIP")
adb start-server >/dev/null 2>&1

emu() {
	rm -rf "$T/st" "$T/port"
	"$EMU" --state "$T/st" --port 0 --port-file "$T/port" --adb sideload \
		--order "$ORDER" --passes "$PASSES" >>"$T/emu.log" 2>&1 &
	EP=$!
	while [ ! -s "$T/port" ]; do sleep 0.02; done
	PORT=$(cat "$T/port")
}
emu_done() { wait "$EP" 2>/dev/null; EP=""; }
check_copy() { cmp -s "$ZIP" "$T/st/sideload.zip" || { echo "FAIL: $1: the phone's copy differs"; exit 1; }; }

# one_romflash RUN [BINARY NAME] / one_adb RUN: wall seconds (and KB of
# peak RSS) into $T/NAME.times
one_romflash() {
	bin=${2:-$RF}; name=${3:-romflash}
	emu
	/usr/bin/time -f "%e %M" -o "$T/t" "$bin" -q -s "tcp:127.0.0.1:$PORT" sideload "$ZIP" ||
		{ echo "FAIL: $name sideload"; exit 1; }
	emu_done
	[ "$1" = 1 ] && check_copy "$name"
	cat "$T/t" >>"$T/$name.times"
}
one_base() { [ -n "$BASE" ] && one_romflash "$1" "$BASE" base; }
one_adb() {
	emu
	adb connect "127.0.0.1:$PORT" >/dev/null 2>&1
	i=0
	until adb devices | grep -q "127.0.0.1:${PORT}[[:space:]]*sideload"; do
		i=$((i + 1)); [ $i -gt 100 ] && { echo "FAIL: adb does not see the phone"; exit 1; }
		sleep 0.05
	done
	/usr/bin/time -f "%e %M" -o "$T/t" adb -s "127.0.0.1:$PORT" sideload "$ZIP" >/dev/null 2>&1 ||
		{ echo "FAIL: adb sideload"; exit 1; }
	adb disconnect "127.0.0.1:$PORT" >/dev/null 2>&1
	emu_done
	[ "$1" = 1 ] && check_copy adb
	cat "$T/t" >>"$T/adb.times"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

for r in $(seq 1 "$RUNS"); do
	sync
	if [ $((r % 2)) -eq 1 ]; then one_romflash "$r"; one_adb "$r"; one_base "$r"
	else one_base "$r"; one_adb "$r"; one_romflash "$r"; fi
	echo "run $r: romflash $(tail -n 1 "$T/romflash.times" | cut -d' ' -f1) s, adb $(tail -n 1 "$T/adb.times" | cut -d' ' -f1) s${BASE:+, base $(tail -n 1 "$T/base.times" | cut -d' ' -f1) s} (load $(cut -d' ' -f1 /proc/loadavg))"
done
rf_med=$(cut -d' ' -f1 "$T/romflash.times" | median)
adb_med=$(cut -d' ' -f1 "$T/adb.times" | median)
rf_rss=$(cut -d' ' -f2 "$T/romflash.times" | sort -n | tail -n 1)
echo "sideload of $SIZE bytes over TCP, order $ORDER, passes $PASSES, $RUNS runs each:"
echo "  romflash median $rf_med s ($(echo "$SIZE $rf_med" | awk '{ printf "%.0f", $1 / $2 / 1e6 }') MB/s, checks included), peak RSS $((rf_rss / 1024)) MiB"
echo "  adb      median $adb_med s ($(echo "$SIZE $adb_med" | awk '{ printf "%.0f", $1 / $2 / 1e6 }') MB/s)"
echo "  ratio romflash/adb: $(echo "$rf_med $adb_med" | awk '{ printf "%.2f", $1 / $2 }')"
if [ -n "$BASE" ]; then
	base_med=$(cut -d' ' -f1 "$T/base.times" | median)
	echo "  base ($BASE) median $base_med s, ratio base/adb: $(echo "$base_med $adb_med" | awk '{ printf "%.2f", $1 / $2 }')"
fi

if [ "${USB:-1}" != 0 ]; then
	if [ -x "$ROOT/$B/tests/check_usb_adb" ] && command -v umockdev-wrapper >/dev/null; then
		echo "over umockdev USB:"
		(cd "$ROOT" && ROOT="$ROOT" ROMFLASH="$RF" SIDELOAD_BENCH_MB="$MB" CK_RUN_CASE=throughput \
			umockdev-wrapper "$B/tests/check_usb_adb" 2>&1 | grep -E "usb sideload|Checks")
	else
		echo "no $B/tests/check_usb_adb or umockdev-wrapper: USB figure skipped"
	fi
fi
