# Boots the guest and judges its serial console (sourced by run.sh).
#
# One VM: -smp 2 (one vCPU starves rxe's kernel work while a process busy-
# polls a CQ), -m 4096 (the kernel holds the uncompressed initramfs while it
# unpacks it: with the ~530 MB ASan kvgate and a second ASan binary, 2048 ran
# out), no NIC at all (-nic none: rxe0 sits on a dummy netdev inside the
# guest, so nothing leaves the VM), TCG unless KVGATE_RDMA_VM_ACCEL=kvm (a
# writable /dev/kvm is not enough: on these firecracker machines -cpu host
# aborts on MSR 0x10a and host,-arch-capabilities hangs after "Probing EDD").
# QEMU runs under `timeout`; its console is read line by line (CRs stripped,
# host time since boot prepended) into the serial log, and marker lines are
# echoed as they arrive.
# shellcheck shell=bash disable=SC2154 # run.sh and the other host/ files set the globals

readonly rdma_vm_marker='KVGATE-RDMA-VM:'

# Reads the console: strips CRs, prefixes the host's seconds since boot,
# writes every line to LOG and prints the marker lines.
stamp_console() {
  local log=$1 line t0=${EPOCHREALTIME/./} now tenths
  while IFS= read -r line || [[ -n $line ]]; do
    line=${line//$'\r'/}
    now=${EPOCHREALTIME/./}
    tenths=$(((now - t0) / 100000))
    printf -v line '[%4d.%ds] %s' $((tenths / 10)) $((tenths % 10)) "$line"
    printf '%s\n' "$line" >>"$log"
    [[ $line == *"$rdma_vm_marker"* ]] && printf '%s\n' "$line"
  done
  return 0
}

# boot_guest INITRD LOG: returns QEMU's exit status (124 on timeout).
boot_guest() {
  local initrd=$1 log=$2 accel=tcg cpu=max
  if [[ ${KVGATE_RDMA_VM_ACCEL:-tcg} == kvm ]]; then
    accel=kvm
    cpu=host
  fi
  : >"$log"
  note "booting $kernel_version (qemu -accel $accel -smp 2 -m 4096, timeout ${vm_timeout}s); serial log: $log"
  set +e
  timeout --kill-after=10 "$vm_timeout" qemu-system-x86_64 \
    -machine pc -accel "$accel" -cpu "$cpu" -smp 2 -m 4096 \
    -nic none -no-reboot -display none -monitor none -serial stdio \
    -kernel "$kernel_image" -initrd "$initrd" \
    -append "console=ttyS0 quiet loglevel=4 panic=-1" \
    </dev/null 2>&1 | stamp_console "$log"
  local rc=${PIPESTATUS[0]}
  set -e
  return "$rc"
}

# judge_console LOG QEMU_RC: exit status for the run from the guest's markers.
judge_console() {
  local log=$1 qemu_rc=$2 result
  result=$(grep -o "$rdma_vm_marker RESULT .*" "$log" | tail -n 1) || true
  if [[ $result == "$rdma_vm_marker RESULT PASS"* ]]; then
    note "PASS (${result#"$rdma_vm_marker RESULT "}); serial log: $log"
    return "$rdma_vm_exit_pass"
  fi
  echo "---- last lines of the serial log $log"
  tail -n 60 "$log"
  echo "----"
  if [[ -n $result ]]; then
    note "FAIL (${result#"$rdma_vm_marker RESULT "}); serial log: $log"
  elif [[ $qemu_rc == 124 || $qemu_rc == 137 ]]; then
    note "FAIL: the VM did not finish within ${vm_timeout}s; serial log: $log"
  else
    note "FAIL: no RESULT from the guest (qemu exit status $qemu_rc); serial log: $log"
  fi
  return "$rdma_vm_exit_fail"
}
