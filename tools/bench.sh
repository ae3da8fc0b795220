#!/bin/sh
# make bench: romflash flash vs `tar xzf && flash_all_except_storage.sh` with
# Debian's fastboot, into the emulated phone over TCP; then throttled to
# 35 MB/s.  Results: docs/benchmarks.md.  Needs ~4 GB free in $BENCH_DIR.
#   BENCH_MB     images in the synthetic package (default 1150: about 950 MB sent in keep-data mode)
#   BENCH_DIR    work folder (default /tmp/romflash-bench)
#   BENCH_ORDERS tar orders to measure (default "scripts-first scripts-last")
#   BENCH_RUNS   unthrottled pairs per order, alternating (default 3; medians)
#   BENCH_SKIP_THROTTLE=1  skip the 35 MB/s runs
#   BENCH_SKIP_PHONE=1  skip tools/bench-phone.sh (a silent 80 s write, 16 USB phones)
#   BENCH_SKIP_RECORD=1    skip the second-flash figure (tools/bench-record.sh)
#   BENCH_STATE  where the emulated phone keeps its partitions (default
#                $BENCH_DIR/state; tmpfs measured slower here: every new
#                partition file's pages are zeroed in memory)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-build}
RF="$ROOT/$B/romflash"
EMU="$ROOT/$B/romflash-emu"
MB=${BENCH_MB:-1150}
DIR=${BENCH_DIR:-/tmp/romflash-bench}
ORDERS=${BENCH_ORDERS:-scripts-first scripts-last}
RUNS=${BENCH_RUNS:-3}
STATE=${BENCH_STATE:-$DIR/state}
EMU_PID=""

cleanup() { if [ -n "$EMU_PID" ]; then kill "$EMU_PID" 2>/dev/null || true; fi; EMU_PID=""; }
trap 'cleanup; rm -rf "$STATE"' EXIT INT TERM

start_emu() { # $1 state dir, rest: emulator options
	st=$1; shift
	rm -rf "$st"; mkdir -p "$st"
	rm -f "$DIR/port"
	"$EMU" --state "$st" --port 0 --port-file "$DIR/port" --reboot-delay 200 "$@" >"$DIR/emu.log" 2>&1 &
	EMU_PID=$!
	for _ in $(seq 100); do [ -s "$DIR/port" ] && break; sleep 0.05; done
	PORT=$(cat "$DIR/port")
}

stop_emu() { cleanup; wait 2>/dev/null || true; }

