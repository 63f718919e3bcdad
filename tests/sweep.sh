#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# The build sweep (make sweep): build nvme-mptcp, without booting, for every
# Debian kernel whose headers the archive still holds, in every flavour
# (generic, cloud, rt), each in a throw-away copy of its suite's chroot, as
# a user's dkms would: the kernel image and headers packages installed, then
# make. One line per kernel, a Markdown table, then "N passed, N failed".
#   sweep.sh [--suites bookworm,trixie,trixie-backports,sid] [--match REGEX] [--out DIR]
# --match keeps the kernels whose release matches (e.g. '^7\.3\.').
# A kernel is swept once, in the first suite (in --suites order) listing it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=vm/common.sh
. "$here/vm/common.sh"
# shellcheck source=vm/overlay.sh
. "$here/vm/overlay.sh"

suites=bookworm,trixie,trixie-backports,sid
match=.
out=$here/../test-results/sweep
while (($#)); do
	case $1 in
	--suites) suites=${2:?} && shift ;;
	--match) match=${2:?} && shift ;;
	--out) out=${2:?} && shift ;;
	*) die "usage: sweep.sh [--suites LIST] [--match REGEX] [--out DIR]" ;;
	esac
	shift
done
IFS=, read -r -a suites <<<"$suites"
[[ $EUID -eq 0 ]] || die "run as root (chroot, mount, apt)"
mkdir -p "$out"
out=$(cd "$out" && pwd)
summary=$out/summary.txt
table=$out/sweep.md
: >"$summary"
: >"$out/steps.log"
passed=0 failed=0
t0=$SECONDS
trap close_chroot EXIT

step install-deps "$here/install-deps.sh" || { totals; exit 1; }
for s in "${suites[@]}"; do step "chroot-$s" "$here/vm/chroot.sh" "$s" || { totals; exit 1; }; done

# The kernel releases with headers in the archive, as the chroot's apt sees
# them: linux-headers-RELEASE for the amd64, cloud-amd64 and rt-amd64 flavours.
archive_kernels() {
	# X.Y.Z: releases, not meta packages such as linux-headers-6.12-amd64.
	in_chroot apt-cache search --names-only '^linux-headers-[0-9]+\.[0-9]+\.[0-9][^ ]*-(amd64|cloud-amd64|rt-amd64)$' |
		awk '{ sub("^linux-headers-", "", $1); print $1 }' | grep -E -- "$match" | sort -V || true
}

flavour_of() {
	case $1 in
	*-cloud-amd64) echo cloud ;;
	*-rt-amd64) echo rt ;;
	*) echo generic ;;
	esac
}

# sweep_one KVER LOG: install that kernel's image and headers, build, remove.
sweep_one() {
	local kver=$1 log=$2 rc=0
	in_chroot apt-get install -y -q --no-install-recommends "linux-image-$kver" "linux-headers-$kver" \
		>"$log" 2>&1 || { echo "apt-get install of linux-image/headers-$kver failed" >>"$log"; return 2; }
	copy_sources "$root/build/nvme-mptcp"
	in_chroot make -C /build/nvme-mptcp -j"$(nproc)" KVER="$kver" >>"$log" 2>&1 || rc=1
	# Disk stays bounded: each kernel is gone before the next comes.
	in_chroot apt-get purge -y -q "linux-image-$kver" "linux-headers-$kver" >/dev/null 2>&1 || true
	in_chroot apt-get autoremove -y -q --purge >/dev/null 2>&1 || true
	in_chroot apt-get clean >/dev/null 2>&1 || true
	rm -rf "$root/build/nvme-mptcp" "$root/lib/modules/$kver" "$root/usr/lib/modules/$kver"
	return $rc
}

# The first line of a failed build's log that says why.
# (apt's "E: Can not write log" about /dev/pts is noise, not a reason.)
why_failed() {
	grep -m1 -E '^(btf-abi-gen|kcompat|nvme-mptcp): | error: ' "$1" ||
		grep -m1 -E 'apt-get install .* failed' "$1" || grep -m1 -F '***' "$1" || tail -n1 "$1"
}

{
	echo "| kernel | flavour | suite | build | seconds |"
	echo "|---|---|---|---|---|"
} >"$table"
declare -A seen=()
for s in "${suites[@]}"; do
	step "open-$s" open_chroot "$s" || { close_chroot; continue; }
	step "apt-update-$s" in_chroot apt-get update -q || { close_chroot; continue; }
	mapfile -t kvers < <(archive_kernels)
	echo "suite $s: ${#kvers[@]} kernels" | tee -a "$summary"
	for kver in "${kvers[@]}"; do
		[[ -z ${seen[$kver]:-} ]] || continue
		seen[$kver]=$s
		log=$out/$kver.log
		start=$SECONDS
		if sweep_one "$kver" "$log"; then
			report PASS "$kver" build $((SECONDS - start))
			result=ok
		else
			reason=$(why_failed "$log")
			report FAIL "$kver" build $((SECONDS - start)) "$reason" "$log"
			result="**failed**: ${reason//|/\\|}"
		fi
		echo "| $kver | $(flavour_of "$kver") | $s | $result | $((SECONDS - start)) |" >>"$table"
	done
	close_chroot
done
echo "swept on $(date -u +%F): $((passed + failed)) kernels" >>"$table"

# The same, one row per series, suite and flavour (the README's table).
{
	echo
	echo "| series | suite | flavour | releases | built |"
	echo "|---|---|---|---|---|"
	awk -F' *[|] *' 'NR > 2 && $2 ~ /^[0-9]/ {
		split($2, v, ".")
		rel = $2
		sub(/-(cloud-|rt-)?amd64$/, "", rel)
		key = v[1] "." v[2] "|" $4 "|" $3
		total[key]++
		ok[key] += ($5 == "ok")
		rels[key] = rels[key] (rels[key] == "" ? "" : ", ") rel
	} END {
		for (k in total) {
			split(k, p, "|")
			printf "| %s | %s | %s | %s | %d of %d |\n", p[1], p[2], p[3], rels[k], ok[k], total[k]
		}
	}' "$table" | sort -V
} >"$table.by-series"
cat "$table.by-series" >>"$table"
rm -f "$table.by-series"
# A sweep that found no kernel at all tested nothing.
((passed + failed > 0)) || report FAIL sweep kernels 0 "no kernel found in the archive" "$out/steps.log"
totals
