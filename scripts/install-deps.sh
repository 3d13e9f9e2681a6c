#!/usr/bin/env bash
# Installs the Debian packages segmentd needs to build, test and benchmark.
# Idempotent: only missing packages are installed; nothing is done when all
# are present. Needs root (or sudo) only when something is missing.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  libmysqlcppconn-dev libboost-dev libyaml-cpp-dev libspdlog-dev libfmt-dev
  libcli11-dev libssl-dev libsystemd-dev libhowardhinnant-date-dev tzdata
  nlohmann-json3-dev googletest libgtest-dev libgmock-dev
  mariadb-server mariadb-client
  gnuplot-nox openssl docker-compose prometheus curl chromium galera-4 rsync
  clang libclang-rt-14-dev
  libnlopt-cxx-dev python3-scipy python3-numpy
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# policy-rc.d keeps the package's own system server from being started: tests
# use private servers only.
if [ ! -e /usr/sbin/policy-rc.d ] && [ -z "$sudo" ]; then
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
