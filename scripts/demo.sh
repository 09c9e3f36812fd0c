#!/usr/bin/env bash
# The README's demo: on a fresh Debian 12 machine, installs what is missing, builds the release
# binary, starts a private RabbitMQ and MariaDB (ports of their own, so a development copy is left
# alone), applies the migrations and the topology, registers a demo partner, and runs the sim (Toss
# with faults: PG errors, timeouts after the PG applied the confirm, declined cards, duplicate and
# out-of-order webhooks), the gateway and a worker running confirm and webhook-intake. A storefront
# (`paypipe demo drive`) then checks out and confirms a few thousand orders, some with a wrong
# amount, some confirmed twice, waits until the pipeline is idle and prints the report. Everything
# started here is stopped on exit.
#
#   scripts/demo.sh                      # 2000 orders, a few minutes on 2 cores
#   scripts/demo.sh --checkouts 10000    # more
#   scripts/demo.sh --help
#
# Exit status 0 when the report says PASS (every payment as the PG has it, the ledger balanced,
# nothing paid twice), 1 otherwise. Logs of every process stay in .local/demo-run/.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

checkouts=2000
concurrency=16
rate=0
seed=42
worker_concurrency=8
keep_services=0
usage() {
  cat <<EOF
usage: scripts/demo.sh [--checkouts N] [--concurrency N] [--rate N] [--seed N]
                       [--worker-concurrency N] [--keep-services]
  --checkouts N           orders to check out and confirm (default $checkouts)
  --concurrency N         storefront requests in flight (default $concurrency)
  --rate N                orders started per second; 0: as fast as the gateway answers, so that
                          the pipeline works off a backlog (default $rate)
  --seed N                seed of the sim's faults and of the storefront's orders (default $seed)
  --worker-concurrency N  messages each stage processes in parallel (default $worker_concurrency)
  --keep-services         leave RabbitMQ and MariaDB running afterwards
Ports: DEMO_AMQP_PORT (5852), DEMO_MGMT_PORT (15852), DEMO_DIST_PORT (25852), DEMO_EPMD_PORT
(4452), DEMO_MYSQL_PORT (3452); data under DEMO_SVC_DIR (.local/demo-services).
EOF
}
while [ $# -gt 0 ]; do
  case $1 in
    --checkouts) checkouts=$2; shift 2 ;;
    --concurrency) concurrency=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --worker-concurrency) worker_concurrency=$2; shift 2 ;;
    --keep-services) keep_services=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "demo.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
done

start=$(date +%s)
stamp() { printf '[demo %4ss] %s\n' $(($(date +%s) - start)) "$*" >&2; }

stamp "setting up"
scripts/setup.sh

# Only the binary: the demo needs nothing else, and the tests of the preset take long to build.
stamp "building paypipe (preset release)"
cmake --preset release >/dev/null
cmake --build --preset release --target paypipe
paypipe=$root/build/release/workers/cli/paypipe

# The demo's own servers. SVC_* of a shell that ran `eval "$(scripts/services.sh env)"` are
# deliberately not inherited: they name the developer's copy.
export SVC_DIR=${DEMO_SVC_DIR:-$root/.local/demo-services}
export SVC_AMQP_PORT=${DEMO_AMQP_PORT:-5852}
export SVC_MGMT_PORT=${DEMO_MGMT_PORT:-15852}
export SVC_DIST_PORT=${DEMO_DIST_PORT:-25852}
export SVC_EPMD_PORT=${DEMO_EPMD_PORT:-4452}
export SVC_MYSQL_PORT=${DEMO_MYSQL_PORT:-3452}
user=${SVC_USER:-paypipe}
password=${SVC_PASSWORD:-paypipe}

run_dir=$root/.local/demo-run
rm -rf "$run_dir"
mkdir -p "$run_dir"

pids=()
started=()
cleanup() {
  local rc=$? i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill -TERM "${pids[i]}" 2>/dev/null || true; done
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do wait "${pids[i]}" 2>/dev/null || true; done
  if [ $keep_services = 0 ]; then
    for s in "${started[@]}"; do scripts/services.sh stop "$s" || true; done
  fi
  stamp "done (logs in ${run_dir#"$root"/})"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for s in rabbitmq mariadb; do
  if ! scripts/services.sh status "$s" >/dev/null 2>&1; then
    scripts/services.sh start "$s"
    started+=("$s")
  fi
done

# A vhost and a database of the demo's own, fresh on every run.
stamp "creating vhost paypipe-demo and database paypipe_demo"
vhost=paypipe-demo
database=paypipe_demo
mgmt=http://127.0.0.1:$SVC_MGMT_PORT/api
curl -sS -o /dev/null -u "$user:$password" -X DELETE "$mgmt/vhosts/$vhost"
curl -fsS -o /dev/null -u "$user:$password" -X PUT "$mgmt/vhosts/$vhost"
curl -fsS -o /dev/null -u "$user:$password" -X PUT -H 'Content-Type: application/json' \
  -d '{"configure":".*","write":".*","read":".*"}' "$mgmt/permissions/$vhost/$user"
sql() {
  MYSQL_PWD=$password mariadb --no-defaults --protocol=tcp -h 127.0.0.1 -P "$SVC_MYSQL_PORT" \
    -u "$user" "$@"
}
sql -e "DROP DATABASE IF EXISTS $database; CREATE DATABASE $database CHARACTER SET utf8mb4"

export PAYPIPE_AMQP_URL="amqp://$user:$password@127.0.0.1:$SVC_AMQP_PORT/$vhost"
export PAYPIPE_MYSQL_URL="mysql://$user:$password@127.0.0.1:$SVC_MYSQL_PORT/$database"
export PAYPIPE_RABBITMQ_API_URL="http://$user:$password@127.0.0.1:$SVC_MGMT_PORT"
export PAYPIPE_API_TOKEN=demo-api-token
export PAYPIPE_TOSS_SECRET_KEY=test_sk_demo
export PAYPIPE_SHUTDOWN_GRACE=5s
export PAYPIPE_LOG_LEVEL=warn

stamp "applying migrations and topology"
"$paypipe" migrate up
"$paypipe" topology apply
# Fee 2.5 % + 10 % VAT on the fee, no withholding, paid out D+1.
sql "$database" -e "INSERT INTO partners (partner_id, name, status, fee_rate_bps,
  fee_vat_rate_bps, withholding_rate_bps, settlement_delay_days)
  VALUES ('demo-partner', '데모 상점', 'ACTIVE', 250, 1000, 0, 1)"

