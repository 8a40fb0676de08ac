# Host-side reporting for tests/rdma_vm/run.sh (sourced): progress lines with
# the time since the run started, and the three ways a run ends. The exit codes
# are what CTest reads: 0 pass, 1 fail, 77 skipped (SKIP_RETURN_CODE).
# shellcheck shell=bash disable=SC2034 # the exit codes are used by the other host/ files

readonly rdma_vm_exit_pass=0 rdma_vm_exit_fail=1 rdma_vm_exit_usage=2 rdma_vm_exit_skip=77
rdma_vm_t0=${EPOCHREALTIME/./}

# Seconds since the run started, one decimal.
elapsed_since_start() {
  local now=${EPOCHREALTIME/./}
  local tenths=$(((now - rdma_vm_t0) / 100000))
  printf '%d.%d' $((tenths / 10)) $((tenths % 10))
}

note() { printf '[rdma-vm +%ss] %s\n' "$(elapsed_since_start)" "$*"; }

# The machine cannot run the VM: not a failure of the code under test.
skip_run() {
  echo "SKIPPED: $*"
  exit "$rdma_vm_exit_skip"
}

fail_run() {
  echo "FAIL: $*"
  exit "$rdma_vm_exit_fail"
}

usage_error() {
  echo "rdma_vm: $*" >&2
  echo "usage: see the header of tests/rdma_vm/run.sh" >&2
  exit "$rdma_vm_exit_usage"
}
