#!/usr/bin/env bash
# Lint: clang-format over every tracked C++ file (always), and clang-tidy
# (.clang-tidy) over the project's sources with --tidy (needs a configured
# build tree with compile_commands.json; default build-asan). clang-tidy is not
# part of the README's test command on 2-core CI machines: it takes longer than
# the rest of the suite; run it before sending a change that touches many files.
set -euo pipefail
cd "$(dirname "$0")/.."

mapfile -t files < <(git ls-files '*.cc' '*.h')
if ((${#files[@]} > 0)); then
  clang-format --dry-run -Werror "${files[@]}"
fi

# The RDMA VM harness (bash and busybox sh); optional where shellcheck is missing.
if command -v shellcheck >/dev/null; then
  mapfile -t scripts < <(git ls-files 'tests/rdma_vm/*.sh')
  if ((${#scripts[@]} > 0)); then
    (cd tests/rdma_vm && shellcheck -x "${scripts[@]#tests/rdma_vm/}")
  fi
fi

if [[ ${1:-} == --tidy ]]; then
  build=${2:-build-asan}
  mapfile -t sources < <(git ls-files 'erasure/src/*.cc' 'gateway/*.cc')
  printf '%s\n' "${sources[@]}" | xargs -P "$(nproc)" -n 4 clang-tidy -p "$build" --quiet
fi
