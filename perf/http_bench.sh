#!/usr/bin/env bash
# kvgate over HTTP, next to baselines measured in the same run:
#   - loopback TCP (iperf3 -c 127.0.0.1 -t 3),
#   - nginx (Debian) serving a 32 MiB file from page cache (sendfile on),
#   - the engine's own put rate (kvgate_engine_bench --json),
#   - Ceph radosgw 16.2 (perf/peers/radosgw.sh: one monitor, one memstore OSD)
#     on the same 32 MiB PUT and GET runs as kvgate,
# all driven by the same load tool (kvgate_s3_load_bench: keep-alive
# connections, SigV4 for kvgate and radosgw, plain GET for nginx). Prints one
# table with the target ratios (docs/performance.md, "Gateway over HTTP").
#
# Usage: perf/http_bench.sh [--no-build] [--no-install] [--no-engine] [--profile]
#   --profile   also record `perf record -g` of kvgate during an extra GET run
#               and print its hottest symbols.
# Environment: KVGATE_PERF_BUILD (default <repo>/build-perf), KVGATE_BENCH_OUT
# (results directory, default <build>/http-bench), HTTP_BENCH_PORT_BASE (default 18300),
# KVGATE_BENCH_RADOSGW=0 to skip the radosgw peer (its ports: base+3 and base+4).
#
# Every server is started by this script on 127.0.0.1 and stopped by pid;
# every load run is bounded by a request count and a time budget. Scratch data
# (kvgate's 6 disk directories, nginx prefix, the served file) lives in one
# mktemp directory under /var/tmp, removed on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${KVGATE_PERF_BUILD:-$ROOT/build-perf}
OUT=${KVGATE_BENCH_OUT:-$BUILD/http-bench}
PORT_BASE=${HTTP_BENCH_PORT_BASE:-18300}
DO_BUILD=1 DO_INSTALL=1 DO_ENGINE=1 DO_PROFILE=0
for arg in "$@"; do
  case $arg in
    --no-build) DO_BUILD=0 ;;
    --no-install) DO_INSTALL=0 ;;
    --no-engine) DO_ENGINE=0 ;;
    --profile) DO_PROFILE=1 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done

OBJECT_MIB=32
DISKS=6

log() { printf '== %s\n' "$*" >&2; }

