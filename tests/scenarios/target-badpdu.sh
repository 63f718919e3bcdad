#!/bin/bash
# Malformed input: tests/tools/nvmet-badpdu sends generated malformed PDU
# sequences in passes of COUNT, alternating TCP and MPTCP connections (at
# least two passes, and on until the good host is done), interleaved with
# well-formed controls that must succeed, plus an ICReq flood, while a
# good host runs four fio write+verify rounds on the same port; then one
# address hogs the port while the good host connects again.  Every bad
# connection must be dropped with a rate-limited log line, the good host's
# I/O must finish without an error or a reconnect, and the kernel must log
# no splat (the bench fails the run on one; the VM runs with panic_on_warn=1).
# Arguments: host=mptcp|tcp (the good host, default mptcp), count=N
# (sequences per pass, default 500), seed=S.
# nvmt: needs-modules
#
#   host ns: good host + nvmet-badpdu  hN 10.10.N.2 <--veth--> tN 10.10.N.1  target ns
set -euo pipefail
# shellcheck source=target-lib.sh
. "$(dirname "$0")/target-lib.sh"

host=mptcp count=500 seed=$RANDOM
for a in "$@"; do
	case $a in
	host=* | count=* | seed=*) declare "${a%%=*}=${a#*=}" ;;
	*) echo "unknown argument $a" >&2; exit 2 ;;
	esac
done
case $host in
mptcp) hostmod=nvme-mptcp ;;
tcp) hostmod=nvme-tcp ;;
*) echo "host must be mptcp or tcp" >&2; exit 2 ;;
esac

nqn=nqn.2026-01.io.nvme-mptcp:target-badpdu
cleanup() {
	nvme disconnect -n "$nqn" >/dev/null 2>&1 || true
	nvmet_del "$nqn" || true
	topo_destroy
}
trap cleanup EXIT

# fio_rounds DEV N: N write+verify rounds, in-capsule 4k and R2T 128k.
fio_rounds() {
	local n bs
	for ((n = 0; n < $2; n++)); do
		bs=4k
		((n % 2)) && bs=128k
		[[ $host == tcp ]] && bs=$(stock_bs "$bs")
		if ! fio_verify "$1" "$bs" 16M >/tmp/fio-round.log 2>&1; then
			echo "fio round $n ($bs) failed:"
			cat /tmp/fio-round.log
			return 1
		fi
	done
	echo "$2 fio write+verify rounds passed"
}

badpdu() {
	ip netns exec host nvmet-badpdu -a 10.10.1.1 -p 4420 -n "$nqn" -c "$count" "$@"
}

