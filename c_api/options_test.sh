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

# Prometheus' text exposition format (version 0.0.4): every line a
# comment or a sample, each family one group after its # HELP and # TYPE,
# counters named *_total, no sample twice. check_prometheus FILE [JSON]:
# with JSON (the same allocator's report at the same moment), every value
# equals its JSON field.
check_prometheus() {
  python3 - "$@" <<'PY'
import json, re, sys
sample = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} (-?[0-9]+)$')
label = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\.)*)"(?:,|$)')
types, helps, series, values = {}, set(), set(), {}
current = None
for line in open(sys.argv[1]).read().splitlines():
    if line.startswith("# HELP "):
        name = line.split(" ", 3)[2]
        assert name not in helps and name not in types, "family twice: " + line
        helps.add(name)
    elif line.startswith("# TYPE "):
        _, _, name, kind = line.split(" ")
        assert kind in ("counter", "gauge"), line
        assert name not in types, "family twice: " + line
        assert (kind == "counter") == name.endswith("_total"), line
        types[name] = kind
        current = name
    else:
        m = sample.match(line)
        assert m, "not a sample: " + repr(line)
        name, text, value = m.groups()
        assert name == current, "sample outside its family's group: " + line
        labels, at = {}, 0
        while at < len(text):
            l = label.match(text, at)
            assert l, "bad labels: " + line
            labels[l.group(1)] = re.sub(r'\\(.)', lambda e: "\n" if e.group(1) == "n" else e.group(1), l.group(2))
            at = l.end()
        key = (name, tuple(sorted(labels.items())))
        assert key not in series, "sample twice: " + line
        series.add(key)
        values[key] = int(value)
if len(sys.argv) > 2:
    doc = json.load(open(sys.argv[2]))
    fields = {"allocations_total": "allocations", "releases_total": "releases",
              "live_objects": "live", "in_use_bytes": "in_use_bytes",
              "committed_bytes": "committed_bytes", "spans": "spans",
              "reserved_bytes": "reserved_bytes", "idle_bytes": "idle_bytes",
              "object_size_bytes": "object_size", "cache_misses_total": "cache_misses",
              "depot_objects": "depot_objects", "magazines": "magazines"}
    compared = 0
    for c in doc["class_stats"]:
        labels = (("allocator", doc["allocator"]), ("class", c["name"]), ("id", str(c["id"])))
        for metric, field in fields.items():
            key = ("slabkit_class_" + metric, tuple(sorted(labels)))
            assert values.get(key) == c[field], (key, values.get(key), c[field])
            compared += 1
    for metric in ("classes", "reserved_bytes", "committed_bytes", "metadata_bytes"):
        key = ("slabkit_" + metric, (("allocator", doc["allocator"]),))
        assert values.get(key) == doc[metric], (key, values.get(key), doc[metric])
    assert compared > 0
for key, value in values.items():
    print(key[0], dict(key[1]), value)
PY
}

out="$TEST_TMPDIR/stats.prom"
SLABKIT_OPTIONS="stats=1,stats_format=prometheus,stats_file=$out" "$prog" \
  || fail "program exited $?"
parsed=$(check_prometheus "$out") || fail "not Prometheus' format: $(cat "$out")"
for a in ${allocators//,/ }; do
  grep -q "^slabkit_classes {'allocator': '$a'} " <<<"$parsed" \
    || fail "no report of $a: $parsed"
done
for m in "allocations_total 100" "releases_total 40" "live_objects 60"; do
  grep -q "^slabkit_class_${m% *} {'allocator': 'default', 'class': 'options-demo', 'id': '[0-9]*'} ${m#* }\$" <<<"$parsed" \
    || fail "options-demo's ${m% *} is not ${m#* }: $parsed"
done
# The same moment in both formats: every value as in the JSON report.
"$prog" "$TEST_TMPDIR/now" || fail "program exited $?"
check_prometheus "$TEST_TMPDIR/now.prom" "$TEST_TMPDIR/now.json" >/dev/null \
  || fail "Prometheus and JSON disagree: $(cat "$TEST_TMPDIR/now.prom" "$TEST_TMPDIR/now.json")"

err=$(SLABKIT_OPTIONS="stats=1" "$prog" 2>&1) || fail "program exited $?"
grep -q '^slabkit stats: default: ' <<<"$err" || fail "no text report: $err"
grep -q 'options-demo' <<<"$err" || fail "class missing: $err"

err=$("$prog" 2>&1) || fail "program exited $?"
[ -z "$err" ] || fail "a report without stats=1: $err"
echo PASS
