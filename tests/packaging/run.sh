#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# The packages, built and used as a user would use them. One line per check,
# as tests/run-matrix.sh prints them, then "N passed, N failed"; exit 1 if any
# check failed.
#   run.sh [--suites bookworm,sid] [--boot 6.1,6.12-deb12,7.2|none] [--out DIR]
#
# - builds the .deb (dh-dkms) and the .rpm (rpmbuild -bb), checks what they
#   ship, runs lintian on the .deb and lists the .rpm (rpm -qlp);
# - in a throw-away copy (overlay) of each suite's cached bench chroot
#   (bookworm: dkms 3.0.10, sid: the newest dkms), installs the .deb with
#   apt: its postinst has dkms build, sign and install the modules for the
#   suite's kernels. One kernel's headers are held back and then "installed",
#   running dkms' kernel hook the way a kernel package's postinst does
#   (our kernel hook). Then the hooks again for a kernel that cannot host
#   nvme-mptcp and for one our build fails on: each must say why in one line
#   and succeed, or the kernel package's postinst would fail. In sid, first the recipe without
#   packages: dkms add, build, install from /usr/src;
# - boots the DKMS-built modules in QEMU (scenario load-unload).
# Needs root and the bench (tests/install-deps.sh, tests/vm/chroot.sh); the
# cached chroots are never written to.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=../vm/common.sh
. "$top/tests/vm/common.sh"

suites=bookworm,sid
boot=6.1,6.12-deb12,7.2
out=$top/test-results/packaging
while (($#)); do
	case $1 in
	--suites) suites=${2:?} && shift ;;
	--boot) boot=${2:?} && shift ;;
	--out) out=${2:?} && shift ;;
	*) die "usage: run.sh [--suites LIST] [--boot LIST|none] [--out DIR]" ;;
	esac
	shift
done
IFS=, read -r -a suites <<<"$suites"
[[ $boot == none ]] && boot=
IFS=, read -r -a boot <<<"$boot"
[[ $EUID -eq 0 ]] || die "run as root (chroot, mount, apt)"
for k in "${boot[@]}"; do kernel_row "$k" >/dev/null; done

