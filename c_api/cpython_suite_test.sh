#!/usr/bin/env bash
# CPython's own test suite (Debian's libpython3.11-testsuite) under
# LD_PRELOAD of each drop-in library: modules that run many threads at once,
# thread exit, fork with threads, and signals. Each must pass as it does on
# glibc's malloc.
#   cpython_suite_test.sh LIB.so...
# Both libraries run at the same time; each module has a timeout, so a hang
# fails (with every thread's stack) instead of running on.
set -u
python=/usr/bin/python3
modules=(test_threading test_queue test_io test_functools test_thread
  test_concurrent_futures)
if ! "$python" -c 'import test.libregrtest' 2>/dev/null; then
  echo "FAIL: CPython's test suite is missing (tools/setup installs libpython3.11-testsuite)"
  exit 1
fi
work="${TEST_TMPDIR:-$(mktemp -d)}"
# Runs the suite with SIGINT at its default action: a job started in the
# background inherits it ignored, and the tests of KeyboardInterrupt would
# fail on any malloc.
suite() {
  "$python" -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execv(sys.argv[1], sys.argv[1:])' "$python" -m test -j3 --timeout 900 "${modules[@]}"
}
libs=()
for lib in "$@"; do libs+=("$(cd "$(dirname "$lib")" && pwd)/$(basename "$lib")"); done

# The suite writes scratch files to the current directory.
pids=()
for i in "${!libs[@]}"; do
  dir="$work/run$i"
  mkdir -p "$dir"
  (cd "$dir" && LD_PRELOAD="${libs[$i]}" suite >"$dir/log" 2>&1) &
  pids+=($!)
done
failures=0
for i in "${!libs[@]}"; do
  wait "${pids[$i]}"
  rc=$?
  log="$work/run$i/log"
  echo "=== $(basename "${libs[$i]}"): exit $rc"
  grep -E '^[0-9:]+ load avg: .*\] test_|Tests result|tests? OK|failed' "$log"
  if [ "$rc" -ne 0 ] || ! grep -q '^Tests result: SUCCESS' "$log"; then
    failures=$((failures + 1))
    echo "--- log of the failed run"
    tail -n 200 "$log"
  fi
done
if [ "$failures" -ne 0 ]; then
  # Tell a slabkit failure from one of this machine: the same run on glibc.
  echo "=== the same modules on glibc's malloc"
  (cd "$work" && suite 2>&1 | tail -n 5)
  echo "FAIL: $failures of ${#libs[@]} libraries"
  exit 1
fi
echo "PASS: ${modules[*]} under ${#libs[@]} libraries"
