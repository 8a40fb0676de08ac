#!/usr/bin/env bash
# tests/rdma_vm/run.sh: runs a case script inside a QEMU guest that has real
# RDMA verbs (soft-RoCE, the kernel's rdma_rxe) on a host that has neither
# InfiniBand support nor KVM.
#
# It installs what it needs with apt-get (idempotent), fetches Debian's stock
# kernel once into a cache, builds a busybox initramfs around the given
# binaries (plus their ldd closure and the rxe verbs provider), boots it under
# qemu-system-x86_64, and reports the guest's per-case markers. In the guest,
# /init brings up rxe0 on dummy0 (192.0.2.1/24, MTU 4200) and sources the case
# script with the API of guest_case_api.sh.
#
# Usage:
#   run.sh --selftest                      Debian's rping/ibv_*_pingpong/rdma_* cases
#   run.sh --bin build/kvgate --guest tests/rdma_vm/kvgate_cases.sh
# Options:
#   --guest SCRIPT     case script sourced by the guest's /init
#   --bin PATH         executable copied to the guest's /opt/bin (on PATH), repeatable
#   --file SRC:DST     extra file at DST in the guest (+ its libraries if ELF), repeatable
#   --tool NAME        host program from PATH, at its own path in the guest, repeatable
#   --env NAME=VALUE   exported in the guest before the cases run, repeatable
#   --only GLOB        run only the cases whose name matches (the rest: SKIP)
#   --log FILE         serial log (default: $KVGATE_RDMA_VM_LOG_DIR/<script>.serial.log,
#                      log dir default build-logs/rdma-vm in the repository)
#   --timeout SECS     the whole VM run (default 300)
#   --case-timeout SECS  default limit of one case in the guest (default 120)
# Environment:
#   KVGATE_RDMA_VM=0          skip (exit 77)
#   KVGATE_RDMA_VM_CACHE      kernel cache (~400 MB), default /var/cache/kvgate-rdma-vm as
#                             root, ~/.cache/kvgate-rdma-vm otherwise
#   KVGATE_RDMA_VM_NO_APT=1   never call apt-get (skip when something is missing)
#   KVGATE_RDMA_VM_COMPRESS=gzip  gzip the initramfs (default: uncompressed)
#   KVGATE_RDMA_VM_ACCEL=kvm  boot with -accel kvm -cpu host (default tcg: a
#                             writable /dev/kvm here does not boot the guest)
#   ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS  passed on to the guest when set
# Exit status: 0 every case passed, 1 a case failed or the VM did not finish,
# 2 usage error, 77 the machine cannot run it (printed as "SKIPPED: <reason>").
set -euo pipefail

rdma_vm_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(cd "$rdma_vm_dir/../.." && pwd)
# shellcheck source=host/report.sh
source "$rdma_vm_dir/host/report.sh"
# shellcheck source=host/packages.sh
source "$rdma_vm_dir/host/packages.sh"
# shellcheck source=host/kernel_cache.sh
source "$rdma_vm_dir/host/kernel_cache.sh"
# shellcheck source=host/initramfs.sh
source "$rdma_vm_dir/host/initramfs.sh"
# shellcheck source=host/qemu_boot.sh
source "$rdma_vm_dir/host/qemu_boot.sh"

guest_script=""
guest_bins=()
guest_files=()
guest_tools=()
guest_env=()
serial_log=""
vm_timeout=300
case_timeout=120

# Debian's own RDMA programs the selftest cases drive.
selftest_tools=(rping rdma_server rdma_client ibv_rc_pingpong ibv_ud_pingpong ibv_devices)

is_whole_number() { [[ $1 =~ ^[0-9]+$ ]]; }

parse_arguments() {
  while (($# > 0)); do
    case $1 in
      --selftest)
        guest_script=$rdma_vm_dir/selftest_cases.sh
        guest_tools+=("${selftest_tools[@]}")
        shift
        continue
        ;;
      -h | --help)
        sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
        exit 0
        ;;
    esac
    (($# >= 2)) || usage_error "$1 needs a value"
    case $1 in
      --guest) guest_script=$2 ;;
      --bin) guest_bins+=("$2") ;;
      --file) guest_files+=("$2") ;;
      --tool) guest_tools+=("$2") ;;
      --env) guest_env+=("$2") ;;
      --only) guest_env+=("VM_ONLY_CASES=$2") ;;
      --log) serial_log=$2 ;;
      --timeout) vm_timeout=$2 ;;
      --case-timeout) case_timeout=$2 ;;
      *) usage_error "unknown option $1" ;;
    esac
    shift 2
  done
}

check_arguments() {
  [[ -n $guest_script ]] || usage_error "give --selftest or --guest SCRIPT"
  [[ -f $guest_script ]] || usage_error "no guest script $guest_script"
  local b spec kv
  for b in "${guest_bins[@]}"; do
    [[ -f $b && -x $b ]] || usage_error "--bin $b is not an executable file"
  done
  for spec in "${guest_files[@]}"; do
    [[ $spec == *:/* && -f ${spec%%:*} ]] || usage_error "--file $spec: want an existing SRC and an absolute DST"
  done
  for kv in "${guest_env[@]}"; do
    [[ $kv =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || usage_error "--env $kv: want NAME=VALUE"
  done
  is_whole_number "$vm_timeout" || usage_error "--timeout $vm_timeout: want seconds"
  is_whole_number "$case_timeout" || usage_error "--case-timeout $case_timeout: want seconds"
}

# Sanitizer settings of the caller (the test command sets them for CTest).
forward_sanitizer_options() {
  local name
  for name in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
    [[ -n ${!name:-} ]] && guest_env=("$name=${!name}" "${guest_env[@]}")
  done
  return 0
}

main() {
  parse_arguments "$@"
  check_arguments
  if [[ ${KVGATE_RDMA_VM:-1} == 0 ]]; then skip_run "KVGATE_RDMA_VM=0"; fi
  forward_sanitizer_options
  local script_name
  script_name=$(basename "$guest_script" .sh)
  if [[ -z $serial_log ]]; then
    serial_log=${KVGATE_RDMA_VM_LOG_DIR:-$repo_dir/build-logs/rdma-vm}/$script_name.serial.log
  fi
  mkdir -p "$(dirname "$serial_log")"

  ensure_host_packages
  command -v qemu-system-x86_64 >/dev/null || skip_run "qemu-system-x86_64 not available"
  prepare_kernel

  work_dir=$(mktemp -d "$rdma_vm_cache/run.XXXXXX")
  trap 'rm -rf "$work_dir"' EXIT
  build_initramfs "$work_dir/initrd.cpio"

  local qemu_rc=0 boot_start=$SECONDS
  boot_guest "$work_dir/initrd.cpio" "$serial_log" || qemu_rc=$?
  note "VM ran $((SECONDS - boot_start)) s"
  judge_console "$serial_log" "$qemu_rc"
}

main "$@"
