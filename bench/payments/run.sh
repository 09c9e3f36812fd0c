#!/usr/bin/env bash
# The payments benchmark, in one run on RabbitMQ and MariaDB servers of its own:
#   G  the gateway alone: Toss webhooks accepted with broker confirms, closed loop (wrk) and open
#      loop at fixed rates (payments_load open: latency from each request's due time);
#   E  end to end: checkout -> confirm -> PAID with invoice and ledger committed (`paypipe demo
#      drive` as the storefront, the sim as the PG without faults, `paypipe worker
#      webhook-intake,confirm`), closed loop per worker concurrency, then open loop at offered
#      rates below the capacity found; the books are checked after every phase;
#   M  the gateway's memory under 10,000 idle keep-alive connections and slow clients, and a wrk
#      load's rate and p99 with and without them;
#   F  the raw broker and database floors (bench/runtime's runtime_bench, phases a and b).
# Per phase: CPU of every process (utime + stime from /proc/<pid>/stat, sampled every 0.5 s) and
# of the rest of the machine, MariaDB's status and per-client counters, the stages' and the
# gateway's /metrics, the load average. See RESULTS.md for the method and a run's figures.
#
#   bench/payments/run.sh                 # full: about 8 minutes plus the build
#   bench/payments/run.sh --quick         # every kind of phase once, short: about 3 minutes
#   bench/payments/run.sh --perf          # also: perf profiles of gateway and worker (+2 min)
#   bench/payments/run.sh --only GEMF     # a subset of the parts, in that order
#
# Environment: BUILD_DIR (default build/release, configured from the release preset);
# SKIP_BUILD=1 reuses its binaries; KEEP_SERVICES=1 leaves the servers running; OUT_DIR (default
# .local/payments-bench/<UTC time>) receives every process's log, the raw figures and the report
# (report.md; bench/payments/report.py OUT_DIR prints it again). Servers: SVC_DIR and the SVC_*
# ports below; HTTP: gateway, sim and worker on HTTP_PORT_BASE, +1, +2.
# Phases: GATEWAY_CONNECTIONS (wrk connection counts, "16 64 256"), GATEWAY_RATES (open-loop
# webhooks/s, "1000 2500 5000 7500 10000"), OPEN_CONNECTIONS (the open-loop client's, 1000),
# E2E_CONCURRENCY (worker concurrencies, "1 2 4"), E2E_CHECKOUTS (closed-loop orders per
# phase, 8000), E2E_RATES (offered orders/s; default: 30, 60 and 90 % of the best closed-loop
# rate), E2E_DRIVERS (storefront threads, 128). Measured processes: GATEWAY_ARGS (extra `paypipe
# gateway` flags), WORKER_ENV (PAYPIPE_*=value settings of the worker, space-separated; default
# "PAYPIPE_BATCH_SIZE=128 PAYPIPE_AMQP_PREFETCH=256": on two cores a consume thread's batch, not
# its CPU, bounds the confirm stage).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
here=$root/bench/payments

quick=0
perf=0
only=GEMF
while [ $# -gt 0 ]; do
  case $1 in
    --quick) quick=1; shift ;;
    --perf) perf=1; shift ;;
    --only) only=$2; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done

export SVC_DIR=${SVC_DIR:-$root/.local/paybench-services}
export SVC_AMQP_PORT=${SVC_AMQP_PORT:-5862} SVC_MGMT_PORT=${SVC_MGMT_PORT:-15862}
export SVC_DIST_PORT=${SVC_DIST_PORT:-25862} SVC_EPMD_PORT=${SVC_EPMD_PORT:-4462}
export SVC_MYSQL_PORT=${SVC_MYSQL_PORT:-3462}
http_base=${HTTP_PORT_BASE:-18500}
gateway_port=$http_base sim_port=$((http_base + 1)) worker_port=$((http_base + 2))
build=${BUILD_DIR:-build/release}
out=${OUT_DIR:-$root/.local/payments-bench/$(date -u +%Y%m%dT%H%M%SZ)}
user=${SVC_USER:-paypipe} password=${SVC_PASSWORD:-paypipe}

