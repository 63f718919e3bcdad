#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# Assemble the test VM's initramfs for one matrix kernel: guest userspace from
# the guest suite's chroot, the kernel's own modules needed by the scenarios,
# our .ko files from MODDIR (if any) in updates/, the scenarios and /init.
#   mkinitramfs.sh KERNEL_ID MODDIR OUT.cpio
#   mkinitramfs.sh --python OUT.cpio
# The second form builds a layer with python3 and nvmetcli, which run.sh
# appends (the kernel unpacks concatenated archives) for the scenarios that
# say "# nvmt: needs-python": the other boots stay small.
# Uncompressed newc: the emulated CPU is slow at decompressing.
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

usage="usage: mkinitramfs.sh KERNEL_ID MODDIR OUT.cpio | --python OUT.cpio"
python=0
if [[ ${1:-} == --python ]]; then
	python=1
	outfile=${2:?$usage}
else
	id=${1:?$usage}
	moddir=${2:?$usage}
	outfile=${3:?$usage}
fi
groot=$(chroot_dir "$NVMT_GUEST_SUITE")

# Staged inside the guest chroot so its ldd and depmod (the kmod the guest runs) see it.
stage=$(mktemp -d "$groot/tmp/initramfs.XXXXXX")
cleanup() { rm -rf --one-file-system "$stage" "$outfile.tmp"; }
trap cleanup EXIT
in_stage=/tmp/${stage##*/}

# Debian's merged /usr layout, so paths printed by ldd are valid as-is; the
# python layer has it too, or unpacking it would replace the symlinks.
mkdir -p "$stage"/usr/{bin,sbin,lib,lib64}
for d in bin sbin lib lib64; do ln -s "usr/$d" "$stage/$d"; done

# Copy a file of the guest chroot (following symlinks) to the same path.
put() {
	mkdir -p "$stage$(dirname "$1")"
	cp -L "$groot$1" "$stage$1"
}

# The shared libraries a program or library of the chroot loads.
put_libs() {
	local lib
	for lib in $(chroot "$groot" ldd "$1" 2>/dev/null | grep -o '/[^ ]*'); do
		[[ -e $stage$lib ]] || put "$lib"
	done
}

# A program and every shared library it loads (resolved by the chroot's ldd).
put_bin() {
	local bin
	bin=$(chroot "$groot" bash -c "type -P $1") || die "$1 not found in $groot"
	put "$bin"
	put_libs "$bin"
}

# write_cpio: the staged tree, in a stable order, to $outfile.
write_cpio() {
	(cd "$stage" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
		cpio --null --create --format=newc --owner=0:0 --quiet) >"$outfile.tmp"
	mv "$outfile.tmp" "$outfile"
}

if ((python)); then
	# python3 with its standard library, less what no script here loads,
	# the chroot's Python packages and nvmetcli.
	put_bin python3
	pylib=$(cd "$groot" && echo usr/lib/python3.[0-9]*)
	tar -C "$groot" -cf - \
		--exclude="$pylib/"{test,idlelib,tkinter,turtledemo,ensurepip,lib2to3,pydoc_data,config-*} \
		"$pylib" usr/lib/python3/dist-packages usr/bin/nvmetcli | tar -C "$stage" -xf -
	for so in "$stage/$pylib"/lib-dynload/*.so; do put_libs "/${so#"$stage"/}"; done
	write_cpio
	log "initramfs python layer: $(du -h "$outfile" | cut -f1)"
	exit 0
fi

kroot=$(chroot_dir "$(kernel_suite "$id")")
kver=$(kernel_kver "$id")

mkdir -p "$stage"/{proc,sys,dev,tmp,run,config,root,etc/modprobe.d,bb}
echo 'root:x:0:0:root:/root:/bin/bash' >"$stage/etc/passwd"
echo 'root:x:0:' >"$stage/etc/group"

for b in bash busybox ip ss nstat tc nvme fio kmod udevadm install; do put_bin "$b"; done
# udevadm is udevd too, by the name it is run as (scenarios that test rules).
ln -s /usr/bin/udevadm "$stage/usr/bin/systemd-udevd"
# modprobe runs install commands with /bin/sh, as every system has it.
ln -s bash "$stage/usr/bin/sh"
# Our test tools (tests/tools/*.c), static so they need no library.
for src in "$NVMT_VM_DIR"/../tools/*.c; do
	[[ -e $src ]] || continue
	name=${src##*/}
	gcc -O2 -Wall -Werror -static -o "$stage/usr/bin/${name%.c}" "$src" ||
		die "cannot build test tool $src"
