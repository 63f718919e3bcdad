#!/bin/bash
# /init of the test VM (runs as pid 1 from the initramfs). Mounts the usual
# filesystems, runs the scenario named by nvmt.scenario= on the kernel command
# line, and reports to the second serial port, which the host parses:
#   NVMT-RC: <exit code>, the scenario's RESULT: and FIGURE: lines, the dmesg between
#   NVMT-DMESG-BEGIN/END, and NVMT-SENTINEL as the very last line.
# No `set -e`: pid 1 must always get to power-off, or the host waits for its timeout.
set -uo pipefail
export PATH=/usr/sbin:/usr/bin:/bb HOME=/root TERM=dumb

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
modprobe -q configfs
mount -t configfs configfs /sys/kernel/config
# `ip netns exec` remounts /sys, hiding the one above; scenarios use /config.
mount -t configfs configfs /config
ip link set lo up

arg() { tr ' ' '\n' </proc/cmdline | sed -n "s/^nvmt\.$1=//p" | tail -n1; }
scenario=$(arg scenario)
# nvmt.args=a=1,b=2 becomes the scenario's arguments "a=1" "b=2".
IFS=, read -r -a args <<<"$(arg args)"

echo "NVMT: scenario start ${scenario:-(none)} ${args[*]}" | tee /dev/kmsg
rc=0
if [[ -n $scenario ]]; then
	bash "/scenarios/$scenario.sh" "${args[@]}" 2>&1 | tee /tmp/scenario.log
	rc=${PIPESTATUS[0]}
fi
echo "NVMT: scenario end rc=$rc" | tee /dev/kmsg

{
	echo "NVMT-RC: $rc"
	grep -a -E '^(RESULT|FIGURE):' /tmp/scenario.log 2>/dev/null
	echo "NVMT-DMESG-BEGIN"
	dmesg
	echo "NVMT-DMESG-END"
	echo "NVMT-SENTINEL"
} >/dev/ttyS1
# Closing the tty waits for the UART to drain; give it a moment anyway.
sleep 1
echo o >/proc/sysrq-trigger
poweroff -f
