#!/bin/sh
# make demo (tools/demo.sh) shows what it promises: a sample ROM package
# made, `info`, the dry run and a whole `flash` into the emulated phone
# ending in "Done", and nothing left in /tmp.  (It once fell back to a
# single flash-image silently when the help text changed.)
. "$(dirname "$0")/lib.sh"
lib_init t_demo
before=$(ls -d /tmp/romflash-demo.* 2>/dev/null | wc -l)
B="$B" timeout 120 sh "$ROOT/tools/demo.sh" >"$T/demo.out" 2>&1 ||
	fail "demo.sh exit $?: $(tail -5 "$T/demo.out")"
for want in "Making a sample ROM package" "romflash info" "romflash plan (dry run" \
	"Checks passed on 1 phone" "flash system  OK" "Done: 1 phone flashed with"; do
	grep -qF "$want" "$T/demo.out" || fail "no '$want' in the demo's output"
done
grep -q "flash-image" "$T/demo.out" && fail "the demo wrote a single image instead of a ROM"
after=$(ls -d /tmp/romflash-demo.* 2>/dev/null | wc -l)
[ "$after" -le "$before" ] || fail "the demo left its folder in /tmp"
lib_finish
