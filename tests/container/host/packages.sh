# Host packages the container test needs, installed idempotently (sourced by
# run.sh). apt-get runs only when something is missing; a machine that cannot
# install them (not root, no mirror) skips the run rather than failing it.
#   podman + runc: the engine. runc, not crun: crun 1.8 refuses hybrid cgroup
#     hosts ("cgroups in hybrid mode not supported"); installing runc
#     explicitly keeps apt from picking crun for podman's "crun | runc".
#   debootstrap: makes the debian:bookworm base image (no registry needed).
#   slirp4netns: user-mode networking for the published port, so the run
#     creates no bridge, iptables chains or ip_forward change on the host.
#   python3-boto3: the S3 client that drives the container.
# The docker CLI is not a Debian package (bookworm's docker.io would bring a
# whole engine); when a `docker` binary is on PATH the test sends the literal
# docker commands to podman's Docker-compatible API, otherwise it uses podman.
# shellcheck shell=bash

container_packages=(podman runc debootstrap slirp4netns python3-boto3 curl)

missing_packages() {
  local p
  for p in "${container_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
  done
}

ensure_host_packages() {
  command -v dpkg-query >/dev/null || skip_run "not a Debian host (no dpkg-query)"
  local missing
  mapfile -t missing < <(missing_packages)
  ((${#missing[@]} == 0)) && return 0
  if [[ ${KVGATE_CONTAINER_NO_APT:-0} == 1 ]]; then
    skip_run "missing packages ${missing[*]} and KVGATE_CONTAINER_NO_APT=1"
  fi
  [[ $(id -u) -eq 0 ]] || skip_run "missing packages ${missing[*]} and not root (cannot apt-get install)"
  note "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  local apt=(apt-get -o DPkg::Lock::Timeout=600)
  if ! "${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
    "${apt[@]}" update -qq >/dev/null 2>&1 || true
    "${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
      skip_run "apt-get could not install ${missing[*]}"
  fi
}
