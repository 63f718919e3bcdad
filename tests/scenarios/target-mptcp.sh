#!/bin/bash
# nvme-mptcp host against nvmet-mptcp over N veth paths: the target
# announces paths 2..N (signal endpoints), the host opens subflows from its
# extra addresses.  Every queue must be a real MPTCP connection with extra
# subflows (one per extra path), every path must carry data, and fio
# write+verify must pass, with and without digests, and with 2 MiB writes
# beyond a queue's data budget.
# Arguments: paths=N (2..4, default 2), digests=0 (skip the digest part).
# nvmt: needs-modules
#
#   host ns: nvme-mptcp  hN 10.10.N.2 <--veth--> tN 10.10.N.1  target ns: nvmet-mptcp
set -euo pipefail
# shellcheck source=target-lib.sh
. "$(dirname "$0")/target-lib.sh"

paths=2 digests=1
for a in "$@"; do
	case $a in
	paths=*) paths=${a#paths=} ;;
	digests=*) digests=${a#digests=} ;;
	*) echo "unknown argument $a" >&2; exit 2 ;;
	esac
done
((paths >= 2 && paths <= 4)) || { echo "paths must be 2..4" >&2; exit 2; }

nqn=nqn.2026-01.io.nvme-mptcp:target-mptcp
cleanup() {
	nvme disconnect -n "$nqn" >/dev/null 2>&1 || true
	nvmet_del "$nqn" || true
	topo_destroy
}
trap cleanup EXIT

# Every MPTCP connection of the target has at least $1 extra subflows.
subflows_each() {
	local info n=0 bad=0 s
	# No process substitution: the guest has no /dev/fd.
	info=$(ip netns exec target ss -HMni state established | grep -o 'subflows:[0-9]*' | cut -d: -f2)
	for s in $info; do
		n=$((n + 1))
		((s >= $1)) || bad=$((bad + 1))
	done
	echo "$n MPTCP connections, $bad with fewer than $1 extra subflows"
	((n > 0 && bad == 0))
}


say "setup: $paths paths"
require modprobe-nvmet-mptcp modprobe nvmet-mptcp
require modprobe-nvme-mptcp modprobe nvme-mptcp
require topology topo_create "$paths"
require mptcp-endpoints topo_mptcp "$paths"
ip -n target mptcp endpoint show
ip -n host mptcp endpoint show
require null-blk null_blk_create 1
require nvmet-target nvmet_add "$nqn" /dev/nullb0 tcp 10.10.1.1

say "nvme-mptcp host: connect"
require nvme-connect nvme_connect host mptcp 10.10.1.1 4420 "$nqn"
require nvme-blockdev nvme_wait_dev "$nqn"
nvme list-subsys
check target-connections-are-mptcp test -n "$(ip netns exec target ss -HMn state established)"
check extra-subflows wait_until 10 subflows_each $((paths - 1))
ip netns exec target ss -Mni

say "fio write+verify on $NVMT_NSDEV"
declare -a before
for ((i = 1; i <= paths; i++)); do before[i]=$(ip netns exec target cat "/sys/class/net/t$i/statistics/rx_bytes"); done
check fio-verify-4k fio_verify "$NVMT_NSDEV" 4k 8M
check fio-verify-128k fio_verify "$NVMT_NSDEV" 128k 128M
# 64 writes of 2 MiB (MDTS) submitted at once, more than a queue's data
# budget: the data must verify whether or not commands waited for room.
# How many wait depends on how the host's kernel queues them (6.12: 14-200
# in runs here; 6.1: none in three), so it is a figure; target-badpdu
# asserts the budget itself.
waits=$(cat /sys/kernel/debug/nvmet_mptcp/data_waits)
check fio-verify-2m fio_verify "$NVMT_NSDEV" 2m 128M 64
figure data-waits $(($(cat /sys/kernel/debug/nvmet_mptcp/data_waits) - waits))
for ((i = 1; i <= paths; i++)); do
	after=$(ip netns exec target cat "/sys/class/net/t$i/statistics/rx_bytes")
	delta=$(((after - before[i]) / 1048576))
	echo "path $i: target received $delta MiB"
	# Of 264 MiB written, every path carries some: how much is up to
	# the kernel's MPTCP scheduler (6.1 leaves paths 3-4 2-10 MiB).
	check "path-$i-carried-data" test "$delta" -ge 1
done
join_ack=$(mib target MPTcpExtMPJoinAckRx)
join_synack=$(mib host MPTcpExtMPJoinSynAckRx)
echo "target MPTcpExtMPJoinAckRx=$join_ack host MPTcpExtMPJoinSynAckRx=$join_synack"
check target-mpjoin-ack-rx test "$join_ack" -gt 0
check host-mpjoin-synack-rx test "$join_synack" -gt 0
ip netns exec host ss -Mni
check nvme-disconnect nvme_disconnect "$nqn"
check no-connection-left wait_until 10 no_conns target 4420

if ((digests)); then
	say "header and data digests"
	require connect-digests fabrics host "transport=mptcp,traddr=10.10.1.1,trsvcid=4420,nqn=$nqn,hdr_digest,data_digest"
	require nvme-blockdev-digests nvme_wait_dev "$nqn"
	check extra-subflows-digests wait_until 10 subflows_each $((paths - 1))
	check fio-verify-digests-4k fio_verify "$NVMT_NSDEV" 4k 8M
	check fio-verify-digests-1m fio_verify "$NVMT_NSDEV" 1m 32M
	check nvme-disconnect-digests nvme_disconnect "$nqn"
else
	skip digests "digests=0"
fi

check nvmet-teardown nvmet_del "$nqn"
check rmmod-nvmet-mptcp rmmod nvmet-mptcp
finish
