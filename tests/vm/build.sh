#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# Build the working tree's modules for one matrix kernel inside its suite's
# chroot, and collect the .ko files and the make log in OUTDIR.
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

id=${1:?usage: build.sh KERNEL_ID OUTDIR}
out=${2:?usage: build.sh KERNEL_ID OUTDIR}
root=$(chroot_dir "$(kernel_suite "$id")")
kver=$(kernel_kver "$id")
src=$root/build/nvme-mptcp
mkdir -p "$out"
out=$(cd "$out" && pwd)

# Builds of the kernels of one suite share the chroot's build dir.
exec 9>"$root/build.lock"
flock 9

cleanup() {
	if mountpoint -q "$root/proc"; then umount "$root/proc"; fi
}
trap cleanup EXIT

copy_sources "$src"

# objtool of 7.x reads /proc/self (stack limit); older kernels do not need it.
mount -t proc proc "$root/proc"

log "build $id ($kver): make in $src"
start=$SECONDS
rc=0
chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 \
	make -C /build/nvme-mptcp -j"$(nproc)" KVER="$kver" NVME_MPTCP_TESTS=m >"$out/make.log" 2>&1 || rc=$?
secs=$((SECONDS - start))

rm -f "$out"/*.ko
find "$src" -name '*.ko' -exec cp -t "$out" {} +
echo "$kver" >"$out/kver"
missing=()
for ko in mptcp-compat/mptcp-compat.ko nvme-mptcp-host/nvme-mptcp.ko nvmet-mptcp/nvmet-mptcp.ko \
	tests/kmod/mptcp-compat-test/mptcp-compat-test.ko; do
	[[ -f $src/$ko ]] || missing+=("$ko")
done
if ((rc != 0)); then
	log "build $id ($kver): make failed (exit $rc) in ${secs}s, see $out/make.log"
	tail -n 15 "$out/make.log" >&2
	exit 1
fi
if ((${#missing[@]})); then
	log "build $id ($kver): make succeeded but did not produce: ${missing[*]}"
	exit 1
fi
# -Werror covers the compiler; modpost only warns (e.g. an unresolved symbol).
if grep -E 'WARNING: modpost' "$out/make.log" >&2; then
	log "build $id ($kver): modpost warnings, see $out/make.log"
	exit 1
fi
log "build $id ($kver): ok in ${secs}s"
