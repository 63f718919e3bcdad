#!/bin/bash
# 4k randread QD32 IOPS of nvme-mptcp against stock nvme-tcp on one
# unshaped path, same VM, same kernel, same nvmet-tcp target, in rounds
# that alternate the two.  Target: nvme-mptcp within 10% of nvme-tcp.
# Prints every round, then the medians and their ratio (the emulated CPU
# makes single rounds noisy).
#
# usage: bench/host-iops.sh [-r ROUNDS] [KERNEL_ID...]     (default: 6.12)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/test-results/bench
rounds=5
if [[ ${1:-} == -r ]]; then
	rounds=${2:?-r needs a number}
	shift 2
fi
kernels=("$@")
[[ ${#kernels[@]} -gt 0 ]] || kernels=(6.12)

for id in "${kernels[@]}"; do
	"$top/tests/vm/build.sh" "$id" "$out/$id/modules" >/dev/null
	NVMT_MODDIR=$out/$id/modules NVMT_ARGS=rounds=$rounds \
		"$top/tests/vm/run.sh" "$id" bench-host-iops "$out/$id/run" >/dev/null || true
	awk -v id="$id" '
		function median(a, n,    i, j, t) {
			for (i = 2; i <= n; i++)
				for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
			return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
		}
		/^RESULT: iops-(tcp|mptcp) PASS/ {
			t = $2; sub("iops-", "", t)
			if (t == "tcp") tcp[++nt] = $4; else mptcp[++nm] = $4
			printf "%s round: %-5s %s IOPS\n", id, t, $4
		}
		END {
			if (!nt || !nm) { print id ": incomplete, see logs"; exit 1 }
			mt = median(tcp, nt); mm = median(mptcp, nm)
			printf "%s: median of %d rounds: nvme-tcp %.0f IOPS, nvme-mptcp %.0f IOPS, ratio %.2f\n", id, nt, mt, mm, mm / mt
		}' "$out/$id/run/result.txt"
done
