#!/usr/bin/env bash
# gdb_test.sh SCRIPT PROGRAM: tools/gdb/slabkit.py on a live process stopped
# in slabkit_release, then on a core file of it: `slabkit addr` names the
# class, span and object of the pointer being released, says an interior
# address is inside it and that a global is not slabkit's; `slabkit stats`
# prints the report (live) or the classes from memory (core).
set -u
script=$1
prog=$2
fail() { echo "FAIL: $*"; echo "$out"; exit 1; }
core="${TEST_TMPDIR:-$(mktemp -d)}/core"

out=$(gdb -q -batch -nx -ex "source $script" -ex "break slabkit_release" -ex "run class clean" \
  -ex 'slabkit addr $rsi' -ex 'slabkit addr $rsi + 8' -ex 'slabkit addr &sink' \
  -ex 'slabkit stats' -ex 'printf "ADDRESS %lx\n", $rsi' -ex "gcore $core" -ex "kill" \
  "$prog" 2>&1)
grep -qE '0x[0-9a-f]+: class "node" \(id [0-9]+, 32-byte objects\), chunk 0x[0-9a-f]+, span 0, object [0-9]+ at 0x[0-9a-f]+: out of its slab' <<<"$out" ||
  fail "the released object is not described"
grep -qE 'object [0-9]+ at 0x[0-9a-f]+ \(0x[0-9a-f]+ is 8 bytes inside it\)' <<<"$out" ||
  fail "the interior address is not described"
grep -qE "0x[0-9a-f]+: not slabkit's" <<<"$out" || fail "a global is called slabkit's"
grep -q '^slabkit stats: default: ' <<<"$out" || fail "no live stats report"
grep -qE '^ +[0-9]+ +node +32 +100 ' <<<"$out" || fail "no row for node with 100 allocations"
address=$(sed -n 's/^ADDRESS //p' <<<"$out")
[ -n "$address" ] && [ -s "$core" ] || fail "no core file or address"

out=$(gdb -q -batch -nx -ex "source $script" -ex "slabkit addr 0x$address" -ex 'slabkit stats' \
  "$prog" "$core" 2>&1)
grep -qE "0x$address: class \"node\" \\(id [0-9]+, 32-byte objects\\)" <<<"$out" ||
  fail "core: the object is not described"
grep -qE '^ +[0-9]+ +node +32 +1 +1$' <<<"$out" || fail "core: no chunk summary for node"
echo "PASS: slabkit addr and slabkit stats, live and from a core"
