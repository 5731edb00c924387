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
  libcpp-httplib-dev libpugixml-dev libssl-dev curl openssl
  # delivery core (src/delivery): libcurl multi, OpenSSL libcrypto (HMAC, RNG), libopendkim;
  # its integration tests run real servers (aiosmtpd, Python's http.server) with Debian's python3;
  # Postfix's smtp-sink/smtp-source are for the delivery benchmarks.
  libcurl4-openssl-dev libssl-dev libopendkim-dev python3 python3-aiosmtpd postfix
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js and npm (the gateway's test clients): Debian's, unless a Node.js with its own npm is
# there already (a nodesource build, which Debian's npm package conflicts with).
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Postfix asks how to configure itself; only its smtp-sink/smtp-source tools are wanted here.
echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