if [ $quick = 1 ]; then
  gateway_connections=${GATEWAY_CONNECTIONS:-64}
  gateway_rates=${GATEWAY_RATES:-"2500 5000"}
  wrk_seconds=5 open_seconds=8 open_warmup=2
  e2e_concurrency=${E2E_CONCURRENCY:-1}
  e2e_checkouts=${E2E_CHECKOUTS:-3000}
  e2e_open_seconds=10
  hold_seconds=35 memory_wrk_seconds=5
else
  gateway_connections=${GATEWAY_CONNECTIONS:-"16 64 256"}
  gateway_rates=${GATEWAY_RATES:-"1000 2500 5000 7500 10000"}
  wrk_seconds=10 open_seconds=15 open_warmup=3
  e2e_concurrency=${E2E_CONCURRENCY:-"1 2 4"}
  e2e_checkouts=${E2E_CHECKOUTS:-8000}
  e2e_open_seconds=20
  hold_seconds=45 memory_wrk_seconds=10
fi
e2e_drivers=${E2E_DRIVERS:-128}
worker_env=${WORKER_ENV-"PAYPIPE_BATCH_SIZE=128 PAYPIPE_AMQP_PREFETCH=256"}
# Webhook senders of a PG work in parallel: enough connections that the client never queues
# below the gateway's capacity (a request that waits for one is still timed from its due time).
open_connections=${OPEN_CONNECTIONS:-1000}

stamp_start=$(date +%s)
stamp() { printf '[bench %4ss] %s\n' $(($(date +%s) - stamp_start)) "$*" >&2; }
die() { echo "run.sh: $*" >&2; exit 1; }

command -v wrk >/dev/null || die "wrk is missing: scripts/setup.sh --bench"
# 10,000 idle connections need as many descriptors in the gateway and in the client.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge 11000 ] \
  || die "ulimit -n is $(ulimit -n); the memory phase needs 11,000 descriptors per process"

# --- build --------------------------------------------------------------------------------------
mkdir -p "$out"
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  stamp "building paypipe, payments_load, runtime_bench in $build (release preset)"
  if [ "$build" = build/release ]; then cmake --preset release >/dev/null
  else cmake --preset release -B "$build" >/dev/null; fi
  cmake --build "$build" -j2 --target paypipe payments_load runtime_bench
  dirty=$(git status --porcelain -- common workers migrations topology bench | awk '{print $2}' | tr '\n' ' ' | sed 's/ $//')
  echo "$(git rev-parse --short HEAD)${dirty:+ with uncommitted changes in: $dirty}, built $(date -u +%FT%TZ)" >"$build/bench/payments.source"
fi
build_path=$(cd "$build" 2>/dev/null && pwd) || die "no build directory $build"
paypipe=$build_path/workers/cli/paypipe
load=$build_path/bench/payments_load
if [ ! -x "$paypipe" ] || [ ! -x "$load" ]; then die "no binaries in $build (drop SKIP_BUILD)"; fi

# --- servers ------------------------------------------------------------------------------------
pids=()
stop_all() {
  local rc=$? i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill -TERM "${pids[i]}" 2>/dev/null || true; done
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do wait "${pids[i]}" 2>/dev/null || true; done
  [ "${KEEP_SERVICES:-0}" = 1 ] || scripts/services.sh stop || true
  stamp "done; everything is in ${out#"$root"/}"
  exit $rc
}
trap stop_all EXIT
trap 'exit 130' INT TERM
scripts/services.sh start
eval "$(scripts/services.sh env)"
rabbit_pid=$(cat "$SVC_DIR/rabbitmq-$SVC_AMQP_PORT/rabbitmq.pid")
mariadb_pid=$(cat "$SVC_DIR/mariadb-$SVC_MYSQL_PORT/mariadb.pid")
socket=$SVC_DIR/mariadb-$SVC_MYSQL_PORT/mysqld.sock
sql() { mariadb --no-defaults --socket="$socket" -u root -N -B "$@"; }
mgmt=http://127.0.0.1:$SVC_MGMT_PORT/api
api() { curl -fsS -u "$user:$password" "$@"; }

