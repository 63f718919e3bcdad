#!/bin/bash
# Where the CPU goes per I/O on one unshaped path: stock nvme-tcp,
# nvme-mptcp, and the stock host against nvmet-mptcp, traced with
# function_graph (tests/scenarios/bench-profile.sh). Writes profile.md
# under test-results/bench/profile/KERNEL.
#
# usage: bench/profile.sh [KERNEL_ID...]      (default: 6.12)
# Environment: PROFILE_ARGS, scenario arguments (comma separated).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
# Kernel ids as words or comma separated (make passes BENCH_KERNELS=6.1,newest).
IFS=', ' read -r -a kernels <<<"${*:-6.12}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$top/tests/install-deps.sh"
rc=0
for id in "${kernels[@]}"; do
	out=$top/test-results/bench/profile/$id
	rm -rf "$out"
	mkdir -p "$out"
	"$top/tests/vm/build.sh" "$id" "$tmp/$id-modules" >"$out/build.log" 2>&1 || { rc=1; continue; }
	NVMT_MODDIR=$tmp/$id-modules NVMT_ARGS=${PROFILE_ARGS:-} NVMT_TIMEOUT=1800 \
		"$top/tests/vm/run.sh" "$id" bench-profile "$out/run" || rc=1
	awk '
		/^FIGURE: profile-meta / { print "Kernel " $3 ", " $4 ", " $5 " s per fio run.\n" }
		/^FIGURE: profile / {
			if (!head++) { print "| configuration | workload | IOPS (untraced) | context switches per I/O |"; print "|---|---|---|---|" }
			for (i = 3; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
			print "| " v["config"] " | " v["load"] " | " v["iops"] " | " v["ctxt_per_io"] " |"
		}
		/^FIGURE: profile-fn / {
			if (!fhead++) { print "\n| configuration | workload | function (caller>callee) | calls per I/O | us per call (traced) |"; print "|---|---|---|---|---|" }
			for (i = 3; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
			print "| " v["config"] " | " v["load"] " | " v["fn"] " | " v["calls_per_io"] " | " v["us_per_call"] " |"
		}' "$out/run/result.txt" >"$out/profile.md"
	echo "$id: $out/profile.md"
done
exit "$rc"
