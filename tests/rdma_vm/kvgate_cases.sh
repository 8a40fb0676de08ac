# kvgate in the soft-RoCE guest: the real `kvgate serve` (the --bin given to
# run.sh, in /opt/bin) on 192.0.2.1:9000 with six data directories on the
# guest's tmpfs. Sourced by the guest's /init once rxe0 is up; the case API is
# in guest_case_api.sh.
#
# Adding a case: a function that returns 0 on success (or calls case_abort
# REASON), and one line in the list at the bottom:
#   run_case -n kvgate_start NAME SECS FUNCTION
# Cases run in order; the gateway stays up from kvgate_start until
# kvgate_clean_shutdown, so cases that need it go between the two (-a: those
# two run even when --only selects other cases).
# shellcheck shell=dash

KVGATE_PORT=9000
KVGATE_URL=http://$VM_IP:$KVGATE_PORT
KVGATE_DATA_DIRS="/tmp/kvgate/d1 /tmp/kvgate/d2 /tmp/kvgate/d3 /tmp/kvgate/d4 /tmp/kvgate/d5 /tmp/kvgate/d6"
export KVGATE_ACCESS_KEY=rdmavmaccesskey
export KVGATE_SECRET_KEY=rdmavm-secret-key-0123456789
# The RDMA fast path: rdma_cm listener on rxe0's address, the ACK timeout
# soft-RoCE under TCG needs, and a short session TTL for the expiry case
# (short, but longer than the slowest step between two uses of a session on
# a loaded 2-core host: at 8 s, cases failed with session-expired there). A
# second user (read/write everywhere) names the first one's sessions in the
# foreign-session case.
KVGATE_RDMA_PORT=7471
KVGATE_RDMA_TTL=20
KVGATE_USERS=/tmp/kvgate/users.toml
OTHER_ACCESS_KEY=rdmavmotherkey
OTHER_SECRET_KEY=rdmavm-other-secret-0123456789
# LeakSanitizer stops the world with ptrace from a helper thread; that works
# as root in the guest, so leaks are checked at the clean shutdown below.

# http_request METHOD PATH: the raw response of one unsigned request
# (Connection: close), for status and header checks.
http_request() {
  printf '%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$1" "$2" "$VM_IP:$KVGATE_PORT" |
    timeout 15 nc "$VM_IP" "$KVGATE_PORT" | tr -d '\r'
}

# http_status METHOD PATH: just the status code.
http_status() { http_request "$1" "$2" | awk 'NR == 1 { print $2 }'; }

kvgate_start() {
  local d
  set --
  for d in $KVGATE_DATA_DIRS; do set -- "$@" --data "$d"; done
  mkdir -p "${KVGATE_USERS%/*}"
  printf '[[user]]\naccess_key = "%s"\nsecret_key = "%s"\nread = ["*"]\nwrite = ["*"]\n' \
    "$OTHER_ACCESS_KEY" "$OTHER_SECRET_KEY" >"$KVGATE_USERS"
  run_bg kvgate kvgate serve --listen "$VM_IP:$KVGATE_PORT" "$@" \
    --rdma-listen "$VM_IP:$KVGATE_RDMA_PORT" --rdma-ack-timeout 18 \
    --rdma-session-ttl-seconds "$KVGATE_RDMA_TTL" --credentials-file "$KVGATE_USERS"
  wait_log kvgate "kvgate ready on http://$VM_IP:$KVGATE_PORT" 90 ||
    case_abort "no 'kvgate ready on http://$VM_IP:$KVGATE_PORT' line: $(tail -n 3 "$(bg_log kvgate)")"
}

health_live() {
  local body
  body=$(timeout 15 wget -q -O - "$KVGATE_URL/health/live") || case_abort "GET /health/live failed"
  echo "$body"
  case $body in *'"live"'*) ;; *) case_abort "unexpected body: $body" ;; esac
}

health_ready() {
  local response
  response=$(http_request GET /health/ready)
  echo "$response"
  echo "$response" | head -n 1 | grep -q ' 200 ' || case_abort "status: $(echo "$response" | head -n 1)"
  echo "$response" | grep -q '"ready"' || case_abort "body does not say ready"
}

# Anonymous S3 requests are refused (SigV4 is checked in the guest too).
anonymous_list_refused() {
  local status
  status=$(http_status GET /)
  echo "GET / without a signature: $status"
  [ "$status" = 403 ] || case_abort "status $status, want 403"
}

# The RDMA fast path end to end: kvgate_rdma_client (rdma/tools/, a second
# --bin) runs one of its cases against the gateway; it prints
# "CASE <name> PASS|FAIL <why>" and exits 0 on PASS.
rdma_listening() {
  grep -q "rdma: listening on $VM_IP:$KVGATE_RDMA_PORT" "$(bg_log kvgate)" ||
    case_abort "no 'rdma: listening' line: $(grep -i rdma "$(bg_log kvgate)" | tail -n 3)"
}

rdma_client() {
  kvgate_rdma_client --endpoint "$VM_IP:$KVGATE_PORT" \
    --access-key "$KVGATE_ACCESS_KEY" --secret-key "$KVGATE_SECRET_KEY" \
    --other-access-key "$OTHER_ACCESS_KEY" --other-secret-key "$OTHER_SECRET_KEY" \
    --gateway-pid "$(bg_pid kvgate)" "$@"
}

# SIGTERM: the gateway drains, exits 0, and (in sanitizer builds) reports
# no error or leak.
kvgate_clean_shutdown() {
  local rc=0
  stop_bg kvgate 30 || rc=$?
  if grep -qE '^(==[0-9]+==ERROR|SUMMARY: (Address|Undefined|Leak)Sanitizer)|runtime error:' "$(bg_log kvgate)"; then
    case_abort "sanitizer report in the kvgate log"
  fi
  [ "$rc" -eq 0 ] || case_abort "kvgate exit status $rc"
}

run_case -a kvgate_start 120 kvgate_start
run_case -n kvgate_start health_live 30 health_live
run_case -n kvgate_start health_ready 30 health_ready
run_case -n kvgate_start anonymous_list_refused 30 anonymous_list_refused
run_case -n kvgate_start rdma_listening 10 rdma_listening
if command -v kvgate_rdma_client >/dev/null; then
  for c in capabilities create_bucket tcp_put_32mib rdma_get_32mib rdma_ranged_get \
    rdma_put_32mib rdma_multipart decline_fallback foreign_session wrong_rkey \
    expired_session killed_client; do
    run_case -n rdma_listening "rdma_$c" 90 rdma_client --case "$c"
  done
  run_case -n rdma_listening rdma_measure 120 rdma_client --case capabilities --measure
fi
run_case -a -n kvgate_start kvgate_clean_shutdown 60 kvgate_clean_shutdown
