#!/usr/bin/env bash
# The radosgw peer for the performance suite (issue #8, "Baselines in the same
# run"): a throwaway Ceph 16.2 cluster from Debian's packages - one monitor,
# one memstore OSD, no mgr - plus radosgw (beast frontend) on a loopback port,
# with one S3 user holding fixed test keys.
#
# Usage: perf/peers/radosgw.sh start [--no-install] | stop | status | gc
#   start   install radosgw/ceph-mon/ceph-osd if missing (apt-get, idempotent),
#           start the cluster and radosgw, create the S3 user, wait until S3
#           answers, then print on stdout (one line):
#             radosgw ready on http://127.0.0.1:PORT access=KEY secret=SECRET
#   stop    stop every daemon by the pid recorded at start (never by name),
#           then remove the run directory
#   status  list the daemons and probe S3; exit 0 when radosgw answers, else 1
#   gc      run radosgw's garbage collector now (the tails of overwritten
#           objects stay in memstore until gc removes them)
# Exit 77 with "SKIPPED: <reason>" when the peer cannot run on this machine.
#
# Environment:
#   KVGATE_PEER_DIR           run directory (default /dev/shm/kvgate-peers/radosgw):
#                             ceph.conf, keyring, monmap, mon store, logs, pids
#   KVGATE_RADOSGW_PORT       S3 port on 127.0.0.1 (default 18480)
#   KVGATE_RADOSGW_MON_PORT   monitor port on 127.0.0.1 (default 18489)
#   KVGATE_RADOSGW_MEMSTORE_MIB  memstore device size (default 2560); object data
#                             lives in the OSD's memory, so this bounds the
#                             cluster's RAM (the OSD refuses writes at 95% full)
#   KVGATE_RADOSGW_TIMEOUT    seconds each start phase may take (default 90)
#   KVGATE_RADOSGW_ALLOCATOR  tcmalloc (default) or glibc; see below
#
# Everything lives in the run directory; the cluster is addressed by `-c
# <run dir>/ceph.conf` everywhere, so /etc/ceph is neither read nor written.
# cephx is off (loopback only) and msgr v1 only, as in a single-host test rig.
#
# Allocator: upstream Ceph is built with tcmalloc; Debian 12's 16.2 binaries are
# linked against glibc malloc, which serves each 4 MiB messenger buffer with a
# fresh mmap (page faults and zeroing on every chunk) and held radosgw's 32 MiB
# GETs to ~70-180 MiB/s here against ~600-800 MiB/s with tcmalloc. So the
# daemons run with Debian's libtcmalloc_minimal preloaded, the allocator Ceph
# is meant to have; KVGATE_RADOSGW_ALLOCATOR=glibc shows the stock behaviour.
set -eEuo pipefail
trap 'printf "radosgw peer: command failed at line %s (exit %s)\n" "$LINENO" "$?" >&2' ERR

RUN_DIR=${KVGATE_PEER_DIR:-/dev/shm/kvgate-peers/radosgw}
RGW_PORT=${KVGATE_RADOSGW_PORT:-18480}
MON_PORT=${KVGATE_RADOSGW_MON_PORT:-18489}
MEMSTORE_MIB=${KVGATE_RADOSGW_MEMSTORE_MIB:-2560}
PHASE_TIMEOUT=${KVGATE_RADOSGW_TIMEOUT:-90}
ACCESS_KEY=KVGATEPEERRADOSGW001
SECRET_KEY=kvgatepeerradosgwbenchsecret000000000001
S3_USER=kvgate-bench
ALLOCATOR=${KVGATE_RADOSGW_ALLOCATOR:-tcmalloc}
# ceph-common (ceph, ceph-authtool, radosgw-admin) and ceph-base (monmaptool) come with these
PACKAGES=(radosgw ceph-mon ceph-osd)
[[ $ALLOCATOR == tcmalloc ]] && PACKAGES+=(libtcmalloc-minimal4)
PRELOAD=()  # env assignment for the daemons: LD_PRELOAD=<libtcmalloc_minimal.so.4>
CONF=$RUN_DIR/ceph.conf
PIDS_FILE=$RUN_DIR/pids

