# Host packages the VM run needs, installed idempotently (sourced by run.sh).
# apt-get runs only when something is missing; a machine that cannot install
# them (not root, no mirror) skips the run rather than failing it.
# shellcheck shell=bash

rdma_vm_packages=(
  qemu-system-x86                                    # qemu-system-x86_64 (TCG when no KVM)
  ibverbs-providers ibverbs-utils rdmacm-utils       # rxe provider, ibv_*, rping, rdma_*
  iproute2                                           # ip, rdma (creates rxe0 in the guest)
  busybox-static cpio gzip kmod                      # initramfs userland, archive, depmod
  libibverbs-dev librdmacm-dev                       # building project code against verbs
)

# Names of packages from the list above that are not installed.
missing_packages() {
  local p
  for p in "${rdma_vm_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
  done
}

ensure_host_packages() {
  command -v dpkg-query >/dev/null || skip_run "not a Debian host (no dpkg-query)"
  [[ $(uname -m) == x86_64 ]] || skip_run "host is $(uname -m), the harness boots x86_64 guests"
  local missing
  mapfile -t missing < <(missing_packages)
  ((${#missing[@]} == 0)) && return 0
  if [[ ${KVGATE_RDMA_VM_NO_APT:-0} == 1 ]]; then
    skip_run "missing packages ${missing[*]} and KVGATE_RDMA_VM_NO_APT=1"
  fi
  if [[ $(id -u) -ne 0 ]]; then
    skip_run "missing packages ${missing[*]} and not root (cannot apt-get install)"
  fi
  note "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
    apt-get update -qq >/dev/null 2>&1 || true
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
      skip_run "apt-get could not install ${missing[*]}"
  fi
}
