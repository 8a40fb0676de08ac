# The case API of the RDMA test guest (busybox sh), sourced by /init before it
# sources the case script. Everything a case script may use:
#
#   run_case [-a] [-n NEEDED]... NAME SECS FUNC [ARGS]
#                          runs FUNC ARGS in a subshell under a SECS watchdog
#                          (the whole process tree is killed when it fires),
#                          prints its output prefixed "  [NAME] ", and reports
#                          PASS when it returns 0. -n: SKIP unless the case
#                          NEEDED passed. Only cases matching --only run, but
#                          -a (setup and teardown cases) always runs.
#   case_abort REASON      inside a run_case function: fail with REASON
#   case_begin NAME / case_pass NAME / case_fail NAME REASON / case_skip NAME REASON
#                          the primitives run_case is made of, for hand-rolled cases
#   case_result NAME       PASS, FAIL, SKIP or nothing
#   run_bg NAME CMD...     CMD in the background, output in $(bg_log NAME);
#                          survives the case that started it
#   bg_running NAME; bg_wait NAME SECS; stop_bg NAME [SECS]
#                          is it alive; its exit status once it ends (killed
#                          after SECS); SIGTERM, then SIGKILL after SECS (10)
#   wait_log NAME REGEX [SECS]  until the background process NAME logs REGEX
#   wait_port PORT [SECS]  until something listens on TCP PORT
#   run_server_client NAME SECS 'SERVER CMD' 'CLIENT CMD'
#                          a server in the background and a client retried
#                          until the server accepts; both must exit 0
#   vm_mark TEXT           a marker line on the console
# Variables: VM_IP (192.0.2.1), VM_NETDEV (dummy0), VM_RDMA_DEV (rxe0),
# VM_GID_INDEX (the RoCEv2 IPv4 GID), VM_LOGS (logs dir), VM_CASE_TIMEOUT.
#
# Console markers (read by the host):
#   KVGATE-RDMA-VM: CASE <name> PASS|FAIL|SKIP <secs> [reason]
#   KVGATE-RDMA-VM: RESULT PASS|FAIL <n_pass> <n_fail>
# State lives in files under /run (cases run in subshells), logs under /tmp.
# shellcheck shell=dash disable=SC2034 # VM_* are for the case scripts

VM_STATE=/run/kvgate-rdma-vm
VM_LOGS=/tmp/kvgate-rdma-vm
VM_IP=192.0.2.1
VM_NETDEV=dummy0
VM_RDMA_DEV=rxe0
VM_GID_INDEX=
: "${VM_CASE_TIMEOUT:=120}"
: "${VM_ONLY_CASES:=}"

vm_mark() { echo "KVGATE-RDMA-VM: $*"; }

vm_uptime() {
  local up _
  read -r up _ </proc/uptime
  echo "$up"
}

# Seconds since the uptime T0, two decimals.
vm_seconds_since() { awk -v a="$1" -v b="$(vm_uptime)" 'BEGIN { printf "%.2f", b - a }'; }

vm_init_state() {
  mkdir -p "$VM_STATE" "$VM_LOGS"
  : >"$VM_STATE/results"
}

case_begin() {
  vm_uptime >"$VM_STATE/case.$1.t0"
  vm_mark "BEGIN $1"
}

case_elapsed() {
  if [ -f "$VM_STATE/case.$1.t0" ]; then vm_seconds_since "$(cat "$VM_STATE/case.$1.t0")"; else echo 0.00; fi
}

# case_report NAME PASS|FAIL|SKIP [REASON]
case_report() {
  local name=$1 verdict=$2
  shift 2
  echo "$verdict $name" >>"$VM_STATE/results"
  vm_mark "CASE $name $verdict $(case_elapsed "$name")${*:+ $*}"
}

case_pass() { case_report "$1" PASS; }
case_fail() {
  local name=$1
  shift
  case_report "$name" FAIL "${*:-failed}"
}
case_skip() {
  local name=$1
  shift
  case_report "$name" SKIP "$*"
}
case_result() { awk -v n="$1" '$2 == n { r = $1 } END { if (r) print r }' "$VM_STATE/results"; }

