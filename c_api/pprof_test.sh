#!/usr/bin/env bash
# Heap profiles of the fast flavour read back by pprof: `go tool pprof`
# (profile.proto) and google-pprof (legacy text) must name the allocating
# function of the largest live class on top, estimate its live bytes within
# 25%, isolate a class with -tagfocus, and show the short-lived allocations
# in the allocation profile only. The malloc drop-in's profile is asked for
# with options alone.
#   pprof_test.sh PPROF_PROGRAM LIBSLABKIT_MALLOC_SO
set -u
prog=$1
malloc_so=$(realpath "$2")
fail() { echo "FAIL: $*"; exit 1; }
command -v go >/dev/null || fail "go is not installed (tools/setup installs golang-go)"
command -v google-pprof >/dev/null || fail "google-pprof is not installed (tools/setup installs it)"
export HOME=${TEST_TMPDIR}  # go wants a cache directory
export GOCACHE=$TEST_TMPDIR/gocache
# Sampled often enough for about 320 samples of the 20 MiB class: its
# estimate's standard deviation is about 6%.
interval=65536

# `go tool pprof -top` of profile $1 in bytes, more flags after it.
pprof_top() {
  local profile=$1
  shift
  go tool pprof -top -unit=B "$@" "$prog" "$profile" 2>&1 || fail "go tool pprof $* $profile"
}
# The first function of `top` output $1 (the largest flat).
first_function() {
  awk '$6 != "" && $1 ~ /B$/ && NR > 4 { print $6; exit }' <<<"$1"
}
# Fails unless function $2 is on top of `top` output $1 ($3 says which).
expect_on_top() {
  local first
  first=$(first_function "$1")
  [[ $first == "$2" ]] || fail "$3: $2 is not on top (found $first)"
}
# The bytes pprof shows for `function` in `top` output ($1), in bytes.
flat_bytes() {
  awk -v f="$2" '$6 == f { v = $1; sub(/B$/, "", v); print v; exit }' <<<"$1"
}
within_25_percent() {  # estimate truth
  awk -v e="$1" -v t="$2" 'BEGIN { exit !(e > 0.75 * t && e < 1.25 * t) }'
}
# Fails unless function $2 is on top of `top` output $1 with an estimate
# within 25% of $3 bytes ($4 says which profile).
expect_estimate_on_top() {
  local estimate
  expect_on_top "$1" "$2" "$4"
  estimate=$(flat_bytes "$1" "$2")
  within_25_percent "$estimate" "$3" || fail "$4: $2 $estimate bytes estimated, $3 true"
}

out=$(SLABKIT_OPTIONS=sample_interval=$interval "$prog" classes "$TEST_TMPDIR/classes.pb" 1) \
  || fail "program exited $?"
true_sessions=$(awk '$1 == "session" { print $2 }' <<<"$out")
top=$(pprof_top "$TEST_TMPDIR/classes.pb")
echo "$top"
expect_estimate_on_top "$top" allocate_sessions "$true_sessions" "in use"
grep -q 'allocate_packets' <<<"$top" || fail "allocate_packets is not in the profile"
grep -q 'churn' <<<"$top" && fail "short-lived allocations counted as live"

focus=$(pprof_top "$TEST_TMPDIR/classes.pb" -tagfocus=class=packet)
echo "$focus"
grep -q 'allocate_packets' <<<"$focus" || fail "-tagfocus=class=packet lost allocate_packets"
grep -q 'allocate_sessions' <<<"$focus" && fail "-tagfocus=class=packet kept allocate_sessions"

allocated=$(pprof_top "$TEST_TMPDIR/classes.pb" -sample_index=alloc_space)
expect_on_top "$allocated" churn "allocated since start"

# The peak-heap profile shows what was live at the peak, not now.
out=$(SLABKIT_OPTIONS=sample_interval=$interval "$prog" peak "$TEST_TMPDIR/peak.pb" "$TEST_TMPDIR/now.pb") \
  || fail "peak program exited $?"
true_peak=$(awk '$1 == "peak" { print $2 }' <<<"$out")
top=$(pprof_top "$TEST_TMPDIR/peak.pb")
echo "$top"
expect_estimate_on_top "$top" grow_to_peak "$true_peak" "peak"
grep -q 'after_peak' <<<"$top" && fail "peak: after_peak, allocated after the peak, is in it"
expect_on_top "$(pprof_top "$TEST_TMPDIR/now.pb")" after_peak "in use after the peak"

