#!/usr/bin/env bash
# prepare.sh PULLCHECK CACHE
#
# Makes, once, what the real-kernel tests need, under CACHE so a second
# run is warm:
#   CACHE/root/              the build root, by `pullcheck setup-root`
#   CACHE/linux-source-6.12_*.deb   trixie's kernel source package
#   CACHE/mainline.git/      a bare "mainline" repository of that source,
#                            one commit, tagged v6.12
# Each step is skipped when its result is already there. Prints what it
# does and how long each step took.
set -euo pipefail
pc=$(realpath "$1")
cache=$(realpath -m "$2")
mkdir -p "$cache"
cd "$cache"

step() { printf '[prepare %s] %s\n' "$(date +%T)" "$*"; }

printf '[build]\nroot = %s/root\n' "$cache" >"$cache/setup-root.conf"
step "build root"
"$pc" setup-root --config "$cache/setup-root.conf"

# The source package comes from the same mirror as the root, through an
# apt of its own (temporary lists), so the host's apt state is untouched.
if ! ls linux-source-6.12_*.deb >/dev/null 2>&1; then
	step "downloading linux-source-6.12 from trixie"
	apt_dir=$(mktemp -d)
	trap 'rm -rf "$apt_dir"' EXIT
	mirror=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' \
		'Identifier: Packages' | awk '$2 !~ /-/ && $1 ~ /\/debian\/$/ {print $1; exit}')
	mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror trixie main" \
		>"$apt_dir/sources.list"
	apt_opts=(-o Dir::Etc::SourceList="$apt_dir/sources.list"
		-o Dir::Etc::SourceParts=/nonexistent
		-o Dir::State::Lists="$apt_dir/lists"
		-o Dir::Cache="$apt_dir/cache" -o APT::Get::List-Cleanup=0
		-o APT::Sandbox::User=root)
	apt-get "${apt_opts[@]}" -qq update
	apt-get "${apt_opts[@]}" -qq download linux-source-6.12
fi

if [ ! -d mainline.git ]; then
	step "unpacking the source and committing it as mainline v6.12"
	rm -rf unpack mainline.git.partial
	mkdir unpack
	dpkg-deb --fsys-tarfile linux-source-6.12_*.deb |
		tar -x -C unpack --wildcards './usr/src/linux-source-6.12.tar.xz'
	tar -xJf unpack/usr/src/linux-source-6.12.tar.xz -C unpack
	src=unpack/linux-source-6.12
	# Debian's tarball adds "/*" (ignore everything) to its .gitignore.
	sed -i '/^\/\*$/d' "$src/.gitignore"
	git -C "$src" init -q -b master
	git -C "$src" add -A
	GIT_AUTHOR_DATE='2024-11-17T14:15:08-0800' \
	GIT_COMMITTER_DATE='2024-11-17T14:15:08-0800' \
		git -C "$src" -c user.name='Linus Torvalds' \
		-c user.email='torvalds@linux-foundation.org' \
		commit -q -m 'Linux 6.12'
	git -C "$src" tag v6.12
	git clone -q --bare "$src" mainline.git.partial
	mv mainline.git.partial mainline.git
	rm -rf unpack
fi
step "ready: $(git -C mainline.git rev-parse v6.12)"
