#!/bin/bash
# Runs systemd/pullcheck.service's sandbox for real: systemd itself, booted
# as PID 1 of a private PID and mount namespace (these machines have no
# systemd as PID 1, so systemd-run cannot be used), starts a copy of the
# unit with every hardening setting as shipped, only ExecStart= swapped for
# tests/systemd/probe.sh, which checks the sandbox from inside and runs
# bubblewrap the way bot/sandbox.c does (compiling and running a C program
# in it). /etc and /var are overlays in that namespace, so systemd-sysusers,
# StateDirectory= and the credentials change nothing on the host.
#
# Then, for the record, the variants the unit's comments talk about: what
# bubblewrap makes of each setting the unit leaves open.
#
# Last, with PULLCHECK given, the daemon itself: the unit as shipped with
# only the binary's path changed, Type=notify, on the built-in defaults
# (Maildir source and outbox under the state directory): it must become
# active (READY=1), say a STATUS=, and stop cleanly on SIGTERM. Then
# pullcheck maintain under pullcheck-maintain.service as shipped (but for
# the path): it must sweep a finished job's ref and run git gc there.
#
# Usage: hardened.sh SRCDIR WORKDIR [PULLCHECK]
# Needs root, unshare, overlayfs, bwrap, cc and /lib/systemd/systemd;
# exits 77 when one is missing.
set -u
SRC=$1
W=$2
BIN=${3-}
SYSTEMD=/lib/systemd/systemd

