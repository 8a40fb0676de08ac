# Reporting for tests/container/run.sh (sourced): progress lines with the time
# since the run started, a table of step timings, and the three ways a run
# ends. CTest reads the exit code: 0 pass, 1 fail, 77 skipped (SKIP_RETURN_CODE).
# shellcheck shell=bash

readonly container_exit_fail=1 container_exit_usage=2 container_exit_skip=77
container_t0=${EPOCHREALTIME/./}
container_step_times=()

# Seconds since the run started, one decimal.
elapsed_since_start() {
  local now=${EPOCHREALTIME/./}
  local tenths=$(((now - container_t0) / 100000))
  printf '%d.%d' $((tenths / 10)) $((tenths % 10))
}

note() { printf '[container +%ss] %s\n' "$(elapsed_since_start)" "$*"; }

# timed_step LABEL command...: runs the command in this shell and records its
# wall time for the summary printed at exit.
timed_step() {
  local label=$1 start=${EPOCHREALTIME/./} rc=0
  shift
  "$@" || rc=$?
  local tenths=$(((${EPOCHREALTIME/./} - start) / 100000))
  container_step_times+=("$(printf '%-26s %4d.%ds' "$label" $((tenths / 10)) $((tenths % 10)))")
  return "$rc"
}

print_step_times() {
  ((${#container_step_times[@]} == 0)) && return 0
  note "step times:"
  printf '  %s\n' "${container_step_times[@]}"
}

# The machine cannot run containers: not a failure of the code under test.
skip_run() {
  echo "SKIPPED: $*"
  exit "$container_exit_skip"
}

fail_run() {
  echo "FAIL: $*"
  exit "$container_exit_fail"
}

usage_error() {
  echo "container test: $*" >&2
  echo "usage: see the header of tests/container/run.sh" >&2
  exit "$container_exit_usage"
}
