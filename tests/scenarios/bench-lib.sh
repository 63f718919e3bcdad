# shellcheck shell=bash
# Helpers for the bench-*.sh scenarios: the configurations compared (stock
# nvme-tcp, native multipath, nvme-mptcp, fallback) brought up and down,
# the workloads, and snapshots of CPU, bytes per path and counters.
# Sourced, not a scenario itself.
# shellcheck source=target-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/target-lib.sh"

nqn=nqn.2026-01.io.nvme-mptcp:bench
work=/tmp/bench
mkdir -p "$work"
tgt_mod='' tgt_ports=0

# ---- workloads ----------------------------------------------------------------

# load_fio LOAD: fio's options for LOAD. Sequential blocks are 128k where the
# kernel's own nvme-tcp host can take them (stock_bs, lib.sh), for every
# configuration alike.
load_fio() {
	local seq
	seq=$(stock_bs 128k)
	case $1 in
	seqread) echo --rw=read --bs="$seq" --iodepth=32 ;;
	seqwrite) echo --rw=write --bs="$seq" --iodepth=32 ;;
	randread) echo --rw=randread --bs=4k --iodepth=32 ;;
	randwrite) echo --rw=randwrite --bs=4k --iodepth=32 ;;
	randread-qd1) echo --rw=randread --bs=4k --iodepth=1 ;;
	*) return 1 ;;
	esac
}

# bench_setup PATHS: both transports' host modules, PATHS veth paths with
# MPTCP limits (endpoints come per configuration), and /dev/nullb0. Not
# memory-backed: nothing is verified, and the transports, not memcpy,
# should take the CPU.
bench_setup() {
	require modprobe modprobe -a nvme-tcp nvme-mptcp
	require topology topo_create "$1"
	require mptcp-limits topo_mptcp 1
	require null-blk modprobe null_blk nr_devices=1 gb=1 bs=4096
	require null-blk-dev udev_wait /dev/nullb0
}

# ---- target: nvmet-tcp or nvmet-mptcp, a port on each of N paths --------------

tgt_down() {
	local p
	for ((p = 2; p <= tgt_ports; p++)); do tgt_port_del "$p" "$nqn" || return; done
	if [[ -n $tgt_mod ]]; then nvmet_del "$nqn" || return; fi
	tgt_ports=0 tgt_mod=''
}

# unload MODULE: rmmod, retried while the last queues go.
unload() {
	local i
	for ((i = 0; i < 50; i++)); do
		module_loaded "$1" || return 0
		rmmod "$1" 2>/dev/null && return 0
		sleep 0.2
	done
	rmmod "$1"
}

# tgt_use MODULE N: the subsystem served by MODULE on paths 1..N.
tgt_use() {
	local p
	[[ $tgt_mod == "$1" && $tgt_ports == "$2" ]] && return
	tgt_down || return
	# One transport per trtype: the other goes first.
	if [[ $1 == nvmet-tcp ]]; then unload nvmet-mptcp || return; else unload nvmet-tcp || return; fi
	modprobe "$1" || return
	nvmet_add "$nqn" /dev/nullb0 tcp 10.10.1.1 || return
	tgt_mod=$1 tgt_ports=1
	for ((p = 2; p <= $2; p++)); do
		tgt_port_add "$p" "10.10.$p.1" 4420 "$nqn" || return
		tgt_ports=$p
	done
}

# ---- host configurations -------------------------------------------------------

# endpoints N: MPTCP endpoints for paths 2..N only, both ends.
endpoints() {
	local i
	ip -n host mptcp endpoint flush || return
	ip -n target mptcp endpoint flush || return
	for ((i = 2; i <= $1; i++)); do
		ip -n target mptcp endpoint add "10.10.$i.1" dev "t$i" id "$i" signal || return
		ip -n host mptcp endpoint add "10.10.$i.2" dev "h$i" id "$i" subflow || return
	done
}

