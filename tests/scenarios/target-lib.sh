# shellcheck shell=bash
# Helpers for the target-*.sh scenarios (nvmet-mptcp), on top of lib.sh.
# Sourced, not a scenario itself.
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# tgt_port_add PORTID TRADDR SVCID NQN [NETNS]: another nvmet port for an
# existing subsystem, enabled (linked) from NETNS (default target).
tgt_port_add() {
	local id=$1 traddr=$2 svcid=$3 nqn=$4 ns=${5:-target}
	local pdir=$NVMT_CFS/nvmet/ports/$id adrfam=ipv4
	[[ $traddr == *:* ]] && adrfam=ipv6
	mkdir "$pdir" || return
	echo tcp >"$pdir/addr_trtype" || return
	echo "$adrfam" >"$pdir/addr_adrfam" || return
	echo "$traddr" >"$pdir/addr_traddr" || return
	echo "$svcid" >"$pdir/addr_trsvcid" || return
	ip netns exec "$ns" ln -s "$NVMT_CFS/nvmet/subsystems/$nqn" "$pdir/subsystems/$nqn"
}

# tgt_port_disable PORTID NQN: unlink the subsystem (nvmet disables the port).
tgt_port_disable() {
	rm "$NVMT_CFS/nvmet/ports/$1/subsystems/$2"
}

# tgt_port_del PORTID NQN: disable (if linked) and remove the port; fails
# if the port is still there afterwards.
tgt_port_del() {
	local pdir=$NVMT_CFS/nvmet/ports/$1
	[[ -L $pdir/subsystems/$2 ]] && rm "$pdir/subsystems/$2"
	[[ -d $pdir ]] && rmdir "$pdir"
	[[ ! -e $pdir ]]
}

# tgt_conns NS PORT: established connections (MPTCP or TCP) on local PORT.
tgt_conns() {
	local n
	n=$(ip netns exec "$1" ss -HtnM state established "( sport = :$2 )" | wc -l)
	echo "$n"
}

no_conns() { [[ $(tgt_conns "$1" "$2") == 0 ]]; }

# mib NS COUNTER: an absolute MIB counter of netns NS (nstat -az).
mib() {
	ip netns exec "$1" nstat -az "$2" | awk -v c="$2" '$1 == c { print $2; f = 1 } END { if (!f) print 0 }'
}
