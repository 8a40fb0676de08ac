#!/usr/bin/env bash
# KV-cache workloads against kvgate (issue #8, "The workload generator"),
# driven by kvgate_kv_load (perf/kv_load.cc) over keep-alive HTTP/1.1 on
# loopback, SigV4-signed like awscrt signs LMCache's requests:
#   - LMCache PUT of 32 MiB segments (CreateMultipartUpload, 4 x 8 MiB
#     UploadParts in parallel out of order, Complete) at 1 and 8 clients,
#   - LMCache GET of the same (HEAD, then 8 MiB ranged GETs with If-Match,
#     every byte verified) at 1, 4 and 8 clients,
#   - a HEAD storm (prompts of 80 serial HEADs, 10% misses) over 200 keys,
#   - a 16-user chat (shared system-prompt segments re-read by every user,
#     per-user history written and read back in later rounds, 16 MiB segments),
#   - kvgate's RSS with 1, 64 and 1000 connections open (64 busy + 936 idle).
# Every run is bounded by a request budget and a time budget (about 5 minutes
# in all here) and reports the server's CPU seconds per GiB moved and RSS.
# Prints one table, writes the JSON lines to <out>/results.jsonl, the latency
# samples to <out>/latency-<run>.tsv and, unless --no-plot, PNG charts
# (perf/plot_results.py, Debian's python3-matplotlib, installed if missing).
#
# Usage: perf/kv_bench.sh [--no-build] [--no-plot] [--no-install]
# Environment: KVGATE_PERF_BUILD (default <repo>/build-perf), KVGATE_BENCH_OUT
# (default <build>/kv-bench), KVGATE_KV_BENCH_DIR (parent of the scratch data
# directories, default /var/tmp: the disks are part of what is measured).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${KVGATE_PERF_BUILD:-$ROOT/build-perf}
OUT=${KVGATE_BENCH_OUT:-$BUILD/kv-bench}
DO_BUILD=1 DO_PLOT=1 DO_INSTALL=1
for arg in "$@"; do
  case $arg in
    --no-build) DO_BUILD=0 ;;
    --no-plot) DO_PLOT=0 ;;
    --no-install) DO_INSTALL=0 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done

# shellcheck source=perf/lib.sh
source "$ROOT/perf/lib.sh"

# Debian's matplotlib is for Debian's python, whatever `python3` is on PATH.
PY=/usr/bin/python3
[[ -x $PY ]] || PY=python3
if [[ $DO_PLOT == 1 && $DO_INSTALL == 1 ]] && ! "$PY" -c 'import matplotlib' 2>/dev/null; then
  log "installing python3-matplotlib"
  sudo=()
  [[ $(id -u) == 0 ]] || sudo=(sudo)
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    python3-matplotlib >&2 ||
    { "${sudo[@]}" apt-get update >&2 && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y --no-install-recommends python3-matplotlib >&2; }
fi

if [[ $DO_BUILD == 1 ]]; then
  perf_build_release kvgate kvgate_kv_load
fi
KVGATE=$BUILD/kvgate
LOAD=$BUILD/perf/kvgate_kv_load
perf_require_executables "$KVGATE" "$LOAD"

perf_start_run "${KVGATE_KV_BENCH_DIR:-/var/tmp}" kv-bench
rm -f "$OUT"/latency-*.tsv

# 1000 connections on each side: kvgate and the load tool need the fds.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
perf_random_credentials
DATA_ARGS=()
for i in 1 2 3 4 5 6; do DATA_ARGS+=(--data "$WORK/disk$i"); done

"$KVGATE" serve --listen 127.0.0.1:0 "${DATA_ARGS[@]}" --access-log off --log-level warn \
  >"$WORK/kvgate.out" 2>"$OUT/kvgate.stderr" &
