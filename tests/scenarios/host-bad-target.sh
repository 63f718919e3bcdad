#!/bin/bash
# A controller that answers with malformed PDUs (tests/tools/nvmt-bad-target):
# for every case the connect fails, the kernel names what was wrong, nothing
# is left half-configured, and nothing crashes or warns.  Then a controller
# that goes live and answers as the protocol allows but targets rarely do (a
# command failed while its data is still being sent, less data than the
# buffer on a non-read command): those complete with the controller's status
# and the controller is not reset.  Last an I/O controller whose IOCCSZ (4,
# 64 bytes) leaves no room for data in an I/O queue's capsule: the I/O
# queue's Connect must send its 1 KiB by R2T, not in the capsule (the tool
# fails a Connect that does), and the controller goes live with that queue.
#
#   host ns: nvme-mptcp  h1 10.10.1.2 <--veth--> t1 10.10.1.1:4420  target ns: nvmt-bad-target
# nvmt: needs-modules
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

nqn=nqn.2026-01.io.nvme-mptcp:host-bad-target
tool=$(command -v nvmt-bad-target)
pid=
cleanup() {
	if [[ -n $pid ]]; then kill "$pid" 2>/dev/null || true; fi
	topo_destroy
}
trap cleanup EXIT

# connect_bad [OPTIONS]: connect to the bad target, with more fabrics options.
connect_bad() { fabrics host "transport=mptcp,traddr=10.10.1.1,trsvcid=4420,nqn=$nqn,ctrl_loss_tmo=0${1:+,$1}"; }
listening() { [[ -n $(ip netns exec target ss -Hltn '( sport = :4420 )') ]]; }
controllers() { find /sys/class/nvme -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }

# bad_case N WHAT [OPTIONS]: one malformed answer; the connect must fail, in
# bounded time.
bad_case() {
	local start=$SECONDS
	ip netns exec target "$tool" 10.10.1.1 4420 "$1" 1 &
	pid=$!
	wait_until 5 listening || return 1
	if connect_bad "${3:-}" 2>/dev/null; then
		echo "connect succeeded against: $2"
		return 1
	fi
	wait "$pid" || true
	pid=
	echo "case $1 ($2): refused after $((SECONDS - start))s"
	((SECONDS - start <= 30)) && [[ $(controllers) -eq 0 ]]
}

say "setup"
require tool test -x "$tool"
require modprobe-host modprobe nvme-mptcp
require topology topo_create 1

say "one malformed answer per connect"
names=("bad ICResp version" "ICResp with data alignment" "ICResp maxdata 3"
	"response hlen 8" "unknown PDU type" "response for unknown command"
	"C2HData for a write" "R2T past the data" "C2HData too long"
	"response plen too long" "C2HTermReq" "truncated PDU then close")
for i in "${!names[@]}"; do
	check "bad-case-$i" bad_case "$i" "${names[$i]}"
done
check dmesg-names-malformed sh -c 'dmesg | grep -q "malformed PDU from controller"'
check dmesg-names-icresp sh -c 'dmesg | grep -q "unsupported PDU format version"'

say "C2HTermReq with header digests on: it has none, and its FES is logged"
dmesg_mark
check bad-case-term-hdgst bad_case 10 "C2HTermReq, header digests on" hdr_digest
check dmesg-term-fes dmesg_since "terminated the connection: invalid PDU header field \(fes 0x1"
check_fails dmesg-term-no-digest-error dmesg_since "header digest"

say "random bytes after the ICResp, 30 connects"
random_cases() {
	local i
	ip netns exec target "$tool" 10.10.1.1 4420 random 30 &
	pid=$!
	wait_until 5 listening || return 1
	for ((i = 0; i < 30; i++)); do
		connect_bad 2>/dev/null && return 1
	done
	wait "$pid"
	pid=
}
check random-garbage random_cases
check no-controller-left test "$(controllers)" -eq 0

