#!/usr/bin/env bash
# memory_tool_test.sh valgrind|asan PROGRAM class|malloc: the bugs
# memory_tool_program.c commits in slabkit's objects, through the class API
# or malloc, are reported by the tool, with the stacks of the access and
# (valgrind) of the allocation and release; a clean run reports nothing.
# $PRELOAD, if set, is preloaded (slabkit's malloc drop-in).
set -u
tool=$1
prog=$2
api=$3
if [ "$api" = class ]; then
  allocate=slabkit_allocate release=slabkit_release
else
  allocate=malloc release=free
fi
fail() { echo "FAIL: $*"; exit 1; }

# run MODE: the program's output and the tool's report, in $out; status in $rc.
run() {
  if [ "$tool" = valgrind ]; then
    # With the drop-in preloaded, memcheck must leave its malloc alone
    # (nouserintercepts: replace only libc's).
    out=$(LD_PRELOAD="${PRELOAD:+$PWD/$PRELOAD}" valgrind \
      ${PRELOAD:+--soname-synonyms=somalloc=nouserintercepts} --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
      "$prog" "$api" "$1" 2>&1)
  else
    out=$(ASAN_OPTIONS=detect_leaks=0 "$prog" "$api" "$1" 2>&1)
  fi
  rc=$?
}

run clean
[ "$rc" -eq 0 ] || fail "clean run exited $rc: $out"

grep -q '^sum 4950$' <<<"$out" || fail "clean run's output: $out"

run use_after_release
[ "$rc" -ne 0 ] || fail "use after release not reported: $out"
if [ "$tool" = valgrind ]; then
  grep -q 'Invalid read of size 8' <<<"$out" || fail "no invalid read: $out"
  # (Its neighbours are free too: memcheck may name the address against one.)
  grep -q "bytes \(inside\|before\) a block of size 32 free'd" <<<"$out" ||
    fail "not named as a freed 32-byte block: $out"
  grep -A8 "free'd" <<<"$out" | grep -q "$release" ||
    fail "no release stack: $out"
  if [ -n "${PRELOAD:-}" ]; then
    # slabkit's free told memcheck, not memcheck's own free.
    # (with debug information, the frame names its source line instead.)
    grep -A8 "free'd" <<<"$out" |
      grep -qE "free \((in .*/libslabkit_malloc[^/]*\.so|malloc_api\.cc:[0-9]+)\)" ||
      fail "the block was not freed by $PRELOAD: $out"
  fi
else
  grep -q 'ERROR: AddressSanitizer: use-after-poison' <<<"$out" ||
    fail "no use-after-poison report: $out"
  grep -q '#0 0x[0-9a-f]* in main' <<<"$out" || fail "no access stack: $out"
fi

if [ "$tool" = valgrind ]; then
  run uninitialised
  [ "$rc" -eq 99 ] || fail "uninitialised read not reported ($rc): $out"
  grep -q 'Conditional jump or move depends on uninitialised value' <<<"$out" ||
    fail "no uninitialised-value report: $out"

  run leak
  [ "$rc" -eq 99 ] || fail "leak not reported ($rc): $out"
  grep -q '32 bytes in 1 blocks are definitely lost' <<<"$out" || fail "no leak report: $out"
  grep -A8 'definitely lost' <<<"$out" | grep -q "$allocate" ||
    fail "no allocation stack: $out"
fi
echo "PASS: $tool sees slabkit's objects"
