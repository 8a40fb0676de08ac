#!/usr/bin/env bash
# HEAD latency with a large index: the existence check LMCache puts on the
# time-to-first-token path (up to ~80 serial HEADs per prompt).
#
# Populates one bucket with N small objects (default 100 000) through the S3
# API, then measures, over one keep-alive connection with keys addressed in a
# pseudo-random order:
#   - HEAD of present keys (200),
#   - HEAD of absent keys (404: negative lookups must be as fast),
#   - the same two after a restart of kvgate (index block cache cold).
# Prints a table with the targets (p50 < 0.2 ms, p99 < 1 ms) and writes the raw
# JSON lines to <build>/head-bench/results.jsonl.
#
# The data directories live on tmpfs (/dev/shm) by default: this benchmark
# measures the index lookup and the request path, not the disks, and a 100k
# population with an fdatasync per PUT on this VM's disk would take most of
# an hour. KVGATE_HEAD_BENCH_DIR overrides the location (e.g. /var/tmp).
#
# Usage: perf/head_bench.sh [--objects N] [--heads N] [--disks N] [--no-build]
#   --disks (default 6): data directories. HEAD is answered by the index alone,
#   so 1 disk measures the same path with a sixth of the files: 1 million
#   objects on 6 tmpfs disks would need ~30 GB (a page per manifest), on 1 ~5 GB.
# Environment: KVGATE_PERF_BUILD (default <repo>/build-perf).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${KVGATE_PERF_BUILD:-$ROOT/build-perf}
OUT=$BUILD/head-bench
OBJECTS=100000 HEADS=20000 DISKS=6 DO_BUILD=1
while (($#)); do
  case $1 in
    --objects) OBJECTS=$2; shift 2 ;;
    --heads) HEADS=$2; shift 2 ;;
    --disks) DISKS=$2; shift 2 ;;
    --no-build) DO_BUILD=0; shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

# shellcheck source=perf/lib.sh
source "$ROOT/perf/lib.sh"

if [[ $DO_BUILD == 1 ]]; then
  perf_build_release kvgate kvgate_s3_load_bench
fi
KVGATE=$BUILD/kvgate
LOAD=$BUILD/perf/kvgate_s3_load_bench
perf_require_executables "$KVGATE" "$LOAD"

perf_start_run "${KVGATE_HEAD_BENCH_DIR:-/dev/shm}" head-bench

perf_random_credentials
DATA_ARGS=()
for ((i = 1; i <= DISKS; i++)); do DATA_ARGS+=(--data "$WORK/disk$i"); done

KVGATE_PORT=""
start_kvgate() {
  "$KVGATE" serve --listen 127.0.0.1:0 "${DATA_ARGS[@]}" --access-log off --log-level warn \
    >"$WORK/kvgate.out" 2>>"$OUT/kvgate.stderr" &
  KVGATE_PID=$!
  KVGATE_PORT=""
  for _ in $(seq 600); do
    KVGATE_PORT=$(sed -n 's|.*kvgate ready on http://127.0.0.1:\([0-9]*\).*|\1|p' "$WORK/kvgate.out" | head -1)
    [[ -n $KVGATE_PORT ]] && return 0
    kill -0 "$KVGATE_PID" 2>/dev/null || { cat "$OUT/kvgate.stderr" >&2; exit 1; }
    sleep 0.1
  done
  echo "kvgate did not become ready" >&2
  exit 1
}

# load LABEL ARGS...: one bounded run of the load tool, its JSON appended to results.jsonl.
load() {
  local label=$1 json rc=0
  shift
  json=$("$LOAD" --json --port "$KVGATE_PORT" --bucket heads "$@") || rc=$?
  printf '{"label":"%s","result":%s}\n' "$label" "$json" >>"$RESULTS"
  if ((rc != 0)); then echo "load run $label failed: $json" >&2; exit 1; fi
  log "$label: $json"
}

start_kvgate
load "create bucket" --op create-bucket --max-requests 1
log "populating $OBJECTS objects of 16 bytes (16 connections) under $WORK"
# In rounds of at most CHUNK keys (the load tool runs at most 600 s), keys
# k<round>-<i>; HEADs address round 0's keys (the oldest in the index).
CHUNK=$((OBJECTS < 250000 ? OBJECTS : 250000))
start_s=$SECONDS
for ((done_objects = 0, round = 0; done_objects < OBJECTS; round++)); do
  n=$((OBJECTS - done_objects < CHUNK ? OBJECTS - done_objects : CHUNK))
  load "populate $round" --op put --size 16 --prefix "k$round-" --objects "$n" --connections 16 \
    --max-requests "$n" --seconds 600
  done_objects=$((done_objects + n))
done
populate_s=$((SECONDS - start_s))
du_kib=$(du -sk "$WORK" | cut -f1)

measure() {  # measure TAG
  load "$1 present" --op head --prefix k0- --objects "$CHUNK" --shuffle \
    --max-requests "$HEADS" --seconds 60
  load "$1 absent" --op head --prefix absent- --objects "$CHUNK" --shuffle \
    --expect-status 404 --max-requests "$HEADS" --seconds 60
}
measure "warm"
rss_kib=$(awk '/VmRSS/ {print $2}' /proc/"$KVGATE_PID"/status)
stop_kvgate
start_kvgate
measure "after restart"
stop_kvgate

python3 - "$RESULTS" "$OBJECTS" "$populate_s" "$du_kib" "$rss_kib" "$(cut -d' ' -f1-3 /proc/loadavg)" "$DISKS" <<'EOF'
import json, sys
rows = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    rows[r["label"]] = r["result"]
objects, populate_s, du_kib, rss_kib = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
print(f"\nHEAD latency, {objects} objects indexed ({sys.argv[7]} data directories), 1 connection, "
      "keys in pseudo-random order")
print(f"(load average {sys.argv[6]} at the end: other work on the machine shows up in p99)")
print(f"(populated in {populate_s} s, {objects / max(populate_s, 1):.0f} PUT/s; "
      f"data dirs {du_kib / 1024:.0f} MiB; kvgate RSS {rss_kib / 1024:.0f} MiB after the warm runs)\n")
print(f"| {'run':<28} | {'HEADs':>6} | {'p50 ms':>7} | {'p99 ms':>7} | {'max ms':>7} | verdict |")
print(f"| {'-'*28} | {'-'*6}: | {'-'*7}: | {'-'*7}: | {'-'*7}: | ------- |")
for label in ("warm present", "warm absent", "after restart present", "after restart absent"):
    r = rows[label]
    ok = r["p50_ms"] < 0.2 and r["p99_ms"] < 1.0 and r["errors"] == 0
    print(f"| {label:<28} | {r['requests']:>6} | {r['p50_ms']:>7.3f} | {r['p99_ms']:>7.3f} | "
          f"{r['max_ms']:>7.3f} | {'PASS' if ok else 'MISS'} |")
print("\ntargets: p50 < 0.2 ms and p99 < 1 ms (DESIGN.md §7), absent keys as fast as present ones")
EOF
