#!/bin/bash
# Stock nvme-tcp host <-> stock nvmet-tcp target over one veth path, on a
# memory-backed null_blk namespace: connect, fio write+verify at 4k and 128k,
# disconnect, tear the target down. Must pass on every kernel of the matrix.
#
#   host ns: nvme-tcp  h1 10.10.1.2 <--veth--> t1 10.10.1.1  target ns: nvmet-tcp
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

nqn=nqn.2026-01.io.nvme-mptcp:baseline-tcp
cleanup() {
	nvme disconnect -n "$nqn" >/dev/null 2>&1 || true
	nvmet_del "$nqn" || true
	topo_destroy
}
trap cleanup EXIT

say "setup"
require modprobe-host modprobe nvme-tcp
require modprobe-target modprobe nvmet-tcp
require topology topo_create 1
require null-blk null_blk_create 1
require nvmet-target nvmet_add "$nqn" /dev/nullb0 tcp 10.10.1.1
require ping ip netns exec host ping -c1 -W2 10.10.1.1

say "connect"
require nvme-connect nvme_connect host tcp 10.10.1.1 4420 "$nqn"
require nvme-blockdev nvme_wait_dev "$nqn"
nvme list-subsys

say "fio write + verify on $NVMT_NSDEV"
check fio-verify-4k fio_verify "$NVMT_NSDEV" 4k 8M
check fio-verify-128k stock_verify "$NVMT_NSDEV" 128k 64M

say "teardown"
check nvme-disconnect nvme_disconnect "$nqn"
check nvmet-teardown nvmet_del "$nqn"
check nvmet-ports-empty test -z "$(ls "$NVMT_CFS/nvmet/ports")"
finish
