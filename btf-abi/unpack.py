# SPDX-License-Identifier: GPL-2.0
"""Unpack compressed kernel images and modules.

An x86 bzImage says where its compressed vmlinux is: the boot protocol's
setup header (Documentation/arch/x86/boot.rst) gives payload_offset and
payload_length, counted from the protected-mode code that follows the
setup sectors.  The payload's own magic then names its compression, of
the seven the kernel can be built with (CONFIG_KERNEL_*).  Every one but
gzip has the uncompressed size appended as four bytes, which the external
tools would read as a truncated next frame, so they are cut off.

gzip, bzip2, lzma and xz are unpacked by Python itself; LZO, LZ4 and zstd
need the lzop, lz4 and zstd commands, which the packages depend on.
"""

import bz2
import gzip
import lzma
import shutil
import struct
import subprocess
import zlib


class UnpackError(Exception):
    pass


# (magic, name, size appended, tool, its Debian package) per CONFIG_KERNEL_*.
# The LZ4 magic is the legacy frame the kernel's "lz4 -l" writes.
FORMATS = (
    (b"\x1f\x8b", "gzip", False, None, None),
    (b"BZh", "bzip2", True, None, None),
    (b"\x5d\x00\x00", "lzma", True, None, None),
    (b"\xfd7zXZ\x00", "xz", True, None, None),
    (b"\x89LZO", "LZO", True, "lzop", "lzop"),
    (b"\x02\x21\x4c\x18", "LZ4", True, "lz4", "lz4"),
    (b"\x28\xb5\x2f\xfd", "zstd", True, "zstd", "zstd"),
)

# Setup header fields (offsets in the image file) of boot protocol 2.08+.
SETUP_SECTS = 0x1F1
HEADER_MAGIC = 0x202
PROTOCOL = 0x206
PAYLOAD = 0x248


def payload(img, origin):
    """The compressed vmlinux inside a bzImage: (bytes, format tuple)."""
    if len(img) < PAYLOAD + 8 or img[HEADER_MAGIC:HEADER_MAGIC + 4] != b"HdrS":
        raise UnpackError(f"{origin}: not an x86 kernel image (bzImage)")
    protocol, = struct.unpack_from("<H", img, PROTOCOL)
    if protocol < 0x208:
        raise UnpackError(f"{origin}: boot protocol {protocol >> 8}."
                          f"{protocol & 0xff} has no payload fields "
                          "(needs 2.08, Linux 2.6.26 or later)")
    setup_sects = img[SETUP_SECTS] or 4
    offset, length = struct.unpack_from("<II", img, PAYLOAD)
    start = (setup_sects + 1) * 512 + offset
    if length == 0 or start + length > len(img):
        raise UnpackError(f"{origin}: payload {offset:#x}+{length:#x} lies "
                          "outside the image (truncated file?)")
    data = img[start:start + length]
    for fmt in FORMATS:
        if data.startswith(fmt[0]):
            return data, fmt
    raise UnpackError(f"{origin}: payload compressed in an unknown format "
                      f"(starts {data[:4].hex()})")


def _run_tool(tool, package, name, data, origin):
    if not shutil.which(tool):
        raise UnpackError(f"{origin}: {name}-compressed; install {package} "
                          f"(the {tool} command) to unpack it")
    res = subprocess.run([tool, "-dc"], input=data, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, check=False)
    if res.returncode != 0:
        why = res.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UnpackError(f"{origin}: {tool} -d failed: "
                          f"{why[-1] if why else f'exit {res.returncode}'}")
    return res.stdout


def _unpack(data, fmt, origin):
    out = _decompress(data[:-4] if fmt[2] else data, fmt, origin)
    if fmt[2]:
        size, = struct.unpack_from("<I", data, len(data) - 4)
        if len(out) != size:
            raise UnpackError(f"{origin}: {fmt[1]} payload unpacked to "
                              f"{len(out)} bytes, the image says {size} "
                              "(corrupt or truncated)")
    return out


def _decompress(data, fmt, origin):
    _magic, name, _sized, tool, package = fmt
    if tool:
        return _run_tool(tool, package, name, data, origin)
    if name == "gzip":
        dec = zlib.decompressobj(16 + zlib.MAX_WBITS)
    elif name == "bzip2":
        dec = bz2.BZ2Decompressor()
    elif name == "lzma":
        dec = lzma.LZMADecompressor(lzma.FORMAT_ALONE)
    else:
        dec = lzma.LZMADecompressor(lzma.FORMAT_XZ)
    try:
        out = dec.decompress(data)
    except (zlib.error, OSError, EOFError, lzma.LZMAError, ValueError) as err:
        raise UnpackError(f"{origin}: corrupt {name} payload: {err}") from None
    # A cut stream unpacks partly without an error: only its end says so.
    if not dec.eof:
        raise UnpackError(f"{origin}: {name} payload ends before its "
                          "stream does (truncated)")
    return out


def vmlinux_from_bzimage(path):
    """The ELF vmlinux inside an x86 kernel image."""
    with open(path, "rb") as f:
        img = f.read()
    data, fmt = payload(img, path)
    elf = _unpack(data, fmt, path)
    if elf[:4] != b"\x7fELF":
        raise UnpackError(f"{path}: its {fmt[1]} payload is not an ELF vmlinux")
    return elf


def module_bytes(path):
    """Bytes of a module file, compressed (.ko.xz, .gz, .zst) or not."""
    if path.endswith(".xz"):
        with lzma.open(path) as f:
            return f.read()
    if path.endswith(".gz"):
        with gzip.open(path) as f:
            return f.read()
    if path.endswith(".zst"):
        with open(path, "rb") as f:
            return _run_tool("zstd", "zstd", "zstd", f.read(), path)
    with open(path, "rb") as f:
        return f.read()
