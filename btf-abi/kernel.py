# SPDX-License-Identifier: GPL-2.0
"""Locate one kernel's BTF inputs and check that they belong to that kernel.

A kernel is named by its release (KVER) and its headers directory.  Module
BTF is accepted only from a module built for exactly that release, and only
if it reads consistently against the base BTF chosen for that release.
"""

import os
import re

import btf
import unpack


class InputError(Exception):
    pass


def kernel_release(kdir):
    """The release modules built against kdir get in their vermagic."""
    path = os.path.join(kdir, "include/generated/utsrelease.h")
    try:
        with open(path) as f:
            m = re.search(r'#define\s+UTS_RELEASE\s+"([^"]+)"', f.read())
    except OSError:
        m = None
    if not m:
        raise InputError(f"{path} is missing: {kdir} is not a prepared "
                         "kernel headers directory")
    return m.group(1)


def _modinfo(data, origin):
    sec = btf.elf_section(data, ".modinfo", origin) or b""
    info = {}
    for item in sec.split(b"\0"):
        if b"=" in item:
            key, val = item.split(b"=", 1)
            info.setdefault(key.decode(), val.decode("utf-8", "replace"))
    return info


def module_release(info):
    return info.get("vermagic", "").split(" ", 1)[0]


def norm(name):
    return name.replace("-", "_")


class Kernel:
    def __init__(self, kver, kdir, moddir, base_btf=None):
        self.kver = kver
        self.kdir = kdir
        self.moddir = moddir
        self.base_path = base_btf or self._find_base()
        self.base = self._load_base()
        self._modules = None
        self.loaded = {}

    # base BTF: the headers' vmlinux, the running kernel's, or the image's
    def _find_base(self):
        cand = os.path.join(self.kdir, "vmlinux")
        if os.path.exists(cand):
            return cand
        if os.uname().release == self.kver and \
                os.path.exists("/sys/kernel/btf/vmlinux"):
            return "/sys/kernel/btf/vmlinux"
        for image in (f"/boot/vmlinuz-{self.kver}",
                      os.path.join(self.moddir, "vmlinuz")):
            if os.path.exists(image):
                return image
        raise InputError(
            f"no base BTF for {self.kver}: none of {cand}, "
            f"/sys/kernel/btf/vmlinux (running {os.uname().release}), "
            f"/boot/vmlinuz-{self.kver} exists; install the kernel image "
            "package of that release")

    def _load_base(self):
        path = self.base_path
        with open(path, "rb") as f:
            head = f.read(4)
        if head in (b"\x7fELF",) or path.startswith("/sys/"):
            return btf.load_base(path)
        try:
            elf = unpack.vmlinux_from_bzimage(path)
        except unpack.UnpackError as err:
            raise InputError(f"cannot read the base BTF: {err}") from None
        banner = f"Linux version {self.kver} ".encode()
        if banner not in elf:
            found = re.search(rb"Linux version (\S+) ", elf)
            other = found.group(1).decode() if found else "an unknown release"
            raise InputError(f"{path} is {other}, not {self.kver}")
        sec = btf.elf_section(elf, ".BTF", path)
        if sec is None:
            raise InputError(f"{path}: kernel built without BTF "
                             "(CONFIG_DEBUG_INFO_BTF)")
        return btf.Btf(sec, origin=path)

    def _index_modules(self):
        """Module name -> path, as depmod resolved it (updates/ wins)."""
        dep = os.path.join(self.moddir, "modules.dep")
        mods = {}
        try:
            with open(dep) as f:
                for line in f:
                    rel = line.split(":", 1)[0]
                    base = os.path.basename(rel)
                    name = re.sub(r"\.ko(\.(xz|gz|zst))?$", "", base)
                    mods.setdefault(norm(name), os.path.join(self.moddir, rel))
        except OSError:
            raise InputError(f"{dep} is missing: modules of {self.kver} "
                             "are not installed") from None
        builtin = set()
        try:
            with open(os.path.join(self.moddir, "modules.builtin")) as f:
                for line in f:
                    base = os.path.basename(line.strip())
                    builtin.add(norm(re.sub(r"\.ko$", "", base)))
        except OSError:
            pass
        self._modules = (mods, builtin)

    def module_btf(self, name):
        """Split BTF of a module, or None when the module is built in."""
        if name in self.loaded:
            return self.loaded[name]
        if self._modules is None:
            self._index_modules()
        mods, builtin = self._modules
        key = norm(name)
        if key not in mods:
            if key in builtin:
                self.loaded[name] = None
                return None
            raise InputError(f"{self.kver} has no {name} module and does not "
                             "build it in: the kernel lacks the NVMe "
                             "fabrics/target support this package needs")
        path = mods[key]
        try:
            data = unpack.module_bytes(path)
        except unpack.UnpackError as err:
            raise InputError(str(err)) from None
        info = _modinfo(data, path)
        rel = module_release(info)
        if rel != self.kver:
            raise InputError(f"{path} was built for {rel or 'an unknown release'}"
                             f", not for {self.kver}: refusing its BTF")
        sec = btf.elf_section(data, ".BTF", path)
        if sec is None:
            raise InputError(f"{path} carries no BTF: the kernel was built "
                             "without CONFIG_DEBUG_INFO_BTF_MODULES")
        table = btf.Btf(sec, base=self.base, origin=path)
        if not table.base_strings_aligned():
            raise InputError(f"{path}: its BTF does not fit the base BTF in "
                             f"{self.base_path}; they come from different "
                             "builds")
        self.loaded[name] = table
        return table


def public_definitions(kdir):
    """Names of struct/union/enum types the kernel's public headers define.

    Debian splits headers into an arch package and a -common package that
    the arch Makefile includes; both are searched.
    """
    roots = [kdir]
    try:
        with open(os.path.join(kdir, "Makefile")) as f:
            for line in f:
                m = re.match(r"\s*include\s+(\S+)/Makefile\s*$", line)
                if m and os.path.isdir(m.group(1)):
                    roots.append(m.group(1))
    except OSError:
        pass
    pattern = re.compile(rb"^[ \t]*(struct|union|enum)\s+(\w+)\s*\{", re.M)
    # 6.19+ declares lock types through a macro for context analysis:
    # context_lock_struct(mutex) { ... }
    lock_pattern = re.compile(rb"^[ \t]*context_lock_struct\((\w+)[^)]*\)\s*\{",
                              re.M)
    found = set()
    for root in roots:
        for sub in ("include", "arch/x86/include"):
            top = os.path.join(root, sub)
            for dirpath, _dirs, files in os.walk(top):
                for fn in files:
                    if not fn.endswith(".h"):
                        continue
                    try:
                        with open(os.path.join(dirpath, fn), "rb") as f:
                            text = f.read()
                    except OSError:
                        continue
                    for m in pattern.finditer(text):
                        found.add((m.group(1).decode(), m.group(2).decode()))
                    for m in lock_pattern.finditer(text):
                        found.add(("struct", m.group(1).decode()))
    return found
