#!/bin/bash
# Benchmark body (run by bench/host-iops.sh, not by the test suite): 4k
# random reads at queue depth 32 over one unshaped path, stock nvme-tcp and
# nvme-mptcp against the same nvmet-tcp target, in the same VM boot,
# alternating round by round.  Reports figures; it judges nothing.
# nvmt: needs-modules
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# Arguments (nvmt.args): rounds=N (default 5), secs=N per fio run (default 10).
rounds=5 secs=10
for a in "$@"; do
	case $a in
	rounds=* | secs=*) declare "${a%%=*}=${a#*=}" ;;
	*) echo "unknown argument $a" >&2; exit 2 ;;
	esac
done
nqn=nqn.2026-01.io.nvme-mptcp:bench
cleanup() {
	nvme disconnect -n "$nqn" >/dev/null 2>&1 || true
	nvmet_del "$nqn" || true
	topo_destroy
}
trap cleanup EXIT

# measure TRANSPORT: connect, warm up, fio, disconnect; one RESULT line.
measure() {
	local t=$1 figure
	nvme_connect host "$t" 10.10.1.1 4420 "$nqn" --nr-io-queues=2 >/dev/null || return 1
	nvme_wait_dev "$nqn" >/dev/null || return 1
	fio_perf "$NVMT_NSDEV" randread 4k 32 1 3 >/dev/null || return 1
	figure=$(fio_perf "$NVMT_NSDEV" randread 4k 32 2 "$secs") || return 1
	nvme_disconnect "$nqn" || return 1
	result "iops-$t" PASS "$figure"
}

require modprobe modprobe -a nvme-tcp nvme-mptcp nvmet-tcp
require topology topo_create 1
require null-blk null_blk_create 1
require nvmet-target nvmet_add "$nqn" /dev/nullb0 tcp 10.10.1.1
for ((round = 1; round <= rounds; round++)); do
	for t in tcp mptcp; do
		measure "$t" || result "iops-$t" FAIL "round $round"
	done
done
finish