# Per-user statement, commit and CPU counters (information_schema.USER_STATISTICS): the gateway
# and the worker connect as users of their own, so that MariaDB's work splits by process.
sql -e "SET GLOBAL userstat = 1"
for db_user in pb_gateway pb_worker; do
  sql -e "CREATE USER IF NOT EXISTS '$db_user'@'127.0.0.1' IDENTIFIED BY '$password';
    GRANT ALL PRIVILEGES ON *.* TO '$db_user'@'127.0.0.1'"
done
read -r flush binlog doublewrite version < <(sql -e \
  "SELECT @@innodb_flush_log_at_trx_commit, @@log_bin, @@innodb_doublewrite, @@version")
[ "$flush" = 1 ] || die "innodb_flush_log_at_trx_commit is $flush, not 1"
rabbit_version=$(api "$mgmt/overview" | python3 -c \
  'import json,sys; o=json.load(sys.stdin); print(o["rabbitmq_version"], "on Erlang", o["erlang_version"])')
{
  echo "machine=$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(awk '/MemTotal/ {printf "%.0f GiB RAM", $2 / 1048576}' /proc/meminfo), Linux $(uname -r)"
  echo "storage=$(df --output=source,fstype "$SVC_DIR" | tail -1 | tr -s ' ')"
  echo "servers=RabbitMQ $rabbit_version; MariaDB $version (innodb_flush_log_at_trx_commit=$flush, log_bin=$binlog, doublewrite=$doublewrite)"
  echo "tools=$(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2); $(c++ --version | head -1)"
  echo "source=$(cat "$build/bench/payments.source" 2>/dev/null || echo 'unknown (built outside run.sh)')"
  echo "mode=$([ $quick = 1 ] && echo quick || echo full)$([ $perf = 1 ] && echo ' with perf')"
  echo "worker_settings=${worker_env:-defaults}"
  echo "gateway_flags=--db-threads 8 ${GATEWAY_ARGS:-}"
  echo "started=$(date -u +%FT%TZ)"
  echo "load_before=$(cut -d' ' -f1-3 /proc/loadavg)"
} >"$out/run.env"
sed 's/^/== /' "$out/run.env" >&2

# --- CPU and memory samples ---------------------------------------------------------------------
# Every 0.5 s: "<unix time> <name> <pid> <utime+stime ticks> <rss KiB>" for the processes named
# in $out/pids ("name pid" lines, rewritten as processes come and go), and the busy and stolen
# ticks of the whole machine (/proc/stat, as "machine" and "steal"). Builtins only, no forks.
echo "rabbitmq $rabbit_pid" >"$out/pids"
echo "mariadb $mariadb_pid" >>"$out/pids"
register() {  # name pid
  { grep -v "^$1 " "$out/pids" || true; echo "$1 $2"; } >"$out/pids.new"
  mv "$out/pids.new" "$out/pids"
}
unregister() { { grep -v "^$1 " "$out/pids" || true; } >"$out/pids.new"; mv "$out/pids.new" "$out/pids"; }
sampler() {
  local name pid stat fields pause user nice system irq softirq steal
  exec {pause}<> <(:)  # a pipe nobody writes to: `read -t` on it sleeps without a fork
  while :; do
    # The whole machine too: what the other processes on it took is the noise in the figures.
    read -r _ user nice system _ _ irq softirq steal _ </proc/stat
    echo "$EPOCHREALTIME machine 0 $((user + nice + system + irq + softirq)) 0"
    echo "$EPOCHREALTIME steal 0 $steal 0"
    while read -r name pid; do
      if read -r stat 2>/dev/null <"/proc/$pid/stat"; then
        read -ra fields <<<"${stat##*) }"
        # After the command: state is field 3, utime 14, stime 15, rss (pages) 24.
        echo "$EPOCHREALTIME $name $pid $((fields[11] + fields[12])) $((fields[21] * 4))"
      fi
    done <"$out/pids"
    read -rt 0.5 -u "$pause" || true
  done >>"$out/samples"
}
sampler &
sampler_pid=$!
pids+=("$sampler_pid")
echo "clk_tck=$(getconf CLK_TCK)" >>"$out/run.env"