done
# The tools the packages install next to the modules.
install -m 0755 "$NVMT_VM_DIR/../../tools/nvme-mptcp-rejoin" "$stage/usr/sbin/"
for t in modprobe insmod rmmod lsmod depmod modinfo; do ln -s /usr/bin/kmod "$stage/usr/sbin/$t"; done
# busybox supplies the small tools, last in PATH: its own `ip` lacks netns
# support and must never shadow iproute2.
for a in $(chroot "$groot" busybox --list); do ln -s /usr/bin/busybox "$stage/bb/$a"; done

# Kernel modules: the scenarios' set plus what our modules link against, each
# with its dependency closure as the kernel's own modules.dep lists it.
# Decompressed once here rather than by every modprobe in the slow guest.
required=(configfs null_blk veth sch_netem sch_tbf nvme-core nvme-fabrics nvme-tcp nvmet nvmet-tcp)
# crc32c by alias: crc32c-intel + crc32c_generic on 6.x, crc32c-cryptoapi on 7.x.
optional=(mptcp_diag inet_diag tcp_diag crc32c loop)
mods=$stage/usr/lib/modules/$kver
mkdir -p "$mods/updates"
ours=()
[[ -d $moddir ]] && mapfile -t ours < <(find "$moddir" -maxdepth 2 -name '*.ko')
ournames=" "
for ko in "${ours[@]}"; do
	cp "$ko" "$mods/updates/"
	name=${ko##*/}
	ournames+="${name%.ko} "
done
for ko in "${ours[@]}"; do
	for dep in $(modinfo -F depends "$ko" | tr ',' ' '); do
		[[ $ournames == *" ${dep//_/-} "* || $ournames == *" $dep "* ]] || optional+=("$dep")
	done
done

add_module() {
	local line src rel
	line=$(chroot "$kroot" modprobe -S "$kver" --show-depends "$1" 2>/dev/null) || return 1
	while read -r verb src _; do
		[[ $verb == insmod ]] || continue # "builtin NAME" needs nothing
		rel=${src#/lib/modules/"$kver"/}
		rel=${rel#/usr/lib/modules/"$kver"/}
		mkdir -p "$mods/$(dirname "$rel")"
		case $src in
		*.ko.xz) xz -dc "$kroot$src" >"$mods/${rel%.xz}" ;;
		*.ko.zst) zstd -qdc "$kroot$src" >"$mods/${rel%.zst}" ;;
		*.ko.gz) gzip -dc "$kroot$src" >"$mods/${rel%.gz}" ;;
		*) cp "$kroot$src" "$mods/$rel" ;;
		esac
	done <<<"$line"
}
for m in "${required[@]}"; do add_module "$m" || die "$kver has no module $m"; done
for m in "${optional[@]}"; do add_module "$m" || log "initramfs $id: $kver has no module $m (skipped)"; done
for f in modules.order modules.builtin modules.builtin.modinfo; do
	cp "$kroot/lib/modules/$kver/$f" "$mods/"
done
chroot "$groot" depmod -b "$in_stage" "$kver"

cp -r "$NVMT_VM_DIR/../scenarios" "$stage/scenarios"
# What the packages install (modprobe.d), for the scenarios that test it.
mkdir -p "$stage/packaging"
cp -r "$NVMT_VM_DIR/../../packaging/modprobe.d" "$stage/packaging/"
# The README, whose quick start a scenario runs word for word.
cp "$NVMT_VM_DIR/../../README.md" "$stage/README.md"
cp "$NVMT_VM_DIR/guest-init.sh" "$stage/init"

write_cpio
log "initramfs $id ($kver): $(du -h "$outfile" | cut -f1), ${#ours[@]} of our modules"
