#!/bin/bash
# nvmetcli as an administrator uses it, with the packaged modprobe.d file
# in place: `nvmetcli restore` of a saved JSON config brings the target up
# (nvmet's request for the tcp transport loads nvmet-mptcp, not nvmet-tcp),
# `nvme connect -t mptcp` has nvme-fabrics load nvme-mptcp, `nvmetcli save`
# writes the same config back, and `nvmetcli clear` takes it all down.
# nvmt: needs-modules
# nvmt: needs-python
#
#   host ns: nvme-mptcp  h1 10.10.1.2 <--veth--> t1 10.10.1.1  target ns: nvmetcli
#                        h2 10.10.2.2 <--veth--> t2 10.10.2.1  (signal endpoint)
set -euo pipefail
# shellcheck source=target-lib.sh
. "$(dirname "$0")/target-lib.sh"

nqn=nqn.2026-01.io.nvme-mptcp:target-nvmetcli
conf=/etc/modprobe.d/nvmet-mptcp.conf
cleanup() {
	nvme disconnect -n "$nqn" >/dev/null 2>&1 || true
	nvmetcli_ns clear >/dev/null 2>&1 || true
	topo_destroy
	rm -f "$conf"
}
trap cleanup EXIT

# nvmetcli in the target namespace, where nvmet opens the listeners of the
# ports it enables.  `ip netns exec` remounts /sys, so configfs is mounted
# again in the private mount namespace it runs in.
nvmetcli_ns() {
	# shellcheck disable=SC2016 # expanded by the inner bash
	ip netns exec target bash -c 'mount -t configfs configfs /sys/kernel/config && nvmetcli "$@"' \
		nvmetcli "$@"
}

# restore FILE: nvmetcli restore reports errors but goes on; fail on any.
restore() {
	local out
	out=$(nvmetcli_ns restore "$1" 2>&1) || { echo "$out"; return 1; }
	echo "$out"
	[[ -z $out ]]
}

# What `nvmetcli save` wrote agrees with the config restored from.
same_config() {
	python3 - "$1" "$2" <<-'END'
		import json, sys
		want, got = (json.load(open(f)) for f in sys.argv[1:])
		def ports(c):
		    return {p["portid"]: ({k: p["addr"][k] for k in ("adrfam", "traddr", "trsvcid", "trtype")},
		                          sorted(p["subsystems"])) for p in c["ports"]}
		def subsystems(c):
		    return {s["nqn"]: (s["attr"]["allow_any_host"],
		                       [(n["nsid"], n["device"]["path"], n["enable"]) for n in s["namespaces"]])
		            for s in c["subsystems"]}
		ok = ports(want) == ports(got) and subsystems(want) == subsystems(got)
		print("ports:", ports(got))
		print("subsystems:", subsystems(got))
		sys.exit(0 if ok else 1)
	END
}

listener_is_mptcp() { [[ -n $(ip netns exec target ss -HMln) ]]; }
no_listener() { [[ -z $(ip netns exec target ss -Hln '( sport = :4420 )') ]]; }
extra_subflows() { ip netns exec target ss -HMni state established | grep -qE 'subflows:[1-9]'; }

say "setup: packaged modprobe.d, 2 paths, a saved config"
mkdir -p /etc/modprobe.d
require modprobe-conf cp /packaging/modprobe.d/nvmet-mptcp.conf "$conf"
require topology topo_create 2
require mptcp-endpoints topo_mptcp 2
require null-blk null_blk_create 1
cat >/tmp/nvmet.json <<-END
	{
	  "hosts": [],
	  "ports": [
	    {
	      "addr": { "adrfam": "ipv4", "traddr": "10.10.1.1", "treq": "not specified",
	                "trsvcid": "4420", "trtype": "tcp" },
	      "portid": 1,
	      "referrals": [],
	      "subsystems": [ "$nqn" ]
	    }
	  ],
	  "subsystems": [
	    {
	      "allowed_hosts": [],
	      "attr": { "allow_any_host": "1" },
	      "namespaces": [ { "device": { "path": "/dev/nullb0" }, "enable": 1, "nsid": 1 } ],
	      "nqn": "$nqn"
	    }
	  ]
	}
END

say "nvmetcli restore"
dmesg_mark
require nvmetcli-restore restore /tmp/nvmet.json
check nvmet-mptcp-autoloaded module_loaded nvmet-mptcp
check nvmet-tcp-not-loaded module_absent nvmet-tcp
check port-listening dmesg_since "nvmet_mptcp: port 1: listening on 10.10.1.1:4420 \(mptcp\)"
check listener-is-mptcp listener_is_mptcp
ip netns exec target ss -Mltn

say "nvme connect -t mptcp loads nvme-mptcp"
# nvme-fabrics asks for module nvme-<transport>; nvme-cli needs it loaded.
require modprobe-nvme-fabrics modprobe nvme-fabrics
check nvme-mptcp-not-loaded-yet module_absent nvme-mptcp
require nvme-connect nvme_connect host mptcp 10.10.1.1 4420 "$nqn"
require nvme-blockdev nvme_wait_dev "$nqn"
check nvme-mptcp-autoloaded module_loaded nvme-mptcp
check extra-subflows wait_until 10 extra_subflows
check fio-verify fio_verify "$NVMT_NSDEV" 64k 32M

say "nvmetcli save gives the same config back"
check nvmetcli-save nvmetcli_ns save /tmp/saved.json
check saved-matches-restored same_config /tmp/nvmet.json /tmp/saved.json
check nvme-disconnect nvme_disconnect "$nqn"

say "nvmetcli clear"
check nvmetcli-clear nvmetcli_ns clear
check no-ports test -z "$(ls "$NVMT_CFS/nvmet/ports")"
check no-subsystems test -z "$(ls "$NVMT_CFS/nvmet/subsystems")"
check no-listener wait_until 5 no_listener
check rmmod-nvmet-mptcp rmmod nvmet-mptcp
check rmmod-nvme-mptcp rmmod nvme-mptcp
finish
