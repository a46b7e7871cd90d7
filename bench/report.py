#!/usr/bin/env python3
"""Turns bench/run.sh's raw results (one JSON object per line) into latest.md and latest.png.

usage: report.py RAW.jsonl OUT_DIR [--meta TEXT]...

Every figure is the median of the repetitions, with min and max beside it; ratios compare
sockit's servers with each peer measured in the same run.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
from collections import defaultdict

CLK_TCK = os.sysconf("SC_CLK_TCK")
SOCKIT = ["sockit-loop", "sockit-reactors"]
# base-*: the same servers from another sockit binary (run.sh BASE_SOCKIT), for before/after.
BASE = ["base-loop", "base-reactors"]
ORDER = ["sockit-loop", "sockit-reactors", "base-loop", "base-reactors", "asio", "libuv", "epoll", "uring", "asyncio", "threads", "redis"]
ECHO_WORKLOADS = ["W1-c1", "W1-c50", "W1-c1000", "W1p-c1", "W1p-c50", "W1p-c1000"]
CHART_WORKLOADS = ["W1-c50", "W1-c1000", "W1p-c50", "W1p-c1000"]


def load(path):
    runs = defaultdict(list)  # (server, workload) -> [record]
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                rec = json.loads(line)
                runs[(rec["server"], rec["workload"])].append(rec)
    return runs


def stats(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return statistics.median(values), min(values), max(values)


def metric(runs, server, workload, fn):
    return stats([fn(r) for r in runs.get((server, workload), [])])


def rps(r):
    return r["result"].get("rps")


def mbps(r):
    return r["result"].get("mb_per_sec")


def latency_us(res, which):
    """sockit bench --json gives latency_ms (older results and other tools: latency_us)."""
    if "latency_ms" in res:
        return res["latency_ms"][which] * 1000.0
    return res["latency_us"][which]


def load_sec(res, which):
    """load_cpu_ms / load_wall_ms from sockit bench --json (older results: *_sec)."""
    if f"load_{which}_ms" in res:
        return res[f"load_{which}_ms"] / 1000.0
    return res.get(f"load_{which}_sec")


def p50(r):
    return latency_us(r["result"], "p50")


def p99(r):
    return latency_us(r["result"], "p99")


def cpu_per_req_us(r):
    n = r["result"].get("responses", 0)
    return r["cpu_ticks"] / CLK_TCK * 1e6 / n if n else None


def cpu_per_gb_ms(r):
    """Server CPU (ms) per GB echoed back: what a bulk stream costs the server, whoever limits MB/s."""
    got = r["result"].get("bytes_received", 0)
    return r["cpu_ticks"] / CLK_TCK * 1e3 / (got / 1e9) if got else None


def load_cpu_pct(r):
    res = r["result"]
    wall = load_sec(res, "wall")
    return 100 * load_sec(res, "cpu") / wall if wall else None


def load_per_req_us(r):
    res = r["result"]
    n = res.get("responses", 0)
    cpu = load_sec(res, "cpu")
    return 1e6 * cpu / n if n and cpu is not None else None


def errors(r):
    return r["result"]["errors"]["total"]


def fmt(s, digits=0, scale=1.0):
    if s is None:
        return "-"
    med, lo, hi = (x * scale for x in s)
    return f"{med:,.{digits}f} ({lo:,.{digits}f}-{hi:,.{digits}f})"


def med(s):
    return s[0] if s else None


def ratio(a, b):
    return f"{a / b:.2f}x" if a is not None and b else "-"


def servers_in(runs):
    present = {s for s, _ in runs}
    return [s for s in ORDER if s in present] + sorted(present - set(ORDER) - {"iperf3"})


def echo_tables(runs, servers, out):
    for w in ECHO_WORKLOADS:
        rows = [s for s in servers if (s, w) in runs]
        if not rows:
            continue
        out.append(f"\n### {w}: {'pipeline 16, ' if w.startswith('W1p') else ''}"
                   f"{w.split('-c')[1]} connection(s), 64 B requests\n")
        out.append("| server | req/s median (min-max) | p50 us | p99 us | server CPU us/req "
                   "| load CPU us/req | load CPU % | errors |")
        out.append("|---|---|---|---|---|---|---|---|")
        for s in rows:
            out.append(f"| {s} | {fmt(metric(runs, s, w, rps))} | {fmt(metric(runs, s, w, p50), 1)} "
                       f"| {fmt(metric(runs, s, w, p99), 1)} "
                       f"| {fmt(metric(runs, s, w, cpu_per_req_us), 2)} "
                       f"| {fmt(metric(runs, s, w, load_per_req_us), 2)} "
                       f"| {fmt(metric(runs, s, w, load_cpu_pct))} "
                       f"| {sum(errors(r) for r in runs[(s, w)])} |")


def ratio_tables(runs, servers, out):
    peers = [s for s in servers if s not in SOCKIT]
    for me in [s for s in SOCKIT if s in servers]:
        out.append(f"\n### {me} as a ratio to each peer (median req/s; server CPU per request)\n")
        out.append("| workload | " + " | ".join(peers) + " |")
        out.append("|---|" + "---|" * len(peers))
        ran = [w for w in ECHO_WORKLOADS + ["W2"] if (me, w) in runs]
        for w in ran:
            fn = mbps if w == "W2" else rps
            mine = med(metric(runs, me, w, fn))
            cells = [ratio(mine, med(metric(runs, p, w, fn))) for p in peers]
            out.append(f"| {w} rate | " + " | ".join(cells) + " |")
        for w in [w for w in ran if w != "W2"]:
            mine = med(metric(runs, me, w, cpu_per_req_us))
            cells = [ratio(mine, med(metric(runs, p, w, cpu_per_req_us))) for p in peers]
            out.append(f"| {w} CPU/req | " + " | ".join(cells) + " |")


def w2_table(runs, servers, out):
    if not any(w == "W2" for _, w in runs):
        return
    out.append("\n### W2: bulk echo through one connection (MB/s echoed back)\n")
    out.append("| server | MB/s median (min-max) | server CPU ms per GB | load CPU % |")
    out.append("|---|---|---|---|")
    for s in servers + ["iperf3"]:
        if (s, "W2") in runs:
            if s == "iperf3":
                out.append(f"| iperf3 (one way, ceiling) | {fmt(metric(runs, s, 'W2', mbps))} | - | - |")
                continue
            out.append(f"| {s} | {fmt(metric(runs, s, 'W2', mbps))} "
                       f"| {fmt(metric(runs, s, 'W2', cpu_per_gb_ms))} "
                       f"| {fmt(metric(runs, s, 'W2', load_cpu_pct))} |")


def w5_rows(runs, s):
    base, idle = runs.get((s, "W5-base"), []), runs.get((s, "W5-idle"), [])
    per_conn = []
    for b in base:
        for i in idle:
            n = i["result"].get("idle_connected_count", i["result"].get("idle_connected", 0))
            if i["rep"] == b["rep"] and n:
                per_conn.append((i["rss_kb"] - b["rss_kb"]) * 1024 / n)
    rb, ri = med(metric(runs, s, "W5-base", rps)), med(metric(runs, s, "W5-idle", rps))
    drop = 100 * (1 - ri / rb) if rb and ri is not None else None
    idle_up = [i["result"].get("idle_connected_count", i["result"].get("idle_connected", 0)) for i in idle]
    fds = [i.get("server_fds", 0) for i in idle]
    return stats(per_conn), rb, ri, drop, min(idle_up) if idle_up else 0, min(fds) if fds else 0


def w5_table(runs, servers, out):
    if not any(w == "W5-idle" for _, w in runs):
        return
    out.append("\n### W5: idle connections + 100 active (server RSS growth per idle connection)\n")
    out.append("| server | idle conns up (client) | server fds (max) | bytes per idle conn "
               "median (min-max) | active req/s without idle | with idle | drop |")
    out.append("|---|---|---|---|---|---|---|")
    for s in servers:
        if (s, "W5-idle") not in runs:
            continue
        per_conn, rb, ri, drop, up, fds = w5_rows(runs, s)
        out.append(f"| {s} | {up} | {fds} | {fmt(per_conn)} | {rb or 0:,.0f} | {ri or 0:,.0f} | "
                   f"{'-' if drop is None else f'{drop:.1f}%'} |")


def w6_table(runs, servers, out):
    if not any(w == "W1-c1" for _, w in runs):
        return
    out.append("\n### W6: one connection, one request at a time (latency, us)\n")
    out.append("| server | p50 median (min-max) | p99 median (min-max) |")
    out.append("|---|---|---|")
    for s in servers:
        if (s, "W1-c1") in runs:
            out.append(f"| {s} | {fmt(metric(runs, s, 'W1-c1', p50), 1)} "
                       f"| {fmt(metric(runs, s, 'W1-c1', p99), 1)} |")


def redis_check(runs, out):
    ours = {p: med(metric(runs, "redis", w, rps)) for p, w in ((1, "W1-c50"), (16, "W1p-c50"))}
    theirs = {p: med(stats([r["rps"] for r in runs.get(("redis", f"redis-benchmark-P{p}"), [])]))
              for p in (1, 16)}
    if not any(theirs.values()):
        return
    out.append("\n### Load generator cross-check: Redis PING, 50 connections\n")
    out.append("| pipeline | sockit bench req/s | redis-benchmark req/s | ratio |")
    out.append("|---|---|---|---|")
    for p in (1, 16):
        out.append(f"| {p} | {ours[p] or 0:,.0f} | {theirs[p] or 0:,.0f} | {ratio(ours[p], theirs[p])} |")


def targets(runs, servers, out):
    me = "sockit-loop"
    out.append("\n## Targets (issue 5)\n")
    if me not in servers:
        out.append("`sockit serve echo --model loop` was not available in this run: peers only.")
        return
    for w in ["W1-c50", "W1-c1000", "W1p-c50", "W1p-c1000"]:
        if (me, w) not in runs:
            continue
        m = med(metric(runs, me, w, rps))
        c = med(metric(runs, me, w, cpu_per_req_us))
        parts = []
        for p in ("asio", "epoll"):
            parts.append(f"{ratio(m, med(metric(runs, p, w, rps)))} {p} req/s, "
                         f"{ratio(c, med(metric(runs, p, w, cpu_per_req_us)))} {p} CPU/req")
        out.append(f"- {w}: " + "; ".join(parts) + " (target >= 1.00x req/s, <= 0.95x asio CPU)")
    others = [p for p in servers if p not in SOCKIT and p not in BASE]
    # Workloads not run (WORKLOADS=...) and runs without peers (before/after) get no W2 line.
    if (me, "W2") in runs and others:
        best = max((med(metric(runs, p, "W2", mbps)) or 0, p) for p in others)
        out.append(f"- W2: {med(metric(runs, me, 'W2', mbps)) or 0:,.0f} MB/s = "
                   f"{ratio(med(metric(runs, me, 'W2', mbps)), best[0])} the best peer ({best[1]}) "
                   "(target >= 1.5x)")
        cheapest = min((med(metric(runs, p, "W2", cpu_per_gb_ms)) or float("inf"), p)
                       for p in others)
        out.append(f"- W2 server CPU: {med(metric(runs, me, 'W2', cpu_per_gb_ms)) or 0:,.0f} ms per GB = "
                   f"{ratio(med(metric(runs, me, 'W2', cpu_per_gb_ms)), cheapest[0])} the cheapest peer "
                   f"({cheapest[1]})")
    per_conn, _, _, drop, _, _ = w5_rows(runs, me)
    if per_conn is not None:
        out.append(f"- W5: {med(per_conn) or 0:,.0f} bytes per idle connection (target <= 512), "
                   f"active rate drop {drop if drop is not None else 0:.1f}% (target <= 20%)")
    if (me, "W1-c1") not in runs:
        return
    mp, ep = med(metric(runs, me, "W1-c1", p50)), med(metric(runs, "epoll", "W1-c1", p50))
    out.append(f"- W6: p50 {mp or 0:.1f} us vs raw epoll {ep or 0:.1f} us = {ratio(mp, ep)} "
               "(target within 10%)")


def chart(runs, servers, out_dir):
    if not shutil.which("gnuplot"):
        return False
    data = os.path.join(out_dir, "latest.dat")
    rows = [s for s in servers if any((s, w) in runs for w in CHART_WORKLOADS)]
    if not rows:
        return False
    with open(data, "w") as f:
        f.write("workload " + " ".join(rows) + "\n")
        for w in CHART_WORKLOADS:
            vals = [med(metric(runs, s, w, rps)) for s in rows]
            f.write(w + " " + " ".join(f"{(v or 0) / 1000:.1f}" for v in vals) + "\n")
    script = f"""