mkdir -p "$out"
out=$(cd "$out" && pwd)
# Results of an earlier run are replaced; anything else is left alone.
if [[ -n $(ls -A "$out") ]]; then
	[[ -f $out/summary.txt ]] || die "$out is not empty and holds no earlier results: choose another --out"
	rm -rf "${out:?}"/*
fi
summary=$out/summary.txt
: >"$summary"
: >"$out/steps.log"
passed=0 failed=0
t0=$SECONDS

# check WHAT TEST LOG CMD...: a timed check, run in a subshell (fail ends
# it); its output goes to LOG, whose last line is the reason given on failure.
check() {
	local what=$1 test=$2 log=$3 start=$SECONDS
	shift 3
	if ("$@") >"$log" 2>&1; then
		report PASS "$what" "$test" $((SECONDS - start))
	else
		report FAIL "$what" "$test" $((SECONDS - start)) "$(tail -n1 "$log")" "$log"
		return 1
	fi
}

fail() {
	echo "$*"
	exit 1
}

host_deps() {
	"$top/tests/install-deps.sh"
	local p missing=()
	for p in debhelper dh-dkms lintian rpm; do
		[[ $(dpkg-query -W -f '${db:Status-Abbrev}' "$p" 2>/dev/null) == ii* ]] || missing+=("$p")
	done
	((${#missing[@]} == 0)) && return
	apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# What a package must ship (paths under the dkms source dir) and never ship.
required=(dkms.conf Makefile Kbuild btf-abi/btf-abi-gen btf-abi/btf.py btf-abi/spec/nvmet.abi
	kcompat/check-config.sh kcompat/conftest.sh kcompat/kcompat.h kcompat/nvme-tcp-wire.h
	mptcp-compat/Kbuild nvme-mptcp-host/Kbuild nvmet-mptcp/Kbuild)
executable=(btf-abi/btf-abi-gen kcompat/check-config.sh kcompat/conftest.sh)
forbidden='/(tests|bench|generated|test-results|packaging|\.git|__pycache__)(/|$)|\.(o|ko|ko\.xz|mod|mod\.c|cmd|pyc)$|/(Module\.symvers|modules\.order)$'

# check_listing SRCDIR MODPROBE_FILE < "MODE PATH" lines of a package.
check_listing() {
	local srcdir=$1 modprobe=$2 listing f bad=0
	listing=$(cat)
	for f in "${required[@]}"; do
		grep -q " $srcdir/$f\$" <<<"$listing" || { echo "missing: $srcdir/$f"; bad=1; }
	done
	for f in "${executable[@]}"; do
		grep -Eq "^-rwx.* $srcdir/$f\$" <<<"$listing" || { echo "not executable: $srcdir/$f"; bad=1; }
	done
	grep -q " $modprobe\$" <<<"$listing" || { echo "missing: $modprobe"; bad=1; }
	if grep -E " $srcdir/" <<<"$listing" | grep -E "$forbidden"; then
		echo "ships files the build does not need (above)"
		bad=1
	fi
	echo "$(grep -c " $srcdir/" <<<"$listing") entries under $srcdir"
	((bad == 0)) || fail "package contents wrong (see above)"
}

# check_rejoin_listing MANPAGE < "MODE PATH" lines: nvme-mptcp-rejoin, its
# unit and its manual page are shipped.
check_rejoin_listing() {
	local listing
	listing=$(cat)
	grep -Eq "^-rwx.* /usr/sbin/nvme-mptcp-rejoin\$" <<<"$listing" ||
		fail "no executable /usr/sbin/nvme-mptcp-rejoin"
	grep -Eq " (/usr)?/lib/systemd/system/nvme-mptcp-rejoin\.service\$" <<<"$listing" ||
		fail "missing: nvme-mptcp-rejoin.service"
	grep -q " $1\$" <<<"$listing" || fail "missing: $1"
}

version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/dkms.conf")
srcdir=/usr/src/nvme-mptcp-$version

check_deb() {
	local listing h
	listing=$(dpkg-deb -c "$deb" | awk '{ sub(/^\./, "", $6); print $1, $6 }' | sed 's|/$||')
	check_listing "$srcdir" /lib/modprobe.d/nvmet-mptcp.conf <<<"$listing"
	for h in postinst.d header_postinst.d; do
		grep -Eq "^-rwx.* /etc/kernel/$h/nvme-mptcp-dkms\$" <<<"$listing" ||
			fail "no executable kernel hook /etc/kernel/$h/nvme-mptcp-dkms"
	done
	grep -q " /etc/modprobe.d/nvme-mptcp.conf\$" <<<"$listing" || fail "missing: /etc/modprobe.d/nvme-mptcp.conf"
	check_rejoin_listing /usr/share/man/man8/nvme-mptcp-rejoin.8.gz <<<"$listing"
	dpkg-deb -f "$deb" Depends | tee /dev/stderr | grep -q 'dkms (>= ' || fail "no versioned dkms dependency"
	local d
	for d in python3 make xz-utils zstd lz4 lzop; do
		dpkg-deb -f "$deb" Depends | grep -Eq "(^|, )$d(,|$| )" || fail "does not depend on $d"
	done
}

check_rpm() {
	rpm -qp --qf '[%{FILEMODES:perms} %{FILENAMES}\n]' "$rpm" |
		check_listing "$srcdir" /usr/lib/modprobe.d/nvmet-mptcp.conf
	rpm -qp --qf '[%{FILEMODES:perms} %{FILENAMES}\n]' "$rpm" |
		check_rejoin_listing /usr/share/man/man8/nvme-mptcp-rejoin.8
	echo "rpm -qlp:"
	rpm -qlp "$rpm" | grep -v "^$srcdir/.*/"
	local d reqs
	reqs=$(rpm -qp --requires "$rpm")
	for d in dkms python3 make xz zstd lz4 lzop; do
		grep -Eq "^$d( |$)" <<<"$reqs" || fail "does not require $d"
	done
	rpm -qp --scripts "$rpm" | grep -q 'dkms add' || fail "no dkms add in %post"
	rpm -qpc "$rpm" | grep -qx /etc/modprobe.d/nvme-mptcp.conf || fail "/etc/modprobe.d/nvme-mptcp.conf is not a config file"
}

