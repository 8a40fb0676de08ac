#!/usr/bin/env bash
# The kvgate C++ SDK over TCP against the clients LMCache and most Python
# users reach S3 with (issue #6, "Performance"), all against one Release
# `kvgate serve` on loopback started by this script:
#   - kvgate-cli bench (the SDK: 8 MiB multipart parts, 8 MiB parallel
#     ranged GETs, CRC32C on every PUT),
#   - awscrt (python3-awscrt, LMCache's S3 client, in LMCache's shape: one
#     S3Client with 8 MiB parts, PUT_OBJECT from caller memory, GET_OBJECT
#     into caller memory; perf/sdk_bench_clients.py),
#   - boto3 (put_object / get_object, one thread per request in flight),
# on 32 MiB objects, PUT and GET at concurrency 1, 8 and 32, and 4 KiB
# objects at concurrency 1 (the per-request overhead); then the SDK's
# exists_batch of 80 keys against 80 serial HEADs. Every run is bounded by an
# operation count and a time budget (about 8 minutes in all). Prints one table
# with MiB/s, p50/p99 and the ratios SDK/awscrt (target >= 1.0) and
# SDK/boto3; JSON lines in <out>/results.jsonl.
#
# Debian's awscrt 0.16 dials port 80 for plain HTTP whatever the endpoint
# names, so kvgate listens on $SDK_BENCH_ADDR:80 (default 127.0.83.1, a
# loopback address of its own so that nothing else on :80 is disturbed); that
# needs root. Without it the awscrt rows are skipped and say why.
#
# Usage: perf/sdk_bench.sh [--no-build] [--no-install] [--quick]
#   --quick   a quarter of the operation counts and time budgets (a smoke run).
# Environment: KVGATE_PERF_BUILD (default <repo>/build-perf), KVGATE_BENCH_OUT
# (default <build>/sdk-bench), KVGATE_BENCH_SERVER (the kvgate binary, default
# <build>/kvgate), SDK_BENCH_ADDR (default 127.0.83.1), KVGATE_SDK_BENCH_DIR
# (parent of the scratch data directories, default /var/tmp), KVGATE_SDK_BENCH_ETAG
# (md5, the default, or xxh3: the gateway's `--etag`, docs/configuration.md "ETags").
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${KVGATE_PERF_BUILD:-$ROOT/build-perf}
OUT=${KVGATE_BENCH_OUT:-$BUILD/sdk-bench}
ADDR=${SDK_BENCH_ADDR:-127.0.83.1}
DO_BUILD=1 DO_INSTALL=1 SCALE=4
for arg in "$@"; do
  case $arg in
    --no-build) DO_BUILD=0 ;;
    --no-install) DO_INSTALL=0 ;;
    --quick) SCALE=1 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done

# shellcheck source=perf/lib.sh
source "$ROOT/perf/lib.sh"

# Debian's awscrt and boto3 are for Debian's python, whatever `python3` is on PATH.
PY=/usr/bin/python3
[[ -x $PY ]] || PY=python3
if [[ $DO_INSTALL == 1 ]] && ! "$PY" -c 'import awscrt.s3, boto3' 2>/dev/null; then
  log "installing python3-awscrt python3-boto3"
  sudo=()
  [[ $(id -u) == 0 ]] || sudo=(sudo)
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    python3-awscrt python3-boto3 >&2 ||
    { "${sudo[@]}" apt-get update >&2 && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y --no-install-recommends python3-awscrt python3-boto3 >&2; }
fi

if [[ $DO_BUILD == 1 ]]; then
  perf_build_release kvgate kvgate-cli
fi
KVGATE=${KVGATE_BENCH_SERVER:-$BUILD/kvgate}
CLI=$BUILD/kvgate-cli
CLIENTS=$ROOT/perf/sdk_bench_clients.py
perf_require_executables "$KVGATE" "$CLI"

perf_start_run "${KVGATE_SDK_BENCH_DIR:-/var/tmp}" sdk-bench

perf_random_credentials
DATA_ARGS=()
for i in 1 2 3 4 5 6; do DATA_ARGS+=(--data "$WORK/disk$i"); done

# awscrt needs the gateway on port 80; everything else follows it there.
AWSCRT_SKIP=""
if ! "$PY" -c 'import awscrt.s3' 2>/dev/null; then
  AWSCRT_SKIP="python3-awscrt is not importable by $PY"
elif [[ $(id -u) != 0 ]]; then
  AWSCRT_SKIP="not root: cannot listen on port 80, which Debian's awscrt 0.16 always dials"
fi
BOTO3_SKIP=""
"$PY" -c 'import boto3' 2>/dev/null || BOTO3_SKIP="python3-boto3 is not importable by $PY"
LISTEN_PORT=0
[[ -z $AWSCRT_SKIP ]] && LISTEN_PORT=80

