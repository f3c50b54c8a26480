#!/usr/bin/env bash
# Installs the Debian 12 packages lamplight builds, tests and runs with.
# Used by the README's first command and by CI alike, so that both stay true.
#   --browser   also install Debian's Chromium for the browser tests
set -euo pipefail

want_browser=0
for arg in "$@"; do
  case "$arg" in
    --browser) want_browser=1 ;;
    *) echo "unknown option: $arg" >&2; exit 2 ;;
  esac
done

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

packages=(
  build-essential cmake ninja-build pkg-config g++ clang-14 libclang-rt-14-dev
  libcaf-dev
  libprotobuf-dev protobuf-compiler
  libboost-dev libboost-test-dev libboost-program-options-dev
  libssl-dev
  libsrtp2-dev libusrsctp-dev libnice-dev libglib2.0-dev
  libvpx-dev libopus-dev libturbojpeg0-dev
  libedit-dev libsqlite3-dev libpq-dev postgresql
  janus
  iproute2 curl python3
)
if [ "$want_browser" -eq 1 ]; then
  packages+=(chromium)
fi

export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${packages[@]}"
