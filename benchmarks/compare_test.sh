#!/usr/bin/env bash
# compare.py end to end on a small run: every allocator column, a ratio in
# each row, the goals section, the raw results and a PNG chart.
set -u
out="${TEST_TMPDIR:-$(mktemp -d)}/out"
compare=$1  # its runfiles path, from this workspace or one that depends on slabkit
"$compare" --quick --only "larson,fixed-size,fixed-size class API,large-blocks" \
  --out "$out" >"$out.log" 2>&1
status=$?
if [ "$status" -ne 0 ]; then
  echo "FAIL: compare exited $status"; cat "$out.log"; exit 1
fi
md="$out/results.md"
fail() { echo "FAIL: $*"; cat "$md"; exit 1; }
grep -q '^| workload | glibc | jemalloc | tcmalloc | mimalloc | scudo | slabkit | slabkit-hardened |$' "$md" ||
  fail "no table header with every allocator"
for row in larson fixed-size large-blocks; do
  grep -qE "^\| $row \| [0-9.]+ s( \([0-9.]+\))? \|.*\| [0-9.]+ s \(1\.00\) \|" "$md" ||
    fail "row $row has no figures or no ratio 1.00 for mimalloc"
done
grep -q '^| fixed-size class API |  |  |  |  |  | [0-9.]* s' "$md" || fail "class API row"
grep -q 'Class API against mimalloc' "$md" || fail "no goals"
grep -qE 'Hardened allocators against mimalloc.*slabkit-hardened [0-9.]+, Scudo [0-9.]+' "$md" ||
  fail "no hardened goal"
[ "$(head -c 4 "$out/results.png" | od -An -c | tr -d ' ')" = '211PNG' ] || fail "no PNG chart"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["runs"]) == 23, len(d["runs"])' \
  "$out/results.json" || fail "results.json does not hold 23 cells (3 rows x 7 + 2)"
echo "PASS: compare wrote tables, goals and a chart"
