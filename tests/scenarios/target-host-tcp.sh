#!/bin/bash
# The kernel's own nvme-tcp host against nvmet-mptcp: the host does not
# speak MPTCP, so the MPTCP listener hands out plain TCP (fallback) sockets.
# Connect, fio write+verify through in-capsule data, R2T/H2CData and
# C2HData, with and without header/data digests; discovery on a wildcard
# IPv6 port; two ports at once; a port disabled and re-enabled under a live
# controller; unload refused while a port is enabled, and clean right
# after the last port goes away with I/O in flight.
# nvmt: needs-modules
#
#   host ns: nvme-tcp  h1 10.10.1.2 fd00:1::2 <--veth--> t1 10.10.1.1 fd00:1::1  target ns
#   ports: 1 = 10.10.1.1:4420, 2 = [::]:4421
set -euo pipefail
# shellcheck source=target-lib.sh
. "$(dirname "$0")/target-lib.sh"

nqn=nqn.2026-01.io.nvme-mptcp:target-host-tcp
cleanup() {
	nvme disconnect -n "$nqn" >/dev/null 2>&1 || true
	tgt_port_del 2 "$nqn" || true
	nvmet_del "$nqn" || true
	topo_destroy
}
trap cleanup EXIT

connected_ctrls() { grep -lx "$nqn" /sys/class/nvme/*/subsysnqn 2>/dev/null | wc -l; }
no_ctrls() { [[ $(connected_ctrls) -eq 0 ]]; }

say "setup: nvmet-mptcp first, then a tcp port"
require modprobe-nvmet-mptcp modprobe nvmet-mptcp
require modprobe-host modprobe nvme-tcp
NVMT_IPV6=1 require topology topo_create 1
require null-blk null_blk_create 1
dmesg_mark
require nvmet-target nvmet_add "$nqn" /dev/nullb0 tcp 10.10.1.1
check port-served-by-nvmet-mptcp dmesg_since "nvmet_mptcp: port 1: listening on 10.10.1.1:4420 \(mptcp\)"
check no-stock-nvmet-tcp module_absent nvmet-tcp
check listener-is-mptcp test -n "$(ip netns exec target ss -HMln)"
ip netns exec target ss -Mltn

say "stock nvme-tcp host: connect, fio verify"
require nvme-connect nvme_connect host tcp 10.10.1.1 4420 "$nqn"
require nvme-blockdev nvme_wait_dev "$nqn"
nvme list-subsys
ip netns exec target ss -tnM
check host-fell-back-to-tcp test -z "$(ip netns exec target ss -HMn state established)"
# 6.12+ nvmet asks the transport for the host's address, for its debugfs
# only (CONFIG_NVME_TARGET_DEBUGFS, off in Debian's kernels).
traddr_file=
for f in /sys/kernel/debug/nvmet/"$nqn"/ctrl*/host_traddr; do [[ -e $f ]] && traddr_file=$f; done
if [[ -n $traddr_file ]]; then
	echo "host_traddr: $(cat "$traddr_file")"
	check host-traddr grep -qx 10.10.1.2 "$traddr_file"
else
	echo "host-traddr: not checked, this kernel has no nvmet debugfs"
fi
check fio-verify-4k fio_verify "$NVMT_NSDEV" 4k 8M
check fio-verify-128k stock_verify "$NVMT_NSDEV" 128k 32M
check fio-verify-1m stock_verify "$NVMT_NSDEV" 1m 32M
check_fails rmmod-with-port-enabled rmmod nvmet-mptcp
check still-serving fio_verify "$NVMT_NSDEV" 4k 8M
check nvme-disconnect nvme_disconnect "$nqn"
check no-connection-left wait_until 5 no_conns target 4420

say "header and data digests"
require nvme-connect-digests nvme_connect host tcp 10.10.1.1 4420 "$nqn" --hdr-digest --data-digest
require nvme-blockdev-digests nvme_wait_dev "$nqn"
check fio-verify-digests-4k fio_verify "$NVMT_NSDEV" 4k 8M
check fio-verify-digests-128k stock_verify "$NVMT_NSDEV" 128k 32M
check nvme-disconnect-digests nvme_disconnect "$nqn"

say "second port: IPv6 wildcard, discovery"
dmesg_mark
require port2-ipv6-any tgt_port_add 2 :: 4421 "$nqn"
check port2-listening dmesg_since "port 2: listening on \[::\]:4421"
disc=$(ip netns exec host nvme discover -t tcp -a fd00:1::1 -s 4421 \
	--hostnqn="$NVMT_HOSTNQN" --hostid="$NVMT_HOSTID" 2>&1) || true
echo "$disc"
# A wildcard port reports the address the host reached.
check discovery-traddr grep -Eq "traddr: +fd00:1::1" <<<"$disc"
check discovery-trtype grep -Eq "trtype: +tcp" <<<"$disc"
require nvme-connect-ipv6 nvme_connect host tcp fd00:1::1 4421 "$nqn"
require nvme-blockdev-ipv6 nvme_wait_dev "$nqn"
check fio-verify-ipv6 stock_verify "$NVMT_NSDEV" 64k 16M
check nvme-disconnect-ipv6 nvme_disconnect "$nqn"

say "two ports, one controller each, at once"
require nvme-connect-port1 nvme_connect host tcp 10.10.1.1 4420 "$nqn"
require nvme-connect-port2 nvme_connect host tcp fd00:1::1 4421 "$nqn"
check two-controllers test "$(connected_ctrls)" -eq 2
require nvme-blockdev-two nvme_wait_dev "$nqn"
check fio-verify-two-ports stock_verify "$NVMT_NSDEV" 16k 8M
check nvme-disconnect-two nvme_disconnect "$nqn"

say "port disabled under a live controller, then enabled again"
require nvme-connect-live nvme_connect host tcp 10.10.1.1 4420 "$nqn" \
	--ctrl-loss-tmo=3 --reconnect-delay=1
require nvme-blockdev-live nvme_wait_dev "$nqn"
written=8M
check fio-before-disable fio_verify "$NVMT_NSDEV" 4k "$written"
dmesg_mark
check port1-disable tgt_port_disable 1 "$nqn"
check port1-disabled dmesg_since "port 1: disabled"
check port1-connections-gone wait_until 5 no_conns target 4420
check port2-still-listening test -n "$(ip netns exec target ss -Hln '( sport = :4421 )')"
# The host gives up after ctrl_loss_tmo and removes the controller.
check host-ctrl-removed wait_until 20 no_ctrls
check port1-enable ip netns exec target ln -s "$NVMT_CFS/nvmet/subsystems/$nqn" \
	"$NVMT_CFS/nvmet/ports/1/subsystems/$nqn"
require nvme-connect-again nvme_connect host tcp 10.10.1.1 4420 "$nqn"
require nvme-blockdev-again nvme_wait_dev "$nqn"
# Written before the port went away, read back through the new controller.
check data-survived "${NVMT_FIO[@]}" --name=verify-4k --filename="$NVMT_NSDEV" \
	--bs=4k --size="$written" --rw=write --iodepth=16 --verify=crc32c --verify_fatal=1 --verify_only=1
check nvme-disconnect-again nvme_disconnect "$nqn"

say "unload: refused while ports are enabled; right after the last one goes, under I/O"
check_fails rmmod-ports-enabled rmmod nvmet-mptcp
check port2-remove tgt_port_del 2 "$nqn"
require nvme-connect-busy nvme_connect host tcp 10.10.1.1 4420 "$nqn" \
	--ctrl-loss-tmo=2 --reconnect-delay=1
require nvme-blockdev-busy nvme_wait_dev "$nqn"
"${NVMT_FIO[@]}" --name=busy --filename="$NVMT_NSDEV" --rw=randwrite --bs=4k \
	--iodepth=32 --time_based --runtime=30 >/tmp/busy.log 2>&1 &
busy=$!
sleep 3
check port1-disable-under-io tgt_port_disable 1 "$nqn"
# Its connections are still being torn down: unload waits for them.
check rmmod-right-after rmmod nvmet-mptcp
check module-gone module_absent nvmet-mptcp
check host-ctrl-removed-after-unload wait_until 20 no_ctrls
wait "$busy" || echo "fio ended with an error, as it should: the target went away"
check nvmet-teardown nvmet_del "$nqn"
finish
