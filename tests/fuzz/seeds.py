#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Seed corpus for the fuzz targets: seeds.py OUTDIR.

Writes OUTDIR/target/* and OUTDIR/host/*, one file per PDU header that the
bad-PDU generators send (tests/tools/nvmet-badpdu.c against a target,
tests/tools/nvmt-bad-target.c against a host) and the good ones around
them, in the input format fuzz-target.c and fuzz-host.c read.  Their
random fields take a few fixed values here.
"""

import os
import struct
import sys

ICREQ, H2C_TERM, C2H_TERM, CMD, RSP, H2C, C2H, R2T = 0, 2, 3, 4, 5, 6, 7, 9
F_HDGST, F_DDGST, F_LAST, F_SUCCESS = 1, 2, 4, 8
CMD_HLEN, DATA_HLEN, ICREQ_LEN = 72, 24, 128
CONNECT_DATA = 1024


def hdr(ptype, flags, hlen, pdo, plen, size):
    b = bytearray(size)
    struct.pack_into("<BBBBI", b, 0, ptype, flags, hlen, pdo, plen)
    return b


def icreq(hd=False, dd=False, pfv=0, hpda=0):
    b = hdr(ICREQ, 0, ICREQ_LEN, 0, ICREQ_LEN, ICREQ_LEN)
    struct.pack_into("<HBBI", b, 8, pfv, hpda, hd | dd << 1, 0)
    return b


def capsule(hd, dd, icd):
    h = CMD_HLEN + 4 * hd
    plen = h + (icd + 4 * dd if icd else 0)
    flags = F_HDGST * hd | (F_DDGST * dd if icd else 0)
    return hdr(CMD, flags, CMD_HLEN, h if icd else 0, plen, h)


def data_pdu(ptype, hd, dd, cid, ttag, off, length, flags=F_LAST):
    h = DATA_HLEN + 4 * hd
    b = hdr(ptype, flags | F_HDGST * hd | F_DDGST * dd, DATA_HLEN, h,
            h + length + 4 * dd, h)
    struct.pack_into("<HHII", b, 8, cid, ttag, off, length)
    return b


def target_seed(live, hd, dd, pdu, inline_max=8192, cmd=None):
    """cmd: (command_id, transfer_len, rbytes) of an R2T'd command."""
    flags = live | hd << 1 | dd << 2 | (cmd is not None) << 3
    cid, tlen, rbytes = cmd or (0, 0, 0)
    return struct.pack("<BIHII", flags, inline_max, cid, tlen, rbytes) + pdu


def host_seed(hd, dd, pdu, found=True, write=False, busy=False,
              data_len=4096, done=0):
    flags = hd | dd << 1 | found << 2 | write << 3 | busy << 4
    return struct.pack("<BII", flags, data_len, done) + pdu


def target_seeds():
    s = {}
    for hd in (0, 1):
        for dd in (0, 1):
            k = f"{hd}{dd}"
            s["icreq-" + k] = target_seed(0, 0, 0, icreq(hd, dd))
            s["icreq-hpda31-" + k] = target_seed(0, 0, 0, icreq(hd, dd, hpda=31))
            s["capsule-" + k] = target_seed(1, hd, dd, capsule(hd, dd, CONNECT_DATA))
            s["capsule-nodata-" + k] = target_seed(1, hd, dd, capsule(hd, dd, 0))
            s["h2c-" + k] = target_seed(1, hd, dd, data_pdu(H2C, hd, dd, 3, 1, 0, CONNECT_DATA),
                                        cmd=(3, CONNECT_DATA, 0))
            # seq_capsule_header: one field broken at a time
            b = capsule(hd, dd, CONNECT_DATA)
            b[2] = CMD_HLEN - 1
            s["capsule-hlen-" + k] = target_seed(1, hd, dd, b)
            b = capsule(hd, dd, CONNECT_DATA)
            struct.pack_into("<I", b, 4, CMD_HLEN - 1)
            s["capsule-short-plen-" + k] = target_seed(1, hd, dd, b)
            b = capsule(hd, dd, CONNECT_DATA)
            struct.pack_into("<I", b, 4, 0x100000 + 12345)
            s["capsule-limit-" + k] = target_seed(1, hd, dd, b)
            b = capsule(hd, dd, CONNECT_DATA)
            b[3] += 5
            s["capsule-pdo-" + k] = target_seed(1, hd, dd, b)
            b = capsule(hd, dd, CONNECT_DATA)
            b[1] ^= F_HDGST
            s["capsule-hdgst-flag-" + k] = target_seed(1, hd, dd, b)
            b = capsule(hd, dd, CONNECT_DATA)
            b[1] ^= F_DDGST
            s["capsule-ddgst-flag-" + k] = target_seed(1, hd, dd, b)
            # seq_bad_h2c and seq_unsolicited_h2c
            cmd = (3, CONNECT_DATA, 0)
            bad = {
                "ttag": (data_pdu(H2C, hd, dd, 3, 0xffff, 0, 512), None),
                "offset": (data_pdu(H2C, hd, dd, 3, 1, 100, CONNECT_DATA - 100), cmd),
                "beyond": (data_pdu(H2C, hd, dd, 3, 1, 0, CONNECT_DATA + 4), cmd),
                "zero": (data_pdu(H2C, hd, dd, 3, 1, 0, 0), cmd),
                "cid": (data_pdu(H2C, hd, dd, 4, 1, 0, CONNECT_DATA), cmd),
                "maxdata": (data_pdu(H2C, hd, dd, 3, 1, 0, 0x40000 + 4), cmd),
            }
            for name, (pdu, c) in bad.items():
                s[f"h2c-{name}-{k}"] = target_seed(1, hd, dd, pdu, cmd=c)
            b = data_pdu(H2C, hd, dd, 3, 1, 0, CONNECT_DATA)
            b[3] += 4
            s["h2c-pdo-" + k] = target_seed(1, hd, dd, b, cmd=cmd)
    # seq_icreq_bad_len, seq_icreq_bad_field, seq_icreq_twice
    b = icreq()
    b[2] = 100
    s["icreq-hlen"] = target_seed(0, 0, 0, b)
    b = icreq()
    struct.pack_into("<I", b, 4, ICREQ_LEN + 77)
    s["icreq-plen"] = target_seed(0, 0, 0, b)
    s["icreq-pfv"] = target_seed(0, 0, 0, icreq(pfv=1))
    s["icreq-hpda"] = target_seed(0, 0, 0, icreq(hpda=32))
    b = icreq()
    b[1] = 1
    s["icreq-flags"] = target_seed(0, 0, 0, b)
    b = icreq()
    b[3] = 1
    s["icreq-pdo"] = target_seed(0, 0, 0, b)
    s["icreq-twice"] = target_seed(1, 0, 0, icreq())
    # seq_bad_first_pdu, seq_bad_type
    s["capsule-first"] = target_seed(0, 0, 0, capsule(0, 0, 0))
    for t in (1, H2C_TERM, C2H_TERM, RSP, C2H, 8, R2T, 10, 0x7f, 0xff):
        s[f"type-{t:#x}"] = target_seed(1, 0, 0, hdr(t, 0, 24, 0, 24, 24))
    return s


def host_seeds():
    s = {}
    for hd in (0, 1):
        for dd in (0, 1):
            k = f"{hd}{dd}"
            h = 24 + 4 * hd
            s["rsp-" + k] = host_seed(hd, dd, hdr(RSP, F_HDGST * hd, 24, 0, h, h + 4 * hd))
            s["c2h-" + k] = host_seed(hd, dd, data_pdu(C2H, hd, dd, 1, 0, 0, 4096,
                                                       F_LAST | F_SUCCESS))
            s["c2h-part-" + k] = host_seed(hd, dd, data_pdu(C2H, hd, dd, 1, 0, 512, 512, 0),
                                           done=512)
            b = hdr(R2T, F_HDGST * hd, 24, 0, h, h + 4 * hd)
            struct.pack_into("<HHII", b, 8, 1, 7, 0, 4096)
            s["r2t-" + k] = host_seed(hd, dd, b, write=True)
    # nvmt-bad-target's cases
    s["rsp-hlen8"] = host_seed(0, 0, hdr(RSP, 0, 8, 0, 8, 24))
    s["type-0x42"] = host_seed(0, 0, hdr(0x42, 0, 24, 0, 24, 24))
    s["rsp-unknown"] = host_seed(0, 0, hdr(RSP, 0, 24, 0, 24, 24), found=False)
    s["c2h-for-write"] = host_seed(0, 0, data_pdu(C2H, 0, 0, 1, 0, 0, 512), write=True)
    b = hdr(R2T, 0, 24, 0, 24, 24)
    struct.pack_into("<HHII", b, 8, 1, 0, 4096, 4096)
    s["r2t-past-data"] = host_seed(0, 0, b, write=True)
    s["c2h-too-long"] = host_seed(0, 0, data_pdu(C2H, 0, 0, 1, 0, 0, 0x7fffffff))
    s["rsp-plen"] = host_seed(0, 0, hdr(RSP, 0, 24, 0, 4096, 24))
    b = hdr(C2H_TERM, 0, 24, 0, 24, 24)
    b[8] = 1
    s["c2h-term"] = host_seed(0, 0, b)
    s["c2h-success-no-last"] = host_seed(0, 0, data_pdu(C2H, 0, 0, 1, 0, 0, 4096, F_SUCCESS))
    return s


def main():
    out = sys.argv[1]
    for side, seeds in (("target", target_seeds()), ("host", host_seeds())):
        os.makedirs(os.path.join(out, side), exist_ok=True)
        for name, data in seeds.items():
            with open(os.path.join(out, side, name), "wb") as f:
                f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
