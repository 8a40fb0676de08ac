# The container engine for tests/container/run.sh (sourced): rootful podman
# with its own configuration and storage under the cache directory, so the run
# neither reads nor changes /etc/containers or /var/lib/containers, and
# (when a `docker` CLI is on PATH) podman's Docker-compatible API on a private
# socket so the literal `docker build` / `docker run` commands work.
# Settings and why (see docs/operations.md, "Container"):
#   runtime = runc         crun refuses hybrid cgroup v1/v2 hosts
#   cgroup_manager = cgroupfs, events_logger = file   no systemd/journald needed
#   default_ulimits        podman asks for nofile/nproc 1048576, which fails
#                          without CAP_SYS_RESOURCE; pin them to what the host grants
# shellcheck shell=bash disable=SC2034 # engine, engine_kind, engine_name are read by run.sh

engine_service_pid=""
engine_socket=""
engine=()      # the command that sends requests; set by start_engine
engine_kind="" # docker or podman
engine_name="" # for the report

write_engine_config() {
  local conf_dir=$1 graphroot=$2 runroot=$3
  local nofile nproc pid_max
  nofile=$(ulimit -Hn)
  [[ $nofile == unlimited ]] && nofile=1048576
  nproc=$(ulimit -Hu)
  [[ $nproc == unlimited ]] && nproc=1048576
  # podman's own children end up with nproc <= pid_max on such hosts.
  pid_max=$(cat /proc/sys/kernel/pid_max)
  ((nproc > pid_max)) && nproc=$pid_max
  mkdir -p "$conf_dir"
  cat >"$conf_dir/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
  cat >"$conf_dir/storage.conf" <<CONF
[storage]
driver = "overlay"
graphroot = "$graphroot"
runroot = "$runroot"
CONF
  export CONTAINERS_CONF=$conf_dir/containers.conf
  export CONTAINERS_STORAGE_CONF=$conf_dir/storage.conf
}

# Checks that podman can run here at all; skips the run with podman's own
# words when it cannot (no overlay, no runc, no namespaces).
probe_engine() {
  local log=$1 runtime
  runtime=$(podman info --format '{{.Host.OCIRuntime.Name}} {{.Store.GraphDriverName}}' 2>"$log") ||
    skip_run "podman cannot start here: $(tail -n 1 "$log")"
  [[ $runtime == "runc overlay" ]] || skip_run "podman runs '$runtime', not runc with overlay storage"
}

# start_engine SOCKET LOG TMPDIR: chooses the front-end. KVGATE_CONTAINER_CLI=podman
# forces podman; otherwise the docker CLI when it is on PATH. Builds use TMPDIR
# for their cache mounts (buildah keeps them in $TMPDIR/buildah-cache-0).
start_engine() {
  local socket=$1 log=$2 tmp=$3
  local cli=${KVGATE_CONTAINER_CLI:-auto}
  if [[ $cli == auto ]]; then
    cli=podman
    command -v docker >/dev/null && cli=docker
  fi
  mkdir -p "$tmp"
  if [[ $cli == docker ]]; then
    command -v docker >/dev/null || usage_error "KVGATE_CONTAINER_CLI=docker but no docker on PATH"
    start_docker_api "$socket" "$log" "$tmp" && return 0
    note "podman's Docker API did not come up ($(tail -n 1 "$log")): using podman itself"
  fi
  engine_kind=podman
  engine=(env "TMPDIR=$tmp" podman)
  engine_name="podman $(podman version --format '{{.Client.Version}}')"
}

start_docker_api() {
  local socket=$1 log=$2 tmp=$3
  rm -f "$socket"
  engine_socket=$socket
  TMPDIR=$tmp podman system service --time=0 "unix://$socket" >"$log" 2>&1 &
  engine_service_pid=$!
  local _
  for _ in $(seq 100); do
    curl -fsS --unix-socket "$socket" http://podman/_ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  if ! curl -fsS --unix-socket "$socket" http://podman/_ping >/dev/null 2>&1; then
    stop_engine
    return 1
  fi
  # The classic builder: podman has no BuildKit (DOCKER_BUILDKIT=1 or a buildx
  # plugin would break the build).
  export DOCKER_HOST=unix://$socket DOCKER_BUILDKIT=0
  engine_kind=docker
  engine=(docker)
  engine_name="docker CLI -> podman $(podman version --format '{{.Client.Version}}') API"
}

stop_engine() {
  if [[ -n $engine_service_pid ]] && kill -0 "$engine_service_pid" 2>/dev/null; then
    kill "$engine_service_pid"
    wait "$engine_service_pid" 2>/dev/null || true
  fi
  engine_service_pid=""
  if [[ -n $engine_socket ]]; then rm -f "$engine_socket"; fi
  engine_socket=""
}
