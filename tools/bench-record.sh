#!/bin/sh
# Time to the first write of a first and a second `romflash flash` of the
# same file: the first verifies the package (one pass over it) and writes a
# verification record, the second reads the record.  The time is from the
# start of romflash to its first "step_start" event of a flash step (the
# download that begins right after it), read from --json by a small python
# harness; unthrottled emulated phone over TCP; medians of RUNS pairs, each
# pair from an empty record folder.
#   PKG    the package (default: the scripts-first one tools/bench.sh made)
#   RUNS   pairs (default 3)
#   B, BENCH_DIR as tools/bench.sh
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-build}
RF="$ROOT/$B/romflash"
EMU="$ROOT/$B/romflash-emu"
DIR=${BENCH_DIR:-/tmp/romflash-bench}
PKG=${PKG:-$(ls "$DIR"/pkg-scripts-first/*.tgz)}
RUNS=${RUNS:-3}
EMU_PID=""
trap 'if [ -n "$EMU_PID" ]; then kill "$EMU_PID" 2>/dev/null || true; fi; rm -rf "$DIR/rec-state"' EXIT INT TERM
export ROMFLASH_STATE_DIR="$DIR/resume"
export XDG_CACHE_HOME="$DIR/rec-cache"

# ttfw: seconds from start to the first flash step of `romflash --json
# -s DEV flash PKG`, the command run to its end (exit 0 required)
ttfw() {
	python3 - "$RF" "$1" "$PKG" <<'EOF'
import json, subprocess, sys, time
rf, dev, pkg = sys.argv[1:4]
t0 = time.monotonic()
p = subprocess.Popen([rf, "--json", "-s", dev, "flash", pkg, "--no-reboot"],
                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
first = None
for line in p.stdout:
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if first is None and e.get("event") == "step_start" and e.get("op") == "flash":
        first = time.monotonic() - t0
if p.wait() != 0 or first is None:
    sys.exit("romflash flash failed")
print("%.3f" % first)
EOF
}

median() { printf '%s\n' "$@" | sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

echo "time to the first write, first and second flash of $(basename "$PKG")"
firsts="" seconds=""
for run in $(seq "$RUNS"); do
	rm -rf "$XDG_CACHE_HOME"
	for which in first second; do
		sync
		rm -rf "$DIR/rec-state"; mkdir -p "$DIR/rec-state"; rm -f "$DIR/rec-port"
		"$EMU" --state "$DIR/rec-state" --port 0 --port-file "$DIR/rec-port" \
			>"$DIR/rec-emu.log" 2>&1 &
		EMU_PID=$!
		for _ in $(seq 100); do [ -s "$DIR/rec-port" ] && break; sleep 0.05; done
		t=$(ttfw "tcp:127.0.0.1:$(cat "$DIR/rec-port")")
		kill "$EMU_PID" 2>/dev/null || true
		wait "$EMU_PID" 2>/dev/null || true
		EMU_PID=""
		echo "  run $run, $which flash: $t s"
		if [ "$which" = first ]; then firsts="$firsts $t"; else seconds="$seconds $t"; fi
	done
done
# shellcheck disable=SC2086 # lists of numbers
f=$(median $firsts) s=$(median $seconds)
echo "median: first $f s, second $s s, ratio $(awk "BEGIN {printf \"%.3f\", $s / $f}") (goal <= 0.3)"
