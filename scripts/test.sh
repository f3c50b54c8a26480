#!/usr/bin/env bash
# The README's second command: install the Debian packages, build with
# -Wall -Wextra -Werror, and run every test (ctest). Pass ctest arguments to
# run a slice, e.g. scripts/test.sh -L unit
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${LAMPLIGHT_SKIP_DEPS:-0}" != "1" ]; then bash scripts/install-deps.sh --browser; fi
bash scripts/check-layers.sh
bash scripts/build.sh werror -DLAMPLIGHT_WERROR=ON
ctest --test-dir build/werror --output-on-failure --no-tests=error -j2 "$@"
