#!/bin/bash
# 4k randread QD32 IOPS of nvme-mptcp against stock nvme-tcp on one
# unshaped path, same VM, same kernel, same target (two rounds, alternating).
# Target: nvme-mptcp within 10% of nvme-tcp.  Prints the figures and ratio.
#
# usage: bench/host-iops.sh [KERNEL_ID...]     (default: 6.12)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/test-results/bench
kernels=("$@")
[[ ${#kernels[@]} -gt 0 ]] || kernels=(6.12)

for id in "${kernels[@]}"; do
	"$top/tests/vm/build.sh" "$id" "$out/$id/modules" >/dev/null
	NVMT_MODDIR=$out/$id/modules "$top/tests/vm/run.sh" "$id" bench-host-iops \
		"$out/$id/run" >/dev/null || true
	awk -v id="$id" '
		/^RESULT: iops-(tcp|mptcp) PASS/ {
			t = $2; sub("iops-", "", t); sum[t] += $4; n[t]++
			printf "%s round: %-5s %s IOPS\n", id, t, $4
		}
		END {
			if (!n["tcp"] || !n["mptcp"]) { print id ": incomplete, see logs"; exit 1 }
			tcp = sum["tcp"] / n["tcp"]; mptcp = sum["mptcp"] / n["mptcp"]
			printf "%s: nvme-tcp %.0f IOPS, nvme-mptcp %.0f IOPS, ratio %.2f\n", id, tcp, mptcp, mptcp / tcp
		}' "$out/$id/run/result.txt"
done
