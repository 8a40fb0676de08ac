# The client SDK's RDMA path in the soft-RoCE guest: kvgate_sdk_check (the
# second --bin) against the real `kvgate serve` (the first --bin), first with
# the gateway's RDMA listener on rxe0 (32 MiB PUTs and GETs from and into
# registered memory over RDMA, byte-exact, stats() showing RDMA ops and no
# fallback), then with RDMA off on the gateway (the same transfers visibly
# fall back to TCP), and, on a gateway with a 4 s session TTL, RDMA again
# after the client's session expired. Sourced by the guest's /init
# (guest_case_api.sh).
#
#   bash tests/rdma_vm/run.sh --bin build-x/kvgate --bin build-x/kvgate_sdk_check \
#     --tool rping --guest tests/rdma_vm/sdk_cases.sh [--env SDK_RDMA_ROUNDS=4]
#
# SDK_RDMA_ROUNDS > 1 adds MEASURE lines: SDK MiB/s over RDMA and over TCP
# (emulated: TCG guest, soft-RoCE; only the ratio on this setup means anything).
# shellcheck shell=dash

KVGATE_PORT=9000
KVGATE_URL=http://$VM_IP:$KVGATE_PORT
export KVGATE_ACCESS_KEY=rdmavmaccesskey
export KVGATE_SECRET_KEY=rdmavm-secret-key-0123456789
: "${SDK_RDMA_ROUNDS:=1}"

# sdk_gateway_start NAME [ARGS]: kvgate serve on fresh data directories.
sdk_gateway_start() {
  local name=$1 d
  shift
  set -- "$@"
  for d in 1 2 3 4 5 6; do
    mkdir -p "/tmp/$name/d$d"
    set -- "$@" --data "/tmp/$name/d$d"
  done
  run_bg "$name" kvgate serve --listen "$VM_IP:$KVGATE_PORT" "$@"
  wait_log "$name" "kvgate ready on $KVGATE_URL" 90 ||
    case_abort "no 'kvgate ready' line: $(tail -n 3 "$(bg_log "$name")")"
}

sdk_gateway_stop() {
  local rc=0
  stop_bg "$1" 30 || rc=$?
  if grep -qE '^(==[0-9]+==ERROR|SUMMARY: (Address|Undefined|Leak)Sanitizer)|runtime error:' "$(bg_log "$1")"; then
    case_abort "sanitizer report in the $1 log"
  fi
  [ "$rc" -eq 0 ] || case_abort "$1 exit status $rc"
}

sdk_check_rdma() {
  kvgate_sdk_check --endpoint "$KVGATE_URL" --bucket sdk-rdma rdma "$@"
}

run_case -a gateway_rdma_start 120 sdk_gateway_start gateway_rdma \
  --rdma-listen "$VM_IP:7471" --rdma-ack-timeout 18
run_case -n gateway_rdma_start sdk_rdma_32mib 300 sdk_check_rdma --expect rdma \
  --rounds "$SDK_RDMA_ROUNDS"

# kvgate-cli with --rdma on: a 32 MiB file put and got back through its
# registered staging buffer over RDMA (one RDMA op each, byte-exact), and a
# bench mix of 4 MiB objects from registered buffers, all over RDMA.
sdk_cli() { kvgate-cli --endpoint "$KVGATE_URL" --no-progress "$@"; }
sdk_cli_rdma() {
  dd if=/dev/urandom of=/tmp/cli.in bs=1048576 count=32 2>/dev/null || return 1
  sdk_cli mb s3://sdk-cli || return 1
  sdk_cli --rdma on --stats put /tmp/cli.in s3://sdk-cli/segment 2>/tmp/cli.put.err || {
    cat /tmp/cli.put.err
    return 1
  }
  cat /tmp/cli.put.err
  grep -q ' sent 0 .* rdma_ops 1$' /tmp/cli.put.err || { echo "FAIL: the put was not an RDMA op"; return 1; }
  sdk_cli --rdma on --stats get s3://sdk-cli/segment /tmp/cli.out 2>/tmp/cli.get.err || {
    cat /tmp/cli.get.err
    return 1
  }
  cat /tmp/cli.get.err
  grep -q 'rdma_ops 1$' /tmp/cli.get.err || { echo "FAIL: the get was not an RDMA op"; return 1; }
  cmp /tmp/cli.in /tmp/cli.out || { echo "FAIL: the file read back differs"; return 1; }
  echo "32 MiB file byte-exact over RDMA both ways"
  sdk_cli --rdma on --stats bench s3://sdk-cli/bench/ --op mix --size 4MiB --concurrency 2 \
    --count 16 --seconds 120 2>/tmp/cli.bench.err || {
    cat /tmp/cli.bench.err
    return 1
  }
  cat /tmp/cli.bench.err
  # Every body moved over RDMA: no request body bytes over TCP, an RDMA op
  # per transfer (the 16 measured plus the populating puts).
  grep -q ' sent 0 ' /tmp/cli.bench.err || { echo "FAIL: bench bodies went over TCP"; return 1; }
  grep -qE 'rdma_ops (1[6-9]|[2-9][0-9])$' /tmp/cli.bench.err ||
    { echo "FAIL: fewer RDMA ops than transfers"; return 1; }
}
run_case -n gateway_rdma_start sdk_cli_rdma 300 sdk_cli_rdma
# rdma_register_mappings: buffers from an unregistered 64 MiB pool (as LMCache
# hands them to its connectors) go over RDMA once the pool's mapping is
# registered on first use; a file mapping stays TCP.
run_case -n gateway_rdma_start sdk_rdma_pool 300 kvgate_sdk_check --endpoint "$KVGATE_URL" \
  --bucket sdk-pool rdma-pool
