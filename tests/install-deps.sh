#!/bin/bash
# Host packages the VM test bench and make fuzz need (Debian host, run as
# root). Adds the low-pinned sid source the 7.2 kernel comes from. A quick
# no-op when all is in place, so run-matrix.sh can call it every time.
set -euo pipefail

pkgs=(qemu-system-x86 mmdebstrap debian-archive-keyring cpio zstd xz-utils lz4 lzop bzip2 kmod gcc libc6-dev
	busybox-static iproute2 python3 shellcheck util-linux coreutils tar git gnuplot-nox
	clang libclang-rt-dev) # clang and its libFuzzer/sanitizer runtimes: make fuzz
sources=/etc/apt/sources.list.d/nvme-mptcp-sid.sources
pin=/etc/apt/preferences.d/nvme-mptcp-sid

missing=()
for p in "${pkgs[@]}"; do
	[[ $(dpkg-query -W -f '${db:Status-Abbrev}' "$p" 2>/dev/null) == ii* ]] || missing+=("$p")
done
if [[ -f $sources && -f $pin && ${#missing[@]} -eq 0 ]]; then
	exit 0
fi
[[ $EUID -eq 0 ]] || { echo "install-deps.sh: must run as root" >&2; exit 1; }

if [[ ! -f $sources ]]; then
	cat >"$sources" <<-'END'
		Types: deb
		URIs: http://deb.debian.org/debian
		Suites: sid
		Components: main
		Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
	END
fi
# Priority 50: sid packages are installable on request, never an upgrade.
if [[ ! -f $pin ]]; then
	printf 'Package: *\nPin: release n=sid\nPin-Priority: 50\n' >"$pin"
fi

apt-get update -q
if ((${#missing[@]})); then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
