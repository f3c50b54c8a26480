#!/usr/bin/env bash
# Rejects includes that point upward in protocol <- transport <- media <-
# actors <- nodes, and CAF below actors/.
set -euo pipefail
cd "$(dirname "$0")/.."
layers=(protocol transport media actors nodes)
status=0
for i in "${!layers[@]}"; do
  layer="${layers[$i]}"
  [ -d "$layer" ] || continue
  forbidden=("${layers[@]:$((i + 1))}")
  if [ "$i" -lt 3 ]; then forbidden+=(caf); fi
  for up in "${forbidden[@]}"; do
    if grep -rnE "#include [<\"]${up}/" "$layer" --include='*.hpp' --include='*.cpp' --include='*.h'; then
      echo "layer violation: $layer/ must not include $up/" >&2
      status=1
    fi
  done
done
exit $status
