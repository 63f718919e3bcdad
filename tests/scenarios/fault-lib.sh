# shellcheck shell=bash
# Helpers for the fault-*.sh scenarios: I/O that runs through path and
# controller faults, the ways a path is lost and given back, and the figures
# each fault costs (longest I/O, controller resets, bytes per path).
# Sourced, not a scenario itself.
# shellcheck source=target-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/target-lib.sh"

# Per-path rate: well under what the emulated CPU moves over 4 paths, so
# the paths, not the CPU, decide where the data goes.
FAULT_RATE=${FAULT_RATE:-40mbit}
FAULT_DIR=/tmp/fault
mkdir -p "$FAULT_DIR"

# path_shape I [NETEM ARGS...]: both ends of path I at FAULT_RATE, with ARGS
# (e.g. loss 100%) or with the default queue limit.
path_shape() {
	local i=$1
	shift
	(($#)) || set -- limit 1000
	topo_shape host "h$i" netem rate "$FAULT_RATE" "$@" || return
	topo_shape target "t$i" netem rate "$FAULT_RATE" "$@"
}

# fault_topology N: N shaped veth paths with MPTCP endpoints.
fault_topology() {
	local i
	topo_create "$1" || return
	topo_mptcp "$1" || return
	for ((i = 1; i <= $1; i++)); do path_shape "$i" || return; done
}

# fault_tune: what a user can set to find a dead path sooner (README,
# "Behaviour under failure"): MPTCP declares a subflow stale after one
# MPTCP retransmission timeout instead of four, and the paths' routes
# retransmit after 20 ms instead of TCP's 200 ms minimum. Both ends.
FAULT_TUNED=0
fault_tune() {
	local ns i
	FAULT_TUNED=1
	for ns in host target; do
		ip netns exec "$ns" sysctl -qw net.mptcp.stale_loss_cnt=1 || return
		for ((i = 1; i <= 4; i++)); do
			ip -n host link show "h$i" >/dev/null 2>&1 || continue
			fault_route_rto "$ns" "$i" || return
		done
	done
}

# fault_route_rto NS I: path I's connected route in NS with rto_min 20ms.
fault_route_rto() {
	local dev=h$2 src=10.10.$2.2
	[[ $1 == target ]] && dev=t$2 src=10.10.$2.1
	ip -n "$1" route replace "10.10.$2.0/24" dev "$dev" proto kernel scope link src "$src" rto_min 20ms
}

# ---- losing and giving back a path ------------------------------------------
# WAY is blackhole (100 % loss both ways), down (the host's link down), or
# addr (the host's address removed; its MPTCP endpoint goes and comes back
# with it, as NetworkManager and mptcpd keep them in step).

path_lose() {
	local way=$1 i=$2
	case $way in
	blackhole) path_shape "$i" loss 100% ;;
	down) ip -n host link set "h$i" down ;;
	addr)
		ip -n host addr del "10.10.$i.2/24" dev "h$i" || return
		if ((i > 1)); then ip -n host mptcp endpoint del id "$i"; fi
		;;
	*) echo "unknown way $way" >&2; return 2 ;;
	esac
}

path_restore() {
	local way=$1 i=$2
	case $way in
	blackhole) path_shape "$i" ;;
	down)
		ip -n host link set "h$i" up || return
		if ((FAULT_TUNED)); then fault_route_rto host "$i"; fi
		;;
	addr)
		ip -n host addr add "10.10.$i.2/24" dev "h$i" || return
		if ((FAULT_TUNED)); then fault_route_rto host "$i" || return; fi
		if ((i > 1)); then
			ip -n host mptcp endpoint add "10.10.$i.2" dev "h$i" id "$i" subflow
		fi
		;;
	*) echo "unknown way $way" >&2; return 2 ;;
	esac
}

# path_tx I: bytes the host has sent on path I.
path_tx() { ip netns exec host cat "/sys/class/net/h$1/statistics/tx_bytes"; }

# path_sent_since I BEFORE MIN_BYTES: path I sent MIN_BYTES since it read BEFORE.
path_sent_since() { (($(path_tx "$1") - $2 >= $3)); }

# path_carries I MIN_BYTES SECONDS: path I sends at least MIN_BYTES within SECONDS.
path_carries() {
	local before
	before=$(path_tx "$1")
	wait_until "$3" path_sent_since "$1" "$before" "$2"
	local rc=$?
	echo "path $1: $(($(path_tx "$1") - before)) bytes sent"
	return "$rc"
}

# ---- I/O through the faults ------------------------------------------------

