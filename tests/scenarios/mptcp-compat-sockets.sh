#!/bin/bash
# mptcp-compat on a real multipath connection, driven from the kernel by the
# test module tests/kmod/mptcp-compat-test (debugfs commands, see its main.c):
#  - in-kernel MPTCP sockets across N veth paths form extra subflows, and
#    every subflow carries the options set through mptcp-compat (TOS and
#    keepalive on both sides, priority where no TOS overrides it); a device
#    binding shows on the initial subflow; a plain TCP client and the
#    target's fallback socket take the TCP branch of each helper
#  - the bounded connect returns in time against a silently dropping peer
#    and leaves nothing half-open; refused and MPTCP-disabled connects fail
#  - a sender that never blocks is resumed by write-space notification
#    only, and the transfer completes
#  - receive timeout and non-blocking receive
#  - mptcp_compat cannot be unloaded while in use, and unloads after
# Arguments: paths=N (2..4, default 3).
# nvmt: needs-modules
#
#   host ns: client  hN 10.10.N.2 <--veth--> tN 10.10.N.1  target ns: listener
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

paths=3
for a in "$@"; do
	case $a in
	paths=*) paths=${a#paths=} ;;
	esac
done

port=5001
dbg=/debug
dir=$dbg/mptcp_compat_test
blackhole=10.99.0.1
mib=$((1024 * 1024))

cleanup() {
	[[ -w $dir/ctl ]] && echo close >"$dir/ctl" 2>/dev/null
	topo_destroy
}
trap cleanup EXIT

# ctl NS COMMAND...: run a test-module command in netns NS.
ctl() {
	local ns=$1
	shift
	# shellcheck disable=SC2016 # expanded by the inner bash
	ip netns exec "$ns" bash -c 'echo "$1" >"$2"' _ "$*" "$dir/ctl"
}

# st KEY: a value from the status file.
st() { sed -n "s/^$1=//p" "$dir/status"; }

# expect KEY OP VALUE: compare a status value, printing it either way.
expect() {
	local v
	v=$(st "$1")
	echo "$1=$v (want $2 $3)"
	[[ -n $v ]] || return 1
	case $2 in
	'==') ((v == $3)) ;;
	'>=') ((v >= $3)) ;;
	'>') ((v > $3)) ;;
	'<') ((v < $3)) ;;
	*) return 2 ;;
	esac
}

# established NS FILTER: ss lines (one per socket) of established TCP sockets.
established() {
	ip netns exec "$1" ss -tnioO --tos state established "$2" | tail -n +2
}

# subflows_carry NS FILTER TOS PRIO MIN: at least MIN subflows, and every
# one shows the TOS, the priority (class_id; - for any) and the keepalive
# timer. With TOS 0 (printed "tos:0") only the subflows without a TOS count.
subflows_carry() {
	local lines n bad=0
	lines=$(established "$1" "$2")
	[[ $3 == 0 ]] && lines=$(grep -e "tos:0 " <<<"$lines" || true)
	echo "$lines" | cut -c1-160
	n=$(grep -c . <<<"$lines" || true)
	bad=$(grep -v -e "tos:$3 " <<<"$lines" | grep -c . || true)
	[[ $4 == - ]] ||
		bad=$((bad + $(grep -v -e "class_id:$4 " <<<"$lines" | grep -c . || true)))
	bad=$((bad + $(grep -v -e 'timer:(keepalive,' <<<"$lines" | grep -c . || true)))
	echo "$n subflows, $bad missing an option (want >= $5 and 0)"
	((n >= $5 && bad == 0))
}

# tcp_client_carries TOS PRIO: exactly one host socket has the TCP client's
# TOS (no MPTCP subflow uses it), with its priority and keepalive timer.
tcp_client_carries() {
	local lines
	lines=$(established host "( dport = :$port )" | grep -e "tos:$1 " || true)
	echo "$lines" | cut -c1-160
	[[ $(grep -c . <<<"$lines") == 1 ]] && grep -q -e "class_id:$2 " <<<"$lines" &&
		grep -q -e 'timer:(keepalive,' <<<"$lines"
}

