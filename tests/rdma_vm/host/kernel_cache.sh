# Debian's stock kernel for the guest, cached between runs (sourced by run.sh).
#
# The package is resolved through the linux-image-amd64 metapackage on every
# run (Debian drops old ABI packages from the mirror, so a pinned name breaks),
# fetched with `apt-get download` (never installed) and unpacked once into
#   $rdma_vm_cache/kernels/<package>/      boot/vmlinuz-<kver>, lib/modules/<kver>/
# with a modules.dep from `depmod -b` (the .deb ships none; postinst makes it).
# An older unpacked kernel is removed once a newer one is complete. If the
# mirror cannot be reached, the newest complete kernel in the cache is used.
# Concurrent runs serialise on a lock in the cache directory.
#
# Sets: kernel_dir kernel_version kernel_image
# shellcheck shell=bash

# Default: the system cache as root, the user's own cache otherwise.
if [[ -n ${KVGATE_RDMA_VM_CACHE:-} ]]; then
  rdma_vm_cache=$KVGATE_RDMA_VM_CACHE
elif [[ $(id -u) -eq 0 ]]; then
  rdma_vm_cache=/var/cache/kvgate-rdma-vm
else
  rdma_vm_cache=${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/kvgate-rdma-vm
fi

# Prints the versioned package linux-image-amd64 depends on, e.g.
# linux-image-6.1.0-56-amd64; nothing when apt does not know the metapackage.
resolve_kernel_package() {
  apt-cache depends linux-image-amd64 2>/dev/null |
    awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }'
}

# Newest complete kernel already in the cache, if any.
newest_cached_kernel() {
  local d newest=""
  for d in "$rdma_vm_cache"/kernels/*/; do
    [[ -f $d/.complete ]] || continue
    if [[ -z $newest || $d -nt $newest ]]; then newest=$d; fi
  done
  [[ -n $newest ]] && basename "$newest"
}

# Downloads and unpacks PACKAGE into the cache; returns non-zero when the
# package cannot be downloaded.
unpack_kernel_package() {
  local package=$1 debs=$rdma_vm_cache/debs target=$rdma_vm_cache/kernels/$1
  mkdir -p "$debs"
  # apt drops privileges to _apt for downloads; let it write there
  chown _apt "$debs" 2>/dev/null || true
  note "downloading $package (about 70 MB) into $debs"
  (cd "$debs" && apt-get download -q "$package" >/dev/null 2>&1) || return 1
  local deb
  deb=$(find "$debs" -maxdepth 1 -name "${package}_*.deb" -print -quit)
  [[ -n $deb ]] || return 1
  note "unpacking $(basename "$deb") (about 500 MB)"
  rm -rf "$target.partial"
  mkdir -p "$target.partial"
  dpkg-deb -x "$deb" "$target.partial"
  local kver
  kver=$(basename "$(find "$target.partial/lib/modules" -mindepth 1 -maxdepth 1 -type d -print -quit)")
  depmod -b "$target.partial" "$kver"
  rm -rf "$target"
  mv "$target.partial" "$target"
  touch "$target/.complete"
  rm -f "$deb"
}

# Drops every cached kernel but KEEP (each one is about 500 MB).
prune_cached_kernels() {
  local keep=$1 d
  for d in "$rdma_vm_cache"/kernels/*/; do
    [[ $(basename "$d") == "$keep" ]] || rm -rf "$d"
  done
}

prepare_kernel() {
  if ! mkdir -p "$rdma_vm_cache/kernels" 2>/dev/null || [[ ! -w $rdma_vm_cache ]]; then
    skip_run "kernel cache $rdma_vm_cache is not writable (set KVGATE_RDMA_VM_CACHE)"
  fi
  exec {kernel_lock_fd}>"$rdma_vm_cache/lock"
  flock "$kernel_lock_fd"
  # work directories of runs that were killed before their exit trap ran
  find "$rdma_vm_cache" -maxdepth 1 -name 'run.*' -mmin +180 -exec rm -rf {} + 2>/dev/null || true

  local package
  package=$(resolve_kernel_package)
  if [[ -z $package && $(id -u) -eq 0 ]]; then
    apt-get update -qq >/dev/null 2>&1 || true
    package=$(resolve_kernel_package)
  fi
  if [[ -n $package && ! -f $rdma_vm_cache/kernels/$package/.complete ]]; then
    if ! unpack_kernel_package "$package"; then
      note "cannot download $package"
      package=""
    fi
  fi
  if [[ -z $package ]]; then
    package=$(newest_cached_kernel) ||
      skip_run "kernel package (linux-image-amd64's dependency) not downloadable and none cached"
    note "using the cached $package"
  else
    prune_cached_kernels "$package"
  fi

  kernel_dir=$rdma_vm_cache/kernels/$package
  kernel_version=$(basename "$(find "$kernel_dir/lib/modules" -mindepth 1 -maxdepth 1 -type d -print -quit)")
  kernel_image=$kernel_dir/boot/vmlinuz-$kernel_version
  [[ -f $kernel_image ]] || fail_run "no $kernel_image in the cached package"
  flock -u "$kernel_lock_fd"
}

# Kernel modules the guest loads, in insmod order, as paths in the cache.
#   crc32_generic  rxe asks the crypto API for "crc32" (its ICRC) when rxe0 is
#                  created; a soft dependency modules.dep does not list
#                  ("rdma_rxe: failed to init crc32 algorithm err:-2")
#   rdma_rxe       soft-RoCE (pulls ib_core, ib_uverbs, udp tunnels)
#   rdma_ucm       /dev/infiniband/rdma_cm for librdmacm (pulls rdma_cm, ib_cm, iw_cm)
#   dummy          the netdev rxe0 sits on (creates dummy0 itself)
# modprobe -C /dev/null keeps the host's modprobe.d options out.
guest_module_paths() {
  local m
  for m in crc32_generic rdma_rxe ib_uverbs rdma_ucm dummy; do
    modprobe -C /dev/null -d "$kernel_dir" -S "$kernel_version" --show-depends "$m" |
      awk '$1 == "insmod" { print $2 }'
  done | awk '!seen[$0]++'
}
