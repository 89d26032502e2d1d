#!/usr/bin/env bash
# SLABKIT_OPTIONS end to end: a report at exit, to a file or stderr, in JSON
# or text; unknown keys warned about and ignored.
#   options_test.sh PROGRAM ALLOCATORS
# ALLOCATORS: the reports expected at least, comma-separated ("default", or
# "default,malloc" for a program that also uses slabkit's malloc).
set -u
prog=$1
allocators=$2
fail() { echo "FAIL: $*"; exit 1; }

out="$TEST_TMPDIR/stats.json"
err=$(SLABKIT_OPTIONS="stats=1,stats_format=json,stats_file=$out,colour=blue" "$prog" 2>&1) \
  || fail "program exited $?"
grep -q 'unknown option "colour=blue", ignored' <<<"$err" || fail "no warning: $err"
[ -s "$out" ] || fail "no report in $out"
grep -q '"name":"options-demo"' "$out" || fail "class missing: $(cat "$out")"
grep -q '"allocations":100,"releases":40,"live":60' "$out" || fail "counts: $(cat "$out")"
# One JSON document whatever is in use: {"allocators":[{...},...]}.
python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
names = sorted(a["allocator"] for a in doc["allocators"])
# At least these: under --custom_malloc every program also has malloc'"'"'s.
assert set(sys.argv[2].split(",")) <= set(names), names
' "$out" "$allocators" || fail "not one JSON document with reports of $allocators: $(cat "$out")"

err=$(SLABKIT_OPTIONS="stats=1" "$prog" 2>&1) || fail "program exited $?"
grep -q '^slabkit stats: default: ' <<<"$err" || fail "no text report: $err"
grep -q 'options-demo' <<<"$err" || fail "class missing: $err"

err=$("$prog" 2>&1) || fail "program exited $?"
[ -z "$err" ] || fail "a report without stats=1: $err"
echo PASS
