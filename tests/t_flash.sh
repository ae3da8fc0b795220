#!/bin/sh
# `romflash flash` end to end over TCP into the emulated phone.
#
# Every variant x tar order x mode: the plan against the phone (`--json -s
# plan`), the flash, then
#   - executed order == plan order == script order (commands.log without
#     getvar/download lines, against the plan's steps and downloads, and the
#     plan's steps against the fastboot lines of the script itself);
#   - every written partition byte for byte equals its image (sparse ones
#     unsparsed with simg2img; a+b names both), the rest of it zero, erased
#     partitions zero, no other partition touched.
# Also an extracted folder, Debian fastboot running the same plan gives the
# same partitions, and the preflight refusals (nothing written).
# Env (tests/run-all): ROMFLASH, ROMFLASH_EMU, ROOT, B.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
. "$ROOT/tests/lib.sh"
lib_init t_flash
need_tool img2simg simg2img

# The repartition variant checks board_version must match neither 4.4 nor
# 5.x; a phone answering 3.0 passes.
VARS_OK="board_version=3.0"

# flash_one LABEL PKG PKGDIR MODE REBOOT MAXDL [emu options]: one flash
# into a fresh phone, checked.  REBOOT: reboot | no-reboot.  Returns 1 on a
# failure (runs in a subshell for the parallel jobs, so no counter).
flash_one() {
	label=$1 pkg=$2 dir=$3 mode=$4 reboot=$5 maxdl=$6
	shift 6
	f0=$fails
	st="$T/st.$label"
	emu_start E "$st" --max-download "$maxdl" --reboot-delay 100 "$@"
	if ! rf --json -s "$E_DEV" plan "$pkg" --mode "$mode" >"$st.plan" 2>"$st.plan.err"; then
		fail "$label: plan: $(cat "$st.plan.err")"
		emu_stop E
		return 1
	fi
	set -- flash "$pkg" --mode "$mode"
	[ "$mode" = keep-data ] || set -- "$@" --yes
	[ "$reboot" = reboot ] || set -- "$@" --no-reboot
	rf -s "$E_DEV" "$@" >"$st.out" 2>"$st.err" </dev/null
	rc=$?
	if [ $rc -ne 0 ]; then
		fail "$label: flash exit $rc: $(tail -n 5 "$st.err")"
		emu_stop E
		return 1
	fi
	grep -q '^Done: 1 phone flashed' "$st.out" || fail "$label: no Done line"
	if [ "$reboot" = reboot ] && grep -q '"op":"reboot"' "$st.plan"; then
		# the phone left fastboot: the emulator ends by itself
		emu_wait_gone E 5 || fail "$label: the phone did not reboot"
		grep -qx gone "$st/state" || fail "$label: state $(cat "$st/state")"
	else
		grep -qx online "$st/state" || fail "$label: state $(cat "$st/state")"
		emu_stop E
	fi
	emu_stop E
	if [ "$reboot" = reboot ]; then
		check_flash "$st" "$dir" "$st.plan"
	else
		check_flash "$st" "$dir" "$st.plan" --no-reboot
	fi
	[ "$fails" -eq "$f0" ]
}

# --- the matrix ---------------------------------------------------------
# Every variant in every tar order; the modes rotate with the order so that
# every variant is flashed in all three (and modern, the richest script, in
# all three for every order).  max-download per order: 2 MiB splits the
# sparse system image, 512 KiB also the raw modem image (its size is not a
# multiple of 4096), 0x30000000 is a Mi 4's.  Lock runs reboot at the end,
# the others use --no-reboot.
for variant in repartition modern kitkat legacy; do
	for order in scripts-first scripts-last shuffled; do
		(
			"$MKPKG" --variant "$variant" --order "$order" --size-mb 8 \
				--seed 7 --out "$T/pkg.$variant.$order" --keep-folder >/dev/null ||
				echo "mkpkg $variant $order failed" >"$T/pkg.$variant.$order.failed"
		) &
	done
	wait
