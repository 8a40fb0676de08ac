#!/usr/bin/env bash
# Installs what kvgate needs on Debian 12, idempotently: apt-get runs only when a
# package is missing. Usage: tests/install-deps.sh [build|test]  (default build)
#   build: compilers and libraries to build the kvgate binary
#   test:  build + everything the test suites drive (sanitizer runtimes, clang for
#          libFuzzer, S3 clients, TLS tools)
set -euo pipefail

build_packages=(
  g++ cmake ninja-build pkg-config ccache git
  libboost1.81-dev libboost-system1.81-dev libssl-dev libisal-dev libxxhash-dev librocksdb-dev
  libtomlplusplus-dev libpugixml-dev nlohmann-json3-dev libcli11-dev
  libspdlog-dev libfmt-dev libbenchmark-dev catch2
  libibverbs-dev librdmacm-dev
)
test_packages=(
  clang-14 libclang-rt-14-dev clang-format clang-tidy
  python3 openssl curl procps valgrind
  # Clock jumps under a running server (test_clock_jumps.py): LD_PRELOAD
  # libfaketime with a timestamp file the test rewrites.
  libfaketime
  python3-boto3 python3-awscrt awscli s3cmd rclone
  # XXH3-128 ETags checked against an independent implementation.
  python3-xxhash
  shellcheck
  # Scale-out tests: kvgate nodes behind both proxies (docker/proxy/).
  nginx haproxy
  # The kvgate Python module (sdk/python) and its tests: pybind11 and the
  # headers to build it, numpy and torch buffers to drive it. python3-torch
  # is large: about 250 MB installed with libtorch1.13 and libtorch-test.
  pybind11-dev python3-pybind11 python3-dev python3-numpy python3-torch
)

mode=${1:-build}
packages=("${build_packages[@]}")
if [[ $mode == test ]]; then
  packages+=("${test_packages[@]}")
elif [[ $mode != build ]]; then
  echo "usage: $0 [build|test]" >&2
  exit 2
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if ((${#missing[@]} == 0)); then
  exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "kvgate: missing packages: ${missing[*]} (run as root to install them)" >&2
  exit 1
fi
echo "kvgate: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
