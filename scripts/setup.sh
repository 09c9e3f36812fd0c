#!/usr/bin/env bash
# Installs what paypipe needs to build, test and run on Debian 12, and nothing already there.
# Idempotent: a second run installs nothing. Needs root (or sudo).
#   scripts/setup.sh            # build, test and run
#   scripts/setup.sh --bench    # also the load generators the benchmarks under bench/ use
#
# The Debian packages of RabbitMQ and MariaDB would start system-wide services on the default
# ports; paypipe runs its own copies (scripts/services.sh), so service start-up is suppressed
# for the duration of the install.
set -euo pipefail

packages=(
  # toolchain
  g++ cmake ninja-build pkg-config ccache git curl ca-certificates procps iproute2
  # libraries
  librabbitmq-dev libmysqlcppconn-dev libuv1-dev libhttp-parser-dev libcurl4-openssl-dev
  nlohmann-json3-dev libgtest-dev libgmock-dev libbenchmark-dev libssl-dev libspdlog-dev
  libcli11-dev
  # servers and their clients
  rabbitmq-server mariadb-server mariadb-client
)
for arg in "$@"; do
  case $arg in
    --bench) packages+=(wrk) ;;
    *) echo "[setup] unknown option '$arg' (known: --bench)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "[setup] all ${#packages[@]} packages present"
  exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "[setup] need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi

echo "[setup] installing: ${missing[*]}"
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
  "${sudo[@]}" chmod +x "$policy"
  created_policy=1
fi
cleanup() { if [ $created_policy = 1 ]; then "${sudo[@]}" rm -f "$policy"; fi; }
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" -E apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "[setup] done"
