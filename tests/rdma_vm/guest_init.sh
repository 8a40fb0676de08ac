#!/bin/sh
# /init of the RDMA test guest (PID 1, busybox sh). Mounts the pseudo file
# systems, loads the RDMA modules, creates rxe0 (soft-RoCE) on dummy0 with
# 192.0.2.1/24 and MTU 4200, waits for its RoCEv2 IPv4 GID, then sources the
# case script with the case API and powers the VM off with a RESULT marker.
# The host's run.sh builds the initramfs this runs from.
# shellcheck shell=dash

export PATH=/opt/bin:/usr/sbin:/usr/bin
# the applet links (existing files such as iproute2's ip stay)
/usr/bin/busybox --install -s /usr/bin
export HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run

# shellcheck source=/dev/null # written by run.sh
. /etc/kvgate-rdma-vm/vm.conf
# shellcheck source=guest_case_api.sh
. /usr/lib/kvgate-rdma-vm/case_api.sh
vm_init_state

# RDMA memory registration pins pages: no memlock limit (root has
# CAP_IPC_LOCK anyway, this covers programs that drop it)
ulimit -l unlimited
ulimit -n 65536
vm_mark "BOOT kernel $(uname -r), $(grep -c ^processor /proc/cpuinfo) vCPUs," \
  "$(awk '/MemTotal/ { print int($2 / 1024) }' /proc/meminfo) MiB, /init at guest uptime $(vm_uptime)s"

load_rdma_modules() {
  local m
  while read -r m; do
    insmod "/lib/modules/$VM_KERNEL_VERSION/$m" || {
      echo "insmod $m failed"
      return 1
    }
  done </etc/kvgate-rdma-vm/modules.list
}

# Prints the index of the GID ::ffff:VM_IP (the RoCEv2 IPv4 GID); the table is
# filled asynchronously after the address is added.
find_ipv4_gid_index() {
  local hex f tries=0
  hex=$(echo "$VM_IP" | awk -F. '{ printf "%02x%02x:%02x%02x", $1, $2, $3, $4 }')
  while [ "$tries" -lt 100 ]; do
    for f in /sys/class/infiniband/"$VM_RDMA_DEV"/ports/1/gids/*; do
      case "$(cat "$f" 2>/dev/null)" in *ffff:"$hex")
        echo "${f##*/}"
        return 0
        ;;
      esac
    done
    sleep 0.1
    tries=$((tries + 1))
  done
  return 1
}

bring_up_rxe() {
  load_rdma_modules || return 1
  ip link set lo up
  # dummy.ko creates dummy0 itself (numdummies=1)
  ip link show "$VM_NETDEV" >/dev/null 2>&1 || ip link add "$VM_NETDEV" type dummy || return 1
  # rxe's active MTU follows the netdev's: 4200 gives 4096 (1500 gives 1024)
  ip link set "$VM_NETDEV" mtu 4200 &&
    ip addr add "$VM_IP/24" dev "$VM_NETDEV" &&
    ip link set "$VM_NETDEV" up &&
    rdma link add "$VM_RDMA_DEV" type rxe netdev "$VM_NETDEV" || return 1
  VM_GID_INDEX=$(find_ipv4_gid_index) || {
    echo "no RoCEv2 IPv4 GID on $VM_RDMA_DEV"
    return 1
  }
  export VM_IP VM_NETDEV VM_RDMA_DEV VM_GID_INDEX
}

case_begin rxe_setup
if bring_up_rxe >"$VM_LOGS/rxe_setup.log" 2>&1; then
  vm_mark "SETUP $VM_RDMA_DEV on $VM_NETDEV $VM_IP ready in $(case_elapsed rxe_setup)s," \
    "GID index $VM_GID_INDEX, $(rdma link show "$VM_RDMA_DEV/1" 2>&1)"
  # shellcheck source=/dev/null # the caller's --guest script
  . /etc/kvgate-rdma-vm/cases.sh
else
  sed 's/^/  [rxe_setup] /' "$VM_LOGS/rxe_setup.log"
  dmesg | tail -n 20
  case_fail rxe_setup "$(tail -n 1 "$VM_LOGS/rxe_setup.log")"
fi
vm_finish
