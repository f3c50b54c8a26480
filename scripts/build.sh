#!/usr/bin/env bash
# Configures and builds lamplight into build/<name> (default: build/release).
#   scripts/build.sh [name] [extra cmake args...]
# With LAMPLIGHT_ONLY_LABEL=<label> set, builds only the test executables of
# that ctest label (and what they link), not the whole tree.
set -euo pipefail
cd "$(dirname "$0")/.."
name="${1:-release}"
shift || true
generator=()
if command -v ninja >/dev/null 2>&1; then generator=(-G Ninja); fi
if [ ! -f "build/$name/CMakeCache.txt" ]; then
  cmake -S . -B "build/$name" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@"
else
  cmake -S . -B "build/$name" "$@" >/dev/null
fi
targets=()
if [ -n "${LAMPLIGHT_ONLY_LABEL:-}" ]; then
  # Every test is an executable of the same name (tests/CMakeLists.txt).
  mapfile -t targets < <(ctest --test-dir "build/$name" -N -L "$LAMPLIGHT_ONLY_LABEL" |
    sed -n 's/^ *Test *#[0-9]*: *//p')
  if [ "${#targets[@]}" -eq 0 ]; then
    echo "no tests labelled $LAMPLIGHT_ONLY_LABEL" >&2
    exit 1
  fi
  targets=(--target "${targets[@]}")
fi
cmake --build "build/$name" -j"$(nproc)" "${targets[@]}"
