#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# Build our modules for every matrix kernel and run the scenarios on each in
# QEMU. One line per test, then "N passed, N failed"; exit status 1 if any failed.
#   run-matrix.sh [--kernels 6.1,6.12,...] [--scenarios baseline-tcp,load-unload]
#                 [--out DIR] [--show]
# --show prints each scenario's own output (e.g. the demo) after its result line.
# The build of each kernel is a test too. When it fails, the scenarios that need
# our modules are skipped; stock-only ones (baseline-tcp) still run, since they
# check the kernel and the bench themselves.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=vm/common.sh
. "$here/vm/common.sh"

kernels=$(kernel_ids | paste -sd,)
# NAME or NAME:ARG[:ARG...] (each ARG as the scenario takes it in nvmt.args).
scenarios=baseline-tcp,load-unload,mptcp-compat-sockets,host-tcp-target,host-reconnect,host-features,host-bad-target
scenarios+=,target-host-tcp,target-mptcp:paths=2,target-mptcp:paths=4:digests=0,target-ports,target-conflict,target-badpdu
scenarios+=,target-nvmetcli,host-tcp-dropin,fault-paths
# 3 churn rounds and 3 s of I/O after each fault here (about 90 s a
# kernel); make soak runs 50 rounds and 5 s.
scenarios+=,fault-ctrl:rounds=3:secs=3
# Kernels marked "quick" in kernels.list run only these: another build or
# flavour of a series the full list covers, where what differs is where
# types and modules live, the compiler, or preemption. Both modules loaded
# and unloaded, and our host and target moving verified data over 4 paths.
# Digests are the same code on every build of a series: the full list
# checks them (about 30 s a kernel saved here).
quick=load-unload,target-mptcp:paths=4:digests=0
# On the full list fault-paths moves verified data over 4 paths, with
# every path checked, so the 4-path target-mptcp runs on the quick list only
# (its digest checks run on the full list with 2 paths).
quick_only=target-mptcp:paths=4:digests=0
# Build-time tests of the ABI generator, run against this kernel's build.
abi_kernel=6.12-deb12
out=$here/../test-results
show=0
while (($#)); do
	case $1 in
	--kernels) kernels=${2:?} && shift ;;
	--scenarios) scenarios=${2:?} && shift ;;
	--out) out=${2:?} && shift ;;
	--show) show=1 ;;
	*) die "usage: run-matrix.sh [--kernels LIST] [--scenarios LIST] [--out DIR] [--show]" ;;
	esac
	shift
done
IFS=, read -r -a kernels <<<"$kernels"
IFS=, read -r -a scenarios <<<"$scenarios"
[[ $EUID -eq 0 ]] || die "run as root (chroot, mount, apt)"
for k in "${kernels[@]}"; do kernel_row "$k" >/dev/null; done
for s in "${scenarios[@]}"; do [[ -f $here/scenarios/${s%%:*}.sh ]] || die "no scenario ${s%%:*}"; done
mkdir -p "$out" "$NVMT_CACHE/initramfs"
out=$(cd "$out" && pwd)
summary=$out/summary.txt
: >"$summary"
passed=0 failed=0
t0=$SECONDS

# Scenarios that exercise our modules say so in a "# nvmt: needs-modules" line.
needs_modules() { grep -q '^# nvmt: needs-modules' "$here/scenarios/$1.sh"; }

# abi_tests KERNEL: the generator's own tests, on the tree build.sh just built.
abi_tests() {
	local t start
	for t in "$here"/abi/*.sh; do
		start=$SECONDS
		t=${t##*/}
		if "$here/abi/$t" "$1" >"$kdir/abi-${t%.sh}.log" 2>&1; then
			report PASS "$1" "abi-${t%.sh}" $((SECONDS - start))
		else
			report FAIL "$1" "abi-${t%.sh}" $((SECONDS - start)) \
				"$(grep -m1 FAIL "$kdir/abi-${t%.sh}.log" || tail -n1 "$kdir/abi-${t%.sh}.log")" \
				"$kdir/abi-${t%.sh}.log"
		fi
	done
}