# --- phases -------------------------------------------------------------------------------------
# A phase is a directory under $out/phases with a `meta` file (key=value: kind, parameters,
# t0/t1 as unix times, the pids measured, load average) and whatever the phase produced.
phase_no=0
phase_dir=
phase_begin() {  # name kind key=value...
  phase_no=$((phase_no + 1))
  phase_dir=$out/phases/$(printf '%02d' $phase_no)-$1
  mkdir -p "$phase_dir"
  { echo "name=$1"; echo "kind=$2"; shift 2; for kv in "$@"; do echo "$kv"; done; } >"$phase_dir/meta"
  cp "$out/pids" "$phase_dir/pids"
  snapshot before
}
phase_mark() { echo "$1=$EPOCHREALTIME" >>"$phase_dir/meta"; }
phase_end() {
  snapshot after
  cp "$out/pids" "$phase_dir/pids.end"
  echo "load=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$phase_dir/meta"
}
# Counters around a phase: MariaDB's, the gateway's and the worker's /metrics.
snapshot() {
  sql -e "SHOW GLOBAL STATUS" >"$phase_dir/db-status.$1"
  sql -e "SELECT USER, COMMIT_TRANSACTIONS, ROLLBACK_TRANSACTIONS, SELECT_COMMANDS,
    UPDATE_COMMANDS, OTHER_COMMANDS, ROWS_READ, ROWS_INSERTED, ROWS_UPDATED, BUSY_TIME, CPU_TIME
    FROM information_schema.USER_STATISTICS" >"$phase_dir/db-users.$1"
  curl -fsS "http://127.0.0.1:$gateway_port/metrics" >"$phase_dir/gateway-metrics.$1" 2>/dev/null || true
  curl -fsS "http://127.0.0.1:$worker_port/metrics" >"$phase_dir/worker-metrics.$1" 2>/dev/null || true
}

wait_http() {  # url pid what
  local i
  for ((i = 0; i < 300; i++)); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || die "$3 exited; see its log in ${out#"$root"/}"
    sleep 0.1
  done
  die "$3 did not become ready"
}
stop_process() {  # name pid
  kill -TERM "$2" 2>/dev/null || true
  wait "$2" 2>/dev/null || true
  unregister "$1"
}

vhost="paypipe-payments"
database=paypipe_payments
export PAYPIPE_AMQP_URL="amqp://$user:$password@127.0.0.1:$SVC_AMQP_PORT/$vhost"
database_url() { echo "mysql://$1:$password@127.0.0.1:$SVC_MYSQL_PORT/$database"; }
PAYPIPE_MYSQL_URL=$(database_url "$user")
export PAYPIPE_MYSQL_URL
export PAYPIPE_RABBITMQ_API_URL="http://$user:$password@127.0.0.1:$SVC_MGMT_PORT"
export PAYPIPE_API_TOKEN=bench-api-token
export PAYPIPE_TOSS_SECRET_KEY=test_sk_bench
export PAYPIPE_SHUTDOWN_GRACE=10s
export PAYPIPE_LOG_LEVEL=warn

# A vhost and a database nobody has used: topology, migrations, one partner.
fresh_pipeline() {
  api -o /dev/null -X DELETE "$mgmt/vhosts/$vhost" 2>/dev/null || true
  api -o /dev/null -X PUT "$mgmt/vhosts/$vhost"
  api -o /dev/null -X PUT -H 'Content-Type: application/json' \
    -d '{"configure":".*","write":".*","read":".*"}' "$mgmt/permissions/$vhost/$user"
  sql -e "DROP DATABASE IF EXISTS $database; CREATE DATABASE $database CHARACTER SET utf8mb4"
  "$paypipe" migrate up >>"$out/setup.log" 2>&1
  "$paypipe" topology apply >>"$out/setup.log" 2>&1
  sql "$database" -e "INSERT INTO partners (partner_id, name, status, fee_rate_bps,
    fee_vat_rate_bps, withholding_rate_bps, settlement_delay_days)
    VALUES ('bench-partner', '벤치 상점', 'ACTIVE', 250, 1000, 0, 1)"
  # The stages' work queues must be what production runs: quorum queues.
  local types
  types=$(api "$mgmt/queues/$vhost?columns=name,type" | python3 -c 'import json, sys
print(" ".join(q["name"] + "=" + q["type"] for q in json.load(sys.stdin)
               if q["name"] in ("paypipe.webhook-intake", "paypipe.confirm")))')
  case $types in
    *=classic* | "") die "the stage queues are not quorum queues: ${types:-none}" ;;
  esac
  grep -q '^queues=' "$out/run.env" || echo "queues=$types" >>"$out/run.env"
}
purge_intake() {
  api -o /dev/null -X DELETE "$mgmt/queues/$vhost/paypipe.webhook-intake/contents"
}