info_subflows_at_least() { ctl host info && expect info_subflows '>=' "$1"; }

# bytes_sent_is N: the path information counts N bytes sent, or 0 on a
# kernel that keeps no byte counters (6.1).
bytes_sent_is() {
	local v has
	v=$(st info_bytes_sent)
	has=$(st info_has_byte_counters)
	echo "info_bytes_sent=$v, retrans=$(st info_bytes_retrans), has_byte_counters=$has (want $1)"
	if [[ $has == 1 ]]; then [[ $v == "$1" ]]; else [[ $v == 0 ]]; fi
}

nstat_value() {
	ip netns exec "$1" nstat -asz "$2" | awk -v k="$2" '$1 == k { print $2 }'
}

join_acks() {
	local v
	v=$(nstat_value target MPTcpExtMPJoinAckRx)
	echo "target MPTcpExtMPJoinAckRx=$v (want >= $1)"
	((${v:-0} >= $1))
}

# connect_fails NS PROTO ADDR PORT TIMEOUT_MS RC: the connect must fail with RC.
connect_fails() {
	local rc=0
	ctl "$1" connect "$2" "$3" "$4" 0 0 - "$5" || rc=$?
	((rc != 0)) && expect last_rc == "$6"
}

# stalled: the sender hit -EAGAIN and made no progress for one second.
stalled() {
	local a b
	a=$(st tx_sent)
	sleep 1
	b=$(st tx_sent)
	echo "tx_sent $a -> $b, tx_eagain=$(st tx_eagain), tx_done=$(st tx_done)"
	((a == b && $(st tx_eagain) > 0 && $(st tx_done) == 0))
}

received() { expect server_rx_bytes == "$1"; }

# write_space_test BYTES: the current client sends BYTES while the target
# holds its reads, then the target reads again and the sender must finish.
write_space_test() {
	local name=$1 bytes=$2 base
	base=$(st server_rx_bytes)
	check "$name-hold" ctl target hold 1
	check "$name-send" ctl host send "$bytes"
	check "$name-blocked" wait_until 30 stalled
	check "$name-release" ctl target hold 0
	check "$name-done" wait_until 60 expect tx_done == 1
	check "$name-all-sent" expect tx_sent == "$bytes"
	check "$name-no-error" expect tx_rc == 0
	check "$name-notified" expect tx_notify '>' 0
	check "$name-resumed-by-notify" expect tx_resumed '>' 0
	check "$name-received" wait_until 30 received $((base + bytes))
}

say "setup: $paths paths"
require modprobe modprobe mptcp-compat-test
mkdir -p "$dbg"
# debugfs where `ip netns exec` (which remounts /sys) does not hide it
grep -q " $dbg debugfs " /proc/mounts || mount -t debugfs debugfs "$dbg"
require debugfs test -w "$dir/ctl"
require topology topo_create "$paths"
require mptcp-endpoints topo_mptcp "$paths"
require ping ip netns exec host ping -c1 -W2 10.10.1.1

say "listener and multipath connection"
# Setting a TOS sets the priority too, and MPTCP gives the TOS-derived one
# to every subflow it adds later (see mptcp-compat.h): the priority is
# checked on a connection without TOS.
require listen ctl target listen 0.0.0.0 "$port" 0x48 0
check listener-is-mptcp expect server_listen_mptcp == 1
check listener-pins-netns expect server_listen_net_refcnt == 1
require connect ctl host connect mptcp 10.10.1.1 "$port" 0x28 0 - 10000
check client-is-mptcp expect last_mptcp == 1
check client-pins-netns expect last_net_refcnt == 1
check connect-time expect last_ms '<' 10000
check extra-subflows wait_until 20 info_subflows_at_least $((paths - 1))
# joins may still be completing when path info first shows them
check join-acks wait_until 5 join_acks $((paths - 1))
check host-subflows-carry-options \
	subflows_carry host "( dport = :$port )" 0x28 - "$paths"