run_case -a -n gateway_rdma_start gateway_rdma_stop 60 sdk_gateway_stop gateway_rdma
# Session expiry: a gateway whose sessions expire after 4 idle seconds; the
# client idles 12 s between two PUT+GET pairs and must stay on RDMA (a new
# session after the session-expired/no-session decline), never TCP.
run_case -a gateway_expiry_start 120 sdk_gateway_start gateway_expiry \
  --rdma-listen "$VM_IP:7471" --rdma-ack-timeout 18 --rdma-session-ttl-seconds 4
sdk_rdma_expiry() {
  local sessions
  kvgate_sdk_check --endpoint "$KVGATE_URL" --bucket sdk-expiry rdma-expiry --expire-wait 12 ||
    return 1
  # The gateway reaped the first session; the client made a second one.
  sessions=$(grep -c '"POST /.rdma/v1/sessions" 201' "$(bg_log gateway_expiry)")
  echo "sessions created: $sessions"
  [ "$sessions" -eq 2 ] || { echo "FAIL: want 2 sessions in the gateway log"; return 1; }
}
run_case -n gateway_expiry_start sdk_rdma_session_expiry 300 sdk_rdma_expiry
run_case -a -n gateway_expiry_start gateway_expiry_stop 60 sdk_gateway_stop gateway_expiry
run_case -a gateway_tcp_start 120 sdk_gateway_start gateway_tcp
run_case -n gateway_tcp_start sdk_tcp_fallback 300 sdk_check_rdma --expect tcp
run_case -a -n gateway_tcp_start gateway_tcp_stop 60 sdk_gateway_stop gateway_tcp

# Direct cluster routing with RDMA: three kvgate nodes in the guest (own data
# directories, S3 ports 9001-9003, RDMA listeners 7471-7473 on rxe0, one
# cluster map); the client's endpoint is node 1, it routes every key to its
# owner and moves the bytes over a session with that node, no proxy in the
# data path. Each node must have granted exactly one session and served RDMA.
CLUSTER_NODES="1 2 3"

cluster_toml() {
  local self=$1 n
  printf '[cluster]\nid = "rdma-vm"\nmap_version = 1\nself = "n%s"\n' "$self"
  for n in $CLUSTER_NODES; do
    printf '\n[[cluster.members]]\nid = "n%s"\ns3_endpoint = "http://%s:900%s"\n' "$n" "$VM_IP" "$n"
    printf 'rdma_listener = "%s:747%s"\n' "$VM_IP" "$n"
  done
}

cluster_start() {
  local n d
  for n in $CLUSTER_NODES; do
    mkdir -p "/tmp/cluster_n$n"
    cluster_toml "$n" >"/tmp/cluster_n$n/kvgate.toml"
    set --
    for d in 1 2 3 4 5 6; do
      mkdir -p "/tmp/cluster_n$n/d$d"
      set -- "$@" --data "/tmp/cluster_n$n/d$d"
    done
    run_bg "cluster_n$n" kvgate serve --config "/tmp/cluster_n$n/kvgate.toml" \
      --listen "$VM_IP:900$n" --rdma-listen "$VM_IP:747$n" --rdma-ack-timeout 18 "$@"
  done
  for n in $CLUSTER_NODES; do
    wait_log "cluster_n$n" "kvgate ready on http://$VM_IP:900$n" 90 ||
      case_abort "node $n: no 'kvgate ready' line: $(tail -n 3 "$(bg_log "cluster_n$n")")"
  done
}

cluster_rdma() {
  local n sessions served
  kvgate_sdk_check --endpoint "http://$VM_IP:9001" --bucket sdk-cluster rdma-cluster \
    --keys 12 --nodes 3 || return 1
  for n in $CLUSTER_NODES; do
    sessions=$(grep -c '"POST /.rdma/v1/sessions" 201' "$(bg_log "cluster_n$n")")
    served=$(grep -c '"GET /sdk-cluster/cluster/segment-' "$(bg_log "cluster_n$n")")
    echo "node $n: $sessions RDMA session(s), $served GETs of the cluster keys"
    [ "$sessions" -eq 1 ] || { echo "FAIL: node $n granted $sessions sessions, want 1"; return 1; }
    [ "$served" -ge 1 ] || { echo "FAIL: node $n served none of the keys"; return 1; }
  done
}

# Node 3 stopped: the same keys read by a new client: node 3's are misses
# (bypassed, 404 through the endpoint), the others still move over RDMA.
cluster_node_down() {
  local dead
  dead=$(grep -c '"GET /sdk-cluster/cluster/segment-' "$(bg_log cluster_n3)")
  sdk_gateway_stop cluster_n3
  kvgate_sdk_check --endpoint "http://$VM_IP:9001" --bucket sdk-cluster rdma-cluster \
    --keys 12 --nodes 3 --dead-node-keys "$dead"
}

cluster_stop() {
  local n
  for n in $CLUSTER_NODES; do
    if bg_running "cluster_n$n"; then sdk_gateway_stop "cluster_n$n"; fi
  done
}

run_case -a cluster_start 180 cluster_start
run_case -n cluster_start sdk_cluster_rdma 300 cluster_rdma
run_case -n sdk_cluster_rdma sdk_cluster_node_down 300 cluster_node_down
run_case -a -n cluster_start cluster_stop 90 cluster_stop
