#!/usr/bin/env bash
# Instructions per allocate+release pair, counted by callgrind (exact and
# repeatable, unlike time on a shared VM). Each allocator runs the same loop
# twice, N and 2N pairs; (Ir(2N) - Ir(N)) / N is the cost of one pair, call
# overhead and loop included.
#
#   bazel run -c opt //benchmarks:instructions [-- SIZE]
set -euo pipefail

size=${1:-32}
n=${PAIRS:-200000}
dir=benchmarks
[ -x "$dir/pair_loop" ] || dir="$(dirname "$0")"
command -v valgrind >/dev/null || { echo "valgrind is not installed (tools/setup installs it)" >&2; exit 1; }

libdir=/usr/lib/x86_64-linux-gnu
peers=(
  "glibc malloc/free|"
  "jemalloc malloc/free|$libdir/libjemalloc.so.2"
  "tcmalloc malloc/free|$libdir/libtcmalloc_minimal.so.4"
  "mimalloc malloc/free|$libdir/libmimalloc.so.2"
)

# count LOOP PRELOAD MODE PAIRS: total instructions of one run
# ($OPTIONS goes to SLABKIT_OPTIONS).
count() {
  local out
  out=$(SLABKIT_OPTIONS="${OPTIONS:-}" LD_PRELOAD="$2" valgrind --tool=callgrind \
    --callgrind-out-file=/dev/null "$dir/$1" "$3" "$size" "$4" 2>&1)
  awk '/Collected :/ {print $NF}' <<<"$out"
}

per_pair() {
  local a b
  a=$(count "$1" "$2" "$3" "$n")
  b=$(count "$1" "$2" "$3" $((2 * n)))
  awk -v a="$a" -v b="$b" -v n="$n" 'BEGIN {printf "%.1f", (b - a) / n}'
}

printf '%-24s %s\n' "allocator" "instructions per ${size}-byte pair"
printf '%-24s %s\n' "slabkit class API" "$(per_pair pair_loop "" slabkit)"
printf '%-24s %s\n' "  sampling off" "$(OPTIONS=sample_interval=0 per_pair pair_loop "" slabkit)"
printf '%-24s %s\n' "slabkit hardened" "$(per_pair pair_loop_hardened "" slabkit)"
printf '%-24s %s\n' "  sampling off" "$(OPTIONS=sample_interval=0 per_pair pair_loop_hardened "" slabkit)"
# The malloc drop-in, preloaded like the peers.
for flavour in malloc malloc_hardened; do
  lib="$(cd "$dir/.." && pwd)/c_api/libslabkit_$flavour.so"
  printf '%-24s %s\n' "slabkit $flavour" "$(per_pair pair_loop "$lib" malloc)"
done
for peer in "${peers[@]}"; do
  name=${peer%%|*}
  lib=${peer#*|}
  if [ -n "$lib" ] && [ ! -e "$lib" ]; then
    printf '%-24s %s\n' "$name" "(not installed)"
    continue
  fi
  printf '%-24s %s\n' "$name" "$(per_pair pair_loop "$lib" malloc)"
done
