#!/usr/bin/env bash
# PUT throughput of the cache tier with eviction running vs without (issue #4:
# with eviction >= 0.9x). Two runs of the same PUT load against kvgate on
# tmpfs: (1) no capacity limit; (2) cache_max_bytes far below what the run
# writes, so from the first seconds on every PUT pushes the node over its high
# watermark and the background evictor deletes least recently used objects
# while the writers keep going. Each run first fills the node to the limit
# (untimed), so run 2 measures the steady state, not the filling.
#
# Usage: perf/cache_bench.sh [--size BYTES] [--seconds S] [--connections C]
#                            [--limit BYTES] [--no-build]
# Environment: KVGATE_PERF_BUILD (default <repo>/build-perf): kvgate and
# perf/kvgate_s3_load_bench; KVGATE_CACHE_BENCH_DIR (default /dev/shm).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${KVGATE_PERF_BUILD:-$ROOT/build-perf}
OUT=$BUILD/cache-bench
SIZE=$((1024 * 1024)) SECONDS_PER_RUN=20 CONNECTIONS=4 LIMIT=$((256 * 1024 * 1024)) DO_BUILD=1
while (($#)); do
  case $1 in
    --size) SIZE=$2; shift 2 ;;
    --seconds) SECONDS_PER_RUN=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --limit) LIMIT=$2; shift 2 ;;
    --no-build) DO_BUILD=0; shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

# shellcheck source=perf/lib.sh
source "$ROOT/perf/lib.sh"

if [[ $DO_BUILD == 1 ]]; then
  perf_build_release kvgate kvgate_s3_load_bench
fi
KVGATE=${KVGATE_BINARY:-$BUILD/kvgate}
LOAD=$BUILD/perf/kvgate_s3_load_bench
perf_require_executables "$KVGATE" "$LOAD"

perf_start_run "${KVGATE_CACHE_BENCH_DIR:-/dev/shm}" cache-bench

perf_random_credentials

KVGATE_PORT=""
start_kvgate() {  # start_kvgate RUN [extra serve args...]
  local run=$1
  shift
  rm -rf "${WORK:?}/$run"
  local data=()
  for i in 1 2 3 4 5 6; do data+=(--data "$WORK/$run/disk$i"); done
  "$KVGATE" serve --listen 127.0.0.1:0 "${data[@]}" --access-log off --log-level warn "$@" \
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

load() {  # load LABEL ARGS...
  local label=$1 json rc=0
  shift
  json=$("$LOAD" --json --port "$KVGATE_PORT" --bucket cache "$@") || rc=$?
  printf '{"label":"%s","result":%s}\n' "$label" "$json" >>"$RESULTS"
  if ((rc != 0)); then echo "load run $label failed: $json" >&2; exit 1; fi
  log "$label: $json"
}

FILL=$((LIMIT / SIZE))
run() {  # run LABEL [serve args]
  local label=$1
  shift
  start_kvgate "$label" "$@"
  load "$label create bucket" --op create-bucket --max-requests 1
  load "$label fill" --op put --size "$SIZE" --prefix fill- --objects "$FILL" \
    --connections "$CONNECTIONS" --max-requests "$FILL" --seconds 600
  # Distinct keys (far more than the run writes): every PUT adds an object.
  load "$label" --op put --size "$SIZE" --prefix seg- --objects 10000000 \
    --connections "$CONNECTIONS" --seconds "$SECONDS_PER_RUN" --max-requests 10000000
  # Eviction counters live in the server's memory: ask its admin API.
  "$KVGATE" capacity --json --endpoint "http://127.0.0.1:$KVGATE_PORT" >"$OUT/capacity-$label.json" \
    2>/dev/null || echo '{}' >"$OUT/capacity-$label.json"
  stop_kvgate
}

log "PUT $SIZE-byte objects, $CONNECTIONS connections, $SECONDS_PER_RUN s per run, limit $LIMIT bytes"
run "no limit"
run "eviction" --cache-max-bytes "$LIMIT"
evicted=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(sum(v["objects"] for v in r["evicted"].values()), r["usage"]["logical_bytes"], r["inline_evictions"])' \
  "$OUT/capacity-eviction.json" 2>/dev/null || echo "? ? ?")

python3 - "$RESULTS" "$SIZE" "$LIMIT" "$evicted" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'PY'
import json, sys
rows = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    rows[r["label"]] = r["result"]
size, limit = int(sys.argv[2]), int(sys.argv[3])
evicted, used, inline = (sys.argv[4].split() + ["?", "?", "?"])[:3]
a, b = rows["no limit"], rows["eviction"]
print(f"\nPUT throughput with eviction vs without ({size} B objects, node limit {limit / 2**20:.0f} MiB)")
print(f"(load average {sys.argv[5]} at the end)\n")
print("| run | PUTs | PUT/s | MiB/s | p50 ms | p99 ms |")
print("| --- | ---: | ---: | ---: | ---: | ---: |")
for label, r in (("no limit", a), ("eviction running", b)):
    print(f"| {label} | {r['requests']} | {r['requests_per_s']:.1f} | {r['mib_per_s']:.1f} | "
          f"{r['p50_ms']:.2f} | {r['p99_ms']:.2f} |")
ratio = b["requests_per_s"] / a["requests_per_s"] if a["requests_per_s"] else 0
print(f"\nratio {ratio:.2f} (target >= 0.9: {'PASS' if ratio >= 0.9 else 'MISS'}); "
      f"evicted {evicted} objects, {inline} inline; usage after {used} bytes")
PY
