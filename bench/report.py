#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the bench-paths scenario's FIGURE lines into bench.json, bench.md
and bench.png (gnuplot).

usage: report.py RESULT_TXT OUTDIR [--date YYYY-MM-DD]

Each point is the median, min and max over the repetitions. The targets of
the benchmark (issue 14) are computed from the medians and printed with the
ratio measured; nothing here decides whether a run passed.
"""

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys

LOADS = ["seqread", "seqwrite", "randread", "randwrite", "randread-qd1"]
CONDS = ["unshaped", "clean", "lossy", "uneven", "losslimited"]
CONFIGS = ["tcp1", "native-rr", "native-qd", "mptcp1", "mptcp2", "mptcp4",
           "fallback"]
CONFIG_NAMES = {
    "tcp1": "stock nvme-tcp, one path",
    "native-rr": "native multipath, round-robin",
    "native-qd": "native multipath, queue-depth",
    "mptcp1": "nvme-mptcp, 1 path",
    "mptcp2": "nvme-mptcp, 2 paths",
    "mptcp4": "nvme-mptcp, 4 paths",
    "fallback": "stock nvme-tcp host -> nvmet-mptcp",
}
COND_NAMES = {
    "unshaped": "one unshaped path (CPU-bound)",
    "clean": "4 paths at R",
    "lossy": "4 paths at R, 5 ms delay and 0.5 % loss each way",
    "uneven": "2 paths: R, and R/4 with 20 ms delay each way",
    "losslimited": "4 paths at 2.5 R, 20 ms delay and 1 % loss each way",
}
USER_HZ = 100


def config_name(c):
    return CONFIG_NAMES.get(c, c)


def config_order(c):
    return (CONFIGS.index(c) if c in CONFIGS else len(CONFIGS), c)


def terse(line):
    """The figures of a fio terse (v3) line: KiB/s, IOPS, latency in us."""
    f = line.split(";")
    if f[0] != "3" or len(f) < 82:
        raise ValueError("not a fio terse v3 line")

    def num(i):  # 1-based, as fio's HOWTO numbers the fields
        return float(f[i - 1])
    rd, wr = num(7), num(48)
    side = 38 if rd >= wr else 79  # total latency: min, max, mean, stdev
    return {
        "kib_s": rd + wr,
        "iops": num(8) + num(49),
        "lat_mean_us": num(side + 2),
        "lat_max_us": num(side + 1),
    }


def parse_point(words, cpus=2):
    """One 'FIGURE: bench-point k=v ... fio=TERSE' line, as a dict."""
    p = {"counters": {}}
    for w in words:
        k, _, v = w.partition("=")
        if k == "fio":
            p.update(terse(v))
        elif k in ("cond", "config", "load", "bs"):
            p[k] = v
        elif k in ("rep", "paths", "rate", "secs"):
            p[k] = int(v)
        elif k.startswith(("host.", "target.")):
            p["counters"][k] = int(v)
        else:
            p[k] = int(v)
    p["mib_s"] = p["kib_s"] / 1024
    secs = p["secs"]
    # CPU of the whole guest (host, target, fio and the snapshots alike),
    # as the busy share of the jiffies that passed: TCG loses ticks, so
    # the jiffies of a window fall short of CPUs x seconds.
    if p.get("cpu.all"):
        p["cpu_s"] = p.get("cpu.busy", 0) / p["cpu.all"] * cpus * secs
    else:
        p["cpu_s"] = p.get("cpu.busy", 0) / USER_HZ
    gib = p["kib_s"] * secs / 2**20
    p["cpu_s_per_gib"] = p["cpu_s"] / gib if gib else None
    moved = [p.get(f"tx{i}", 0) + p.get(f"rx{i}", 0) for i in range(1, 5)]
    total = sum(moved) or 1
    p["path_share"] = [round(m / total, 3) for m in moved]
    mib = p["kib_s"] * secs / 1024 or 1
    c = p["counters"]
    p["retrans_per_mib"] = (c.get("host.TcpRetransSegs", 0) +
                            c.get("target.TcpRetransSegs", 0)) / mib
    ofo = (c.get("host.MPTcpExtOFOQueue", 0) +
           c.get("target.MPTcpExtOFOQueue", 0))
    p["mptcp_ofo_per_mib"] = ofo / mib
    ios = p["iops"] * secs
    p["ctxt_per_io"] = p["ctxt"] / ios if "ctxt" in p and ios else None
    # Per I/O, what small I/O pays for: TCP segments sent by both ends,
    # and the pieces MPTCP had to hold because they came out of order.
    segs = c.get("host.TcpOutSegs", 0) + c.get("target.TcpOutSegs", 0)
    p["segs_per_io"] = segs / ios if ios else None
    p["mptcp_ofo_per_io"] = ofo / ios if ios else None
    return p


def parse(text):
    meta, points, skips, failed = {}, [], [], []
    for line in text.splitlines():
        if line.startswith("FIGURE: bench-point "):
            points.append(parse_point(line.split()[2:],
                                      int(meta.get("cpus", 2))))
        elif line.startswith("FIGURE: bench-meta "):
            meta = dict(w.split("=", 1) for w in line.split()[2:])
        elif line.startswith("FIGURE: bench-skip "):
            skips.append(dict(w.split("=", 1) for w in line.split()[2:]))
        elif line.startswith("RESULT:") and " FAIL" in line:
            failed.append(line[len("RESULT: "):])
    return meta, points, skips, failed


def spread(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values),
            "max": max(values), "n": len(values)}


def summarise(points):
    groups = {}
    for p in points:
        groups.setdefault((p["cond"], p["config"], p["load"]), []).append(p)
    out = {}
    for key, ps in groups.items():
        share = [statistics.median(p["path_share"][i] for p in ps)
                 for i in range(4)]
        out[key] = {
            "mib_s": spread([p["mib_s"] for p in ps]),
            "iops": spread([p["iops"] for p in ps]),
            "lat_mean_us": spread([p["lat_mean_us"] for p in ps]),
            "cpu_s_per_gib": spread([p["cpu_s_per_gib"] for p in ps]),
            "retrans_per_mib": spread([p["retrans_per_mib"] for p in ps]),
            "mptcp_ofo_per_mib": spread([p["mptcp_ofo_per_mib"] for p in ps]),
            "ctxt_per_io": spread([p["ctxt_per_io"] for p in ps]),
            "segs_per_io": spread([p["segs_per_io"] for p in ps]),
            "mptcp_ofo_per_io": spread([p["mptcp_ofo_per_io"] for p in ps]),
            "path_share": share,
        }
    return out


def med(summary, cond, config, load, what):
    s = summary.get((cond, config, load))
    return s[what]["median"] if s and s[what] else None


def ratio(a, b):
    return a / b if a is not None and b else None


def targets(summary, rate_mbit):
    """(target, measured ratio, goal) for each of issue 14's targets."""
    r = rate_mbit * 1e6 / 8 / 2**20  # R in MiB/s
    rows = []

    def add(name, value, goal):
        rows.append({"target": name, "ratio": value, "goal": goal,
                     "met": value is not None and value >= goal})

    def best_native(cond, load, what):
        vals = [med(summary, cond, c, load, what)
                for c in ("native-rr", "native-qd")]
        vals = [v for v in vals if v is not None]
        return max(vals) if vals else None

    for cond, ours in (("clean", "mptcp4"), ("lossy", "mptcp4"),
                       ("uneven", "mptcp2"), ("losslimited", "mptcp4")):
        for load in LOADS[:4]:
            what = "mib_s" if load.startswith("seq") else "iops"
            add(f"{cond} {load}: nvme-mptcp / best native multipath",
                ratio(med(summary, cond, ours, load, what),
                      best_native(cond, load, what)), 1.0)
    for load in ("seqread", "seqwrite"):
        add(f"clean {load}: nvme-mptcp / 4R",
            ratio(med(summary, "clean", "mptcp4", load, "mib_s"), 4 * r), 0.95)
        add(f"lossy {load}: nvme-mptcp / 4R",
            ratio(med(summary, "lossy", "mptcp4", load, "mib_s"), 4 * r), 0.85)
        add(f"uneven {load}: nvme-mptcp / (R + R/4)",
            ratio(med(summary, "uneven", "mptcp2", load, "mib_s"), 1.25 * r), 0.9)
        add(f"uneven {load}: nvme-mptcp / native round-robin",
            ratio(med(summary, "uneven", "mptcp2", load, "mib_s"),
                  med(summary, "uneven", "native-rr", load, "mib_s")), 1.3)
        add(f"losslimited {load}: nvme-mptcp / best native (stretch)",
            ratio(med(summary, "losslimited", "mptcp4", load, "mib_s"),
                  best_native("losslimited", load, "mib_s")), 1.5)
    add("unshaped randread 4k QD32: nvme-mptcp / nvme-tcp IOPS",
        ratio(med(summary, "unshaped", "mptcp1", "randread", "iops"),
              med(summary, "unshaped", "tcp1", "randread", "iops")), 1.0)
    qd1 = ratio(med(summary, "unshaped", "tcp1", "randread-qd1", "lat_mean_us"),
                med(summary, "unshaped", "mptcp1", "randread-qd1", "lat_mean_us"))
    add("unshaped QD1 latency: nvme-tcp / nvme-mptcp (goal: ours <= 1.1x)",
        qd1, 1 / 1.1)
    for load in ("seqread", "seqwrite"):
        add(f"unshaped {load} CPU/GiB: nvme-tcp / nvme-mptcp (goal: ours <= 1.1x)",
            ratio(med(summary, "unshaped", "tcp1", load, "cpu_s_per_gib"),
                  med(summary, "unshaped", "mptcp1", load, "cpu_s_per_gib")),
            1 / 1.1)
    add("unshaped randread 4k QD32: stock host -> nvmet-mptcp / -> nvmet-tcp",
        ratio(med(summary, "unshaped", "fallback", "randread", "iops"),
              med(summary, "unshaped", "tcp1", "randread", "iops")), 0.95)
    return rows


