#!/bin/bash
# A controller that answers with malformed PDUs (tests/tools/nvmt-bad-target):
# for every case the connect fails, the kernel names what was wrong, nothing
# is left half-configured, and nothing crashes or warns.  Then a controller
# that goes live and answers as the protocol allows but targets rarely do (a
# command failed while its data is still being sent, less data than the
# buffer on a non-read command): those complete with the controller's status
# and the controller is neither reset nor refused.  Then a live I/O
# controller that answers commands malformed, one at a time: each resets
# it, and it reconnects and goes live again.  Every malformed case names the
# refusal it must cause (debugfs nvme-mptcp/refusals) and fails if that one
# did not rise or another did; at the end every refusal the host has must
# have been caused by such a case.  Last an I/O controller whose IOCCSZ (4,
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

# Refusal counters, "slug count" a line, every reason of the host listed.
refusals=/sys/kernel/debug/nvme-mptcp/refusals
declare -A before=() covered=()
refusal_mark() {
	local slug n
	before=()
	while read -r slug n; do before[$slug]=$n; done <"$refusals"
}
# refused SLUG|-: since refusal_mark, SLUG rose and no other did (- for
# none); SLUG then counts as covered.
refused() {
	local slug n rose=()
	while read -r slug n; do
		((n > ${before[$slug]:-0})) && rose+=("$slug")
	done <"$refusals"
	echo "refusals that rose: ${rose[*]:-none}; expected: $1"
	[[ "${rose[*]:-}" == "${1#-}" ]] || return 1
	if [[ $1 != - ]]; then covered[$1]=1; fi
}

# bad_case N WHAT SLUG|- [OPTIONS]: one malformed answer; the connect must
# fail, in bounded time, by refusal SLUG.
bad_case() {
	local start=$SECONDS
	refusal_mark
	ip netns exec target "$tool" 10.10.1.1 4420 "$1" 1 &
	pid=$!
	wait_until 5 listening || return 1
	if connect_bad "${4:-}" 2>/dev/null; then
		echo "connect succeeded against: $2"
		return 1
	fi
	wait "$pid" || true
	pid=
	echo "case $1 ($2): refused after $((SECONDS - start))s"
	((SECONDS - start <= 30)) && [[ $(controllers) -eq 0 ]] && refused "$3"
}

say "setup"
require tool test -x "$tool"
require modprobe-host modprobe nvme-mptcp
require topology topo_create 1
require refusals-listed grep -qx "hlen [0-9]*" "$refusals"

say "one malformed answer per connect, each refused by the check it names"
# The ICResp is checked at setup, not by the receive path: no refusal.  The
# first command is the fabrics Connect, which writes (its data in the
# capsule), so a C2HData for it is refused before its length is looked at.
# Case 17 serves the setup up to Identify, whose data digest is wrong.
names=("bad ICResp version" "ICResp with data alignment" "ICResp maxdata 3"
	"response hlen 8" "unknown PDU type" "response for unknown command"
	"C2HData for a write" "R2T past the data" "C2HData too long, for a write"
	"response plen too long" "C2HTermReq" "truncated PDU then close"
	"response with a header digest" "wrong header digest"
	"C2HData for unknown command" "R2T for unknown command"
	"completion for an AEN never sent" "wrong data digest on Identify")
expect=(- - - hlen type rsp-unknown-cid c2h-not-read r2t-offset c2h-not-read
	plen c2h-term - hdgst-flag hdr-digest c2h-cid r2t-cid aen-unsolicited
	data-digest)
opts=([13]=hdr_digest [17]=data_digest)
for i in "${!names[@]}"; do
	check "bad-case-$i" bad_case "$i" "${names[$i]}" "${expect[$i]}" "${opts[$i]:-}"
done
check dmesg-names-malformed sh -c 'dmesg | grep -q "malformed PDU from controller"'
check dmesg-names-icresp sh -c 'dmesg | grep -q "unsupported PDU format version"'
check dmesg-names-data-digest sh -c 'dmesg | grep -q "data digest error on command"'

say "C2HTermReq with header digests on: it has none, and its FES is logged"
dmesg_mark
check bad-case-term-hdgst bad_case 10 "C2HTermReq, header digests on" c2h-term hdr_digest
check dmesg-term-fes dmesg_since "terminated the connection: invalid PDU header field \(fes 0x1"
check_fails dmesg-term-no-digest-error dmesg_since "header digest"

