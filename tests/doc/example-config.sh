#!/bin/sh
# doc/pullcheck.conf.example against the program:
#  - its keys (commented out, "#key = value") are exactly the keys
#    `pullcheck check-config` prints, section by section;
#  - uncommented, it is a valid configuration (check-config exits 0);
#  - uncommented, every value in force equals the built-in default: the
#    check-config output of the example and of a file naming only the
#    state directory (the one default that depends on the user) agree.
# Usage: example-config.sh SRCDIR PULLCHECK
set -u
SRC=$1
BIN=$2
EX=$SRC/doc/pullcheck.conf.example
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0

# "[section] key" for each key of a key file (commented-out keys with -c).
keys_of() {
	awk -v commented="$2" '
		/^\[.*\]$/ { group = $0; next }
		commented && /^#[a-z_]+ *=/ {
			k = substr($0, 2); sub(/ *=.*/, "", k); print group " " k; next }
		!commented && /^[a-z_]+ *=/ {
			k = $0; sub(/ *=.*/, "", k); print group " " k }' "$1" | sort
}

"$BIN" check-config --config /dev/null >"$T/defaults" || {
	echo "FAIL: pullcheck check-config --config /dev/null failed"
	exit 1
}
keys_of "$T/defaults" 0 >"$T/program-keys"
keys_of "$EX" 1 >"$T/example-keys"
if ! cmp -s "$T/program-keys" "$T/example-keys"; then
	comm -23 "$T/program-keys" "$T/example-keys" |
		sed 's/^/MISSING in doc\/pullcheck.conf.example: /'
	comm -13 "$T/program-keys" "$T/example-keys" |
		sed 's/^/UNKNOWN to check-config, in doc\/pullcheck.conf.example: /'
	fail=1
else
	echo "ok: the example has the $(wc -l <"$T/program-keys") keys check-config prints"
fi
# Keys written uncommented in the example would not be defaults to show.
if grep -n '^[a-z_]* *=' "$EX"; then
	echo "FAIL: keys above are not commented out in the example"
	fail=1
fi

sed -E 's/^#([a-z_]+ *=)/\1/' "$EX" >"$T/uncommented.conf"
if ! "$BIN" check-config --config "$T/uncommented.conf" >"$T/example-in-force" 2>"$T/err"; then
	echo "FAIL: check-config rejects the uncommented example: $(cat "$T/err")"
	fail=1
else
	echo "ok: check-config accepts the uncommented example"
	printf '[pullcheck]\nstate_dir = /var/lib/pullcheck\n' >"$T/base.conf"
	"$BIN" check-config --config "$T/base.conf" >"$T/default-in-force"
	if diff -u "$T/default-in-force" "$T/example-in-force" |
		grep -E '^[-+][a-z_]+=' >"$T/diff"; then
		echo "FAIL: values in the example that are not the built-in defaults (- default, + example):"
		cat "$T/diff"
		fail=1
	else
		echo "ok: every value in the example is the built-in default"
	fi
fi
[ $fail = 0 ] && echo "PASS: doc/pullcheck.conf.example lists every key with its default"
exit $fail