def seq_bs(points):
    """The sequential block size the points used (4k for every
    configuration on 6.1, see stock_bs in tests/scenarios/lib.sh)."""
    sizes = {p.get("bs", "128k") for p in points
             if p["load"].startswith("seq")}
    return "/".join(sorted(sizes)) or "128k"


def fmt(s, what):
    if not s or not s[what]:
        return "-"
    m = s[what]
    digits = 1 if what == "mib_s" else 0
    if what in ("cpu_s_per_gib", "retrans_per_mib", "mptcp_ofo_per_mib",
                "ctxt_per_io", "segs_per_io", "mptcp_ofo_per_io"):
        digits = 2
    a, lo, hi = (f"{m[k]:.{digits}f}" for k in ("median", "min", "max"))
    return f"{a} ({lo}-{hi})" if m["n"] > 1 else a


def jobs_note(meta):
    """Say how the queue depth was split when fio ran several jobs."""
    jobs = int(meta.get("jobs", 1))
    if jobs <= 1:
        return ""
    return (f" {jobs} fio jobs share each queue depth (QD32 is about "
            f"{-(-32 // jobs)} per job, QD1 is 1 per job).")


def markdown(meta, summary, rows, skips, failed, date, points=()):
    rate = int(meta.get("rate", 40))
    r = rate * 1e6 / 8 / 2**20
    out = [f"Measured {date}, kernel {meta.get('kernel', '?')}, QEMU/TCG with "
           f"{meta.get('cpus', '?')} vCPUs, R = {rate} Mbit/s ({r:.2f} MiB/s), "
           f"{meta.get('reps', '?')} repetitions of {meta.get('secs', '?')} s "
           f"after {meta.get('ramp', '?')} s of ramp; median (min-max). "
           f"MiB/s for {seq_bs(points)} QD32, IOPS for 4k QD32, mean latency "
           f"for 4k QD1.{jobs_note(meta)}", ""]
    for cond in CONDS:
        configs = sorted({k[1] for k in summary if k[0] == cond},
                         key=config_order)
        if not configs:
            continue
        out += [f"**{COND_NAMES[cond]}**", ""]
        head = ["configuration", "seq read MiB/s", "seq write MiB/s",
                "rand read IOPS", "rand write IOPS", "QD1 read us"]
        if cond == "unshaped":
            head += ["CPU s/GiB read (whole guest)",
                     "CPU s/GiB write (whole guest)"]
        out.append("| " + " | ".join(head) + " |")
        out.append("|" + "---|" * len(head))
        for c in configs:
            g = lambda load: summary.get((cond, c, load))  # noqa: E731
            cells = [config_name(c), fmt(g("seqread"), "mib_s"),
                     fmt(g("seqwrite"), "mib_s"), fmt(g("randread"), "iops"),
                     fmt(g("randwrite"), "iops"),
                     fmt(g("randread-qd1"), "lat_mean_us")]
            if cond == "unshaped":
                cells += [fmt(g("seqread"), "cpu_s_per_gib"),
                          fmt(g("seqwrite"), "cpu_s_per_gib")]
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
    out += ["**Profile** (medians; TCP segments retransmitted and MPTCP "
            "out-of-order queueings per MiB moved, then TCP segments sent "
            "and MPTCP out-of-order queueings per I/O, both ends; path "
            "shares of the bytes on the wire)", "",
            "| condition | configuration | workload | retrans/MiB | "
            "MPTCP OFO/MiB | segments/I/O | MPTCP OFO/I/O | path shares | "
            "ctx switches/I/O |",
            "|---|---|---|---|---|---|---|---|---|"]
    for (cond, c, load), s in sorted(
            summary.items(), key=lambda kv: (CONDS.index(kv[0][0]),
                                             config_order(kv[0][1]),
                                             LOADS.index(kv[0][2]))):
        shares = "/".join(f"{x * 100:.0f}" for x in s["path_share"])
        out.append(f"| {cond} | {c} | {load} | {fmt(s, 'retrans_per_mib')} | "
                   f"{fmt(s, 'mptcp_ofo_per_mib')} | {fmt(s, 'segs_per_io')} | "
                   f"{fmt(s, 'mptcp_ofo_per_io')} | {shares} | "
                   f"{fmt(s, 'ctxt_per_io')} |")
    out.append("")
    out += ["**Targets** (ratio of medians; met when >= goal)", "",
            "| target | measured | goal | |", "|---|---|---|---|"]
    for t in rows:
        v = "-" if t["ratio"] is None else f"{t['ratio']:.3f}"
        verdict = ("not measured" if t["ratio"] is None
                   else "met" if t["met"] else "missed")
        out.append(f"| {t['target']} | {v} | {t['goal']:.2f} | {verdict} |")
    if skips or failed:
        out += ["", "Not measured:"]
        out += [f"- {s.get('cond')} {s.get('config')}: {s.get('why')}"
                for s in skips]
        out += [f"- {f}" for f in failed]
    return "\n".join(out) + "\n"


