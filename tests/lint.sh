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

# Catch2 test names as CTest runs them (catch_discover_tests): a ';' splits a
# name into two CTest tests whose specs match nothing, so the case never runs
# and still "passes"; a leading '-' is read as a command-line option.
if git grep -nE 'TEST_CASE\("([^"]*;|-)' -- 'tests/unit/*.cc'; then
  echo "lint: a TEST_CASE name above holds ';' or starts with '-' (CTest would not run it)" >&2
  exit 1
fi

# Shell scripts, checked with shellcheck: the RDMA VM harness (bash and busybox sh),
# the container scripts, the benchmarks and the test scripts; skipped on a
# machine without shellcheck.
if command -v shellcheck >/dev/null; then
  mapfile -t scripts < <(git ls-files 'tests/rdma_vm/*.sh')
  if ((${#scripts[@]} > 0)); then
    (cd tests/rdma_vm && shellcheck -x "${scripts[@]#tests/rdma_vm/}")
  fi
  # The container image's scripts and its test harness (run.sh sources host/*.sh
  # relative to its own directory, so shellcheck runs there too).
  mapfile -t scripts < <(git ls-files 'tests/container/*.sh')
  if ((${#scripts[@]} > 0)); then
    (cd tests/container && shellcheck -x "${scripts[@]#tests/container/}")
  fi
  # The benchmarks, the test command's own scripts, the valgrind check and the
  # README's run command (from the repository root: perf/*.sh source perf/lib.sh).
  mapfile -t scripts < <(git ls-files ':(glob)perf/*.sh' ':(glob)tests/*.sh' \
    ':(glob)tests/valgrind/*.sh' 'gateway/run-dev.sh')
  if ((${#scripts[@]} > 0)); then
    shellcheck -x "${scripts[@]}"
  fi
  mapfile -t scripts < <(git ls-files 'docker/*' | while read -r f; do
    head -n1 "$f" | grep -qE '^#!.*\b(ba)?sh\b' && echo "$f"
  done)
  if ((${#scripts[@]} > 0)); then
    shellcheck -x "${scripts[@]}"
  fi
fi

if [[ ${1:-} == --tidy ]]; then
  build=${2:-build-asan}
  mapfile -t sources < <(git ls-files 'erasure/src/*.cc' 'gateway/*.cc')
  printf '%s\n' "${sources[@]}" | xargs -P "$(nproc)" -n 4 clang-tidy -p "$build" --quiet
fi
