#!/bin/sh
# The man pages against the program, so that an option or a key added
# without its documentation fails here:
#  - every command `pullcheck --help` lists has a "## COMMAND" section in
#    doc/pullcheck.1.scd, and every long option its --help prints is
#    there as *--option* (in that section, or in COMMON OPTIONS);
#  - every key `pullcheck check-config` prints is in doc/pullcheck.conf.5.scd
#    as "*key* =" in its "## [section]".
# Prints each thing missing, and what to add where.
# Usage: man-drift.sh SRCDIR PULLCHECK
set -u
SRC=$1
BIN=$2
MAN1=$SRC/doc/pullcheck.1.scd
MAN5=$SRC/doc/pullcheck.conf.5.scd
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
missing=0
checked=0

# The text of one "## NAME" section of a scdoc file (up to the next heading).
section() {
	awk -v h="## $2" '
		$0 == h { on = 1; next }
		on && /^##? / { exit }
		on { print }' "$1"
}
# The COMMON OPTIONS section of pullcheck(1).
awk '$0 == "# COMMON OPTIONS" { on = 1; next } on && /^# / { exit } on' \
	"$MAN1" >"$T/common"

# Long options of a --help text (GOption's layout: "  -x, --name=ARG  ...").
long_options() {
	grep -E '^ +(-[A-Za-z?], )?--[a-z0-9-]+' |
		sed -E 's/^ +(-[A-Za-z?], )?(--[a-z0-9-]+).*/\2/' | sort -u
}

if ! "$BIN" --help >"$T/top"; then
	echo "FAIL: pullcheck --help failed"
	exit 1
fi
commands=$(awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { exit }' "$T/top")
[ -n "$commands" ] || { echo "FAIL: no commands in pullcheck --help"; exit 1; }
for opt in --help --version; do
	checked=$((checked + 1))
	grep -q -- "\*$opt\*" "$MAN1" || {
		echo "MISSING in doc/pullcheck.1.scd: pullcheck $opt"
		missing=$((missing + 1))
	}
done

for cmd in $commands; do
	section "$MAN1" "$cmd" >"$T/sec"
	if [ ! -s "$T/sec" ]; then
		echo "MISSING in doc/pullcheck.1.scd: a \"## $cmd\" section for pullcheck $cmd"
		missing=$((missing + 1))
	fi
	if ! "$BIN" "$cmd" --help >"$T/help" 2>"$T/err"; then
		echo "FAIL: pullcheck $cmd --help exited $? ($(head -1 "$T/err")): its options cannot be compared"
		missing=$((missing + 1))
		continue
	fi
	opts=$(long_options <"$T/help")
	[ -n "$opts" ] || {
		echo "FAIL: pullcheck $cmd --help lists no long options"
		missing=$((missing + 1))
	}
	for opt in $opts; do
		checked=$((checked + 1))
		if ! grep -q -- "\*$opt\*" "$T/sec" && ! grep -q -- "\*$opt\*" "$T/common"; then
			echo "MISSING in doc/pullcheck.1.scd: pullcheck $cmd $opt (add *$opt* to \"## $cmd\")"
			missing=$((missing + 1))
		fi
	done
done

if ! "$BIN" check-config --config /dev/null >"$T/keys"; then
	echo "FAIL: pullcheck check-config failed"
	exit 1
fi
group=
nkeys=0
while IFS= read -r line; do
	case "$line" in
	"["*"]")
		group=$line
		section "$MAN5" "$group" >"$T/sec"
		[ -s "$T/sec" ] || {
			echo "MISSING in doc/pullcheck.conf.5.scd: a \"## $group\" section"
			missing=$((missing + 1))
		}
		;;
	*=*)
		key=${line%%=*}
		checked=$((checked + 1))
		nkeys=$((nkeys + 1))
		grep -q "^\*$key\* = " "$T/sec" || {
			echo "MISSING in doc/pullcheck.conf.5.scd: $group $key (add \"*$key* = ...\" to \"## $group\")"
			missing=$((missing + 1))
		}
		;;
	esac
done <"$T/keys"

if [ $missing = 0 ]; then
	echo "PASS: $checked options and keys ($nkeys keys; commands: $(echo $commands)) documented"
	exit 0
fi
echo "FAIL: $missing of $checked options and keys missing from the man pages"
exit 1