# --- the throw-away chroot of a suite (vm/overlay.sh) ---------------------
# shellcheck source=../vm/overlay.sh
. "$top/tests/vm/overlay.sh"
trap close_chroot EXIT

# apt's downloads are kept between runs, per suite.
aptcache() { echo "$NVMT_CACHE/packaging/apt-$1"; }

# apt_install SUITE PACKAGE...: apt-get install in the chroot, the .debs
# kept in the cache between runs.
apt_install() {
	local suite=$1 cache rc=0
	shift
	cache=$(aptcache "$suite")
	mkdir -p "$cache"
	find "$cache" -name '*.deb' -exec cp -t "$root/var/cache/apt/archives/" {} +
	[[ -n $(find "$root/var/lib/apt/lists" -maxdepth 1 -name '*Packages*' -print -quit) ]] ||
		in_chroot apt-get update -q
	in_chroot apt-get install -y -q --no-install-recommends "$@" || rc=$?
	find "$root/var/cache/apt/archives" -maxdepth 1 -name '*.deb' -exec cp -n -t "$cache/" {} +
	return $rc
}

# openssl: dkms makes its MOK key with it and signs what it builds.
install_deb() {
	cp "$deb" "$root/tmp/"
	apt_install "$1" "/tmp/${deb##*/}" openssl
}

# rejoin_installed: nvme-mptcp-rejoin is installed, its service is not
# enabled (it changes MPTCP endpoints: the user turns it on), and it runs.
rejoin_installed() {
	[[ -x $root/usr/sbin/nvme-mptcp-rejoin ]] || fail "no executable /usr/sbin/nvme-mptcp-rejoin"
	[[ ! -e $root/etc/systemd/system/multi-user.target.wants/nvme-mptcp-rejoin.service ]] ||
		fail "the package enabled nvme-mptcp-rejoin.service"
	in_chroot nvme-mptcp-rejoin -n -1 || fail "nvme-mptcp-rejoin -n -1 failed"
}

# The README's recipe without packages: the source tree in /usr/src, then
# dkms add, build, install. Removed again, for the package to come.
manual_dkms() {
	local suite=$1 kver=$2
	apt_install "$suite" dkms openssl || fail "cannot install dkms"
	cp -a "$pkgs/nvme-mptcp-$version" "$root/usr/src/"
	in_chroot dkms add "nvme-mptcp/$version" || fail "dkms add failed"
	in_chroot dkms build "nvme-mptcp/$version" -k "$kver" || fail "dkms build failed"
	in_chroot dkms install "nvme-mptcp/$version" -k "$kver" || fail "dkms install failed"
	(check_installed "$kver") || exit 1
	in_chroot dkms remove "nvme-mptcp/$version" --all || fail "dkms remove failed"
	rm -rf "${root:?}/usr/src/nvme-mptcp-$version"
	[[ -z $(find "$root/lib/modules/$kver/updates/dkms" -name '*mptcp*' 2>/dev/null) ]] ||
		fail "dkms remove left modules in /lib/modules/$kver/updates/dkms"
}

# check_installed KVER [packaged]: the built modules of a kernel are
# installed where dkms.conf says, for it; with the package's modprobe.d file,
# nvmet's tcp transport resolves to ours.
check_installed() {
	local kver=$1 packaged=${2:-} m f
	in_chroot dkms status -m nvme-mptcp -v "$version" -k "$kver"
	in_chroot dkms status -m nvme-mptcp -v "$version" -k "$kver" | grep -q ': installed' ||
		fail "dkms status: not installed for $kver"
	for m in mptcp-compat nvme-mptcp nvmet-mptcp; do
		f=$(find "$root/lib/modules/$kver/updates/dkms" -name "$m.ko*" 2>/dev/null | head -n1)
		[[ -n $f ]] || fail "no $m in /lib/modules/$kver/updates/dkms"
		in_chroot modinfo -F vermagic "${f#"$root"}" | grep -q "^$kver " || fail "$m: vermagic is not $kver"
	done
	[[ -n $packaged ]] || return 0
	in_chroot modprobe -S "$kver" --show-depends nvmet-transport-3 | tee /dev/stderr |
		grep -q 'updates/dkms/nvmet-mptcp\.ko' || fail "nvmet-transport-3 does not resolve to nvmet-mptcp"
}

