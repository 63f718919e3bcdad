#!/bin/bash
# Controller and target faults, nvme-mptcp -> nvmet-mptcp over 2 paths,
# with fio write+verify running through each:
#  - keep-alive: KATO set from userspace on a live controller, then 5 s KATO
#    with path 1 blackholed and path 2 healthy: never dropped, never reset;
#  - target: port disabled and enabled again, nvmet-mptcp unloaded and
#    loaded again (the host reconnects, the I/O completes), one namespace
#    disabled (its I/O fails cleanly, the other namespace carries on);
#  - churn: 4 controllers connect and disconnect while fio runs on a fifth;
#    afterwards controllers, module references and MPTCP sockets are back
#    to where they were, and kernel memory (slab) grows by less than one
#    controller's worth a round;
#  - all paths lost for longer than ctrl_loss_tmo: the I/O fails and the
#    controller goes within ctrl_loss_tmo + 2 x reconnect_delay of the error
#    recovery, nothing hangs.
# Arguments: rounds=N (churn rounds, default 5), secs=N (seconds of I/O
# after each fault, default 5).
# nvmt: needs-modules
set -euo pipefail
# shellcheck source=fault-lib.sh
. "$(dirname "$0")/fault-lib.sh"

rounds=5 secs=5
for a in "$@"; do
	case $a in
	rounds=*) rounds=${a#rounds=} ;;
	secs=*) secs=${a#secs=} ;;
	*) echo "unknown argument $a" >&2; exit 2 ;;
	esac
done

base=nqn.2026-01.io.nvme-mptcp:fault-ctrl
nqn=$base-main
cleanup() {
	local c
	fio_stop
	for c in "$base"-{main,c1,c2,c3,c4,lost}; do
		nvme disconnect -n "$c" >/dev/null 2>&1 || true
	done
	for c in 2 3 4 5 6; do tgt_port_del "$c" "$base-c$((c - 1))" 2>/dev/null || true; done
	for c in "$base"-{main,c1,c2,c3,c4,lost}; do nvmet_del "$c" 2>/dev/null || true; done
	topo_destroy
}
trap cleanup EXIT

# subsys_add NQN DEVICE: a subsystem on port 1 (which exists already).
subsys_add() {
	local s=$NVMT_CFS/nvmet/subsystems/$1
	mkdir "$s" || return
	echo 1 >"$s/attr_allow_any_host" || return
	nvmet_ns_add "$1" 1 "$2" || return
	ip netns exec target ln -s "$s" "$NVMT_CFS/nvmet/ports/1/subsystems/$1"
}

# subsys_del NQN
subsys_del() {
	rm -f "$NVMT_CFS/nvmet/ports/1/subsystems/$1"
	nvmet_ns_del "$1" 1 || return
	rmdir "$NVMT_CFS/nvmet/subsystems/$1"
}

refcnt() { cat "/sys/module/${1//-/_}/refcnt"; }
mptcp_socks() { ip netns exec "$1" cat /proc/net/protocols | awk '$1 == "MPTCP" { print $3 }'; }
# slab_kib: unreclaimable slab memory (kmalloc included), in KiB; host and
# target share the kernel.
slab_kib() { awk '$1 == "SUnreclaim:" { print $2 }' /proc/meminfo; }
# The accounting that must come back after churn, one line.
footprint() {
	echo "controllers=$(find /sys/class/nvme -mindepth 1 -maxdepth 1 | wc -l)" \
		"nvme_mptcp=$(refcnt nvme-mptcp) nvmet_mptcp=$(refcnt nvmet-mptcp)" \
		"mptcp_sockets=$(mptcp_socks host)+$(mptcp_socks target)"
}

say "setup: 2 paths at $FAULT_RATE each, 6 memory-backed devices"
require modprobe-nvmet-mptcp modprobe nvmet-mptcp
require modprobe-nvme-mptcp modprobe nvme-mptcp
require topology fault_topology 2
require null-blk null_blk_create 1 7
require nvmet-target nvmet_add "$nqn" /dev/nullb0 tcp 10.10.1.1
require nvme-connect nvme_connect host mptcp 10.10.1.1 4420 "$nqn" --keep-alive-tmo=5 \
	--reconnect-delay=1
require nvme-blockdev nvme_wait_dev "$nqn"
dev=$NVMT_NSDEV
ctrl=/dev/$(ctrl_of "$nqn")

