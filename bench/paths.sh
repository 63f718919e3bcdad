#!/bin/bash
# nvme-mptcp side by side with NVMe native multipath over shaped paths
# (tests/scenarios/bench-paths.sh), in one VM boot per kernel; writes
# bench.json, bench.md and bench.png under test-results/bench/paths/KERNEL.
#
# usage: bench/paths.sh [--smoke] [KERNEL_ID...]      (default: 6.12)
#   --smoke   a minute or two: one repetition, two conditions, two
#             workloads; checks that the bench runs and writes its files.
# Environment: BENCH_ARGS, scenario arguments (comma separated) that
# replace the defaults, e.g. BENCH_ARGS=reps=5,rate=25.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
smoke=0
if [[ ${1:-} == --smoke ]]; then
	smoke=1
	shift
fi
# Kernel ids as words or comma separated (make passes BENCH_KERNELS=6.1,newest).
IFS=', ' read -r -a kernels <<<"${*:-6.12}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

args=${BENCH_ARGS:-}
# Full run: 24 configurations x 5 workloads x 3 repetitions of 6 s, plus
# connects and target switches: about 45 minutes under TCG.
limit=5400
if ((smoke)); then
	args=${args:-reps=1,secs=2,ramp=1,conds=unshaped+clean,loads=seqread+randread-qd1,configs=tcp1+mptcp1+native-rr+mptcp4}
	limit=900
fi

"$top/tests/install-deps.sh"
passed=0 failed=0
for id in "${kernels[@]}"; do
	out=$top/test-results/bench/paths/$id
	((smoke)) && out=$top/test-results/bench/smoke/$id
	rm -rf "$out"
	mkdir -p "$out"
	rc=0
	"$top/tests/vm/build.sh" "$id" "$tmp/$id-modules" >"$out/build.log" 2>&1 || rc=$?
	if ((rc == 0)); then
		NVMT_MODDIR=$tmp/$id-modules NVMT_ARGS=$args NVMT_TIMEOUT=$limit \
			"$top/tests/vm/run.sh" "$id" bench-paths "$out/run" || rc=$?
	fi
	if ((rc == 0)); then
		python3 "$top/bench/report.py" "$out/run/result.txt" "$out" >/dev/null || rc=$?
	fi
	# The chart shows the sequential loads: without them there is none.
	files=(bench.json bench.md)
	grep -q '"load": "seq' "$out/bench.json" 2>/dev/null && files+=(bench.png)
	for f in "${files[@]}"; do
		[[ -s $out/$f ]] || { echo "$id: no $f" >&2; rc=1; }
	done
	if ((rc == 0)); then
		passed=$((passed + 1))
		echo "PASS bench $id: $out/bench.md"
	else
		failed=$((failed + 1))
		echo "FAIL bench $id: $(head -n1 "$out/run/result.txt" 2>/dev/null || echo "build failed, see $out/build.log")"
		grep '^    | ' "$out/run/result.txt" 2>/dev/null || true
	fi
done
echo "$passed passed, $failed failed"
((failed == 0))