case_abort() {
  echo "case_abort: $*"
  echo "$*" >"$VM_STATE/case.${VM_CURRENT_CASE:-none}.reason"
  exit 1
}

# Prints the PIDs whose parent is PID (busybox-static has no pgrep).
child_pids() {
  awk -v p="$1" '$1 == "PPid:" && $2 == p { split(FILENAME, part, "/"); print part[3] }' \
    /proc/[0-9]*/status 2>/dev/null
}

# Kills PID and all its descendants (stopped first so it cannot fork more).
kill_tree() {
  local child
  kill -STOP "$1" 2>/dev/null || return 0
  for child in $(child_pids "$1"); do kill_tree "$child"; done
  kill -KILL "$1" 2>/dev/null
  kill -CONT "$1" 2>/dev/null
  return 0
}

run_case() {
  local needs="" always=0 name secs pid watchdog rc reason dep
  while :; do
    case $1 in
      -n)
        needs="$needs $2"
        shift 2
        ;;
      -a)
        always=1
        shift
        ;;
      *) break ;;
    esac
  done
  name=$1 secs=$2
  shift 2
  if [ -n "$VM_ONLY_CASES" ] && [ "$always" -eq 0 ]; then
    # shellcheck disable=SC2254 # VM_ONLY_CASES is a glob on purpose
    case $name in $VM_ONLY_CASES) ;; *)
      case_skip "$name" "not selected by --only $VM_ONLY_CASES"
      return 0
      ;;
    esac
  fi
  for dep in $needs; do
    if [ "$(case_result "$dep")" != PASS ]; then
      case_skip "$name" "needs $dep"
      return 0
    fi
  done
  case_begin "$name"
  rm -f "$VM_STATE/case.$name.reason" "$VM_STATE/case.$name.timeout"
  VM_CURRENT_CASE=$name
  ("$@") >"$VM_LOGS/case.$name.log" 2>&1 </dev/null &
  pid=$!
  (
    sleep "$secs"
    : >"$VM_STATE/case.$name.timeout"
    kill_tree "$pid"
  ) >/dev/null 2>&1 </dev/null &
  watchdog=$!
  wait "$pid"
  rc=$?
  kill_tree "$watchdog"
  wait "$watchdog" 2>/dev/null
  VM_CURRENT_CASE=
  sed "s/^/  [$name] /" "$VM_LOGS/case.$name.log"
  if [ -f "$VM_STATE/case.$name.timeout" ]; then
    case_fail "$name" "timed out after ${secs}s"
  elif [ "$rc" -eq 0 ]; then
    case_pass "$name"
  else
    reason=$(cat "$VM_STATE/case.$name.reason" 2>/dev/null)
    case_fail "$name" "${reason:-exit status $rc}"
  fi
}

bg_log() { echo "$VM_LOGS/bg.$1.log"; }
bg_pid() { cat "$VM_STATE/bg.$1.pid" 2>/dev/null; }
bg_running() { [ -f "$VM_STATE/bg.$1.pid" ] && [ ! -f "$VM_STATE/bg.$1.rc" ]; }

run_bg() {
  local name=$1 state=$VM_STATE/bg.$1
  shift
  rm -f "$state.pid" "$state.rc"
  (
    "$@" >"$(bg_log "$name")" 2>&1 </dev/null &
    echo $! >"$state.pid.new"
    mv "$state.pid.new" "$state.pid"
    wait $!
    echo $? >"$state.rc"
  ) &
  while [ ! -f "$state.pid" ]; do sleep 0.05; done
}

# Waits up to SECS for NAME to end; kills it if it does not. Prints nothing,
# returns its exit status (137 when it had to be killed).
bg_wait() {
  local name=$1 secs=${2:-$VM_CASE_TIMEOUT} state=$VM_STATE/bg.$1 tenths=0
  [ -f "$state.pid" ] || return 127
  while [ ! -f "$state.rc" ] && [ "$tenths" -lt $((secs * 10)) ]; do
    sleep 0.1
    tenths=$((tenths + 1))
  done
  if [ ! -f "$state.rc" ]; then
    echo "bg_wait: $name still running after ${secs}s, killing it"
    kill_tree "$(bg_pid "$name")"
    tenths=0
    while [ ! -f "$state.rc" ] && [ "$tenths" -lt 50 ]; do
      sleep 0.1
      tenths=$((tenths + 1))
    done
  fi
  return "$(cat "$state.rc" 2>/dev/null || echo 137)"
}

