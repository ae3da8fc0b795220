#!/bin/sh
# `romflash flash --all` with N phones against one phone, each emulated
# phone throttled like USB 2.0 (35 MB/s) and writing at an eMMC's pace
# (20 MB/s, silent while it writes): issue 10's figure (goal <= 1.15x).
# Runs alternate (one phone, N phones) after a `sync`; medians printed.
#   BENCH_MB      images in the synthetic package (default 150)
#   BENCH_PHONES  phones for --all (default 8)
#   BENCH_RUNS    pairs (default 3)
#   BENCH_DIR     work folder (default /tmp/romflash-bench-all)
#   BENCH_RATE / BENCH_WRITE  link / eMMC MB/s (default 35 / 20)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-build}
RF="$ROOT/$B/romflash"
EMU="$ROOT/$B/romflash-emu"
MB=${BENCH_MB:-150}
N=${BENCH_PHONES:-8}
RUNS=${BENCH_RUNS:-3}
DIR=${BENCH_DIR:-/tmp/romflash-bench-all}
RATE=${BENCH_RATE:-35}
WRITE=${BENCH_WRITE:-20}
PIDS=""

stop_emus() {
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	for p in $PIDS; do wait "$p" 2>/dev/null || true; done
	PIDS=""
}
trap 'stop_emus; rm -rf "$DIR/st"' EXIT INT TERM

# start_emus K: K emulated phones; DEVS is their -s list
start_emus() {
	DEVS=""
	rm -rf "$DIR/st"
	for k in $(seq "$1"); do
		st="$DIR/st/$k"
		mkdir -p "$st"
		"$EMU" --state "$st" --port 0 --port-file "$st.port" --serial "BENCH$k" \
			--throttle "$RATE" --write-rate "$WRITE" >"$st.log" 2>&1 &
		PIDS="$PIDS $!"
	done
	for k in $(seq "$1"); do
		st="$DIR/st/$k"
		for _ in $(seq 100); do [ -s "$st.port" ] && break; sleep 0.05; done
		DEVS="$DEVS${DEVS:+,}tcp:127.0.0.1:$(cat "$st.port")"
	done
}

median() { printf '%s\n' "$@" | sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# run K: flash K phones (--all when K > 1); sets WALL, RSS (KiB)
run() {
	sync
	start_emus "$1"
	all=""
	[ "$1" -gt 1 ] && all="--all"
	/usr/bin/time -f '%e %M' -o "$DIR/time.out" "$RF" --json -s "$DEVS" flash "$PKG" \
		--no-reboot $all >"$DIR/out.$1" 2>"$DIR/err.$1" || {
		echo "bench-all: flash of $1 phone(s) failed:" >&2; tail -n 20 "$DIR/err.$1" >&2; exit 1; }
	WALL=$(cut -d' ' -f1 "$DIR/time.out"); RSS=$(cut -d' ' -f2 "$DIR/time.out")
	stop_emus
}

mkdir -p "$DIR"
export ROMFLASH_STATE_DIR="$DIR/progress" ROMFLASH_LOCK_DIR="$DIR/locks"
if [ ! -f "$DIR/pkg/done" ]; then
	rm -rf "$DIR/pkg"
	"$ROOT/tests/fixtures/mkpkg" --variant modern --size-mb "$MB" --compressible \
		--out "$DIR/pkg" >/dev/null
	touch "$DIR/pkg/done"
fi
PKG=$(ls "$DIR"/pkg/*.tgz)
echo "bench-all: $(nproc) cores, $MB MB package, phones at $RATE MB/s writing at $WRITE MB/s"
ones="" alls="" rss1="" rssn=""
for i in $(seq "$RUNS"); do
	run 1
	ones="$ones $WALL"; rss1="$rss1 $RSS"
	run "$N"
	alls="$alls $WALL"; rssn="$rssn $RSS"
	echo "run $i: 1 phone ${ones##* } s, $N phones ${alls##* } s"
done
# shellcheck disable=SC2086
one=$(median $ones) all=$(median $alls)
echo "median: 1 phone $one s (RSS $(( $(median $rss1 | cut -d. -f1) / 1024 )) MiB)," \
	"$N phones $all s (RSS $(( $(median $rssn | cut -d. -f1) / 1024 )) MiB)," \
	"ratio $(echo "$all $one" | awk '{printf "%.2f", $1 / $2}')"
grep -h '"event":"summary"' "$DIR/out.$N" | tail -n 1