# all_subflows N: every MPTCP connection of the host has at least N-1
# subflows besides its first (the host opens one from each endpoint and
# one to each address the target announces, so often more: the bytes per
# path in each figure say where the data went).
all_subflows() {
	ip netns exec host ss -HMniO state established |
		awk -v want=$(($1 - 1)) '{ n++; k = 0
			for (i = 1; i <= NF; i++) if ($i ~ /^subflows:/) { sub(/^subflows:/, "", $i); k = $i }
			if (k < want) bad++ }
			END { exit !(n > 0 && !bad) }'
}

# config_up CONFIG PATHS [QUEUES]: connect CONFIG, each controller with
# QUEUES I/O queues (default: nvme-cli's, one per CPU); the nvme block
# device in NVMT_NSDEV.
# Exit status 90: the kernel has no such iopolicy; 91: subflows missing.
config_up() {
	local p policy q=()
	[[ -z ${3:-} ]] || q=(--nr-io-queues="$3")
	case $1 in
	tcp1)
		tgt_use nvmet-tcp "$2" || return
		nvme_connect host tcp 10.10.1.1 4420 "$nqn" "${q[@]}" >/dev/null || return
		;;
	native-*)
		tgt_use nvmet-tcp "$2" || return
		for ((p = 1; p <= $2; p++)); do
			nvme_connect host tcp "10.10.$p.1" 4420 "$nqn" "${q[@]}" >/dev/null || return
		done
		policy=round-robin
		[[ $1 == native-qd ]] && policy=queue-depth
		for s in /sys/class/nvme-subsystem/*; do
			[[ $(<"$s/subsysnqn") == "$nqn" ]] || continue
			echo "$policy" >"$s/iopolicy" 2>/dev/null || return 90
		done
		;;
	mptcp*)
		tgt_use nvmet-mptcp "$2" || return
		endpoints "${1#mptcp}" || return
		nvme_connect host mptcp 10.10.1.1 4420 "$nqn" "${q[@]}" >/dev/null || return
		wait_until 10 all_subflows "${1#mptcp}" || return 91
		;;
	fallback)
		tgt_use nvmet-mptcp "$2" || return
		nvme_connect host tcp 10.10.1.1 4420 "$nqn" "${q[@]}" >/dev/null || return
		;;
	*) return 1 ;;
	esac
	nvme_wait_dev "$nqn" >/dev/null
}

ctrl_none() { ! grep -lqx "$nqn" /sys/class/nvme/*/subsysnqn 2>/dev/null; }

# ---- one measurement ----------------------------------------------------------

# sleep_until T0 MS: until MS milliseconds after T0 (an EPOCHREALTIME).
sleep_until() {
	local t0=${1/./} now=${EPOCHREALTIME/./} left
	left=$((t0 / 1000 + $2 - now / 1000))
	((left <= 0)) || sleep "$((left / 1000)).$(printf %03d $((left % 1000)))"
}

# snap FILE: CPU jiffies, bytes per path and counters, now.
snap() {
	local ns
	{
		awk '$1 == "cpu" { print "cpu.busy", $2 + $3 + $4 + $7 + $8; print "cpu.all", $2 + $3 + $4 + $5 + $6 + $7 + $8 }
			$1 == "ctxt" { print "ctxt", $2 }' /proc/stat
		# shellcheck disable=SC2016 # expanded by the inner sh
		ip netns exec host sh -c 'for i in 1 2 3 4; do
			s=/sys/class/net/h$i/statistics
			[ -d "$s" ] || continue
			echo "tx$i $(cat "$s/tx_bytes")"; echo "rx$i $(cat "$s/rx_bytes")"
		done'
		for ns in host target; do
			ip netns exec "$ns" nstat -az | awk -v ns="$ns" '$1 ~ /^(Tcp|MPTcp)/ { print ns "." $1, $2 }'
		done
	} >"$1"
}

# deltas A B: "name=delta" for what changed between two snaps.
deltas() {
	awk 'NR == FNR { a[$1] = $2; next } $2 - a[$1] != 0 { printf " %s=%d", $1, $2 - a[$1] }' "$1" "$2"
}