skip() { echo "SKIP: $*"; exit 77; }
# The unit hides /tmp, /var/tmp (PrivateTmp=) and /home, /root
# (ProtectHome=): the work directory must be elsewhere, the paths absolute.
case "$BIN" in
"" | /*) ;;
*) BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN") ;;
esac
[ "$(id -u)" = 0 ] || skip "needs root"

for t in unshare nsenter bwrap cc systemctl systemd-sysusers; do
	command -v $t >/dev/null || skip "$t missing"
done
[ -x $SYSTEMD ] || skip "$SYSTEMD missing"
# Where systemd is PID 1 a second manager would make its control groups
# inside the host's own tree; there, use systemd-run or an installed unit.
[ -d /run/systemd/system ] && [ "$(cat /proc/1/comm)" = systemd ] &&
	skip "systemd is PID 1 here; this test is for machines without it"

# A build tree in one of those (a CI clone in /tmp, say): work in a
# directory of our own under /srv instead, removed at the end, and run a
# copy of the binary from there.
OWN=
case "$W" in
/tmp/* | /var/tmp/* | /home/* | /root/* | [!/]*)
	mkdir -p /srv || exit 1
	OWN=$(mktemp -d /srv/pullcheck-hardened.XXXXXX) || exit 1
	echo "work directory $W is hidden from the unit: using $OWN"
	W=$OWN ;;
esac
rm -rf "$W"
mkdir -p "$W/units/pullcheck.service.d" "$W/ov/etc/up" "$W/ov/etc/work" \
	"$W/ov/var/up" "$W/ov/var/work" || exit 1
chmod 755 "$W"
case "$BIN" in
/tmp/* | /var/tmp/* | /home/* | /root/*)
	cp "$BIN" "$W/pullcheck.bin" && chmod 755 "$W/pullcheck.bin" || exit 1
	BIN=$W/pullcheck.bin ;;
esac
# The probe must be readable by the pullcheck user and outside /tmp
# (PrivateTmp=) and /home (ProtectHome=).
cp "$SRC/tests/systemd/probe.sh" "$W/probe.sh" && chmod 755 "$W/probe.sh"
printf '#include <stdio.h>\nint main(void){puts("built and ran in the sandbox");return 0;}\n' \
	>"$W/hello.c"
chmod 644 "$W/hello.c"

# The unit as shipped, minus its network-online.target dependency (nothing
# may touch the host's network setup); the drop-in replaces only what makes
# it a test: the command, the type, no default dependencies.
grep -v 'network-online.target' "$SRC/systemd/pullcheck.service" \
	>"$W/units/pullcheck.service"
cat >"$W/units/pullcheck.service.d/test.conf" <<EOF
[Unit]
DefaultDependencies=no
[Service]
Type=oneshot
ExecStart=
ExecStart=$W/probe.sh $W
WatchdogSec=0
Restart=no
StandardOutput=append:$W/probe.log
StandardError=append:$W/probe.log
EOF
cat >"$W/units/pctest.target" <<EOF
[Unit]
Description=pullcheck test: nothing but the manager
DefaultDependencies=no
EOF

# Inside the namespace: overlays, a private /run with the units, the user
# from our sysusers file, one of the two credentials, then systemd.
cat >"$W/boot.sh" <<EOF
#!/bin/sh
set -e
# One /proc, of this PID namespace, as on a booted host (not a second
# procfs stacked on the host's one, which would change what the kernel
# lets a user namespace mount).
umount -l /proc
mount -t proc proc /proc
mount -t overlay overlay -o lowerdir=/etc,upperdir=$W/ov/etc/up,workdir=$W/ov/etc/work /etc
mount -t overlay overlay -o lowerdir=/var,upperdir=$W/ov/var/up,workdir=$W/ov/var/work /var
mount -t tmpfs tmpfs /run
# As on a booted system, mounts propagate from the manager's helper
# namespaces back to it (credentials are mounted that way); shared only
# among this namespace's own copies, never with the host.
mount --make-rshared /
# systemd's own log goes to /dev/console: into the work directory.
: >$W/console.log
mount --bind $W/console.log /dev/console
mkdir -p /run/systemd/system /run/credstore
cp -r $W/units/. /run/systemd/system/
# Nothing of the host's boot: no sysinit (tmpfiles would clean /tmp), no
# journald, no network.
for u in sysinit.target basic.target local-fs.target network.target \\
	 network-online.target systemd-tmpfiles-setup.service \\
	 systemd-tmpfiles-clean.timer systemd-journald.socket \\
	 systemd-journald.service systemd-udevd.service; do
	ln -sf /dev/null /run/systemd/system/\$u
done
systemd-sysusers $SRC/systemd/pullcheck.sysusers
umask 077
printf 'imap-secret\n' >/run/credstore/pullcheck-imap-password
exec env container=pullcheck-test $SYSTEMD --system --unit=pctest.target \\
	--log-target=console --log-level=debug --show-status=no
EOF
chmod 755 "$W/boot.sh"

# The manager makes control groups (init.scope, system.slice, ...) in the
# host's hierarchies: note which exist, and remove the new (empty) ones
# at the end.
find /sys/fs/cgroup -mindepth 1 -type d 2>/dev/null | sort >"$W/cgroups.before"
unshare --pid --fork --mount --propagation private "$W/boot.sh" >"$W/systemd.log" 2>&1 &
UNSHARE=$!
PID1=
cleanup() {
	[ -n "$PID1" ] && kill -KILL "$PID1" 2>/dev/null
	kill -KILL $UNSHARE 2>/dev/null
	wait $UNSHARE 2>/dev/null
	for i in 1 2 3 4 5; do
		find /sys/fs/cgroup -mindepth 1 -type d 2>/dev/null | sort >"$W/cgroups.after"
		comm -13 "$W/cgroups.before" "$W/cgroups.after" | sort -r |
			while read -r d; do rmdir "$d" 2>/dev/null; done
		find /sys/fs/cgroup -mindepth 1 -type d 2>/dev/null | sort |
			comm -13 "$W/cgroups.before" - | grep -q . || break
		sleep 0.2
	done
	case "$OWN" in /srv/pullcheck-hardened.*) rm -rf "$OWN" ;; esac
}
trap cleanup EXIT

ctl() { nsenter -t "$PID1" -m -p systemctl "$@"; }
for i in $(seq 100); do
	PID1=$(pgrep -P $UNSHARE -x systemd)
	[ -n "$PID1" ] && ctl is-system-running >/dev/null 2>&1 && break
	# "degraded" or "running" both mean it answers.
	[ -n "$PID1" ] && ctl show -p Version >/dev/null 2>&1 && break
	sleep 0.1
done
if [ -z "$PID1" ] || ! ctl show -p Version >/dev/null 2>&1; then
	cat "$W/systemd.log"
	skip "systemd did not come up as PID 1 of a PID namespace here"
fi
echo "systemd $(ctl show -p Version --value) is PID 1 of the test namespace (host pid $PID1)"

# Runs the probe unit once; prints its log. $1 names the variant.
run() {
	: >"$W/probe.log"
	ctl daemon-reload
	ctl reset-failed pullcheck.service 2>/dev/null
	ctl start pullcheck.service
	local rc=$?
	echo "--- probe output ($1)"
	ctl show -p ProtectKernelTunables -p ProtectKernelLogs -p PrivateUsers \
		-p ProtectProc -p ProcSubset pullcheck.service | tr '\n' ' '
	echo
	cat "$W/probe.log"
	echo "--- $1: systemctl start exit status $rc, result" \
		"$(ctl show -p Result --value pullcheck.service)"
	return $rc
}

fail=0
run "pullcheck.service as shipped" || fail=1

# Variants, for the record: what bubblewrap makes of the settings the
# unit leaves off. Only the unit as shipped is asserted.
variant() {
	printf '[Service]\n%s\n' "$1" | tr ';' '\n' \
		>"$W/units/pullcheck.service.d/zz-variant.conf"
	nsenter -t "$PID1" -m cp "$W/units/pullcheck.service.d/zz-variant.conf" \
		/run/systemd/system/pullcheck.service.d/
	run "variant $1" >"$W/variant.log" 2>&1
	if grep -q '^ok: bwrap' "$W/variant.log"; then
		echo "variant $1: bwrap works"
	else
		echo "variant $1: bwrap FAILS:"
		grep -E 'sandbox: |NOT OK' "$W/variant.log" | sed 's/^/    /'
	fi
}
for v in "ProcSubset=pid" \
	 "MemoryDenyWriteExecute=yes" \
	 "SystemCallFilter=~@mount" \
	 "RestrictNamespaces=;RestrictNamespaces=user mnt pid net ipc uts" \
	 "RestrictAddressFamilies=;RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6"; do
	variant "$v"
done
nsenter -t "$PID1" -m rm -f /run/systemd/system/pullcheck.service.d/zz-variant.conf

# The daemon under the unit: ExecStart= as shipped but for the path.
if [ -n "$BIN" ]; then
	cat >"$W/units/pullcheck.service.d/test.conf" <<EOF
[Unit]
DefaultDependencies=no
[Service]
ExecStart=
ExecStart=$BIN watch
# A sanitizer build: LeakSanitizer stops the process with ptrace at exit,
# which the unit's system call filter rightly refuses; leaks are the rest
# of the suite's business. No effect on a normal build.
Environment=ASAN_OPTIONS=detect_leaks=0
StandardOutput=append:$W/daemon.log
StandardError=append:$W/daemon.log
EOF
	nsenter -t "$PID1" -m cp "$W/units/pullcheck.service.d/test.conf" \
		/run/systemd/system/pullcheck.service.d/
	ctl daemon-reload
	ctl reset-failed pullcheck.service 2>/dev/null
	: >"$W/daemon.log"
	echo "--- pullcheck watch as pullcheck.service (Type=notify)"
	timeout 60 nsenter -t "$PID1" -m -p systemctl start pullcheck.service
	rc=$?
	sleep 2
	state=$(ctl show -p ActiveState --value pullcheck.service)
	text=$(ctl show -p StatusText --value pullcheck.service)
	echo "start: exit $rc, ActiveState=$state, StatusText=\"$text\""
	[ $rc = 0 ] && [ "$state" = active ] && [ -n "$text" ] || fail=1
	timeout 60 nsenter -t "$PID1" -m -p systemctl stop pullcheck.service
	echo "stop: exit $?, Result=$(ctl show -p Result --value pullcheck.service)," \
		"ExecMainStatus=$(ctl show -p ExecMainStatus --value pullcheck.service)"
	[ "$(ctl show -p Result --value pullcheck.service)" = success ] || fail=1
	sed 's/^/  daemon: /' "$W/daemon.log"
	[ $fail = 0 ] && echo "ok: the daemon ran and stopped under the unit"
fi

# The upkeep under its own unit as shipped (but for the path): git gc
# and SQLite inside pullcheck-maintain.service's sandbox, on a store
# with a finished job's ref (a job key no open job has) to sweep.
if [ -n "$BIN" ]; then
	git init -q --bare "$W/seed.git" &&
	printf '%s\n' 'commit refs/pullcheck/0123456789abcdef/remote/heads/x' \
		'committer Bench <bench@example.org> 1700000000 +0000' \
		'data 4' 'job' 'M 100644 inline f.c' 'data 3' 'hi' '' |
		git -C "$W/seed.git" fast-import --quiet || fail=1
	nsenter -t "$PID1" -m sh -c "mkdir -p /var/lib/pullcheck &&
		cp -a $W/seed.git /var/lib/pullcheck/git &&
		chown -R pullcheck:pullcheck /var/lib/pullcheck" || fail=1
	# The store is pullcheck's; root reads it here.
	store_refs() {
		nsenter -t "$PID1" -m git -c safe.directory='*' \
			--git-dir=/var/lib/pullcheck/git for-each-ref
	}
	store_refs | grep -q refs/pullcheck/0123456789abcdef/ || {
		echo "NOT OK: the store for maintain was not made"
		fail=1
	}
	grep -v '^ExecStart=' "$SRC/systemd/pullcheck-maintain.service" \
		>"$W/units/pullcheck-maintain.service"
	cat >>"$W/units/pullcheck-maintain.service" <<UNIT
ExecStart=$BIN maintain --json
Environment=ASAN_OPTIONS=detect_leaks=0
StandardOutput=append:$W/maintain.log
StandardError=append:$W/maintain.log
[Unit]
DefaultDependencies=no
UNIT
	nsenter -t "$PID1" -m cp "$W/units/pullcheck-maintain.service" \
		/run/systemd/system/
	ctl daemon-reload
	: >"$W/maintain.log"
	echo "--- pullcheck maintain as pullcheck-maintain.service"
	timeout 120 nsenter -t "$PID1" -m -p systemctl start pullcheck-maintain.service
	rc=$?
	result=$(ctl show -p Result --value pullcheck-maintain.service)
	sed 's/^/  maintain: /' "$W/maintain.log"
	echo "start: exit $rc, Result=$result"
	if [ $rc = 0 ] && [ "$result" = success ] &&
	   grep -q '"refs_deleted" *: *1' "$W/maintain.log" &&
	   store_refs >"$W/refs.after" && ! grep -q . "$W/refs.after"; then
		echo "ok: maintain swept the job's ref and ran git gc under its unit"
	else
		echo "NOT OK: maintain under pullcheck-maintain.service"
		fail=1
	fi
fi

if [ $fail = 0 ]; then
	echo "PASS: bubblewrap works inside pullcheck.service's sandbox under systemd"
else
	echo "FAIL: the probe failed inside pullcheck.service's sandbox"
fi
exit $fail