# installed_all KVER...: dkms says installed for each.
installed_all() {
	local kver
	for kver in "$@"; do
		in_chroot dkms status -m nvme-mptcp -v "$version" -k "$kver" | tee /dev/stderr |
			grep -q ': installed' || fail "not installed for $kver"
	done
}

# dkms signed them with its own MOK key (what Secure Boot users enrol).
check_signed() {
	local kver=$1 f signer
	in_chroot openssl x509 -inform DER -in /var/lib/dkms/mok.pub -noout -subject ||
		fail "no DKMS MOK certificate /var/lib/dkms/mok.pub"
	for f in "$root/lib/modules/$kver/updates/dkms"/*.ko*; do
		signer=$(in_chroot modinfo -F signer "${f#"$root"}")
		echo "${f##*/}: signer: $signer"
		[[ $signer == "DKMS module signing key" ]] || fail "${f##*/} is not signed with the DKMS key"
	done
}

# Uncompressed copies of the DKMS-built modules, for the VM bench.
collect_modules() {
	local kver=$1 dest=$2 f name
	rm -rf "$dest"
	mkdir -p "$dest"
	for f in "$root/lib/modules/$kver/updates/dkms"/*.ko*; do
		name=${f##*/}
		case $f in
		*.ko.xz) xz -dc "$f" >"$dest/${name%.xz}" ;;
		*.ko.zst) zstd -qdc "$f" >"$dest/${name%.zst}" ;;
		*.ko.gz) gzip -dc "$f" >"$dest/${name%.gz}" ;;
		*.ko) cp "$f" "$dest/" ;;
		esac
	done
	ls -l "$dest"
}

# What a kernel package's postinst does: run-parts on /etc/kernel/postinst.d.
# kernel_postinst KVER [HOOKS]: HOOKS is header_postinst.d for what a
# headers package's postinst runs.
kernel_postinst() {
	in_chroot run-parts --report --exit-on-error --arg="$1" --arg="/boot/vmlinuz-$1" "/etc/kernel/${2:-postinst.d}"
}

# A kernel dkms has headers for, but that lacks CONFIG_MPTCP: installing it
# must succeed, our module refused in one line and not built.
fake_kernel() {
	local kver=$1 like=$2 d=$root/lib/modules/$1
	mkdir -p "$d/build/include" "$d/kernel"
	# (build is an absolute symlink: read it inside the chroot)
	in_chroot cat "/lib/modules/$like/build/.config" | grep -v '^CONFIG_MPTCP=' >"$d/build/.config"
	touch "$d/modules.dep" "$d/modules.order" "$d/modules.builtin"
}

unsupported_kernel() {
	local kver=0.0.0-nvmt-nomptcp rc=0 text n
	fake_kernel "$kver" "$1"
	text=$(kernel_postinst "$kver" 2>&1) || rc=$?
	echo "$text"
	((rc == 0)) || fail "kernel postinst hooks failed (exit $rc): the kernel package would not install"
	n=$(grep -c "^nvme-mptcp: kernel built without CONFIG_MPTCP" <<<"$text" || true)
	((n == 1)) || fail "$n lines from nvme-mptcp saying why it is not built, not 1"
	[[ ! -d $root/var/lib/dkms/nvme-mptcp/$version/$kver ]] || fail "dkms built something for $kver"
	rm -rf "${root:?}/lib/modules/$kver"
}