gateway_pid=
start_gateway() {
  # shellcheck disable=SC2086 # GATEWAY_ARGS is a list of flags
  PAYPIPE_HTTP_ADDR=127.0.0.1:$gateway_port PAYPIPE_MYSQL_URL=$(database_url pb_gateway) \
    "$paypipe" gateway --db-threads 8 ${GATEWAY_ARGS:-} >>"$out/gateway.out" 2>>"$out/gateway.log" &
  gateway_pid=$!
  pids+=("$gateway_pid")
  wait_http "http://127.0.0.1:$gateway_port/readyz" "$gateway_pid" gateway
  register gateway "$gateway_pid"
}
stop_gateway() { stop_process gateway "$gateway_pid"; }

worker_pid=
start_worker() {  # concurrency
  # shellcheck disable=SC2086 # worker_env is a list of assignments
  env $worker_env PAYPIPE_HTTP_ADDR=127.0.0.1:$worker_port PAYPIPE_CONCURRENCY=$1 \
    PAYPIPE_MYSQL_URL="$(database_url pb_worker)" \
    PAYPIPE_TOSS_API_BASE="http://127.0.0.1:$sim_port/toss" \
    "$paypipe" worker webhook-intake,confirm >>"$out/worker.out" 2>>"$out/worker.log" &
  worker_pid=$!
  pids+=("$worker_pid")
  wait_http "http://127.0.0.1:$worker_port/readyz" "$worker_pid" worker
  register worker "$worker_pid"
}
stop_worker() { stop_process worker "$worker_pid"; }

# The PG without faults; its webhooks go to the gateway (retry schedule compressed 1000x).
"$paypipe" sim --http-addr "127.0.0.1:$sim_port" --seed 7 --loop-threads 2 \
  --toss-webhook-url "http://127.0.0.1:$gateway_port/webhooks/toss" \
  --webhook-time-scale 0.001 >"$out/sim.out" 2>"$out/sim.log" &
sim_pid=$!
pids+=("$sim_pid")
wait_http "http://127.0.0.1:$sim_port/_sim/health" "$sim_pid" sim
register sim "$sim_pid"
sim=http://127.0.0.1:$sim_port

# A webhook body exactly as the sim sends it for a DONE card payment, ids made placeholders.
toss_auth="Basic $(printf '%s:' "$PAYPIPE_TOSS_SECRET_KEY" | base64)"
curl -fsS -o /dev/null -XPOST "$sim/_sim/toss/sessions" -H 'Content-Type: application/json' \
  -d '{"orderId":"bench-template","amount":15000,"orderName":"벤치 주문","paymentKey":"tbench_template"}'
curl -fsS -o /dev/null -XPOST "$sim/toss/v1/payments/confirm" -H "Authorization: $toss_auth" \
  -H 'Content-Type: application/json' \
  -d '{"paymentKey":"tbench_template","orderId":"bench-template","amount":15000}'
curl -fsS "$sim/toss/v1/payments/tbench_template" -H "Authorization: $toss_auth" | python3 -c '
import datetime, json, sys
payment = json.load(sys.stdin)
kst = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=9)))
body = {"eventType": "PAYMENT_STATUS_CHANGED",
        "createdAt": kst.strftime("%Y-%m-%dT%H:%M:%S.%f"), "data": payment}
text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
sys.stdout.write(text.replace("tbench_template", "{{paymentKey}}").replace("bench-template", "{{orderId}}"))
' >"$out/webhook-body.json"
export BODY_TEMPLATE=$out/webhook-body.json
echo "webhook_body_bytes=$(wc -c <"$BODY_TEMPLATE")" >>"$out/run.env"
curl -fsS -o /dev/null -XPOST "$sim/_sim/reset"

