#!/usr/bin/env bash
# tests/container/run.sh: builds kvgate's container image with the literal
# `docker build -f docker/Dockerfile .` and runs it for real: six named data
# volumes, a port published on 127.0.0.1 only, credentials from the
# environment. It waits for /health/ready, drives the gateway with boto3 (PUT,
# GET, a 32 MiB multipart upload, ranged GETs, all byte-exact), restarts the
# container and then replaces it with a new one on the same volumes (the data
# must survive both), runs the image's HEALTHCHECK, checks that the server
# runs as a non-root user and that the image refuses to start without
# credentials. At exit it removes only what it created: its container, its
# volumes and its image tag.
#
# On a host without a Docker engine (Debian 12, no registry) the engine is
# rootful podman with runc, cgroupfs and ulimits the host grants; when a
# `docker` CLI is on PATH it talks to podman's Docker-compatible API on a
# private socket. The debian:bookworm base image is made once with
# debootstrap and kept, with the build cache, in the cache directory.
#
# Usage: run.sh [--log-dir DIR] [--build-timeout SECS] [--keep]
#   --log-dir DIR        build and container logs (default: a new temporary directory)
#   --build-timeout SECS limit of the image build (default 1500)
#   --keep               leave the container, volumes and image for inspection
# Environment:
#   KVGATE_CONTAINER=0          skip (exit 77)
#   KVGATE_CONTAINER_CACHE      podman configuration, storage (base image, layer
#                               cache); default /var/cache/kvgate-container.
#                               Remove the directory to start cold.
#   KVGATE_CONTAINER_CLI        auto (docker CLI if on PATH, else podman) | docker | podman
#   KVGATE_CONTAINER_NO_APT=1   never call apt-get (skip when something is missing)
# Exit status: 0 passed, 1 failed, 2 usage error, 77 the machine cannot run
# containers (printed as "SKIPPED: <reason>").
set -euo pipefail

container_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(cd "$container_dir/../.." && pwd)
# shellcheck source=host/report.sh
source "$container_dir/host/report.sh"
# shellcheck source=host/packages.sh
source "$container_dir/host/packages.sh"
# shellcheck source=host/engine.sh
source "$container_dir/host/engine.sh"
# shellcheck source=host/base_image.sh
source "$container_dir/host/base_image.sh"
# shellcheck source=host/gateway_container.sh
source "$container_dir/host/gateway_container.sh"

log_dir=""
build_timeout=1500
keep=0
while (($# > 0)); do
  case $1 in
    --log-dir)
      (($# >= 2)) || usage_error "--log-dir needs a value"
      log_dir=$2
      shift 2
      ;;
    --build-timeout)
      [[ ${2:-} =~ ^[0-9]+$ ]] || usage_error "--build-timeout needs seconds"
      build_timeout=$2
      shift 2
      ;;
    --keep)
      keep=1
      shift
      ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
      exit 0
      ;;
    *) usage_error "unknown argument $1" ;;
  esac
done

[[ ${KVGATE_CONTAINER:-1} == 0 ]] && skip_run "KVGATE_CONTAINER=0"
[[ $(uname -s) == Linux ]] || skip_run "containers need Linux (host is $(uname -s))"
[[ $(id -u) -eq 0 ]] || skip_run "needs root (rootful podman; rootless is not set up here)"

if [[ -z $log_dir ]]; then
  log_dir=$(mktemp -d "${TMPDIR:-/tmp}/kvgate-container.XXXXXX")
fi
mkdir -p "$log_dir"
log_dir=$(cd "$log_dir" && pwd)
cache_dir=${KVGATE_CONTAINER_CACHE:-/var/cache/kvgate-container}
mkdir -p "$cache_dir"

# Names of everything this run creates (unique per run).
run_id=kvgate-ctest-$$
image_tag=localhost/$run_id:latest
volumes=()
for n in 1 2 3 4 5 6; do volumes+=("$run_id-disk$n"); done

cleanup() {
  local rc=$?
  set +e
  if ((${#engine[@]} > 0)); then
    if ((keep == 1)); then
      note "--keep: left container $run_id, volumes ${volumes[*]}, image $image_tag"
    else
      remove_test_objects >"$log_dir/cleanup.log" 2>&1
    fi
  fi
  stop_engine
  print_step_times
  note "logs in $log_dir; exit status $rc"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

timed_step "host packages" ensure_host_packages
write_engine_config "$cache_dir" "$cache_dir/storage" /run/kvgate-container
probe_engine "$log_dir/podman-info.log"
timed_step "base image" ensure_base_image "$cache_dir"
prune_old_build_cache
mkdir -p /run/kvgate-container
start_engine "/run/kvgate-container/$run_id.sock" "$log_dir/podman-service.log" "$cache_dir/tmp"
note "engine: $engine_name"

timed_step "image build" build_image "$log_dir/build.log"
note "image $image_tag: $(image_size_mb) MB"
check_image_metadata

timed_step "volumes" create_volumes
timed_step "refuses dev credentials" check_refuses_without_credentials

port=$(free_loopback_port)
access_key=ctest-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
secret_key=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
endpoint=http://127.0.0.1:$port
timed_step "first start" start_gateway "$port"
timed_step "S3 write+read" run_s3_checks write
check_volumes_hold_data
timed_step "HEALTHCHECK" check_healthcheck
check_runs_as_non_root
timed_step "restart" restart_gateway
timed_step "S3 after restart" run_s3_checks verify
timed_step "new container" replace_gateway "$port"
timed_step "S3 on same volumes" run_s3_checks verify
echo "PASS: kvgate container ($engine_name)"