# A kernel that passes every check but our build fails on (its headers lack
# include/generated, so the ABI generator stops): its kernel and headers
# packages must still install. Their postinst hooks exit 0, one line from
# nvme-mptcp says why it was not built, and nothing is left built for it.
build_fails_kernel() {
	local kver=0.0.0-nvmt-buildfails rc hooks text n
	fake_kernel "$kver" "$1"
	in_chroot cat "/lib/modules/$1/build/.config" >"$root/lib/modules/$kver/build/.config"
	for hooks in postinst.d header_postinst.d; do
		rc=0
		text=$(kernel_postinst "$kver" "$hooks" 2>&1) || rc=$?
		echo "--- /etc/kernel/$hooks (exit $rc)"
		echo "$text"
		((rc == 0)) || fail "kernel $hooks hooks failed (exit $rc): the kernel package would not install"
		n=$(grep -c "^nvme-mptcp: not built for $kver, which installs without it: btf-abi-gen: " <<<"$text" || true)
		((n == 1)) || fail "$hooks: $n lines from nvme-mptcp saying why it is not built, not 1"
	done
	in_chroot dkms status -m nvme-mptcp -v "$version" -k "$kver" | grep -q ': installed' &&
		fail "dkms says installed for $kver"
	[[ -z $(find "$root/lib/modules/$kver" -name '*mptcp*.ko*') ]] || fail "modules left in /lib/modules/$kver"
	rm -rf "${root:?}/lib/modules/$kver"
}

# dkms versions that ignore BUILD_EXCLUSIVE_CONFIG still stop at PRE_BUILD
# (check-config), with its line on the terminal: shown here with a kernel that
# passes the config test but has no modules.
pre_build_refuses() {
	local kver=0.0.0-nvmt-nomodules rc=0 text
	fake_kernel "$kver" "$1"
	in_chroot cat "/lib/modules/$1/build/.config" >"$root/lib/modules/$kver/build/.config"
	rm "$root/lib/modules/$kver/modules.dep"
	text=$(in_chroot dkms build -m nvme-mptcp -v "$version" -k "$kver" 2>&1) || rc=$?
	echo "$text"
	# dkms >= 3.1 logs the PRE_BUILD script's output to make.log.
	text+=$'\n'$(cat "$root/var/lib/dkms/nvme-mptcp/$version/build/make.log" 2>/dev/null)
	((rc != 0)) || fail "dkms build succeeded for a kernel without modules"
	grep -q "^nvme-mptcp: no modules at /lib/modules/$kver" <<<"$text" || fail "no one-line reason from PRE_BUILD"
	in_chroot dkms remove -m nvme-mptcp -v "$version" -k "$kver" >/dev/null 2>&1 || true
	rm -rf "${root:?}/lib/modules/$kver"
}

# --- run --------------------------------------------------------------------
step host-deps host_deps || { totals; exit 1; }
for s in "${suites[@]}"; do
	step "chroot-$s" "$top/tests/vm/chroot.sh" "$s" || { totals; exit 1; }
done

pkgs=$out/packages
mkdir -p "$pkgs"
deb='' rpm=''
check packaging deb-build "$out/deb-build.log" "$here/build.sh" deb "$pkgs" &&
	deb=$(tail -n1 "$out/deb-build.log")
if [[ -n $deb ]]; then
	check packaging deb-contents "$out/deb-contents.log" check_deb || true
	check packaging deb-lintian "$out/deb-lintian.log" \
		lintian --fail-on error,warning --display-info --pedantic "$deb" || true
fi
step source-tree "$here/build.sh" src "$pkgs" || true
check packaging rpm-build "$out/rpm-build.log" "$here/build.sh" rpm "$pkgs" &&
	rpm=$(tail -n1 "$out/rpm-build.log")
[[ -n $rpm ]] && { check packaging rpm-contents "$out/rpm-contents.log" check_rpm || true; }

