#!/bin/sh
# The fault matrix (issue 15): every kind of step of a flash and of a
# sideload against every fault of the emulated phone, over TCP.
#
#   steps:  getvar (the script's `getvar product` check), dl-small (the
#           download of a small image, tz), dl-piece (the download of the
#           second piece of a split system image), flash (flash:logo),
#           erase (erase:boot), reboot-bl (reboot-bootloader of the
#           repartition variant), block (sideload block serving)
#   faults: fail (FAIL; at a getvar three in a row: one FAIL is retried),
#           cut (the cable pulled: mid-data for downloads), stall (the
#           phone hangs, the link stays up), garbage (a reply that is no
#           reply; DATA of a wrong size; a WRTE that is no block number),
#           slow (3 s late, below every timeout: the run succeeds),
#           noreturn (cut, and the phone never comes back; at
#           reboot-bootloader: it never comes back from the reboot)
#
# Each case asserts: the documented exit status; stderr naming the step
# (the failed step's label, the variable, or the sideload's words); the run
# ends within the documented timeout plus a margin (docs/romflash.1,
# TIMEOUTS: 10 s for a reply or a stalled download link, --wait for a
# rebooting phone); nothing left in TMPDIR, no lock file still locked;
# saved progress exactly when the report prints "to resume:"; and then the
# printed --resume (or a plain re-run when there is nothing to resume; the
# phone power-cycled first if it hung or left) ends byte-identical to an
# uninterrupted flash (a sideload: the phone's copy equals the zip).
#
# The stalled-but-alive writing command (flash:, erase:) has no timeout
# (issue 10: a phone writing a large piece on an old eMMC is silent for
# minutes): after 12 s -- past every reply timeout -- a first SIGINT must
# not end the wait (the phone finishes the write whatever the host does),
# a second one exits 130 at once; progress is saved, the resume (after a
# power-cycle) completes.  A stalled sideload over TCP waits 15 min for
# the phone's next request: a SIGINT after 12 s ends it with 130.
#
# Rows run as parallel jobs (reboot-bootloader's in three); the cases of a
# row one after the other.
# Env (tests/run-all): ROMFLASH, ROMFLASH_EMU, ROOT, B.  FAULT_ROWS: a
# space-separated subset of the rows (debugging).
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
. "$ROOT/tests/lib.sh"
lib_init t_fault_matrix
need_tool img2simg simg2img flock
HOME="$T/home"
export HOME
unset ANDROID_USER_HOME
mkdir -p "$HOME"

REPLY_S=10      # RF_FB_DEFAULT_TIMEOUT_MS, docs/romflash.1 TIMEOUTS
WAIT_S=3        # --wait given to the reboot-bootloader cases
MARGIN_S=8      # a loaded 2-core machine
HANG_S=12       # how long a hung writing command is left before SIGINT
SLOW=slow=3000
MODVARS="crc=1"
REPVARS="board_version=3.0"
MAXDL=0x100000  # system comes in pieces

"$MKPKG" --variant modern --order shuffled --size-mb 3 --seed 31 --out "$T/mod" \
	--keep-folder >/dev/null &
"$MKPKG" --variant repartition --order scripts-first --size-mb 3 --seed 32 --out "$T/rep" \
	--keep-folder >/dev/null &
python3 "$ROOT/tests/fixtures/mkzip" --out "$T/zip" --key "$T/keys" --size-mb 1.2 \
	>"$T/zip.out" &
