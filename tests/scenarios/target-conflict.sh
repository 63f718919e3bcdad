#!/bin/bash
# nvmet keeps one transport per trtype, and the kernel's nvmet-tcp and
# nvmet-mptcp both serve trtype tcp.  Checked here:
#  - nvmet-tcp loaded first: nvmet-mptcp refuses to load, with one dmesg
#    line saying what to do, and nvmet-tcp keeps serving its port;
#  - nvmet-mptcp loaded first: nvmet-tcp cannot load, nvmet-mptcp serves;
#  - nothing loaded, no configuration: enabling a tcp port autoloads the
#    stock nvmet-tcp (nvmet asks modprobe for nvmet-transport-3);
#  - nothing loaded, packaging/modprobe.d/nvmet-mptcp.conf installed: the
#    same port autoloads nvmet-mptcp, and a stock host connects through it;
#    an explicit `modprobe nvmet-tcp` still names the stock module.
# nvmt: needs-modules
#
#   host ns: nvme-tcp  h1 10.10.1.2 <--veth--> t1 10.10.1.1  target ns
set -euo pipefail
# shellcheck source=target-lib.sh
. "$(dirname "$0")/target-lib.sh"

nqn=nqn.2026-01.io.nvme-mptcp:target-conflict
conf=/etc/modprobe.d/nvmet-mptcp.conf
# The bench copies packaging/ to the initramfs root.
packaged=/packaging/modprobe.d/nvmet-mptcp.conf
cleanup() {
	nvme disconnect -n "$nqn" >/dev/null 2>&1 || true
	nvmet_del "$nqn" || true
	rm -f "$conf"
	topo_destroy
}
trap cleanup EXIT

listener_is() {
	case $1 in
	mptcp) [[ -n $(ip netns exec target ss -HMln) ]] ;;
	tcp) [[ -z $(ip netns exec target ss -HMln) && -n $(ip netns exec target ss -Hltn '( sport = :4420 )') ]] ;;
	esac
}

# unload_target: drop the port and whichever transport served it.
unload_target() {
	nvmet_del "$nqn" || true
	# rmmod, not modprobe -r: nvmet itself must stay.
	module_loaded nvmet-mptcp && rmmod nvmet-mptcp
	module_loaded nvmet-tcp && rmmod nvmet-tcp
	module_absent nvmet-mptcp && module_absent nvmet-tcp
}

say "setup"
require modprobe-nvmet modprobe nvmet
require modprobe-host modprobe nvme-tcp
require topology topo_create 1
require null-blk null_blk_create 1

say "nvmet-tcp first: nvmet-mptcp refuses to load, and says why"
require modprobe-nvmet-tcp modprobe nvmet-tcp
dmesg_mark
check_fails modprobe-nvmet-mptcp-refused modprobe nvmet-mptcp
check one-clear-line dmesg_since "nvmet_mptcp: nvmet-tcp is loaded and owns trtype tcp: remove it \(modprobe -r nvmet-tcp\) or load nvmet-mptcp first"
dmesg_since nvmet_mptcp || true
check nvmet-mptcp-not-loaded module_absent nvmet-mptcp
require nvmet-target-stock nvmet_add "$nqn" /dev/nullb0 tcp 10.10.1.1
check stock-listener-is-tcp listener_is tcp
require unload-stock unload_target

say "nvmet-mptcp first: nvmet-tcp cannot load"
require modprobe-nvmet-mptcp modprobe nvmet-mptcp
check_fails modprobe-nvmet-tcp-refused modprobe nvmet-tcp
check nvmet-tcp-not-loaded module_absent nvmet-tcp
require nvmet-target-mptcp nvmet_add "$nqn" /dev/nullb0 tcp 10.10.1.1
check mptcp-listener listener_is mptcp
require unload-mptcp unload_target

say "nothing loaded, no modprobe.d: a tcp port autoloads the stock nvmet-tcp"
modprobe -R nvmet-transport-3 || true
require nvmet-target-autoload nvmet_add "$nqn" /dev/nullb0 tcp 10.10.1.1
check autoloaded-nvmet-tcp module_loaded nvmet-tcp
check not-nvmet-mptcp module_absent nvmet-mptcp
require unload-autoloaded unload_target

say "nothing loaded, packaging/modprobe.d/nvmet-mptcp.conf: the port autoloads nvmet-mptcp"
require packaged-conf test -f "$packaged"
cat "$packaged"
mkdir -p /etc/modprobe.d
cp "$packaged" "$conf"
resolved=$(modprobe -R nvmet-transport-3 || true)
echo "modprobe -R nvmet-transport-3: $resolved"
check alias-resolves-to-nvmet-mptcp test "$resolved" = nvmet_mptcp
check explicit-nvmet-tcp-still-stock test "$(modprobe -R nvmet-tcp)" = nvmet_tcp
require nvmet-target-conf nvmet_add "$nqn" /dev/nullb0 tcp 10.10.1.1
check autoloaded-nvmet-mptcp module_loaded nvmet-mptcp
check stock-not-loaded module_absent nvmet-tcp
check conf-listener-is-mptcp listener_is mptcp
require nvme-connect nvme_connect host tcp 10.10.1.1 4420 "$nqn"
require nvme-blockdev nvme_wait_dev "$nqn"
check fio-verify stock_verify "$NVMT_NSDEV" 16k 16M
check nvme-disconnect nvme_disconnect "$nqn"
check unload-conf unload_target
rm -f "$conf"
finish