ETAG_STYLE=${KVGATE_SDK_BENCH_ETAG:-md5}
"$KVGATE" serve --listen "$ADDR:$LISTEN_PORT" "${DATA_ARGS[@]}" --access-log off --log-level warn \
  --etag "$ETAG_STYLE" >"$WORK/kvgate.out" 2>"$OUT/kvgate.stderr" &
KVGATE_PID=$!
PORT=""
for _ in $(seq 600); do
  PORT=$(sed -n "s|.*kvgate ready on http://$ADDR:\\([0-9]*\\).*|\\1|p" "$WORK/kvgate.out" | head -1)
  [[ -n $PORT ]] && break
  kill -0 "$KVGATE_PID" 2>/dev/null || { cat "$OUT/kvgate.stderr" >&2; exit 1; }
  sleep 0.1
done
[[ -n $PORT ]] || { echo "kvgate did not become ready" >&2; exit 1; }
ENDPOINT=http://$ADDR:$PORT
LOAD_AVG_START=$(cut -d' ' -f1-3 /proc/loadavg)
log "kvgate pid $KVGATE_PID on $ENDPOINT, data under $WORK (load average $LOAD_AVG_START)"
BUCKET=sdk-bench
"$CLI" --endpoint "$ENDPOINT" mb "s3://$BUCKET"

# record LABEL JSON: appends {"label", "result"} to results.jsonl.
FAILED=0
record() {
  local label=$1 json=$2
  [[ -n $json ]] || json='{"errors":1,"first_error":"no output"}'
  printf '{"label":"%s","result":%s}\n' "$label" "$json" >>"$RESULTS"
}

# Every run starts with the previous runs' writes on disk (sync): otherwise
# the first client of a row pays for the writeback of the row before (seen:
# the SDK's c8 PUT, run first after three c1 PUT rows, 275 MiB/s against 300-342
# on its own).
settle() { sync; }

# sdk LABEL PREFIX BENCH-ARGS...: one kvgate-cli bench run on objects under
# PREFIX/. The pool keeps every connection a run at concurrency 32 with 4
# parts or ranges each can use.
sdk() {
  local label=$1 prefix=$2 json rc=0
  shift 2
  log "$label"
  settle
  json=$("$CLI" --endpoint "$ENDPOINT" --pool-size 160 bench "s3://$BUCKET/$prefix/" --json "$@") ||
    rc=$?
  record "$label" "$json"
  ((rc == 0)) || { echo "run $label failed (exit $rc): ${json:0:600}" >&2; FAILED=1; }
}

# peer CLIENT LABEL PREFIX ARGS...: one perf/sdk_bench_clients.py run on
# objects under PREFIX/, or a skipped row.
peer() {
  local client=$1 label=$2 prefix=$3 json rc=0 skip
  shift 3
  skip=$AWSCRT_SKIP
  [[ $client == boto3 ]] && skip=$BOTO3_SKIP
  if [[ -n $skip ]]; then
    record "$label" "{\"tool\":\"$client\",\"skipped\":\"$skip\"}"
    return 0
  fi
  log "$label"
  settle
  json=$("$PY" "$CLIENTS" --client "$client" --endpoint "$ENDPOINT" --bucket "$BUCKET" \
    --prefix "$prefix/" "$@") || rc=$?
  record "$label" "$json"
  ((rc == 0)) || { echo "run $label failed (exit $rc): ${json:0:600}" >&2; FAILED=1; }
}

# Operation counts and seconds per concurrency, scaled by --quick. Each
# client's runs share its 16 objects (prefix = the client's name): the get
# run at concurrency 1 writes them first, unmeasured.
declare -A COUNT=([1]=$((3 * SCALE)) [8]=$((12 * SCALE)) [32]=$((24 * SCALE)))
declare -A SECONDS_BUDGET=([1]=$((4 * SCALE)) [8]=$((5 * SCALE)) [32]=$((7 * SCALE)))
for op in put get; do
  for c in 1 8 32; do
    common=(--op "$op" --concurrency "$c" --count "${COUNT[$c]}" --seconds "${SECONDS_BUDGET[$c]}"
      --keys 16)
    [[ $op == get && $c != 1 ]] && common+=(--no-populate)
    sdk "sdk-$op-32m-c$c" sdk-32m --size 32MiB "${common[@]}"
    peer awscrt "awscrt-$op-32m-c$c" awscrt-32m --size $((32 << 20)) "${common[@]}"
    peer boto3 "boto3-$op-32m-c$c" boto3-32m --size $((32 << 20)) "${common[@]}"
  done