wrk_run() {  # connections seconds run-tag  (in the current phase)
  phase_mark t0
  BENCH_RUN=$3 wrk -t2 -c"$1" -d"$2"s --latency -s "$here/webhook.lua" \
    "http://127.0.0.1:$gateway_port" >"$phase_dir/wrk.txt" 2>&1 &
  local wrk_pid=$!
  register loadgen "$wrk_pid"
  echo "loadgen_pid=$wrk_pid" >>"$phase_dir/meta"
  wait "$wrk_pid"
  phase_mark t1
  unregister loadgen
}

# === G: the gateway alone =======================================================================
part_gateway() {
  stamp "G: gateway alone (no workers; the intake queue fills and is purged between phases)"
  fresh_pipeline
  start_gateway
  local c rate
  if [ $perf = 1 ]; then
    purge_intake
    phase_begin gateway-perf gateway_closed connections=256 seconds=8 profile=yes
    perf record -F 499 --call-graph dwarf -o "$phase_dir/gateway.perf.data" -p "$gateway_pid" \
      -- sleep 9 >"$phase_dir/perf-gateway.log" 2>&1 &
    local perf_pid=$!
    wrk_run 256 8 gp
    wait "$perf_pid" || true
    phase_end
  fi
  for c in $gateway_connections; do
    purge_intake
    phase_begin "gateway-wrk-c$c" gateway_closed connections="$c" seconds="$wrk_seconds"
    wrk_run "$c" "$wrk_seconds" "g$c"
    phase_end
    stamp "  wrk -c$c: $(python3 "$here/report.py" --line "$phase_dir")"
  done
  for rate in $gateway_rates; do
    purge_intake
    phase_begin "gateway-open-$rate" gateway_open rate="$rate" seconds="$open_seconds" \
      warmup="$open_warmup" connections="$open_connections"
    "$load" open --url "http://127.0.0.1:$gateway_port/webhooks/toss" \
      --body-template "$BODY_TEMPLATE" --key-prefix "o$rate" --rate "$rate" \
      --duration "$open_seconds" --warmup "$open_warmup" --connections "$open_connections" \
      >"$phase_dir/load.json" 2>"$phase_dir/load.err" &
    local load_pid=$!
    register loadgen "$load_pid"
    echo "loadgen_pid=$load_pid" >>"$phase_dir/meta"
    # The window of the figures: after the warm-up, until the last request was due.
    sleep "$open_warmup"; phase_mark t0
    sleep $((open_seconds - open_warmup)); phase_mark t1
    wait "$load_pid"
    unregister loadgen
    phase_end
    stamp "  open loop $rate/s: $(python3 "$here/report.py" --line "$phase_dir")"
  done
  purge_intake
  stop_gateway
}

