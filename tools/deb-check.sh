#!/bin/sh
# Build the Debian package from a copy of this tree and check it.
#
#   tools/deb-check.sh [--install] [OUTDIR]
#
# Copies the tree (tracked and new files, not ignored ones) to a temporary
# folder, runs `dpkg-buildpackage -us -uc -b` there (the shared tree is
# never built in), then `lintian` on the .changes (which covers the .deb),
# and leaves the .deb, the build log and lintian's output in OUTDIR
# (default: a new folder under /tmp, printed).  With --install (root): dpkg -i
# the .deb, run the installed romflash (--version, help, plan of a generated
# package), read its man page, check the completion files load, then
# dpkg -r and check nothing of it is left.
#
# Needs (packaging time, not `make check`): dpkg-dev, debhelper, lintian,
# the build dependencies of debian/control; python3 and img2simg for the
# generated package (tools/deps.sh installs those).
set -eu

install=""
if [ "${1:-}" = "--install" ]; then install=1; shift; fi
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$(mktemp -d /tmp/romflash-deb.XXXXXX)}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
WORK=$(mktemp -d /tmp/romflash-debsrc.XXXXXX)
trap 'rm -rf "$WORK"' EXIT INT TERM

for tool in dpkg-buildpackage dh lintian; do
	command -v "$tool" >/dev/null 2>&1 || {
		echo "deb-check: $tool missing (apt-get install dpkg-dev debhelper lintian)" >&2
		exit 1
	}
done

# a copy of the tree as git sees it (no build/, no ./romflash)
SRC="$WORK/romflash"
mkdir -p "$SRC"
(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard |
	xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
	xargs -0 cp --parents -t "$SRC")

echo "deb-check: dpkg-buildpackage -us -uc -b (log: $OUT/build.log)"
if ! (cd "$SRC" && dpkg-buildpackage -us -uc -b) >"$OUT/build.log" 2>&1; then
	tail -n 40 "$OUT/build.log"
	echo "deb-check: the package did not build" >&2
	exit 1
fi
cp "$WORK"/*.deb "$WORK"/*.changes "$WORK"/*.buildinfo "$OUT"/
DEB=$(ls "$OUT"/romflash_*.deb | head -n 1)
CHANGES=$(ls "$OUT"/*.changes | head -n 1)

echo "deb-check: lintian $(basename "$CHANGES") (all tags, info included)"
# lintian exits non-zero on errors; its output is the figure either way
lintian --info --display-info --display-experimental --pedantic "$CHANGES" >"$OUT/lintian.txt" 2>&1 || true
cat "$OUT/lintian.txt"
echo "deb-check: $(wc -l <"$OUT/lintian.txt") lintian line(s); contents:"
dpkg-deb -c "$DEB" | awk '{print $1, $6}'

[ -n "$install" ] || { echo "deb-check: $DEB (not installed: no --install)"; exit 0; }
[ "$(id -u)" = 0 ] || { echo "deb-check: --install needs root" >&2; exit 1; }
fails=0
bad() { echo "deb-check: FAIL: $*"; fails=$((fails + 1)); }

dpkg -i "$DEB" || { echo "deb-check: dpkg -i failed" >&2; exit 1; }
/usr/bin/romflash --version || bad "romflash --version"
/usr/bin/romflash --help >/dev/null || bad "romflash --help"
PKGDIR="$WORK/pkg"
mkdir -p "$PKGDIR"
if P=$("$ROOT/tests/fixtures/mkpkg" --variant modern --order shuffled \
	--size-mb 8 --out "$PKGDIR"); then
	/usr/bin/romflash plan "$P" >"$OUT/plan.txt" || bad "romflash plan $P"
	head -n 5 "$OUT/plan.txt"
else
	bad "could not generate a package (python3, img2simg?)"
fi
MANPAGE=$(man -w romflash) || bad "man -w romflash"
case "$MANPAGE" in *.1.gz) ;; *) bad "man page not gzipped: $MANPAGE" ;; esac
man romflash 2>&1 | col -b | head -n 3
bash -c '. /usr/share/bash-completion/completions/romflash && complete -p romflash' ||
	bad "bash completion"
if command -v zsh >/dev/null 2>&1; then
	zsh -fc 'autoload -Uz compinit && compinit -u -D && print -r -- $_comps[romflash]' |
		grep -qx _romflash || bad "zsh completion not found by compinit"
fi
dpkg -L romflash >"$OUT/files.txt"
dpkg -r romflash
while read -r f; do
	[ -d "$f" ] && continue # folders (and /lib -> usr/lib) are shared
	if [ -f "$f" ] || [ -L "$f" ]; then bad "left after dpkg -r: $f"; fi
done <"$OUT/files.txt"
[ "$fails" -eq 0 ] || exit 1
echo "deb-check: installed, ran and removed $(basename "$DEB"): ok"
