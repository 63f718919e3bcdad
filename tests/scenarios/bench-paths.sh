#!/bin/bash
# Benchmark body (run by bench/paths.sh, not by make check): nvme-mptcp
# side by side with NVMe native multipath and stock nvme-tcp over shaped
# veth paths, in one VM boot. Every repetition goes through every
# condition and every configuration in turn, so drift hits all alike.
# Reports one "FIGURE: bench-point ..." line per fio run with the raw
# figures (fio's terse line, CPU jiffies, bytes per path, TCP and MPTCP
# counters); bench/report.py turns them into tables. It judges nothing,
# but a configuration whose paths are not all in use is reported as such.
# Arguments (nvmt.args):
#   reps=N          repetitions (default 3)
#   secs=N ramp=N   seconds measured, and of ramp before (default 4, 1)
#   rate=N          R, each path's rate in Mbit/s (default 40)
#   conds=A+B       conditions (default: all, see cond_paths)
#   loads=A+B       workloads (default: all, see load_fio)
#   configs=A+B     only these configurations (default: each condition's own)
#   queues=A+B      run each configuration once per I/O queue count given,
#                   reported as CONFIG-qN (default: once, one queue per CPU)
#   jobs=N          fio jobs sharing each workload's queue depth, rounded
#                   up (QD1 stays 1 per job); default 1. blk-mq sends a job's
#                   I/O down its CPU's queue, so with one job a controller's
#                   other queues stay nearly idle
#   diag=1          ss -tinM of both ends in the middle of each run, to the
#                   console (windows, RTTs, cwnd of every subflow)
# nvmt: needs-modules
set -euo pipefail
# shellcheck source=bench-lib.sh
. "$(dirname "$0")/bench-lib.sh"

reps=3 secs=4 ramp=1 rate=40
conds=unshaped+clean+lossy+uneven+losslimited
loads=seqread+seqwrite+randread+randwrite+randread-qd1
configs='' queues='' jobs=1 diag=0
for a in "$@"; do
	case $a in
	reps=* | secs=* | ramp=* | rate=* | conds=* | loads=* | configs=* | queues=* | jobs=* | diag=*) declare "${a%%=*}=${a#*=}" ;;
	*) echo "unknown argument $a" >&2; exit 2 ;;
	esac
done
for a in reps secs rate jobs; do
	[[ ${!a} =~ ^[1-9][0-9]*$ ]] || { echo "$a=${!a}: want a whole number of at least 1" >&2; exit 2; }
done
[[ $ramp =~ ^[0-9]+$ ]] || { echo "ramp=$ramp: want a whole number" >&2; exit 2; }
[[ $diag == [01] ]] || { echo "diag=$diag: want 0 or 1" >&2; exit 2; }

cleanup() {
	nvme disconnect -n "$nqn" >/dev/null 2>&1 || true
	tgt_down || true
	topo_destroy
}
trap cleanup EXIT

# ---- conditions: how many paths, and how each is shaped (both ways) -------

cond_paths() {
	case $1 in
	unshaped) echo 1 ;;
	uneven) echo 2 ;;
	clean | lossy | losslimited) echo 4 ;;
	*) return 1 ;;
	esac
}

# cond_configs COND: what runs in COND. One unshaped path is about CPU and
# IOPS; the uneven pair has only two paths to spread over.
cond_configs() {
	case $1 in
	unshaped) echo tcp1 mptcp1 fallback ;;
	clean) echo tcp1 native-rr native-qd mptcp1 mptcp2 mptcp4 fallback ;;
	lossy | losslimited) echo tcp1 native-rr native-qd mptcp4 fallback ;;
	uneven) echo tcp1 native-rr native-qd mptcp2 ;;
	esac
}

# cond_shape COND: qdiscs on both ends of paths 1-4.
cond_shape() {
	local i r=${rate}mbit
	for ((i = 1; i <= 4; i++)); do
		case $1 in
		unshaped)
			ip netns exec host tc qdisc del dev "h$i" root 2>/dev/null || true
			ip netns exec target tc qdisc del dev "t$i" root 2>/dev/null || true
			continue
			;;
		clean) set -- "$1" netem rate "$r" limit 1000 ;;
		lossy) set -- "$1" netem rate "$r" delay 5ms loss 0.5% limit 1000 ;;
		uneven)
			if ((i == 2)); then
				set -- "$1" netem rate "$((rate * 1000 / 4))kbit" delay 20ms limit 1000
			else
				set -- "$1" netem rate "$r" limit 1000
			fi
			;;
		# One TCP flow cannot fill such a path: 1 % loss at a 40 ms RTT
		# keeps its window small whatever the rate.
		losslimited) set -- "$1" netem rate "$((rate * 5 / 2))mbit" delay 20ms loss 1% limit 2000 ;;
		esac
		topo_shape host "h$i" "${@:2}" || return
		topo_shape target "t$i" "${@:2}" || return
	done
}

