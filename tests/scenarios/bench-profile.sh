#!/bin/bash
# Profile body (run by bench/profile.sh, not by make check): where the CPU
# goes per I/O on one unshaped path, for stock nvme-tcp, nvme-mptcp and
# the stock host against nvmet-mptcp. For each configuration and workload,
# one untraced fio run (IOPS, context switches per I/O), then one under
# the function_graph tracer limited to the transports' work functions and
# queue_rq, two levels deep: how often each runs per I/O, what it calls
# and how long that takes. Tracing slows everything alike; compare the
# configurations with each other, not with the untraced figures.
# Arguments: secs=N (default 3), loads=A+B (default randread-qd1+randread),
# configs=A+B (default tcp1+mptcp1+fallback).
# nvmt: needs-modules
set -euo pipefail
# shellcheck source=bench-lib.sh
. "$(dirname "$0")/bench-lib.sh"

secs=3 loads=randread-qd1+randread configs=tcp1+mptcp1+fallback
for a in "$@"; do
	case $a in
	secs=* | loads=* | configs=*) declare "${a%%=*}=${a#*=}" ;;
	*) echo "unknown argument $a" >&2; exit 2 ;;
	esac
done
tr=/sys/kernel/tracing
cleanup() {
	echo 0 >"$tr/tracing_on" 2>/dev/null || true
	echo nop >"$tr/current_tracer" 2>/dev/null || true
	nvme disconnect -n "$nqn" >/dev/null 2>&1 || true
	tgt_down || true
	topo_destroy
}
trap cleanup EXIT

# fio_run LOAD: one fio run on NVMT_NSDEV; its terse line.
fio_run() {
	local opts
	read -r -a opts <<<"$(load_fio "$1")"
	"${NVMT_FIO[@]}" --name=profile --filename="$NVMT_NSDEV" --size=256M "${opts[@]}" \
		--time_based --runtime="$secs" --minimal | grep -m1 '^3;'
}

# ios TERSE: read + write I/Os of a terse line (IOPS x seconds).
ios() { awk -F';' -v s="$secs" '{ printf "%d\n", ($8 + $49) * s }' <<<"$1"; }

# graph_setup: function_graph on the work functions and queue_rq of both
# transports, both ends, two levels deep, interrupts left out.
graph_setup() {
	local f
	[[ -d $tr/options ]] || mount -t tracefs tracefs "$tr" || return
	echo 0 >"$tr/tracing_on"
	echo function_graph >"$tr/current_tracer" || return
	echo 2 >"$tr/max_graph_depth"
	echo 1 >"$tr/options/funcgraph-tail"
	echo 0 >"$tr/options/funcgraph-irqs" 2>/dev/null || true
	echo 8192 >"$tr/buffer_size_kb"
	: >"$tr/set_graph_function"
	for f in nvme_mptcp_io_work nvme_mptcp_queue_rq nvmet_mptcp_io_work \
		nvme_tcp_io_work nvme_tcp_queue_rq nvmet_tcp_io_work; do
		echo "$f" >>"$tr/set_graph_function" 2>/dev/null || echo "(no $f to trace)"
	done
	grep -q . "$tr/set_graph_function"
}

# graph_summary IOS: per traced function and per function it calls, the
# calls per I/O and the mean microseconds per call, from the trace.
graph_summary() {
	awk -v ios="$1" '
		function key(cpu, name) { return stack[cpu] == "" ? name : stack[cpu] ">" name }
		/^ *[0-9]+\)/ {
			cpu = $1
			split($0, half, "|"); body = half[2]
			dur = ""; if (match(half[1], /[0-9.]+ us/)) dur = substr(half[1], RSTART, RLENGTH - 3)
			if (match(body, /[a-zA-Z_0-9.]+(\ \[[a-z_0-9]+\])?\(\) \{/)) {
				name = substr(body, RSTART, RLENGTH); sub(/[ (.].*/, "", name)
				if (stack[cpu] == "") stack[cpu] = name
				next
			}
			if (match(body, /\} \/\* [a-zA-Z_0-9]+/)) {
				name = substr(body, RSTART + 5, RLENGTH - 5)
				if (stack[cpu] == name) { stack[cpu] = ""; n[name]++; t[name] += dur }
				next
			}
			if (match(body, /[a-zA-Z_0-9.]+(\ \[[a-z_0-9]+\])?\(\);/)) {
				name = substr(body, RSTART, RLENGTH); sub(/[ (.].*/, "", name)
				k = key(cpu, name); n[k]++; t[k] += dur
			}
		}
		END {
			for (k in n) if (n[k] / ios >= 0.05)
				printf "fn=%s calls_per_io=%.2f us_per_call=%.1f\n", k, n[k] / ios, t[k] / n[k]
		}' "$tr/trace"
}

bench_setup 1
echo "FIGURE: profile-meta kernel=$(uname -r) cpus=$(nproc) secs=$secs"
IFS=+ read -r -a load_list <<<"$loads"
for config in ${configs//+/ }; do
	say "profile: $config"
	require "connect-$config" config_up "$config" 1
	for load in "${load_list[@]}"; do
		snap "$work/a"
		line=$(fio_run "$load") || { result "fio-$config-$load" FAIL; continue; }
		snap "$work/b"
		n=$(ios "$line")
		ctxt=$(deltas "$work/a" "$work/b" | grep -o 'ctxt=[0-9]*' | cut -d= -f2)
		echo "FIGURE: profile config=$config load=$load ios=$n" \
			"iops=$((n / secs)) ctxt_per_io=$(awk -v c="${ctxt:-0}" -v n="$n" 'BEGIN { printf "%.2f", c / n }')"
		require graph-setup graph_setup
		echo >"$tr/trace"
		echo 1 >"$tr/tracing_on"
		rc=0
		line=$(fio_run "$load") || rc=$?
		echo 0 >"$tr/tracing_on"
		if ((rc)); then
			result "fio-traced-$config-$load" FAIL
			echo nop >"$tr/current_tracer"
			continue
		fi
		n=$(ios "$line")
		echo "FIGURE: profile-traced config=$config load=$load ios=$n"
		graph_summary "$n" | sort | sed "s/^/FIGURE: profile-fn config=$config load=$load /"
		echo nop >"$tr/current_tracer"
	done
	nvme disconnect -n "$nqn" >/dev/null 2>&1 || true
	require "disconnect-$config" wait_until 10 ctrl_none
done
check target-teardown tgt_down
finish