# After slabkit_reset_heap_profile, the peak is the largest heap since (10
# MiB, below the 20 MiB before the reset), and the allocations are those
# since. Sampled twice as often: about 320 samples of the 10 MiB.
out=$(SLABKIT_OPTIONS=sample_interval=$((interval / 2)) "$prog" reset "$TEST_TMPDIR/reset_peak.pb" "$TEST_TMPDIR/reset_now.pb") \
  || fail "reset program exited $?"
top=$(pprof_top "$TEST_TMPDIR/reset_peak.pb")
echo "$top"
expect_estimate_on_top "$top" after_reset "$(awk '$1 == "peak" { print $2 }' <<<"$out")" "peak after reset"
grep -q 'grow_to_peak' <<<"$top" && fail "peak after reset: grow_to_peak, before the reset, is in it"
allocated=$(pprof_top "$TEST_TMPDIR/reset_now.pb" -sample_index=alloc_space)
echo "$allocated"
expect_on_top "$allocated" after_reset "allocated since the reset"
grep -Eq 'churn|grow_to_peak' <<<"$allocated" && fail "allocations before the reset are counted"

# The same program's legacy text profile, read by google-pprof.
SLABKIT_OPTIONS=sample_interval=$interval "$prog" classes "$TEST_TMPDIR/classes.heap" 0 >/dev/null \
  || fail "program exited $? (text)"
text=$(google-pprof --text "$prog" "$TEST_TMPDIR/classes.heap" 2>&1) || fail "google-pprof: $text"
echo "$text"
first=$(awk 'seen && $6 != "" { print $6; exit } /^Total:/ { seen = 1 }' <<<"$text")
[[ $first == allocate_sessions ]] || fail "google-pprof: allocate_sessions is not on top (found $first)"

# malloc under the drop-in: one option set, the profile written at exit.
profile="$TEST_TMPDIR/malloc.pb"
out=$(LD_PRELOAD=$malloc_so \
  SLABKIT_OPTIONS=sample_interval=$interval,profile=1,profile_format=proto,profile_file=$profile \
  "$prog" malloc) || fail "malloc program exited $?"
# 100-byte blocks live in the 112-byte class, which the profile counts.
true_buffers=$(awk '$1 == "buffers" { print $2 / 100 * 112 }' <<<"$out")
true_large=$(awk '$1 == "large" { print $2 }' <<<"$out")
top=$(pprof_top "$profile")
echo "$top"
within_25_percent "$(flat_bytes "$top" allocate_large_blocks)" "$true_large" \
  || fail "malloc: allocate_large_blocks $(flat_bytes "$top" allocate_large_blocks) bytes estimated, $true_large true"
within_25_percent "$(flat_bytes "$top" allocate_buffers)" "$true_buffers" \
  || fail "malloc: allocate_buffers $(flat_bytes "$top" allocate_buffers) bytes estimated, $true_buffers true"
# About 380 samples of 200 KiB blocks, in a class whose pools hold 17 each.
true_medium=$(awk '$1 == "medium" { print $2 }' <<<"$out")
expect_estimate_on_top "$top" allocate_medium_blocks "$true_medium" "malloc medium blocks"
raw=$(go tool pprof -raw "$profile" 2>&1)
grep -q 'class:\[malloc_112\]' <<<"$raw" || fail "no class=malloc_112 label"
grep -q 'class:\[malloc_large\]' <<<"$raw" || fail "no class=malloc_large label"
# Threads churning sampled objects while profiles are written from a signal
# and children forked mid-way allocate and profile: no deadlock (the
# timeout), every child exits 0, and the profiles parse.
signal_profile="$TEST_TMPDIR/signal.pb"
SLABKIT_OPTIONS=sample_interval=4096,profile_signal=12,profile_format=proto,profile_file=$signal_profile \
  timeout 120 "$prog" stress "$TEST_TMPDIR/stress.pb" || fail "stress program exited $?"
for f in "$signal_profile" "$TEST_TMPDIR/stress.pb"; do
  top=$(pprof_top "$f" -sample_index=alloc_space)
  grep -q 'churn_thread' <<<"$top" || fail "$f: churn_thread is not in the profile: $top"
done
echo PASS
