#!/bin/bash
# Fuzz the PDU header checks (make fuzz): build the libFuzzer targets of
# both sides with ASan and UBSan, each over the very pdu-check.c its
# module builds, seed them from seeds.py and run each for SECONDS (default
# 60).  A crash, a sanitizer report or a broken invariant fails it; the
# input that did is kept in the results dir.  One line per side, as the
# other suites print them, then "N passed, N failed".
#   run.sh [SECONDS]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:-60}
out=${FUZZ_OUT:-$top/test-results/fuzz}
cc=${CC_FUZZ:-clang}
[[ $secs =~ ^[0-9]+$ ]] || { echo "usage: run.sh [SECONDS]" >&2; exit 2; }

work=$(mktemp -d)
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
mkdir -p "$out"
passed=0 failed=0

report() {
	local line="$1 fuzz $2 $3s"
	[[ $1 == PASS ]] && passed=$((passed + 1)) || failed=$((failed + 1))
	[[ $1 == PASS ]] || line+=": $4 (logs: $5)"
	echo "$line"
}

if ! command -v "$cc" >/dev/null; then
	report FAIL build 0 "no $cc: run tests/install-deps.sh" "$out"
	echo "$passed passed, $failed failed"
	exit 1
fi
python3 "$top/tests/fuzz/seeds.py" "$work/seeds"

# side: fuzz target name, then the module directory its check lives in.
for side in target:nvmet-mptcp host:nvme-mptcp-host; do
	name=${side%%:*} dir=${side#*:}
	log=$out/$name.log bin=$work/fuzz-$name
	start=$SECONDS
	if ! "$cc" -g -O1 -Wall -Werror -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -I"$top/kcompat" -I"$top/$dir" \
		-I"$top/tests/fuzz" "$top/tests/fuzz/fuzz-$name.c" \
		"$top/$dir/pdu-check.c" -o "$bin" >"$log" 2>&1; then
		report FAIL "$name" 0 "build failed" "$log"
		continue
	fi
	# New inputs go to a scratch corpus; the seeds stay as generated.
	mkdir -p "$work/corpus-$name"
	rm -f "$out/$name"-crash-* "$out/$name"-leak-* "$out/$name"-timeout-*
	if "$bin" -max_total_time="$secs" -timeout=5 -max_len=256 \
		-print_final_stats=1 -artifact_prefix="$out/$name-" \
		"$work/corpus-$name" "$work/seeds/$name" >>"$log" 2>&1; then
		execs=$(awk '/^stat::number_of_executed_units:/ { print $2 }' "$log")
		echo "  $name: ${execs:-?} inputs in $((SECONDS - start))s"
		report PASS "$name" $((SECONDS - start))
	else
		report FAIL "$name" $((SECONDS - start)) \
			"$(grep -m1 -E 'invariant broken|ERROR: |runtime error' "$log" || echo crashed)" "$log"
	fi
done
echo "$passed passed, $failed failed"
((failed == 0))
