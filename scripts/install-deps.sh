#!/usr/bin/env bash
# Installs what the platform and its tests need on a fresh Debian machine with Node 20:
# pnpm, and the Debian packages later suites use (redis-server for the recorder's Redis store tests, nats-server for the mqtrigger's;
# add them to APT_PACKAGES, they are installed only when missing).
set -euo pipefail

APT_PACKAGES=(redis-server nats-server prometheus)

if ! command -v pnpm >/dev/null 2>&1; then
  echo "installing pnpm 12…"
  npm i -g pnpm@12 >/dev/null
fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
