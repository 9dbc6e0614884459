#!/usr/bin/env bash
# Install the two real QEMUs vmdiff is tested against:
#   - Debian 12's own qemu-system-x86 (7.2), system-wide;
#   - QEMU 10.0 from bookworm-backports, unpacked under $VMDIFF_QEMU10_PREFIX
#     (default /opt/vmdiff/qemu-10.0) without touching the system's apt sources.
# The backports mirror is the one the machine's own Debian sources already use.
set -euo pipefail

prefix=${VMDIFF_QEMU10_PREFIX:-/opt/vmdiff/qemu-10.0}
state=${prefix%/*}/apt-backports

export DEBIAN_FRONTEND=noninteractive
if ! command -v qemu-system-x86_64 >/dev/null || ! command -v rsvg-convert >/dev/null; then
  apt-get update -qq
  apt-get install -y -qq qemu-system-x86 qemu-utils librsvg2-bin >/dev/null
fi

if [ -x "$prefix/usr/bin/qemu-system-x86_64" ]; then
  echo "QEMU 10.0 already in $prefix"
  exit 0
fi

mirror=$(grep -hoE '^(URIs:|deb) *https?://[^ ]+/debian/?( |$)' \
  /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null \
  | grep -oE 'https?://[^ ]+' | head -n 1 || true)
[ -n "$mirror" ] || { echo "install-qemu: no Debian mirror found in the apt sources" >&2; exit 1; }

mkdir -p "$state/lists/partial" "$state/archives/partial" "$prefix"
echo "deb ${mirror%/} bookworm-backports main" > "$state/sources.list"
apt_opts=(-oDir::Etc::SourceList="$state/sources.list" -oDir::Etc::SourceParts=/dev/null
          -oDir::State::Lists="$state/lists" -oDir::Cache::Archives="$state/archives")
apt-get "${apt_opts[@]}" update -qq
cd "$state"
apt-get "${apt_opts[@]}" download -qq qemu-system-x86 qemu-system-common qemu-system-data
for deb in "$state"/*.deb; do dpkg -x "$deb" "$prefix"; done
"$prefix/usr/bin/qemu-system-x86_64" --version | head -n 1
