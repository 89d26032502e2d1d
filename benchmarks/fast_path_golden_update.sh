#!/usr/bin/env bash
# Rewrites fast_path.golden and docs/fast_path.md's table from the -c opt
# machine code: bazel run //benchmarks:fast_path_golden_update
#   fast_path_golden_update.sh FAST_PATH.PY BINARY...
set -eu
script=$1
shift
cd "${BUILD_WORKSPACE_DIRECTORY:?run with bazel run}"
bins=()
for b in "$@"; do bins+=("$OLDPWD/$b"); done
exec /usr/bin/python3 "$OLDPWD/$script" --update benchmarks/fast_path.golden \
  --doc docs/fast_path.md "${bins[@]}"