# === E: end to end ==============================================================================
# One storefront run: fresh vhost, database and sim state, a new gateway and worker.
e2e_phase() {  # name worker-concurrency checkouts rate
  fresh_pipeline
  curl -fsS -o /dev/null -XPOST "$sim/_sim/reset"
  start_gateway
  start_worker "$2"
  phase_begin "$1" e2e concurrency="$2" checkouts="$3" rate="$4" drivers="$e2e_drivers"
  phase_mark t0
  local rc=0
  "$paypipe" demo drive --gateway-url "http://127.0.0.1:$gateway_port" --sim-url "$sim" \
    --worker-metrics-url "http://127.0.0.1:$worker_port" --partner bench-partner \
    --order-prefix "$1" --checkouts "$3" --concurrency "$e2e_drivers" --rate "$4" \
    --wrong-amount-per-mille 0 --double-confirm-per-mille 0 --idle-timeout 600 \
    >"$phase_dir/demo.txt" 2>"$phase_dir/demo.err" &
  local drive_pid=$!
  register loadgen "$drive_pid"
  echo "loadgen_pid=$drive_pid" >>"$phase_dir/meta"
  if [ "${perf_now:-0}" = 1 ]; then
    sleep 3
    perf record -F 499 --call-graph dwarf -o "$phase_dir/worker.perf.data" -p "$worker_pid" -- sleep 8 \
      >"$phase_dir/perf-worker.log" 2>&1 &
    local perf_pid=$!
    perf record -F 499 --call-graph dwarf -o "$phase_dir/gateway.perf.data" -p "$gateway_pid" -- sleep 8 \
      >"$phase_dir/perf-gateway.log" 2>&1 || true
    wait "$perf_pid" || true
  fi
  wait "$drive_pid" || rc=$?
  unregister loadgen
  echo "books_exit=$rc" >>"$phase_dir/meta"
  # Webhook accepted by the gateway -> stored by the intake, from the database's own columns.
  sql "$database" -e "SELECT TIMESTAMPDIFF(MICROSECOND, received_at, recorded_at) FROM webhook_events" \
    >"$phase_dir/webhook-latency-us"
  # Units of work per stage: a unit's inbox rows are written by one statement and share its
  # CURRENT_TIMESTAMP(6), so distinct timestamps count the units.
  sql "$database" -e "SELECT consumer, COUNT(*), COUNT(DISTINCT received_at) FROM inbox
    GROUP BY consumer" >"$phase_dir/inbox-units"
  # The phase ends with the pipeline's last write (the observer's idle verdict comes seconds
  # later: it waits for the broker's queue statistics).
  echo "t1=$(sql "$database" -e "SET time_zone = '+00:00'; SELECT UNIX_TIMESTAMP(GREATEST(
    (SELECT COALESCE(MAX(updated_at), '1970-01-02') FROM payments),
    (SELECT COALESCE(MAX(recorded_at), '1970-01-02') FROM webhook_events),
    (SELECT COALESCE(MAX(received_at), '1970-01-02') FROM inbox),
    (SELECT COALESCE(MAX(published_at), '1970-01-02') FROM outbox)))")" >>"$phase_dir/meta"
  phase_end
  stop_worker
  stop_gateway
  stamp "  $1: $(python3 "$here/report.py" --line "$phase_dir")"
}

part_e2e() {
  stamp "E: end to end (sim without faults; worker webhook-intake,confirm)"
  local c best_rate=0 best_c rate
  for c in $e2e_concurrency; do
    e2e_phase "e2e-closed-c$c" "$c" "$e2e_checkouts" 0
    rate=$(sed -nE 's/^throughput .*\(([0-9]+)\/s\)$/\1/p' "$phase_dir/demo.txt")
    if [ "${rate:-0}" -gt "$best_rate" ]; then best_rate=$rate; best_c=$c; fi
  done
  [ "$best_rate" -gt 0 ] || die "no closed-loop e2e phase committed anything"
  local rates=${E2E_RATES:-}
  if [ -z "$rates" ]; then
    if [ $quick = 1 ]; then rates=$((best_rate * 6 / 10))
    else rates="$((best_rate * 3 / 10)) $((best_rate * 6 / 10)) $((best_rate * 9 / 10))"; fi
  fi
  for rate in $rates; do
    e2e_phase "e2e-open-$rate" "$best_c" $((rate * e2e_open_seconds)) "$rate"
  done
  if [ $perf = 1 ]; then
    perf_now=1 e2e_phase "e2e-perf-c$best_c" "$best_c" "$e2e_checkouts" 0
  fi
}