done
# 4 KiB rows are fsync-bound (PUT) or a fraction of a millisecond (GET), so
# the order of the clients shows: they run in two rounds, the second in the
# reverse order, and the table gives the mean of the two.
run_4k() {
  local client=$1 op=$2 round=$3
  local common=(--op "$op" --concurrency 1 --count $((250 * SCALE)) --seconds $((3 * SCALE / 2))
    --keys 16)
  case $client in
    sdk) sdk "sdk-$op-4k-c1-r$round" sdk-4k --size 4KiB "${common[@]}" ;;
    *) peer "$client" "$client-$op-4k-c1-r$round" "$client-4k" --size 4096 "${common[@]}" ;;
  esac
}
for op in put get; do
  for client in sdk awscrt boto3; do run_4k "$client" "$op" 1; done
  for client in boto3 awscrt sdk; do run_4k "$client" "$op" 2; done
done
sdk sdk-exists-80 sdk-exists --op exists --keys 80 --size 4KiB --count $((100 * SCALE)) --seconds $((5 * SCALE))
stop_kvgate

"$PY" - "$RESULTS" "$LOAD_AVG_START" "$(cut -d' ' -f1-3 /proc/loadavg)" "$(nproc)" "$ETAG_STYLE" <<'EOF'
import json, sys
rows = {}
for line in open(sys.argv[1]):
    row = json.loads(line)
    rows[row["label"]] = row["result"]
# Rounds "<label>-r1" and "<label>-r2" become one row: their mean MiB/s,
# p50 and p99, and their summed operations and errors.
for label in [l[:-3] for l in rows if l.endswith("-r1")]:
    runs = [rows.pop(f"{label}-r{i}") for i in (1, 2) if f"{label}-r{i}" in rows]
    done = [r for r in runs if "ops" in r]
    if len(done) != len(runs) or not done:
        rows[label] = next((r for r in runs if "ops" not in r), runs[0])
        continue
    merged = {k: sum(r[k] for r in done) / len(done) for k in ("mib_per_s", "p50_ms", "p99_ms")}
    merged.update(ops=sum(r["ops"] for r in done), errors=sum(r.get("errors", 0) for r in done),
                  first_error=next((r.get("first_error") for r in done if r.get("first_error")), None))
    rows[label] = merged
print(f"\nSDK vs awscrt vs boto3 against one kvgate on loopback ({sys.argv[4]} CPUs; "
      f"{sys.argv[5]} ETags; "
      f"load average {sys.argv[2]} at start, {sys.argv[3]} at end)\n")
print("| op  | size   | conc | client | ops | MiB/s | p50 ms | p99 ms | errors | SDK/client MiB/s |")
print("|-----|--------|-----:|--------|----:|------:|-------:|-------:|-------:|-----------------:|")
for size in ("32m", "4k"):
    for op in ("put", "get"):
        for c in (1, 8, 32):
            sdk = rows.get(f"sdk-{op}-{size}-c{c}")
            if sdk is None:
                continue
            for client in ("sdk", "awscrt", "boto3"):
                r = rows.get(f"{client}-{op}-{size}-c{c}", {})
                name = {"sdk": "SDK"}.get(client, client)
                label = f"| {op} | {'32 MiB' if size == '32m' else '4 KiB'} | {c} | {name} |"
                if "skipped" in r:
                    print(f"{label} skipped: {r['skipped']} | | | | | |")
                    continue
                if "ops" not in r:
                    print(f"{label} failed: {r.get('first_error', '?')[:80]} | | | | | |")
                    continue
                ratio = ""
                if client != "sdk" and r.get("mib_per_s") and "mib_per_s" in sdk:
                    ratio = f"{sdk['mib_per_s'] / r['mib_per_s']:.2f}"
                print(f"{label} {r['ops']} | {r['mib_per_s']:.1f} | {r['p50_ms']:.2f} | "
                      f"{r['p99_ms']:.2f} | {r['errors']} | {ratio} |")
e = rows.get("sdk-exists-80", {})
if "batch" in e:
    b, h = e["batch"], e["heads"]
    print(f"\nexists_batch of 80 keys: p50 {b['p50_ms']:.3f} ms, p99 {b['p99_ms']:.3f} ms "
          f"({b['ops']} rounds); 80 serial HEADs: p50 {h['p50_ms']:.3f} ms, p99 {h['p99_ms']:.3f} ms "
          f"({h['ops']} rounds); HEADs / batch at p50: {h['p50_ms'] / max(b['p50_ms'], 1e-9):.1f}x")
for label, r in rows.items():
    errs = r.get("errors") or sum(r.get(k, {}).get("errors", 0) for k in ("batch", "heads"))
    if errs:
        print(f"ERRORS in {label}: {r.get('first_error') or r.get('batch', {}).get('first_error')}")
print("\nSDK/client: the SDK's MiB/s over the client's in the same run (target >= 1.0 vs awscrt).")
print("4 KiB rows: the mean of two rounds, the second with the clients in reverse order.")
EOF
log "results: $RESULTS"
exit "$FAILED"