say "setup: good host nvme-$host"
require badpdu-tool type -P nvmet-badpdu
require modprobe-nvmet-mptcp modprobe nvmet-mptcp
require modprobe-host modprobe "$hostmod"
require topology topo_create 2
require mptcp-endpoints topo_mptcp 2
require null-blk null_blk_create 1
require nvmet-target nvmet_add "$nqn" /dev/nullb0 tcp 10.10.1.1
require nvme-connect nvme_connect host "$host" 10.10.1.1 4420 "$nqn"
require nvme-blockdev nvme_wait_dev "$nqn"
ctrl=$(basename "$(dirname "$(grep -lx "$nqn" /sys/class/nvme/*/subsysnqn)")")
echo "good host controller: $ctrl"

say "malformed PDUs while the good host writes and verifies"
dmesg_mark
fio_rounds "$NVMT_NSDEV" 4 >/tmp/fio-rounds.log 2>&1 &
fio_pid=$!
start=$SECONDS
# Passes alternate TCP and MPTCP connections, and go on for as long as the
# good host's I/O does: at least one pass of each, 2 * count sequences.
passes=0 tcp_bad=0 mptcp_bad=0
while ((passes < 2)) || kill -0 "$fio_pid" 2>/dev/null; do
	if ((passes % 2)); then
		badpdu -m -s $((seed + passes)) || mptcp_bad=$((mptcp_bad + 1))
	else
		badpdu -s $((seed + passes)) || tcp_bad=$((tcp_bad + 1))
	fi
	passes=$((passes + 1))
done
echo "nvmet-badpdu: $passes passes, $((passes * count)) malformed sequences in $((SECONDS - start)) s"
check badpdu-tcp test "$tcp_bad" -eq 0
check badpdu-mptcp test "$mptcp_bad" -eq 0
fio_rc=0
wait "$fio_pid" || fio_rc=$?
cat /tmp/fio-rounds.log
check fio-during-badpdu test "$fio_rc" -eq 0

say "what the kernel said"
dmesg | tail -n +"$((NVMT_DMESG_LINES + 1))" | grep -E "nvmet_mptcp" | tail -n 25 || true
drops=$(dmesg_since "nvmet_mptcp: queue [0-9]+ .*dropping the connection" | wc -l || true)
echo "$drops 'dropping the connection' lines for $((passes * count)) malformed sequences"
check dropped-lines-logged test "$drops" -gt 0
# printk rate limiting: 10 lines per 5 s per call site, whatever the flood.
check log-is-rate-limited test "$drops" -le $((10 * (2 + (SECONDS - start) / 5) * 3))
# The good host's controller never noticed.
check good-host-no-recovery test -z "$(dmesg_since "$ctrl: (starting error recovery|Reconnecting)" || true)"
check good-host-live grep -qx live "/sys/class/nvme/$ctrl/state"

say "one address hogs the port: its cap, the ICReq deadline, memory"
# 300 connections from 10.10.1.3, a third idle, a third with half an ICReq,
# a third with a Connect asking for 2 MiB it never sends, reopened as the
# target drops them, while the good host (10.10.1.2) connects again and
# verifies; the hog runs at least 8 s, past the 5 s ICReq deadline.
require hog-address ip -n host addr add 10.10.1.3/24 dev h1
mem_avail() { awk '/^MemAvailable:/ { print $2 }' /proc/meminfo; }
mem0=$(mem_avail)
dmesg_mark
ip netns exec host nvmet-badpdu -a 10.10.1.1 -p 4420 -n "$nqn" -f 300 -H 60 -b 10.10.1.3 \
	>/tmp/hold.log 2>&1 &
hog_pid=$! hog_start=$SECONDS
sleep 4
# At its cap by now: 256 connections without a controller.
mem_kib=$((mem0 - $(mem_avail)))
figure hog-memory-mib $((mem_kib / 1024)) MiB
check reconnect-while-hogged nvme_disconnect "$nqn"
check connect-while-hogged nvme_connect host "$host" 10.10.1.1 4420 "$nqn"
check blockdev-while-hogged nvme_wait_dev "$nqn"
hog_bs=64k
[[ $host == tcp ]] && hog_bs=$(stock_bs "$hog_bs")
check fio-verify-while-hogged fio_verify "$NVMT_NSDEV" "$hog_bs" 16M
check hog-still-running kill -0 "$hog_pid"
while ((SECONDS - hog_start < 9)); do sleep 0.5; done
kill -TERM "$hog_pid" 2>/dev/null || true
hog_rc=0
wait "$hog_pid" || hog_rc=$?
cat /tmp/hold.log
check hog-ran test "$hog_rc" -eq 0
held=$(sed -n 's/.*held-max \([0-9]*\).*/\1/p' /tmp/hold.log)
oldest=$(sed -n 's/.*icreq-oldest \([0-9]*\).*/\1/p' /tmp/hold.log)
figure hog-held-max "${held:-0}"
figure hog-icreq-oldest "${oldest:-0}" s
# 256 per address (NVMET_MPTCP_MAX_PENDING_PER_PEER): without the cap all
# 300 would live until their deadline.
check hog-capped test "${held:-999}" -le 256 -a "${held:-0}" -ge 128
check hog-cap-logged test -n "$(dmesg_since "10\.10\.1\.3 has 256 connections without a controller" || true)"
check icreq-deadline-logged test -n "$(dmesg_since "no ICReq after 5 s, dropping" || true)"
# Those that sent their ICReq have until the Connect deadline (30 s).
check icreq-extends-deadline test "${oldest:-0}" -ge 6
# 256 connections, a third having asked for 2 MiB: sockets and queues, no
# data buffers (256 such Connects pinned 502 MiB before the length check).
check hog-memory-bounded test "$mem_kib" -le $((32 * 1024))
ip -n host addr del 10.10.1.3/24 dev h1
ctrl=$(basename "$(dirname "$(grep -lx "$nqn" /sys/class/nvme/*/subsysnqn)")")

say "after the storm"
after_bs=64k
[[ $host == tcp ]] && after_bs=$(stock_bs "$after_bs")
check fio-verify-after fio_verify "$NVMT_NSDEV" "$after_bs" 32M
check nvme-disconnect nvme_disconnect "$nqn"
check no-connection-left wait_until 10 no_conns target 4420
check nvmet-teardown nvmet_del "$nqn"
check rmmod-nvmet-mptcp rmmod nvmet-mptcp
finish
