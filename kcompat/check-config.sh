#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# One line, and a non-zero exit, when the target kernel cannot host nvme-mptcp.
# usage: check-config.sh KDIR MODDIR
kdir=$1
moddir=$2
config=$kdir/.config

fail() {
	echo "nvme-mptcp: $*" >&2
	exit 1
}

[ -f "$config" ] || fail "no kernel headers at $kdir (install the headers package of this kernel)"
for opt in CONFIG_MPTCP CONFIG_NVME_FABRICS CONFIG_NVME_TARGET CONFIG_DEBUG_INFO_BTF_MODULES; do
	grep -Eq "^$opt=(y|m)" "$config" || fail "kernel built without $opt, which nvme-mptcp needs"
done
[ -f "$moddir/modules.dep" ] || fail "no modules at $moddir (install the kernel image package of this kernel)"
command -v python3 >/dev/null 2>&1 || fail "python3 is missing (needed to read the kernel's BTF)"
exit 0
