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
echo PASS