log() { printf '== radosgw peer: %s\n' "$*" >&2; }
die() { printf 'radosgw peer: %s\n' "$*" >&2; exit 1; }
skip() { printf 'SKIPPED: %s\n' "$*"; exit 77; }
ceph_cli() { timeout 30 ceph -c "$CONF" --connect-timeout 10 "$@"; }

# --- packages -------------------------------------------------------------------
ensure_packages() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  [[ $(id -u) == 0 ]] || skip "packages ${missing[*]} missing and not root to install them"
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 ||
    { apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2; } ||
    skip "apt-get could not install ${missing[*]}"
}

check_machine() {
  local b p avail_mib need_mib
  for b in ceph ceph-authtool monmaptool ceph-mon ceph-osd radosgw radosgw-admin curl; do
    command -v "$b" >/dev/null || skip "$b not found"
  done
  avail_mib=$(awk '/^MemAvailable:/ {print int($2 / 1024)}' /proc/meminfo)
  need_mib=$((MEMSTORE_MIB + 1536))  # memstore + mon, OSD and radosgw themselves
  ((avail_mib >= need_mib)) || skip "needs ${need_mib} MiB available memory, have ${avail_mib}"
  case $ALLOCATOR in
    tcmalloc)
      local lib
      lib=$(ldconfig -p | awk '/libtcmalloc_minimal\.so\.4 / && !found {print $NF; found = 1}')
      [[ -n $lib ]] || skip "libtcmalloc_minimal.so.4 not found (KVGATE_RADOSGW_ALLOCATOR=glibc runs without it)"
      PRELOAD=("LD_PRELOAD=$lib")
      ;;
    glibc) PRELOAD=() ;;
    *) die "KVGATE_RADOSGW_ALLOCATOR must be tcmalloc or glibc, not '$ALLOCATOR'" ;;
  esac
  for p in "$RGW_PORT" "$MON_PORT"; do
    if ss -Hltn "sport = :$p" | grep -q .; then die "port $p on 127.0.0.1 is in use"; fi
  done
}

# --- configuration ----------------------------------------------------------------
write_conf() {
  local fsid=$1
  cat >"$CONF" <<EOF
[global]
fsid = $fsid
mon host = v1:127.0.0.1:$MON_PORT
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind msgr2 = false
auth cluster required = none
auth service required = none
auth client required = none
keyring = $RUN_DIR/keyring
run dir = $RUN_DIR/run
admin socket = $RUN_DIR/run/\$name.asok
log file = $RUN_DIR/log/\$name.log
log to stderr = false
err to stderr = true
# no debug logging on the data path (production default for rgw/ms is 1 and 0)
debug rgw = 0/0
debug ms = 0/0
debug osd = 0/0
debug objecter = 0/0
debug rados = 0/0
debug monc = 0/0
# one OSD: every pool replicated once, no placement across hosts
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
mon allow pool delete = true
mon data avail warn = 1
mon data avail crit = 0
# radosgw's client side: room for 8 parallel 32 MiB PUT windows in flight
# (the default, 100 MiB, throttles 8 x rgw_put_obj_min_window_size = 128 MiB)
objecter inflight op bytes = 536870912
objecter inflight ops = 4096

[mon]
mon data = $RUN_DIR/mon

[osd]
osd data = $RUN_DIR/osd\$id
osd objectstore = memstore
memstore device bytes = $((MEMSTORE_MIB << 20))
osd class update on start = false
osd crush update on start = false

[client.rgw.peer]
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT
rgw data = $RUN_DIR/rgw
rgw enable usage log = false
rgw enable ops log = false
rgw thread pool size = 64
# reclaim the tails of overwritten objects quickly (they live in RAM here)
rgw gc obj min wait = 0
rgw gc processor period = 5
EOF
}

# --- pids and waiting ----------------------------------------------------------------
# spawn NAME CMD...: start a foreground daemon in the background, stdio to its log.
spawn() {
  local name=$1
  shift
  env "${PRELOAD[@]}" "$@" </dev/null >>"$RUN_DIR/log/$name.stdout" 2>&1 &
  echo "$! $name" >>"$PIDS_FILE"
}

