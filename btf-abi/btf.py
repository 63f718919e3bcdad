# SPDX-License-Identifier: GPL-2.0
"""Read BTF (base and split) out of raw BTF files, ELF objects and modules.

Only what the ABI generator needs: the type graph with names, sizes,
member offsets, enumerators and function prototypes.  The format is the
one documented in the kernel's Documentation/bpf/btf.rst.
"""

import struct

BTF_MAGIC = 0xEB9F

INT, PTR, ARRAY, STRUCT, UNION, ENUM, FWD, TYPEDEF, VOLATILE, CONST, \
    RESTRICT, FUNC, FUNC_PROTO, VAR, DATASEC, FLOAT, DECL_TAG, TYPE_TAG, \
    ENUM64 = range(1, 20)

KIND_NAMES = {INT: "int", PTR: "ptr", ARRAY: "array", STRUCT: "struct",
              UNION: "union", ENUM: "enum", FWD: "fwd", TYPEDEF: "typedef",
              VOLATILE: "volatile", CONST: "const", RESTRICT: "restrict",
              FUNC: "func", FUNC_PROTO: "func_proto", VAR: "var",
              DATASEC: "datasec", FLOAT: "float", DECL_TAG: "decl_tag",
              TYPE_TAG: "type_tag", ENUM64: "enum64"}


class BtfError(Exception):
    pass


class Member:
    __slots__ = ("name", "type", "bit_offset", "bitfield_size")

    def __init__(self, name, type_id, bit_offset, bitfield_size):
        self.name = name
        self.type = type_id
        self.bit_offset = bit_offset
        self.bitfield_size = bitfield_size


class Type:
    """One BTF type.  'ref' is the referenced type id for pointer-like kinds."""
    __slots__ = ("id", "kind", "name", "size", "ref", "members", "values",
                 "params", "nelems", "signed", "kind_flag", "linkage", "btf")

    def __init__(self, tid, kind, name, owner):
        self.btf = owner          # the table its type ids are resolved in
        self.id = tid
        self.kind = kind
        self.name = name
        self.size = 0
        self.ref = 0
        self.members = []
        self.values = []
        self.params = []
        self.nelems = 0
        self.signed = False
        self.kind_flag = False
        self.linkage = 0


