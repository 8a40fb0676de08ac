#!/usr/bin/env bash
# Soak (issue #9): the mixed KV-segment workload of
# tests/integration/soak_driver.py (GET / PUT / HEAD / DELETE of 64 KiB - 1 MiB
# segments, every GET byte-exact, 2-part multipart uploads now and then) over
# 256 concurrent keep-alive connections against a Release kvgate for
# --minutes (default 30), max_inflight_requests 192 so 503 SlowDown (the only
# failure allowed, honoured with back-off) is part of the load. Samples the
# server's RSS and open descriptors and each interval's requests, 503s,
# errors and p50/p99; prints the table, a summary and the bounds
# (docs/reliability.md, "Soak"); exits 1 when one is violated.
#
# Usage: perf/soak.sh [--minutes N] [--connections N] [--interval SECONDS] [--no-build]
# Environment: KVGATE_PERF_BUILD (default <repo>/build-perf), KVGATE_BENCH_OUT
# (default <build>/soak: soak.json, soak.txt), KVGATE_SOAK_DIR (parent of the
# scratch data directories, default /var/tmp).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${KVGATE_PERF_BUILD:-$ROOT/build-perf}
OUT=${KVGATE_BENCH_OUT:-$BUILD/soak}
MINUTES=30 CONNECTIONS=256 INTERVAL=30 DO_BUILD=1
while [[ $# -gt 0 ]]; do
  case $1 in
    --minutes) MINUTES=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --interval) INTERVAL=$2; shift 2 ;;
    --no-build) DO_BUILD=0; shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

# shellcheck source=perf/lib.sh
source "$ROOT/perf/lib.sh"

if [[ $DO_BUILD == 1 ]]; then
  perf_build_release kvgate
fi
KVGATE=$BUILD/kvgate
perf_require_executables "$KVGATE"

# The driver starts kvgate itself (tests/integration/kvgate_harness.py) with
# its data directories under $TMPDIR; WORK is removed at exit.
perf_start_run "${KVGATE_SOAK_DIR:-/var/tmp}" soak
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
PY=/usr/bin/python3
[[ -x $PY ]] || PY=python3

log "soak: $MINUTES min, $CONNECTIONS connections, kvgate $KVGATE, data under $WORK"
TMPDIR=$WORK "$PY" "$ROOT/tests/integration/soak_driver.py" --binary "$KVGATE" \
  --seconds "$((MINUTES * 60))" --connections "$CONNECTIONS" --interval "$INTERVAL" \
  --json-out "$OUT/soak.json" | tee "$OUT/soak.txt"
