#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# Boot one matrix kernel in QEMU, run scenarios in it, and judge each.
#   run.sh KERNEL_ID SCENARIO [OUTDIR]         -> OUTDIR/{console.log,dmesg.txt,result.txt}
#   run.sh --batch KERNEL_ID ENTRIES OUTDIR    -> OUTDIR/ENTRY/{...} for each entry
#   run.sh --probe-kvm KERNEL_ID INITRD        -> prints "kvm" if a KVM guest boots here, else "tcg"
# ENTRIES: NAME or NAME:ARG:ARG..., comma separated, run one after another in
# one boot (the guest puts back what each may leave behind); a scenario that
# crashes the kernel fails, and the rest run in a new boot. result.txt starts
# with "PASS" or "FAIL <reason>", then, after a kernel splat, its task, RIP
# and call trace as lines starting "    | "; exit status 0 only if every
# entry passed.
# Environment: NVMT_INITRAMFS (default: built now, with our modules from
# NVMT_MODDIR if set), NVMT_ACCEL=kvm|tcg (default: probed), NVMT_ARGS
# (arguments of the single SCENARIO, comma separated), NVMT_TIMEOUT (seconds
# a scenario may take, default 900), NVMT_APPEND (extra kernel command
# line), NVMT_INITRAMFS_PYTHON (the python layer, default: built now when a
# scenario needs it).
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

marker='NVMT: scenario start'
# A kernel splat anywhere in the log fails the run ("panic" as a word: the
# command line itself says panic_on_warn and oops=panic).
splat='WARNING:|BUG:|Oops|general protection|Call Trace|kernel BUG|RIP:|Kernel panic|(^|[^_=.a-z])panic([^_=a-z]|$)'
find_splat() { grep -v -i 'command line' "$1" | grep -m1 -E "$splat"; }
# splat_context FILE: the first splat's task, RIP and call trace, indented
# "    | ", for result.txt and the summary (CI keeps no guest logs). GNU grep
# 3.8 (bookworm) keeps matching lines inside -A's trailing context.
splat_context() {
	grep -v -i 'command line' "$1" | grep -A60 -m1 -E "$splat" |
		grep -E "$splat|^\[ *[0-9.]+\]  [? ]*[A-Za-z_0-9.]+\+0x|RIP: |Comm: |Workqueue: |Modules linked in" |
		head -n 30 | cut -c1-160 | sed 's/^/    | /'
}

