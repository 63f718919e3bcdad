#!/bin/bash
# shellcheck source-path=SCRIPTDIR disable=SC2016 # hooks expand "$1" in mmdebstrap
# Create (once) and cache the build chroot of a Debian suite: compiler and
# headers of every matrix kernel of that suite, plus, for the guest suite, the
# userspace that goes into the initramfs. Rebuilt only when its spec changes.
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

suite=${1:?usage: chroot.sh SUITE}
root=$(chroot_dir "$suite")
debs=$NVMT_CACHE/debs/$suite

mapfile -t pkgs < <(suite_kernel_packages "$suite")
[[ ${#pkgs[@]} -gt 0 ]] || die "no kernel of suite '$suite' in kernels.list"
# X-backports: the kernel meta packages (and, through apt, what they need)
# from backports, everything else from X.
[[ $suite == *-backports ]] && pkgs=("${pkgs[@]/%//$suite}")
# dwarves/bpftool: kbuild runs pahole for module BTF (CONFIG_DEBUG_INFO_BTF_MODULES).
# initramfs-tools: satisfies the image's initramfs-tool dependency with the
# generator diverted below (sid would otherwise pick dracut and build an initrd).
# lz4, lzop: what btf-abi-gen needs to unpack LZ4/LZO kernel images (the
# package depends on them too). binutils: trixie-backports' headers pull in
# gcc without the assembler gcc runs.
pkgs+=(make binutils python3 xz-utils zstd lz4 lzop kmod dwarves bpftool initramfs-tools)
# Packages the guest suite lacks, fetched from sid by the host's apt
# (install-deps.sh adds sid, pinned low) and installed with dpkg: nvmetcli
# is pure Python, packaged in sid only.
extra=()
if [[ $suite == "$NVMT_GUEST_SUITE" ]]; then
	pkgs+=(bash busybox-static iproute2 nvme-cli fio util-linux procps python3-configshell-fb)
	extra+=(nvmetcli)
fi
mapfile -t mirrors < <(suite_mirrors "$suite")

# Kernel postinst would build an initramfs per kernel (slow, never used): make
# update-initramfs a no-op before anything is configured. Both paths, since
# dpkg does not know /sbin and /usr/sbin are the same directory.
divert='for f in /sbin/update-initramfs /usr/sbin/update-initramfs; do
	chroot "$1" dpkg-divert --quiet --local --rename --add "$f"; done
	ln -sf /bin/true "$1/usr/sbin/update-initramfs"'

stamp=$(printf '%s\n' "stamp-version 1" "$divert" "${mirrors[@]}" "${pkgs[@]}" "${extra[@]/#/sid:}" | sort -u)
if [[ -f $root/.nvmt-stamp ]] && [[ $(<"$root/.nvmt-stamp") == "$stamp" ]]; then
	log "chroot $suite: up to date ($root)"
	exit 0
fi

mkdir -p "$(dirname "$root")" "$debs"
tmp=$(mktemp -d "$root.new.XXXXXX")
chmod 755 "$tmp" # apt downloads as _apt, which must reach the target
cleanup() {
	# mmdebstrap unmounts what it mounted, but never let rm cross a mount point.
	rm -rf --one-file-system "$tmp" "$root.old"
}
trap cleanup EXIT

hooks=()
if ((${#extra[@]})); then
	xdebs=$NVMT_CACHE/debs/$suite-from-sid
	mkdir -p "$xdebs"
	(cd "$xdebs" && rm -f ./*.deb && apt-get download -q "${extra[@]/%//sid}")
	hooks+=(--customize-hook="copy-in $(echo "$xdebs"/*.deb) /tmp"
		--customize-hook='chroot "$1" sh -c "dpkg -i /tmp/*.deb && rm /tmp/*.deb"')
fi

log "chroot $suite: building ${#pkgs[@]} packages into $tmp"
start=$SECONDS
IFS=,
# sync-in/out keep the .debs in $debs so a rebuild downloads only what changed.
mmdebstrap --variant=apt --skip=essential/unlink \
	--aptopt='Acquire::Check-Valid-Until "false"' \
	--include="${pkgs[*]}" \
	--setup-hook='mkdir -p "$1/var/cache/apt/archives"' \
	--setup-hook="sync-in $debs /var/cache/apt/archives/" \
	--essential-hook="$divert" \
	--customize-hook="sync-out /var/cache/apt/archives $debs" \
	"${hooks[@]}" \
	"$(suite_codename "$suite")" "$tmp" "${mirrors[@]}"
unset IFS
printf '%s\n' "$stamp" >"$tmp/.nvmt-stamp"

# Swap atomically: a reader sees either the old complete chroot or the new one.
[[ -d $root ]] && mv "$root" "$root.old"
mv "$tmp" "$root"
log "chroot $suite: built in $((SECONDS - start))s"