# Not asserted by reason: whatever the bytes make of it, refused cleanly.
# A few connects: the header checks meet millions of random inputs in
# make fuzz; this is the kernel side of it, the connection torn down.
say "random bytes after the ICResp, 10 connects"
random_cases() {
	local i
	ip netns exec target "$tool" 10.10.1.1 4420 random 10 &
	pid=$!
	wait_until 5 listening || return 1
	for ((i = 0; i < 10; i++)); do
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
	refusal_mark
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
check live-not-refused refused -
check live-debugfs-counters queue_counters
check live-stopped-sending late_data
no_controller() { [[ $(controllers) -eq 0 ]]; }
check live-no-controller-left wait_until 10 no_controller

say "a live I/O controller answering malformed: each case resets it, it comes back"
iolog=/tmp/bad-target-io.log
io_nqn=nqn.2026-01.io.nvme-mptcp:host-bad-target-io
io_connect() {
	local c
	ctrl=
	refusal_mark
	ip netns exec target "$tool" 10.10.1.1 4420 io 64 >"$iolog" &
	pid=$!
	wait_until 5 listening || return 1
	fabrics host "transport=mptcp,traddr=10.10.1.1,trsvcid=4420,nqn=$io_nqn,nr_io_queues=1,ctrl_loss_tmo=60,reconnect_delay=1" || return 1
	for c in /sys/class/nvme/nvme*; do
		if [[ -e $c ]]; then ctrl=${c##*/}; fi
	done
	[[ -n $ctrl ]] && nvme_wait_dev "$io_nqn" && refused -
}
ctrl_live() { [[ $(<"/sys/class/nvme/$ctrl/state") == live ]]; }
# Back: live again, and a good command goes through.
recovered() { wait_until 30 ctrl_live && nvme id-ctrl "/dev/$ctrl" >/dev/null; }
# io_admin OPCODE --read|--write SLUG: the command fails (commands from
# user space are not retried), the controller resets and comes back.
io_admin() {
	local out args=(--opcode="$1" --data-len=65536 "$2")
	refusal_mark
	if [[ $2 == --write ]]; then args+=(--input-file=/tmp/bad-target-data); fi
	if out=$(passthru "${args[@]}" 2>&1 >/dev/null); then
		echo "succeeded: $out"
		return 1
	fi
	echo "$out"
	recovered && refused "$3"
}
# io_block read|write OFFSET SLUG: the I/O succeeds when retried after the
# reconnect (the tool answers malformed once).
io_block() {
	refusal_mark
	"${NVMT_FIO[@]}" --name="io-$1" --filename="$NVMT_NSDEV" --rw="$1" \
		--bs=4k --size=4k --offset="$2" --output=/dev/null || return 1
	recovered && refused "$3"
}
io_delete() {
	echo 1 >"/sys/class/nvme/$ctrl/delete_controller"
	wait_until 10 no_controller || return 1
	kill "$pid" 2>/dev/null || true
	wait "$pid" || true
	pid=
}
head -c 65536 /dev/zero >/tmp/bad-target-data
check io-connect io_connect
if [[ -n $ctrl ]]; then
	check io-r2t-for-a-read io_admin 0xd2 --read r2t-not-write
	check io-c2h-ddgst-flag io_admin 0xd6 --read c2h-ddgst-flag
	check io-c2h-too-long io_admin 0xda --read c2h-offset
	check io-c2h-pdo io_admin 0xde --read c2h-pdo
	check io-c2h-plen io_admin 0xe2 --read c2h-plen
	check io-c2h-success-not-last io_admin 0xe6 --read c2h-success-not-last
	check io-second-response io_admin 0xd1 --write rsp-second
	# LBAs 8192, 8200 and 8208 of 512 bytes (see the tool)
	check io-read-short io_block read 4194304 rsp-read-short
	check io-c2h-success-short io_block read 4198400 c2h-success-short
	check io-write-early-success io_block write 4202496 rsp-success-early
	check io-deleted io_delete
else
	kill "$pid" 2>/dev/null || true
	wait "$pid" || true
	pid=
fi

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

say "every refusal path fired in some case"
# A refusal counts once a case that expected it passed (random bytes do not
# count).  Refusals no peer can cause would be listed here, each with why:
# none, every one is reached above.
declare -A unreachable=()
coverage() {
	local slug n missing=()
	while read -r slug n; do
		[[ -n ${covered[$slug]:-} || -n ${unreachable[$slug]:-} ]] ||
			missing+=("$slug")
	done <"$refusals"
	cat "$refusals"
	echo "never caused by a case: ${missing[*]:-none}"
	((${#missing[@]} == 0))
}
check all-refusals-fired coverage
check rmmod rmmod nvme-mptcp
finish
