#!/usr/bin/env bash
# Builds the repositories test_fetch serves: a throwaway "mainline" and a
# "maintainer" tree with one branch or tag per case, two signing keys and
# a keyring that knows only the first. Commits are deterministic (fixed
# names and dates); signatures are not, and need not be.
#
# Usage: fetch_repos.sh ROOT. Writes ROOT/srv/{mainline,maint}.git,
# ROOT/keyring, and ROOT/ids (NAME=VALUE lines the test reads).
set -euo pipefail

root=$1
srv=$root/srv
work=$root/work
ids=$root/ids
mkdir -p "$srv" "$work" "$root/home"

export HOME=$root/home GIT_CONFIG_NOSYSTEM=1 LANG=C.UTF-8
export GIT_AUTHOR_NAME="Test Author" GIT_AUTHOR_EMAIL=author@example.org
export GIT_COMMITTER_NAME="Test Author" GIT_COMMITTER_EMAIL=author@example.org
git config --global init.defaultBranch master
git config --global advice.detachedHead false

tick=1700000000
commit() {	# commit MESSAGE: all changes, a date one minute after the last
	tick=$((tick + 60))
	GIT_AUTHOR_DATE="@$tick +0000" GIT_COMMITTER_DATE="@$tick +0000" \
		git commit -q -a -m "$1"
}
id() {	# id NAME REV: record REV's id as NAME, here and in $ids
	printf -v "$1" %s "$(git rev-parse "$2")"
	echo "$1=${!1}" >>"$ids"
}
lines() {	# lines PREFIX N: N numbered lines
	for i in $(seq 1 "$2"); do echo "$1 line $i"; done
}

: >"$ids"
# gpg-agent starts for signing: stop it whatever happens.
stop_agents() {
	for home in gnupg-a gnupg-b keyring; do
		[ -d "$root/$home" ] &&
			GNUPGHOME=$root/$home gpgconf --kill all 2>/dev/null
	done
	return 0
}
trap stop_agents EXIT

# --- mainline: M1, M2, and M3 after the maintainer branched at M2 -------
git init -q "$work/mainline"
cd "$work/mainline"
mkdir -p kernel drivers/net include/linux
echo "Linux" >README
printf '*.o\n' >.gitignore
lines sched 10 >kernel/sched.c
lines foo 10 >drivers/net/foo.c
lines x 5 >include/linux/x.h
git add .
commit "M1: initial"
id M1 HEAD
sed -i 's/^sched line 2$/sched line two/' kernel/sched.c
commit "M2: sched"
id M2 HEAD
git tag v1.0 HEAD
sed -i 's/^foo line 5$/foo line five (mainline)/' drivers/net/foo.c
commit "M3: foo"
id M3 HEAD
git clone -q --bare "$work/mainline" "$srv/mainline.git"

# --- the maintainer's tree, branched at M2 -----------------------------
git clone -q "$work/mainline" "$work/maint"
cd "$work/maint"
git checkout -q -b for-linus "$M2"
lines bar 7 >drivers/net/bar.c
git add drivers/net/bar.c
commit "F1: add bar"
id F1 HEAD
sed -i 's/^sched line 8$/sched line eight/' kernel/sched.c
commit "F2: sched"
id F2 HEAD
echo "More text." >>README
commit "F3: README"
id F3 HEAD

# step2: what the incremental checkout moves to from for-linus
git checkout -q -b step2 for-linus
sed -i 's/^sched line 9$/sched line nine/' kernel/sched.c
git rm -q drivers/net/bar.c
lines baz 3 >drivers/net/baz.c
git add drivers/net/baz.c
commit "S1: step2"
id S1 HEAD

