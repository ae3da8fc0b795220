#!/bin/sh
# Failures the script does not check, and --resume --skip.
#
# An unchecked `erase` the phone refuses: bash goes on, so does romflash (a
# warning naming the step, the flash completes).  A checked one: romflash
# stops, and `--resume` alone stops at the same step again; the report says
# how to go past it (--skip N), and `--resume --skip N` does, saying so.
# --skip with another step, with a check, or without --resume: exit 2.
# Env (tests/run-all): ROMFLASH, ROMFLASH_EMU, ROOT, B.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
. "$ROOT/tests/lib.sh"
lib_init t_unchecked_skip

"$MKPKG" --variant modern --order scripts-last --size-mb 2 --seed 5 --out "$T/p" \
	--keep-folder >/dev/null || { echo "mkpkg failed"; exit 1; }
DIR=$(pkg_folder "$T/p")

# the keep-data script gets an unchecked erase of a partition this phone
# does not have; the clean one a checked one
KEEP=$DIR/flash_all_except_storage.sh
CLEAN=$DIR/flash_all.sh
sed -i '/erase boot/i fastboot $* erase config' "$KEEP"
sed -i '/erase boot/i fastboot $* erase config\nif [ $? -ne 0 ] ; then echo "Erase config error"; exit 1; fi' "$CLEAN"
rm -f "$DIR"/*.bat

# 1. unchecked: a warning, then everything else
emu_start E "$T/e1" --reboot-delay 100
rf -s "$E_DEV" flash "$DIR" --no-reboot >"$T/1.out" 2>"$T/1.err"
rc=$?
emu_stop E
[ "$rc" = 0 ] || fail "unchecked erase: exit $rc: $(cat "$T/1.err")"
grep -q "step [0-9]* (erase config) failed: .*the script does not stop on it (flash_all_except_storage.sh:[0-9]*), going on" "$T/1.err" ||
	fail "unchecked erase: no warning: $(cat "$T/1.err")"
grep -q '^erase:config$' "$T/e1/commands.log" || fail "unchecked erase: not sent"
last=$(grep -v '^getvar' "$T/e1/commands.log" | tail -n 1)
[ "$last" = "flash:boot" ] || fail "unchecked erase: the flash did not go on to boot ($last)"

# 2. checked: a stop, and the report tells how to go past it
emu_start E "$T/e2" --reboot-delay 100
rf -s "$E_DEV" flash "$DIR" --mode clean --yes --no-reboot >"$T/2.out" 2>"$T/2.err"
rc=$?
[ "$rc" = 1 ] || fail "checked erase: exit $rc: $(cat "$T/2.err")"
step=$(sed -n 's/.*step \([0-9]*\)\/[0-9]* (erase config) failed.*/\1/p' "$T/2.err")
[ -n "$step" ] || fail "checked erase: no failed step in: $(cat "$T/2.err")"
grep -q "if the phone refuses this step every time: romflash -s $E_DEV flash .* --resume --skip $step" "$T/2.err" ||
	fail "checked erase: no --skip hint: $(cat "$T/2.err")"

# 3. --resume alone meets the same dead end
rf -s "$E_DEV" flash "$DIR" --mode clean --yes --no-reboot --resume >"$T/3.out" 2>"$T/3.err"
rc=$?
[ "$rc" = 1 ] && grep -q "step $step/[0-9]* (erase config) failed" "$T/3.err" ||
	fail "resume: exit $rc, not the same step: $(cat "$T/3.err")"

# 4. --skip of another step, or without --resume: usage errors, nothing sent
before=$(wc -l <"$T/e2/commands.log")
rf -s "$E_DEV" flash "$DIR" --mode clean --yes --resume --skip $((step + 1)) \
	>"$T/4.out" 2>"$T/4.err"
rc=$?
[ "$rc" = 2 ] && grep -q "stopped at step $step; only that step can be skipped" "$T/4.err" ||
	fail "skip another step: exit $rc: $(cat "$T/4.err")"
rf -s "$E_DEV" flash "$DIR" --mode clean --yes --skip "$step" >"$T/4b.out" 2>"$T/4b.err"
rc=$?
[ "$rc" = 2 ] && grep -q "goes with --resume" "$T/4b.err" ||
	fail "skip without resume: exit $rc: $(cat "$T/4b.err")"
after=$(grep -cv '^getvar' "$T/e2/commands.log")
grep -v '^getvar' "$T/e2/commands.log" >"$T/cmds.before"

# 5. --resume --skip N: past the dead end, to the end, and said so
rf -s "$E_DEV" flash "$DIR" --mode clean --yes --no-reboot --resume --skip "$step" \
	>"$T/5.out" 2>"$T/5.err"
rc=$?
emu_stop E
[ "$rc" = 0 ] || fail "resume --skip: exit $rc: $(cat "$T/5.err")"
grep -q "skipping step $step/[0-9]* (erase config, flash_all.sh:[0-9]*) as asked with --skip" "$T/5.err" ||
	fail "resume --skip: not said: $(cat "$T/5.err")"
grep -q "except the step skipped with --skip" "$T/5.out" || fail "resume --skip: Done line: $(cat "$T/5.out")"
n_config=$(grep -c '^erase:config$' "$T/e2/commands.log")
[ "$n_config" = 2 ] || fail "resume --skip: erase config sent $n_config times (want 2: the run and the plain resume)"
[ "$(grep -v '^getvar' "$T/e2/commands.log" | tail -n 1)" = "flash:boot" ] ||
	fail "resume --skip: did not reach boot"
: "$before" "$after"
lib_finish