# fio_start DEV SECONDS NAME [fio options...]: random writes of FAULT_BS
# (default 64 KiB) at QD16, each block verified (crc32c) soon after it is
# written, for SECONDS, in the background. The completion latency of every
# I/O goes to a log.
FIO_PID=
fio_start() {
	local dev=$1 secs=$2 name=$3
	shift 3
	rm -f "$FAULT_DIR/$name"_*.log "$FAULT_DIR/$name.out"
	"${NVMT_FIO[@]}" --name="$name" --filename="$dev" --rw=randwrite --bs="${FAULT_BS:-64k}" --size=128M \
		--iodepth=16 --verify=crc32c --verify_fatal=1 --verify_backlog=64 \
		--time_based --runtime="$secs" --write_lat_log="$FAULT_DIR/$name" --log_avg_msec=0 \
		"$@" >"$FAULT_DIR/$name.out" 2>&1 &
	FIO_PID=$!
	FIO_NAME=$name
	FIO_T0=$(now_ms)
}

# now_ms: a clock in milliseconds (busybox date has no %N).
now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }

# fio_now: milliseconds since fio_start (the time base of fio's logs).
fio_now() { echo $(($(now_ms) - FIO_T0)); }

# fio_wait: fio's exit status, its error lines shown.
fio_wait() {
	local rc=0
	wait "$FIO_PID" || rc=$?
	FIO_PID=
	grep -E 'err=|verify|error' "$FAULT_DIR/$FIO_NAME.out" | grep -v 'err= 0' || true
	return "$rc"
}

# fio_end: stop the background fio early (SIGTERM: it ends as if its time
# were up; SIGINT is ignored in the background). Passes when fio reported
# no error (its exit status after a signal is not 0 whatever happened).
# fio may have ended by itself already; its output judges either way.
fio_end() {
	kill -TERM "$FIO_PID" 2>/dev/null || true
	wait "$FIO_PID" || true
	FIO_PID=
	grep -E 'err=|verify' "$FAULT_DIR/$FIO_NAME.out" || return
	grep -q 'err= 0' "$FAULT_DIR/$FIO_NAME.out" &&
		! grep -Eq 'err= [1-9]|verify: bad|bad magic|crc32c: verify failed' "$FAULT_DIR/$FIO_NAME.out"
}

fio_stop() {
	if [[ -n $FIO_PID ]]; then kill "$FIO_PID" 2>/dev/null || true; wait "$FIO_PID" 2>/dev/null || true; fi
	FIO_PID=
}

# lat_max NAME FROM_MS TO_MS: the longest I/O (ms) in flight at some time in
# the window (one stuck through it counts when it completes, however late).
lat_max() {
	cat "$FAULT_DIR/$1"_lat.*.log 2>/dev/null |
		awk -F', *' -v a="$2" -v b="$3" '$1 >= a && $1 - $2 / 1e6 < b && $2 / 1e6 > m { m = $2 / 1e6 }
			END { printf "%d\n", m }'
}

# mib_per_s NAME FROM_MS TO_MS: what completed in the window, in MiB/s.
mib_per_s() {
	cat "$FAULT_DIR/$1"_lat.*.log 2>/dev/null |
		awk -F', *' -v a="$2" -v b="$3" '$1 >= a && $1 < b { s += $4 }
			END { printf "%.1f\n", s / 1048576 / ((b - a) / 1000) }'
}

# recovered_after NAME FROM_MS MIB_S: seconds after FROM_MS until a whole
# second moved at least MIB_S (-1 if it never did).
recovered_after() {
	cat "$FAULT_DIR/$1"_lat.*.log 2>/dev/null |
		awk -F', *' -v a="$2" -v m="$3" '$1 >= a { s[int(($1 - a) / 1000)] += $4 }
			END { for (i = 0; i < 60; i++) if (s[i] / 1048576 >= m) { print i + 1; exit }
				print -1 }'
}

# ---- controller health ----------------------------------------------------

ctrl_of() { grep -lx "$1" /sys/class/nvme/*/subsysnqn 2>/dev/null | head -n1 | xargs -r dirname | xargs -r basename; }
ctrl_live() { [[ $(cat "/sys/class/nvme/$(ctrl_of "$1")/state" 2>/dev/null) == live ]]; }
ctrl_gone() { [[ -z $(ctrl_of "$1") ]]; }

# resets: controller error recoveries and resets logged since dmesg_mark.
resets() { { dmesg_since 'starting error recovery|resetting controller' || true; } | wc -l; }
