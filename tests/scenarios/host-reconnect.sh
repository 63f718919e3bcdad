#!/bin/bash
# Paths lost during I/O, for less than ctrl_loss_tmo: the nvme-mptcp host
# notices (I/O timeout), tears its queues down, reconnects every
# reconnect_delay until the path returns, and the I/O that was in flight
# completes: fio's crc32c verify afterwards finds no error.
#
#   host ns: nvme-mptcp  h1 10.10.1.2 <--veth--> t1 10.10.1.1  target ns: nvmet-tcp
# nvmt: needs-modules
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

nqn=nqn.2026-01.io.nvme-mptcp:host-reconnect
fio_pid=
cleanup() {
	if [[ -n $fio_pid ]]; then kill "$fio_pid" 2>/dev/null || true; fi
	ip -n host link set h1 up 2>/dev/null || true
	nvme disconnect -n "$nqn" >/dev/null 2>&1 || true
	nvmet_del "$nqn" || true
	topo_destroy
}
trap cleanup EXIT

say "setup"
require modprobe-host modprobe nvme-mptcp
require modprobe-target modprobe nvmet-tcp
# Find a dead path in seconds rather than the default 30 s.
require io-timeout sh -c 'echo 8 >/sys/module/nvme_core/parameters/io_timeout'
require topology topo_create 1
require null-blk null_blk_create 1
require nvmet-target nvmet_add "$nqn" /dev/nullb0 tcp 10.10.1.1
require nvme-connect nvme_connect host mptcp 10.10.1.1 4420 "$nqn" \
	--reconnect-delay=1 --ctrl-loss-tmo=120
require nvme-blockdev nvme_wait_dev "$nqn"

say "fio write+verify with the path down for 10 s in the middle"
# Sectors the target has written to its backing device so far (6.1 keeps
# no statistics on the host's multipath device).
written() { awk '{ print $7 }' /sys/block/nullb0/stat; }
base=$(written)
fio_writing() { kill -0 "$fio_pid" && (($(written) - base >= 8192)); }
dmesg_mark
# Rate-limited to 8 MiB/s, so the 128 MiB write lasts about 16 s on any
# machine and the outage always falls in the middle of it.
"${NVMT_FIO[@]}" --name=reconnect --filename="$NVMT_NSDEV" --rw=write --bs=64k \
	--size=128M --iodepth=8 --rate=8m --verify=crc32c --verify_fatal=1 &
fio_pid=$!
require fio-writing wait_until 30 fio_writing
check path-down ip -n host link set h1 down
sleep 10
check fio-in-flight-during-outage kill -0 "$fio_pid"
check path-up ip -n host link set h1 up
rc=0
wait "$fio_pid" || rc=$?
fio_pid=
check fio-verify-across-outage test "$rc" -eq 0
check error-recovery-ran dmesg_since "starting error recovery"
check reconnected dmesg_since "reconnected \(attempt"
check still-connected nvme_wait_dev "$nqn"
check fio-verify-after fio_verify "$NVMT_NSDEV" 4k 8M

say "teardown"
check nvme-disconnect nvme_disconnect "$nqn"
check rmmod rmmod nvme-mptcp
check nvmet-teardown nvmet_del "$nqn"
finish
