#!/usr/bin/env bash
# The README's first command: install the Debian packages, build, and start an
# all-in-one lamplight-node on its embedded defaults (signaling, web clients
# and health on 127.0.0.1, data under ./lamplight-data). Extra arguments go to
# the node, e.g. scripts/run-node.sh --help
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${LAMPLIGHT_SKIP_DEPS:-0}" != "1" ]; then bash scripts/install-deps.sh; fi
bash scripts/build.sh release
exec build/release/nodes/node/lamplight-node "$@"
