# shellcheck shell=bash
# Helpers for the scenarios run inside the test VM (see tests/vm/guest-init.sh):
# checks that leave RESULT: lines, a host/target netns topology joined by veth
# paths, an nvmet configfs target, nvme-cli connect and fio runs.
set -euo pipefail

NVMT_FAILED=0
# configfs at a path `ip netns exec` does not hide (it remounts /sys).
NVMT_CFS=${NVMT_CFS:-/config}
# No /etc/nvme in the guest: every connect names the host explicitly.
NVMT_HOSTID=${NVMT_HOSTID:-$(cat /proc/sys/kernel/random/uuid)}
NVMT_HOSTNQN=${NVMT_HOSTNQN:-nqn.2014-08.org.nvmexpress:uuid:$NVMT_HOSTID}

say() { printf '\n=== %s\n' "$*"; }

# ---- checks ---------------------------------------------------------------

# result NAME PASS|FAIL [DETAIL]: the line the host harness collects.
result() {
	echo "RESULT: $1 $2${3:+ $3}"
	[[ $2 == PASS ]] || NVMT_FAILED=$((NVMT_FAILED + 1))
}

# took T0: "[Ns]", the seconds since T0 (a SECONDS value), for the
# result line: where a scenario's time goes (.ci/run has a time budget).
took() { printf '[%ds]' $((SECONDS - $1)); }

# skip NAME REASON: a check this guest cannot make, said so, not counted.
skip() { echo "RESULT: $1 SKIP $2"; }

# figure NAME VALUE [UNIT]: a measured figure; the harness keeps these
# lines in result.txt beside the checks.
figure() { echo "FIGURE: $1 $2${3:+ $3}"; }

# check NAME CMD...: PASS when CMD exits 0. Output goes to the console.
check() {
	local name=$1 rc=0 t0=$SECONDS
	shift
	"$@" || rc=$?
	if ((rc == 0)); then
		result "$name" PASS "$(took "$t0")"
	else
		result "$name" FAIL "exit $rc: $* $(took "$t0")"
	fi
	return 0
}

# check_fails NAME CMD...: PASS when CMD fails (e.g. an rmmod that must be refused).
check_fails() {
	local name=$1 rc=0 t0=$SECONDS
	shift
	"$@" || rc=$?
	if ((rc != 0)); then
		result "$name" PASS "refused (exit $rc) $(took "$t0")"
	else
		result "$name" FAIL "succeeded: $* $(took "$t0")"
	fi
	return 0
}

# require NAME CMD...: like check, but nothing after it makes sense if it fails.
require() {
	local before=$NVMT_FAILED
	check "$@"
	((NVMT_FAILED == before)) || { echo "required step '$1' failed, stopping"; exit 1; }
}

# finish: the scenario's exit code (non-zero if any check failed or none ran).
finish() {
	say "$NVMT_FAILED check(s) failed"
	((NVMT_FAILED == 0))
}

# wait_until SECONDS CMD...: poll CMD every 0.2 s until it succeeds; only
# the last attempt's output is shown.
wait_until() {
	local end=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		((SECONDS < end)) || { "$@"; return; }
		sleep 0.2
	done
	"$@"
}

module_loaded() { grep -q "^${1//-/_} " /proc/modules; }
module_absent() { ! module_loaded "$1"; }

# Helpers below that take several steps end each with "|| return": under
# check/require (and any `cmd || ...`) bash ignores set -e inside them.

# ---- topology: netns "host" and "target" joined by N veth paths ----------
#
#   host ns                          target ns
#   h1 10.10.1.2/24  <--- veth --->  t1 10.10.1.1/24
#   ...                              ...
#   hN 10.10.N.2/24  <--- veth --->  tN 10.10.N.1/24
#   (fd00:N::2/64 and fd00:N::1/64 too with NVMT_IPV6=1)

