#!/usr/bin/env bash
# Configures and builds lamplight into build/<name> (default: build/release).
#   scripts/build.sh [name] [extra cmake args...]
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
cmake --build "build/$name" -j"$(nproc)"
