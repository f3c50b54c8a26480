#!/usr/bin/env bash
# Builds every libFuzzer target with clang and runs each for a bounded time.
#   scripts/fuzz.sh [seconds per target, default 20]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-20}"
generator=()
if command -v ninja >/dev/null 2>&1; then generator=(-G Ninja); fi
CC=clang-14 CXX=clang++-14 cmake -S . -B build/fuzz "${generator[@]}" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLAMPLIGHT_FUZZ=ON -DLAMPLIGHT_BENCH=OFF >/dev/null
targets=()
for src in tests/fuzz/fuzz_*.cpp; do
  [ -e "$src" ] || continue
  targets+=("$(basename "$src" .cpp)")
done
if [ "${#targets[@]}" -eq 0 ]; then echo "no fuzz targets"; exit 0; fi
cmake --build build/fuzz -j"$(nproc)" --target "${targets[@]}"
mkdir -p build/fuzz/corpus build/fuzz/artifacts
for t in "${targets[@]}"; do
  corpus="build/fuzz/corpus/$t"
  mkdir -p "$corpus"
  seeds="tests/fuzz/corpus/${t#fuzz_}"
  dirs=("$corpus")
  if [ -d "$seeds" ]; then dirs+=("$seeds"); fi
  echo "-- $t (${seconds}s)"
  "build/fuzz/tests/fuzz/$t" -max_total_time="$seconds" -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="build/fuzz/artifacts/$t-" "${dirs[@]}" 2>&1 | tail -n 12
done
echo "fuzzing: ${#targets[@]} targets ran clean"
