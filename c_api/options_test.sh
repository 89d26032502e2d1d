#!/usr/bin/env bash
# SLABKIT_OPTIONS end to end: a report at exit, to a file or stderr, in JSON
# or text; unknown keys warned about and ignored.
set -u
prog=$1
fail() { echo "FAIL: $*"; exit 1; }

out="$TEST_TMPDIR/stats.json"
err=$(SLABKIT_OPTIONS="stats=1,stats_format=json,stats_file=$out,colour=blue" "$prog" 2>&1) \
  || fail "program exited $?"
grep -q 'unknown option "colour=blue", ignored' <<<"$err" || fail "no warning: $err"
[ -s "$out" ] || fail "no report in $out"
grep -q '"name":"options-demo"' "$out" || fail "class missing: $(cat "$out")"
grep -q '"allocations":100,"releases":40,"live":60' "$out" || fail "counts: $(cat "$out")"
if command -v python3 >/dev/null; then
  python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$out" || fail "not JSON"
fi

err=$(SLABKIT_OPTIONS="stats=1" "$prog" 2>&1) || fail "program exited $?"
grep -q '^slabkit stats: default: ' <<<"$err" || fail "no text report: $err"
grep -q 'options-demo' <<<"$err" || fail "class missing: $err"

err=$("$prog" 2>&1) || fail "program exited $?"
[ -z "$err" ] || fail "a report without stats=1: $err"
echo PASS