median() { printf '%s\n' "$@" | sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# wall seconds and peak RSS (KiB) of a command: sets WALL and RSS
measure() {
	/usr/bin/time -f '%e %M' -o "$DIR/time.out" "$@" >"$DIR/cmd.log" 2>&1 || {
		echo "bench: command failed: $*" >&2; tail -n 20 "$DIR/cmd.log" >&2; exit 1; }
	WALL=$(cut -d' ' -f1 "$DIR/time.out"); RSS=$(cut -d' ' -f2 "$DIR/time.out")
}

same_partitions() { # $1 $2 state dirs: every partition file identical
	for f in "$1"/*.img; do
		cmp -s "$f" "$2/$(basename "$f")" || { echo "bench: $(basename "$f") differs" >&2; exit 1; }
	done
}

mkdir -p "$DIR"
command -v /usr/bin/time >/dev/null || { echo "bench: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
export ROMFLASH_STATE_DIR="$DIR/resume"
# every run verifies the package from scratch: no verification record of a
# previous run (records: the second-flash figure below)
export XDG_CACHE_HOME="$DIR/cache"
echo "romflash benchmark: $(nproc) cores, package with $MB MB of images"
printf '%-14s %-26s %8s %9s %s\n' order run wall_s rss_MiB note

for order in $ORDERS; do
	pkgdir="$DIR/pkg-$order"
	if [ ! -f "$pkgdir/done" ]; then
		rm -rf "$pkgdir"; mkdir -p "$pkgdir"
		"$ROOT/tests/fixtures/mkpkg" --variant modern --order "$order" --size-mb "$MB" \
			--compressible --out "$pkgdir" >/dev/null
		touch "$pkgdir/done"
	fi
	PKG=$(ls "$pkgdir"/*.tgz)
	unpacked=$(tar tvzf "$PKG" | awk '{s += $3} END {print s}')

	# RUNS alternating pairs, each on a fresh emulated phone, after a
	# `sync` so that no run pays for the previous one's disk writeback
	rf_walls="" fb_walls=""
	for run in $(seq "$RUNS"); do
		# romflash, unthrottled
		sync
		rm -rf "$XDG_CACHE_HOME"
		start_emu "$STATE/st-rf"
		measure "$RF" -v -s "tcp:127.0.0.1:$PORT" flash "$PKG"
		rf_wall=$WALL; rf_rss=$((RSS / 1024))
		spool=$(sed -n 's/.*spooled (peak \([0-9]*\)).*/\1/p' "$DIR/cmd.log" | tail -n 1)
		spool=${spool:-0}
		stop_emu
		printf '%-14s %-26s %8s %9s %s\n' "$order" "romflash flash" "$rf_wall" "$rf_rss" \
			"spool peak $((spool / 1048576)) MiB = $(awk "BEGIN {printf \"%.1f\", 100 * $spool / $unpacked}")% of unpacked"

		# tar xzf + the package's own script with Debian's fastboot
		sync
		start_emu "$STATE/st-fb"
		rm -rf "$DIR/x"; mkdir -p "$DIR/x"
		cat >"$DIR/aosp.sh" <<EOS
set -e
tar xzf "$PKG" -C "$DIR/x"
cd "$DIR/x"/*/
sh ./flash_all_except_storage.sh -s tcp:127.0.0.1:$PORT
EOS
		measure sh "$DIR/aosp.sh"
		fb_wall=$WALL; fb_rss=$((RSS / 1024))
		stop_emu
		rm -rf "$DIR/x"
		printf '%-14s %-26s %8s %9s %s\n' "$order" "tar xzf + flash_all (AOSP)" "$fb_wall" "$fb_rss" \
			"ratio romflash/AOSP = $(awk "BEGIN {printf \"%.2f\", $rf_wall / $fb_wall}")"
		same_partitions "$STATE/st-rf" "$STATE/st-fb"
		rm -rf "$STATE/st-rf" "$STATE/st-fb"
		rf_walls="$rf_walls $rf_wall" fb_walls="$fb_walls $fb_wall"
	done
	rf_med=$(median $rf_walls) fb_med=$(median $fb_walls)
	printf '%-14s %-26s %8s %9s %s\n' "$order" "median of $RUNS" "$rf_med" "" \
		"AOSP $fb_med, ratio of medians $(awk "BEGIN {printf \"%.2f\", $rf_med / $fb_med}") (goal <= 0.5)"

	if [ -z "${BENCH_SKIP_THROTTLE:-}" ]; then
		rm -rf "$XDG_CACHE_HOME"
		start_emu "$STATE/st-th" --throttle 35
		sync
		measure "$RF" --json -s "tcp:127.0.0.1:$PORT" flash "$PKG"
		bytes=$(sed -n 's/.*"event":"summary".*"sent":\([0-9]*\).*/\1/p' "$DIR/cmd.log")
		stop_emu
		[ -n "$bytes" ] || { echo "bench: no summary event with \"sent\" in $DIR/cmd.log"; exit 1; }
		# the emulated phone's own writes after each download, which
		# bytes/35 MB/s does not count (a real phone's eMMC takes longer)
		emu_flash=$(awk '/took/ {s += $4} END {printf "%.2f", s}' "$DIR/emu.log")
		ideal=$(awk "BEGIN {printf \"%.2f\", $bytes / 35e6}")
		printf '%-14s %-26s %8s %9s %s\n' "$order" "romflash @35 MB/s" "$WALL" "$((RSS / 1024))" \
			"bytes/35MB/s = ${ideal}s, ratio $(awk "BEGIN {printf \"%.3f\", $WALL / $ideal}"); the phone's own flash writes ${emu_flash}s"
	fi
done
rm -rf "$STATE"
if [ -z "${BENCH_SKIP_RECORD:-}" ] && echo "$ORDERS" | grep -q scripts-first; then
	B=$B BENCH_DIR=$DIR "$ROOT/tools/bench-record.sh"
fi

# real phones' timing: a long silent write, 16 USB phones in the usbfs budget
if [ -z "${BENCH_SKIP_PHONE:-}" ]; then
	echo
	echo "real phones (tools/bench-phone.sh):"
	B=$B "$ROOT/tools/bench-phone.sh"
fi