# Waits until `file` has a JSON log line with msg `message` and prints its "port".
port_from_log() {
  local file=$1 message=$2 pid=$3 i line
  for ((i = 0; i < 300; i++)); do
    line=$(grep -m1 "\"msg\":\"$message\"" "$file" 2>/dev/null || true)
    if [ -n "$line" ]; then
      sed -E 's/.*"port":([0-9]+).*/\1/' <<<"$line"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "demo.sh: $file: no '$message' line" >&2
  tail -n 20 "$file" >&2 || true
  return 1
}

stamp "starting gateway, sim and worker"
PAYPIPE_HTTP_ADDR=127.0.0.1:0 PAYPIPE_LOG_LEVEL=info \
  "$paypipe" gateway --db-threads 8 >"$run_dir/gateway.out" 2>"$run_dir/gateway.log" &
pids+=($!)
gateway_port=$(port_from_log "$run_dir/gateway.log" "gateway listening" "${pids[-1]}")

# The PG misbehaves as PGs do: an outage answers the first 60 confirms PROVIDER_ERROR (retried
# after the 5 s tier with the same Idempotency-Key); then 1.5 % of confirms are applied but never
# answered and 0.5 % answered UNKNOWN_PAYMENT_ERROR after applying (both resolved by a look-up),
# 3 % of cards are declined; webhooks are duplicated and reordered 10 % each. Scattered
# PROVIDER_ERRORs would do as well, but a payment unlucky enough to meet several in a row waits
# for the 120 s and 600 s retry tiers, longer than a demo should take.
cat >"$run_dir/faults.json" <<'EOF'
{"endpoints": {
   "toss.confirm": {
     "latency": {"kind": "uniform", "min_ms": 5, "max_ms": 40},
     "faults": [
       {"error": "PROVIDER_ERROR", "count": 60},
       {"timeout": "after_apply", "probability": 0.015},
       {"error": "UNKNOWN_PAYMENT_ERROR", "probability": 0.005, "after_apply": true},
       {"error": "REJECT_CARD_COMPANY", "probability": 0.03}],
     "hold_ms": 3000},
   "toss.get_payment": {"latency": {"kind": "uniform", "min_ms": 2, "max_ms": 20}}},
 "webhooks": {"duplicate": 0.1, "out_of_order": 0.1, "reorder_max_hold_ms": 500}}
EOF
"$paypipe" sim --http-addr 127.0.0.1:0 --port-file "$run_dir/sim.port" --seed "$seed" \
  --faults "$run_dir/faults.json" \
  --toss-webhook-url "http://127.0.0.1:$gateway_port/webhooks/toss" \
  --webhook-time-scale 0.001 >"$run_dir/sim.out" 2>"$run_dir/sim.log" &
pids+=($!)
for ((i = 0; i < 300; i++)); do
  [ -s "$run_dir/sim.port" ] && break
  kill -0 "${pids[-1]}" 2>/dev/null || { cat "$run_dir/sim.log" >&2; exit 1; }
  sleep 0.1
done
sim_port=$(cat "$run_dir/sim.port")

# The confirm stage calls the sim with a 2 s limit: a withheld answer costs 2 s, not 10.
PAYPIPE_HTTP_ADDR=127.0.0.1:0 PAYPIPE_LOG_LEVEL=info \
  PAYPIPE_TOSS_API_BASE="http://127.0.0.1:$sim_port/toss" PAYPIPE_HTTP_CLIENT_TIMEOUT=2s \
  PAYPIPE_CONCURRENCY=$worker_concurrency \
  "$paypipe" worker confirm,webhook-intake >"$run_dir/worker.out" 2>"$run_dir/worker.log" &
pids+=($!)
worker_port=$(port_from_log "$run_dir/worker.log" "serving health and metrics" "${pids[-1]}")
stamp "gateway :$gateway_port, sim :$sim_port, worker :$worker_port"

stamp "driving $checkouts checkouts ($concurrency in flight)"
rc=0
"$paypipe" demo drive --gateway-url "http://127.0.0.1:$gateway_port" \
  --sim-url "http://127.0.0.1:$sim_port" --worker-metrics-url "http://127.0.0.1:$worker_port" \
  --checkouts "$checkouts" --concurrency "$concurrency" --rate "$rate" --seed "$seed" || rc=$?
exit $rc