say "a live controller: a command failed early, short data on a non-read"
livelog=/tmp/bad-target-live.log
ctrl=
live_connect() {
	local c
	ip netns exec target "$tool" 10.10.1.1 4420 live 1 >"$livelog" &
	pid=$!
	wait_until 5 listening || return 1
	dmesg_mark
	fabrics host "transport=mptcp,traddr=10.10.1.1,trsvcid=4420,nqn=nqn.2014-08.org.nvmexpress.discovery" || return 1
	for c in /sys/class/nvme/nvme*; do
		if [[ -e $c ]]; then ctrl=${c##*/}; fi
	done
	[[ -n $ctrl ]] && wait_until 5 test -c "/dev/$ctrl"
}
passthru() { nvme admin-passthru "/dev/$ctrl" "$@"; }
# Write 4 MiB by R2T (more than the socket buffers take in); the controller
# fails the command after 4 KiB of it.
fail_early() {
	local out
	head -c 4194304 /dev/zero >/tmp/bad-target-data
	if out=$(passthru --opcode=0xc1 --data-len=4194304 --write --input-file=/tmp/bad-target-data 2>&1); then
		echo "succeeded: $out"
		return 1
	fi
	echo "$out"
	grep -qi "invalid field" <<<"$out"
}
# Read-direction vendor command, 8 KiB buffer, 512 bytes come, then success.
short_data() {
	passthru --opcode="$1" --data-len=8192 --read --raw-binary >/tmp/bad-target-out 2>/tmp/bad-target-err || {
		cat /tmp/bad-target-err
		return 1
	}
	cat /tmp/bad-target-err
	[[ -z $2 ]] || grep -aqi "$2" /tmp/bad-target-err /tmp/bad-target-out
}
not_reset() {
	local state
	state=$(<"/sys/class/nvme/$ctrl/state")
	echo "controller state: $state"
	[[ $state == live ]] && ! dmesg_since "error recovery|resetting|reconnect|malformed"
}
# debugfs: a queue's MPTCP byte counters, or "n/a" where the kernel keeps
# none (6.1), never zeros standing in for them.
queue_counters() {
	local f=/sys/kernel/debug/nvme-mptcp/$ctrl/queues
	cat "$f"
	awk 'NR == 2 { ok = NF == 11 && ($9 == "n/a") == ($11 == "n/a") } END { exit !ok }' "$f"
}
# After the failing answer the host ends the H2CData PDU it is in, no more.
late_data() {
	local late total
	echo 1 >"/sys/class/nvme/$ctrl/delete_controller"
	wait "$pid" || true
	pid=
	cat "$livelog"
	read -r late total <<<"$(sed -n 's/^data after the failing answer: \([0-9]*\) of \([0-9]*\) bytes$/\1 \2/p' "$livelog")"
	[[ -n $late && -n $total ]] && ((late + 4096 < total))
}
check live-connect live_connect
check live-fail-early fail_early
check live-short-rsp short_data 0xc2 1234abcd
check live-short-success short_data 0xc6 ""
check live-not-reset not_reset
check live-debugfs-counters queue_counters
check live-stopped-sending late_data
no_controller() { [[ $(controllers) -eq 0 ]]; }
check live-no-controller-left wait_until 10 no_controller

say "IOCCSZ 4: the I/O queue's Connect data by R2T, not in the capsule"
smalllog=/tmp/bad-target-small.log
small_nqn=nqn.2026-01.io.nvme-mptcp:host-bad-target-small-ioccsz
small_connect() {
	local c
	ctrl=
	ip netns exec target "$tool" 10.10.1.1 4420 small-ioccsz 2 >"$smalllog" &
	pid=$!
	wait_until 5 listening || return 1
	dmesg_mark
	if ! fabrics host "transport=mptcp,traddr=10.10.1.1,trsvcid=4420,nqn=$small_nqn,nr_io_queues=1,ctrl_loss_tmo=0"; then
		cat "$smalllog"
		return 1
	fi
	for c in /sys/class/nvme/nvme*; do
		if [[ -e $c ]]; then ctrl=${c##*/}; fi
	done
	[[ -n $ctrl ]] || return 1
	echo "$ctrl: $(<"/sys/class/nvme/$ctrl/state"), queue_count $(<"/sys/class/nvme/$ctrl/queue_count")"
	[[ $(<"/sys/class/nvme/$ctrl/state") == live &&
		$(<"/sys/class/nvme/$ctrl/queue_count") -eq 2 ]]
}
# The tool's account of the I/O queue's Connect: by R2T, never in the capsule.
small_r2t() {
	cat "$smalllog"
	grep -qx "queue 1 Connect: 1024 bytes by R2T" "$smalllog" &&
		! grep -q "in the capsule" "$smalllog"
}
tool_exited() { ! kill -0 "$pid" 2>/dev/null; }
small_delete() {
	local rc=0
	if [[ -n $ctrl ]]; then echo 1 >"/sys/class/nvme/$ctrl/delete_controller"; fi
	wait_until 10 tool_exited || rc=1
	kill "$pid" 2>/dev/null || true
	wait "$pid" || true
	pid=
	wait_until 10 no_controller || rc=1
	return "$rc"
}
check small-ioccsz-connect small_connect
check small-ioccsz-r2t small_r2t
check_fails small-ioccsz-dmesg-clean dmesg_since "malformed|Connect command failed|failed to connect|error recovery"
check small-ioccsz-deleted small_delete
check rmmod rmmod nvme-mptcp
finish
