#!/bin/bash
# /init of the test VM (runs as pid 1 from the initramfs). Mounts the usual
# filesystems, then runs the scenarios nvmt.batch= lists (comma separated,
# each NAME or NAME:ARG:ARG...) one after another in this one boot, putting
# back in between what a scenario may leave behind. Reports to the second
# serial port, which the host parses:
#   NVMT-BEGIN <entry> before a scenario starts; after it NVMT-RC: <exit
#   code>, NVMT-SECONDS: <run time>, its RESULT: and FIGURE: lines, the
#   kernel messages since the previous scenario between NVMT-DMESG-BEGIN/END
#   (the first one's include the boot), NVMT-END <entry>, and NVMT-SENTINEL
#   as the very last line of the boot.
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

# The report port stays open: closing a tty may drop what it has not sent.
exec 3>/dev/ttyS1

arg() { tr ' ' '\n' </proc/cmdline | sed -n "s/^nvmt\.$1=//p" | tail -n1; }
IFS=, read -r -a batch <<<"$(arg batch)"
limit=$(arg limit)
# /etc as booted: scenarios install modprobe.d files, hostnqn, discovery.conf.
cp -a /etc /run/etc.boot

# Every process but this one and the kernel's threads (children of kthreadd).
kill_leftovers() {
	local d pid ppid
	for d in /proc/[0-9]*; do
		pid=${d#/proc/}
		((pid == 1 || pid == 2)) && continue
		ppid=$(sed -n 's/^.*) [A-Za-z] \([0-9]*\) .*$/\1/p' "$d/stat" 2>/dev/null) || continue
		[[ -z $ppid || $ppid == 2 ]] && continue
		kill -9 "$pid" 2>/dev/null
	done
}

# What scenarios set up and normally take down in their exit traps: after a
# failed one, the next must not inherit its controllers, ports, namespaces,
# modules (with their parameters) or files.
reset_between() {
	local c=/config/nvmet d m left
	kill_leftovers
	nvme disconnect-all >/dev/null 2>&1
	for d in "$c"/ports/*/; do
		[[ -d $d ]] || continue
		rm -f "$d"subsystems/* "$d"referrals/* 2>/dev/null
		rmdir "$d" 2>/dev/null
	done
	for d in "$c"/subsystems/*/; do
		[[ -d $d ]] || continue
		for m in "$d"namespaces/*/; do
			[[ -d $m ]] || continue
			echo 0 >"${m}enable" 2>/dev/null
			rmdir "$m" 2>/dev/null
		done
		rm -f "$d"allowed_hosts/* 2>/dev/null
		rmdir "$d" 2>/dev/null
	done
	for d in "$c"/hosts/*/; do [[ -d $d ]] && rmdir "$d" 2>/dev/null; done
	ip -all netns delete 2>/dev/null
	# Dependents first: a few passes, since rmmod knows no order.
	for _ in 1 2 3 4; do
		awk '$1 ~ /^(nvme|nvmet|null_blk|mptcp_compat)/ { print $1 }' /proc/modules |
			while read -r m; do rmmod "$m" 2>/dev/null; done
	done
	# The guest's own /etc, in RAM: put back as booted.
	# (busybox find has no -delete.)
	shopt -s dotglob nullglob
	(cd /etc && rm -rf -- *)
	cp -a /run/etc.boot/. /etc
	(cd /tmp && rm -rf -- *)
	shopt -u dotglob nullglob
	left=$(awk '$1 ~ /^(nvme|nvmet|null_blk|mptcp_compat)/ { printf "%s ", $1 }' /proc/modules)
	[[ -z $left ]] || echo "NVMT: reset left modules loaded: $left" | tee /dev/kmsg
}

for entry in "${batch[@]}"; do
	IFS=: read -r -a words <<<"$entry"
	echo "NVMT-BEGIN $entry" >&3
	echo "NVMT: scenario start $entry" | tee /dev/kmsg
	start=$(date +%s)
	# A scenario that hangs in userspace ends here; one that hangs the
	# kernel is the host's watchdog's business.
	timeout -s KILL "${limit:-900}" bash "/scenarios/${words[0]}.sh" "${words[@]:1}" 2>&1 | tee /tmp/scenario.log
	rc=${PIPESTATUS[0]}
	secs=$(($(date +%s) - start))
	echo "NVMT: scenario end rc=$rc" | tee /dev/kmsg
	lines=$(grep -a -E '^(RESULT|FIGURE):' /tmp/scenario.log)
	# Before the report: what the reset logs belongs to this scenario.
	reset_between
	{
		echo "NVMT-RC: $rc"
		echo "NVMT-SECONDS: $secs"
		[[ -z $lines ]] || echo "$lines"
		echo "NVMT-DMESG-BEGIN"
		dmesg -c
		echo "NVMT-DMESG-END"
		echo "NVMT-END $entry"
	} >&3
done
echo "NVMT-SENTINEL" >&3
# Let the UART drain before power-off.
exec 3>&-
sleep 1
echo o >/proc/sysrq-trigger
poweroff -f
