# SPDX-License-Identifier: GPL-2.0
"""bench/report.py: fio's terse fields, the figures of a point, medians over
repetitions and the targets' ratios, on FIGURE lines made here."""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../bench"))
import report  # noqa: E402


def terse(read_kib_s=0, read_iops=0, write_kib_s=0, write_iops=0,
          read_lat=(0, 0, 0), write_lat=(0, 0, 0)):
    """A fio terse v3 line with the given figures (1-based fields as in
    fio's HOWTO: 7/8 read KiB/s and IOPS, 38-40 read total latency
    min/max/mean, 48/49 and 79-81 the same for writes)."""
    f = ["0"] * 130
    f[0:5] = ["3", "fio-3.33", "bench", "0", "0"]
    f[6], f[7] = str(read_kib_s), str(read_iops)
    f[47], f[48] = str(write_kib_s), str(write_iops)
    f[37:40] = [str(v) for v in read_lat]
    f[78:81] = [str(v) for v in write_lat]
    return ";".join(f)


def point(cond, config, load, rep, kib_s, iops=100, lat=(1, 9, 5), busy=0,
          moved=(0, 0, 0, 0), secs=4):
    words = [f"cond={cond}", f"config={config}", f"load={load}", f"rep={rep}",
             "paths=4", "rate=40", f"secs={secs}", "bs=128k", f"cpu.busy={busy}",
             "host.MPTcpExtOFOQueue=7"]
    words += [f"tx{i + 1}={m}" for i, m in enumerate(moved)]
    write = load in ("seqwrite", "randwrite")
    fio = terse(write_kib_s=kib_s, write_iops=iops, write_lat=lat) if write \
        else terse(read_kib_s=kib_s, read_iops=iops, read_lat=lat)
    return "FIGURE: bench-point " + " ".join(words) + " fio=" + fio


class Terse(unittest.TestCase):
    def test_read_side(self):
        t = report.terse(terse(read_kib_s=2048, read_iops=16,
                               read_lat=(10, 900, 450.5)))
        self.assertEqual(t["kib_s"], 2048)
        self.assertEqual(t["iops"], 16)
        self.assertEqual(t["lat_mean_us"], 450.5)
        self.assertEqual(t["lat_max_us"], 900)

    def test_write_side(self):
        t = report.terse(terse(write_kib_s=4096, write_iops=32,
                               write_lat=(1, 70, 33)))
        self.assertEqual((t["kib_s"], t["iops"], t["lat_mean_us"]),
                         (4096, 32, 33))

    def test_not_terse(self):
        with self.assertRaises(ValueError):
            report.terse("fio: some error")


class Points(unittest.TestCase):
    def test_figures(self):
        line = point("unshaped", "tcp1", "seqread", 1, kib_s=256 * 1024,
                     busy=200, moved=(300, 100, 0, 0))
        meta, points, skips, failed = report.parse(line)
        p = points[0]
        self.assertEqual(p["mib_s"], 256)
        self.assertEqual(p["cpu_s"], 2.0)  # no cpu.all: busy jiffies
        # 256 MiB/s for 4 s is 1 GiB, for 2 CPU seconds
        self.assertAlmostEqual(p["cpu_s_per_gib"], 2.0)
        self.assertEqual(p["bs"], "128k")
        self.assertEqual(p["path_share"], [0.75, 0.25, 0, 0])
        self.assertEqual(p["counters"], {"host.MPTcpExtOFOQueue": 7})

    def test_cpu_as_busy_share(self):
        # TCG lost ticks: 600 jiffies passed in 4 s on 2 CPUs, 150 busy:
        # a quarter of 8 CPU seconds.
        line = point("unshaped", "tcp1", "seqread", 1, kib_s=1024)
        line = line.replace("cpu.busy=0", "cpu.busy=150 cpu.all=600")
        _, points, _, _ = report.parse("FIGURE: bench-meta cpus=2\n" + line)
        self.assertAlmostEqual(points[0]["cpu_s"], 2.0)

    def test_skips_and_failures(self):
        text = "\n".join([
            "FIGURE: bench-meta kernel=6.12.1 rate=25 reps=3",
            "FIGURE: bench-skip cond=clean config=native-qd why=iopolicy-unsupported",
            "RESULT: bench-clean-mptcp4-rep1 FAIL not every path has a subflow",
            "RESULT: modprobe PASS"])
        meta, points, skips, failed = report.parse(text)
        self.assertEqual(meta["rate"], "25")
        self.assertEqual(skips[0]["why"], "iopolicy-unsupported")
        self.assertEqual(len(failed), 1)


