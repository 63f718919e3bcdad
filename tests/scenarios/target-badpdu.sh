#!/bin/bash
# Malformed input: tests/tools/nvmet-badpdu sends generated malformed PDU
# sequences in passes of COUNT, alternating TCP and MPTCP connections (at
# least two passes, and on until the good host and the timed batch are
# done), interleaved with well-formed controls that must succeed, plus an
# ICReq flood and the admin queue's data budget check, while a good host
# runs four fio write+verify rounds on the same port, and a timed batch
# (-T) holds connections that stop half way until the target's setup
# deadlines close them.  Every sequence declares the refusal it must meet
# (the C2HTermReq's FES/FEI, or the response status on a connection that
# still serves, or the close at the deadline) and the tool asserts it;
# the target's per-refusal counters (debugfs nvmet_mptcp/refusals) must
# then have moved by exactly what the sequences expected, so the good host
# caused none.  Then the pending caps on a second port (-P: exact), and
# one address hogs the first port while the good host connects again
# (counters bounded by what the hog saw).  Every refusal path of the
# target must have fired, but the two that cannot be provoked.  The good
# host's I/O must overlap the bad traffic and finish without an error or
# a reconnect, and the kernel must log no splat (the bench fails the run
# on one; the VM runs with panic_on_warn=1).
# Arguments: host=mptcp|tcp (the good host, default mptcp), count=N
# (sequences per pass, default 500), seed=S, disable=SEQUENCE (leave one
# kind of sequence out: the coverage check must then fail).
# nvmt: needs-modules
#
#   host ns: good host + nvmet-badpdu  hN 10.10.N.2 <--veth--> tN 10.10.N.1  target ns
#   (10.10.1.3-5 on h1: the pending caps and the hog)
set -euo pipefail
# shellcheck source=target-lib.sh
. "$(dirname "$0")/target-lib.sh"

host=mptcp count=500 seed=$RANDOM disable=
for a in "$@"; do
	case $a in
	host=* | count=* | seed=* | disable=*) declare "${a%%=*}=${a#*=}" ;;
	*) echo "unknown argument $a" >&2; exit 2 ;;
	esac
done
case $host in
mptcp) hostmod=nvme-mptcp ;;
tcp) hostmod=nvme-tcp ;;
*) echo "host must be mptcp or tcp" >&2; exit 2 ;;
esac

nqn=nqn.2026-01.io.nvme-mptcp:target-badpdu
refusals=/sys/kernel/debug/nvmet_mptcp/refusals
data_waits=/sys/kernel/debug/nvmet_mptcp/data_waits
logs=/tmp/badpdu
# Refusals no test can provoke: "no-buffer" (data arrived for a command
# whose buffer was already full: the header checks make it impossible),
# "buffer-alloc" (the allocation of a command's buffer failed: ENOMEM).
unreachable=" no-buffer buffer-alloc "
kmsg_pid=
cleanup() {
	[[ -z $kmsg_pid ]] || kill "$kmsg_pid" 2>/dev/null || true
	nvme disconnect -n "$nqn" >/dev/null 2>&1 || true
	tgt_port_del 2 "$nqn" 2>/dev/null || true
	nvmet_del "$nqn" || true
	topo_destroy
}
trap cleanup EXIT
mkdir -p "$logs"

# fio_rounds DEV N: N write+verify rounds, in-capsule 4k and R2T 128k;
# the wall-clock times of its start and end in $logs/fio.times.
fio_rounds() {
	local n bs
	echo "$EPOCHREALTIME" >"$logs/fio.times"
	for ((n = 0; n < $2; n++)); do
		bs=4k
		((n % 2)) && bs=128k
		[[ $host == tcp ]] && bs=$(stock_bs "$bs")
		if ! fio_verify "$1" "$bs" 8M >"$logs/fio-round.log" 2>&1; then
			echo "fio round $n ($bs) failed:"
			cat "$logs/fio-round.log"
			return 1
		fi
	done
	echo "$EPOCHREALTIME" >>"$logs/fio.times"
	echo "$2 fio write+verify rounds passed"
}

