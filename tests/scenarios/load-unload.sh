#!/bin/bash
# Our three modules load by name from updates/, hold references on each other
# (mptcp-compat cannot go while the transports use it), never drag in the
# stock nvmet-tcp, and unload cleanly in reverse order.
# nvmt: needs-modules
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

mods=(mptcp-compat nvme-mptcp nvmet-mptcp)
cleanup() { modprobe -r nvmet-mptcp nvme-mptcp mptcp-compat 2>/dev/null || true; }
trap cleanup EXIT

say "load"
for m in "${mods[@]}"; do
	check "modprobe-$m" modprobe "$m"
	check "loaded-$m" module_loaded "$m"
done
modinfo -F filename "${mods[@]}" || true
check no-stock-nvmet-tcp module_absent nvmet-tcp
grep -E '^(mptcp_compat|nvme_mptcp|nvmet_mptcp) ' /proc/modules || true

say "refcounts"
check_fails rmmod-compat-in-use rmmod mptcp-compat
check still-loaded-mptcp-compat module_loaded mptcp-compat

say "unload in reverse order"
for ((i = ${#mods[@]} - 1; i >= 0; i--)); do
	check "rmmod-${mods[i]}" rmmod "${mods[i]}"
	check "gone-${mods[i]}" module_absent "${mods[i]}"
done
finish
