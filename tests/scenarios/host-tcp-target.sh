#!/bin/bash
# nvme-mptcp host (transport "mptcp") against the kernel's own nvmet-tcp
# target, which listens with plain TCP: MPTCP falls back to one TCP path.
# Connect (with and without digests), fio write+verify through in-capsule
# data, R2T/H2CData and C2HData, refcounted unload, bad options, an
# unreachable address, and 20 connect/disconnect cycles leaving nothing.
#
#   host ns: nvme-mptcp  h1 10.10.1.2 <--veth--> t1 10.10.1.1  target ns: nvmet-tcp
# nvmt: needs-modules
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

nqn=nqn.2026-01.io.nvme-mptcp:host-tcp-target
cleanup() {
	nvme disconnect -n "$nqn" >/dev/null 2>&1 || true
	nvmet_del "$nqn" || true
	topo_destroy
}
trap cleanup EXIT

base="transport=mptcp,traddr=10.10.1.1,trsvcid=4420,nqn=$nqn"

# The controller of $nqn reports transport "mptcp" in sysfs.
transport_is_mptcp() {
	local c
	for c in /sys/class/nvme/nvme*; do
		[[ $(<"$c/subsysnqn") == "$nqn" ]] || continue
		[[ $(<"$c/transport") == mptcp ]] && return 0
	done
	return 1
}

queues_file() {
	local c
	for c in /sys/class/nvme/nvme*; do
		[[ $(<"$c/subsysnqn") == "$nqn" ]] && echo "/sys/kernel/debug/nvme-mptcp/${c##*/}/queues"
	done
}

# refused_einval NS OPTIONS PATTERN: the write fails with EINVAL and the
# kernel says PATTERN about it.
refused_einval() {
	local out
	dmesg_mark
	if out=$(fabrics "$1" "$2" 2>&1); then
		echo "accepted: $2"
		return 1
	fi
	echo "$out"
	[[ $out == *"Invalid argument"* ]] || return 1
	dmesg_since "$3"
}

controllers_of() { grep -lx "$nqn" /sys/class/nvme/*/subsysnqn 2>/dev/null | wc -l; }

say "setup"
require modprobe-host modprobe nvme-mptcp
require modprobe-target modprobe nvmet-tcp
require topology topo_create 1
require null-blk null_blk_create 1 3
require nvmet-target nvmet_add "$nqn" /dev/nullb0 tcp 10.10.1.1

say "connect with nvme-cli -t mptcp"
require nvme-connect nvme_connect host mptcp 10.10.1.1 4420 "$nqn"
require nvme-blockdev nvme_wait_dev "$nqn"
check transport-mptcp transport_is_mptcp
nvme list-subsys
cat "$(queues_file)"
# nvmet-tcp listens with plain TCP: every queue must report the fallback.
# shellcheck disable=SC2016 # an awk program
check debugfs-queues-fallback awk 'NR > 1 { n++; if ($2 != "tcp") bad = 1 } END { exit bad || !n }' "$(queues_file)"
check fio-verify-4k fio_verify "$NVMT_NSDEV" 4k 8M
check fio-verify-128k fio_verify "$NVMT_NSDEV" 128k 32M
check fio-verify-1m fio_verify "$NVMT_NSDEV" 1m 32M

say "asynchronous events: namespaces added while connected"
# Each addition reaches the host only as an AEN (namespace attribute
# changed), which nvme-core answers by logging a rescan; the second one
# needs the AEN to have been sent again after the first.
ns_are() { [[ $(ns_count "$nqn") == "$1" ]]; }
require one-ns-before ns_are 1
dmesg_mark
check aen-first-ns-added nvmet_ns_add "$nqn" 2 /dev/nullb1
check aen-first-rescan wait_until 20 rescan_logged "$nqn"
check aen-first-seen ns_add_seen "$nqn" ns_are 2
dmesg_mark
check aen-second-ns-added nvmet_ns_add "$nqn" 3 /dev/nullb2
check aen-second-rescan wait_until 20 rescan_logged "$nqn"
check aen-second-seen ns_add_seen "$nqn" ns_are 3
echo "namespaces the host sees: $(ns_count "$nqn")"
check aen-ns-removed nvmet_ns_del "$nqn" 3
check aen-removal-seen wait_until 20 ns_are 2
check_fails rmmod-while-connected rmmod nvme-mptcp
check nvme-disconnect nvme_disconnect "$nqn"

say "connect with header and data digests"
require connect-digests fabrics host "$base,hdr_digest,data_digest"
require nvme-blockdev-digests nvme_wait_dev "$nqn"
check fio-verify-digests-4k fio_verify "$NVMT_NSDEV" 4k 8M
check fio-verify-digests-128k fio_verify "$NVMT_NSDEV" 128k 32M
check nvme-disconnect-digests nvme_disconnect "$nqn"

say "bad input is refused and named"
check bad-traddr refused_einval host "transport=mptcp,traddr=10.10.1.999,trsvcid=4420,nqn=$nqn" "traddr"
check bad-host-traddr refused_einval host "$base,host_traddr=not-an-ip" "host_traddr"
check bad-host-iface refused_einval host "$base,host_iface=nosuchif0" "host_iface"
check bad-tls refused_einval host "$base,tls" "tls"
check no-controller-left test "$(controllers_of)" -eq 0

say "unreachable address gives up in bounded time"
# The target forwards 10.99.0.1 into a blackhole route: SYNs vanish with
# no ICMP error, so only the connect timeout (5 s) can end the wait.
ip netns exec target bash -c 'echo 1 >/proc/sys/net/ipv4/ip_forward'
ip -n target route add blackhole 10.99.0.1/32
ip -n host route add 10.99.0.1/32 via 10.10.1.1
dmesg_mark
start=$SECONDS
check_fails connect-unreachable fabrics host "transport=mptcp,traddr=10.99.0.1,trsvcid=4420,nqn=$nqn"
elapsed=$((SECONDS - start))
echo "unreachable connect failed after ${elapsed}s"
check connect-unreachable-timed-out dmesg_since "queue 0: cannot connect to 10.99.0.1:4420 \(-110\)"
check connect-unreachable-bounded test "$elapsed" -ge 4 -a "$elapsed" -le 20
check no-half-open test -z "$(ip netns exec host ss -tanH state syn-sent dst 10.99.0.1)"

say "20 connect/disconnect cycles"
cycles() {
	local i
	for ((i = 1; i <= 20; i++)); do
		nvme_connect host mptcp 10.10.1.1 4420 "$nqn" >/dev/null || return 1
		nvme_wait_dev "$nqn" >/dev/null || return 1
		nvme_disconnect "$nqn" || return 1
	done
}
check connect-cycles cycles
check no-controller-left-after-cycles test "$(controllers_of)" -eq 0
check no-mptcp-socket-left test -z "$(ip netns exec host ss -HMan)"
# Closed connections may linger in TIME-WAIT; anything else is a leak.
check no-tcp-socket-left test -z "$(ip netns exec host ss -Htan state all exclude time-wait)"
check no-debugfs-controller-left test -z "$(ls -I controllers /sys/kernel/debug/nvme-mptcp)"
check controllers-summary-empty test "$(wc -l </sys/kernel/debug/nvme-mptcp/controllers)" = 1
check rmmod-after-disconnect rmmod nvme-mptcp
check module-gone module_absent nvme-mptcp

check nvmet-teardown nvmet_del "$nqn"
finish