# shapes-a, shapes-b: every kind of change a checkout from one tree to
# the next makes (the checkout tests compare the result with git's own)
git checkout -q -b shapes-a "$M2"
mkdir -p shapes/dir2file shapes/rs
lines mod 4 >shapes/mod.c
lines gone 3 >shapes/gone.c
lines moved 6 >shapes/old-name.c
lines keep 2 >shapes/keep.c
printf '#!/bin/sh\necho hi\n' >shapes/script.sh
ln -s ../README shapes/link
lines typechange 2 >shapes/file2link
lines inner 2 >shapes/dir2file/inner.c
lines was-file 2 >shapes/file2dir
echo '// a crate' >shapes/rs/old.rs
echo '// stays' >shapes/rs/kept.rs
git add shapes
commit "SA: shapes"
id SA HEAD
git checkout -q -b shapes-b
sed -i 's/^mod line 2$/mod line two/' shapes/mod.c
git rm -q shapes/gone.c shapes/rs/old.rs
git mv shapes/old-name.c shapes/new-name.c
chmod +x shapes/script.sh
ln -sfn mod.c shapes/link
rm shapes/file2link
ln -s keep.c shapes/file2link
git rm -q -r shapes/dir2file
lines now-file 2 >shapes/dir2file
git rm -q shapes/file2dir
mkdir shapes/file2dir
lines now-dir 2 >shapes/file2dir/inner.c
echo '// a new crate' >shapes/rs/new.rs
git add -A shapes
commit "SB: shapes changed"
id SB HEAD

# conflict: the line mainline's M3 changes, changed otherwise
git checkout -q -b conflict "$M2"
sed -i 's/^foo line 5$/foo line 5 (maintainer)/' drivers/net/foo.c
commit "C1: foo conflicts"
id C1 HEAD

# main-dev: where the repository's HEAD points
git checkout -q -b main-dev "$M2"
echo "dev" >>README
commit "D1: dev"
id D1 HEAD

# amb: a branch at F1 and an annotated tag at F2 of the same name
git branch amb "$F1"
GIT_COMMITTER_DATE="@$tick +0000" git tag -a -m "amb tag" amb "$F2"

# big: more bytes than the byte-cap test allows, incompressible
git checkout -q -b big "$M2"
/usr/bin/python3 -c 'import random,sys; random.seed(1); sys.stdout.buffer.write(random.randbytes(2 << 20))' >big.bin
git add big.bin
commit "B1: big"

# tags on F3: unsigned annotated, lightweight, signed by A and by B
GIT_COMMITTER_DATE="@$tick +0000" git tag -a -m "v1-pull" v1-pull "$F3"
id T_V1 refs/tags/v1-pull
git tag lw-tag "$F3"

keygen() {	# keygen DIR NAME: a fresh signing key, its fingerprint out
	mkdir -m 700 -p "$1"
	GNUPGHOME=$1 gpg --batch --quiet --passphrase '' \
		--quick-gen-key "$2" ed25519 sign never 2>/dev/null
	GNUPGHOME=$1 gpg --batch --with-colons --list-secret-keys 2>/dev/null |
		awk -F: '/^fpr:/ { print $10; exit }'
}
fpr_a=$(keygen "$root/gnupg-a" "Test Signer A <a@example.org>")
fpr_b=$(keygen "$root/gnupg-b" "Test Signer B <b@example.org>")
echo "FPR_A=$fpr_a" >>"$ids"
echo "FPR_B=$fpr_b" >>"$ids"
GNUPGHOME=$root/gnupg-a git -c user.signingkey="$fpr_a" \
	tag -s -m "good pull" signed-good "$F3"
GNUPGHOME=$root/gnupg-b git -c user.signingkey="$fpr_b" \
	tag -s -m "unknown key" signed-unknown "$F3"
id T_GOOD refs/tags/signed-good

# signed-bad: signed-good's object with its message changed after signing
bad=$(git cat-file tag signed-good | sed 's/^good pull$/evil pull/' |
	git hash-object -t tag -w --stdin)
git update-ref refs/tags/signed-bad "$bad"

# The keyring pullcheck verifies with: A's public key only.
mkdir -m 700 -p "$root/keyring"
GNUPGHOME=$root/gnupg-a gpg --batch --export "$fpr_a" |
	GNUPGHOME=$root/keyring gpg --batch --quiet --import 2>/dev/null

git clone -q --bare "$work/maint" "$srv/maint.git"
git -C "$srv/maint.git" symbolic-ref HEAD refs/heads/main-dev
git -C "$srv/maint.git" fetch -q "$work/maint" \
	'+refs/heads/*:refs/heads/*' '+refs/tags/*:refs/tags/*'

# A tag made after the mail, never pushed.
git tag -a -m "not pushed" not-pushed "$F3"
