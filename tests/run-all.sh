#!/usr/bin/env bash
# The README's test command: installs what is missing, builds and runs every
# test suite. Steps (each reported; a failing step fails the run):
#   1. lint        clang-format over the project's sources
#   2. asan        ASan+UBSan build of everything; unit + integration tests (CTest)
#   3. tsan        TSan build of the concurrent parts; their tests
#   4. valgrind    sanitizer-free kvgate under valgrind memcheck: start-up,
#                  traffic, shutdown (tests/valgrind/run.sh)
#   5. fuzz        clang/libFuzzer build; each fuzz target for a bounded time
#   6. container   the image from docker/Dockerfile built and run for real
#                  (tests/container/run.sh; KVGATE_CONTAINER=0 skips it)
# Tests that cannot run on this machine report SKIPPED with the reason.
# Ends with one line "kvgate: N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
root=$(pwd)
jobs=$(nproc)
logs=$root/build-logs
mkdir -p "$logs"

tests/install-deps.sh test || { echo "kvgate: dependency installation failed"; exit 1; }

passed=0 failed=0 skipped=0 step_failures=()

# Scratch data of the tests (engine disks, gateway data dirs) on tmpfs when
# there is one: thousands of fsyncs cost seconds each on a shared disk.
if [[ -d /dev/shm && -w /dev/shm ]]; then
  export TMPDIR=/dev/shm/kvgate-tests
  mkdir -p "$TMPDIR"
fi

# Adds ctest's counts from a log to the totals.
count_ctest() {
  local log=$1 line total fail skip
  line=$(grep -E '[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1)
  [[ -z $line ]] && return
  fail=$(sed -E 's/.* ([0-9]+) tests? failed.*/\1/' <<<"$line")
  total=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line")
  skip=$(grep -cE '\(Not Run\)|\*\*\*Skipped' "$log" || true)
  passed=$((passed + total - fail - skip))
  failed=$((failed + fail))
  skipped=$((skipped + skip))
}

# Adds a Catch2 run's counts from a log to the totals.
count_catch() {
  local log=$1 line
  while IFS= read -r line; do
    if [[ $line == "All tests passed ("* ]]; then
      passed=$((passed + $(sed -E 's/.* in ([0-9]+) test cases?.*/\1/' <<<"$line")))
    elif [[ $line == "test cases: "* ]]; then
      passed=$((passed + $(sed -E 's/.*\| ([0-9]+) passed.*/\1/' <<<"$line")))
      failed=$((failed + $(sed -E 's/.*\| ([0-9]+) failed.*/\1/' <<<"$line")))
    fi
  done < <(grep -E '^(All tests passed \(|test cases: )' "$log")
}

run_step() {
  local name=$1
  shift
  echo "=== kvgate test step: $name"
  local start=$SECONDS
  if "$@"; then
    echo "=== $name: ok ($((SECONDS - start)) s)"
  else
    echo "=== $name: FAILED ($((SECONDS - start)) s)"
    step_failures+=("$name")
  fi
}

lint() {
  tests/lint.sh
}

asan() {
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DKVGATE_SANITIZE=address \
    -DKVGATE_BUILD_PERF=OFF >"$logs/asan-configure.log" 2>&1 || { cat "$logs/asan-configure.log"; return 1; }
  cmake --build build-asan -j "$jobs" >"$logs/asan-build.log" 2>&1 || { tail -n 80 "$logs/asan-build.log"; return 1; }
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan -j "$jobs" --output-on-failure -LE 'fuzz|container' 2>&1 |
    tee "$logs/asan-ctest.log"
  local rc=${PIPESTATUS[0]}
  count_ctest "$logs/asan-ctest.log"
  return "$rc"
}

tsan() {
  cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DKVGATE_SANITIZE=thread \
    -DKVGATE_BUILD_PERF=OFF >"$logs/tsan-configure.log" 2>&1 || { cat "$logs/tsan-configure.log"; return 1; }
  cmake --build build-tsan -j "$jobs" --target kvgate_erasure_tests kvgate_rdma_tests kvgate_s3_tests kvgate_gateway_tests kvgate_sdk_tests \
    >"$logs/tsan-build.log" 2>&1 || { tail -n 80 "$logs/tsan-build.log"; return 1; }
  # The concurrent parts: the [concurrency] cases, the store (per-key locks,
  # pinned readers, the parallel per-disk pool), the cache tier (background
  # evictor beside writers and readers), the codec's shared tables,
  # the whole RDMA library (registry, staging, transfers on strands), and the
  # admin API's maintenance jobs (a thread per job beside the server), and the
  # snapshots a SIGHUP reload replaces under running requests (live_snapshot),
  # and the SDK's per-server cap on requests in flight (request_slots).
  local rc=0
  TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$root/tests/tsan.supp" \
    build-tsan/tests/kvgate_erasure_tests '[concurrency],[store],[codec],[cache]' 2>&1 | tee "$logs/tsan-tests.log"
  ((PIPESTATUS[0] == 0)) || rc=1
  TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$root/tests/tsan.supp" \
    build-tsan/tests/kvgate_rdma_tests '[rdma]' 2>&1 | tee -a "$logs/tsan-tests.log"
  ((PIPESTATUS[0] == 0)) || rc=1
  TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$root/tests/tsan.supp" \
    build-tsan/tests/kvgate_s3_tests '[jobs]' 2>&1 | tee -a "$logs/tsan-tests.log"
  ((PIPESTATUS[0] == 0)) || rc=1
  TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$root/tests/tsan.supp" \
    build-tsan/tests/kvgate_gateway_tests '[concurrency]' 2>&1 | tee -a "$logs/tsan-tests.log"
  ((PIPESTATUS[0] == 0)) || rc=1
  TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$root/tests/tsan.supp" \
    build-tsan/tests/kvgate_sdk_tests '[concurrency]' 2>&1 | tee -a "$logs/tsan-tests.log"
  ((PIPESTATUS[0] == 0)) || rc=1
  count_catch "$logs/tsan-tests.log"
  return "$rc"
}

# valgrind-clean start-up, traffic and shutdown (tests/valgrind/run.sh) on a
# sanitizer-free Debug build of the kvgate target (valgrind cannot run an
# ASan binary); counts as one test.
valgrind_check() {
  cmake -S . -B build-valgrind -G Ninja -DCMAKE_BUILD_TYPE=Debug -DKVGATE_SANITIZE=off \
    -DKVGATE_BUILD_TESTS=OFF -DKVGATE_BUILD_PERF=OFF >"$logs/valgrind-configure.log" 2>&1 ||
    { cat "$logs/valgrind-configure.log"; return 1; }
  cmake --build build-valgrind -j "$jobs" --target kvgate >"$logs/valgrind-build.log" 2>&1 ||
    { tail -n 80 "$logs/valgrind-build.log"; return 1; }
  local rc=0
  tests/valgrind/run.sh "$root/build-valgrind/kvgate" 2>&1 | tee "$logs/valgrind.log"
  rc=${PIPESTATUS[0]}
  case $rc in
    0) passed=$((passed + 1)) ;;
    77) skipped=$((skipped + 1)); rc=0 ;;
    *) failed=$((failed + 1)) ;;
  esac
  return "$rc"
}

