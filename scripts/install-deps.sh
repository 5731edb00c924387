#!/usr/bin/env bash
# Installs what building, testing and running message_center needs, from Debian packages.
# Idempotent; as root on Debian 12 (uses sudo otherwise, when available).
set -euo pipefail

packages=(
  build-essential make cmake pkg-config clang-14 llvm-14 clang-format
  postgresql-15 postgresql-server-dev-15 postgresql-contrib libpq-dev
  postgresql-15-cron postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl
  libgtest-dev libgmock-dev libbenchmark-dev nlohmann-json3-dev
  # mc-gateway: HTTP server, XML, and its end-to-end test (Adobe's SDK from npm, curl, openssl)
  libcpp-httplib-dev libpugixml-dev libssl-dev nodejs npm curl openssl
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