# wait_for WHAT CMD...: poll CMD every 0.5 s for at most PHASE_TIMEOUT seconds.
wait_for() {
  local what=$1 deadline=$((SECONDS + PHASE_TIMEOUT))
  shift
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      log "timed out after ${PHASE_TIMEOUT} s waiting for $what; last log lines:"
      tail -n 5 "$RUN_DIR"/log/*.log "$RUN_DIR"/log/*.stdout 2>/dev/null >&2 || true
      return 1
    fi
    check_daemons_alive || return 1
    sleep 0.5
  done
}

check_daemons_alive() {
  local pid name
  while read -r pid name; do
    running "$pid" && continue
    log "$name (pid $pid) exited; its log:"
    tail -n 20 "$RUN_DIR/log/$name.stdout" "$RUN_DIR"/log/*"$name"*.log 2>/dev/null >&2 || true
    return 1
  done <"$PIDS_FILE"
}

osd_is_up() { ceph_cli osd stat 2>/dev/null | grep -q '1 up'; }
s3_answers() { curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$RGW_PORT/" | grep -q '^[2-4]'; }

# --- commands ----------------------------------------------------------------------------
start() {
  local do_install=1
  [[ ${1:-} == --no-install ]] && do_install=0
  if [[ -f $PIDS_FILE ]]; then die "already started (pids in $PIDS_FILE); run stop first"; fi
  [[ $do_install == 1 ]] && ensure_packages
  check_machine
  local t0=$SECONDS fsid osd_uuid osd_id
  rm -rf "$RUN_DIR"
  mkdir -p "$RUN_DIR"/{mon,osd0,rgw,run,log}
  : >"$PIDS_FILE"
  # On any failure from here on, take down whatever was started.
  trap 'rc=$?; if ((rc != 0 && rc != 77)); then log "start failed; stopping"; stop >&2; fi' EXIT
  fsid=$(cat /proc/sys/kernel/random/uuid)
  write_conf "$fsid"

  log "monitor on 127.0.0.1:$MON_PORT"
  ceph-authtool --create-keyring "$RUN_DIR/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  ceph-authtool "$RUN_DIR/keyring" --gen-key -n client.admin --cap mon 'allow *' \
    --cap osd 'allow *' --cap mgr 'allow *' >/dev/null
  monmaptool --create --addv a "[v1:127.0.0.1:$MON_PORT]" --fsid "$fsid" "$RUN_DIR/monmap" >/dev/null
  ceph-mon -c "$CONF" --mkfs -i a --monmap "$RUN_DIR/monmap" --keyring "$RUN_DIR/keyring" \
    >"$RUN_DIR/log/mkfs.mon.stdout" 2>&1 || die "ceph-mon --mkfs failed: $(tail -3 "$RUN_DIR/log/mkfs.mon.stdout")"
  spawn mon.a ceph-mon -c "$CONF" -i a -f
  wait_for "the monitor to form a quorum" ceph_cli mon stat

  log "memstore OSD ($MEMSTORE_MIB MiB)"
  osd_uuid=$(cat /proc/sys/kernel/random/uuid)
  osd_id=$(ceph_cli osd new "$osd_uuid") || die "ceph osd new failed"
  [[ $osd_id == 0 ]] || die "expected osd id 0, got '$osd_id'"
  ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$osd_uuid" >"$RUN_DIR/log/mkfs.osd.stdout" 2>&1 ||
    die "ceph-osd --mkfs failed: $(tail -3 "$RUN_DIR/log/mkfs.osd.stdout")"
  ceph_cli osd crush add osd.0 1.0 host=localhost root=default >/dev/null 2>&1
  spawn osd.0 ceph-osd -c "$CONF" -i 0 -f
  wait_for "osd.0 to come up" osd_is_up

  log "radosgw on 127.0.0.1:$RGW_PORT"
  spawn client.rgw.peer radosgw -c "$CONF" -n client.rgw.peer -f
  wait_for "radosgw to answer S3" s3_answers

  timeout 60 radosgw-admin -c "$CONF" user create --uid="$S3_USER" --display-name="kvgate benchmark" \
    --access-key="$ACCESS_KEY" --secret-key="$SECRET_KEY" >"$RUN_DIR/log/user-create.stdout" 2>&1 ||
    die "radosgw-admin user create failed: $(tail -3 "$RUN_DIR/log/user-create.stdout")"
  trap - EXIT
  log "started in $((SECONDS - t0)) s (allocator $ALLOCATOR); pids in $PIDS_FILE"
  echo "radosgw ready on http://127.0.0.1:$RGW_PORT access=$ACCESS_KEY secret=$SECRET_KEY"
}

# Nothing is kept, so no daemon needs a clean shutdown: all are signalled at
# once. radosgw gets 2 s after SIGTERM (its own shutdown takes 6-10 s, joining
# background threads), the OSD SIGKILL at once (a clean memstore shutdown
# writes the whole store into the run directory, i.e. into RAM again when that
# is /dev/shm), the monitor 15 s after SIGTERM (it needs ~2 s).
stop_signal() { case $1 in osd.*) echo KILL ;; *) echo TERM ;; esac; }
stop_grace() { case $1 in client.rgw.*) echo 2 ;; *) echo 15 ;; esac; }

# running PID: the process exists and has not exited. The daemons outlive the
# start command, so their parent is init, which may reap an exited one only
# seconds later; a zombie counts as stopped.
running() {
  [[ -r /proc/$1/stat ]] || return 1
  [[ $(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) =~ ^[^ZX]$ ]]
}

# wait_gone PID NAME GRACE: wait up to GRACE seconds for PID to exit, then SIGKILL it.
wait_gone() {
  local pid=$1 name=$2 grace=$3
  for _ in $(seq $((grace * 10))); do running "$pid" || return 0; sleep 0.1; done
  ((grace < 10)) || log "$name (pid $pid) still running ${grace} s after SIGTERM; SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  for _ in $(seq 50); do running "$pid" || return 0; sleep 0.1; done
  log "$name (pid $pid) survived SIGKILL for 5 s"
}

stop() {
  local t0 pid name
  t0=$(date +%s%N)
  if [[ -f $PIDS_FILE ]]; then
    while read -r pid name; do
      kill "-$(stop_signal "$name")" "$pid" 2>/dev/null || true
    done <"$PIDS_FILE"
    while read -r pid name; do
      wait_gone "$pid" "$name" "$(stop_grace "$name")"
    done <"$PIDS_FILE"
  fi
  rm -rf "$RUN_DIR"
  rmdir "$(dirname "$RUN_DIR")" 2>/dev/null || true  # the shared parent, when this was its last peer
  log "stopped in $((($(date +%s%N) - t0) / 1000000)) ms"
}

status() {
  [[ -f $PIDS_FILE ]] || { echo "radosgw peer: not started ($RUN_DIR has no pids)"; return 1; }
  local pid name up=0
  while read -r pid name; do
    if running "$pid"; then
      echo "$name pid $pid running, RSS $(awk '/^VmRSS:/ {print $2, $3}' /proc/"$pid"/status)"
    else
      echo "$name pid $pid NOT running"
    fi
  done <"$PIDS_FILE"
  s3_answers && up=1
  if ((up)); then
    echo "radosgw answers on http://127.0.0.1:$RGW_PORT access=$ACCESS_KEY secret=$SECRET_KEY"
    return 0
  fi
  echo "radosgw does not answer on http://127.0.0.1:$RGW_PORT"
  return 1
}

gc() {
  [[ -f $PIDS_FILE ]] || die "not started"
  timeout 120 radosgw-admin -c "$CONF" gc process --include-all >/dev/null 2>"$RUN_DIR/log/gc.stderr" ||
    die "radosgw-admin gc process failed: $(tail -3 "$RUN_DIR/log/gc.stderr")"
}

case ${1:-} in
  start) shift; start "$@" ;;
  stop) stop ;;
  status) status ;;
  gc) gc ;;
  *) echo "usage: $0 start [--no-install] | stop | status | gc" >&2; exit 2 ;;
esac
