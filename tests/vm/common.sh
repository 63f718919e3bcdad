# shellcheck shell=bash
# Shared by the tests/vm scripts: where things are cached, and what the kernel
# matrix (kernels.list) says about a kernel id.

NVMT_VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck disable=SC2034 # used by the scripts that source this file
NVMT_CACHE=${NVME_MPTCP_CACHE:-/var/cache/nvme-mptcp}
# The guest userspace (bash, iproute2, nvme-cli, fio, kmod) comes from this
# suite's chroot whatever kernel boots, so every initramfs behaves the same.
# shellcheck disable=SC2034
NVMT_GUEST_SUITE=bookworm
NVMT_MIRROR=http://deb.debian.org/debian

# The suites' result lines (run-matrix.sh, packaging/run.sh): the caller
# sets out (a directory), summary (a file), passed=0 failed=0 and t0=$SECONDS.
# report PASS|FAIL WHAT TEST SECONDS [REASON LOGS]
# shellcheck disable=SC2154 # summary, t0: set by the caller
report() {
	local line="$1 $2 $3 $4s"
	[[ $1 == PASS ]] && passed=$((passed + 1)) || failed=$((failed + 1))
	[[ $1 == PASS ]] || line+=": $5 (logs: $6)"
	echo "$line" | tee -a "$summary"
}

# totals: the closing "N passed, N failed" line; false if any failed.
# shellcheck disable=SC2154
totals() {
	echo "total: $((SECONDS - t0))s" | tee -a "$summary"
	echo "$passed passed, $failed failed" | tee -a "$summary"
	((failed == 0))
}

# step NAME CMD...: a setup step, timed, output in $out/steps.log. A failed
# step counts as a failed test; the caller decides what it makes impossible.
# shellcheck disable=SC2154 # out: set by the caller
step() {
	local name=$1 start=$SECONDS
	shift
	if "$@" >>"$out/steps.log" 2>&1; then
		echo "step $name: $((SECONDS - start))s" | tee -a "$summary"
	else
		report FAIL setup "$name" $((SECONDS - start)) "$(tail -n1 "$out/steps.log")" "$out/steps.log"
		return 1
	fi
}

log() { printf '[%(%T)T] %s\n' -1 "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Print "suite image-meta headers-meta" for a kernel id.
kernel_row() {
	local row
	row=$(awk -v id="$1" '$1 == id && !/^#/ { print $2, $3, $4 }' "$NVMT_VM_DIR/kernels.list")
	[[ -n $row ]] || die "kernel id '$1' is not in kernels.list"
	echo "$row"
}

kernel_suite() { local r; r=$(kernel_row "$1"); echo "${r%% *}"; }

# True if the matrix runs only the quick scenarios on this kernel.
kernel_quick() { awk -v id="$1" '$1 == id && !/^#/ && $5 == "quick" { f = 1 } END { exit !f }' "$NVMT_VM_DIR/kernels.list"; }

# Every ids of the matrix, in file order.
kernel_ids() { awk '!/^#/ && NF >= 4 { print $1 }' "$NVMT_VM_DIR/kernels.list"; }

# Image and headers meta packages of every matrix kernel of a suite.
suite_kernel_packages() {
	awk -v s="$1" '!/^#/ && $2 == s { print $3; print $4 }' "$NVMT_VM_DIR/kernels.list" | sort -u
}

# apt source lines for mmdebstrap: stable kernels live in -security too.
suite_mirrors() {
	local base=${1%-backports}
	case $base in
	bookworm | trixie)
		echo "deb $NVMT_MIRROR $base main"
		echo "deb $NVMT_MIRROR $base-updates main"
		echo "deb http://deb.debian.org/debian-security $base-security main"
		;;
	*) echo "deb $NVMT_MIRROR $base main" ;;
	esac
	[[ $1 == "$base" ]] || echo "deb $NVMT_MIRROR $1 main"
}

# The release mmdebstrap bootstraps for a suite of kernels.list.
suite_codename() { echo "${1%-backports}"; }

chroot_dir() { echo "$NVMT_CACHE/chroots/$1"; }

# copy_sources DEST: the working tree as the next commit would see it
# (tracked and untracked-but-not-ignored files), never build products of a
# host build or old test results, into a fresh DEST.
copy_sources() {
	local top
	top=$(cd "$NVMT_VM_DIR/../.." && pwd)
	rm -rf "$1"
	mkdir -p "$1"
	if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
		git -C "$top" ls-files -co --exclude-standard
	else
		(cd "$top" && find . -path ./.git -prune -o \( -type f -o -type l \) -print | sed 's|^\./||')
	fi | grep -Ev '(^|/)(test-results/|\.[^/]*\.cmd$)|\.(o|ko|mod|mod\.c|a|dwo)$|(^|/)(Module\.symvers|modules\.order)$' |
		while IFS= read -r f; do [[ -e $top/$f || -L $top/$f ]] && printf '%s\0' "$f"; done |
		tar -C "$top" --null -T - -cf - | tar -C "$1" -xf -
}

# Follow the image meta package to linux-image-<KVER> inside the chroot, so the
# matrix tracks whatever ABI the archive currently points to.
kernel_kver() {
	local suite image root deps kver
	read -r suite image _ < <(kernel_row "$1")
	root=$(chroot_dir "$suite")
	# shellcheck disable=SC2016 # a dpkg-query format, not a shell expansion
	deps=$(chroot "$root" dpkg-query -W -f '${Depends}' "$image") ||
		die "$image is not installed in $root (run chroot.sh $suite)"
	kver=$(tr ',|' '\n' <<<"$deps" | sed -n 's/^ *linux-image-\([0-9][^ ]*\).*/\1/p' | head -n1)
	[[ -n $kver && -d $root/lib/modules/$kver ]] || die "cannot resolve KVER of $image in $root"
	echo "$kver"
}

# sid splits the image: vmlinuz sits in /usr/lib/modules/KVER, not /boot.
kernel_vmlinuz() {
	local root f
	root=$(chroot_dir "$(kernel_suite "$1")")
	for f in "$root/boot/vmlinuz-$2" "$root/usr/lib/modules/$2/vmlinuz"; do
		[[ -f $f ]] && { echo "$f"; return; }
	done
	die "no vmlinuz for $2 in $root"
}
