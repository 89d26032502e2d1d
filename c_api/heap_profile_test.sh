#!/usr/bin/env bash
# A heap profile google-pprof can read: it must name the function that
# allocated the live sampled objects.
set -u
prog=$1
profile="$TEST_TMPDIR/sessions.heap"
fail() { echo "FAIL: $*"; exit 1; }

"$prog" "$profile" || fail "program exited $?"
head -1 "$profile" | grep -q '^heap profile: *50: *[0-9]* \[ *50: *[0-9]*\] @ heap_v2/1$' \
  || fail "header: $(head -1 "$profile")"
grep -q '^MAPPED_LIBRARIES:$' "$profile" || fail "no mapped libraries"
command -v google-pprof >/dev/null || fail "google-pprof is not installed (tools/setup installs it)"
text=$(google-pprof --text "$prog" "$profile" 2>&1) || fail "google-pprof failed: $text"
echo "$text"
grep -q 'allocate_sessions' <<<"$text" || fail "allocate_sessions not in the profile"
# On a signal: SLABKIT_OPTIONS=profile_signal=N writes the profile when N
# arrives (the program raises it itself, with the sessions live).
on_signal="$TEST_TMPDIR/on_signal.heap"
SLABKIT_OPTIONS="profile_signal=12,profile_file=$on_signal" "$prog" "$TEST_TMPDIR/unused.heap" raise \
  || fail "program exited $? with profile_signal"
head -1 "$on_signal" | grep -q '^heap profile: *50:' || fail "signal profile: $(head -1 "$on_signal")"
echo PASS
