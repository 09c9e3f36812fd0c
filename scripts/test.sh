#!/usr/bin/env bash
# The test command: installs what is missing, builds with warnings as errors, starts a private
# RabbitMQ and MariaDB on ports of their own (so a development copy on the default ports is
# left alone), runs every test suite, and stops what it started.
#
#   scripts/test.sh              # everything
#   scripts/test.sh -L unit      # extra arguments go to ctest (e.g. a label or -R regex)
#
# Settings: PAYPIPE_TEST_PRESET (ci), PAYPIPE_TEST_JOBS (2), and TEST_SVC_DIR plus
# TEST_SVC_{AMQP,MGMT,DIST,EPMD,MYSQL}_PORT for its servers (defaults: .local/test-services,
# 5782, 15782, 25782, 4382, 3382).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
preset=${PAYPIPE_TEST_PRESET:-ci}
jobs=${PAYPIPE_TEST_JOBS:-2}
start=$(date +%s)

stamp() { printf '[test %4ss] %s\n' $(($(date +%s) - start)) "$*"; }

stamp "setting up"
scripts/setup.sh

stamp "building (preset $preset)"
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j "$jobs"

# Its own servers, whatever SVC_* a shell may carry from `eval "$(scripts/services.sh env)"`
# (those name a development copy, which the disruptive tests would restart).
export SVC_DIR=${TEST_SVC_DIR:-$root/.local/test-services}
export SVC_AMQP_PORT=${TEST_SVC_AMQP_PORT:-5782}
export SVC_MGMT_PORT=${TEST_SVC_MGMT_PORT:-15782}
export SVC_DIST_PORT=${TEST_SVC_DIST_PORT:-25782}
export SVC_EPMD_PORT=${TEST_SVC_EPMD_PORT:-4382}
export SVC_MYSQL_PORT=${TEST_SVC_MYSQL_PORT:-3382}

started=()
stop_started() {
  local s
  for s in "${started[@]}"; do scripts/services.sh stop "$s" || true; done
}
trap stop_started EXIT
for s in rabbitmq mariadb; do
  if ! scripts/services.sh status "$s" >/dev/null 2>&1; then
    scripts/services.sh start "$s"
    started+=("$s")
  fi
done
eval "$(scripts/services.sh env)"

# The shared database and vhost get the schema and topology a deployment gets (tests use
# databases and vhosts of their own, so this also proves both commands on a live server).
stamp "applying migrations and topology"
paypipe="build/$preset/workers/cli/paypipe"
PAYPIPE_LOG_LEVEL=warn "$paypipe" migrate up
PAYPIPE_LOG_LEVEL=warn PAYPIPE_RABBITMQ_API_URL="$TEST_RABBITMQ_API_URL" "$paypipe" topology apply

stamp "running tests"
ctest --preset "$preset" -j "$jobs" --timeout 900 "$@"
stamp "all tests passed"