fuzz() {
  CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DKVGATE_SANITIZE=fuzzer -DKVGATE_BUILD_FUZZ=ON -DKVGATE_BUILD_PERF=OFF \
    -DKVGATE_FUZZ_MAX_TIME="${KVGATE_FUZZ_SECONDS:-15}" >"$logs/fuzz-configure.log" 2>&1 ||
    { cat "$logs/fuzz-configure.log"; return 1; }
  local targets
  mapfile -t targets < <(ninja -C build-fuzz -t targets all | grep -oE '^kvgate_[a-z0-9_]+_fuzz' | sort -u)
  ((${#targets[@]} == 0)) && { echo "no fuzz targets"; return 1; }
  cmake --build build-fuzz -j "$jobs" --target "${targets[@]}" >"$logs/fuzz-build.log" 2>&1 ||
    { tail -n 80 "$logs/fuzz-build.log"; return 1; }
  ctest --test-dir build-fuzz -j "$jobs" --output-on-failure -L fuzz 2>&1 | tee "$logs/fuzz-ctest.log"
  local rc=${PIPESTATUS[0]}
  count_ctest "$logs/fuzz-ctest.log"
  return "$rc"
}

# The container image: its own step (a cold image build compiles kvgate in
# the builder stage, minutes of its own); the test is registered in
# build-asan by the asan step's configure.
container() {
  ctest --test-dir build-asan --output-on-failure -L container 2>&1 | tee "$logs/container-ctest.log"
  local rc=${PIPESTATUS[0]}
  count_ctest "$logs/container-ctest.log"
  return "$rc"
}

run_step lint lint
run_step asan asan
run_step tsan tsan
run_step valgrind valgrind_check
run_step fuzz fuzz
run_step container container

if ((${#step_failures[@]} > 0)); then
  echo "kvgate: failed steps: ${step_failures[*]}"
  ((failed == 0)) && failed=${#step_failures[@]}
fi
echo "kvgate: $passed passed, $failed failed, $skipped skipped"
((${#step_failures[@]} == 0))
