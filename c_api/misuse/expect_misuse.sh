#!/usr/bin/env bash
# expect_misuse.sh PROGRAM WORDS: PROGRAM used correctly exits 0; PROGRAM
# committing its misuse is stopped with SIGABRT and a diagnostic with WORDS.
set -u
prog=$1
words=$2

if ! "$prog" correct; then
  echo "FAIL: $prog correct exited $? (expected 0)"
  exit 1
fi

out=$("$prog" misuse 2>&1)
rc=$?
if [ "$rc" -ne 134 ]; then
  echo "FAIL: $prog misuse exited $rc (expected 134, SIGABRT); output: $out"
  exit 1
fi
if ! grep -q -- "slabkit: $words: address 0x" <<<"$out"; then
  echo "FAIL: $prog misuse said: $out"
  echo "expected: slabkit: $words: address 0x..."
  exit 1
fi
echo "PASS: $prog: $out"
