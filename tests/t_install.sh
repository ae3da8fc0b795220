#!/bin/sh
# make install / make uninstall like a distribution package (issue 15.4):
# the tree a staged install leaves (files, modes, bytes), that the installed
# binary runs, that the bash and zsh completions load and complete what the
# SPEC's command line promises (driven through a terminal, phones listed by
# the real `romflash --json devices` against an emulated phone, a hanging
# listing cut short), PREFIX=/usr/local paths, the udev reload (only without
# DESTDIR), that uninstall removes exactly what install put, and that the
# version, completion lists and debian/ agree with the sources.
. "$(dirname "$0")/lib.sh"
lib_init t_install

# the make that runs this test must not leak its jobserver into ours
unset MAKEFLAGS MFLAGS MAKELEVEL
mk() { make -C "$ROOT" --no-print-directory B="$B" "$@"; }

# need TOOL: present, or a SKIP line (a failure under CI=true)
need() {
	command -v "$1" >/dev/null 2>&1 && return 0
	if [ "${CI:-}" = true ]; then fail "$1 missing (CI)"; else echo "SKIP: $1 missing: $2"; fi
	return 1
}

# a fake udevadm that logs its arguments (and answers ping unless told not to)
mkdir -p "$T/bin"
cat >"$T/bin/udevadm" <<EOF
#!/bin/sh
echo "\$*" >>"$T/udevadm.log"
[ "\$*" = "control --ping --timeout=5" ] && [ -e "$T/udev-down" ] && exit 1
exit 0
EOF
chmod +x "$T/bin/udevadm"
PATH="$T/bin:$PATH"
export PATH

# ---- staged install (DESTDIR): the tree -------------------------------------
D="$T/root"
mk install DESTDIR="$D" PREFIX=/usr >"$T/install.log" 2>&1 ||
	{ cat "$T/install.log"; fail "make install DESTDIR PREFIX=/usr failed"; lib_finish; }
grep -E '^(cc|gcc|clang) ' "$T/install.log" >/dev/null && fail "make install compiled something"
[ -e "$T/udevadm.log" ] && fail "udev touched during a DESTDIR install: $(cat "$T/udevadm.log")"

# expected: "MODE PATH SOURCE" per file
{
	echo "755 /usr/bin/romflash $B/romflash"
	echo "644 /usr/share/man/man1/romflash.1 docs/romflash.1"
	echo "644 /lib/udev/rules.d/51-romflash.rules udev/51-romflash.rules"
	echo "644 /usr/share/bash-completion/completions/romflash completion/romflash.bash"
	echo "644 /usr/share/zsh/vendor-completions/_romflash completion/_romflash"
	for f in "$ROOT"/data/*; do
		[ -f "$f" ] && echo "644 /usr/share/romflash/${f##*/} data/${f##*/}"
	done
} | sort -k2 >"$T/want"
(cd "$D" && find . \( -type f -o -type l \) | sed 's/^\.//' | sort) >"$T/have"
awk '{print $2}' "$T/want" | diff - "$T/have" >"$T/diff" ||
	fail "installed files differ from the expected list: $(cat "$T/diff")"
while read -r mode path src; do
	[ -f "$D$path" ] || continue
	m=$(stat -c %a "$D$path")
	[ "$m" = "$mode" ] || fail "$path: mode $m, expected $mode"
	cmp -s "$ROOT/$src" "$D$path" || fail "$path differs from $src"
done <"$T/want"
ls "$ROOT"/data/* >/dev/null 2>&1 ||
	[ ! -e "$D/usr/share/romflash" ] || fail "an empty /usr/share/romflash was made"

# ---- the installed binary runs, and its version is everyone's ---------------
v=$("$D/usr/bin/romflash" --version) || fail "installed romflash --version failed"
ver=${v#romflash }
deb=$(sed -n '1s/^romflash (\([^)]*\)).*/\1/p' "$ROOT/debian/changelog")
man=$(sed -n '1s/.*"romflash \([^"]*\)".*/\1/p' "$ROOT/docs/romflash.1")
[ -n "$ver" ] && [ "$ver" = "$deb" ] && [ "$ver" = "$man" ] ||
	fail "versions differ: binary '$v', debian/changelog '$deb', man page '$man'"
