#!/bin/sh
# udev/51-romflash.rules, read as udev would: every GOTO reaches a LABEL,
# Android fastboot/adb interfaces and Xiaomi ids get uaccess (a local seat)
# and the plugdev group (SSH or headless stations), and no node is ever
# world-writable.  (Debian 12's udevadm has no `verify`.)
. "$(dirname "$0")/lib.sh"
lib_init t_udev_rules
R="$ROOT/udev/51-romflash.rules"

grep -v '^#' "$R" | grep -q 'MODE="0666"' && fail "a world-writable node (MODE=\"0666\")"
grep -Eq '^[^#]*MODE="0?6[0-7]6"' "$R" && fail "a mode giving others write access"
for l in $(sed -n 's/.*GOTO="\([a-z_]*\)".*/\1/p' "$R" | sort -u); do
	grep -q "^LABEL=\"$l\"" "$R" || fail "GOTO \"$l\" without its LABEL"
done
for pat in '\*:ff4203:\*' '\*:ff4201:\*' 'idVendor}=="2717"' 'idVendor}=="18d1"'; do
	grep -q "$pat" "$R" || fail "rules do not match $pat"
done
phone=$(sed -n '/^LABEL="romflash_phone"/,/^LABEL=/p' "$R")
echo "$phone" | grep -q 'TAG+="uaccess"' || fail "phones get no uaccess tag"
echo "$phone" | grep -q 'GROUP="plugdev", MODE="0660"' || fail "phones get no plugdev fallback"
# the phone block is reached only through a match
awk '/^LABEL="romflash_phone"/ { exit } NF { last = $0 } END { if (last !~ /^GOTO="romflash_end"/) exit 1 }' "$R" ||
	fail "devices that match nothing fall into the phone block"
lib_finish