# badpdu LOG ARGS...: the tool against port 4420 from the host netns, its
# output in LOG (the per-sequence summary shown, the tally kept there).
badpdu() {
	local log=$1 rc=0
	shift
	ip netns exec host nvmet-badpdu -a 10.10.1.1 -n "$nqn" "$@" >"$log" 2>&1 || rc=$?
	grep -v '^tally ' "$log" | tail -n 30
	return "$rc"
}

# The kernel log, followed from the start of the bad traffic: dmesg's
# ring buffer cannot hold a pass (nvmet logs every controller it creates),
# so a mark in it would be gone by the time the log is read.  kmsg_mark
# NAME puts a mark in it; kmsg_since NAME PATTERN: PATTERN was logged
# after that mark (the messages only, not the dictionary lines).
kmsg_start() {
	cat /dev/kmsg >"$logs/kmsg.raw" 2>"$logs/kmsg.err" &
	kmsg_pid=$!
}
kmsg_mark() { echo "nvmt-badpdu-mark-$1" >/dev/kmsg; }
kmsg_since() {
	# shellcheck disable=SC2016 # awk's $0
	awk -v m="nvmt-badpdu-mark-$1" 'after && /^[^ ]/ { print substr($0, index($0, ";") + 1) }
		index($0, ";" m) { after = 1 }' "$logs/kmsg.raw" | grep -E "$2"
}
# kmsg_complete: the follower is still there, so it lost nothing.
kmsg_complete() { kill -0 "$kmsg_pid" 2>/dev/null || { cat "$logs/kmsg.err"; return 1; }; }

# refusals_snap FILE: the target's counters now, and as "data-waits N"
# the commands that waited for their queue's data budget (not a refusal:
# only the budget check makes any wait, 6 each).
refusals_snap() { { cat "$refusals"; echo "data-waits $(cat "$data_waits")"; } >"$1"; }
# refusals_delta BEFORE AFTER: "slug delta" for every counter.
refusals_delta() { awk 'NR == FNR { b[$1] = $2; next } { print $1, $2 - b[$1] }' "$1" "$2"; }
# tally_sum LOG...: "slug n", what the tool runs expected, summed.
tally_sum() { awk '$1 == "tally" { t[$2] += $3 } END { for (s in t) print s, t[s] }' "$@"; }
# counts_match DELTA TALLY: every counter moved by exactly what was
# expected of it, and nothing was expected of a counter that is not there
# ("none" is stock nvmet's own refusal, which nvmet-mptcp does not count).
counts_match() {
	awk 'NR == FNR { t[$1] = $2; next }
	     { d[$1] = $2; m = $2 == t[$1] + 0 ? "" : "  MISMATCH"; if (m) bad = 1
	       printf "  %-16s expected %6d counted %6d%s\n", $1, t[$1], $2, m }
	     END { for (s in t) if (s != "none" && !(s in d)) { printf "  %s: expected %d, no such counter\n", s, t[s]; bad = 1 }
		   printf "  %-16s expected %6d (stock nvmet refuses these itself)\n", "none", t["none"]; exit bad }' "$2" "$1"
}
# delta_of DELTA SLUG
delta_of() { awk -v s="$2" '$1 == s { print $2; f = 1 } END { if (!f) print 0 }' "$1"; }

