#!/usr/bin/env bash
# Measures `paypipe sim` alone with wrk (installed by scripts/setup.sh --bench).
#   bench/sim/run.sh [path/to/paypipe] [duration] [connections]
# Environment: WRK_THREADS (default 2), LOOP_THREADS (sim event loops, default 2).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"$here/../../scripts/setup.sh" --bench
bin=${1:-build/release/workers/cli/paypipe}
duration=${2:-10s}
connections=${3:-64}
wrk_threads=${WRK_THREADS:-2}
dir=$(mktemp -d)
"$bin" sim --http-addr 127.0.0.1:0 --port-file "$dir/port" --toss-secret-key test_sk_bench \
  --loop-threads "${LOOP_THREADS:-2}" --log-level warn >"$dir/out" 2>"$dir/err" &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 100); do [ -s "$dir/port" ] && break; sleep 0.1; done
base="http://127.0.0.1:$(cat "$dir/port")"
export TOSS_AUTH="Basic $(printf 'test_sk_bench:' | base64)"

curl -fsS -XPOST "$base/_sim/toss/sessions" \
  -d '{"orderId":"bench-read-1","amount":15000,"paymentKey":"tsim_bench_read_1"}' >/dev/null
curl -fsS -XPOST "$base/toss/v1/payments/confirm" -H "Authorization: $TOSS_AUTH" \
  -d '{"paymentKey":"tsim_bench_read_1","orderId":"bench-read-1","amount":15000}' >/dev/null

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== GET /toss/v1/payments/{paymentKey}"
wrk -t"$wrk_threads" -c"$connections" -d"$duration" --latency -s "$here/toss_get.lua" "$base"
echo "== session + confirm pairs (confirms/s = Requests/sec / 2)"
BENCH_RUN=c wrk -t"$wrk_threads" -c"$connections" -d"$duration" --latency -s "$here/toss_confirm.lua" "$base"
echo "== POST /slack/..."
wrk -t"$wrk_threads" -c"$connections" -d"$duration" --latency -s "$here/slack_post.lua" "$base"
echo "== session + confirm pairs while every confirm's webhook goes back to the sim itself"
echo "   (its Slack path answers 400 no_text: the attempts exercise the sender, not a receiver)"
curl -fsS -XPUT "$base/_sim/webhooks" -d "{\"toss_url\":\"$base/slack/webhook-sink\"}" >/dev/null
BENCH_RUN=w wrk -t"$wrk_threads" -c"$connections" -d"$duration" --latency -s "$here/toss_confirm.lua" "$base"
attempts() {
  curl -fsS "$base/_sim/ledger/summary" | python3 -c '
import json, sys
t = json.load(sys.stdin)
print(t["webhooks"]["attempts"], t["webhooks_pending"])'
}
read -r a0 q0 < <(attempts)
sleep 5
read -r a1 q1 < <(attempts)
echo "webhook sender with the API idle: $(((a1 - a0) / 5)) attempts/s (queue $q0 -> $q1)"
echo "sim resident memory: $(($(ps -o rss= -p "$pid") / 1024)) MiB"
echo "== ledger summary after the run"
curl -fsS "$base/_sim/ledger/summary" | python3 -c '
import json, sys
t = json.load(sys.stdin)
print("confirms", t["confirms"], "toss payments", t["payments"]["toss"],
      "slack accepted", t["slack"]["accepted"], "webhooks", t["webhooks"]["by_state"])'
