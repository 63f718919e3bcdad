#!/bin/bash
# nvme-mptcp as the host's NVMe/TCP: packaging/modprobe.d/nvme-mptcp.conf
# installed, then its "options nvme-mptcp tcp=1" line uncommented.
#  - first, on the fresh boot, the README's host quick start, word for word
#    but for addresses, interface names and the NQN;
#  - without the option, modprobe nvme-tcp loads the kernel's nvme-tcp, and
#    nvme-mptcp tcp=1 is then refused in one line;
#  - with it, modprobe nvme-tcp loads nvme-mptcp alone, the kernel's nvme-tcp
#    is refused, and everything NVMe/TCP goes over MPTCP: nvme connect -t tcp
#    with digests (2 paths, subflows, fio verify, a udev rule on
#    ATTR{transport}=="tcp"), a hostname as traddr, nvme discover and
#    connect-all against a target with two ports, /etc/nvme/discovery.conf,
#    -t mptcp alongside, and stock nvmet-tcp (fallback to one TCP path).
# nvmt: needs-modules
#
#   host ns: nvme-mptcp  h1 10.10.1.2 <--veth--> t1 10.10.1.1  target ns
#                        h2 10.10.2.2 <--veth--> t2 10.10.2.1  (port 2 too)
#                        h3 10.10.3.2 <--veth--> t3 10.10.3.1  (README only)
set -euo pipefail
# shellcheck source=target-lib.sh
. "$(dirname "$0")/target-lib.sh"

nqn=nqn.2026-01.io.nvme-mptcp:host-tcp-dropin
conf=/etc/modprobe.d/nvme-mptcp.conf
# The bench copies packaging/ to the initramfs root.
packaged=/packaging/modprobe.d/nvme-mptcp.conf
ctrls=/sys/kernel/debug/nvme-mptcp/controllers
udevd_pid=
referral=$NVMT_CFS/nvmet/ports/1/referrals/port2
cleanup() {
	nvme disconnect -n "$nqn" >/dev/null 2>&1 || true
	referral_del >/dev/null 2>&1 || true
	tgt_port_del 2 "$nqn" >/dev/null 2>&1 || true
	nvmet_del "$nqn" || true
	if [[ -n $udevd_pid ]]; then kill "$udevd_pid" 2>/dev/null || true; fi
	rm -f "$conf"
	topo_destroy
}
trap cleanup EXIT

# Port 1's discovery log points to port 2's discovery controller, as a
# discovery controller with two ports describes them.
referral_add() {
	mkdir "$referral" || return
	echo tcp >"$referral/addr_trtype" || return
	echo ipv4 >"$referral/addr_adrfam" || return
	echo 10.10.2.1 >"$referral/addr_traddr" || return
	echo 4420 >"$referral/addr_trsvcid" || return
	echo 1 >"$referral/enable"
}

referral_del() {
	[[ -d $referral ]] || return 0
	echo 0 >"$referral/enable"
	rmdir "$referral"
}

controllers_of() { grep -lx "$nqn" /sys/class/nvme/*/subsysnqn 2>/dev/null | wc -l; }
# controllers_are N: for wait_until, which must re-count on every try.
controllers_are() { [[ $(controllers_of) == "$1" ]]; }

# ours_over_mptcp N SUBFLOWS [DIGESTS]: N controllers in debugfs, each of
# transport tcp, every queue over MPTCP with at least SUBFLOWS extra
# subflows. (The path manager here adds subflows to connections made over
# path 1: a controller connected over path 2 runs MPTCP on one subflow.)
ours_over_mptcp() {
	cat "$ctrls"
	awk -v want="$1" -v sf="$2" -v dg="${3:-}" 'NR > 1 {
		n++
		if ($2 != "tcp" || $5 != $4 || $7 < sf || (dg != "" && $9 != dg)) bad++
	} END { exit !(n == want && !bad) }' "$ctrls"
}

# One controller of transport tcp served by us, every queue fallen back to TCP.
ours_fallback() {
	cat "$ctrls"
	awk 'NR > 1 { n++; if ($2 != "tcp" || $6 != $4 || $5 != 0) bad++ } END { exit !(n == 1 && !bad) }' "$ctrls"
}

transports() { cat /sys/class/nvme/nvme*/transport 2>/dev/null | sort | paste -sd' '; }