topo_create() {
	local n=$1 i ns
	ip netns add host || return
	ip netns add target || return
	for ns in host target; do ip -n "$ns" link set lo up || return; done
	for ((i = 1; i <= n; i++)); do
		ip link add "h$i" netns host type veth peer name "t$i" netns target || return
		ip -n target addr add "10.10.$i.1/24" dev "t$i" || return
		ip -n host addr add "10.10.$i.2/24" dev "h$i" || return
		if [[ ${NVMT_IPV6:-0} == 1 ]]; then
			ip -n target addr add "fd00:$i::1/64" dev "t$i" nodad || return
			ip -n host addr add "fd00:$i::2/64" dev "h$i" nodad || return
		fi
		ip -n target link set "t$i" up || return
		ip -n host link set "h$i" up || return
	done
}

# MPTCP path manager: the target announces paths 2..N, the host opens a
# subflow from each of its extra addresses (as the upstream selftests do).
topo_mptcp() {
	local n=$1 i ns
	for ns in host target; do
		ip -n "$ns" mptcp limits set subflow 8 add_addr_accepted 8 || return
	done
	for ((i = 2; i <= n; i++)); do
		ip -n target mptcp endpoint add "10.10.$i.1" dev "t$i" id "$i" signal || return
		ip -n host mptcp endpoint add "10.10.$i.2" dev "h$i" id "$i" subflow || return
	done
}

# topo_shape NS DEV QDISC ARGS...: e.g. `topo_shape host h1 netem rate 25mbit delay 5ms`
# or `topo_shape host h2 tbf rate 25mbit burst 32kbit latency 50ms`.
topo_shape() {
	local ns=$1 dev=$2
	shift 2
	ip netns exec "$ns" tc qdisc replace dev "$dev" root "$@"
}

topo_destroy() {
	ip netns del host 2>/dev/null || true
	ip netns del target 2>/dev/null || true
}

# ---- nvmet target (configfs) ----------------------------------------------

# null_blk_create [GB] [N]: /dev/nullb0 (..N-1), memory-backed so data
# survives for verify.
null_blk_create() {
	local n=${2:-1}
	modprobe null_blk nr_devices="$n" gb="${1:-1}" bs=4096 memory_backed=1 || return
	udev_wait "/dev/nullb$((n - 1))"
}

# nvmet_ns_add NQN NSID DEVICE: another namespace of a subsystem, enabled.
nvmet_ns_add() {
	local ns=$NVMT_CFS/nvmet/subsystems/$1/namespaces/$2
	mkdir "$ns" || return
	echo -n "$3" >"$ns/device_path" || return
	echo 1 >"$ns/enable"
}

# nvmet_ns_del NQN NSID
nvmet_ns_del() {
	local ns=$NVMT_CFS/nvmet/subsystems/$1/namespaces/$2
	[[ -d $ns ]] || return 0
	echo 0 >"$ns/enable"
	rmdir "$ns"
}

