#!/bin/bash
# nvme-mptcp host features beyond one controller: discovery through the
# mptcp transport, native NVMe multipath over two controllers (two ports,
# two paths) of one subsystem, and dedicated read and poll queues.
#
#   host ns: nvme-mptcp  h1 10.10.1.2 <--veth--> t1 10.10.1.1  target ns: nvmet-tcp
#                        h2 10.10.2.2 <--veth--> t2 10.10.2.1  (second port)
# nvmt: needs-modules
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

nqn=nqn.2026-01.io.nvme-mptcp:host-features
cleanup() {
	nvme disconnect -n "$nqn" >/dev/null 2>&1 || true
	[[ -L $NVMT_CFS/nvmet/ports/2/subsystems/$nqn ]] && rm "$NVMT_CFS/nvmet/ports/2/subsystems/$nqn"
	[[ -d $NVMT_CFS/nvmet/ports/2 ]] && rmdir "$NVMT_CFS/nvmet/ports/2"
	nvmet_del "$nqn" || true
	topo_destroy
}
trap cleanup EXIT

# second_port: port 2 on the second path, same subsystem.
second_port() {
	local p=$NVMT_CFS/nvmet/ports/2
	mkdir "$p" || return
	echo tcp >"$p/addr_trtype" || return
	echo ipv4 >"$p/addr_adrfam" || return
	echo 10.10.2.1 >"$p/addr_traddr" || return
	echo 4420 >"$p/addr_trsvcid" || return
	ip netns exec target ln -s "$NVMT_CFS/nvmet/subsystems/$nqn" "$p/subsystems/$nqn"
}

discovers() {
	local out
	out=$(ip netns exec host nvme discover -t mptcp -a 10.10.1.1 -s 4420 \
		--hostnqn="$NVMT_HOSTNQN" --hostid="$NVMT_HOSTID") || return 1
	echo "$out"
	grep -q "subnqn: *$nqn" <<<"$out"
}

# Both controllers of the subsystem are live paths of one namespace head.
two_paths() {
	local subsys c n
	for subsys in /sys/class/nvme-subsystem/nvme-subsys*; do
		[[ $(<"$subsys/subsysnqn") == "$nqn" ]] || continue
		n=0
		for c in "$subsys"/nvme*; do
			[[ ${c##*/} =~ ^nvme[0-9]+$ ]] && n=$((n + 1))
		done
		echo "$subsys: $n controllers"
		[[ $n -eq 2 ]] && return 0
	done
	return 1
}


say "setup"
require modprobe-host modprobe nvme-mptcp
require modprobe-target modprobe nvmet-tcp
require topology topo_create 2
require null-blk null_blk_create 1
require nvmet-target nvmet_add "$nqn" /dev/nullb0 tcp 10.10.1.1
require nvmet-second-port second_port

say "discovery over transport mptcp"
check discover discovers

say "native multipath: one controller per path"
require connect-path1 nvme_connect host mptcp 10.10.1.1 4420 "$nqn"
require connect-path2 nvme_connect host mptcp 10.10.2.1 4420 "$nqn"
require nvme-blockdev nvme_wait_dev "$nqn"
check two-controllers two_paths
nvme list-subsys
check fio-verify-multipath fio_verify "$NVMT_NSDEV" 64k 64M
check disconnect-both nvme_disconnect "$nqn"

say "read and poll queues"
dmesg_mark
require connect-queue-maps nvme_connect host mptcp 10.10.1.1 4420 "$nqn" \
	--nr-io-queues=1 --nr-write-queues=1 --nr-poll-queues=1
require nvme-blockdev-maps nvme_wait_dev "$nqn"
# One queue each for writes (default map), reads and polling.
check three-io-queues dmesg_since "creating 3 I/O queues"
check fio-verify-queue-maps fio_verify "$NVMT_NSDEV" 16k 32M
check fio-polled "${NVMT_FIO[@]/libaio/io_uring}" --name=polled --filename="$NVMT_NSDEV" \
	--rw=randread --bs=4k --size=16M --iodepth=8 --hipri=1 --runtime=3 --time_based
check disconnect-maps nvme_disconnect "$nqn"

say "controller reset, and source address, interface and TOS options"
ctrl_of() { grep -lx "$nqn" /sys/class/nvme/*/subsysnqn | sed -n '1s|/subsysnqn||p'; }
require connect-src fabrics host "transport=mptcp,traddr=10.10.1.1,trsvcid=4420,nqn=$nqn,host_traddr=10.10.1.2,host_iface=h1,tos=32"
require nvme-blockdev-src nvme_wait_dev "$nqn"
check address-has-src grep -q "src_addr=10.10.1.2" "$(ctrl_of)/address"
cat "$(ctrl_of)/address"
dmesg_mark
check nvme-reset nvme reset "/dev/$(basename "$(ctrl_of)")"
check reset-reconnected dmesg_since "creating [0-9]+ I/O queues"
check live-after-reset grep -qx live "$(ctrl_of)/state"
check fio-verify-after-reset fio_verify "$NVMT_NSDEV" 4k 8M
check disconnect-src nvme_disconnect "$nqn"
check rmmod rmmod nvme-mptcp
finish