# boot ACCEL VMLINUZ INITRD APPEND CONSOLE SERIAL2 TIMEOUT
# tsc=reliable: under a loaded TCG host the clocksource watchdog declares the
# TSC unstable minutes into a boot ("frequency skew"), and switching
# sched_clock off it patches kernel text on a running guest, which
# multi-threaded TCG has been seen to trip over during boot ("Oops: int3",
# below). TCG's TSC follows the host's clock: nothing for the watchdog to
# catch. (Under KVM the guest's clock is kvm-clock, not the TSC.)
boot() {
	local accel_opts=(-accel "tcg,thread=multi" -cpu max)
	[[ $1 == kvm ]] && accel_opts=(-accel kvm -cpu host)
	timeout -k 10 "$7" qemu-system-x86_64 -nodefaults -nographic -no-reboot \
		-m 2048 -smp 2 "${accel_opts[@]}" -kernel "$2" -initrd "$3" \
		-append "console=ttyS0 tsc=reliable panic_on_warn=1 panic=-1 oops=panic hung_task_panic=1 softlockup_panic=1 $4" \
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

usage="usage: run.sh KERNEL_ID SCENARIO [OUTDIR] | run.sh --batch KERNEL_ID ENTRIES OUTDIR"
if [[ ${1:-} == --batch ]]; then
	id=${2:?$usage}
	IFS=, read -r -a entries <<<"${3:?$usage}"
	out=${4:?$usage}
	single=0
else
	id=${1:?$usage}
	scenario=${2:?$usage}
	out=${3:-$NVMT_VM_DIR/../../test-results/manual/$id/$scenario}
	entries=("$scenario${NVMT_ARGS:+:${NVMT_ARGS//,/:}}")
	single=1
fi
for e in "${entries[@]}"; do
	[[ -f $NVMT_VM_DIR/../scenarios/${e%%:*}.sh ]] || die "no scenario ${e%%:*}"
done
# Reports are found by entry: each may appear once.
[[ -z $(printf '%s\n' "${entries[@]}" | sort | uniq -d) ]] || die "an entry is listed twice"
mkdir -p "$out"
kver=$(kernel_kver "$id")
vmlinuz=$(kernel_vmlinuz "$id" "$kver")
limit=${NVMT_TIMEOUT:-900}

tmp=$(mktemp -d)
qpid=
cleanup() {
	[[ -n $qpid ]] && kill "$qpid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
initrd=${NVMT_INITRAMFS:-}
if [[ -z $initrd ]]; then
	initrd=$tmp/initramfs.cpio
	"$NVMT_VM_DIR/mkinitramfs.sh" "$id" "${NVMT_MODDIR:-/nonexistent}" "$initrd"
fi
# Scenarios marked "# nvmt: needs-python" get the python layer appended.
for e in "${entries[@]}"; do
	grep -q '^# nvmt: needs-python' "$NVMT_VM_DIR/../scenarios/${e%%:*}.sh" || continue
	pylayer=${NVMT_INITRAMFS_PYTHON:-}
	if [[ -z $pylayer ]]; then
		pylayer=$tmp/python.cpio
		"$NVMT_VM_DIR/mkinitramfs.sh" --python "$pylayer"
	fi
	cat "$initrd" "$pylayer" >"$tmp/initramfs+python.cpio"
	initrd=$tmp/initramfs+python.cpio
	break
done
accel=${NVMT_ACCEL:-$(probe_kvm "$id" "$initrd")}

# The directory of an entry's results.
entry_dir() { if ((single)); then echo "$out"; else echo "$out/$1"; fi; }

# watch_boot CONSOLE SERIAL2 ENTRIES...: boot, and kill QEMU when a scenario
# (or the boot before the first) has run for longer than the guest's own
# limit allows: a hung kernel never reports. Returns QEMU's status, 124 for
# the watchdog.
watch_boot() {
	local console=$1 serial=$2 list since began=-1 n
	shift 2
	list=$(
		IFS=,
		echo "$*"
	)
	: >"$console"
	: >"$serial"
	boot "$accel" "$vmlinuz" "$initrd" "nvmt.batch=$list nvmt.limit=$limit${NVMT_APPEND:+ $NVMT_APPEND}" \
		"$console" "$serial" $((limit * $# + 300)) &
	qpid=$!
	since=$SECONDS
	while kill -0 "$qpid" 2>/dev/null; do
		sleep 2
		n=$(grep -c '^NVMT-BEGIN ' "$serial" || true)
		if ((n != began)); then
			began=$n
			since=$SECONDS
		elif ((SECONDS - since > limit + 120)); then
			kill "$qpid" 2>/dev/null
			wait "$qpid" || true
			qpid=
			return 124
		fi
	done
	local rc=0
	wait "$qpid" || rc=$?
	qpid=
	return "$rc"
}

# block SERIAL ENTRY: the entry's report lines (between BEGIN and END).
block() { awk -v b="NVMT-BEGIN $2" -v e="NVMT-END $2" '$0 == b { on = 1; next } $0 == e { on = 0 } on' "$1"; }

# segment CONSOLE ENTRY: the console from the entry's start to the next
# one's. The marker is echoed and logged by the kernel: a kernel message may
# cut into the echo, never into its own line, so a line that ends with it
# counts.
segment() {
	awk -v m="$marker $2" -v p="$marker " '
		function is_m() { return length($0) >= length(m) && substr($0, length($0) - length(m) + 1) == m }
		!on && is_m() { on = 1; print; next }
		on && index($0, p) && !is_m() { exit }
		on' "$1"
}

# judge ENTRY CONSOLE SERIAL2 ENDED BOOTS: write the entry's results (both
# logs without carriage returns).
judge() {
	local e=$1 console=$2 serial=$3 ended=$4 dir rc secs line verdict=PASS
	local from=''
	dir=$(entry_dir "$e")
	mkdir -p "$dir"
	segment "$console" "$e" >"$dir/console.log"
	block "$serial" "$e" >"$dir/serial2.txt"
	sed -n '/^NVMT-DMESG-BEGIN$/,/^NVMT-DMESG-END$/{//!p}' "$dir/serial2.txt" >"$dir/dmesg.txt"
	rc=$(sed -n 's/^NVMT-RC: //p' "$dir/serial2.txt")
	secs=$(sed -n 's/^NVMT-SECONDS: //p' "$dir/serial2.txt")
	if ! grep -qxF "NVMT-END $e" "$serial"; then
		line=$(find_splat "$dir/console.log" || tail -n1 "$dir/console.log")
		verdict="FAIL no report from the guest ($ended): $line"
		from=$dir/console.log
	elif [[ $rc != 0 ]]; then
		verdict="FAIL scenario exit $rc: $(grep -m1 '^RESULT: .* FAIL' "$dir/serial2.txt" || echo 'no failed check recorded')"
		from=$dir/dmesg.txt
		find_splat "$from" >/dev/null || from=$dir/console.log
	elif line=$(find_splat "$dir/dmesg.txt"); then
		verdict="FAIL dmesg: $line"
		from=$dir/dmesg.txt
	elif line=$(find_splat "$dir/console.log"); then
		# The console has what a wrapped dmesg buffer may have lost.
		verdict="FAIL console: $line"
		from=$dir/console.log
	fi
	{
		echo "$verdict"
		echo "kernel: $id $kver"
		echo "scenario: ${e%%:*} $(tr : , <<<"${e#"${e%%:*}"}" | sed 's/^,//')"
		echo "accel: $accel, boots: $5, seconds: ${secs:-?}"
		[[ -z $from ]] || splat_context "$from" || true
		grep -E '^(RESULT|FIGURE):' "$dir/serial2.txt" || true
	} >"$dir/result.txt"
	log "$id ${e}: $verdict (${secs:-?}s)"
	[[ $verdict == PASS ]]
}

# Boot until every entry has run. Retry only a boot that oopsed before the
# first scenario started: multi-threaded TCG occasionally faults during
# early kernel text patching ("Oops: int3"). After a crash during a
# scenario, that scenario fails and the rest go on in a new boot.
pending=("${entries[@]}")
failed=0 boots=0 early=0
while ((${#pending[@]})); do
	boots=$((boots + 1))
	console=$tmp/console.$boots serial=$tmp/serial.$boots
	qrc=0
	watch_boot "$console" "$serial" "${pending[@]}" || qrc=$?
	# Plain files from here on: grep -q on a pipe would kill its writer.
	tr -d '\r' <"$console" >"$out/console.boot$boots.log"
	tr -d '\r' <"$serial" >"$out/serial.boot$boots.txt"
	console=$out/console.boot$boots.log serial=$out/serial.boot$boots.txt
	if ! grep -q "$marker" "$console"; then
		if ((early < 2)) && find_splat "$console" >/dev/null; then
			early=$((early + 1))
			echo "boot $boots: $(find_splat "$console") before scenario start; booting again" |
				tee -a "$out/flakes.txt" >&2
			continue
		fi
		for e in "${pending[@]}"; do
			mkdir -p "$(entry_dir "$e")"
			{
				echo "FAIL boot did not reach the scenario (qemu exit $qrc): $(find_splat "$console" || tail -n1 "$console")"
				splat_context "$console" || true
			} >"$(entry_dir "$e")/result.txt"
			log "$id $e: boot did not reach the scenario"
		done
		failed=1
		break
	fi
	if ((qrc == 124)); then ended="timeout after ${limit}s"; else ended="qemu exit $qrc"; fi
	rest=()
	for e in "${pending[@]}"; do
		if grep -qxF "NVMT-BEGIN $e" "$serial"; then
			judge "$e" "$console" "$serial" "$ended" "$boots" || failed=1
		else
			rest+=("$e")
		fi
	done
	pending=("${rest[@]}")
done
((failed == 0))