check target-accepted-mptcp expect server_accepted_mptcp == 1
check target-options-ok expect server_opt_errors == 0
check target-subflows-carry-options \
	subflows_carry target "( sport = :$port )" 0x48 - "$paths"
ip netns exec host ss -MniO || true
sed 's/^/  /' "$dir/status"

say "write space on MPTCP"
write_space_test wspace-mptcp $((128 * mib))
check path-info ctl host info
check path-info-bytes-sent bytes_sent_is $((128 * mib))

say "receive timeout and non-blocking receive"
check recvtest ctl host recvtest 500
check rcvtimeo-eagain expect recv_rc == -11
check rcvtimeo-lower expect recv_ms '>=' 450
check rcvtimeo-upper expect recv_ms '<' 2000
check recv-nonblocking-eagain expect recv_nb_rc == -11

say "priority on every subflow (connection without TOS)"
check connect-prio ctl host connect mptcp 10.10.1.1 "$port" 0 5 - 10000
check prio-extra-subflows wait_until 20 info_subflows_at_least $((paths - 1))
check prio-subflows-carry-priority \
	wait_until 5 subflows_carry host "( dport = :$port )" 0 0x5 "$paths"

say "device binding"
check connect-bound ctl host connect mptcp 10.10.1.1 "$port" 0x28 0 h1 10000
check bound-initial-subflow \
	wait_until 5 bash -c "ip netns exec host ss -tnO state established | grep -F '10.10.1.2%h1:'"

say "plain TCP client: fallback socket on the target"
check connect-tcp ctl host connect tcp 10.10.1.1 "$port" 0x10 2 - 10000
check tcp-client-not-mptcp expect last_mptcp == 0
check target-accepted-fallback wait_until 5 expect server_accepted == 4
check target-fallback-not-mptcp expect server_accepted_mptcp == 3
check target-fallback-options-ok expect server_opt_errors == 0
check tcp-path-info ctl host info
check tcp-path-info-unsupported expect info_rc == -95
check tcp-client-carries-options tcp_client_carries 0x10 0x2
check target-all-carry-options \
	subflows_carry target "( sport = :$port )" 0x48 - $((2 * paths + 2))
write_space_test wspace-tcp $((64 * mib))

say "bounded connect"
check connect-refused connect_fails host mptcp 10.10.1.1 5999 2000 -111
check refused-fast expect last_ms '<' 1500
# The target forwards $blackhole into a blackhole route: SYNs vanish
# without an ICMP error (a forwarding blackhole is silent).
ip netns exec target bash -c 'echo 1 >/proc/sys/net/ipv4/ip_forward'
ip -n target route add blackhole "$blackhole/32"
ip -n host route add "$blackhole/32" via 10.10.1.1
check connect-timeout-mptcp connect_fails host mptcp "$blackhole" "$port" 2000 -110
check timeout-not-early expect last_ms '>=' 2000
check timeout-not-late expect last_ms '<' 3500
check connect-timeout-tcp connect_fails host tcp "$blackhole" "$port" 2000 -110
check timeout-tcp-bounded expect last_ms '<' 3500
check no-half-open test -z "$(ip netns exec host ss -tanH state syn-sent dst "$blackhole")"
ip netns exec host ss -tanO dst "$blackhole"
ip netns exec host bash -c 'echo 0 >/proc/sys/net/mptcp/enabled'
check mptcp-disabled connect_fails host mptcp 10.10.1.1 "$port" 2000 -92
check mptcp-disabled-logged bash -c "dmesg | grep -q 'MPTCP is disabled in this network namespace'"
ip netns exec host bash -c 'echo 1 >/proc/sys/net/mptcp/enabled'

say "module references"
check_fails compat-unload-refused-in-use rmmod mptcp_compat
check close ctl host close
check clients-released expect clients == 0
check test-unload rmmod mptcp_compat_test
check compat-unload rmmod mptcp_compat
check compat-gone module_absent mptcp_compat
finish
