# The kvgate image and containers of tests/container/run.sh (sourced). Uses
# the globals run.sh sets: engine (the docker or podman command), repo_dir,
# log_dir, cache_dir, run_id, image_tag, volumes, endpoint, access_key,
# secret_key, build_timeout, container_dir.
# shellcheck shell=bash disable=SC2154 # the globals are set by run.sh

# Options of every gateway container: user-mode networking (slirp4netns), so
# publishing 127.0.0.1:PORT creates no bridge, iptables rules or
# ip_forward change on the host.
readonly gateway_network=slirp4netns

# The literal `docker build -f docker/Dockerfile .` (or the same podman
# build), from the repository root, with the build's RUN steps on the host
# network (no bridge needed). TMPDIR puts buildah's cache mounts (ccache)
# in the cache directory.
build_image() {
  local log=$1 revision
  revision=$(git -C "$repo_dir" rev-parse --short HEAD 2>/dev/null || echo unknown)
  local args=(build -f docker/Dockerfile -t "$image_tag" --network host
    --build-arg "KVGATE_REVISION=$revision")
  # podman's own CLI writes OCI images by default, which drop HEALTHCHECK.
  [[ $engine_kind == podman ]] && args+=(--pull=never --format docker)
  note "${engine[*]} ${args[*]} . (log: $log)"
  if ! (cd "$repo_dir" && timeout "$build_timeout" "${engine[@]}" "${args[@]}" .) >"$log" 2>&1; then
    tail -n 40 "$log"
    fail_run "image build failed or exceeded ${build_timeout}s (log: $log)"
  fi
}

image_size_mb() {
  local bytes
  bytes=$("${engine[@]}" image inspect -f '{{.Size}}' "$image_tag")
  echo $(((bytes + 524288) / 1048576))
}

# The image's own metadata: OCI labels, the non-root USER, the exposed port,
# the six volumes, and the HEALTHCHECK. podman 4.3's Docker API leaves
# Config.Healthcheck out of image inspect (containers show it), so the health
# check is read with podman itself; the build (docker CLI or podman) must have
# written a Docker-format image for it to be there at all.
check_image_metadata() {
  local meta healthcheck
  meta=$("${engine[@]}" image inspect -f \
    '{{index .Config.Labels "org.opencontainers.image.title"}}|{{.Config.User}}|{{json .Config.ExposedPorts}}|{{len .Config.Volumes}}' \
    "$image_tag")
  healthcheck=$(podman image inspect -f '{{json .HealthCheck}}' "$image_tag")
  note "image metadata: $meta, HEALTHCHECK $healthcheck"
  [[ $meta == 'kvgate|kvgate:kvgate|{"9000/tcp":{}}|6' ]] ||
    fail_run "image metadata is not title kvgate, user kvgate, port 9000, 6 volumes: $meta"
  [[ $healthcheck == *'"/usr/local/bin/kvgate-healthcheck"'* ]] ||
    fail_run "image has no HEALTHCHECK running kvgate-healthcheck: $healthcheck"
}

free_loopback_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

create_volumes() {
  local v
  for v in "${volumes[@]}"; do
    "${engine[@]}" volume create "$v" >/dev/null || fail_run "cannot create volume $v"
  done
}

volume_options() {
  local n
  for n in 1 2 3 4 5 6; do
    printf '%s\n' -v "${volumes[n - 1]}:/data/disk$n"
  done
}

# Without credentials the image must refuse to start: it listens on
# 0.0.0.0, and generated development credentials are for loopback only. The
# exit status is read from the container: podman's Docker API reports 0 to
# `docker run --rm` whatever the container returned.
check_refuses_without_credentials() {
  local name=$run_id-nocreds out code opts
  mapfile -t opts < <(volume_options)
  out=$(timeout 60 "${engine[@]}" run --name "$name" --network none "${opts[@]}" "$image_tag" 2>&1) || true
  code=$("${engine[@]}" inspect -f '{{.State.ExitCode}}' "$name" 2>&1) || code="unknown ($code)"
  "${engine[@]}" rm -f "$name" >/dev/null 2>&1 || true
  if [[ $code == 0 || $out != *"refusing to listen on non-loopback address"* ]]; then
    fail_run "without credentials the container did not refuse to start (exit $code): $out"
  fi
  note "without credentials: exit $code, \"${out##*kvgate serve: }\""
}

# start_gateway PORT: a new container on the volumes, 127.0.0.1:PORT -> 9000.
start_gateway() {
  local port=$1 env_file=$log_dir/credentials.env opts
  (
    umask 077
    printf 'KVGATE_ACCESS_KEY=%s\nKVGATE_SECRET_KEY=%s\n' "$access_key" "$secret_key" >"$env_file"
  )
  mapfile -t opts < <(volume_options)
  "${engine[@]}" run -d --name "$run_id" --network "$gateway_network" -p "127.0.0.1:$port:9000" \
    --env-file "$env_file" "${opts[@]}" "$image_tag" >/dev/null ||
    fail_run "docker run of $image_tag failed"
  wait_until_ready
}