# ns_count NQN: namespaces of subsystem NQN the host has block devices for
# (nvmeXnY; the hidden per-path nvmeXcZnY devices of multipath not counted).
ns_count() {
	local b n=0
	for b in /sys/block/nvme*n*; do
		[[ ${b##*/} =~ ^nvme[0-9]+n[0-9]+$ ]] || continue
		[[ -r $b/device/subsysnqn && $(<"$b/device/subsysnqn") == "$1" ]] && n=$((n + 1))
	done
	echo "$n"
}

# ctrl_dirs NQN: the sysfs directory of each controller of NQN, one a line.
ctrl_dirs() {
	local f
	for f in /sys/class/nvme/nvme*/subsysnqn; do
		[[ -r $f && $(<"$f") == "$1" ]] && echo "${f%/subsysnqn}"
	done
	return 0
}

# rescan_logged NQN: since dmesg_mark, nvme-core logged a rescan for a
# controller of NQN. It does so only for a namespace-changed AEN, so this
# shows that the AEN reached the host.
rescan_logged() {
	local c
	for c in $(ctrl_dirs "$1"); do
		dmesg_since "${c##*/}: rescanning namespaces" && return 0
	done
	return 1
}

# ns_add_seen NQN CHECK...: after a namespace was added to NQN on the
# target, wait until CHECK holds on the host. Stock nvmet (7.3's, read
# after a CI failure) queues the namespace-changed event in
# nvmet_ns_enable() before it marks the namespace enabled, and lists only
# enabled namespaces, so a host that rescans quickly can miss the new one
# and, the event being spent, never see it. After 10 s one rescan of our
# own ends that race, reported as a figure; callers check the event
# itself with rescan_logged.
ns_add_seen() {
	local nqn=$1 c
	shift
	wait_until 10 "$@" && return 0
	echo "not seen after 10 s: rescanning the controllers of $nqn"
	figure ns-add-rescanned 1
	for c in $(ctrl_dirs "$nqn"); do echo 1 >"$c/rescan_controller"; done
	wait_until 10 "$@"
}

udev_wait() {
	local i
	for ((i = 0; i < 100; i++)); do
		[[ -b $1 ]] && return 0
		sleep 0.1
	done
	echo "$1 did not appear" >&2
	return 1
}

# nvmet_add NQN DEVICE TRTYPE TRADDR [TRSVCID] [PORTID]
nvmet_add() {
	local nqn=$1 dev=$2 trtype=$3 traddr=$4 svcid=${5:-4420} port=${6:-1}
	local subsys=$NVMT_CFS/nvmet/subsystems/$nqn pdir=$NVMT_CFS/nvmet/ports/$port
	local adrfam=ipv4
	[[ $traddr == *:* ]] && adrfam=ipv6
	mkdir "$subsys" || return
	echo 1 >"$subsys/attr_allow_any_host" || return
	mkdir "$subsys/namespaces/1" || return
	echo -n "$dev" >"$subsys/namespaces/1/device_path" || return
	echo 1 >"$subsys/namespaces/1/enable" || return
	mkdir "$pdir" || return
	echo "$trtype" >"$pdir/addr_trtype" || return
	echo "$adrfam" >"$pdir/addr_adrfam" || return
	echo "$traddr" >"$pdir/addr_traddr" || return
	echo "$svcid" >"$pdir/addr_trsvcid" || return
	# nvmet listens in the netns of the process that links the port.
	ip netns exec target ln -s "$subsys" "$pdir/subsystems/$nqn"
}

# nvmet_del NQN [PORTID]: undo nvmet_add, tolerating a half-built target;
# fails if the port or the subsystem is still there afterwards.
nvmet_del() {
	local nqn=$1 port=${2:-1} ns
	local subsys=$NVMT_CFS/nvmet/subsystems/$nqn pdir=$NVMT_CFS/nvmet/ports/$port
	[[ -L $pdir/subsystems/$nqn ]] && rm "$pdir/subsystems/$nqn"
	[[ -d $pdir ]] && rmdir "$pdir"
	for ns in "$subsys"/namespaces/*; do
		nvmet_ns_del "$nqn" "${ns##*/}"
	done
	[[ -d $subsys ]] && rmdir "$subsys"
	[[ ! -e $pdir && ! -e $subsys ]]
}

# ---- host side --------------------------------------------------------------

# nvme_connect NS TRTYPE TRADDR TRSVCID NQN [nvme-cli options...]
nvme_connect() {
	local ns=$1 trtype=$2 traddr=$3 svcid=$4 nqn=$5
	shift 5
	ip netns exec "$ns" nvme connect -t "$trtype" -a "$traddr" -s "$svcid" -n "$nqn" \
		--hostnqn="$NVMT_HOSTNQN" --hostid="$NVMT_HOSTID" "$@"
}

# fabrics NS OPTIONS: write a connect request to /dev/nvme-fabrics as nvme
# connect does (with our host identity), for options nvme-cli drops for
# transports other than tcp (hdr_digest, data_digest).
fabrics() {
	# shellcheck disable=SC2016 # expanded by the inner bash
	ip netns exec "$1" bash -c 'echo "$0" >/dev/nvme-fabrics' \
		"$2,hostnqn=$NVMT_HOSTNQN,hostid=$NVMT_HOSTID"
}

# dmesg_mark; ...; dmesg_since PATTERN: PATTERN was logged after the mark.
dmesg_mark() { NVMT_DMESG_LINES=$(dmesg | wc -l); }
dmesg_since() { dmesg | tail -n +"$((NVMT_DMESG_LINES + 1))" | grep -E "$1"; }

# nvme_wait_dev NQN: wait for the namespace block device of subsystem NQN and
# leave its path in NVMT_NSDEV (a global, so it works under check/require).
nvme_wait_dev() {
	local i b
	for ((i = 0; i < 200; i++)); do
		for b in /sys/block/nvme*n*; do
			[[ -r $b/device/subsysnqn && $(<"$b/device/subsysnqn") == "$1" ]] || continue
			NVMT_NSDEV=/dev/${b##*/}
			[[ -b $NVMT_NSDEV ]] && { echo "namespace of $1: $NVMT_NSDEV"; return 0; }
		done
		sleep 0.1
	done
	echo "no block device for $1" >&2
	return 1
}

# nvme_disconnect NQN: disconnect and wait for the device to go away.
nvme_disconnect() {
	local i
	nvme disconnect -n "$1"
	for ((i = 0; i < 100; i++)); do
		grep -lqx "$1" /sys/class/nvme/*/subsysnqn 2>/dev/null || return 0
		sleep 0.1
	done
	echo "controller of $1 still present" >&2
	return 1
}

# ---- fio --------------------------------------------------------------------

# stock_bs BS: the block size a fio run through the kernel's own nvme-tcp
# host may use here.  6.1's nvme-tcp sends multi-page bio_vecs with
# sendpage, veth hands the receiver those very pages, and 6.1's receive
# copy then trips hardened usercopy ("kernel BUG at mm/usercopy.c:101")
# when a fragment spans two folios -- under nvmet-tcp exactly as under
# nvmet-mptcp (seen with no out-of-tree module loaded: 1 MiB writes,
# stock host and stock target).  4 KiB blocks are one page per bio_vec
# and never do.
stock_bs() {
	if [[ $(uname -r) == 6.1.* ]]; then echo 4k; else echo "$1"; fi
}

# stock_verify DEV BS SIZE: fio_verify through the kernel's own nvme-tcp
# host; where stock_bs falls back to 4 KiB, 8 MiB of it (4 KiB blocks
# cover nothing more the larger sizes would, and cost minutes under TCG).
stock_verify() {
	if [[ $(stock_bs "$2") != "$2" ]]; then
		fio_verify "$1" 4k 8M
	else
		fio_verify "$1" "$2" "$3"
	fi
}

NVMT_FIO=(fio --ioengine=libaio --direct=1 --group_reporting)

# fio_verify DEV BS SIZE [IODEPTH]: write with crc32c headers at QD16, then
# a separate run reads everything back and verifies it. With IODEPTH, fio
# prepares that many writes and submits them at once (under emulation
# computing a 2 MiB block's checksum takes longer than writing it, so
# without batching the queue never fills).
fio_verify() {
	local dev=$1 bs=$2 size=$3 qd=${4:-16}
	local job=(--name="verify-$bs" --filename="$dev" --bs="$bs" --size="$size"
		--rw=write --iodepth="$qd" --verify=crc32c --verify_fatal=1)
	[[ -z ${4:-} ]] || job+=(--iodepth_batch_submit="$qd")
	"${NVMT_FIO[@]}" "${job[@]}" --do_verify=0 &&
		"${NVMT_FIO[@]}" "${job[@]}" --verify_only=1
}

# fio_perf DEV RW BS IODEPTH NUMJOBS SECONDS: print "<iops> IOPS <MiB/s> MiB/s".
# Fails if fio fails or did no I/O at all.
fio_perf() {
	local dev=$1 rw=$2 bs=$3 qd=$4 jobs=$5 secs=$6 line
	line=$("${NVMT_FIO[@]}" --name="perf" --filename="$dev" --rw="$rw" --bs="$bs" \
		--iodepth="$qd" --numjobs="$jobs" --time_based --runtime="$secs" --minimal) || return 1
	# terse v3: field 7 read KiB/s, 8 read IOPS
	awk -F';' '{ printf "%d IOPS %.1f MiB/s\n", $8, $7 / 1024; exit ($8 > 0 ? 0 : 1) }' <<<"$line"
}
