#!/usr/bin/env bash
# The stage runtime (`paypipe worker test-echo`) against the raw broker and database floors, in
# one run, on RabbitMQ and MariaDB servers of its own.
#
#   bench/runtime/run.sh [runtime_bench options]      e.g. --messages 20000 --repeat 2
#
# Builds paypipe and runtime_bench in the release preset (build/release), starts the servers
# with scripts/services.sh on the SVC_* ports below (override them in the environment), checks
# the durable settings, runs build/release/bench/runtime_bench (see its --help and the comment at
# the top of runtime_bench.cpp) and stops the servers again. SKIP_BUILD=1 skips the build;
# KEEP_SERVICES=1 leaves the servers running (stop them with the same SVC_* settings and
# `scripts/services.sh stop`).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

export SVC_DIR=${SVC_DIR:-$root/.local/bench-services}
export SVC_AMQP_PORT=${SVC_AMQP_PORT:-5812} SVC_MGMT_PORT=${SVC_MGMT_PORT:-15812}
export SVC_DIST_PORT=${SVC_DIST_PORT:-25812} SVC_EPMD_PORT=${SVC_EPMD_PORT:-4412}
export SVC_MYSQL_PORT=${SVC_MYSQL_PORT:-3412}

# What the binaries were built from, recorded at build time (the tree may move on afterwards).
source_file=build/release/bench/runtime_bench.source
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  cmake --preset release >/dev/null
  cmake --build --preset release -j2 --target paypipe runtime_bench
  dirty=$(git status --porcelain -- common workers migrations topology bench | awk '{print $2}' | tr '\n' ' ' | sed 's/ $//')
  echo "$(git rev-parse --short HEAD)${dirty:+ with uncommitted changes in: $dirty}, built $(date -u +%FT%TZ)" >"$source_file"
fi

stop_services() { [ "${KEEP_SERVICES:-0}" = 1 ] || scripts/services.sh stop; }
trap stop_services EXIT
scripts/services.sh start
eval "$(scripts/services.sh env)"

socket=$SVC_DIR/mariadb-$SVC_MYSQL_PORT/mysqld.sock
sql() { mariadb --no-defaults --socket="$socket" -u root -N -B -e "$1"; }
read -r flush binlog doublewrite version < <(sql \
  "SELECT @@innodb_flush_log_at_trx_commit, @@log_bin, @@innodb_doublewrite, @@version")
[ "$flush" = 1 ] || { echo "innodb_flush_log_at_trx_commit is $flush, not 1" >&2; exit 1; }
overview=$(curl -fsS -u "${SVC_USER:-paypipe}:${SVC_PASSWORD:-paypipe}" "http://127.0.0.1:$SVC_MGMT_PORT/api/overview")
rabbit_version=$(python3 -c 'import json,sys; o=json.load(sys.stdin); print(o["rabbitmq_version"], "on Erlang", o["erlang_version"])' <<<"$overview")

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')," \
  "$(awk '/MemTotal/ {printf "%.0f GiB RAM", $2 / 1048576}' /proc/meminfo), Linux $(uname -r)"
echo "== storage of the servers' data: $(df --output=source,fstype "$SVC_DIR" | tail -1 | tr -s ' ')"
echo "== RabbitMQ $rabbit_version; MariaDB $version (innodb_flush_log_at_trx_commit=$flush," \
  "log_bin=$binlog, doublewrite=$doublewrite)"
echo "== rabbitmq-c $(pkg-config --modversion librabbitmq);" \
  "$(dpkg-query -W -f '${Package} ${Version}' libmysqlcppconn7v5 2>/dev/null || echo 'Connector/C++ ?');" \
  "$(c++ --version | head -1)"
echo "== source: $(cat "$source_file" 2>/dev/null || echo 'unknown (built outside run.sh)')"
echo "== load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

logs=$SVC_DIR/bench-logs
mkdir -p "$logs"
build/release/bench/runtime_bench --paypipe build/release/workers/cli/paypipe \
  --broker-pid "$(cat "$SVC_DIR/rabbitmq-$SVC_AMQP_PORT/rabbitmq.pid")" \
  --db-pid "$(cat "$SVC_DIR/mariadb-$SVC_MYSQL_PORT/mariadb.pid")" \
  --log-dir "$logs" "$@"

queues=$(curl -fsS -u "${SVC_USER:-paypipe}:${SVC_PASSWORD:-paypipe}" "http://127.0.0.1:$SVC_MGMT_PORT/api/queues/%2f")
echo "== queue types: $(python3 -c 'import json, sys
print(", ".join(q["name"] + "=" + q["type"] for q in json.load(sys.stdin)
                if q["name"] in ("paypipe.test-echo", "paypipe.test-echo-sink")))' <<<"$queues")"
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