container_state() {
  "${engine[@]}" inspect -f '{{.State.Status}}' "$run_id" 2>/dev/null || echo gone
}

fail_with_container_logs() {
  "${engine[@]}" logs "$run_id" 2>&1 | tail -n 30
  fail_run "$*"
}

# Polls /health/ready through the published port until it answers 200; the
# container must still be running (so no other process's answer counts).
wait_until_ready() {
  local deadline=$((SECONDS + 60)) code=""
  while ((SECONDS < deadline)); do
    [[ $(container_state) == running ]] ||
      fail_with_container_logs "container $run_id is $(container_state), not running"
    code=$(curl -s -o "$log_dir/ready.json" -w '%{http_code}' --max-time 5 "$endpoint/health/ready" || true)
    if [[ $code == 200 ]]; then
      [[ $(container_state) == running ]] || fail_with_container_logs "container stopped after answering"
      note "ready on $endpoint: $(cat "$log_dir/ready.json")"
      return 0
    fi
    sleep 0.3
  done
  fail_with_container_logs "no 200 from $endpoint/health/ready in 60 s (last: ${code:-none})"
}

# run_s3_checks write|verify: the boto3 checks against the published port.
run_s3_checks() {
  AWS_ACCESS_KEY_ID=$access_key AWS_SECRET_ACCESS_KEY=$secret_key AWS_EC2_METADATA_DISABLED=true \
    AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
    python3 "$container_dir/s3_client_checks.py" "$1" "$endpoint" ||
    fail_with_container_logs "S3 checks ($1) failed"
}

# Every one of the six disks holds data on its own volume.
check_volumes_hold_data() {
  local v mount files summary=()
  for v in "${volumes[@]}"; do
    mount=$("${engine[@]}" volume inspect -f '{{.Mountpoint}}' "$v")
    files=$(find "$mount" -type f | wc -l)
    ((files > 0)) || fail_run "volume $v ($mount) holds no files after the writes"
    summary+=("${v##*-}:$files")
  done
  note "files per volume: ${summary[*]}"
}

# The image's HEALTHCHECK, run by the engine. podman schedules health checks
# with systemd timers; without systemd nothing runs them periodically, so
# the test asks podman to run the check once and then reads the status the
# Docker API reports.
check_healthcheck() {
  local out status=""
  out=$(podman healthcheck run "$run_id" 2>&1) || fail_with_container_logs "HEALTHCHECK failed: $out"
  status=$("${engine[@]}" inspect -f '{{.State.Health.Status}}' "$run_id")
  [[ $status == healthy ]] || fail_with_container_logs "health status is '$status', not healthy"
  note "HEALTHCHECK: $status"
}

# The server process (PID 1 of the container), seen from the host, runs as
# kvgate (uid/gid 10001), not root.
check_runs_as_non_root() {
  local pid uid gid
  pid=$("${engine[@]}" inspect -f '{{.State.Pid}}' "$run_id")
  uid=$(awk '/^Uid:/ {print $2 "/" $3 "/" $4 "/" $5}' "/proc/$pid/status")
  gid=$(awk '/^Gid:/ {print $2 "/" $3 "/" $4 "/" $5}' "/proc/$pid/status")
  [[ $uid == 10001/10001/10001/10001 && $gid == 10001/10001/10001/10001 ]] ||
    fail_run "server process $pid runs as uid $uid gid $gid, not 10001"
  note "server process (host pid $pid): uid $uid gid $gid, $(tr '\0' ' ' <"/proc/$pid/cmdline")"
}

# docker stop sends SIGTERM to kvgate (PID 1): it must drain and exit 0
# well before the stop timeout.
stop_gateway() {
  local start=$SECONDS code
  "${engine[@]}" stop -t 40 "$run_id" >/dev/null || fail_run "docker stop failed"
  code=$("${engine[@]}" inspect -f '{{.State.ExitCode}}' "$run_id")
  ((code == 0)) || fail_with_container_logs "kvgate exited $code on SIGTERM, not 0"
  note "stopped in $((SECONDS - start)) s, exit status $code"
}

restart_gateway() {
  stop_gateway
  "${engine[@]}" start "$run_id" >/dev/null || fail_run "docker start failed"
  wait_until_ready
}

# A new container from the image on the same volumes: the data lives on the
# volumes, not in the old container's writable layer.
replace_gateway() {
  stop_gateway
  "${engine[@]}" rm "$run_id" >/dev/null || fail_run "docker rm failed"
  start_gateway "$1"
}

# Untagged images (earlier runs' layers) older than a week, in the test's own
# storage: the cache stays bounded when the tree changes between runs.
prune_old_build_cache() {
  podman image prune -f --filter until=168h >/dev/null 2>&1 || true
}

remove_test_objects() {
  "${engine[@]}" rm -f "$run_id" "$run_id-nocreds"
  "${engine[@]}" volume rm -f "${volumes[@]}"
  # Only the tag goes: the image and its parent layers stay in the cache
  # directory as build cache (podman's Docker API ignores rmi --no-prune and
  # would delete the runtime stage's apt layer too). prune_old_build_cache
  # bounds what accumulates.
  podman untag "$image_tag"
}
