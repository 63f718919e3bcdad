# shellcheck shell=bash
# A throw-away copy of a suite's cached chroot, for tests that install
# packages (tests/packaging/run.sh, tests/sweep.sh); the cached chroot is
# never written to. Needs common.sh. open_chroot SUITE sets root (the
# chroot, /proc mounted) and scratch; close_chroot undoes all of it and is
# safe to call twice, so callers trap it on EXIT.
root=
scratch=

# Overlay on the cached chroot; a full copy where overlayfs cannot be
# mounted (e.g. inside a container).
open_chroot() {
	local suite=$1 lower
	lower=$(chroot_dir "$suite")
	[[ -d $lower ]] || { echo "no chroot $lower (tests/vm/chroot.sh $suite)"; return 1; }
	mkdir -p "$NVMT_CACHE/overlays" || return
	# Callers run this under `if` or `||`, where set -e is off: every step
	# returns on failure, and root is set only once scratch is real.
	scratch=$(mktemp -d "$NVMT_CACHE/overlays/$suite.XXXXXX") || return
	[[ -d $scratch ]] || return
	root=$scratch/root
	mkdir -p "$scratch"/{upper,work} "$root" || return
	if ! mount -t overlay overlay -o "lowerdir=$lower,upperdir=$scratch/upper,workdir=$scratch/work" "$root"; then
		echo "overlayfs not available, copying $lower"
		cp -a "$lower/." "$root/" || return
	fi
	mount -t proc proc "$root/proc" || return
	cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
}

close_chroot() {
	local m
	if [[ -n $root ]]; then
		for m in "$root/proc" "$root"; do
			if mountpoint -q "$m"; then umount "$m" || umount -l "$m"; fi
		done
	fi
	# Never let rm cross a mount point.
	[[ -n $scratch ]] && rm -rf --one-file-system "$scratch"
	root='' scratch=''
	return 0
}

in_chroot() {
	chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 \
		DEBIAN_FRONTEND=noninteractive "$@"
}
