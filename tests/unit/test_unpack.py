# SPDX-License-Identifier: GPL-2.0
"""btf-abi/unpack.py against kernel images made here, one per compression
the kernel can be built with, by the tools its arch/x86/boot/compressed
Makefile uses (with lighter options: the formats are what matter)."""

import os
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../btf-abi"))
import unpack  # noqa: E402

# A stand-in vmlinux: an ELF magic, then data with both runs and noise.
VMLINUX = b"\x7fELF\x02\x01\x01" + b"BTF" * 4000 + os.urandom(3000) + b"\0" * 9000

# name -> (command, appends the size like the kernel's *_with_size rules)
COMPRESSORS = {
    "gzip": (["gzip", "-n", "-9", "-c"], False),
    "bzip2": (["bzip2", "-9", "-c"], True),
    "lzma": (["xz", "--format=lzma", "-9", "-c"], True),
    "xz": (["xz", "--check=crc32", "--lzma2=dict=1MiB", "-c"], True),
    "LZO": (["lzop", "-9", "-c"], True),
    "LZ4": (["lz4", "-l", "-9", "-c"], True),
    "zstd": (["zstd", "-19", "-q", "-c"], True),
}


def compress(name, data=VMLINUX):
    cmd, sized = COMPRESSORS[name]
    out = subprocess.run(cmd, input=data, stdout=subprocess.PIPE,
                         check=True).stdout
    if sized:
        out += struct.pack("<I", len(data))
    return out


def bzimage(payload, setup_sects=3, offset=0x3a4, protocol=0x20F):
    """A kernel image with the setup header fields the unpacker reads."""
    setup = bytearray((setup_sects + 1) * 512)
    setup[0x1F1] = setup_sects
    setup[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", setup, 0x206, protocol)
    struct.pack_into("<II", setup, 0x248, offset, len(payload))
    # Decompressor code before the payload holds other formats' magics, as
    # a real one does: the header, not a search, must find the payload.
    code = (b"\xfd7zXZ\x00" + b"\x1f\x8b\x08" + b"\x90" * offset)[:offset]
    return bytes(setup) + code + payload + b"\xcc" * 64


class Image(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.dir)

    def write(self, data, name="vmlinuz"):
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def test_every_kernel_compression(self):
        for name in COMPRESSORS:
            with self.subTest(compression=name):
                path = self.write(bzimage(compress(name)))
                self.assertEqual(unpack.vmlinux_from_bzimage(path), VMLINUX)

    def test_setup_sects_zero_means_four(self):
        img = bytearray(bzimage(compress("LZ4"), setup_sects=4))
        img[0x1F1] = 0
        path = self.write(bytes(img))
        self.assertEqual(unpack.vmlinux_from_bzimage(path), VMLINUX)

    def test_missing_tool_is_named(self):
        path = self.write(bzimage(compress("LZ4")))
        saved = os.environ["PATH"]
        os.environ["PATH"] = self.dir  # no lz4 here
        try:
            with self.assertRaisesRegex(unpack.UnpackError,
                                        r"LZ4-compressed; install lz4 "):
                unpack.vmlinux_from_bzimage(path)
        finally:
            os.environ["PATH"] = saved

    def test_not_a_bzimage(self):
        path = self.write(b"\x7fELF" + b"\0" * 4096)
        with self.assertRaisesRegex(unpack.UnpackError, "not an x86 kernel image"):
            unpack.vmlinux_from_bzimage(path)

    def test_old_boot_protocol(self):
        path = self.write(bzimage(compress("xz"), protocol=0x207))
        with self.assertRaisesRegex(unpack.UnpackError, "boot protocol 2.7"):
            unpack.vmlinux_from_bzimage(path)

    def test_truncated_image(self):
        img = bzimage(compress("zstd"))
        path = self.write(img[:len(img) // 2])
        with self.assertRaisesRegex(unpack.UnpackError, "outside the image"):
            unpack.vmlinux_from_bzimage(path)

    def test_unknown_compression(self):
        path = self.write(bzimage(b"\x42\x42\x42\x42" + b"\0" * 100))
        with self.assertRaisesRegex(unpack.UnpackError, "unknown format .starts 42424242"):
            unpack.vmlinux_from_bzimage(path)

    def test_corrupt_payload(self):
        data = bytearray(compress("xz"))
        data[len(data) // 2] ^= 0xFF
        path = self.write(bzimage(bytes(data)))
        with self.assertRaisesRegex(unpack.UnpackError, "corrupt xz payload"):
            unpack.vmlinux_from_bzimage(path)

    def test_cut_stream(self):
        data = compress("LZ4")
        path = self.write(bzimage(data[:len(data) // 2] + data[-4:]))
        with self.assertRaisesRegex(unpack.UnpackError, "lz4 -d failed: "):
            unpack.vmlinux_from_bzimage(path)

    def test_cut_gzip_stream(self):
        # gzip has no size appended: the stream's own end must be checked.
        data = compress("gzip")
        path = self.write(bzimage(data[:len(data) // 2]))
        with self.assertRaisesRegex(unpack.UnpackError, "gzip payload ends before its stream"):
            unpack.vmlinux_from_bzimage(path)

    def test_size_disagrees(self):
        # LZ4's legacy frame has no checksum: the size the kernel appends
        # is what catches a stream that decodes to the wrong length.
        data = compress("LZ4")
        path = self.write(bzimage(data[:-4] + struct.pack("<I", len(VMLINUX) + 1)))
        with self.assertRaisesRegex(unpack.UnpackError,
                                    "LZ4 payload unpacked to [0-9]+ bytes, the image says"):
            unpack.vmlinux_from_bzimage(path)

    def test_payload_not_elf(self):
        path = self.write(bzimage(compress("gzip", b"not a kernel" * 100)))
        with self.assertRaisesRegex(unpack.UnpackError, "not an ELF vmlinux"):
            unpack.vmlinux_from_bzimage(path)


class Module(unittest.TestCase):
    def test_compressed_modules(self):
        with tempfile.TemporaryDirectory() as d:
            for suffix, cmd in ((".xz", ["xz", "-c"]), (".gz", ["gzip", "-c"]),
                                (".zst", ["zstd", "-q", "-c"]), ("", ["cat"])):
                with self.subTest(suffix=suffix):
                    path = os.path.join(d, "m.ko" + suffix)
                    with open(path, "wb") as f:
                        f.write(subprocess.run(cmd, input=VMLINUX, check=True,
                                               stdout=subprocess.PIPE).stdout)
                    self.assertEqual(unpack.module_bytes(path), VMLINUX)


if __name__ == "__main__":
    unittest.main()