wait
MOD=$(ls "$T"/mod/*.tgz) || { echo "mkpkg modern failed"; exit 1; }
REP=$(ls "$T"/rep/*.tgz) || { echo "mkpkg repartition failed"; exit 1; }
ZIP=$(sed -n 1p "$T/zip.out")
[ -f "$ZIP" ] || { echo "mkzip failed"; exit 1; }

# ref NAME PKG MODE [emu options]: an uninterrupted flash, checked against
# the package's images and script
ref() {
	_r=$1 _pkg=$2 _mode=$3
	shift 3
	emu_start REF "$T/ref.$_r" "$@"
	rf --json -s "$REF_DEV" plan "$_pkg" --mode "$_mode" >"$T/ref.$_r.plan" || fail "ref $_r: plan"
	rf -s "$REF_DEV" flash "$_pkg" --mode "$_mode" --yes --no-reboot >"$T/ref.$_r.out" 2>&1 ||
		fail "ref $_r: $(tail -n 3 "$T/ref.$_r.out")"
	emu_stop REF
	check_flash "$T/ref.$_r" "$(pkg_folder "$T/$_r")" "$T/ref.$_r.plan" --no-reboot
}
ref mod "$MOD" keep-data --vars "$MODVARS" --max-download $MAXDL
ref rep "$REP" keep-data --vars "$REPVARS" --max-download $MAXDL
[ "$fails" -eq 0 ] || lib_finish

# nth_download LOG PART K: the number N of download#N that carries the Kth
# download of partition PART
nth_download() {
	awk -v part="flash:$2" -v k="$3" '
		/^download:/ { n++ }
		$0 == part && ++seen == k { print n; exit }' "$1"
}
DL_SMALL=$(nth_download "$T/ref.mod/commands.log" tz 1)
DL_PIECE=$(nth_download "$T/ref.mod/commands.log" system 2)
[ -n "$DL_SMALL" ] && [ -n "$DL_PIECE" ] || { echo "no downloads in the reference"; exit 1; }

# ---- one case ----------------------------------------------------------------

# now_ms: a monotonic-enough clock for the timing checks
now_ms() { date +%s%3N; }

# leftovers NAME: temporary files, locked locks
leftovers() {
	if [ -n "$(ls -A "$TMPDIR" 2>/dev/null)" ]; then
		fail "$1: left in TMPDIR: $(ls -A "$TMPDIR" | head -n 5 | tr '\n' ' ')"
	fi
	for _l in "$ROMFLASH_LOCK_DIR"/*; do
		[ -e "$_l" ] || continue
		flock -n "$_l" true || fail "$1: $_l is still locked"
	done
	if grep -q "to resume: " "$st.err"; then
		ls "$ROMFLASH_STATE_DIR"/*.resume >/dev/null 2>&1 ||
			fail "$1: 'to resume:' printed but no progress saved"
	elif [ "$2" != hang ] && ls "$ROMFLASH_STATE_DIR"/*.resume >/dev/null 2>&1; then
		fail "$1: progress saved but no 'to resume:' printed: $(cat "$st.err")"
	fi
}

# hang_stop NAME PID: a run that must wait (no timeout applies): still
# running after HANG_S; the first SIGINT must not end it, the second ends
# it with 130 (returned)
hang_stop() {
	sleep "$HANG_S"
	kill -0 "$2" 2>/dev/null || { fail "$1: ended before the SIGINT: $(cat "$st.err")"; wait "$2"; return; }
	kill -INT "$2"
	sleep 2
	if kill -0 "$2" 2>/dev/null; then
		[ "$3" = twice ] || fail "$1: one SIGINT did not end it"
		kill -INT "$2"
	elif [ "$3" = twice ]; then
		fail "$1: the first SIGINT ended the wait of a writing command"
	fi
	_i=0
	while kill -0 "$2" 2>/dev/null && [ $_i -lt 100 ]; do sleep 0.1; _i=$((_i + 1)); done
	kill -0 "$2" 2>/dev/null && { fail "$1: SIGINT did not end it"; kill -KILL "$2"; }
	wait "$2"
}

# runner HOW: the watchdog of a run that ends by itself (rf's timeout);
# none for a hang, stopped by hang_stop (timeout(1) in a background job
# does not pass SIGINT on)
runner() {
	[ "$1" = hang ] || echo "timeout -k 2 $RF_TIMEOUT"
}

# power_cycle: the phone of this case, a new emulator process on the same
# state and port (as a hung or vanished phone that is restarted)
power_cycle() {
	emu_stop E
	emu_start E "$st" --port "$port" --reboot-delay 100 $emu_base
}

# fb NAME PKG REF WANTRC MSG LIMIT_S HOW EMU_OPTIONS...: a flash of PKG
# against a phone with EMU_OPTIONS; HOW: run (it ends by itself), hang
# (SIGINT twice: a writing command), wait=S (flash --wait S)
fb() {
	_c=$1 _pkg=$2 _ref=$3 _want=$4 _msg=$5 _lim=$6 _how=$7
	shift 7
	case $_pkg in mod) _pkg=$MOD ;; rep) _pkg=$REP ;; esac
	st="$T/fb.$_c"
	case $_ref in mod) emu_base="--vars $MODVARS --max-download $MAXDL" ;;
	*) emu_base="--vars $REPVARS --max-download $MAXDL" ;; esac
	rm -rf "$ROMFLASH_STATE_DIR"
	# shellcheck disable=SC2086 # emu_base is a word list
	emu_start E "$st" --reboot-delay 100 $emu_base "$@"
	port=$E_PORT
	_w=""
	case $_how in wait=*) _w="--wait ${_how#wait=}" ;; esac
	t0=$(now_ms)
	# shellcheck disable=SC2086
	$(runner "$_how") "$ROMFLASH" -s "$E_DEV" flash "$_pkg" --mode keep-data --yes --no-reboot \
		$_w >"$st.out" 2>"$st.err" &
	pid=$!
	if [ "$_how" = hang ]; then hang_stop "$_c" $pid twice; else wait $pid; fi
	rc=$?
	took=$(( ($(now_ms) - t0) / 1000 ))
	[ "$rc" = "$_want" ] || fail "$_c: exit $rc, want $_want: $(tail -n 4 "$st.err")"
	grep -qE "$_msg" "$st.err" "$st.out" ||
		fail "$_c: no /$_msg/ in: $(tail -n 4 "$st.err")"
	[ "$took" -le "$_lim" ] || fail "$_c: took ${took}s, at most ${_lim}s"
	leftovers "$_c" "$_how"
	# the phone back: power-cycled when it hung or left for good
	if ! emu_wait_online "$st" 2 || ! kill -0 "$E_PID" 2>/dev/null; then
		power_cycle
	fi
	if [ "$_want" != 0 ]; then
		cmd=$(sed -n 's/^.*to resume: romflash //p' "$st.err" | head -n 1)
		if [ -z "$cmd" ] && ls "$ROMFLASH_STATE_DIR"/*.resume >/dev/null 2>&1; then
			cmd="-s $E_DEV flash $_pkg --mode keep-data --yes --resume" # the hang
		fi
		[ -n "$cmd" ] || cmd="-s $E_DEV flash $_pkg --mode keep-data --yes"
		eval "rf $cmd --no-reboot" >"$st.res.out" 2>"$st.res.err" ||
			fail "$_c: the resume/re-run: exit $?: $(tail -n 3 "$st.res.err")"
		! ls "$ROMFLASH_STATE_DIR"/*.resume >/dev/null 2>&1 ||
			fail "$_c: progress left after the flash completed"
	fi
	emu_stop E
	same_partitions "$T/ref.$_ref" "$st"
	echo "$_c: exit $rc in ${took}s"
}

# sl NAME WANTRC MSG LIMIT_S HOW EMU_OPTIONS...: a sideload; afterwards the
# same command against the phone in sideload mode again (a fresh start of
# "Apply update from ADB") must deliver the zip byte for byte
sl() {
	_c=$1 _want=$2 _msg=$3 _lim=$4 _how=$5
	shift 5
	st="$T/sl.$_c"
	emu_start P "$st" --adb sideload --reboot-delay 100 --order random --seed 7 "$@"
	t0=$(now_ms)
	$(runner "$_how") "$ROMFLASH" -s "$P_DEV" sideload "$ZIP" --wait 5 \
		>"$st.out" 2>"$st.err" </dev/null &
	pid=$!
	if [ "$_how" = hang ]; then hang_stop "$_c" $pid once; else wait $pid; fi
	rc=$?
	took=$(( ($(now_ms) - t0) / 1000 ))
	emu_stop P
	[ "$rc" = "$_want" ] || fail "$_c: exit $rc, want $_want: $(tail -n 4 "$st.err")"
	grep -qE "$_msg" "$st.err" "$st.out" || fail "$_c: no /$_msg/ in: $(tail -n 4 "$st.err")"
	[ "$took" -le "$_lim" ] || fail "$_c: took ${took}s, at most ${_lim}s"
	leftovers "$_c" run
	if [ "$_want" != 0 ]; then
		emu_start P "$st.again" --adb sideload
		rf -s "$P_DEV" sideload "$ZIP" --wait 5 >"$st.res.out" 2>"$st.res.err" </dev/null ||
			fail "$_c: the re-run: exit $?: $(tail -n 3 "$st.res.err")"
		emu_stop P
		st="$st.again"
	fi
	cmp -s "$ZIP" "$st/sideload.zip" || fail "$_c: the phone's copy differs from the zip"
	echo "$_c: exit $rc in ${took}s"
}

# ---- the rows -----------------------------------------------------------------
R=$((REPLY_S + MARGIN_S))   # a reply or a stalled link
Q=$((MARGIN_S + 4))          # everything that ends at once (slow: 3 s late)
H=$((HANG_S + 2 + MARGIN_S)) # the hangs stopped by SIGINT
LOST="lost|disconnect|closed|link"
JUNK="garbage|expected|asked for|not a|unexpected"

row_getvar() {
	G=getvar:product#2 S="getvar product|product"
	fb getvar-fail mod mod 4 "answers product nothing.*answered FAIL 3 times" $Q run \
		--fault fail@getvar:product#2 --fault fail@getvar:product#3 --fault fail@getvar:product#4
	fb getvar-cut mod mod 1 "($S).*($LOST)|($LOST).*($S)" $Q run --fault cut@$G
	fb getvar-stall mod mod 1 "($S).*(no reply|within)" $R run --fault stall@$G
	fb getvar-garbage mod mod 1 "($S).*($JUNK)" $Q run --fault garbage@$G
	fb getvar-slow mod mod 0 "" $Q run --fault $SLOW@$G
	fb getvar-noreturn mod mod 1 "($S).*($LOST)|($LOST).*($S)" $Q run --fault cut@$G --no-return
}
# row_download NAME N BYTES PART: download#N (of PART), faults in its data
# after BYTES
row_download() {
	G=download#$2 S="step [0-9]+/[0-9]+ \\(flash $4\\) failed"
	fb "$1-fail" mod mod 1 "$S" $Q run --fault "fail@$G"
	fb "$1-cut" mod mod 1 "$S.*($LOST)" $Q run --fault "cut@$G+$3"
	fb "$1-stall" mod mod 1 "$S" $R run --fault "stall@$G+$3"
	fb "$1-garbage" mod mod 1 "$S.*($JUNK)" $Q run --fault "garbage@$G"
	fb "$1-slow" mod mod 0 "" $Q run --fault "$SLOW@$G+$3"
	fb "$1-noreturn" mod mod 1 "$S.*($LOST)" $Q run --fault "cut@$G+$3" --no-return
}
row_dl_small() { row_download small "$DL_SMALL" 8000 tz; }
row_dl_piece() { row_download piece "$DL_PIECE" 300000 system; }

# row_writing NAME COMMAND LABEL: a writing command (no timeout: a hung
# phone is stopped by two SIGINTs)
row_writing() {
	G=$2 S="step [0-9]+/[0-9]+ \\($3\\) failed"
	fb "$1-fail" mod mod 1 "$S.*emulated failure" $Q run --fault "fail@$G"
	fb "$1-cut" mod mod 1 "$S.*($LOST)" $Q run --fault "cut@$G"
	fb "$1-stall" mod mod 130 "still writing \\($G" $H hang --fault "stall@$G"
	fb "$1-garbage" mod mod 1 "$S.*($JUNK)" $Q run --fault "garbage@$G"
	fb "$1-slow" mod mod 0 "" $Q run --fault "$SLOW@$G"
	fb "$1-noreturn" mod mod 1 "$S.*($LOST)" $Q run --fault "cut@$G" --no-return
}
row_flash() { row_writing flash flash:logo "flash logo"; }
row_erase() { row_writing erase erase:boot "erase boot"; }
# reboot-bootloader: the script sleeps 5 s after it (each limit here has
# those 5 s more, and a resume sleeps again): three jobs of two cases
RBL="step [0-9]+/[0-9]+ \\(reboot-bootloader\\) failed"
row_rbl_a() {
	fb rbl-fail rep rep 1 "$RBL.*emulated failure" $Q run --fault fail@reboot-bootloader
	# the link dropped before the OKAY: taken as the reboot asked for
	fb rbl-cut rep rep 0 "" $((Q + 5)) run --fault cut@reboot-bootloader
}
row_rbl_b() {
	fb rbl-stall rep rep 1 "$RBL" $R run --fault stall@reboot-bootloader
	fb rbl-garbage rep rep 1 "$RBL.*($JUNK)" $Q run --fault garbage@reboot-bootloader
}
row_rbl_c() {
	fb rbl-slow rep rep 0 "" $((Q + 5)) run --fault $SLOW@reboot-bootloader
	fb rbl-noreturn rep rep 1 "$RBL.*within $WAIT_S s" $((WAIT_S + Q)) wait=$WAIT_S --no-return
}
row_block() {
	G=block#3
	sl block-fail 1 "refused the package" $Q run --fault fail@$G
	sl block-cut 1 "link to the phone was lost" $Q run --fault cut@$G
	sl block-stall 130 "interrupted after" $H hang --fault stall@$G
	sl block-garbage 1 "GARBAGE.*instead of a block number" $Q run --fault garbage@$G
	! grep -q "link to the phone was lost" "$T/sl.block-garbage.err" ||
		fail "block-garbage: a garbage request is no lost link"
	sl block-slow 0 "" $Q run --fault $SLOW@$G
	sl block-noreturn 1 "link to the phone was lost" $Q run --fault cut@$G --no-return
}

ROWS="getvar dl_small dl_piece flash erase rbl_a rbl_b rbl_c block"

# TMPDIR of each job: its own, checked empty after every case
in_row() {
	TMPDIR="$T/tmp.$1"
	export TMPDIR
	mkdir -p "$TMPDIR"
	"row_$1"
	[ "$fails" -eq 0 ]
}
for r in ${FAULT_ROWS:-$ROWS}; do
	job "$r" in_row "$r"
done
wait_jobs
for r in ${FAULT_ROWS:-$ROWS}; do
	grep -E '^[a-z-]+: exit [0-9]+ in' "$T/job.$r.log"
done
echo "matrix: $(cat "$T"/job.*.log | grep -cE '^[a-z-]+: exit [0-9]+ in') cases run"
lib_finish