say "keep-alive: KATO set from userspace, then path 1 blackholed with path 2 healthy"
dmesg_mark
fio_start "$dev" $((14 + secs)) kato --rate=2m
check set-kato nvme set-feature "$ctrl" -f 0x0f -v 3000
sleep 3
check live-after-set-kato ctrl_live "$nqn"
check set-kato-back nvme set-feature "$ctrl" -f 0x0f -v 5000
check path1-blackholed path_lose blackhole 1
sleep 10
check live-with-one-path ctrl_live "$nqn"
check path1-back path_restore blackhole 1
check fio-verify-through-kato fio_wait
n=$(resets)
figure resets-kato "$n"
check no-controller-reset-kato test "$n" -eq 0
no_ka_failure() { ! dmesg_since 'keep.alive.*(expired|error|fail|timed out)'; }
check no-keep-alive-failure no_ka_failure

say "target: port disabled and enabled again"
dmesg_mark
fio_start "$dev" $((4 + secs)) portcycle
sleep 2
check port-disable tgt_port_disable 1 "$nqn"
sleep 2
check port-enable ip netns exec target ln -s "$NVMT_CFS/nvmet/subsystems/$nqn" "$NVMT_CFS/nvmet/ports/1/subsystems/$nqn"
check fio-verify-through-port-cycle fio_wait
check reconnected-after-port-cycle wait_until 20 ctrl_live "$nqn"
figure longest-io-port-cycle "$(lat_max portcycle 0 999999999)" ms

say "target: nvmet-mptcp unloaded and loaded again"
fio_start "$dev" $((6 + secs)) reload
sleep 2
check reload-port-disable tgt_port_disable 1 "$nqn"
# The port's queues drain in the background: rmmod is refused until then.
rmmod_soon() {
	local i
	for ((i = 0; i < 50; i++)); do
		rmmod "$1" 2>/dev/null && return 0
		sleep 0.2
	done
	rmmod "$1"
}
check reload-rmmod rmmod_soon nvmet-mptcp
check reload-modprobe modprobe nvmet-mptcp
check reload-port-enable ip netns exec target ln -s "$NVMT_CFS/nvmet/subsystems/$nqn" "$NVMT_CFS/nvmet/ports/1/subsystems/$nqn"
check fio-verify-through-reload fio_wait
check reconnected-after-reload wait_until 20 ctrl_live "$nqn"
figure longest-io-reload "$(lat_max reload 0 999999999)" ms

say "target: namespace 2 disabled during I/O on both"
dmesg_mark
require ns2-add nvmet_ns_add "$nqn" 2 /dev/nullb1
check ns2-aen wait_until 20 rescan_logged "$nqn"
ns2_dev() { [[ -b ${dev%n1}n2 ]]; }
require ns2-blockdev ns_add_seen "$nqn" ns2_dev
fio_start "$dev" $((4 + secs)) ns1
ns1_pid=$FIO_PID
"${NVMT_FIO[@]}" --name=ns2 --filename="${dev%n1}n2" --rw=randwrite --bs=64k --size=64M \
	--iodepth=16 --time_based --runtime=$((4 + secs)) >"$FAULT_DIR/ns2.out" 2>&1 &
ns2_pid=$!
sleep 2
check ns2-disable sh -c "echo 0 >$NVMT_CFS/nvmet/subsystems/$nqn/namespaces/2/enable"
rc=0
wait "$ns2_pid" || rc=$?
grep -m3 -E 'error|err=' "$FAULT_DIR/ns2.out" || true
check ns2-io-failed test "$rc" -ne 0
FIO_PID=$ns1_pid
check ns1-fio-verify-unaffected fio_wait
check ns1-still-live ctrl_live "$nqn"
check ns2-remove nvmet_ns_del "$nqn" 2

