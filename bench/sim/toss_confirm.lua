-- Each request is a pipelined pair on one connection: create an authenticated session (control
-- call), then confirm it with an Idempotency-Key. A connection's requests are handled in order
-- on one event loop, so the confirm always finds its session. Every confirm queues a webhook.
-- wrk counts both requests of a pair: confirms/s is half of Requests/sec.
counter = 0
tag = "0"
local threads = 0
local auth = os.getenv("TOSS_AUTH")

-- BENCH_RUN keeps order ids unique across several runs against the same sim.
local run = os.getenv("BENCH_RUN") or "r"

function setup(thread)
  threads = threads + 1
  thread:set("tag", run .. tostring(threads))
end

function request()
  counter = counter + 1
  local order = "bench-" .. tag .. "-" .. counter
  local key = "tsim_" .. order
  local session = wrk.format("POST", "/_sim/toss/sessions",
    {["Content-Type"] = "application/json"},
    '{"orderId":"' .. order .. '","amount":1000,"paymentKey":"' .. key .. '"}')
  local confirm = wrk.format("POST", "/toss/v1/payments/confirm",
    {["Content-Type"] = "application/json", ["Authorization"] = auth,
     ["Idempotency-Key"] = "confirm-" .. order},
    '{"paymentKey":"' .. key .. '","orderId":"' .. order .. '","amount":1000}')
  return session .. confirm
end
