# The debian:bookworm base image for tests/container/run.sh (sourced). With no
# registry reachable, `FROM debian:bookworm` must resolve locally: the image is
# made once with `debootstrap --variant=minbase` from the host's own apt mirror,
# cleaned to look like the official one (apt sources with updates and
# security, no .debs, no lists, no host resolv.conf) and imported under the
# Docker Hub name. It stays in the cache's storage for later runs.
# shellcheck shell=bash

readonly base_image=docker.io/library/debian:bookworm

# The host's first Debian URI of the given kind ("main" or "security").
host_apt_uri() {
  local kind=$1 files=() f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] && files+=("$f")
  done
  ((${#files[@]} == 0)) && return 0
  {
    grep -hE '^[[:space:]]*deb[[:space:]]' "${files[@]}" | sed -E 's/\[[^]]*\]//' | awk '{print $2}'
    grep -hE '^[[:space:]]*URIs:' "${files[@]}" | awk '{for (i = 2; i <= NF; i++) print $i}'
  } 2>/dev/null | grep -E '^https?://.*/debian(-security)?/?$' |
    if [[ $kind == security ]]; then grep -E 'security/?$'; else grep -vE 'security/?$'; fi |
    head -n 1
}

# ensure_base_image WORKDIR: imports the base image unless it is there.
ensure_base_image() {
  local work=$1
  if podman image exists "$base_image"; then
    note "base image $base_image: cached"
    return 0
  fi
  local mirror security rootfs=$work/rootfs
  mirror=$(host_apt_uri main)
  security=$(host_apt_uri security)
  mirror=${mirror:-http://deb.debian.org/debian}
  security=${security:-http://deb.debian.org/debian-security}
  note "base image: debootstrap --variant=minbase bookworm from $mirror"
  rm -rf "$rootfs"
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    skip_run "debootstrap failed (no Debian mirror?): $(tail -n 1 "$work/debootstrap.log")"
  rm -f "$rootfs/etc/apt/sources.list" "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/cache/apt/*.bin
  rm -rf "$rootfs"/var/lib/apt/lists/*
  mkdir -p "$rootfs/etc/apt/sources.list.d"
  cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<SOURCES
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
  : >"$rootfs/etc/resolv.conf"
  echo localhost >"$rootfs/etc/hostname"
  tar --numeric-owner -C "$rootfs" -c . |
    podman import -q --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'CMD ["bash"]' - "$base_image" >/dev/null ||
    fail_run "podman import of the base image failed"
  rm -rf "$rootfs"
}