KVGATE_PID=$!
KVGATE_PORT=""
for _ in $(seq 600); do
  KVGATE_PORT=$(sed -n 's|.*kvgate ready on http://127.0.0.1:\([0-9]*\).*|\1|p' "$WORK/kvgate.out" | head -1)
  [[ -n $KVGATE_PORT ]] && break
  kill -0 "$KVGATE_PID" 2>/dev/null || { cat "$OUT/kvgate.stderr" >&2; exit 1; }
  sleep 0.1
done
[[ -n $KVGATE_PORT ]] || { echo "kvgate did not become ready" >&2; exit 1; }
LOAD_AVG_START=$(cut -d' ' -f1-3 /proc/loadavg)
log "kvgate pid $KVGATE_PID on 127.0.0.1:$KVGATE_PORT, data under $WORK (load average $LOAD_AVG_START)"

# run LABEL ARGS...: one bounded run of the load tool; its JSON goes to results.jsonl.
FAILED=0
run() {
  local label=$1 json rc=0
  shift
  log "$label"
  json=$("$LOAD" --json --port "$KVGATE_PORT" --server-pid "$KVGATE_PID" \
    --latency-out "$OUT/latency-$label.tsv" "$@") || rc=$?
  [[ -n $json ]] || json='{"errors":1,"first_error":"no output"}'
  printf '{"label":"%s","result":%s}\n' "$label" "$json" >>"$RESULTS"
  if ((rc != 0)); then
    echo "run $label failed (exit $rc): $json" | cut -c1-600 >&2
    FAILED=1
  fi
}

SEG=(--segment-mib 32 --objects 8 --prefix lm-)
run lmcache-put-c1 --workload lmcache-put "${SEG[@]}" --connections 1 --seconds 20 --max-requests 120
run lmcache-put-c8 --workload lmcache-put "${SEG[@]}" --connections 8 --seconds 30 --max-requests 480
run lmcache-get-c1 --workload lmcache-get "${SEG[@]}" --verify --connections 1 --seconds 15 --max-requests 250
run lmcache-get-c4 --workload lmcache-get "${SEG[@]}" --verify --no-populate --connections 4 --seconds 15 --max-requests 500
run lmcache-get-c8 --workload lmcache-get "${SEG[@]}" --verify --no-populate --connections 8 --seconds 15 --max-requests 800
run head-storm --workload head-storm --segment-mib 1 --objects 200 --prefix hs- --connections 1 \
  --heads-per-prompt 80 --miss-ratio 0.1 --seconds 20 --max-requests 16000
run exists-storm --workload exists-storm --segment-mib 1 --objects 200 --prefix hs- --no-populate \
  --connections 1 --heads-per-prompt 80 --miss-ratio 0.1 --seconds 20 --max-requests 4000
run chat-16 --workload chat --segment-mib 16 --prefix chat- --connections 16 --part-connections 2 \
  --rounds 3 --system-segments 2 --verify --seconds 40 --max-requests 2000
run rss-1 --workload get "${SEG[@]}" --no-populate --connections 1 --seconds 8 --max-requests 16
run rss-64 --workload get "${SEG[@]}" --no-populate --connections 64 --seconds 10 --max-requests 128
run rss-1000 --workload get "${SEG[@]}" --no-populate --connections 64 --connections-idle 936 \
  --seconds 10 --max-requests 128
stop_kvgate

"$PY" - "$RESULTS" "$LOAD_AVG_START" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'EOF'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
print(f"\nKV workloads against kvgate (load average {sys.argv[2]} at start, {sys.argv[3]} at end)\n")
main_op = {"lmcache-put": "lmcache-put", "lmcache-get": "lmcache-get", "head-storm": "head",
           "exists-storm": "exists-batch",
           "chat": "round", "get": "get"}
print(f"| {'run':<15} | {'op':<13} | {'conns':>6} | {'count':>6} | {'MiB/s':>7} | {'op/s':>7} | "
      f"{'p50 ms':>8} | {'p99 ms':>8} | {'p999 ms':>8} | {'errors':>6} | {'CPU s/GiB':>9} | {'RSS MiB':>7} | {'run max':>7} |")