declare -A modules_of=()
for s in "${suites[@]}"; do
	[[ -n $deb ]] || break
	mkdir -p "$out/$s"
	mapfile -t ids < <(awk -v s="$s" '!/^#/ && NF >= 4 && $2 == s { print $1 }' "$NVMT_VM_DIR/kernels.list")
	declare -A kver_of=()
	for k in "${ids[@]}"; do kver_of[$k]=$(kernel_kver "$k"); done
	step "open-$s" open_chroot "$s" || { close_chroot; continue; }
	# The last kernel of the suite comes later, as when a kernel package is
	# installed: its headers are held back until the package is in (or, the
	# only kernel of the suite, its DKMS build is removed again).
	late=${ids[${#ids[@]} - 1]}
	lbuild=$root/lib/modules/${kver_of[$late]}/build
	((${#ids[@]} > 1)) && mv "$lbuild" "$lbuild.held"
	# dkms add/build/install by hand, on the newest dkms only (sid): one
	# more build of its (quickest) kernel.
	if [[ $s == sid && -d $pkgs/nvme-mptcp-$version ]]; then
		check "${ids[0]}" dkms-add-build-install "$out/$s/manual-dkms.log" manual_dkms "$s" "${kver_of[${ids[0]}]}" || true
	fi
	if check "$s" deb-install "$out/$s/install.log" install_deb "$s"; then
		in_chroot dkms status >>"$out/$s/install.log" 2>&1 || true
		check "$s" rejoin-installed-off "$out/$s/rejoin.log" rejoin_installed || true
		# The package's own postinst built for every kernel with headers.
		built_at_install=()
		for k in "${ids[@]}"; do
			[[ $k == "$late" && -L $lbuild.held ]] || built_at_install+=("${kver_of[$k]}")
		done
		check "$s" deb-install-built "$out/$s/install-built.log" installed_all "${built_at_install[@]}" || true
		if [[ -L $lbuild.held ]]; then
			mv "$lbuild.held" "$lbuild"
		else
			in_chroot dkms unbuild -m nvme-mptcp -v "$version" -k "${kver_of[$late]}" >>"$out/$s/install.log" 2>&1 || true
		fi
		check "$late" kernel-hook-autoinstall "$out/$s/hook-$late.log" kernel_postinst "${kver_of[$late]}" || true
		for k in "${ids[@]}"; do
			mkdir -p "$out/$k"
			if check "$k" dkms-installed "$out/$k/dkms-installed.log" check_installed "${kver_of[$k]}" packaged; then
				collect_modules "${kver_of[$k]}" "$out/$k/dkms-modules" >>"$out/$k/dkms-installed.log" 2>&1 &&
					modules_of[$k]=$out/$k/dkms-modules
				check "$k" dkms-signed "$out/$k/dkms-signed.log" check_signed "${kver_of[$k]}" || true
			fi
			cp -r "$root/var/lib/dkms/nvme-mptcp/$version/${kver_of[$k]}/x86_64/log" "$out/$k/dkms-log" 2>/dev/null || true
		done
		check "$s" kernel-hook-unsupported "$out/$s/hook-unsupported.log" unsupported_kernel "${kver_of[${ids[0]}]}" || true
		check "$s" kernel-hook-build-fails "$out/$s/hook-build-fails.log" build_fails_kernel "${kver_of[${ids[0]}]}" || true
		check "$s" pre-build-refuses "$out/$s/pre-build.log" pre_build_refuses "${kver_of[${ids[0]}]}" || true
	fi
	close_chroot
	unset kver_of
done

# Boot the DKMS-built modules: load, refcounts, unload.
accel=${NVMT_ACCEL:-}
for k in "${boot[@]}"; do
	if [[ -z ${modules_of[$k]:-} ]]; then
		report FAIL "$k" dkms-load-unload 0 "no DKMS-built modules for $k" "$out"
		continue
	fi
	initrd=$out/$k/initramfs.cpio
	step "initramfs-$k" "$top/tests/vm/mkinitramfs.sh" "$k" "${modules_of[$k]}" "$initrd" || continue
	if [[ -z $accel ]]; then
		accel=$("$top/tests/vm/run.sh" --probe-kvm "$k" "$initrd")
		echo "accelerator: $accel" | tee -a "$summary"
	fi
	start=$SECONDS
	if NVMT_ACCEL=$accel NVMT_INITRAMFS=$initrd "$top/tests/vm/run.sh" "$k" load-unload "$out/$k/load-unload" \
		>"$out/$k/load-unload.log" 2>&1; then
		report PASS "$k" dkms-load-unload $((SECONDS - start))
	else
		report FAIL "$k" dkms-load-unload $((SECONDS - start)) \
			"$(head -n1 "$out/$k/load-unload/result.txt" 2>/dev/null || tail -n1 "$out/$k/load-unload.log")" \
			"$out/$k/load-unload"
	fi
	rm -f "$initrd"
done

totals
