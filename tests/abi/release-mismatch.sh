#!/bin/bash
# The ABI generator must refuse module BTF built for another release of the
# same stable series (6.12.107 vs 6.12.117 differ in struct nvmet_sq by 40
# bytes), in one line naming both releases, and must accept the matching one.
#
# usage: release-mismatch.sh KERNEL_ID   (a bookworm kernel of the matrix)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../vm/common.sh
. "$here/../vm/common.sh"

id=${1:-6.12}
kver=$(kernel_kver "$id")
root=$(chroot_dir "$(kernel_suite "$id")")
flavour=${kver#*+deb12-}
[[ $kver =~ ^([0-9]+\.[0-9]+)\. ]] || die "unexpected release $kver"
series=${BASH_REMATCH[1]}.
work=$root/tmp/abi-release
cleanup() { rm -rf "$work"; }
trap cleanup EXIT

# Another release of the series in the archive: the oldest one still there.
other=$(apt-cache search --names-only "^linux-headers-${series//./\\.}[0-9]+\+deb12-$flavour\$" |
	awk -v k="$kver" '{ sub("^linux-headers-", "", $1) } $1 != k { print $1 }' | sort -V | sed -n 1p)
[[ -n $other ]] || die "no other $series release of $flavour in the archive to test against"
debs=$NVMT_CACHE/debs/abi-test
mkdir -p "$debs" "$work"
common=${other%-"$flavour"}-common
(cd "$debs" && for p in "linux-headers-$other" "linux-headers-$common"; do
	compgen -G "${p}_*.deb" >/dev/null || apt-get download -q "$p" >/dev/null 2>&1 ||
		die "apt-get download $p failed"
done)
for deb in "$debs/linux-headers-${other}_"*.deb "$debs/linux-headers-${common}_"*.deb; do
	dpkg-deb -x "$deb" "$work"
done

src=/build/nvme-mptcp
[[ -x $root$src/btf-abi/btf-abi-gen ]] || die "$root$src: tree not copied in (run tests/vm/build.sh $id first)"
gen() {
	chroot "$root" python3 "$src/btf-abi/btf-abi-gen" "$@" "$src/btf-abi/spec/nvmet.abi" /tmp/abi-release/out.h
}

fail=0
# Building for $other with $kver's nvmet.ko: refused, both releases named.
if msg=$(gen --kver "$other" --kdir "/tmp/abi-release/usr/src/linux-headers-$other" \
	--moddir "/lib/modules/$kver" 2>&1); then
	echo "FAIL: btf-abi-gen accepted $kver's nvmet.ko while building for $other"
	fail=1
elif [[ $(wc -l <<<"$msg") -ne 1 ]] || [[ $msg != *"$kver"* ]] || [[ $msg != *"$other"* ]]; then
	echo "FAIL: refusal is not one line naming $kver and $other: $msg"
	fail=1
else
	echo "ok: refused: $msg"
fi
# The matching kernel is accepted and nvmet_sq gets its real size.
if ! msg=$(gen --kver "$kver" 2>&1); then
	echo "FAIL: btf-abi-gen refused the matching kernel $kver: $msg"
	fail=1
elif ! grep -q 'static_assert(sizeof(struct nvmet_sq) == [0-9]' "$work/out.h"; then
	echo "FAIL: no size assert for struct nvmet_sq in the header for $kver"
	fail=1
else
	echo "ok: accepted $kver: $(grep -o 'sizeof(struct nvmet_sq) == [0-9]*' "$work/out.h")"
fi
exit "$fail"