: >"$out/steps.log"
step install-deps "$here/install-deps.sh" || { totals; exit 1; }
mapfile -t suites < <({ echo "$NVMT_GUEST_SUITE"; for k in "${kernels[@]}"; do kernel_suite "$k"; done; } | awk '!seen[$0]++')
for s in "${suites[@]}"; do step "chroot-$s" "$here/vm/chroot.sh" "$s" || { totals; exit 1; }; done

# The python layer (nvmetcli), kernel-independent: built once, appended by
# run.sh for the scenarios that need it.
pylayer=$NVMT_CACHE/initramfs/python.cpio
step initramfs-python "$here/vm/mkinitramfs.sh" --python "$pylayer" || { totals; exit 1; }

accel=${NVMT_ACCEL:-}
for k in "${kernels[@]}"; do
	kdir=$out/$k
	rm -rf "$kdir"
	mkdir -p "$kdir"
	kernel_kver "$k" >"$kdir/kver"
	echo "kernel $k: $(<"$kdir/kver")" | tee -a "$summary"

	start=$SECONDS
	built=1
	if "$here/vm/build.sh" "$k" "$kdir/build" >"$kdir/build.log" 2>&1; then
		report PASS "$k" build $((SECONDS - start))
	else
		built=0
		report FAIL "$k" build $((SECONDS - start)) "$(grep -m1 -E 'error|ERROR|Error|\*\*\*' "$kdir/build/make.log" 2>/dev/null ||
			tail -n1 "$kdir/build.log")" "$kdir/build.log"
	fi

	((built)) && [[ $k == "$abi_kernel" ]] && abi_tests "$k"

	initrd=$NVMT_CACHE/initramfs/$k.cpio
	step "initramfs-$k" "$here/vm/mkinitramfs.sh" "$k" "$kdir/build" "$initrd" || continue
	if [[ -z $accel ]]; then
		accel=$("$here/vm/run.sh" --probe-kvm "$k" "$initrd")
		echo "accelerator: $accel" | tee -a "$summary"
	fi

	# Every scenario of this kernel in one boot (another only after a crash).
	batch=()
	for s in "${scenarios[@]}"; do
		name=${s%%:*}
		if ((!built)) && needs_modules "$name"; then
			echo "SKIP $k $s: build failed" | tee -a "$summary"
			continue
		fi
		kernel_quick "$k" && [[ ,$quick, != *",$s,"* ]] && continue
		! kernel_quick "$k" && [[ ,$quick_only, == *",$s,"* ]] && continue
		batch+=("$s")
	done
	((${#batch[@]})) || continue
	start=$SECONDS
	NVMT_ACCEL=$accel NVMT_INITRAMFS=$initrd NVMT_INITRAMFS_PYTHON=$pylayer \
		"$here/vm/run.sh" --batch "$k" "$(IFS=,; echo "${batch[*]}")" "$kdir" >"$kdir/vm.log" 2>&1 || true
	echo "vm $k: ${#batch[@]} scenarios in $((SECONDS - start))s, $(compgen -G "$kdir/console.boot*.log" | wc -l) boot(s)" | tee -a "$summary"
	for s in "${batch[@]}"; do
		res=$kdir/$s/result.txt
		secs=$(sed -n 's/^accel: .*seconds: \([0-9?]*\)$/\1/p' "$res" 2>/dev/null || true)
		if [[ $(head -n1 "$res" 2>/dev/null) == PASS ]]; then
			report PASS "$k" "$s" "${secs:-0}"
		else
			report FAIL "$k" "$s" "${secs:-0}" \
				"$(head -n1 "$res" 2>/dev/null || tail -n1 "$kdir/vm.log")" "$kdir/$s"
			# A kernel splat's task, RIP and trace (vm/run.sh).
			{ grep '^    | ' "$res" 2>/dev/null || true; } | tee -a "$summary"
		fi
		if ((show)); then
			# The scenario's own lines, without the kernel messages interleaved on the console.
			{ sed -n '/^NVMT: scenario start/,/^NVMT: scenario end/p' "$kdir/$s/console.log" 2>/dev/null |
				grep -v '^\[ *[0-9]*\.[0-9]*\]' || true; }
		fi
	done
done

totals
