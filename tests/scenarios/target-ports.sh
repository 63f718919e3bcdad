#!/bin/bash
# nvmet-mptcp port settings and where listeners live:
#  - a port asking for TLS (addr_tsas tls1.3, 6.7+ kernels) or a secure
#    channel (addr_treq required) is refused with a clear message;
#  - listen_protocol=tcp (at load and at run time) listens with plain TCP,
#    bad values are refused, and MPTCP disabled in the namespace is named
#    in the error;
#  - inline_data_size 0 (every write, even the I/O queues' Connect, goes
#    through R2T) and 64 KiB (large writes in the capsule) both serve I/O;
#  - param_max_queue_size (6.12+) reaches the host, which keeps to it;
#  - a port enabled from another network namespace listens there, and
#    that namespace can be deleted while the port is enabled.
# nvmt: needs-modules
#
#   host ns: nvme-tcp, nvme-mptcp  h1 10.10.1.2 <--veth--> t1 10.10.1.1  target ns
set -euo pipefail
# shellcheck source=target-lib.sh
. "$(dirname "$0")/target-lib.sh"

nqn=nqn.2026-01.io.nvme-mptcp:target-ports
param=/sys/module/nvmet_mptcp/parameters/listen_protocol
pdir=$NVMT_CFS/nvmet/ports/1
cleanup() {
	nvme disconnect -n "$nqn" >/dev/null 2>&1 || true
	tgt_port_del 3 "$nqn" || true
	nvmet_del "$nqn" || true
	ip netns del other 2>/dev/null || true
	ip netns exec target sysctl -qw net.mptcp.enabled=1 2>/dev/null || true
	topo_destroy
}
trap cleanup EXIT

port_link() { ip netns exec "${2:-target}" ln -s "$NVMT_CFS/nvmet/subsystems/$nqn" "$NVMT_CFS/nvmet/ports/$1/subsystems/$nqn"; }
port_unlink() { rm "$NVMT_CFS/nvmet/ports/$1/subsystems/$nqn"; }
# refused CHECK PATTERN: enabling port 1 fails and dmesg says PATTERN.
refused() {
	dmesg_mark
	if port_link 1 2>/dev/null; then
		port_unlink 1
		echo "port enabled"
		return 1
	fi
	dmesg_since "$1"
}
listener_proto() {
	if [[ -n $(ip netns exec target ss -HMln) ]]; then echo mptcp; else echo tcp; fi
}
# connect_fio TRANSPORT BS: connect, write+verify, disconnect.
connect_fio() {
	local bs=$2
	[[ $1 == tcp ]] && bs=$(stock_bs "$bs")
	nvme_connect host "$1" 10.10.1.1 4420 "$nqn" &&
		nvme_wait_dev "$nqn" &&
		fio_verify "$NVMT_NSDEV" "$bs" 8M &&
		nvme_disconnect "$nqn"
}

say "setup"
require modprobe-nvmet-mptcp modprobe nvmet-mptcp
require modprobe-hosts modprobe -a nvme-tcp nvme-mptcp
require topology topo_create 1
require null-blk null_blk_create 1
require nvmet-target nvmet_add "$nqn" /dev/nullb0 tcp 10.10.1.1
require port-disable port_unlink 1

say "TLS and secure channels are refused"
if [[ -e $pdir/addr_tsas ]]; then
	require tls-port-configured bash -c "echo tls1.3 >$pdir/addr_tsas"
	check tls-port-refused refused "port 1: TLS \(addr_tsas\) is not supported, MPTCP cannot carry kernel TLS"
	echo none >"$pdir/addr_tsas"
else
	echo "tls-port-refused: not checked, this kernel has no NVMe/TLS target ports"
fi
echo required >"$pdir/addr_treq"
check secure-channel-refused refused "port 1: a secure channel \(addr_treq=required\) is not supported"
echo "not specified" >"$pdir/addr_treq"
check plain-port-enables port_link 1
check plain-port-serves connect_fio tcp 4k
require port-disable-2 port_unlink 1

say "listen_protocol"
check param-default test "$(cat "$param")" = mptcp
check_fails param-bad-value bash -c "echo sctp >$param"
echo tcp >"$param"
check port-enable-tcp port_link 1
check listener-tcp test "$(listener_proto)" = tcp
check tcp-listener-stock-host connect_fio tcp 4k
# The MPTCP host falls back to plain TCP against a TCP listener.
check tcp-listener-mptcp-host connect_fio mptcp 128k
port_unlink 1
echo mptcp >"$param"
ip netns exec target sysctl -qw net.mptcp.enabled=0
check mptcp-disabled-named refused "MPTCP is disabled in this network namespace: set net.mptcp.enabled=1, or load nvmet-mptcp with listen_protocol=tcp"
ip netns exec target sysctl -qw net.mptcp.enabled=1
rmmod nvmet-mptcp
require modprobe-with-param modprobe nvmet-mptcp listen_protocol=tcp
check param-at-load test "$(cat "$param")" = tcp
check port-enable-param port_link 1
check listener-tcp-param test "$(listener_proto)" = tcp
port_unlink 1
echo mptcp >"$param"

say "inline_data_size"
echo 0 >"$pdir/param_inline_data_size"
check port-enable-inline0 port_link 1
check inline0-stock-host connect_fio tcp 4k
check inline0-mptcp-host connect_fio mptcp 64k
port_unlink 1
echo 65536 >"$pdir/param_inline_data_size"
check port-enable-inline64k port_link 1
check inline64k-stock-host connect_fio tcp 64k
port_unlink 1
echo -1 >"$pdir/param_inline_data_size" 2>/dev/null || echo 16384 >"$pdir/param_inline_data_size"

say "param_max_queue_size (6.12+): hosts get smaller queues, and keep to them"
if [[ -e $pdir/param_max_queue_size ]]; then
	echo 16 >"$pdir/param_max_queue_size"
	check port-enable-qs16 port_link 1
	require nvme-connect-qs16 nvme_connect host tcp 10.10.1.1 4420 "$nqn"
	require nvme-blockdev-qs16 nvme_wait_dev "$nqn"
	sqsize=$(cat /sys/class/nvme/*/sqsize | head -n1)
	echo "host I/O queue sqsize (0's based): $sqsize"
	check host-sqsize-limited test "$sqsize" -le 15
	# The host queues up to 64 but may only send 16: more would be dropped.
	check fio-qd64-on-16-entries "${NVMT_FIO[@]}" --name=qd64 --filename="$NVMT_NSDEV" \
		--bs=4k --size=16M --rw=randwrite --iodepth=64 --verify=crc32c --verify_fatal=1
	check nvme-disconnect-qs16 nvme_disconnect "$nqn"
	port_unlink 1
	echo 1024 >"$pdir/param_max_queue_size"
else
	echo "max-queue-size: not checked, this kernel has no param_max_queue_size"
fi

say "a port enabled from another network namespace"
ip netns add other
ip -n other link set lo up
dmesg_mark
check port3-in-other-ns tgt_port_add 3 127.0.0.1 4430 "$nqn" other
check port3-listens-in-other test -n "$(ip netns exec other ss -HMln '( sport = :4430 )')"
check port3-not-in-target test -z "$(ip netns exec target ss -Hln '( sport = :4430 )')"
# The listener pins the namespace, as a user's socket would.
check other-ns-deleted ip netns del other
check port3-disable tgt_port_del 3 "$nqn"
check port3-disabled dmesg_since "port 3: disabled"

check nvmet-teardown nvmet_del "$nqn"
check rmmod-nvmet-mptcp rmmod nvmet-mptcp
finish