print(f"| {'-'*15} | {'-'*13} | {'-'*5}: | {'-'*5}: | {'-'*6}: | {'-'*6}: | {'-'*7}: | {'-'*7}: | "
      f"{'-'*7}: | {'-'*5}: | {'-'*8}: | {'-'*6}: | {'-'*6}: |")
for row in rows:
    r = row["result"]
    label = row["label"]
    ops = r.get("ops", {})
    names = [main_op.get(r.get("workload"), "")]
    if r.get("workload") == "head-storm": names += ["head-miss", "prompt"]
    if r.get("workload") == "exists-storm": names += ["prompt"]
    if r.get("workload") == "chat": names = ["system-read", "history-read", "history-write", "round"]
    srv = r.get("server") or {}
    gib = srv.get("cpu_seconds_per_gib")
    cpu = f"{gib:.2f}" if isinstance(gib, (int, float)) else "n/a"
    rss = f"{srv['rss_kib'] / 1024:.0f}" if "rss_kib" in srv else "n/a"
    rss_max = f"{srv['rss_kib_run_peak'] / 1024:.0f}" if "rss_kib_run_peak" in srv else "n/a"
    conns = r.get("connections", 0) * r.get("part_connections", 1) + r.get("connections_idle", 0)
    first = True
    for name in names:
        o = ops.get(name)
        if o is None: continue
        print(f"| {label if first else '':<15} | {name:<13} | {conns if first else '':>6} | {o['count']:>6} | "
              f"{o['mib_per_s']:>7.1f} | {o['requests_per_s']:>7.1f} | {o['p50_ms']:>8.3f} | "
              f"{o['p99_ms']:>8.3f} | {o['p999_ms']:>8.3f} | {o['errors']:>6} | "
              f"{cpu if first else '':>9} | {rss if first else '':>7} | {rss_max if first else '':>7} |")
        first = False
    if first:
        print(f"| {label:<15} | {'FAILED':<13} | {'':>6} | {'':>6} | {'':>7} | {'':>7} | {'':>8} | {'':>8} | "
              f"{'':>8} | {r.get('errors', '?'):>6} | {'':>9} | {'':>7} | {'':>7} |")
prompt = {row["label"]: row["result"].get("ops", {}).get("prompt") for row in rows}
if prompt.get("head-storm") and prompt.get("exists-storm"):
    h, e = prompt["head-storm"], prompt["exists-storm"]
    print(f"\n80-key prompt check: 80 serial HEADs p50 {h['p50_ms']:.3f} ms / p99 {h['p99_ms']:.3f} ms; "
          f"one BatchExists p50 {e['p50_ms']:.3f} ms / p99 {e['p99_ms']:.3f} ms; "
          f"ratio (HEADs / BatchExists) p50 {h['p50_ms'] / e['p50_ms']:.1f}x, p99 {h['p99_ms'] / e['p99_ms']:.1f}x")
bad = [(row["label"], row["result"].get("first_error")) for row in rows if row["result"].get("errors")]
for label, err in bad:
    print(f"ERRORS in {label}: {err}")
print("\nMiB/s and op/s are per object-level operation (a 32 MiB segment, an 80-HEAD prompt, a chat")
print("round); conns = client connections open (clients x connections each + idle ones).")
print("CPU s/GiB: kvgate's utime+stime over the run per GiB of bodies moved. RSS: kvgate's VmRSS at the")
print("end of the run; run max: the largest VmRSS sampled every 50 ms during it.")
EOF

if [[ $DO_PLOT == 1 ]]; then
  "$PY" "$ROOT/perf/plot_results.py" --results "$RESULTS" --out "$OUT" >&2 ||
    { echo "plotting failed" >&2; FAILED=1; }
fi
log "results: $RESULTS; latency samples and charts in $OUT"
exit "$FAILED"
