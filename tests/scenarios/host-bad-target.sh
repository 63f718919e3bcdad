#!/bin/bash
# A controller that answers with malformed PDUs (tests/tools/nvmt-bad-target):
# for every case the connect fails, the kernel names what was wrong, nothing
# is left half-configured, and nothing crashes or warns.
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

connect_bad() { fabrics host "transport=mptcp,traddr=10.10.1.1,trsvcid=4420,nqn=$nqn,ctrl_loss_tmo=0"; }
listening() { [[ -n $(ip netns exec target ss -Hltn '( sport = :4420 )') ]]; }
controllers() { find /sys/class/nvme -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }

# bad_case N WHAT: one malformed answer; the connect must fail, in bounded time.
bad_case() {
	local start=$SECONDS
	ip netns exec target "$tool" 10.10.1.1 4420 "$1" 1 &
	pid=$!
	wait_until 5 listening || return 1
	if connect_bad 2>/dev/null; then
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
check rmmod rmmod nvme-mptcp
finish