# SIGTERM, then SIGKILL after SECS; prints the process's log; returns its
# exit status.
stop_bg() {
  local name=$1 secs=${2:-10} rc=0
  bg_running "$name" && kill -TERM "$(bg_pid "$name")" 2>/dev/null
  bg_wait "$name" "$secs" || rc=$?
  sed "s/^/  [$name] /" "$(bg_log "$name")"
  echo "  [$name] exit status $rc"
  return "$rc"
}

wait_log() {
  local name=$1 regex=$2 secs=${3:-30} tenths=0
  while [ "$tenths" -lt $((secs * 10)) ]; do
    grep -qE "$regex" "$(bg_log "$name")" 2>/dev/null && return 0
    if ! bg_running "$name"; then
      grep -qE "$regex" "$(bg_log "$name")" 2>/dev/null && return 0
      echo "wait_log: $name exited before logging /$regex/"
      return 1
    fi
    sleep 0.1
    tenths=$((tenths + 1))
  done
  echo "wait_log: no /$regex/ from $name within ${secs}s"
  return 1
}

wait_port() {
  local port hex secs=${2:-30} tenths=0
  port=$1
  hex=$(printf '%04X' "$port")
  while [ "$tenths" -lt $((secs * 10)) ]; do
    # local_address is ADDR:PORT in hex; state 0A is LISTEN
    cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
      awk -v p="$hex" '$4 == "0A" && substr($2, index($2, ":") + 1) == p { found = 1 } END { exit !found }' &&
      return 0
    sleep 0.1
    tenths=$((tenths + 1))
  done
  echo "wait_port: nothing listens on TCP port $port after ${secs}s"
  return 1
}

run_server_client() {
  local name=$1 secs=$2 server=$3 client=$4 attempt=0 crc=1 src=0
  run_bg "$name-server" timeout "$secs" sh -c "$server"
  sleep 0.5
  while [ "$attempt" -lt 10 ]; do
    attempt=$((attempt + 1))
    timeout "$secs" sh -c "$client" >"$VM_LOGS/$name-client.log" 2>&1
    crc=$?
    [ "$crc" -eq 0 ] && break
    bg_running "$name-server" || break
    sleep 1
  done
  bg_wait "$name-server" "$secs" || src=$?
  sed "s/^/[server] /" "$(bg_log "$name-server")"
  sed "s/^/[client] /" "$VM_LOGS/$name-client.log"
  echo "client exit status $crc after $attempt attempt(s), server exit status $src"
  [ "$crc" -eq 0 ] && [ "$src" -eq 0 ]
}

# Ends the run: stops what is still running in the background, prints the
# verdict and powers the VM off.
vm_finish() {
  local pidfile name n_pass n_fail
  for pidfile in "$VM_STATE"/bg.*.pid; do
    [ -f "$pidfile" ] || continue
    name=${pidfile#"$VM_STATE"/bg.}
    name=${name%.pid}
    if bg_running "$name"; then
      vm_mark "stopping background process $name"
      stop_bg "$name" 5 || true
    fi
  done
  n_pass=$(grep -c '^PASS ' "$VM_STATE/results")
  n_fail=$(grep -c '^FAIL ' "$VM_STATE/results")
  if [ "$n_fail" -gt 0 ]; then
    echo "---- dmesg (tail)"
    dmesg | grep -v 'speed is unknown' | tail -n 40
    echo "---- $VM_RDMA_DEV counters"
    grep -H . /sys/class/infiniband/"$VM_RDMA_DEV"/ports/1/hw_counters/* 2>/dev/null |
      sed 's|.*/hw_counters/||' | grep -v ':0$'
  fi
  vm_mark "FINISHED at guest uptime $(vm_uptime)s"
  if [ "$n_fail" -eq 0 ] && [ "$n_pass" -gt 0 ]; then
    vm_mark "RESULT PASS $n_pass $n_fail"
  else
    vm_mark "RESULT FAIL $n_pass $n_fail"
  fi
  sync
  poweroff -f
}
