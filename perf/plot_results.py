#!/usr/bin/env python3
"""Charts of a perf/kv_bench.sh run (Debian's python3-matplotlib, headless).

Reads <results>.jsonl (one {"label", "result"} object per kvgate_kv_load run)
and the latency samples the runs dumped beside it (latency-<label>.tsv:
"op<TAB>ms" per request), and writes PNGs to --out:

  kv-throughput.png    object MiB/s vs client count, LMCache PUT and GET
  kv-latency-cdf.png   latency CDFs of whole 32 MiB segments (PUT, GET)
  kv-head-cdf.png      latency CDFs of HEAD hits, misses and 80-HEAD prompts
  kv-chat-cdf.png      latency CDFs of the chat's reads, writes and rounds
  kv-rss.png           kvgate RSS vs connections open

A chart whose runs are missing is skipped with a note.

Usage: plot_results.py --results build-perf/kv-bench/results.jsonl --out build-perf/kv-bench
"""
import argparse
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def load_runs(path):
    runs = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                row = json.loads(line)
                runs[row["label"]] = row["result"]
    return runs


def load_latencies(out_dir, label):
    """{op: sorted [ms]} from latency-<label>.tsv, or {} when absent."""
    path = os.path.join(out_dir, f"latency-{label}.tsv")
    samples = {}
    if not os.path.exists(path):
        return samples
    with open(path) as f:
        for line in f:
            op, _, ms = line.rstrip("\n").partition("\t")
            if ms:
                samples.setdefault(op, []).append(float(ms))
    for v in samples.values():
        v.sort()
    return samples


def plot_cdf(ax, values, label):
    n = len(values)
    if n == 0:
        return False
    ax.step(values, [(i + 1) / n for i in range(n)], where="post", label=f"{label} (n={n})")
    return True


def throughput_chart(runs, out):
    fig, ax = plt.subplots(figsize=(7, 4.5))
    drew = False
    for workload in ("lmcache-put", "lmcache-get"):
        points = []
        for r in runs.values():
            if r.get("workload") == workload and workload in r.get("ops", {}):
                points.append((r["connections"], r["ops"][workload]["mib_per_s"]))
        points.sort()
        if points:
            ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=workload)
            drew = True
    if not drew:
        print("throughput chart: no lmcache-put/get runs", file=sys.stderr)
        plt.close(fig)
        return
    ax.set_xlabel("clients (each with its own part/range connections)")
    ax.set_ylabel("MiB/s of 32 MiB segments")
    ax.set_title("kvgate: LMCache-shaped throughput vs concurrency")
    ax.set_ylim(bottom=0)
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(out, "kv-throughput.png"), dpi=120)
    plt.close(fig)


def cdf_chart(out, filename, title, curves):
    """curves: [(label, values)]"""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    drew = False
    for label, values in curves:
        drew |= plot_cdf(ax, values, label)
    if not drew:
        print(f"{filename}: no samples", file=sys.stderr)
        plt.close(fig)
        return
    ax.set_xscale("log")
    ax.set_xlabel("latency (ms, log scale)")
    ax.set_ylabel("fraction of requests")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(os.path.join(out, filename), dpi=120)
    plt.close(fig)


def rss_chart(runs, out):
    points = []
    for label, r in runs.items():
        srv = r.get("server") or {}
        if label.startswith("rss-") and "rss_kib" in srv:
            conns = r["connections"] * r.get("part_connections", 1) + r.get("connections_idle", 0)
            points.append((conns, srv["rss_kib"] / 1024,
                           srv.get("rss_kib_run_peak", srv["rss_kib"]) / 1024))
    if not points:
        print("rss chart: no rss-* runs", file=sys.stderr)
        return
    points.sort()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    xs = [str(p[0]) for p in points]
    ax.bar(xs, [p[1] for p in points], label="RSS at the end of the run")
    ax.plot(xs, [p[2] for p in points], "k_", markersize=30,
            label="largest RSS during the run (50 ms samples)")
    ax.set_xlabel("connections open (busy + idle)")
    ax.set_ylabel("MiB")
    ax.set_title("kvgate memory vs connections")
    ax.set_ylim(top=max(p[2] for p in points) * 1.3)
    ax.legend(loc="upper left", fontsize="small")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "kv-rss.png"), dpi=120)
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    runs = load_runs(args.results)
    latency_dir = os.path.dirname(os.path.abspath(args.results))
    os.makedirs(args.out, exist_ok=True)

    throughput_chart(runs, args.out)
    segment_curves = []
    for label, r in sorted(runs.items()):
        if r.get("workload") in ("lmcache-put", "lmcache-get"):
            samples = load_latencies(latency_dir, label)
            segment_curves.append((label, samples.get(r["workload"], [])))
    cdf_chart(args.out, "kv-latency-cdf.png", "32 MiB segment latency (LMCache shape)",
              segment_curves)
    head = load_latencies(latency_dir, "head-storm")
    cdf_chart(args.out, "kv-head-cdf.png", "HEAD storm: 80 serial HEADs per prompt",
              [("HEAD hit", head.get("head", [])), ("HEAD miss (404)", head.get("head-miss", [])),
               ("prompt (80 HEADs)", head.get("prompt", []))])
    chat = load_latencies(latency_dir, "chat-16")
    cdf_chart(args.out, "kv-chat-cdf.png", "chat, 16 users",
              [(op, chat.get(op, [])) for op in ("system-read", "history-read", "history-write",
                                                 "round")])
    rss_chart(runs, args.out)
    print(f"charts written to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
