#!/bin/bash
# What a newcomer sees first: NVMe over two veth paths with MPTCP endpoints
# configured, the controller, a short fio figure and the sockets on each path.
# Arguments (nvmt.args=transport=mptcp,paths=4 on the kernel command line):
#   transport=mptcp  our nvme-mptcp/nvmet-mptcp, plus MPTCP socket and counter views (default)
#   transport=tcp    the kernel's own nvme-tcp/nvmet-tcp, for comparison
#   paths=N          veth paths between host and target (1-4, default 2)
#
#   host ns                                   target ns
#   h1 10.10.1.2 <--------- veth ---------> t1 10.10.1.1  (nvmet port)
#   h2 10.10.2.2 <--------- veth ---------> t2 10.10.2.1  (MPTCP signal endpoint)
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

transport=mptcp paths=2
for a in "$@"; do
	case $a in
	transport=* | paths=*) declare "${a%%=*}=${a#*=}" ;;
	*) echo "unknown argument $a" >&2; exit 2 ;;
	esac
done
case $transport in
tcp) label="stock nvme-tcp, one TCP connection per queue" mods=(nvme-tcp nvmet-tcp) ;;
mptcp) label="NVMe over MPTCP (nvme-mptcp / nvmet-mptcp)" mods=(nvmet nvme-mptcp nvmet-mptcp) ;;
*) echo "transport must be tcp or mptcp" >&2; exit 2 ;;
esac
# The kernel only accepts stock names in addr_trtype: the target port says tcp.
nqn=nqn.2026-01.io.nvme-mptcp:demo

cleanup() {
	nvme disconnect -n "$nqn" >/dev/null 2>&1 || true
	nvmet_del "$nqn" || true
	topo_destroy
}
trap cleanup EXIT

say "$label, $paths path(s)"
for m in "${mods[@]}"; do require "modprobe-$m" modprobe "$m"; done
require topology topo_create "$paths"
require mptcp-endpoints topo_mptcp "$paths"
ip -n target mptcp endpoint show
ip -n host mptcp endpoint show
require null-blk null_blk_create 1
require nvmet-target nvmet_add "$nqn" /dev/nullb0 tcp 10.10.1.1
# nvmet autoloads the stock nvmet-tcp for trtype tcp if no one else serves it.
[[ $transport == tcp ]] || check no-stock-nvmet-tcp module_absent nvmet-tcp
require nvme-connect nvme_connect host "$transport" 10.10.1.1 4420 "$nqn"
require nvme-blockdev nvme_wait_dev "$nqn"

say "controller"
nvme list-subsys
controller=$(nvme list | grep -F "$NVMT_NSDEV " || true)
check nvme-list test -n "$controller"

say "fio (10 s each)"
# perf NAME FIO_PERF_ARGS...: record the figure, keep it in $figure
perf() {
	local name=$1
	shift
	if figure=$(fio_perf "$NVMT_NSDEV" "$@"); then result "$name" PASS "$figure"; else
		figure=failed
		result "$name" FAIL
	fi
}
perf fio-4k-randread randread 4k 32 2 10
rand=$figure
perf fio-128k-read read 128k 32 1 10
seq=$figure

say "sockets per path (host side)"
for ((i = 1; i <= paths; i++)); do
	echo "--- path $i: 10.10.$i.2 -> 10.10.$i.1"
	ip netns exec host ss -tni src "10.10.$i.2"
done
sockets=$(ip netns exec host ss -tnH src 10.10.1.2 | wc -l)
check sockets-on-path-1 test "$sockets" -gt 0
if [[ $transport == mptcp ]]; then
	ip netns exec host ss -Mti
	# The counters that show subflows joining (nstat prints every one).
	ip netns exec host nstat -asz 'MPTcpExt*' | grep -E 'MPCapable(SYNTX|SYNACKRX)|MPJoin(SynTx|SynAckRx|AckRx)' || true
	for ((i = 2; i <= paths; i++)); do
		check "subflow-on-path-$i" test "$(ip netns exec host ss -tnH src "10.10.$i.2" | wc -l)" -gt 0
	done
fi

say "summary: $label"
echo "controller:        $controller"
echo "4k randread QD32x2: $rand"
echo "128k read QD32:     $seq"
# bytes_on PATH: bytes through the host's veth of that path, both ways.
bytes_on() {
	local d=/sys/class/net/h$1/statistics
	ip netns exec host bash -c "echo \$((\$(<$d/rx_bytes) + \$(<$d/tx_bytes)))"
}
for ((i = 1; i <= paths; i++)); do
	echo "path $i: $(ip netns exec host ss -tnH src "10.10.$i.2" | wc -l) sockets, $(bytes_on "$i") bytes"
done
if [[ $transport == mptcp ]]; then
	for ((i = 2; i <= paths; i++)); do
		check "data-on-path-$i" test "$(bytes_on "$i")" -gt 1000000
	done
fi

check nvme-disconnect nvme_disconnect "$nqn"
finish
