# Builds the guest's initramfs (sourced by run.sh).
#
# Layout: merged /usr like bookworm's (bin, sbin, lib, lib64 are symlinks into
# usr), so every path `ldd` prints on the host resolves in the guest; every
# user-space file is the host's own, copied with its ldd closure (this brings
# libasan/libubsan along for sanitizer builds). Contents:
#   busybox-static (/init links its applets); iproute2's ip and rdma; ibv_devinfo
#   the rxe verbs provider, /etc/libibverbs.d/rxe.driver and libgcc_s
#     (dlopen()ed, so ldd cannot see them)
#   /opt/bin/<name>        each --bin (unstripped, as built)
#   --file SRC:DST         extra files (with their ldd closure when ELF)
#   --tool NAME            host programs found on PATH, in their own place
#   /lib/modules/<kver>/   the modules of guest_module_paths, plus the load order
#   /init                  guest_init.sh; the case API and the caller's case script
#   /etc/kvgate-rdma-vm/vm.conf  settings and environment for the guest
# The archive is an uncompressed newc cpio unless KVGATE_RDMA_VM_COMPRESS=gzip:
# with the ~420 MB ASan kvgate, gzip -1 costs 19 s on the host and 14 s of
# emulated gunzip in the guest, against a 3 s cpio and a plain copy.
# shellcheck shell=bash disable=SC2154 # run.sh sets the kernel_*, guest_* and run globals

guest_root=""
declare -A guest_file_sources=() # guest path -> host path
guest_elf_files=()                # host ELF files whose ldd closure goes in too

# plan_copy HOSTPATH [GUESTPATH]: the host file (symlinks followed) goes to
# the same or the given guest path; the merged-/usr symlinks of the skeleton
# put /bin, /sbin, /lib* paths into /usr as on bookworm.
plan_copy() {
  local dst=${2:-$1}
  [[ -n ${guest_file_sources[$dst]:-} ]] || guest_file_sources[$dst]=$1
}

is_elf() { [[ $(head -c 4 "$1" | od -An -c | tr -d ' ') == '177ELF' ]]; }

# plan_copy, plus every shared object ldd resolves for ELF files.
plan_copy_with_libraries() {
  plan_copy "$@"
  if is_elf "$1"; then guest_elf_files+=("$1"); fi
}

# Adds the ldd closure of every planned ELF file (one ldd call for all).
plan_libraries() {
  ((${#guest_elf_files[@]} > 0)) || return 0
  local lib
  while read -r lib; do
    plan_copy "$lib"
  done < <(ldd "${guest_elf_files[@]}" 2>/dev/null |
    awk '/^\t/ && $2 == "=>" && $3 ~ /^\// { print $3 } /^\t\// { print $1 }' | sort -u)
}

# Copies the planned files: those keeping their host path in one cp.
copy_planned_files() {
  local dst src same_path=()
  for dst in "${!guest_file_sources[@]}"; do
    src=${guest_file_sources[$dst]}
    if [[ $src == "$dst" ]]; then
      same_path+=("$src")
    else
      mkdir -p "$guest_root${dst%/*}"
      cp -L "$src" "$guest_root$dst"
    fi
  done
  cp -L --parents "${same_path[@]}" "$guest_root/"
}

make_guest_skeleton() {
  mkdir -p "$guest_root"/{usr/bin,usr/sbin,usr/lib,usr/lib64,etc/kvgate-rdma-vm,opt/bin}
  mkdir -p "$guest_root"/{proc,sys,dev,tmp,run,root,usr/lib/kvgate-rdma-vm}
  ln -s usr/bin "$guest_root/bin"
  ln -s usr/sbin "$guest_root/sbin"
  ln -s usr/lib "$guest_root/lib"
  ln -s usr/lib64 "$guest_root/lib64"
  printf 'root:x:0:0:root:/root:/bin/sh\n' >"$guest_root/etc/passwd"
  printf 'root:x:0:\n' >"$guest_root/etc/group"
  printf '127.0.0.1 localhost\n192.0.2.1 kvgate-rdma-vm\n' >"$guest_root/etc/hosts"
}

# busybox-static; /init links its applets at boot (`busybox --install`, one
# process in the guest instead of hundreds of ln here), so only sh is linked.
add_busybox() {
  local busybox
  busybox=$(command -v busybox) || fail_run "busybox not found (busybox-static)"
  cp "$busybox" "$guest_root/usr/bin/busybox"
  ln -s busybox "$guest_root/usr/bin/sh"
}

# Host programs by name (iproute2, ibverbs-utils, rdmacm-utils...).
add_host_tools() {
  local tool path
  for tool in "$@"; do
    path=$(command -v "$tool") || fail_run "$tool not found on the host"
    plan_copy_with_libraries "$path"
  done
}

add_rxe_provider() {
  local provider found=0
  for provider in /usr/lib/x86_64-linux-gnu/libibverbs/librxe-rdmav*.so; do
    [[ -e $provider ]] || continue
    plan_copy_with_libraries "$provider"
    found=1
  done
  ((found)) || fail_run "no rxe provider (librxe-rdmav*.so, ibverbs-providers)"
  plan_copy /etc/libibverbs.d/rxe.driver
}

# Libraries glibc dlopen()s behind a program's back: libgcc_s for
# pthread_exit/pthread_cancel unwinding (rping's threads abort without it).
add_dlopened_runtime() {
  plan_copy /usr/lib/x86_64-linux-gnu/libgcc_s.so.1
}

add_kernel_modules() {
  local moddir=$guest_root/usr/lib/modules/$kernel_version ko base
  mkdir -p "$moddir"
  : >"$guest_root/etc/kvgate-rdma-vm/modules.list"
  while read -r ko; do
    base=${ko##*/}
    case $base in
      *.ko.xz) xz -dc "$ko" >"$moddir/${base%.xz}" && base=${base%.xz} ;;
      *.ko.zst) zstd -qdc "$ko" >"$moddir/${base%.zst}" && base=${base%.zst} ;;
      *.ko.gz) gzip -dc "$ko" >"$moddir/${base%.gz}" && base=${base%.gz} ;;
      *) cp "$ko" "$moddir/" ;;
    esac
    echo "$base" >>"$guest_root/etc/kvgate-rdma-vm/modules.list"
  done < <(guest_module_paths)
  [[ -s $guest_root/etc/kvgate-rdma-vm/modules.list ]] || fail_run "no kernel modules resolved"
}