set terminal pngcairo size 1100,550 font ',10'
set output '{os.path.join(out_dir, "latest.png")}'
set title 'Echo, 64-byte requests: thousands of requests/s (median of runs; higher is better)'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set key outside right top
set ylabel 'k req/s (log scale)'
set logscale y
set yrange [1:*]
set grid ytics
plot for [i=2:{len(rows) + 1}] '{data}' using i:xtic(1) title columnheader(i)
"""
    subprocess.run(["gnuplot"], input=script, text=True, check=True)
    os.remove(data)
    return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("raw")
    ap.add_argument("out_dir")
    ap.add_argument("--meta", action="append", default=[])
    args = ap.parse_args()
    runs = load(args.raw)
    servers = servers_in(runs)
    out = ["# sockit echo benchmark: latest run", ""]
    out += [f"- {m}" for m in args.meta]
    out.append("- every figure: median of the repetitions (min-max); server CPU = utime+stime "
               "from /proc/PID/stat around the measured run; load CPU = the load generator's "
               "own CPU as a share of one core")
    targets(runs, servers, out)
    out.append("\n## Results\n\n![requests per second](latest.png)")
    echo_tables(runs, servers, out)
    ratio_tables(runs, servers, out)
    w2_table(runs, servers, out)
    w5_table(runs, servers, out)
    w6_table(runs, servers, out)
    redis_check(runs, out)
    os.makedirs(args.out_dir, exist_ok=True)
    chart(runs, servers, args.out_dir)
    with open(os.path.join(args.out_dir, "latest.md"), "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