say "setup: good host nvme-$host"
require badpdu-tool type -P nvmet-badpdu
require modprobe-nvmet-mptcp modprobe nvmet-mptcp
grep -q ' /sys/kernel/debug debugfs ' /proc/mounts || mount -t debugfs debugfs /sys/kernel/debug
require refusal-counters test -r "$refusals" -a -r "$data_waits"
refusals_snap "$logs/refusals.start"
require modprobe-host modprobe "$hostmod"
require topology topo_create 2
require mptcp-endpoints topo_mptcp 2
require null-blk null_blk_create 1
require nvmet-target nvmet_add "$nqn" /dev/nullb0 tcp 10.10.1.1
require nvme-connect nvme_connect host "$host" 10.10.1.1 4420 "$nqn"
require nvme-blockdev nvme_wait_dev "$nqn"
ctrl=$(basename "$(dirname "$(grep -lx "$nqn" /sys/class/nvme/*/subsysnqn)")")
echo "good host controller: $ctrl"

# An admin queue of 65536 entries: 6.1's nvmet refuses it itself (it checks
# every queue against MQES, 1024), later ones leave it to nvmet-mptcp.
# Either way the Connect fails with DNR; which check did it decides what
# the sequences that ask for more than 1024 must expect (-A).
probe_admin_size() {
	local n
	refusals_snap "$logs/refusals.probe0"
	ip netns exec host nvmet-badpdu -a 10.10.1.1 -n "$nqn" -Q 65535 || return
	refusals_snap "$logs/refusals.probe1"
	n=$(refusals_delta "$logs/refusals.probe0" "$logs/refusals.probe1" | awk '$2 { printf "%s %d ", $1, $2 }')
	case $n in
	"queue-size 1 ") echo "nvmet-mptcp refused it" ;;
	"") echo "stock nvmet refused it"; coreq=(-A) ;;
	*) echo "counters moved: $n"; return 1 ;;
	esac
}
coreq=()
check admin-queue-size-probe probe_admin_size

say "malformed PDUs while the good host writes and verifies"
kmsg_start
kmsg_mark bad
refusals_snap "$logs/refusals.bad0"
fio_rounds "$NVMT_NSDEV" 4 >"$logs/fio-rounds.log" 2>&1 &
fio_pid=$!
start=$SECONDS
# The setup deadlines (5 s and 30 s), 8 connections of each kind at once,
# alongside the passes.
badpdu "$logs/timed.log" -T 8 -s "$seed" >"$logs/timed.out" 2>&1 &
timed_pid=$!
# Passes alternate TCP and MPTCP connections, and go on for as long as the
# good host's I/O and the timed batch do: at least one pass of each.
xarg=("${coreq[@]}")
[[ -n $disable ]] && xarg+=(-x "$disable")
passes=0 tcp_bad=0 mptcp_bad=0
while ((passes < 2)) || kill -0 "$fio_pid" 2>/dev/null || kill -0 "$timed_pid" 2>/dev/null; do
	if ((passes % 2)); then
		badpdu "$logs/pass-$passes.log" -m -c "$count" -s $((seed + passes)) "${xarg[@]}" ||
			mptcp_bad=$((mptcp_bad + 1))
	else
		badpdu "$logs/pass-$passes.log" -c "$count" -s $((seed + passes)) "${xarg[@]}" ||
			tcp_bad=$((tcp_bad + 1))
	fi
	passes=$((passes + 1))
done
echo "nvmet-badpdu: $passes passes, $((passes * count)) malformed sequences in $((SECONDS - start)) s"
timed_rc=0
wait "$timed_pid" || timed_rc=$?
cat "$logs/timed.out"
check badpdu-tcp test "$tcp_bad" -eq 0
check badpdu-mptcp test "$mptcp_bad" -eq 0
check badpdu-deadlines test "$timed_rc" -eq 0
fio_rc=0
wait "$fio_pid" || fio_rc=$?
cat "$logs/fio-rounds.log"
check fio-during-badpdu test "$fio_rc" -eq 0
refusals_snap "$logs/refusals.bad1"
budget=$(grep -h '^budget:' "$logs"/pass-*.log | head -n1)
echo "$budget"
figure budget-r2ts "$(sed -n 's/.*: \(-\?[0-9]*\) R2Ts.*/\1/p' <<<"$budget")"
figure budget-r2ts-after-one "$(sed -n 's/.*answered \(-\?[0-9]*\) more.*/\1/p' <<<"$budget")"

# The bad traffic (first tool start to last tool end) must cover the good
# host's I/O: at least 80 % of fio's time.
overlap() {
	local f b
	f=$(tr '\n' ' ' <"$logs/fio.times")
	b=$(sed -n 's/.*from \([0-9.]*\) to \([0-9.]*\).*/\1 \2/p' "$logs"/pass-*.log "$logs/timed.log" |
		awk 'NR == 1 || $1 < s { s = $1 } NR == 1 || $2 > e { e = $2 } END { print s, e }')
	# shellcheck disable=SC2086 # two numbers each
	awk -v f="$f" -v b="$b" 'BEGIN { split(f, F, " "); split(b, B, " ")
		s = F[1] > B[1] ? F[1] : B[1]; e = F[2] < B[2] ? F[2] : B[2]
		printf "fio %.1f s, bad traffic %.1f s, overlap %.1f s\n", F[2] - F[1], B[2] - B[1], e - s
		exit !(F[2] > F[1] && e - s >= 0.8 * (F[2] - F[1])) }'
}
check fio-overlaps-badpdu overlap

say "what the target counted"
refusals_delta "$logs/refusals.bad0" "$logs/refusals.bad1" >"$logs/delta.bad"
tally_sum "$logs"/pass-*.log "$logs/timed.log" >"$logs/tally.bad"
check refusals-as-expected counts_match "$logs/delta.bad" "$logs/tally.bad"

say "what the kernel said"
kmsg_since bad "nvmet_mptcp" | tail -n 25 || true
drops=$(kmsg_since bad "nvmet_mptcp: queue [0-9]+ .*dropping the connection" | wc -l || true)
echo "$drops 'dropping the connection' lines for $((passes * count)) malformed sequences"
check dropped-lines-logged test "$drops" -gt 0
# printk rate limiting: 10 lines per 5 s per call site (the refusals, the
# two deadlines, socket errors), whatever the flood.
check log-is-rate-limited test "$drops" -le $((10 * (2 + (SECONDS - start) / 5) * 4))
# The good host's controller never noticed: no error recovery, no
# reconnect (nvme-mptcp says "reconnecting in", nvme-tcp "Reconnecting in").
check kernel-log-followed kmsg_complete
check good-host-no-recovery test -z "$(kmsg_since bad "$ctrl: (starting error recovery|[Rr]econnecting in)" || true)"
check good-host-live grep -qx live "/sys/class/nvme/$ctrl/state"

say "pending caps: 256 per address, 512 per port"
# On a second port, which nothing else uses: 256 connections with an ICReq
# from .3, 4 more from .3 (refused), 256 from .4, then 4 from .5 (refused).
for a in 3 4 5; do require "address-10.10.1.$a" ip -n host addr add "10.10.1.$a/24" dev h1; done
require second-port tgt_port_add 2 10.10.1.1 4421 "$nqn"
refusals_snap "$logs/refusals.caps0"
check pending-caps badpdu "$logs/caps.log" -p 4421 -P 10.10.1.3,10.10.1.4,10.10.1.5
refusals_snap "$logs/refusals.caps1"
refusals_delta "$logs/refusals.caps0" "$logs/refusals.caps1" >"$logs/delta.caps"
tally_sum "$logs/caps.log" >"$logs/tally.caps"
check pending-refusals-as-expected counts_match "$logs/delta.caps" "$logs/tally.caps"
check second-port-gone tgt_port_del 2 "$nqn"

say "one address hogs the port: its cap, the ICReq deadline, memory"
# 300 connections from 10.10.1.3, a third idle, a third with half an ICReq,
# a third with a Connect asking for 2 MiB it never sends, reopened as the
# target drops them, while the good host (10.10.1.2) connects again and
# verifies; the hog runs at least 8 s, past the 5 s ICReq deadline.
mem_avail() { awk '/^MemAvailable:/ { print $2 }' /proc/meminfo; }
mem0=$(mem_avail)
kmsg_mark hog
refusals_snap "$logs/refusals.hog0"
ip netns exec host nvmet-badpdu -a 10.10.1.1 -p 4420 -n "$nqn" -f 300 -H 60 -b 10.10.1.3 \
	>"$logs/hold.log" 2>&1 &
hog_pid=$! hog_start=$SECONDS
sleep 4
# At its cap by now: 256 connections without a controller.
mem_kib=$((mem0 - $(mem_avail)))
figure hog-memory-mib $((mem_kib / 1024)) MiB
check reconnect-while-hogged nvme_disconnect "$nqn"
check connect-while-hogged nvme_connect host "$host" 10.10.1.1 4420 "$nqn"
check blockdev-while-hogged nvme_wait_dev "$nqn"
hog_bs=64k
[[ $host == tcp ]] && hog_bs=$(stock_bs "$hog_bs")
check fio-verify-while-hogged fio_verify "$NVMT_NSDEV" "$hog_bs" 16M
check hog-still-running kill -0 "$hog_pid"
while ((SECONDS - hog_start < 9)); do sleep 0.5; done
kill -TERM "$hog_pid" 2>/dev/null || true
hog_rc=0
wait "$hog_pid" || hog_rc=$?
cat "$logs/hold.log"
check hog-ran test "$hog_rc" -eq 0
hogged() { sed -n "s/.* $1 \\([0-9]*\\).*/\\1/p" "$logs/hold.log"; }
held=$(hogged held-max) oldest=$(hogged icreq-oldest)
figure hog-held-max "${held:-0}"
figure hog-icreq-oldest "${oldest:-0}" s
# 256 per address (NVMET_MPTCP_MAX_PENDING_PER_PEER): without the cap all
# 300 would live until their deadline.
check hog-capped test "${held:-999}" -le 256 -a "${held:-0}" -ge 128
check hog-cap-logged test -n "$(kmsg_since hog "port 1: 10\.10\.1\.3 has 256 connections without a controller" || true)"
check icreq-deadline-logged test -n "$(kmsg_since hog "no ICReq after 5 s, dropping" || true)"
# Those that sent their ICReq have until the Connect deadline (30 s).
check icreq-extends-deadline test "${oldest:-0}" -ge 6
# 256 connections, a third having asked for 2 MiB: sockets and queues, no
# data buffers (256 such Connects pinned 502 MiB before the length check).
check hog-memory-bounded test "$mem_kib" -le $((32 * 1024))
refusals_snap "$logs/refusals.hog1"
refusals_delta "$logs/refusals.hog0" "$logs/refusals.hog1" >"$logs/delta.hog"
# The hog's counts are not exact, they are bounded: every drop it saw is
# a refusal at accept (peer-pending) or a deadline (icreq-timeout,
# connect-timeout), and the connections it still held when it stopped may
# have met a deadline just before; every Connect it sent that the target
# read is a refused length (connect-length), a Connect on a connection
# refused at accept is not.  Nothing else may move: the good host
# reconnecting and verifying meanwhile causes no refusal.
hog_bounds() {
	local dropped left connects pp it ct cl other
	left=$(hogged held-at-end) connects=$(hogged connects)
	dropped=$(sed -n 's/.* \([0-9]*\) dropped by the target.*/\1/p' "$logs/hold.log")
	pp=$(delta_of "$logs/delta.hog" peer-pending) it=$(delta_of "$logs/delta.hog" icreq-timeout)
	ct=$(delta_of "$logs/delta.hog" connect-timeout) cl=$(delta_of "$logs/delta.hog" connect-length)
	other=$(awk '$1 !~ /^(peer-pending|icreq-timeout|connect-timeout|connect-length)$/ && $2 { printf "%s %d ", $1, $2 }' "$logs/delta.hog")
	echo "hog: saw $dropped drops, held $left at the end, sent $connects Connects;" \
		"target: peer-pending $pp icreq-timeout $it connect-timeout $ct connect-length $cl; other: ${other:-none}"
	[[ -z $other ]] && ((pp > 0 && it > 0 && cl > 0 && cl <= connects)) &&
		((dropped <= pp + it + ct && pp + it + ct <= dropped + left))
}
check hog-refusals-bounded hog_bounds
check kernel-log-followed-hog kmsg_complete
for a in 3 4 5; do ip -n host addr del "10.10.1.$a/24" dev h1; done
ctrl=$(basename "$(dirname "$(grep -lx "$nqn" /sys/class/nvme/*/subsysnqn)")")

say "after the storm"
after_bs=64k
[[ $host == tcp ]] && after_bs=$(stock_bs "$after_bs")
check fio-verify-after fio_verify "$NVMT_NSDEV" "$after_bs" 32M
check nvme-disconnect nvme_disconnect "$nqn"
check no-connection-left wait_until 10 no_conns target 4420

say "every refusal path of the target fired"
refusals_snap "$logs/refusals.end"
refusals_delta "$logs/refusals.start" "$logs/refusals.end" >"$logs/delta.all"
coverage() {
	local slug n missed=()
	while read -r slug n; do
		printf '  %-16s %6d%s\n' "$slug" "$n" "$([[ $unreachable == *" $slug "* ]] && echo '  (cannot be provoked)')"
		[[ $unreachable == *" $slug "* ]] || ((n > 0)) || missed+=("$slug")
	done <"$logs/delta.all"
	((${#missed[@]} == 0)) || { echo "never fired: ${missed[*]}"; return 1; }
}
check every-refusal-fired coverage
check nvmet-teardown nvmet_del "$nqn"
check rmmod-nvmet-mptcp rmmod nvmet-mptcp
finish