def chart(summary, meta, png, bs="128k"):
    """Seq read and write MiB/s per condition and configuration."""
    conds = [c for c in ("clean", "lossy", "uneven", "losslimited")
             if any(k[0] == c for k in summary)] or ["unshaped"]
    loads = [ld for ld in ("seqread", "seqwrite")
             if any(k[2] == ld and k[0] in conds for k in summary)]
    if not loads:
        return False
    def config(col, cond):
        if col == "mptcp":
            return "mptcp2" if cond == "uneven" else "mptcp4"
        return col
    named = [("tcp1", "stock nvme-tcp, 1 path"),
             ("native-rr", "native multipath, round-robin"),
             ("native-qd", "native multipath, queue-depth"),
             ("mptcp", "nvme-mptcp, all paths"),
             ("fallback", "stock host -> nvmet-mptcp")]
    named = [(c, t) for c, t in named
             if any(med(summary, cond, config(c, cond), load, "mib_s")
                    is not None for cond in conds for load in loads)]
    cols = [c for c, _ in named]
    titles = [t for _, t in named]
    data = png + ".dat"
    with open(data, "w") as f:
        for load in loads:
            f.write(f"# {load}\n")
            for cond in conds:
                row = [cond]
                for c in cols:
                    v = med(summary, cond, config(c, cond), load, "mib_s")
                    row.append("-" if v is None else f"{v:.2f}")
                f.write(" ".join(row) + "\n")
            f.write("\n\n")
    plots = []
    for idx, load in enumerate(loads):
        load = "sequential " + load[3:]
        using = ", ".join(
            f"'{data}' index {idx} using {i + 2}:xtic(1) title '{t}'"
            for i, t in enumerate(titles))
        plots.append(f"set title '{load}, {bs} QD32 (MiB/s)'\nplot {using}")
    script = "\n".join([
        "set terminal pngcairo size 1200,500 font 'sans,9'",
        f"set output '{png}'",
        "set datafile missing '-'",
        "set style data histogram",
        "set style histogram clustered gap 1",
        "set style fill solid 0.8 border -1",
        "set yrange [0:*]",
        "set key top right font 'sans,8'",
        "set grid ytics",
        f"set multiplot layout 1,{len(loads)} title 'nvme-mptcp vs NVMe native multipath, "
        f"R = {meta.get('rate', '?')} Mbit/s per path, {meta.get('kernel', '?')}'",
        *plots,
        "unset multiplot",
    ])
    subprocess.run(["gnuplot"], input=script, text=True, check=True)
    os.unlink(data)
    return True


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("result")
    ap.add_argument("outdir")
    ap.add_argument("--date", default=datetime.date.today().isoformat())
    ap.add_argument("--no-chart", action="store_true")
    a = ap.parse_args(argv)
    with open(a.result) as f:
        meta, points, skips, failed = parse(f.read())
    if not points:
        print(f"{a.result}: no bench-point lines", file=sys.stderr)
        return 1
    summary = summarise(points)
    rows = targets(summary, int(meta.get("rate", 40)))
    os.makedirs(a.outdir, exist_ok=True)
    with open(os.path.join(a.outdir, "bench.json"), "w") as f:
        json.dump({"date": a.date, "meta": meta, "points": points,
                   "summary": [{"cond": k[0], "config": k[1], "load": k[2], **v}
                               for k, v in sorted(summary.items())],
                   "targets": rows, "skipped": skips, "failed": failed},
                  f, indent=1)
    md = markdown(meta, summary, rows, skips, failed, a.date, points)
    with open(os.path.join(a.outdir, "bench.md"), "w") as f:
        f.write(md)
    # A run of only random loads has nothing to chart, which is no failure.
    if not a.no_chart and not chart(summary, meta,
                                    os.path.join(a.outdir, "bench.png"),
                                    seq_bs(points)):
        print("no sequential figures: no chart", file=sys.stderr)
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
