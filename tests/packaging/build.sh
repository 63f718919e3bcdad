#!/bin/bash
# Build the packages from the working tree (what the next commit would hold):
#   build.sh deb OUTDIR   -> OUTDIR/nvme-mptcp-dkms_VERSION-REV_all.deb (dpkg-buildpackage, dh-dkms)
#   build.sh rpm OUTDIR   -> OUTDIR/nvme-mptcp-dkms-VERSION-REL.noarch.rpm (rpmbuild -bb)
#   build.sh src OUTDIR   -> OUTDIR/nvme-mptcp-VERSION/, the source tree both start from
# The version is dkms.conf's PACKAGE_VERSION; debian/changelog and the spec
# must agree with it. Needs debhelper and dh-dkms, or rpm (Debian's package).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)

what=${1:?usage: build.sh deb|rpm|src OUTDIR}
out=${2:?usage: build.sh deb|rpm|src OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)

die() { echo "build.sh: $*" >&2; exit 1; }

version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/dkms.conf")
[[ -n $version ]] || die "no PACKAGE_VERSION in dkms.conf"
deb_version=$(sed -n '1s/^nvme-mptcp (\([^)]*\)).*/\1/p' "$top/packaging/debian/changelog")
[[ ${deb_version%-*} == "$version" ]] ||
	die "packaging/debian/changelog says ${deb_version%-*}, dkms.conf says $version"
rpm_version=$(sed -n 's/^Version:[[:space:]]*//p' "$top/packaging/rpm/nvme-mptcp-dkms.spec")
[[ $rpm_version == "$version" ]] ||
	die "packaging/rpm/nvme-mptcp-dkms.spec says $rpm_version, dkms.conf says $version"

# What the packages are built from: the DKMS build set (as in debian/rules
# and the spec), dkms.conf, the modprobe.d file, the tools and the README. Files as git
# sees them (tracked or new, not ignored), never build products of a tree
# that was built in place.
shipped=(Makefile Kbuild dkms.conf README.md btf-abi kcompat mptcp-compat nvme-mptcp-host nvmet-mptcp
	packaging/modprobe.d packaging/kernel packaging/debian packaging/rpm tools)
list_sources() {
	if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
		git -C "$top" ls-files -co --exclude-standard -- "${shipped[@]}"
	else
		(cd "$top" && find "${shipped[@]}" \( -type f -o -type l \) -print)
	fi | grep -Ev '(^|/)(__pycache__/|generated/|\.[^/]*\.cmd$)|\.(o|ko|mod|mod\.c|a|pyc|dwo)$|(^|/)(Module\.symvers|modules\.order)$' |
		while IFS= read -r f; do [[ -e $top/$f ]] && printf '%s\0' "$f"; done
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
src=$tmp/nvme-mptcp-$version
mkdir -p "$src"
list_sources | tar -C "$top" --null -T - -cf - | tar -C "$src" -xf -

case $what in
src)
	rm -rf "${out:?}/nvme-mptcp-$version"
	mv "$src" "$out/"
	;;
deb)
	mv "$src/packaging/debian" "$src/debian"
	# -b: binary only, so no orig tarball is needed; -d: the build
	# dependencies are checked by the caller (debhelper, dh-dkms).
	(cd "$src" && dpkg-buildpackage -b -d -us -uc) >"$out/deb-build.log" 2>&1 ||
		die "dpkg-buildpackage failed: $(tail -n1 "$out/deb-build.log") (log: $out/deb-build.log)"
	deb=("$tmp"/nvme-mptcp-dkms_"$version"-*_all.deb)
	[[ -f ${deb[0]} ]] || die "dpkg-buildpackage made no .deb (log: $out/deb-build.log)"
	cp "${deb[@]}" "$tmp"/*.buildinfo "$tmp"/*.changes "$out/"
	echo "$out/${deb[0]##*/}"
	;;
rpm)
	mkdir -p "$tmp/rpm/SOURCES"
	tar -C "$tmp" --owner=0 --group=0 --sort=name -czf "$tmp/rpm/SOURCES/nvme-mptcp-$version.tar.gz" "nvme-mptcp-$version"
	# --nodeps: the rpm database of a Debian host is empty. The spec has no
	# build requirement beyond rpmbuild itself anyway.
	rpmbuild -bb --nodeps --define "_topdir $tmp/rpm" "$src/packaging/rpm/nvme-mptcp-dkms.spec" \
		>"$out/rpm-build.log" 2>&1 ||
		die "rpmbuild failed: $(tail -n1 "$out/rpm-build.log") (log: $out/rpm-build.log)"
	rpm=("$tmp"/rpm/RPMS/noarch/nvme-mptcp-dkms-"$version"-*.noarch.rpm)
	[[ -f ${rpm[0]} ]] || die "rpmbuild made no .rpm (log: $out/rpm-build.log)"
	cp "${rpm[@]}" "$out/"
	echo "$out/${rpm[0]##*/}"
	;;
*) die "usage: build.sh deb|rpm|src OUTDIR" ;;
esac