# --- packages (idempotent) ---------------------------------------------------
ensure_packages() {
  local missing=()
  command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || missing+=(nginx)
  command -v iperf3 >/dev/null || missing+=(iperf3)
  if [[ $DO_PROFILE == 1 ]] && ! command -v perf >/dev/null; then missing+=(linux-perf); fi
  ((${#missing[@]} == 0)) && return 0
  log "installing ${missing[*]}"
  local sudo=()
  [[ $(id -u) == 0 ]] || sudo=(sudo)
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2 ||
    { "${sudo[@]}" apt-get update >&2 && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y --no-install-recommends "${missing[@]}" >&2; }
}
[[ $DO_INSTALL == 1 ]] && ensure_packages
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

# --- build ---------------------------------------------------------------------
if [[ $DO_BUILD == 1 ]]; then
  log "building Release kvgate, kvgate_s3_load_bench, kvgate_engine_bench in $BUILD"
  # -Wno-restrict: g++ 12 at -O3 reports a false -Wrestrict inside std::string::insert
  # (gateway/s3/src/object_put.cc), which -Werror turns into a failed Release build.
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DKVGATE_SANITIZE=off \
    -DKVGATE_BUILD_TESTS=OFF "-DCMAKE_CXX_FLAGS=${KVGATE_PERF_CXXFLAGS--Wno-restrict}" >/dev/null
  ninja -C "$BUILD" -j2 kvgate kvgate_s3_load_bench kvgate_engine_bench >&2
fi
KVGATE=$BUILD/kvgate
LOAD=$BUILD/perf/kvgate_s3_load_bench
ENGINE_BENCH=$BUILD/perf/kvgate_engine_bench
for b in "$KVGATE" "$LOAD"; do [[ -x $b ]] || { echo "missing $b (build first)" >&2; exit 1; }; done

# --- scratch, process bookkeeping, cleanup ------------------------------------
WORK=$(mktemp -d /var/tmp/kvgate-http-bench-XXXXXX)
mkdir -p "$OUT"
RESULTS=$OUT/results.jsonl
: >"$RESULTS"
PIDS=()
stop_pid() {  # stop_pid PID: SIGTERM, wait up to 10 s, then SIGKILL
  local pid=$1 i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local pid
  stop_radosgw_peer
  for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# utime+stime (clock ticks) of processes (PID or PID,PID,...: radosgw plus its OSD)
# and their direct children (nginx workers).
proc_cpu_ticks() {
  local pid total=0 p kids
  for pid in ${1//,/ }; do
    kids=$(cat /proc/"$pid"/task/*/children 2>/dev/null || true)
    for p in $pid $kids; do
      [[ -r /proc/$p/stat ]] || continue
      # fields after the ")" that ends comm: state is $1, utime $12, stime $13
      total=$((total + $(sed 's/^.*) //' /proc/"$p"/stat | awk '{print $12 + $13}')))
    done
  done
  echo "$total"
}
TICKS=$(getconf CLK_TCK)

# run_load LABEL SERVER_PID ARGS... : one bounded load run; appends
# {"label", "server_cpu_s", "result"} to results.jsonl.
run_load() {
  local label=$1 pid=$2
  shift 2
  local before after json rc=0
  before=$(proc_cpu_ticks "$pid")
  json=$("$LOAD" --json "$@") || rc=$?
  after=$(proc_cpu_ticks "$pid")
  printf '{"label":"%s","server_cpu_s":%s,"result":%s}\n' "$label" \
    "$(awk -v a="$after" -v b="$before" -v t="$TICKS" 'BEGIN{printf "%.3f", (a-b)/t}')" "$json" >>"$RESULTS"
  if ((rc != 0)); then echo "load run $label failed: $json" >&2; return 1; fi
  log "$label: $json"
}

# --- radosgw peer (perf/peers/radosgw.sh) ------------------------------------------------------
# run_radosgw_baseline: start the peer (one monitor, one memstore OSD, radosgw), run kvgate's
# 32 MiB PUT and GET workloads against it, stop it. Writes $OUT/radosgw.json ({"status": "ok"
# or "skipped: ..."/"failed: ...", start and stop seconds, peak RSS}) for the table. The peer
# is optional: one that cannot run (exit 77) or fails is reported, never fails the benchmark.
# PUT request budgets are lower than kvgate's because radosgw keeps objects in RAM: 24 + 48
# overwrites of 4 and 16 keys stay under the 2.5 GiB memstore even before radosgw's gc runs.
RADOSGW=$ROOT/perf/peers/radosgw.sh
RADOSGW_DIR=/dev/shm/kvgate-peers/radosgw-http-bench-$$
RADOSGW_STARTED=0
RADOSGW_ACCESS="" RADOSGW_SECRET="" RADOSGW_CPU_PIDS=""
radosgw_peer() { KVGATE_PEER_DIR=$RADOSGW_DIR KVGATE_RADOSGW_PORT=$((PORT_BASE + 3)) \
  KVGATE_RADOSGW_MON_PORT=$((PORT_BASE + 4)) "$RADOSGW" "$@"; }
stop_radosgw_peer() {
  [[ $RADOSGW_STARTED == 1 ]] || return 0
  RADOSGW_STARTED=0
  radosgw_peer stop >&2 || true
}
radosgw_report() {  # radosgw_report STATUS [START_S STOP_S RGW_HWM_KIB OSD_HWM_KIB]
  python3 -c 'import json, sys
a = sys.argv[1:]
r = {"status": a[0]}
if len(a) == 5:
    r.update(start_s=float(a[1]), stop_s=float(a[2]), rgw_hwm_kib=int(a[3]), osd_hwm_kib=int(a[4]))
print(json.dumps(r))' "$@" >"$OUT/radosgw.json"
}
# rgw_load LABEL ARGS...: run_load against radosgw with its keys; server CPU is radosgw's
# plus the OSD's (the monitor is idle on the data path).
rgw_load() {
  KVGATE_ACCESS_KEY=$RADOSGW_ACCESS KVGATE_SECRET_KEY=$RADOSGW_SECRET \
    run_load "$1" "$RADOSGW_CPU_PIDS" "${@:2}"
}
radosgw_workloads() {  # radosgw_workloads PORT; the same 32 MiB runs kvgate gets
  local R=(--port "$1" --bucket bench) c
  KVGATE_ACCESS_KEY=$RADOSGW_ACCESS KVGATE_SECRET_KEY=$RADOSGW_SECRET \
    "$LOAD" "${R[@]}" --op create-bucket >/dev/null || return 1
  # untimed: radosgw creates its data pool (and peers its PGs) on the first object written
  KVGATE_ACCESS_KEY=$RADOSGW_ACCESS KVGATE_SECRET_KEY=$RADOSGW_SECRET \
    "$LOAD" "${R[@]}" --op put --size 4096 --prefix warmup- --max-requests 1 --seconds 60 \
    >/dev/null || return 1
  rgw_load "radosgw PUT 32MiB c1" "${R[@]}" --op put --size "$OBJ" --prefix big- --objects 4 \
    --connections 1 --seconds 8 --max-requests 24 || return 1
  radosgw_peer gc || return 1
  rgw_load "radosgw PUT 32MiB c8" "${R[@]}" --op put --size "$OBJ" --prefix big- --objects 16 \
    --connections 8 --seconds 10 --max-requests 48 || return 1
  radosgw_peer gc || return 1
  rgw_load "radosgw PUT 32MiB (setup) c4" "${R[@]}" --op put --size "$OBJ" --prefix get- \
    --objects 8 --connections 4 --seconds 120 --max-requests 8 || return 1
  for c in 1 8; do
    rgw_load "radosgw GET 32MiB c$c" "${R[@]}" --op get --prefix get- --objects 8 \
      --connections "$c" --seconds 6 --max-requests 2000 || return 1
  done
}
run_radosgw_baseline() {
  if [[ ${KVGATE_BENCH_RADOSGW:-1} == 0 ]]; then radosgw_report "skipped: KVGATE_BENCH_RADOSGW=0"; return 0; fi
  local start_args=() line rc=0 t0 start_s stop_s port rgw_pid osd_pid hwm_rgw hwm_osd
  [[ $DO_INSTALL == 0 ]] && start_args+=(--no-install)
  log "radosgw peer: starting (run dir $RADOSGW_DIR, port $((PORT_BASE + 3)))"
  RADOSGW_STARTED=1
  t0=$(date +%s.%N)
  line=$(radosgw_peer start "${start_args[@]}") || rc=$?
  start_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b - a}')
  if ((rc == 77)); then
    RADOSGW_STARTED=0
    line=${line:-SKIPPED: radosgw.sh exit 77}
    radosgw_report "skipped: ${line#SKIPPED: }"
    log "radosgw peer: $line"
    return 0
  elif ((rc != 0)); then
    stop_radosgw_peer
    radosgw_report "failed: radosgw.sh start exit $rc (its stderr above)"
    return 0
  fi
  port=$(sed -n 's|^radosgw ready on http://127.0.0.1:\([0-9]*\) .*|\1|p' <<<"$line")
  RADOSGW_ACCESS=$(sed -n 's|.* access=\([^ ]*\).*|\1|p' <<<"$line")
  RADOSGW_SECRET=$(sed -n 's|.* secret=\([^ ]*\).*|\1|p' <<<"$line")
  rgw_pid=$(awk '$2 == "client.rgw.peer" {print $1}' "$RADOSGW_DIR/pids")
  osd_pid=$(awk '$2 == "osd.0" {print $1}' "$RADOSGW_DIR/pids")
  RADOSGW_CPU_PIDS=$rgw_pid,$osd_pid
  log "radosgw peer: ready on 127.0.0.1:$port after $start_s s (radosgw pid $rgw_pid, osd pid $osd_pid)"
  if ! radosgw_workloads "$port"; then
    stop_radosgw_peer
    radosgw_report "failed: a load run against radosgw failed (see stderr)"
    return 0
  fi
  hwm_rgw=$(awk '/^VmHWM:/ {print $2}' /proc/"$rgw_pid"/status)
  hwm_osd=$(awk '/^VmHWM:/ {print $2}' /proc/"$osd_pid"/status)
  t0=$(date +%s.%N)
  stop_radosgw_peer
  stop_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b - a}')
  log "radosgw peer: stopped in $stop_s s; peak RSS radosgw $hwm_rgw KiB, osd $hwm_osd KiB"
  radosgw_report ok "$start_s" "$stop_s" "$hwm_rgw" "$hwm_osd"
}
# --- end of radosgw peer ---------------------------------------------------------------------

log "uptime: $(uptime)"
UPTIME_START=$(uptime)

# --- 1. loopback TCP baseline ---------------------------------------------------
IPERF_PORT=$((PORT_BASE + 1))
log "iperf3 loopback baseline (port $IPERF_PORT)"
iperf3 -s -1 -B 127.0.0.1 -p "$IPERF_PORT" >"$WORK/iperf-server.log" 2>&1 &
IPERF_PID=$!
PIDS+=("$IPERF_PID")
sleep 0.5
timeout 30 iperf3 -c 127.0.0.1 -p "$IPERF_PORT" -t 3 -J >"$OUT/iperf3.json"
stop_pid "$IPERF_PID"

# --- 2. nginx serving a 32 MiB file from page cache ----------------------------------
NGINX_PORT=$((PORT_BASE + 2))
mkdir -p "$WORK/www" "$WORK/nginx/tmp" "$WORK/nginx/logs"
head -c $((OBJECT_MIB << 20)) /dev/urandom >"$WORK/www/blob.bin"
cat "$WORK/www/blob.bin" >/dev/null  # into page cache
chmod -R a+rX "$WORK"
NGINX_USER=""
[[ $(id -u) == 0 ]] && NGINX_USER="user root;"
cat >"$WORK/nginx/nginx.conf" <<EOF
$NGINX_USER
daemon off;
worker_processes $(nproc);
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  client_body_temp_path $WORK/nginx/tmp/body;
  proxy_temp_path $WORK/nginx/tmp/proxy;
  fastcgi_temp_path $WORK/nginx/tmp/fastcgi;
  uwsgi_temp_path $WORK/nginx/tmp/uwsgi;
  scgi_temp_path $WORK/nginx/tmp/scgi;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $WORK/www;
    location / { }
  }
}
EOF
log "nginx on 127.0.0.1:$NGINX_PORT"
"$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" >"$WORK/nginx/logs/stdout.log" 2>&1 &
NGINX_PID=$!
PIDS+=("$NGINX_PID")
for _ in $(seq 50); do "$LOAD" --port "$NGINX_PORT" --op get --unsigned --path /blob.bin --max-requests 1 \
  --seconds 2 >/dev/null 2>&1 && break; sleep 0.1; done
for c in 1 8; do
  run_load "nginx GET 32MiB c$c" "$NGINX_PID" --port "$NGINX_PORT" --op get --unsigned --path /blob.bin \
    --connections "$c" --seconds 6 --max-requests 2000
done
stop_pid "$NGINX_PID"

# --- 3. kvgate -----------------------------------------------------------------------------
KVGATE_ACCESS_KEY="bench$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
KVGATE_SECRET_KEY="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export KVGATE_ACCESS_KEY KVGATE_SECRET_KEY
DATA_ARGS=()
for i in $(seq "$DISKS"); do DATA_ARGS+=(--data "$WORK/kvgate/disk$i"); done
log "kvgate serve with $DISKS disks under $WORK/kvgate"
# Bucket bench-xxh3 makes opaque XXH3 ETags instead of MD5 (docs/configuration.md, "ETags"):
# the PUT rows run in both, the MD5 of every byte being most of a PUT's CPU.
printf '[buckets.bench-xxh3]\netag = "xxh3"\n' >"$WORK/kvgate.toml"
"$KVGATE" serve --listen 127.0.0.1:0 "${DATA_ARGS[@]}" --access-log off --log-level warn \
  --config "$WORK/kvgate.toml" >"$WORK/kvgate.out" 2>"$OUT/kvgate.stderr" &
KVGATE_PID=$!
PIDS+=("$KVGATE_PID")
KVGATE_PORT=""
for _ in $(seq 200); do
  KVGATE_PORT=$(sed -n 's|.*kvgate ready on http://127.0.0.1:\([0-9]*\).*|\1|p' "$WORK/kvgate.out" | head -1)
  [[ -n $KVGATE_PORT ]] && break
  kill -0 "$KVGATE_PID" 2>/dev/null || { cat "$OUT/kvgate.stderr" >&2; exit 1; }
  sleep 0.1
done
[[ -n $KVGATE_PORT ]] || { echo "kvgate did not become ready" >&2; exit 1; }
log "kvgate pid $KVGATE_PID on 127.0.0.1:$KVGATE_PORT"
K=(--port "$KVGATE_PORT" --bucket bench)
KX=(--port "$KVGATE_PORT" --bucket bench-xxh3)
"$LOAD" "${K[@]}" --op create-bucket >/dev/null
"$LOAD" "${KX[@]}" --op create-bucket >/dev/null

OBJ=$((OBJECT_MIB << 20))
run_load "kvgate PUT 32MiB c1" "$KVGATE_PID" "${K[@]}" --op put --size $OBJ --prefix big- --objects 4 \
  --connections 1 --seconds 8 --max-requests 40
run_load "kvgate PUT 32MiB xxh3 c1" "$KVGATE_PID" "${KX[@]}" --op put --size $OBJ --prefix big- \
  --objects 4 --connections 1 --seconds 8 --max-requests 40
run_load "kvgate PUT 32MiB c8" "$KVGATE_PID" "${K[@]}" --op put --size $OBJ --prefix big- --objects 16 \
  --connections 8 --seconds 10 --max-requests 160
run_load "kvgate PUT 32MiB xxh3 c8" "$KVGATE_PID" "${KX[@]}" --op put --size $OBJ --prefix big- \
  --objects 16 --connections 8 --seconds 10 --max-requests 160
# GETs read 8 objects written here (the timed PUT runs may stop before every key exists); the
# engine's blocks are then in page cache, like nginx's file.
run_load "kvgate PUT 32MiB (setup) c4" "$KVGATE_PID" "${K[@]}" --op put --size $OBJ --prefix get- --objects 8 \
  --connections 4 --seconds 300 --max-requests 8
for c in 1 8; do
  run_load "kvgate GET 32MiB c$c" "$KVGATE_PID" "${K[@]}" --op get --prefix get- --objects 8 \
    --connections "$c" --seconds 6 --max-requests 2000
done
if [[ $DO_PROFILE == 1 ]] && command -v perf >/dev/null; then
  log "perf record -g of kvgate during a GET c8 run"
  perf record -g -o "$WORK/perf.data" -p "$KVGATE_PID" -- sleep 5 >/dev/null 2>&1 &
  PERF_PID=$!
  "$LOAD" "${K[@]}" --op get --prefix get- --objects 8 --connections 8 --seconds 5 --max-requests 2000 \
    --json >/dev/null || true
  wait "$PERF_PID" || true
  perf report -i "$WORK/perf.data" --no-children --stdio --sort symbol 2>/dev/null |
    grep -v '^#' | grep '%' | head -40 >"$OUT/perf-get-top.txt" || true
  perf report -i "$WORK/perf.data" --children --stdio --sort symbol -g none 2>/dev/null |
    grep -v '^#' | grep '%' | head -40 >"$OUT/perf-get-children.txt" || true
fi

log "creating 10000 small objects for HEAD"
run_load "kvgate PUT 16B (setup) c8" "$KVGATE_PID" "${K[@]}" --op put --size 16 --prefix small- \
  --objects 10000 --connections 8 --seconds 120 --max-requests 10000
run_load "kvgate HEAD c1" "$KVGATE_PID" "${K[@]}" --op head --prefix small- --objects 10000 \
  --connections 1 --seconds 30 --max-requests 10000
run_load "kvgate PUT 4KiB (setup) c1" "$KVGATE_PID" "${K[@]}" --op put --size 4096 --prefix k4- \
  --objects 200 --connections 1 --seconds 30 --max-requests 200
run_load "kvgate GET 4KiB c1" "$KVGATE_PID" "${K[@]}" --op get --prefix k4- --objects 200 \
  --connections 1 --seconds 10 --max-requests 5000
stop_pid "$KVGATE_PID"

# --- 3b. radosgw peer on the same 32 MiB workloads (optional: KVGATE_BENCH_RADOSGW=0) --------
run_radosgw_baseline

# --- 4. engine put rate (same disks' filesystem) -----------------------------------------
if [[ $DO_ENGINE == 1 && -x $ENGINE_BENCH ]]; then
  log "kvgate_engine_bench --json (engine put rate)"
  "$ENGINE_BENCH" --json --dir "$WORK/engine" --streams 1,8 --seconds 2 --cpu-seconds 0.2 \
    >"$OUT/engine.json" 2>/dev/null || rm -f "$OUT/engine.json"
else
  rm -f "$OUT/engine.json"
fi

# --- 5. table -------------------------------------------------------------------------------
UPTIME_END=$(uptime)
python3 - "$RESULTS" "$OUT/iperf3.json" "$OUT/engine.json" "$UPTIME_START" "$UPTIME_END" \
  "$OUT/radosgw.json" <<'PY'
import json, os, sys

results_path, iperf_path, engine_path, up_start, up_end, radosgw_path = sys.argv[1:7]
runs = {}
with open(results_path) as f:
    for line in f:
        r = json.loads(line)
        runs[r["label"]] = r
MIB = 1 << 20
iperf = json.load(open(iperf_path))
iperf_mib = iperf["end"]["sum_received"]["bits_per_second"] / 8 / MIB

engine_put = {}
if os.path.exists(engine_path):
    def walk(node):
        if isinstance(node, dict):
            if node.get("name") == "put" and str(node.get("section", "")).startswith("Engine"):
                sec = node["section"]
                streams = int(sec.split(", ")[1].split(" ")[0])
                engine_put[streams] = node["value"]
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(json.load(open(engine_path)))

def res(label):
    return runs[label]["result"]

def cpu_per_gib(label):
    r = runs[label]
    gib = r["result"]["bytes"] / (1 << 30)
    return r["server_cpu_s"] / gib if gib else None

rows = []
def row(name, value, unit, note=""):
    rows.append((name, value, unit, note))
def verdict(ok):
    return "PASS" if ok else "MISS"

row("iperf3 loopback TCP", iperf_mib, "MiB/s", "iperf3 -c 127.0.0.1 -t 3")
for c in (1, 8):
    n = res(f"nginx GET 32MiB c{c}")
    row(f"nginx GET 32 MiB c{c}", n["mib_per_s"], "MiB/s", f'{n["requests"]} req, p50 {n["p50_ms"]:.1f} ms')
for c in (1, 8):
    if c in engine_put:
        row(f"engine put c{c}", engine_put[c], "MiB/s", "kvgate_engine_bench, same run")
for c in (1, 8):
    k = res(f"kvgate PUT 32MiB c{c}")
    row(f"kvgate PUT 32 MiB c{c}", k["mib_per_s"], "MiB/s", f'{k["requests"]} req, p50 {k["p50_ms"]:.1f} ms')
for c in (1, 8):
    k = res(f"kvgate PUT 32MiB xxh3 c{c}")
    row(f"kvgate PUT 32 MiB c{c}, xxh3 ETag", k["mib_per_s"], "MiB/s",
        f'{k["requests"]} req, p50 {k["p50_ms"]:.1f} ms, bucket etag = "xxh3"')
for c in (1, 8):
    k = res(f"kvgate GET 32MiB c{c}")
    row(f"kvgate GET 32 MiB c{c}", k["mib_per_s"], "MiB/s", f'{k["requests"]} req, p50 {k["p50_ms"]:.1f} ms')
radosgw = json.load(open(radosgw_path)) if os.path.exists(radosgw_path) else {"status": "not run"}
if radosgw["status"] == "ok":
    for op in ("PUT", "GET"):
        for c in (1, 8):
            r = res(f"radosgw {op} 32MiB c{c}")
            row(f"radosgw {op} 32 MiB c{c}", r["mib_per_s"], "MiB/s",
                f'{r["requests"]} req, p50 {r["p50_ms"]:.1f} ms')
    row("radosgw peer start", radosgw["start_s"], "s", "mon + memstore OSD + radosgw + S3 user")
    row("radosgw peer stop", radosgw["stop_s"], "s")
    row("radosgw peak RSS: radosgw / osd", radosgw["rgw_hwm_kib"] / 1024, "MiB",
        f'osd {radosgw["osd_hwm_kib"] / 1024:.0f} MiB (memstore holds the objects)')
else:
    row("radosgw baseline", None, "", radosgw["status"])
h = res("kvgate HEAD c1")
row("kvgate HEAD p50", h["p50_ms"], "ms", f'{h["requests"]} HEADs over 10000 objects, 1 connection')
row("kvgate HEAD p99", h["p99_ms"], "ms")
g4 = res("kvgate GET 4KiB c1")
row("kvgate GET 4 KiB p50", g4["p50_ms"], "ms", f'{g4["requests"]} GETs, 1 connection')
row("kvgate GET 4 KiB p99", g4["p99_ms"], "ms")
for c in (1, 8):
    row(f"nginx CPU per GiB served c{c}", cpu_per_gib(f"nginx GET 32MiB c{c}"), "s/GiB", "utime+stime, master+workers")
    row(f"kvgate CPU per GiB served c{c}", cpu_per_gib(f"kvgate GET 32MiB c{c}"), "s/GiB", "utime+stime")
    row(f"kvgate CPU per GiB stored c{c}", cpu_per_gib(f"kvgate PUT 32MiB c{c}"), "s/GiB", "utime+stime")
    row(f"kvgate CPU per GiB stored c{c}, xxh3 ETag", cpu_per_gib(f"kvgate PUT 32MiB xxh3 c{c}"),
        "s/GiB", "utime+stime")
    if radosgw["status"] == "ok":
        row(f"radosgw CPU per GiB served c{c}", cpu_per_gib(f"radosgw GET 32MiB c{c}"), "s/GiB",
            "utime+stime, radosgw + osd")
        row(f"radosgw CPU per GiB stored c{c}", cpu_per_gib(f"radosgw PUT 32MiB c{c}"), "s/GiB",
            "utime+stime, radosgw + osd")

targets = []
for c in (1, 8):
    ratio = res(f"kvgate GET 32MiB c{c}")["mib_per_s"] / res(f"nginx GET 32MiB c{c}")["mib_per_s"]
    targets.append((f"kvgate GET / nginx GET c{c}", ratio, "x", f"target >= 0.90 {verdict(ratio >= 0.9)}"))
for c in (1, 8):
    base = iperf_mib
    basis = "iperf3"
    if c in engine_put and engine_put[c] is not None and engine_put[c] < base:
        base, basis = engine_put[c], f"engine put c{c}"
    elif c not in engine_put:
        basis = "iperf3 (engine put rate not measured)"
    ratio = res(f"kvgate PUT 32MiB c{c}")["mib_per_s"] / base
    targets.append((f"kvgate PUT / min(iperf3, engine put) c{c}", ratio, "x",
                    f"basis {basis}, target >= 0.80 {verdict(ratio >= 0.8)}"))
    ratio = res(f"kvgate PUT 32MiB xxh3 c{c}")["mib_per_s"] / base
    targets.append((f"kvgate PUT, xxh3 ETag / min(iperf3, engine put) c{c}", ratio, "x",
                    f"basis {basis}, target >= 0.80 {verdict(ratio >= 0.8)}"))
for op in ("GET", "PUT"):
    for c in (1, 8):
        name = f"kvgate {op} / radosgw {op} c{c}"
        if radosgw["status"] != "ok":
            targets.append((name, None, "x", f"target >= 3: radosgw {radosgw['status']}"))
            continue
        ratio = res(f"kvgate {op} 32MiB c{c}")["mib_per_s"] / res(f"radosgw {op} 32MiB c{c}")["mib_per_s"]
        targets.append((name, ratio, "x", f"target >= 3 {verdict(ratio >= 3.0)}"))
targets.append(("HEAD p50", h["p50_ms"], "ms", f"target < 0.2 {verdict(h['p50_ms'] < 0.2)}"))
targets.append(("HEAD p99", h["p99_ms"], "ms", f"target < 1 {verdict(h['p99_ms'] < 1.0)}"))
for c in (1, 8):
    k, n = cpu_per_gib(f"kvgate GET 32MiB c{c}"), cpu_per_gib(f"nginx GET 32MiB c{c}")
    targets.append((f"kvgate / nginx CPU per GiB served c{c}", k / n if k and n else None, "x", "lower is better"))

width = max(len(r[0]) for r in rows + targets)
def show(title, rs):
    print(title)
    for name, value, unit, note in rs:
        v = f"{value:12.3f}" if value is not None else "         n/a"
        print(f"  {name:<{width}} {v} {unit:<6} {note}")
print(f"load at start: {up_start.strip()}")
print(f"load at end:   {up_end.strip()}")
show("Measurements (MiB = 2^20 bytes)", rows)
show("Ratios", targets)
PY
