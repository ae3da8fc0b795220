#!/bin/sh
# Fuzz the parsers of outside input with libFuzzer (docs/fuzzing.md).
#
#   tools/fuzz.sh            build every harness, run each FUZZ_SECONDS
#   tools/fuzz.sh merge      also minimise the seeds in tests/fuzz/corpus/NAME
#                            (-merge=1: a seed that adds no coverage goes);
#                            what a run learns stays in build-fuzz/corpus/
#
# Each tests/fuzz/fuzz_NAME.c is one harness, linked with the whole tool
# built by clang with ASan + UBSan + coverage (build-fuzz/).  A run starts
# from tests/fuzz/corpus/NAME (seeds: tests/fuzz/mkseeds), the folders
# tests/fuzz/seed-dirs names and tests/fuzz/crashes/NAME, keeps what it learns in
# build-fuzz/corpus/NAME, and writes a crashing input to
# build-fuzz/crashes/NAME/.  Prints per harness: executions, coverage (cov:
# and ft: of libFuzzer's last line), crashes.
#
# Env: FUZZ_SECONDS (per harness, default 60), FUZZ_TARGETS (names,
# default all).  Harnesses run one after another, on one core.
set -eu
cd "$(dirname "$0")/.."
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
B=build-fuzz
MODE=${1:-run}

# clang, and its runtimes (libFuzzer, the sanitizers): Debian ships those
# in libclang-rt-dev, only recommended by clang
missing=""
if command -v dpkg-query >/dev/null 2>&1; then
	for p in clang libclang-rt-dev; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
			missing="$missing $p"
	done
elif ! command -v clang >/dev/null 2>&1; then
	echo "fuzz: needs clang with libFuzzer (compiler-rt)" >&2
	exit 1
fi
if [ -n "$missing" ]; then
	echo "fuzz: installing$missing"
	SUDO=""
	[ "$(id -u)" = 0 ] || SUDO=sudo
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq
	# shellcheck disable=SC2086 # a list
	$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

all=$(for f in tests/fuzz/fuzz_*.c; do basename "$f" .c | sed 's/^fuzz_//'; done)
targets=${FUZZ_TARGETS:-$all}
for t in $targets; do
	[ -f "tests/fuzz/fuzz_$t.c" ] || { echo "fuzz: no harness tests/fuzz/fuzz_$t.c" >&2; exit 2; }
done

count() { find "$1" -type f | wc -l; }

bins=""
for t in $targets; do bins="$bins $B/fuzz/fuzz_$t"; done
echo "fuzz: building (clang, ASan + UBSan + libFuzzer) into $B/"
mkdir -p $B
# SPARSE_BUF_LEN: small sparse buffers, so buffer edges get exercised
# shellcheck disable=SC2086 # $bins: a list
make --no-print-directory -j2 B=$B CC=clang OPT="-O1 -g -fno-omit-frame-pointer" \
	SAN="-fsanitize=address,undefined,fuzzer-no-link -fno-sanitize-recover=all" \
	CPPFLAGS="-DSPARSE_BUF_LEN=4096" $bins >$B/build.log 2>&1 ||
	{ tail -n 30 $B/build.log; echo "fuzz: build failed (all of it in $B/build.log)" >&2; exit 1; }

summary=""
found=0
for t in $targets; do
	corpus=$B/corpus/$t crashes=$B/crashes/$t log=$B/fuzz-$t.log
	mkdir -p "$corpus" "$crashes"
	# more inputs to start from (read only): the kept crashes, a dictionary
	extra=""
	[ -d "tests/fuzz/crashes/$t" ] && extra="tests/fuzz/crashes/$t"
	extra="$extra $(awk -v t="$t" '$1 == t { print $2 }' tests/fuzz/seed-dirs)"
	[ -f "tests/fuzz/$t.dict" ] && extra="$extra -dict=tests/fuzz/$t.dict"
	before=$(count "$crashes")
	echo "fuzz: $t for ${FUZZ_SECONDS}s"
	# the first folder is where libFuzzer adds what it finds
	set +e
	# shellcheck disable=SC2086 # $extra: a list
	"$B/fuzz/fuzz_$t" -max_total_time="$FUZZ_SECONDS" -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$crashes/" \
		"$corpus" "tests/fuzz/corpus/$t" $extra >"$log" 2>&1
	rc=$?
	set -e
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	last=$(grep -E '^#[0-9]+.* cov: ' "$log" | tail -n 1)
	cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	new=$(( $(count "$crashes") - before ))
	line=$(printf '%-10s execs %-9s cov %-6s ft %-7s crashes %s' "$t" \
		"${execs:-?}" "${cov:-?}" "${ft:-?}" "$new")
	[ $rc -eq 0 ] || line="$line (exit $rc: $log)"
	[ "$new" -eq 0 ] || found=1
	echo "  $line"
	summary="$summary$line
"
	if [ "$MODE" = merge ]; then
		# the seeds that add coverage to each other and to the real
		# inputs of seed-dirs (libFuzzer names what it keeps by its
		# SHA-1); the others go, the kept ones keep their names
		tmp=$B/merge-$t
		rm -rf "$tmp"; mkdir -p "$tmp"
		# shellcheck disable=SC2046 # a list of folders
		"$B/fuzz/fuzz_$t" -merge=1 -timeout=10 "$tmp" "tests/fuzz/corpus/$t" \
			$(awk -v t="$t" '$1 == t { print $2 }' tests/fuzz/seed-dirs) \
			>"$B/merge-$t.log" 2>&1
		for f in "tests/fuzz/corpus/$t"/*; do
			[ -e "$tmp/$(sha1sum <"$f" | cut -d' ' -f1)" ] || rm -f "$f"
		done
		echo "  merged: $(count "tests/fuzz/corpus/$t") seeds kept in tests/fuzz/corpus/$t"
	fi
done

echo "fuzz: summary (${FUZZ_SECONDS}s each)"
printf '%s' "$summary"
if [ $found -ne 0 ]; then
	echo "fuzz: crashes kept in $B/crashes/NAME/ (replay: $B/fuzz/fuzz_NAME FILE);" \
		"once fixed, keep the input in tests/fuzz/crashes/NAME/"
	exit 1
fi
