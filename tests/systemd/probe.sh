#!/bin/sh
# Runs as ExecStart= of a copy of pullcheck.service (tests/systemd/hardened.sh):
# checks the sandbox systemd made, then runs bubblewrap with the arguments
# bot/sandbox.c gives it and builds and runs a C program inside.
# Usage: probe.sh WORKDIR (holds hello.c)
W=$1
fail=0
ok() { echo "ok: $*"; }
bad() { echo "NOT OK: $*"; fail=1; }

echo "running as $(id -un) ($(id -u)), HOME=$HOME"
grep -E '^(NoNewPrivs|Seccomp|CapBnd|CapEff)' /proc/self/status
echo "XDG_STATE_HOME=${XDG_STATE_HOME-} STATE_DIRECTORY=${STATE_DIRECTORY-}"
echo "CACHE_DIRECTORY=${CACHE_DIRECTORY-} CREDENTIALS_DIRECTORY=${CREDENTIALS_DIRECTORY-}"

[ "$(id -un)" = pullcheck ] && ok "user pullcheck (from pullcheck.sysusers)" ||
	bad "not the pullcheck user"
grep -q '^NoNewPrivs:[[:space:]]*1' /proc/self/status && ok "no new privileges" ||
	bad "NoNewPrivs is off"
grep -q '^Seccomp:[[:space:]]*2' /proc/self/status && ok "seccomp filter on" ||
	bad "no seccomp filter"
grep -q '^CapBnd:[[:space:]]*0000000000000000' /proc/self/status &&
	ok "empty capability bounding set" || bad "capabilities left"
[ "$XDG_STATE_HOME/pullcheck" = "${STATE_DIRECTORY-}" ] &&
	ok "state_dir default = StateDirectory" ||
	bad "XDG_STATE_HOME/pullcheck is not STATE_DIRECTORY"
touch "$STATE_DIRECTORY/w" && ok "state directory writable" ||
	bad "state directory not writable"
touch "$CACHE_DIRECTORY/w" && ok "cache directory writable" ||
	bad "cache directory not writable"
touch /usr/pullcheck-probe 2>/dev/null && bad "/usr writable" ||
	ok "/usr read-only"
touch /etc/pullcheck/w 2>/dev/null && bad "/etc/pullcheck writable" ||
	ok "/etc/pullcheck read-only"
echo "procfs mounts: $(grep ' - proc ' /proc/self/mountinfo | cut -d' ' -f5 | tr '\n' ' ')"
echo "other mounts under /proc: $(cut -d' ' -f5 /proc/self/mountinfo | grep '^/proc/' | tr '\n' ' ')"
ls /root >/dev/null 2>&1 && bad "/root readable" || ok "/root hidden"
ls -ld "$CREDENTIALS_DIRECTORY" 2>&1 | sed "s/^/  /"; grep " /run/credentials" /proc/self/mountinfo | sed "s/^/  /"
ls -l "$CREDENTIALS_DIRECTORY" 2>&1 | sed 's/^/  /'
[ "$(cat "$CREDENTIALS_DIRECTORY/imap-password" 2>/dev/null)" = imap-secret ] &&
	ok "imap-password credential at $CREDENTIALS_DIRECTORY/imap-password" ||
	bad "imap-password credential missing"
[ -e "$CREDENTIALS_DIRECTORY/smtp-password" ] &&
	bad "smtp-password exists" || ok "absent smtp-password credential skipped"
unshare --time true 2>/dev/null && bad "time namespace allowed" ||
	ok "time namespace refused (RestrictNamespaces)"

# bwrap as bot/sandbox.c runs it (the host's / stands in for the build root;
# the source and output mount points live on bwrap's own /tmp).
mkdir -p "$STATE_DIRECTORY/out"
out=$(bwrap --ro-bind / / --dev /dev --size 8388608 --tmpfs /dev/shm \
	--remount-ro /dev --proc /proc --size 67108864 --tmpfs /tmp \
	--unshare-all --unshare-user --disable-userns \
	--die-with-parent --new-session --cap-drop ALL \
	--clearenv --ro-bind "$W" /tmp/src --bind "$STATE_DIRECTORY/out" /tmp/out \
	--setenv PATH /usr/bin:/bin --chdir /tmp/src -- /bin/sh -c '
		cc -o /tmp/out/hello hello.c && /tmp/out/hello || exit 10
		touch /usr/x 2>/dev/null && exit 11
		touch /dev/x 2>/dev/null && exit 13
		unshare -U true 2>/dev/null && exit 14
		echo "uid_map: $(cat /proc/self/uid_map | tr -s " ")"
		echo "pid 1 in the sandbox: $(cat /proc/1/comm)"
		cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d " " |
			grep -vx lo && exit 12
		exit 0' 2>&1)
rc=$?
echo "$out" | sed 's/^/  sandbox: /'
[ $rc = 0 ] && ok "bwrap: user, mount, pid, net, ipc, uts, cgroup namespaces; built and ran a C program; only lo; /dev read-only; no user namespace of its own" ||
	bad "bwrap failed (exit $rc)"
exit $fail
