#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# Boot one matrix kernel in QEMU, run one scenario in it, and judge the run.
#   run.sh KERNEL_ID SCENARIO [OUTDIR]   -> OUTDIR/{console.log,dmesg.txt,result.txt}
#   run.sh --probe-kvm KERNEL_ID INITRD  -> prints "kvm" if a KVM guest boots here, else "tcg"
# result.txt starts with "PASS" or "FAIL <reason>"; exit status 0 only on PASS.
# Environment: NVMT_INITRAMFS (default: built now, with our modules from
# NVMT_MODDIR if set), NVMT_ACCEL=kvm|tcg (default: probed), NVMT_ARGS
# (scenario arguments, comma separated), NVMT_TIMEOUT (seconds, default 900),
# NVMT_APPEND (extra kernel command line), NVMT_INITRAMFS_PYTHON (the python
# layer, default: built now when the scenario needs it).
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

marker='NVMT: scenario start'
# A kernel splat anywhere in the log fails the run ("panic" as a word: the
# command line itself says panic_on_warn and oops=panic).
splat='WARNING:|BUG:|Oops|general protection|Call Trace|kernel BUG|RIP:|Kernel panic|(^|[^_=.a-z])panic([^_=a-z]|$)'
find_splat() { grep -v -i 'command line' "$1" | grep -m1 -E "$splat"; }

# boot ACCEL VMLINUZ INITRD APPEND CONSOLE SERIAL2 TIMEOUT
boot() {
	local accel_opts=(-accel "tcg,thread=multi" -cpu max)
	[[ $1 == kvm ]] && accel_opts=(-accel kvm -cpu host)
	timeout -k 10 "$7" qemu-system-x86_64 -nodefaults -nographic -no-reboot \
		-m 2048 -smp 2 "${accel_opts[@]}" -kernel "$2" -initrd "$3" \
		-append "console=ttyS0 panic_on_warn=1 panic=-1 oops=panic hung_task_panic=1 softlockup_panic=1 $4" \
		-serial "file:$5" -serial "file:$6" -monitor none </dev/null
}

# Stock kernels may not boot under this host's KVM (seen: "KVM internal
# error" in the decompressor), so use it only when a guest gets to /init.
probe_kvm() {
	local tmp vmlinuz
	vmlinuz=$(kernel_vmlinuz "$1" "$(kernel_kver "$1")")
	if [[ -w /dev/kvm ]]; then
		tmp=$(mktemp -d)
		boot kvm "$vmlinuz" "$2" "" "$tmp/console" "$tmp/serial" 30 >/dev/null 2>&1 || true
		if grep -q "$marker" "$tmp/console"; then echo kvm; rm -rf "$tmp"; return; fi
		rm -rf "$tmp"
	fi
	echo tcg
}

if [[ ${1:-} == --probe-kvm ]]; then
	probe_kvm "${2:?KERNEL_ID}" "${3:?INITRD}"
	exit 0
fi

id=${1:?usage: run.sh KERNEL_ID SCENARIO [OUTDIR]}
scenario=${2:?usage: run.sh KERNEL_ID SCENARIO [OUTDIR]}
out=${3:-$NVMT_VM_DIR/../../test-results/manual/$id/$scenario}
[[ -f $NVMT_VM_DIR/../scenarios/$scenario.sh ]] || die "no scenario $scenario"
mkdir -p "$out"
kver=$(kernel_kver "$id")
vmlinuz=$(kernel_vmlinuz "$id" "$kver")

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
initrd=${NVMT_INITRAMFS:-}
if [[ -z $initrd ]]; then
	initrd=$tmp/initramfs.cpio
	"$NVMT_VM_DIR/mkinitramfs.sh" "$id" "${NVMT_MODDIR:-/nonexistent}" "$initrd"
fi
# Scenarios marked "# nvmt: needs-python" get the python layer appended.
if grep -q '^# nvmt: needs-python' "$NVMT_VM_DIR/../scenarios/$scenario.sh"; then
	pylayer=${NVMT_INITRAMFS_PYTHON:-}
	if [[ -z $pylayer ]]; then
		pylayer=$tmp/python.cpio
		"$NVMT_VM_DIR/mkinitramfs.sh" --python "$pylayer"
	fi
	cat "$initrd" "$pylayer" >"$tmp/initramfs+python.cpio"
	initrd=$tmp/initramfs+python.cpio
fi
accel=${NVMT_ACCEL:-$(probe_kvm "$id" "$initrd")}
append="nvmt.scenario=$scenario${NVMT_ARGS:+ nvmt.args=$NVMT_ARGS}${NVMT_APPEND:+ $NVMT_APPEND}"
limit=${NVMT_TIMEOUT:-900}

# Retry only a boot that oopsed before the scenario started: multi-threaded
# TCG occasionally faults during early kernel text patching ("Oops: int3").
# Anything after the marker is ours and is never retried.
start=$SECONDS
rm -f "$out"/console*.log "$out/flakes.txt"
for ((boots = 1; ; boots++)); do
	qrc=0
	boot "$accel" "$vmlinuz" "$initrd" "$append" "$out/console.log" "$tmp/serial" "$limit" || qrc=$?
	touch "$out/console.log" "$tmp/serial" # even if QEMU never started
	if ((boots <= 2)) && ! grep -q "$marker" "$out/console.log" && find_splat "$out/console.log" >/dev/null; then
		echo "boot $boots: $(find_splat "$out/console.log") before scenario start; booting again" |
			tee -a "$out/flakes.txt" >&2
		mv "$out/console.log" "$out/console.boot$boots.log"
		continue
	fi
	break
done
secs=$((SECONDS - start))

tr -d '\r' <"$tmp/serial" >"$out/serial2.txt"
sed -n '/^NVMT-DMESG-BEGIN$/,/^NVMT-DMESG-END$/{//!p}' "$out/serial2.txt" >"$out/dmesg.txt"
rc=$(sed -n 's/^NVMT-RC: //p' "$out/serial2.txt")

if ((qrc == 124)); then ended="timeout after ${limit}s"; else ended="qemu exit $qrc"; fi
last=$(find_splat "$out/console.log" || tail -n1 "$out/console.log")
verdict=PASS
if ! grep -q "$marker" "$out/console.log"; then
	verdict="FAIL boot did not reach the scenario ($ended): $last"
elif ! grep -qx NVMT-SENTINEL "$out/serial2.txt"; then
	verdict="FAIL no report from the guest ($ended): $last"
elif [[ $rc != 0 ]]; then
	verdict="FAIL scenario exit $rc: $(grep -m1 '^RESULT: .* FAIL' "$out/serial2.txt" || echo 'no failed check recorded')"
elif line=$(find_splat "$out/dmesg.txt"); then
	verdict="FAIL dmesg: $line"
elif line=$(sed -n "/$marker/,\$p" "$out/console.log" | find_splat /dev/stdin); then
	# The console has what a wrapped dmesg buffer may have lost.
	verdict="FAIL console: $line"
fi

{
	echo "$verdict"
	echo "kernel: $id $kver"
	echo "scenario: $scenario ${NVMT_ARGS:-}"
	echo "accel: $accel, boots: $boots, seconds: $secs"
	grep -E '^(RESULT|FIGURE):' "$out/serial2.txt" || true
} >"$out/result.txt"
log "$id $scenario: $verdict (${secs}s)"
[[ $verdict == PASS ]]
