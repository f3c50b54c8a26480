#!/usr/bin/env bash
# Rejects includes that point upward, between the top-level layers
#   protocol <- transport <- media <- storage <- backend <- actors <- nodes
# (and CAF below actors/), and inside actors/ between its parts
#   base <- rtc <- classroom <- cluster <- node
# (the files at actors/ itself, the type-ID block and system setup, sit over
# all of them). Tests, the bench and the web pages are outside the layering.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0

# check <dir> <forbidden include prefix...>: no file under dir includes one.
check() {
  local dir="$1"
  shift
  [ -d "$dir" ] || return 0
  local up
  for up in "$@"; do
    if grep -rnE "#include [<\"]${up}/" "$dir" --include='*.hpp' --include='*.cpp' --include='*.h'; then
      echo "layer violation: $dir/ must not include $up/" >&2
      status=1
    fi
  done
}

layers=(protocol transport media storage backend actors nodes)
for i in "${!layers[@]}"; do
  forbidden=("${layers[@]:$((i + 1))}")
  # CAF (actors and their distribution layer) starts at actors/.
  if [ "$i" -lt 5 ]; then forbidden+=(caf); fi
  check "${layers[$i]}" "${forbidden[@]}"
done

parts=(base rtc classroom cluster node)
for i in "${!parts[@]}"; do
  forbidden=()
  for up in "${parts[@]:$((i + 1))}"; do forbidden+=("actors/$up"); done
  # Nothing below the root includes the root's assembly headers.
  check "actors/${parts[$i]}" "${forbidden[@]}"
  if grep -rnE '#include "actors/(type_ids|system_setup)\.hpp"' "actors/${parts[$i]}"; then
    echo "layer violation: actors/${parts[$i]}/ must not include actors/type_ids.hpp or system_setup.hpp" >&2
    status=1
  fi
done

# Every header and source of actors/ lives in one of its parts (or is the
# root's assembly), so the check above sees it.
for f in actors/*.hpp actors/*.cpp; do
  case "$f" in
    actors/type_ids.hpp | actors/system_setup.hpp | actors/system_setup.cpp) ;;
    *) echo "layer violation: $f is in no part of actors/ (${parts[*]})" >&2; status=1 ;;
  esac
done
exit $status
