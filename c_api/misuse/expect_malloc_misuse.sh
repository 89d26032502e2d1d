#!/usr/bin/env bash
# expect_malloc_misuse.sh LIB PROGRAM STATUS WORDS [ENV...]: under
# LD_PRELOAD=LIB (and the ENV assignments), PROGRAM used correctly exits 0,
# and PROGRAM committing its misuse exits with STATUS (134: SIGABRT) after a
# diagnostic "slabkit: WORDS: address 0x...".
set -u
lib=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
prog=$2
status=$3
words=$4
shift 4

if ! env "$@" LD_PRELOAD="$lib" "$prog" correct; then
  echo "FAIL: $prog correct exited $? under $lib (expected 0)"
  exit 1
fi
out=$(env "$@" LD_PRELOAD="$lib" "$prog" misuse 2>&1)
rc=$?
if [ "$rc" -ne "$status" ]; then
  echo "FAIL: $prog misuse exited $rc under $lib (expected $status); output: $out"
  exit 1
fi
if ! grep -q -- "slabkit: $words: address 0x" <<<"$out"; then
  echo "FAIL: $prog misuse said: $out"
  echo "expected: slabkit: $words: address 0x..."
  exit 1
fi
echo "PASS: $prog under $(basename "$lib"): $(head -1 <<<"$out")"