done
for variant in repartition modern kitkat legacy; do
	for order in scripts-first scripts-last shuffled; do
		out="$T/pkg.$variant.$order"
		[ -f "$out.failed" ] && { fail "$(cat "$out.failed")"; continue; }
		pkg=$(ls "$out"/*.tgz)
		dir=$(pkg_folder "$out")
		case $order in
		scripts-first) maxdl=0x200000 modes=keep-data ;;
		scripts-last) maxdl=0x30000000 modes=clean ;;
		shuffled) maxdl=0x80000 modes=lock ;;
		esac
		[ "$variant" = modern ] && modes="keep-data clean lock"
		for mode in $modes; do
			reboot=no-reboot
			[ "$mode" = lock ] && reboot=reboot
			l="$variant.$order.$mode"
			case $variant in
			repartition)
				job "$l" flash_one "$l" "$pkg" "$dir" "$mode" "$reboot" "$maxdl" --vars "$VARS_OK" ;;
			modern)
				# crc=1 phones get the crc lists; the Mi 4 default does not
				if [ "$order" = scripts-last ]; then
					flash_one "$l" "$pkg" "$dir" "$mode" "$reboot" "$maxdl" || :
				else
					flash_one "$l" "$pkg" "$dir" "$mode" "$reboot" "$maxdl" --vars crc=1 || :
				fi ;;
			*)
				flash_one "$l" "$pkg" "$dir" "$mode" "$reboot" "$maxdl" || : ;;
			esac
		done
	done
done
# the crc lists really went to a crc=1 phone, and not to the others
grep -q '^flash:crclist$' "$T/st.modern.scripts-first.keep-data/commands.log" ||
	fail "crc=1 phone: no crclist"
! grep -q 'crclist' "$T/st.modern.scripts-last.keep-data/commands.log" ||
	fail "phone without crc got the crc lists"
# a+b names reached the phone as they are
grep -q '^flash:system+system1$' "$T/st.kitkat.scripts-last.clean/commands.log" ||
	fail "kitkat: no flash:system+system1"

# --- an extracted folder --------------------------------------------------
dir=$(pkg_folder "$T/pkg.kitkat.shuffled")
flash_one folder.kitkat "$dir" "$dir" clean no-reboot 0x200000 || :
dir=$(pkg_folder "$T/pkg.modern.scripts-first")
flash_one folder.modern "$dir" "$dir" keep-data reboot 0x30000000 --vars crc=1 || :

# --- Debian fastboot running the same plan gives the same partitions --------
# max-download stays large: Debian's fastboot mis-splits raw images whose
# size is not a multiple of 4096.
if have_tool fastboot; then
	ref="$T/st.modern.scripts-last.keep-data"
	dir=$(pkg_folder "$T/pkg.modern.scripts-last")
	emu_start F "$T/st.fastboot" --reboot-delay 100
	python3 - "$ref.plan" >"$T/fb.cmds" <<'EOF' || fail "fastboot: no commands from the plan"
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("event") != "step":
        continue
    if e["op"] == "flash" or (e["op"] == "crc-flash" and e.get("phone") == "yes"):
        print("flash", e["partition"], e["image"])
    elif e["op"] == "erase":
        print("erase", e["partition"])
EOF
	while read -r op part img; do
		if [ "$op" = flash ]; then
			timeout -k 2 20 fastboot -s "$F_DEV" flash "$part" "$dir/$img" >"$T/fb.out" 2>&1 ||
				fail "fastboot flash $part: $(cat "$T/fb.out")"
		else
			timeout -k 2 20 fastboot -s "$F_DEV" erase "$part" >"$T/fb.out" 2>&1 ||
				fail "fastboot erase $part: $(cat "$T/fb.out")"
		fi
		grep -q FAILED "$T/fb.out" && fail "fastboot $op $part: $(cat "$T/fb.out")"
	done <"$T/fb.cmds"
	emu_stop F
	[ -s "$T/fb.cmds" ] || fail "fastboot: empty command list"
	same_partitions "$ref" "$T/st.fastboot"
fi

# --- preflight refusals: nothing written -----------------------------------
# refuse LABEL STATUS WORD PKG [flash args] -- [emu options]
refuse() {
	label=$1 want=$2 word=$3 pkg=$4
	shift 4
	fa=""
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		fa="$fa $1"
		shift
	done
	[ $# -gt 0 ] && shift
	st="$T/st.refuse.$label"
	emu_start R "$st" "$@"
	# shellcheck disable=SC2086
	rf -s "$R_DEV" flash "$pkg" $fa >"$st.out" 2>"$st.err" </dev/null
	rc=$?
	[ "$rc" = "$want" ] || fail "$label: exit $rc, want $want: $(cat "$st.err")"
	grep -qi -- "$word" "$st.err" || fail "$label: no '$word' in: $(cat "$st.err")"
	grep -q "nothing was written\|^romflash: error" "$st.err" || fail "$label: no error line"
	emu_stop R
	no_writes "$st"
}
MOD=$(ls "$T"/pkg.modern.scripts-first/*.tgz)
REP=$(ls "$T"/pkg.repartition.scripts-first/*.tgz)
refuse product 4 "MSM8974" "$MOD" -- --product MSM8960
refuse anti 4 "anti-rollback" "$MOD" -- --vars anti=99
refuse board44 4 "board_version" "$REP" -- --vars board_version=4.4
refuse board51 4 "board_version" "$REP" -- --vars board_version=5.1
refuse clean-no-yes 2 "--yes" "$MOD" --mode clean --
refuse lock-no-yes 2 "--yes" "$MOD" --mode lock --
refuse md5 3 "MD5" "$MOD" --md5 00000000000000000000000000000000 --
refuse missing 3 "missing.tgz" "$T/missing.tgz" --
# a recovery zip is for `romflash sideload`
python3 - "$T/zip" <<'EOF' || fail "making a recovery zip"
import hashlib, os, sys, zipfile
d = sys.argv[1]
os.makedirs(d, exist_ok=True)
tmp = os.path.join(d, "tmp.zip")
with zipfile.ZipFile(tmp, "w") as z:
    z.writestr("META-INF/com/google/android/updater-script",
               'assert(getprop("ro.product.device") == "cancro" || abort("This package is for \\"cancro\\" devices."));\n')
    z.writestr("META-INF/com/google/android/update-binary", "#!/sbin/sh\n")
    z.writestr("system/build.prop", "ro.product.device=cancro\n")
m = hashlib.md5(open(tmp, "rb").read()).hexdigest()[:10]
os.rename(tmp, os.path.join(d, "miui_MI3WMI4WGlobal_7.12.8_%s_6.0.zip" % m))
EOF
refuse zip 3 "sideload" "$(ls "$T"/zip/*.zip)" --
# a board_version the phone does not know at all: the real script's grep
# finds nothing and goes on; romflash must at least not write anything
# unless it goes on the same way (exit 0 or 4, never a partial flash)
st="$T/st.refuse.noboard"
emu_start R "$st"
rf -s "$R_DEV" flash "$REP" --no-reboot >"$st.out" 2>"$st.err" </dev/null
rc=$?
emu_stop R
case $rc in
4) no_writes "$st" ;;
0) : ;;
*) fail "no board_version: exit $rc: $(cat "$st.err")" ;;
esac

wait_jobs
lib_finish