# Single-quotes a value for the guest's POSIX shell.
sh_quote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

# write_guest_config NAME=VALUE...: exported in the guest before the cases run.
write_guest_config() {
  local conf=$guest_root/etc/kvgate-rdma-vm/vm.conf kv
  {
    echo "VM_KERNEL_VERSION=$(sh_quote "$kernel_version")"
    echo "VM_CASE_TIMEOUT=$(sh_quote "$case_timeout")"
    for kv in "$@"; do
      echo "export ${kv%%=*}=$(sh_quote "${kv#*=}")"
    done
  } >"$conf"
}

# build_initramfs OUTPUT: everything above from run.sh's option arrays.
build_initramfs() {
  local output=$1 b spec
  guest_root=$work_dir/root
  rm -rf "$guest_root"
  guest_file_sources=()
  guest_elf_files=()
  make_guest_skeleton
  add_host_tools ip rdma ibv_devinfo "${guest_tools[@]}"
  add_rxe_provider
  add_dlopened_runtime
  for b in "${guest_bins[@]}"; do
    plan_copy_with_libraries "$b" "/opt/bin/${b##*/}"
  done
  for spec in "${guest_files[@]}"; do
    plan_copy_with_libraries "${spec%%:*}" "${spec#*:}"
  done
  plan_libraries
  copy_planned_files
  add_busybox
  add_kernel_modules
  cp "$rdma_vm_dir/guest_init.sh" "$guest_root/init"
  chmod 755 "$guest_root/init"
  cp "$rdma_vm_dir/guest_case_api.sh" "$guest_root/usr/lib/kvgate-rdma-vm/case_api.sh"
  cp "$guest_script" "$guest_root/etc/kvgate-rdma-vm/cases.sh"
  write_guest_config "${guest_env[@]}"
  printf '/usr/lib/x86_64-linux-gnu\n/usr/lib\n' >"$guest_root/etc/ld.so.conf"
  ldconfig -r "$guest_root" 2>/dev/null || true

  local compress=(cat)
  [[ ${KVGATE_RDMA_VM_COMPRESS:-none} == gzip ]] && compress=(gzip -1)
  # -C: cpio writes 512-byte blocks by default, 2-3x slower for an ASan binary;
  # the kernel skips the zero padding this leaves at the end
  (cd "$guest_root" && find . -print0 |
    cpio --null -o -H newc -R 0:0 -C 262144 --quiet | "${compress[@]}") >"$output"
  note "initramfs $(du -m "$output" | cut -f1) MB, $(find "$guest_root" -type f | wc -l) files"
  rm -rf "$guest_root"
}
