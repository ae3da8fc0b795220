#!/bin/sh
# Fuzz the parsers with libFuzzer (clang -fsanitize=fuzzer,address,undefined).
# Each tests/fuzz/fuzz_NAME.c is one target, linked with protocol/NAME.c (or
# flasher/*/NAME.c) and the NAME_*.c beside it, and protocol/rf_error.c.  Not part of `make check`.
# Env: FUZZ_SECONDS (per target, default 60), FUZZ_TARGETS (names, default
# all), B (build dir, default build; binaries go to $B/fuzz).
set -eu
cd "$(dirname "$0")/.."
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
B=${B:-build}
OUT=$B/fuzz

if ! command -v clang >/dev/null 2>&1; then
	echo "fuzz: installing clang"
	SUDO=""
	[ "$(id -u)" = 0 ] || SUDO=sudo
	$SUDO apt-get install -y -qq clang >/dev/null
fi

targets=${FUZZ_TARGETS:-$(for f in tests/fuzz/fuzz_*.c; do
	[ -f "$f" ] && basename "$f" .c | sed 's/^fuzz_//'; done)}
[ -n "$targets" ] || { echo "fuzz: no targets" >&2; exit 1; }

mkdir -p "$OUT"
for t in $targets; do
	bin=$OUT/fuzz_$t
	corpus=$OUT/corpus_$t
	mkdir -p "$corpus"
	# Seed with the test fixtures of that kind, if any.
	for s in tests/fixtures/*"$t"* tests/fuzz/seeds_"$t"/*; do
		[ -f "$s" ] && cp "$s" "$corpus/" 2>/dev/null || true
	done
	libs="" defs=""
	if [ "$t" = sparse ]; then
		libs=-lisal
		# Small buffers: faster runs, and buffer edges get exercised.
		defs=-DSPARSE_BUF_LEN=4096
		if command -v img2simg >/dev/null 2>&1; then
			python3 -c 'import os,sys
b = bytearray(os.urandom(3000)) + bytes(2048) + b"\x11\x22\x33\x44" * 600 + os.urandom(900)
sys.stdout.buffer.write(b)' >"$OUT/seed.raw"
			for bs in 512 1024 4096; do
				img2simg "$OUT/seed.raw" "$corpus/seed_$bs" $bs \
					>/dev/null 2>&1 || true
			done
			rm -f "$OUT/seed.raw"
		fi
	fi
	echo "fuzz: building $bin"
	# the parser under test: protocol/NAME.c or flasher/*/NAME.c, with
	# the files it is split into (NAME_*.c: sparse_scan.c, ...)
	src=$(ls protocol/"$t".c flasher/*/"$t".c 2>/dev/null | head -n 1)
	srcs="$src $(ls "$(dirname "$src")/${t}"_*.c 2>/dev/null | tr '\n' ' ')"
	# shellcheck disable=SC2086 # $srcs: a list
	clang -std=c11 -D_GNU_SOURCE -g -O1 -Iprotocol -I"$(dirname "$src")" \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		$defs -o "$bin" "tests/fuzz/fuzz_$t.c" $srcs \
		protocol/rf_error.c $libs
	echo "fuzz: running $t for ${FUZZ_SECONDS}s (corpus $corpus)"
	"$bin" -max_total_time="$FUZZ_SECONDS" -max_len=65536 \
		-artifact_prefix="$OUT/crash_${t}_" -print_final_stats=1 \
		"$corpus"
done