class Btf:
    """A BTF type table; a split table chains to its base for ids and strings."""

    def __init__(self, data, base=None, origin="?"):
        self.origin = origin
        self.base = base
        if len(data) < 24:
            raise BtfError(f"{origin}: BTF section too short")
        magic, version, _flags, hdr_len = struct.unpack_from("<HBBI", data, 0)
        if magic != BTF_MAGIC:
            raise BtfError(f"{origin}: not BTF (magic {magic:#x})")
        if version != 1:
            raise BtfError(f"{origin}: unsupported BTF version {version}")
        type_off, type_len, str_off, str_len = struct.unpack_from("<IIII", data, 8)
        self.strings = data[hdr_len + str_off:hdr_len + str_off + str_len]
        self.start_str = (base.start_str + len(base.strings)) if base else 0
        self.start_id = (base.start_id + len(base.types)) if base else 1
        self.types = []
        self._parse(data[hdr_len + type_off:hdr_len + type_off + type_len])
        self._by_name = None

    def _str(self, off):
        if off < self.start_str:
            if not self.base:
                raise BtfError(f"{self.origin}: bad string offset {off}")
            return self.base._str(off)
        off -= self.start_str
        end = self.strings.find(b"\0", off)
        return self.strings[off:end].decode("utf-8", "replace")

    def base_strings_aligned(self):
        """True if every base string this split table names starts a string.

        A split table read against the wrong base names strings at random
        offsets, so this catches module BTF that belongs to another kernel.
        """
        if not self.base:
            return True
        base = self.base
        refs = [t.name_off for t in self._raw_refs if t.name_off < self.start_str]
        for off in refs:
            local = off - base.start_str
            if local < 0 or local >= len(base.strings):
                return False
            if local > 0 and base.strings[local - 1] != 0:
                return False
        return True

    def _parse(self, blob):
        pos = 0
        tid = self.start_id
        self._raw_refs = []
        while pos < len(blob):
            name_off, info, size_or_type = struct.unpack_from("<III", blob, pos)
            pos += 12
            kind = (info >> 24) & 0x1F
            vlen = info & 0xFFFF
            kflag = bool(info >> 31)
            t = Type(tid, kind, self._str(name_off) if name_off else "", self)
            t.kind_flag = kflag
            ref = _NameRef(name_off)
            self._raw_refs.append(ref)
            if kind in (INT, STRUCT, UNION, ENUM, ENUM64, FLOAT, DATASEC):
                t.size = size_or_type
            else:
                t.ref = size_or_type
            if kind == INT:
                (enc,) = struct.unpack_from("<I", blob, pos)
                pos += 4
                t.signed = bool((enc >> 24) & 1)
            elif kind == ARRAY:
                t.ref, _index, t.nelems = struct.unpack_from("<III", blob, pos)
                pos += 12
            elif kind in (STRUCT, UNION):
                for _ in range(vlen):
                    mname, mtype, moff = struct.unpack_from("<III", blob, pos)
                    pos += 12
                    self._raw_refs.append(_NameRef(mname))
                    if kflag:
                        bits, off = moff >> 24, moff & 0xFFFFFF
                    else:
                        bits, off = 0, moff
                    t.members.append(Member(self._str(mname) if mname else "",
                                            mtype, off, bits))
            elif kind == ENUM:
                for _ in range(vlen):
                    vname, val = struct.unpack_from("<Ii", blob, pos)
                    pos += 8
                    if not kflag and val < 0:
                        val &= 0xFFFFFFFF
                    t.values.append((self._str(vname), val))
                t.signed = kflag
            elif kind == ENUM64:
                for _ in range(vlen):
                    vname, lo, hi = struct.unpack_from("<III", blob, pos)
                    pos += 12
                    val = (hi << 32) | lo
                    if kflag and val >= 1 << 63:
                        val -= 1 << 64
                    t.values.append((self._str(vname), val))
                t.signed = kflag
            elif kind == FUNC_PROTO:
                for _ in range(vlen):
                    pname, ptype = struct.unpack_from("<II", blob, pos)
                    pos += 8
                    t.params.append((self._str(pname) if pname else "", ptype))
            elif kind == FUNC:
                t.linkage = vlen
            elif kind == VAR:
                (t.linkage,) = struct.unpack_from("<I", blob, pos)
                pos += 4
            elif kind == DATASEC:
                pos += 12 * vlen
            elif kind == DECL_TAG:
                pos += 4
            elif kind in (PTR, FWD, TYPEDEF, VOLATILE, CONST, RESTRICT,
                          FLOAT, TYPE_TAG):
                pass
            else:
                raise BtfError(f"{self.origin}: BTF kind {kind} (type {tid}) "
                               "is unknown to this generator")
            self.types.append(t)
            tid += 1

    def get(self, tid):
        if tid < self.start_id:
            if not self.base:
                raise BtfError(f"{self.origin}: bad type id {tid}")
            return self.base.get(tid)
        idx = tid - self.start_id
        if idx >= len(self.types):
            raise BtfError(f"{self.origin}: type id {tid} out of range")
        return self.types[idx]

    def own_types(self):
        """Types defined in this table itself (not in its base)."""
        return self.types

    def find(self, kind, name):
        """Complete definitions of kind/name in this table only."""
        if self._by_name is None:
            self._by_name = {}
            for t in self.types:
                if t.name:
                    self._by_name.setdefault((t.kind, t.name), []).append(t)
        return self._by_name.get((kind, name), [])


class _NameRef:
    __slots__ = ("name_off",)

    def __init__(self, off):
        self.name_off = off


# --- containers -----------------------------------------------------------

def _elf_sections(data, origin):
    if data[:4] != b"\x7fELF":
        raise BtfError(f"{origin}: not an ELF file")
    if data[4] != 2 or data[5] != 1:
        raise BtfError(f"{origin}: only 64-bit little-endian ELF is supported")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    secs = []
    for i in range(shnum):
        name, _type, _flags, _addr, off, size = struct.unpack_from(
            "<IIQQQQ", data, shoff + i * shentsize)
        secs.append((name, off, size))
    _, stroff, strsize = secs[shstrndx]
    names = data[stroff:stroff + strsize]
    out = {}
    for name, off, size in secs:
        end = names.find(b"\0", name)
        out[names[name:end].decode()] = data[off:off + size]
    return out


def elf_section(data, name, origin):
    return _elf_sections(data, origin).get(name)


def load_base(path):
    """Base BTF from a raw BTF file (/sys/kernel/btf/vmlinux) or an ELF vmlinux."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] == b"\x7fELF":
        sec = elf_section(data, ".BTF", path)
        if sec is None:
            raise BtfError(f"{path}: ELF file without a .BTF section")
        data = sec
    return Btf(data, origin=path)