class Summary(unittest.TestCase):
    def lines(self):
        out = []
        for rep, (ours, rr, qd) in enumerate([(10, 12, 8), (14, 11, 9),
                                              (12, 30, 7)], 1):
            out.append(point("clean", "mptcp4", "seqread", rep, ours * 1024))
            out.append(point("clean", "native-rr", "seqread", rep, rr * 1024))
            out.append(point("clean", "native-qd", "seqread", rep, qd * 1024))
        return "\n".join(out)

    def test_median_min_max(self):
        _, points, _, _ = report.parse(self.lines())
        s = report.summarise(points)[("clean", "mptcp4", "seqread")]["mib_s"]
        self.assertEqual((s["median"], s["min"], s["max"], s["n"]),
                         (12, 10, 14, 3))

    def test_ratio_to_the_better_native_policy(self):
        _, points, _, _ = report.parse(self.lines())
        rows = {t["target"]: t for t in
                report.targets(report.summarise(points), 40)}
        t = rows["clean seqread: nvme-mptcp / best native multipath"]
        self.assertAlmostEqual(t["ratio"], 1.0)  # 12 against rr's 12, not qd's 8
        self.assertTrue(t["met"])
        missing = rows["lossy seqread: nvme-mptcp / best native multipath"]
        self.assertIsNone(missing["ratio"])
        self.assertFalse(missing["met"])
        md = report.markdown({"rate": "40"}, report.summarise(points),
                             list(rows.values()), [], [], "2026-11-30")
        self.assertIn("| lossy seqread: nvme-mptcp / best native multipath "
                      "| - | 1.00 | not measured |", md)

    def test_header_says_how_jobs_split_the_depth(self):
        _, points, _, _ = report.parse(self.lines())
        s = report.summarise(points)
        one = report.markdown({"rate": "40"}, s, [], [], [], "2026-12-02")
        self.assertNotIn("fio jobs", one)
        two = report.markdown({"rate": "40", "jobs": "2"}, s, [], [], [],
                              "2026-12-02")
        self.assertIn("2 fio jobs share each queue depth (QD32 is about 16 "
                      "per job", two)


class PerIo(unittest.TestCase):
    def test_small_io_profile(self):
        # 4 s at 100 IOPS: 400 reads; 1000 segments and 200 OFO queueings.
        line = point("lossy", "mptcp4", "randread", 1, 400, iops=100)
        line = line.replace("host.MPTcpExtOFOQueue=7",
                            "host.MPTcpExtOFOQueue=150 "
                            "target.MPTcpExtOFOQueue=50 "
                            "host.TcpOutSegs=400 target.TcpOutSegs=600")
        _, points, _, _ = report.parse(line)
        self.assertAlmostEqual(points[0]["segs_per_io"], 2.5)
        self.assertAlmostEqual(points[0]["mptcp_ofo_per_io"], 0.5)
        md = report.markdown({"rate": "40"}, report.summarise(points), [],
                             [], [], "2026-12-02")
        self.assertIn("| lossy | mptcp4 | randread | ", md)
        self.assertIn(" | 2.50 | 0.50 | ", md)


if __name__ == "__main__":
    unittest.main()
