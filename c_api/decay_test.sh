#!/usr/bin/env bash
# Decay end to end (decay_program.cc):
# - with decay_ms=500, resident memory falls to what the program holds plus a
#   bound (32 MiB) within about twice the decay time, whether the slow paths
#   of a trickle (the default) or a background thread run the passes;
# - with decay_ms=-1, it stays up;
# - fork and thread exit while passes run every 10 ms (decay_ms=0), on slow
#   paths and on the thread: no deadlock, nothing lost or handed out twice;
# - the background thread does not keep a process alive whose main thread
#   called pthread_exit once its other threads end.
#   decay_test.sh PROGRAM
set -u
prog=$1
fail() { echo "FAIL: $*"; exit 1; }

# idle OPTIONS: the program's report line.
idle() {
  SLABKIT_OPTIONS="$1" timeout 120 "$prog" idle 2500 || fail "idle under $1 exited $?"
}
field() { sed -n "s/.*\<$1=\(-\?[0-9]*\).*/\1/p" <<<"$2"; }

for options in "decay_ms=500" "decay_ms=500,background_thread=1"; do
  out=$(idle "$options")
  echo "$options: $out"
  fell=$(field fell_below_32mib_at_ms "$out")
  peak=$(field peak_mib "$out")
  [ "$peak" -gt 200 ] || fail "$options: the churn peaked at only $peak MiB"
  [ "$fell" -ge 0 ] || fail "$options: resident memory never fell: $out"
  # 2 x decay_ms, and half as much again for a loaded machine's scheduling.
  [ "$fell" -le 1500 ] || fail "$options: fell only after $fell ms: $out"
  [ "$(field returned_mib "$out")" -gt 100 ] || fail "$options: returned: $out"
done

out=$(idle "decay_ms=-1")
echo "decay_ms=-1: $out"
[ "$(field fell_below_32mib_at_ms "$out")" -lt 0 ] || fail "decay off, yet memory fell: $out"
[ "$(field excess_mib "$out")" -gt 100 ] || fail "decay off: $out"

for thread in 0 1; do
  options=decay_ms=0,background_thread=$thread
  out=$(SLABKIT_OPTIONS=$options timeout 300 "$prog" fork) || fail "fork under $options: exited $?: $out"
  echo "$options: $out"
  out=$(SLABKIT_OPTIONS=$options timeout 300 "$prog" threads) || fail "threads under $options: exited $?: $out"
  echo "$options: $out"
done

out=$(SLABKIT_OPTIONS=background_thread=1 timeout 20 "$prog" pthread-exit) \
  || fail "pthread-exit: exited $? (124: the process outlived its threads): $out"
[ "$out" = "decay_thread=1" ] || fail "pthread-exit: the decay thread did not start: $out"
echo PASS
