#!/usr/bin/env bash
# Real programs from Debian under LD_PRELOAD of each drop-in library: each
# must print exactly what it prints on glibc's malloc, and exit the same.
#   malloc_programs_test.sh LIB.so... (testdata from the runfiles)
# python3 (PYTHONMALLOC=malloc, so objects come from malloc), sqlite3, git
# and g++ (compiling a C++ program, which then runs under the library too).
set -u
here=$(cd "$(dirname "$0")" && pwd)
data="$here/testdata"
[ -d "$data" ] || data="${TEST_SRCDIR:-.}/${TEST_WORKSPACE:-slabkit}/c_api/testdata"
work="${TEST_TMPDIR:-$(mktemp -d)}"
failures=0

libs=()
for lib in "$@"; do libs+=("$(cd "$(dirname "$lib")" && pwd)/$(basename "$lib")"); done

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# The workloads. Each prints to stdout; stderr is kept apart.
run_python() {
  PYTHONMALLOC=malloc /usr/bin/python3 "$data/alloc_heavy.py"
}
run_sqlite() {
  sqlite3 :memory: <"$data/workload.sql"
}
run_git() {
  local repo="$1/repo"
  rm -rf "$repo"
  export GIT_AUTHOR_NAME=slabkit GIT_AUTHOR_EMAIL=s@example.com \
    GIT_COMMITTER_NAME=slabkit GIT_COMMITTER_EMAIL=s@example.com \
    GIT_AUTHOR_DATE='2026-11-21T12:00:00Z' \
    GIT_COMMITTER_DATE='2026-11-21T12:00:00Z' GIT_CONFIG_NOSYSTEM=1 \
    HOME="$1"
  git init -q -b main "$repo" && cd "$repo" || return 1
  for c in $(seq 1 12); do
    for f in $(seq 1 40); do
      mkdir -p "d$((f % 7))"
      seq "$c" "$((c * f + 50))" >"d$((f % 7))/f$f.txt"
    done
    git add -A && git commit -qm "commit $c" || return 1
    if [ "$c" = 6 ]; then git checkout -qb side; fi
  done
  git checkout -q main
  echo merged >merged.txt && git add merged.txt && git commit -qm "main work"
  git merge -q --no-edit side || return 1
  git gc -q || return 1
  git fsck --full --no-progress || return 1
  git log --format='%H %s' | head -20
  git ls-tree -r HEAD | sha256sum
  git diff --stat HEAD~8 HEAD | tail -1
  git rev-list --count HEAD
}
run_gxx() {
  g++ -O1 -std=c++17 -o "$1/cxx_program" "$data/cxx_program.cc" || return 1
  "$1/cxx_program"
}

for workload in python sqlite git gxx; do
  base="$work/$workload.base"
  mkdir -p "$base"
  start=$SECONDS
  (run_"$workload" "$base") >"$base/out" 2>"$base/err"
  base_rc=$?
  [ "$base_rc" = 0 ] || fail "$workload without the library exited $base_rc: $(head -5 "$base/err")"
  for lib in "${libs[@]}"; do
    name=$(basename "$lib" .so)
    dir="$work/$workload.$name"
    mkdir -p "$dir"
    (export LD_PRELOAD="$lib"; run_"$workload" "$dir") >"$dir/out" 2>"$dir/err"
    rc=$?
    [ "$rc" = "$base_rc" ] || fail "$workload under $name exited $rc: $(head -5 "$dir/err")"
    cmp -s "$base/out" "$dir/out" ||
      fail "$workload under $name printed something else: $(diff "$base/out" "$dir/out" | head -10)"
  done
  echo "$workload: $(wc -l <"$base/out") lines, same under ${#libs[@]} libraries ($((SECONDS - start)) s)"
done

# The library is really in use: its stats report, one row per size class.
for lib in "${libs[@]}"; do
  err=$(LD_PRELOAD="$lib" SLABKIT_OPTIONS=stats=1 /usr/bin/python3 -c 'x = [str(i) for i in range(1000)]' 2>&1 >/dev/null)
  grep -q '^slabkit stats: malloc' <<<"$err" || fail "no stats report from $lib: $(head -3 <<<"$err")"
  grep -q 'malloc_48 ' <<<"$err" || fail "no malloc_48 row from $lib"
  grep -q 'malloc_large ' <<<"$err" || fail "no malloc_large row from $lib"
done

[ "$failures" = 0 ] || { echo "$failures failure(s)"; exit 1; }
echo PASS
