#!/bin/sh
# cmake --install into a DESTDIR with prefix /usr, then checks that every
# file an installation needs is there: the binary, the systemd units, the
# sysusers file, the example config, every template, and the man pages
# (when scdoc built them). The expected lists come from the source tree,
# so a new unit or template that is not installed fails here.
# Usage: install.sh SRCDIR BUILDDIR WORKDIR UNITDIR SYSUSERSDIR TMPFILESDIR
#                   BINDIR MANDIR DOCDIR DATADIR man|noman
# (directories as CMake has them: relative ones are under the prefix)
set -u
SRC=$1 BUILD=$2 W=$3 UNITDIR=$4 SYSUSERSDIR=$5 TMPFILESDIR=$6 BINDIR=$7
MANDIR=$8 DOCDIR=$9
shift 9
DATADIR=$1 MAN=$2
PREFIX=/usr
DEST=$W/dest

# Where a CMake install directory ends up under DESTDIR.
at() {
	case "$1" in
	/*) echo "$DEST$1" ;;
	*) echo "$DEST$PREFIX/$1" ;;
	esac
}

rm -rf "$W"
mkdir -p "$W"
if ! DESTDIR=$DEST cmake --install "$BUILD" --prefix $PREFIX >"$W/install.log" 2>&1; then
	cat "$W/install.log"
	echo "FAIL: cmake --install"
	exit 1
fi

expect=""
add() { expect="$expect
$1"; }
add "$(at "$BINDIR")/pullcheck"
for u in "$SRC"/systemd/*.service "$SRC"/systemd/*.timer; do
	add "$(at "$UNITDIR")/$(basename "$u")"
done
add "$(at "$SYSUSERSDIR")/pullcheck.conf"
add "$(at "$TMPFILESDIR")/pullcheck.conf"
add "$(at "$DOCDIR")/pullcheck.conf.example"
for t in "$SRC"/templates/*.txt "$SRC"/templates/*.html; do
	[ -e "$t" ] && add "$(at "$DATADIR")/pullcheck/templates/$(basename "$t")"
done
if [ "$MAN" = man ]; then
	add "$(at "$MANDIR")/man1/pullcheck.1"
	add "$(at "$MANDIR")/man5/pullcheck.conf.5"
else
	echo "NOTE: scdoc was not found at configure time: no man pages to expect"
fi

fail=0
n=0
for f in $expect; do
	n=$((n + 1))
	if [ -f "$f" ] && [ -s "$f" ]; then
		echo "ok: ${f#$DEST}"
	else
		echo "MISSING: ${f#$DEST}"
		fail=1
	fi
done
[ -x "$(at "$BINDIR")/pullcheck" ] || { echo "FAIL: the binary is not executable"; fail=1; }
# What the installed units run is what was installed.
for u in "$(at "$UNITDIR")"/*.service; do
	grep -q "^ExecStart=$PREFIX/bin/pullcheck " "$u" || {
		echo "FAIL: $(basename "$u") does not run $PREFIX/bin/pullcheck"
		fail=1
	}
done
# The installed templates are the built-in ones, byte for byte.
for t in "$SRC"/templates/*.txt "$SRC"/templates/*.html; do
	[ -e "$t" ] || continue
	cmp -s "$t" "$(at "$DATADIR")/pullcheck/templates/$(basename "$t")" || {
		echo "FAIL: installed template $(basename "$t") differs from the source"
		fail=1
	}
done
echo "installed tree:"
(cd "$DEST" && find . -type f | sort | sed 's/^\./  /')
[ $fail = 0 ] && echo "PASS: all $n expected files installed under DESTDIR$PREFIX"
exit $fail
