#!/bin/sh
# systemd-analyze verify on every unit in systemd/, systemd-sysusers on
# the sysusers file and systemd-tmpfiles on the tmpfiles file. verify exits 0 on warnings (unknown keys, bad values),
# so any output at all fails the test.
# The units name /usr/bin/pullcheck, which verify checks exists: each is
# verified as a copy that names the built binary instead. With MANDIR (the
# built man pages) the Documentation= pages are looked up there too.
# Usage: verify.sh SRCDIR PULLCHECK [MANDIR]
set -u
SRC=$1
BIN=$2
MANDIR=${3-}
command -v systemd-analyze >/dev/null || { echo "SKIP: no systemd-analyze"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
man=--man=no
if [ -n "$MANDIR" ] && [ -d "$MANDIR" ] && command -v man >/dev/null; then
	man=--man=yes
	export MANPATH="$MANDIR:"
fi
fail=0
n=0
for f in "$SRC"/systemd/*.service "$SRC"/systemd/*.timer; do
	sed "s|/usr/bin/pullcheck|$BIN|g" "$f" >"$T/$(basename "$f")"
done
for u in "$T"/*; do
	out=$(systemd-analyze verify $man --generators=no "$u" 2>&1)
	rc=$?
	n=$((n + 1))
	if [ $rc != 0 ] || [ -n "$out" ]; then
		echo "FAIL: systemd-analyze verify $(basename "$u") (exit $rc):"
		echo "$out" | sed 's/^/    /'
		fail=1
	else
		echo "ok: $(basename "$u")"
	fi
done
# The sysusers file, against an empty root: it must make the user and say
# nothing else.
mkdir -p "$T/root/etc"
out=$(systemd-sysusers --root="$T/root" "$SRC/systemd/pullcheck.sysusers" 2>&1)
rc=$?
if [ $rc != 0 ] || ! grep -q '^pullcheck:x:[0-9]*:[0-9]*:.*:/var/lib/pullcheck:/usr/sbin/nologin$' "$T/root/etc/passwd" ||
   echo "$out" | grep -v -e "^Creating group 'pullcheck'" -e "^Creating user 'pullcheck'" | grep -q .; then
	echo "FAIL: systemd-sysusers pullcheck.sysusers (exit $rc):"
	echo "$out" | sed 's/^/    /'
	fail=1
else
	echo "ok: pullcheck.sysusers ($(grep '^pullcheck:' "$T/root/etc/passwd"))"
fi
# The tmpfiles file, in the same root (it names the user made above): the
# two directories, owned by pullcheck, and not a word of output.
out=$(systemd-tmpfiles --create --root="$T/root" "$SRC/systemd/pullcheck.tmpfiles" 2>&1)
rc=$?
uid=$(grep '^pullcheck:' "$T/root/etc/passwd" | cut -d: -f3)
owners=$(stat -c '%u %a' "$T/root/var/lib/pullcheck" "$T/root/var/cache/pullcheck" 2>&1 | sort -u)
if [ $rc != 0 ] || [ -n "$out" ] || [ "$owners" != "$uid 750" ]; then
	echo "FAIL: systemd-tmpfiles pullcheck.tmpfiles (exit $rc): $out; owners: $owners"
	fail=1
else
	echo "ok: pullcheck.tmpfiles (/var/lib/pullcheck, /var/cache/pullcheck: uid $uid, 0750)"
fi
[ $fail = 0 ] && echo "PASS: $n units verified with no output ($man), sysusers and tmpfiles files valid"
exit $fail
