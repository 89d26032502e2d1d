#!/usr/bin/env bash
# Runs a fuzz target for a few seconds from its seed corpus, as a test:
#   run_fuzzer.sh TARGET CORPUS_FILE
# CORPUS_FILE is one seed of the corpus; its directory is the corpus.
# $FUZZ_SECONDS (default 5) sets the length. The target is libFuzzer under
# --config=fuzz, else testing/fuzz_driver.cc's replay-and-mutate main; both
# take the same flags. New inputs libFuzzer finds go to a scratch directory,
# never into the committed corpus.
set -euo pipefail
target=$1
corpus=$(dirname "$2")
seconds=${FUZZ_SECONDS:-5}
scratch="${TEST_TMPDIR:-$(mktemp -d)}/corpus"
mkdir -p "$scratch"
cd "${TEST_UNDECLARED_OUTPUTS_DIR:-.}" 2>/dev/null || true
log=$(mktemp)
status=0
# Inputs of at most 1 KiB: a few hundred operations, enough to reach every
# state, and fast enough for many executions a second under the sanitizers.
"$OLDPWD/$target" -max_total_time="$seconds" -max_len=1024 -print_final_stats=1 \
  "$scratch" "$OLDPWD/$corpus" 2>&1 | tee "$log" | tail -25 || status=$?
# libFuzzer: "stat::number_of_executed_units: N"; the driver: "N inputs ran clean".
runs=$(sed -n -e 's/^stat::number_of_executed_units: *//p' -e 's/^.*: \([0-9]*\) inputs ran clean.*/\1/p' "$log" | tail -1)
rm -f "$log"
if [ "$status" -ne 0 ] || [ -z "$runs" ] || [ "$runs" -eq 0 ]; then
  echo "FAIL: $target (exit $status, ${runs:-no} runs)"
  exit 1
fi
echo "$target: $runs inputs ran clean in ${seconds} s"