# measure COND CONFIG LOAD REP: one fio run; its FIGURE line.
measure() {
	local line opts i fio_pid t0=$EPOCHREALTIME
	read -r -a opts <<<"$(load_fio "$3")"
	if ((jobs > 1)); then
		for i in "${!opts[@]}"; do
			[[ ${opts[i]} != --iodepth=* ]] ||
				opts[i]=--iodepth=$(((${opts[i]#--iodepth=} + jobs - 1) / jobs))
		done
		opts+=(--group_reporting)
	fi
	"${NVMT_FIO[@]}" --name=bench --filename="$NVMT_NSDEV" --size=256M --numjobs="$jobs" \
		"${opts[@]}" --time_based --ramp_time="$ramp" --runtime="$secs" --minimal \
		>"$work/fio.out" 2>&1 &
	fio_pid=$!
	# The counters cover fio's measured window, not its start or ramp
	# (fio starts a little after t0, so it is still running at the end).
	sleep_until "$t0" $((ramp * 1000))
	snap "$work/a"
	if ((diag)); then
		sleep_until "$t0" $((ramp * 1000 + secs * 500))
		echo "--- $1 $2 $3: host"
		ip netns exec host ss -tinM state established
		echo "--- $1 $2 $3: target"
		ip netns exec target ss -tinM state established
	fi
	sleep_until "$t0" $(((ramp + secs) * 1000))
	snap "$work/b"
	wait "$fio_pid" || { cat "$work/fio.out" >&2; return 1; }
	line=$(grep -m1 '^3;' "$work/fio.out") || return 1
	echo "FIGURE: bench-point cond=$1 config=$2 load=$3 rep=$4 paths=$(cond_paths "$1")" \
		"rate=$rate secs=$secs bs=${opts[1]#--bs=}$(deltas "$work/a" "$work/b") fio=$line"
}

# ---- the run --------------------------------------------------------------------

IFS=+ read -r -a cond_list <<<"$conds"
IFS=+ read -r -a load_list <<<"$loads"
IFS=+ read -r -a queue_list <<<"${queues:-+}"
say "bench: ${#cond_list[@]} conditions, ${#load_list[@]} workloads, $reps repetitions, R = $rate Mbit/s"
bench_setup 4
echo "FIGURE: bench-meta kernel=$(uname -r) cpus=$(nproc) rate=$rate secs=$secs ramp=$ramp reps=$reps jobs=$jobs diag=$diag"

for ((rep = 1; rep <= reps; rep++)); do
	for cond in "${cond_list[@]}"; do
		n=$(cond_paths "$cond") || { echo "unknown condition $cond" >&2; exit 2; }
		require "shape-$cond" cond_shape "$cond"
		for base in $(cond_configs "$cond"); do
			[[ -z $configs || +$configs+ == *"+$base+"* ]] || continue
			for q in "${queue_list[@]}"; do
				config=$base${q:+-q$q}
				say "rep $rep/$reps: $cond, $config"
				rc=0
				config_up "$base" "$n" "$q" || rc=$?
				if ((rc == 90)); then
					echo "FIGURE: bench-skip cond=$cond config=$config why=iopolicy-unsupported"
				elif ((rc == 91)); then
					echo "FIGURE: bench-skip cond=$cond config=$config why=subflows-missing"
					ip netns exec host ss -HMni state established
					result "bench-$cond-$config-rep$rep" FAIL "not every path has a subflow"
				elif ((rc)); then
					result "bench-$cond-$config-rep$rep" FAIL "could not connect"
				else
					for load in "${load_list[@]}"; do
						measure "$cond" "$config" "$load" "$rep" ||
							result "bench-$cond-$config-$load-rep$rep" FAIL "fio failed"
					done
				fi
				nvme disconnect -n "$nqn" >/dev/null 2>&1 || true
				require "disconnect-$cond-$config-$rep" wait_until 10 ctrl_none
			done
		done
	done
done
check target-teardown tgt_down
finish
