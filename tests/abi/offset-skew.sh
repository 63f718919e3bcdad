#!/bin/bash
# A layout disagreement between the kernel's public headers and its BTF must
# fail the compile with a message naming the struct and the member.  We make
# one by altering one expected offset in the generated header (struct
# work_struct, embedded by value in struct nvme_ctrl) and rebuild.
#
# usage: offset-skew.sh KERNEL_ID
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../vm/common.sh
. "$here/../vm/common.sh"

id=${1:-6.12}
kver=$(kernel_kver "$id")
root=$(chroot_dir "$(kernel_suite "$id")")
tree=/build/nvme-mptcp
skew=/build/nvme-mptcp-skew
cleanup() { rm -rf "${root:?}$skew"; }
trap cleanup EXIT

[[ -f $root$tree/generated/$kver/nvme-host-abi.h ]] ||
	die "no generated headers for $kver in $root$tree (run tests/vm/build.sh $id first)"
rm -rf "${root:?}$skew"
cp -a "$root$tree" "$root$skew"
header=$root$skew/generated/$kver/nvme-host-abi.h
line=$(grep -m1 'offsetof(struct work_struct, func) == ' "$header") ||
	die "no offset assert for struct work_struct member func in $header"
[[ $line =~ ==\ ([0-9]+), ]] || die "unexpected assert: $line"
real=${BASH_REMATCH[1]}
wrong=$((real + 8))
sed -i "s/\(offsetof(struct work_struct, func) == \)$real\(, .*offset \)$real /\1$wrong\2$wrong /" "$header"
grep -q "offsetof(struct work_struct, func) == $wrong" "$header" || die "could not alter the assert"

fail=0
if log=$(chroot "$root" make -C "/lib/modules/$kver/build" M="$skew" \
	NVME_MPTCP_GEN="$skew/generated/$kver" modules 2>&1); then
	echo "FAIL: the build passed with a wrong offset for work_struct.func"
	fail=1
elif ! grep -q "static assertion failed: \"struct work_struct: member func is at offset $wrong" <<<"$log"; then
	echo "FAIL: the build failed, but not with a message naming struct work_struct member func:"
	grep -m5 error <<<"$log" || true
	fail=1
else
	echo "ok: $(grep -m1 'static assertion failed' <<<"$log" | sed 's/^.*error: //')"
fi
exit "$fail"
