#!/usr/bin/env bash
# The fast paths' instructions, counted in the -c opt machine code, must be
# those of fast_path.golden, and docs/fast_path.md's table must be the
# golden file's (fast_path.py says how it counts).
#   fast_path_golden_test.sh FAST_PATH.PY GOLDEN DOC BINARY...
set -u
script=$1 golden=$2 doc=$3
shift 3
command -v objdump >/dev/null || { echo "FAIL: objdump is not installed"; exit 1; }
exec /usr/bin/python3 "$script" --golden "$golden" --doc "$doc" "$@"
