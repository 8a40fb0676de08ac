#!/usr/bin/env bash
# The README's run command: installs what is missing, builds kvgate (Release,
# into build/) and runs `kvgate serve` on the embedded default: data under
# ./kvgate-data (6 directories as disks, 4+2), 127.0.0.1:9000, dev credentials
# printed at start. Extra arguments go to `kvgate serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
tests/install-deps.sh build
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DKVGATE_BUILD_TESTS=OFF \
  -DKVGATE_BUILD_PERF=OFF >/dev/null
cmake --build build --target kvgate -j "$(nproc)"
exec build/kvgate serve "$@"