disconnect_all() {
	nvme disconnect -n "$nqn" || return
	wait_until 10 controllers_are 0
}

# The first sh block after the README's host heading, for this bench.
readme_block() {
	awk '/^## Host: NVMe\/TCP over MPTCP/ { h = 1 } h && /^```sh$/ { b = 1; next }
		b && /^```$/ { exit } b { print }' /README.md |
		sed -e 's/203\.0\.113\.1/10.10.1.1/g' -e 's/192\.0\.2\.2 dev eth1/10.10.2.2 dev h2/' \
			-e 's/198\.51\.100\.2 dev eth2/10.10.3.2 dev h3/' -e "s/nqn\.2014-08\.org\.example:disk1/$nqn/"
}

say "setup"
require topology topo_create 3
require null-blk null_blk_create 1
require modprobe-target modprobe nvmet-mptcp
require nvmet-target nvmet_add "$nqn" /dev/nullb0 tcp 10.10.1.1
# What a Debian system has: nvme-cli's host identity.
mkdir -p /etc/nvme
echo "$NVMT_HOSTNQN" >/etc/nvme/hostnqn
echo "$NVMT_HOSTID" >/etc/nvme/hostid

say "the README's host quick start, on this fresh boot"
ip -n target mptcp limits set subflow 4 add_addr_accepted 4
block=$(readme_block)
echo "$block"
check readme-block-found grep -q 'nvme connect -t tcp' <<<"$block"
# In the host netns (ip netns exec remounts /sys: debugfs mounted again,
# as a Debian system has it), from / where the bench put packaging/.
(cd / && ip netns exec host bash -euxo pipefail -c \
	"mount -t debugfs debugfs /sys/kernel/debug; $block") || result readme-quick-start FAIL "the block failed"
check readme-connected wait_until 10 controllers_are 1
check readme-over-mptcp wait_until 10 ours_over_mptcp 1 1 hdr,data
check readme-disconnect disconnect_all
rm -f "$conf"
check readme-unload modprobe -r nvme-mptcp
ip -n host mptcp endpoint flush

require mptcp-endpoints topo_mptcp 2
require packaged-conf test -f "$packaged"
cp "$packaged" "$conf"

say "without the opt-in: modprobe nvme-tcp loads the kernel's nvme-tcp"
require modprobe-nvme-tcp-stock modprobe nvme-tcp
check stock-nvme-tcp-loaded module_loaded nvme-tcp
check nothing-of-ours module_absent nvme-mptcp
dmesg_mark
check_fails nvme-mptcp-tcp-refused modprobe nvme-mptcp tcp=1
check refusal-line dmesg_since 'nvme-tcp is loaded and serves transport tcp: remove it'
check refused-not-loaded module_absent nvme-mptcp
require unload-stock modprobe -r nvme-tcp

say "with the opt-in: modprobe nvme-tcp loads nvme-mptcp"
sed -i 's/^#options nvme-mptcp tcp=1$/options nvme-mptcp tcp=1/' "$conf"
grep -v '^#' "$conf"
require modprobe-nvme-tcp-dropin modprobe nvme-tcp
check nvme-mptcp-loaded module_loaded nvme-mptcp
check stock-not-loaded module_absent nvme-tcp
check tcp-param-set grep -qx Y /sys/module/nvme_mptcp/parameters/tcp
dmesg_mark
check_fails stock-nvme-tcp-refused modprobe --ignore-install nvme-tcp
check stock-refusal-line dmesg_since 'refusing to load nvme-tcp: nvme-mptcp serves transport tcp'
check still-not-loaded module_absent nvme-tcp

require nvmet-port-2 tgt_port_add 2 10.10.2.1 4420 "$nqn"
require referral referral_add

say "nvme connect -t tcp -g -G: MPTCP, 2 paths, digests; a udev rule on transport tcp"
mkdir -p /etc/udev/rules.d /run/udev
echo 'ACTION=="add", SUBSYSTEM=="nvme", ATTR{transport}=="tcp", RUN+="/bin/sh -c '"'"': >/tmp/udev-tcp-%k'"'"'"' \
	>/etc/udev/rules.d/99-nvme-tcp.rules
cat /etc/udev/rules.d/99-nvme-tcp.rules
systemd-udevd >/tmp/udevd.log 2>&1 &
udevd_pid=$!
check udevd-running wait_until 10 udevadm control --ping
require connect-tcp-digests nvme_connect host tcp 10.10.1.1 4420 "$nqn" -g -G
require blockdev nvme_wait_dev "$nqn"
check sysfs-transport-tcp test "$(transports)" = tcp
check served-over-mptcp wait_until 10 ours_over_mptcp 1 1 hdr,data
ctrl=$(awk 'NR == 2 { print $1 }' "$ctrls")
check udev-rule-fired wait_until 10 test -e "/tmp/udev-tcp-$ctrl"
cat /tmp/udevd.log
check fio-verify-4k fio_verify "$NVMT_NSDEV" 4k 8M
check fio-verify-1m fio_verify "$NVMT_NSDEV" 1m 32M
check disconnect-1 disconnect_all

say "-t mptcp still works alongside"
require connect-mptcp nvme_connect host mptcp 10.10.1.1 4420 "$nqn"
check sysfs-transport-mptcp test "$(transports)" = mptcp
check disconnect-2 disconnect_all

say "a hostname as traddr"
# libnvme resolves it (for trtype tcp only, which is why the drop-in gives
# users this), when built with libnss; Debian 12's libnvme 1.3 is not.
echo "10.10.1.1 nvme-target.test" >>/etc/hosts
echo "hosts: files" >/etc/nsswitch.conf
rc=0
out=$(nvme_connect host tcp nvme-target.test 4420 "$nqn" 2>&1) || rc=$?
echo "$out"
if ((rc != 0)) && [[ $out == *"No support for hostname IP address resolution"* ]]; then
	skip connect-hostname "this guest's libnvme cannot resolve hostnames (built without libnss)"
else
	check connect-hostname test "$rc" = 0
	check hostname-resolved wait_until 10 grep -q 'traddr=10.10.1.1' /sys/class/nvme/nvme*/address
	check disconnect-3 disconnect_all
fi

say "nvme discover and connect-all: two ports"
out=$(ip netns exec host nvme discover -t tcp -a 10.10.1.1 -s 4420 --hostnqn="$NVMT_HOSTNQN" --hostid="$NVMT_HOSTID" 2>&1 || true)
echo "$out"
check discovery-entry grep -q "subnqn: *$nqn" <<<"$out"
check discovery-referral grep -q "traddr: *10.10.2.1" <<<"$out"
check connect-all ip netns exec host nvme connect-all -t tcp -a 10.10.1.1 -s 4420 \
	--hostnqn="$NVMT_HOSTNQN" --hostid="$NVMT_HOSTID"
check connect-all-two-controllers wait_until 10 controllers_are 2
check connect-all-over-mptcp wait_until 10 ours_over_mptcp 2 0
check disconnect-4 disconnect_all

say "/etc/nvme/discovery.conf: nvme connect-all with no arguments (the autoconnect path)"
printf -- '--transport=tcp --traddr=%s --trsvcid=4420\n' 10.10.1.1 10.10.2.1 >/etc/nvme/discovery.conf
check connect-all-conf ip netns exec host nvme connect-all
check conf-two-controllers wait_until 10 controllers_are 2
check conf-over-mptcp wait_until 10 ours_over_mptcp 2 0
check disconnect-5 disconnect_all

say "stock nvmet-tcp: fallback to one TCP path"
check referral-removed referral_del
check port-2-removed tgt_port_del 2 "$nqn"
require target-removed nvmet_del "$nqn"
require unload-target modprobe -r nvmet-mptcp
require modprobe-stock-target modprobe nvmet-tcp
require nvmet-stock nvmet_add "$nqn" /dev/nullb0 tcp 10.10.1.1
require connect-stock nvme_connect host tcp 10.10.1.1 4420 "$nqn"
require blockdev-stock nvme_wait_dev "$nqn"
check fallback-tcp wait_until 10 ours_fallback
check fio-verify-stock fio_verify "$NVMT_NSDEV" 4k 8M
check disconnect-6 disconnect_all
check nvmet-teardown nvmet_del "$nqn"

check rmmod-nvme-mptcp modprobe -r nvme-mptcp
finish