if ((rounds > 0)); then
	say "churn: 4 controllers connect and disconnect $rounds times, fio on the fifth"
	for c in 1 2 3 4; do require "churn-subsys-$c" subsys_add "$base-c$c" "/dev/nullb$((c + 1))"; done
	sleep 1
	before=$(footprint)
	echo "before: $before"
	# No TIME_WAIT sockets: they would grow kernel memory with every round
	# for 60 s, which is not what this measures.
	tw=$(ip netns exec host sysctl -n net.ipv4.tcp_max_tw_buckets)
	for ns in host target; do
		ip netns exec "$ns" sysctl -qw net.ipv4.tcp_max_tw_buckets=0
	done
	dmesg_mark
	fio_start "$dev" 600 churn
	sleep 1
	slab_before=$(slab_kib)
	slab_held='' slab_r1='' slab_rn=''
	churn() {
		local r c
		for ((r = 1; r <= rounds; r++)); do
			for c in 1 2 3 4; do
				nvme_connect host mptcp 10.10.1.1 4420 "$base-c$c" >/dev/null || return
			done
			if ((r == 1)); then slab_held=$(($(slab_kib) - slab_before)); fi
			for c in 1 2 3 4; do nvme_disconnect "$base-c$c" || return; done
			if ((r == 1)); then slab_r1=$(slab_kib); fi
		done
		slab_rn=$(slab_kib)
	}
	check churn churn
	check fio-verify-through-churn fio_end
	n=$(resets)
	check no-controller-reset-churn test "$n" -eq 0
	same_footprint() { [[ $(footprint) == "$before" ]]; }
	check footprint-back wait_until 15 same_footprint
	echo "after: $(footprint)"
	# Kernel memory (slab, kmalloc included), both times with fio running:
	# from the end of round 1 to the end of the last, it may grow by less
	# than one controller's share of what round 1's four held per round. A
	# controller (or most of one) left behind every round fails.
	figure slab-held-4-controllers "${slab_held:-?}" KiB
	if ((rounds < 2)); then
		skip slab-no-controller-per-round "rounds=$rounds"
	elif [[ -n $slab_rn ]]; then
		grow=$(((slab_rn - slab_r1) / (rounds - 1)))
		limit=$((slab_held / 4 > 256 ? slab_held / 4 : 256))
		figure slab-growth-per-round "$grow" KiB
		check slab-no-controller-per-round test "$grow" -lt "$limit"
	fi
	for ns in host target; do
		ip netns exec "$ns" sysctl -qw "net.ipv4.tcp_max_tw_buckets=$tw"
	done
	for c in 1 2 3 4; do check "churn-subsys-del-$c" subsys_del "$base-c$c"; done
else
	skip churn "rounds=0"
fi

say "all paths lost for longer than ctrl_loss_tmo (6 s, reconnect every 2 s)"
check lost-subsys subsys_add "$base-lost" /dev/nullb6
check lost-connect nvme_connect host mptcp 10.10.1.1 4420 "$base-lost" \
	--ctrl-loss-tmo=6 --reconnect-delay=2 --keep-alive-tmo=5
check lost-blockdev nvme_wait_dev "$base-lost"
lost_dev=$NVMT_NSDEV
check main-disconnect nvme_disconnect "$nqn"
dmesg_mark
"${NVMT_FIO[@]}" --name=lost --filename="$lost_dev" --rw=randwrite --bs=64k --size=64M \
	--iodepth=16 --time_based --runtime=600 >"$FAULT_DIR/lost.out" 2>&1 &
lost_pid=$!
sleep 2
t0=$SECONDS
for i in 1 2; do path_lose blackhole "$i"; done
io_failed() { ! kill -0 "$lost_pid" 2>/dev/null; }
check lost-io-fails wait_until 90 io_failed
t_fail=$((SECONDS - t0))
rc=0
wait "$lost_pid" || rc=$?
check lost-fio-reports-errors test "$rc" -ne 0
check lost-controller-removed wait_until 10 ctrl_gone "$base-lost"
recovery=$({ dmesg_since 'starting error recovery' || true; } | head -n1 | sed -E 's/^\[ *([0-9]+)\..*/\1/')
failed=$({ dmesg_since 'removing controller' || true; } | head -n1 | sed -E 's/^\[ *([0-9]+)\..*/\1/')
echo "blackhole to fio exit: ${t_fail}s; error recovery at ${recovery:-?}s, removal at ${failed:-?}s (uptime)"
figure all-down-io-failed-after "$t_fail" s
figure all-down-removed-after-recovery $((${failed:-9999} - ${recovery:-0})) s
# ctrl_loss_tmo is a time: removal within ctrl_loss_tmo + 2 x reconnect_delay
# of the error recovery (+1 s for rounding to whole seconds).
check lost-removed-in-time test $((${failed:-9999} - ${recovery:-0})) -le $((6 + 2 * 2 + 1))
for i in 1 2; do path_restore blackhole "$i"; done
check lost-subsys-del subsys_del "$base-lost"
check nvmet-teardown nvmet_del "$nqn"
finish
