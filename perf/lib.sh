# shellcheck shell=bash
# Shared by perf/kv_bench.sh, perf/head_bench.sh, perf/cache_bench.sh,
# perf/sdk_bench.sh and perf/soak.sh
# (sourced, not run). The caller sets ROOT (the repository) and BUILD (the
# Release build directory) and keeps the kvgate it starts in KVGATE_PID.

log() { printf '== %s\n' "$*" >&2; }

# perf_build_release TARGET...: configure $BUILD as a Release, sanitizer-free
# tree and build the targets. -Wno-restrict: a g++ 12 -O3 false positive (see
# perf/http_bench.sh); KVGATE_PERF_CXXFLAGS overrides the flags.
perf_build_release() {
  log "building Release $* in $BUILD"
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DKVGATE_SANITIZE=off \
    -DKVGATE_BUILD_TESTS=OFF "-DCMAKE_CXX_FLAGS=${KVGATE_PERF_CXXFLAGS--Wno-restrict}" >/dev/null
  ninja -C "$BUILD" -j2 "$@" >&2
}

# perf_require_executables FILE...: exits 1 naming the first one missing.
perf_require_executables() {
  local b
  for b in "$@"; do [[ -x $b ]] || { echo "missing $b (build first)" >&2; exit 1; }; done
}

# perf_random_credentials: fresh root keys for this run, exported for kvgate
# and the load tools.
perf_random_credentials() {
  KVGATE_ACCESS_KEY="bench$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  KVGATE_SECRET_KEY="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  export KVGATE_ACCESS_KEY KVGATE_SECRET_KEY
}

# stop_kvgate: SIGTERM the kvgate in KVGATE_PID, SIGKILL after 10 s, reap it.
KVGATE_PID=""
stop_kvgate() {
  [[ -n $KVGATE_PID ]] || return 0
  kill -TERM "$KVGATE_PID" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$KVGATE_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$KVGATE_PID" 2>/dev/null || true
  wait "$KVGATE_PID" 2>/dev/null || true
  KVGATE_PID=""
}

# perf_start_run PARENT NAME: WORK, a fresh kvgate-NAME-XXXXXX scratch
# directory under PARENT; OUT created and RESULTS ($OUT/results.jsonl)
# emptied; at exit the kvgate is stopped and WORK removed, and INT or TERM end
# the run (exit 130).
perf_start_run() {
  WORK=$(mktemp -d "$1/kvgate-$2-XXXXXX")
  mkdir -p "$OUT"
  RESULTS=$OUT/results.jsonl
  : >"$RESULTS"
  trap perf_end_run EXIT
  trap 'exit 130' INT TERM
}

# shellcheck disable=SC2317  # run by the EXIT trap
perf_end_run() {
  stop_kvgate
  rm -rf "$WORK"
}