"$D/usr/bin/romflash" --help >/dev/null || fail "installed romflash --help failed"
PKG=$("$MKPKG" --variant modern --order shuffled --size-mb 4 --out "$T/pkg") ||
	fail "mkpkg failed"
[ -n "$PKG" ] && { "$D/usr/bin/romflash" plan "$PKG" >"$T/plan.txt" 2>&1 ||
	fail "installed romflash plan failed: $(tail -n 3 "$T/plan.txt")"; }

# ---- completions load -------------------------------------------------------
got=$(bash -c ". '$D/usr/share/bash-completion/completions/romflash' && complete -p romflash" 2>&1)
[ "$got" = "complete -F _romflash romflash" ] || fail "bash completion does not load: $got"
if need zsh "zsh completion not checked"; then
	got=$(zsh -fc "fpath=('$D/usr/share/zsh/vendor-completions' \$fpath)
		autoload -Uz compinit && compinit -u -D -d '$T/zcompdump' &&
		print -r -- \$_comps[romflash]" 2>&1)
	[ "$got" = _romflash ] || fail "zsh compinit does not find _romflash: $got"
fi

# every command of the binary and every long option of flasher/cli/ is in
# both completions (they are kept by hand: this says when one is forgotten)
cmds=$(sed -n 's/^[[:space:]]*{ "\([a-z_-]*\)", cmd_.*/\1/p' "$ROOT/flasher/cli/main.c")
opts=$(sed -n 's/.*{ "\([a-z][a-z0-9-]*\)", \(no\|required\|optional\)_argument.*/\1/p' \
	"$ROOT"/flasher/cli/*.c | sort -u)
[ -n "$cmds" ] && [ -n "$opts" ] || fail "no commands/options found in flasher/cli (pattern out of date?)"
for f in completion/romflash.bash completion/_romflash; do
	for c in $cmds; do
		grep -qw -- "$c" "$ROOT/$f" || fail "$f: command '$c' missing"
	done
	for o in $opts; do
		grep -q -- "--$o\b" "$ROOT/$f" || fail "$f: option --$o missing"
	done
done

# ---- completions complete (through a terminal) ------------------------------
# phones: the real romflash, told to look at an emulated phone over TCP
emu_start PH "$T/phone"
mkdir -p "$T/fake" "$T/cwd/sub"
cat >"$T/fake/romflash" <<EOF
#!/bin/sh
[ -e "$T/hang" ] && exec sleep 60
exec "$D/usr/bin/romflash" -s "$PH_DEV" "\$@"
EOF
chmod +x "$T/fake/romflash"
: >"$T/cwd/a.tgz"; : >"$T/cwd/b.txt"; : >"$T/cwd/r.zip"; : >"$T/cwd/boot.img"
: >"$T/cwd/my pkg.tgz"
TAB=$(printf '\t')
# KIND, INPUT, EXPECTED (complete_pty.py); both shells
cat >"$T/cases" <<EOF
line${TAB}romflash flashi\\t${TAB}romflash flashing 
all${TAB}romflash fl${TAB}romflash flash flash-image flashing
all${TAB}romflash -v s${TAB}romflash -v sideload set_active
line${TAB}romflash plan x.tgz --mode sa\\t${TAB}romflash plan x.tgz --mode save\\ user\\ data 
line${TAB}romflash flash x.tgz --mode "clean all a\\t${TAB}romflash flash x.tgz --mode "clean all and lock" 
line${TAB}romflash flash x.tgz --mode=k\\t${TAB}romflash flash x.tgz --mode=keep-data 
line${TAB}romflash flash x.tgz --no-reb\\t${TAB}romflash flash x.tgz --no-reboot 
all${TAB}romflash -s ${TAB}romflash -s EMU0001 $PH_DEV tcp:
line${TAB}romflash -s E\\t${TAB}romflash -s EMU0001 
line${TAB}romflash -s ${PH_DEV%:*}\\t${TAB}romflash -s $PH_DEV 
line${TAB}romflash flash x.tgz -s E\\t${TAB}romflash flash x.tgz -s EMU0001 
line${TAB}romflash -q flash a\\t${TAB}romflash -q flash a.tgz 
all${TAB}romflash flash ${TAB}romflash flash a.tgz 'my pkg.tgz' sub/
line${TAB}romflash flash my\t${TAB}romflash flash my\ pkg.tgz 
all${TAB}romflash plan x.tgz --m${TAB}romflash plan x.tgz --mode --md5
all${TAB}romflash devices --${TAB}romflash devices --wait --json --verbose --quiet --help --version
all${TAB}romflash sideload ${TAB}romflash sideload r.zip sub/
line${TAB}romflash --json reboot rec\\t${TAB}romflash --json reboot recovery 
all${TAB}romflash reboot ${TAB}romflash reboot bootloader recovery sideload
line${TAB}romflash --wait 5 flash-image us\\t${TAB}romflash --wait 5 flash-image userdata 
line${TAB}romflash flash-image boot bo\\t${TAB}romflash flash-image boot boot.img 
line${TAB}romflash getvar partition-size:mo\\t${TAB}romflash getvar partition-size:modem
line${TAB}romflash getvar max\\t${TAB}romflash getvar max-download-size 
line${TAB}romflash erase ca\\t${TAB}romflash erase cache 
line${TAB}romflash set_active \\t${TAB}romflash set_active 
all${TAB}romflash set_active ${TAB}romflash set_active a b
line${TAB}romflash help sid\\t${TAB}romflash help sideload 
EOF
# bash keeps the ':' words apart: "partition-size:modem" has a twin
# ("partition-size:modemst1"), so it stops at the common part in both shells
cat >"$T/setup.bash" <<EOF
PATH="$T/fake:\$PATH"
. "$D/usr/share/bash-completion/completions/romflash"
EOF
cat >"$T/setup.zsh" <<EOF
PATH="$T/fake:\$PATH"
fpath=("$D/usr/share/zsh/vendor-completions" \$fpath)
autoload -Uz compinit && compinit -u -D -d "$T/zcompdump"
zle -C all-matches complete-word _generic
bindkey '^Xa' all-matches
zstyle ':completion:all-matches:*' completer _all_matches _complete
zstyle ':completion:all-matches:*' insert true
EOF
shells="bash"
if need zsh "zsh completion behaviour not checked"; then shells="bash zsh"; fi
if need python3 "completion behaviour not checked"; then
	for sh in $shells; do
		COMPLETE_CWD="$T/cwd" python3 "$ROOT/tests/complete_pty.py" "$sh" \
			"$T/setup.$sh" "$T/cases" || fail "$sh completion (above)"
	done
	# a listing that hangs: the completion gives up after ~2 s (timeout)
	: >"$T/hang"
	printf 'line\tromflash -s E\\t\tromflash -s E\n' >"$T/cases.hang"
	for sh in $shells; do
		t0=$(date +%s)
		COMPLETE_CWD="$T/cwd" python3 "$ROOT/tests/complete_pty.py" "$sh" \
			"$T/setup.$sh" "$T/cases.hang" || fail "$sh completion with a hanging listing"
		took=$(($(date +%s) - t0))
		# 2 s timeout + shell start-up on a loaded machine; a hang is 60 s
		[ "$took" -le 15 ] || fail "$sh completion waited ${took}s for a hanging listing"
	done
	rm -f "$T/hang"
fi
emu_stop PH

# ---- uninstall (DESTDIR) leaves nothing; a file of someone else's stays -------
mkdir -p "$D/usr/share/romflash"
echo mine >"$D/usr/share/romflash/mine.txt"
mk uninstall DESTDIR="$D" PREFIX=/usr >"$T/uninstall.log" 2>&1 ||
	{ cat "$T/uninstall.log"; fail "make uninstall failed"; }
[ -f "$D/usr/share/romflash/mine.txt" ] || fail "uninstall removed a file it did not install"
grep -q "kept" "$T/uninstall.log" || fail "uninstall did not say why it kept $D/usr/share/romflash"
rm -f "$D/usr/share/romflash/mine.txt"
left=$(find "$D" \( -type f -o -type l \) | head -n 5)
[ -z "$left" ] || fail "left after uninstall: $left"
[ -e "$T/udevadm.log" ] && fail "udev touched during a DESTDIR uninstall"

# ---- PREFIX=/usr/local: zsh site-functions, udev in /etc ---------------------
D2="$T/root2"
mk install DESTDIR="$D2" >"$T/install2.log" 2>&1 || fail "make install DESTDIR (default PREFIX) failed"
for p in /usr/local/bin/romflash /usr/local/share/man/man1/romflash.1 \
	/etc/udev/rules.d/51-romflash.rules \
	/usr/local/share/bash-completion/completions/romflash \
	/usr/local/share/zsh/site-functions/_romflash; do
	[ -f "$D2$p" ] || fail "PREFIX=/usr/local: no $p"
done
mk uninstall DESTDIR="$D2" >/dev/null 2>&1 || fail "make uninstall (default PREFIX) failed"
left=$(find "$D2" \( -type f -o -type l \) | head -n 5)
[ -z "$left" ] || fail "left after uninstall: $left"

# ---- no DESTDIR: udev is reloaded when it runs, left alone when not ---------
R="$T/real"
mk install PREFIX="$R" UDEVDIR="$R/rules" >"$T/install3.log" 2>&1 ||
	{ cat "$T/install3.log"; fail "make install PREFIX (no DESTDIR) failed"; }
printf '%s\n' "control --ping --timeout=5" "control --reload" \
	"trigger --subsystem-match=usb --action=change" >"$T/udev.want"
diff "$T/udev.want" "$T/udevadm.log" >/dev/null 2>&1 ||
	fail "udev not reloaded as expected: $(cat "$T/udevadm.log" 2>/dev/null)"
grep -q "udev rules reloaded" "$T/install3.log" || fail "install did not say udev was reloaded"
rm -f "$T/udevadm.log"
: >"$T/udev-down"
mk uninstall PREFIX="$R" UDEVDIR="$R/rules" >"$T/uninstall3.log" 2>&1 ||
	fail "make uninstall PREFIX (no DESTDIR) failed"
[ "$(cat "$T/udevadm.log" 2>/dev/null)" = "control --ping --timeout=5" ] ||
	fail "udev down: expected only a ping, got: $(cat "$T/udevadm.log" 2>/dev/null)"
grep -q "udev is not running" "$T/uninstall3.log" || fail "uninstall did not say udev is not running"
left=$(find "$R" \( -type f -o -type l \) | head -n 5)
[ -z "$left" ] || fail "left after uninstall: $left"

# ---- debian/: what it builds with is what tools/deps.sh installs ------------
bdeps=$(sed -n '/^Build-Depends:/,/^[A-Z]/p' "$ROOT/debian/control" |
	sed 's/^Build-Depends://; s/([^)]*)//g; s/<[^>]*>//g' | tr ',' '\n' |
	sed 's/[[:space:]]//g; /^[A-Z]/d; /^$/d')
for p in $bdeps; do
	[ "$p" = debhelper-compat ] && continue
	grep -qw -- "$p" "$ROOT/tools/deps.sh" || fail "Build-Depends: $p is not in tools/deps.sh"
done
[ "$(cat "$ROOT/debian/source/format")" = "3.0 (native)" ] || fail "debian/source/format"

lib_finish
