# Cases that prove the harness itself: Debian's own RDMA programs between a
# server and a client in the guest, over rxe0 (run.sh --selftest copies them
# in). Sourced by the guest's /init; API in guest_case_api.sh.
# None of these programs takes an ACK-timeout option (ibv_rc_pingpong fixes
# 14, about 67 ms): in one VM, rxe's loopback path never retransmits, so
# they pass under TCG; cases that cross a link need generous timeouts.
# shellcheck shell=dash

# The device is up and active with the 4096-byte MTU the netdev allows.
rxe_port_active() {
  local info
  info=$(ibv_devinfo -d "$VM_RDMA_DEV") || case_abort "ibv_devinfo failed"
  echo "$info"
  echo "$info" | grep -q 'state:.*PORT_ACTIVE' || case_abort "port not active"
  echo "$info" | grep -q 'active_mtu:.*4096' || case_abort "active_mtu is not 4096"
}

# librdmacm connection, RDMA READ and WRITE of the ping buffers.
rping_ten_round_trips() {
  run_server_client rping 60 "rping -s -a $VM_IP -C 10 -v" "rping -c -a $VM_IP -C 10 -v"
}

# librdmacm's rdma_server/rdma_client: connect, SEND/RECV, disconnect.
rdma_cm_send_receive() {
  run_server_client rdma_cm 60 "rdma_server -s $VM_IP" "rdma_client -s $VM_IP"
}

# Raw verbs RC QP, 200 round trips of 4 KiB, GID of the IPv4 address.
rc_pingpong_4k() {
  local args="-d $VM_RDMA_DEV -g $VM_GID_INDEX -n 200 -s 4096"
  run_server_client rc_pingpong 60 "ibv_rc_pingpong $args" "ibv_rc_pingpong $args $VM_IP"
}

# Raw verbs UD QP, 200 round trips of 1 KiB.
ud_pingpong_1k() {
  local args="-d $VM_RDMA_DEV -g $VM_GID_INDEX -n 200 -s 1024"
  run_server_client ud_pingpong 60 "ibv_ud_pingpong $args" "ibv_ud_pingpong $args $VM_IP"
}

run_case -a rxe_port_active 20 rxe_port_active
run_case -n rxe_port_active rping 90 rping_ten_round_trips
run_case -n rxe_port_active rdma_cm_send_receive 90 rdma_cm_send_receive
run_case -n rxe_port_active ibv_rc_pingpong 90 rc_pingpong_4k
run_case -n rxe_port_active ibv_ud_pingpong 90 ud_pingpong_1k