# === M: memory under idle and slow connections ==================================================
part_memory() {
  stamp "M: gateway memory with 10,000 idle keep-alive connections and slow clients"
  fresh_pipeline
  start_gateway
  purge_intake
  phase_begin memory-wrk-alone memory_wrk connections=64 seconds="$memory_wrk_seconds"
  wrk_run 64 "$memory_wrk_seconds" m1
  phase_end
  stamp "  wrk -c64 alone: $(python3 "$here/report.py" --line "$phase_dir")"
  purge_intake

  phase_begin memory-hold memory_hold idle=10000 slow=1 slow_body=1 seconds="$hold_seconds"
  phase_mark t0
  "$load" hold --url "http://127.0.0.1:$gateway_port" --idle 10000 --slow 1 --slow-body 1 \
    --duration "$hold_seconds" --ready-file "$phase_dir/ready.json" \
    >"$phase_dir/hold.json" 2>"$phase_dir/hold.err" &
  local hold_pid=$!
  register holder "$hold_pid"
  local i
  for ((i = 0; i < 300; i++)); do
    [ -s "$phase_dir/ready.json" ] && break
    kill -0 "$hold_pid" 2>/dev/null || die "payments_load hold exited: $(cat "$phase_dir/hold.err")"
    sleep 0.1
  done
  [ -s "$phase_dir/ready.json" ] || die "the idle connections were not all answered within 30 s"
  phase_mark ready
  curl -fsS "http://127.0.0.1:$gateway_port/metrics" >"$phase_dir/gateway-metrics.ready"
  sleep 2
  local outer=$phase_dir
  phase_begin memory-wrk-with-idle memory_wrk connections=64 seconds="$memory_wrk_seconds" \
    beside=idle
  wrk_run 64 "$memory_wrk_seconds" m2
  phase_end
  stamp "  wrk -c64 beside 10,000 idle and 2 slow connections: $(python3 "$here/report.py" --line "$phase_dir")"
  phase_dir=$outer
  wait "$hold_pid"
  unregister holder
  phase_mark t1
  phase_end
  purge_intake
  sleep 2

  phase_begin memory-wrk-after memory_wrk connections=64 seconds="$memory_wrk_seconds"
  wrk_run 64 "$memory_wrk_seconds" m3
  phase_end
  stamp "  wrk -c64 after: $(python3 "$here/report.py" --line "$phase_dir")"
  purge_intake

  # The same 10,000 connections once more: a leak would show as a second step up.
  phase_begin memory-hold-again memory_hold idle=10000 slow=0 slow_body=0 seconds=10
  phase_mark t0
  "$load" hold --url "http://127.0.0.1:$gateway_port" --idle 10000 --slow 0 --duration 10 \
    >"$phase_dir/hold.json" 2>"$phase_dir/hold.err"
  phase_mark t1
  sleep 2
  phase_mark t2
  phase_end
  stamp "  gateway RSS: $(python3 "$here/report.py" --rss "$out")"
  stop_gateway
}

# === F: the raw floors ==========================================================================
part_floors() {
  stamp "F: raw broker and database floors (runtime_bench --only ab)"
  local bench=$build_path/bench/runtime_bench
  [ -x "$bench" ] || { stamp "  no $bench; skipped"; return; }
  phase_begin floors floors
  phase_mark t0
  env PAYPIPE_AMQP_URL="amqp://$user:$password@127.0.0.1:$SVC_AMQP_PORT/" \
    PAYPIPE_MYSQL_URL="mysql://$user:$password@127.0.0.1:$SVC_MYSQL_PORT/paypipe" \
    "$bench" --only ab --concurrency 1,8 --messages 20000 --db-seconds 5 \
    --broker-pid "$rabbit_pid" --db-pid "$mariadb_pid" --log-dir "$phase_dir" \
    >"$phase_dir/runtime_bench.txt" 2>&1 || stamp "  runtime_bench failed; see its output"
  phase_mark t1
  phase_end
}

for ((k = 0; k < ${#only}; k++)); do
  case ${only:k:1} in
    G) part_gateway ;;
    E) part_e2e ;;
    M) part_memory ;;
    F) if [ $quick = 1 ]; then stamp "F: skipped in --quick (see bench/runtime/RESULTS.md)"
       else part_floors; fi ;;
    *) die "--only takes letters of GEMF" ;;
  esac
done

echo "finished=$(date -u +%FT%TZ)" >>"$out/run.env"
echo "load_after=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/run.env"
kill "$sampler_pid" 2>/dev/null || true
if [ $perf = 1 ]; then
  for data in "$out"/phases/*/worker.perf.data "$out"/phases/*/gateway.perf.data; do
    [ -f "$data" ] || continue
    perf report -i "$data" --no-children --sort dso,symbol -g none --percent-limit 0.5 \
      --stdio 2>/dev/null | grep -v '^$' | cut -c1-160 >"${data%.data}.self.txt" || true
    perf report -i "$data" --children --sort symbol -g none --percent-limit 2 --stdio \
      2>/dev/null | grep -v '^$' | cut -c1-200 >"${data%.data}.children.txt" || true
  done
fi
python3 "$here/report.py" "$out" | tee "$out/report.md"
