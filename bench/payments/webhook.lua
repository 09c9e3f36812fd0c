-- wrk: Toss PAYMENT_STATUS_CHANGED webhooks, closed loop. The body is the template in
-- $BODY_TEMPLATE (a payment as the sim serves it) with {{paymentKey}} and {{orderId}} replaced by
-- ids of the request's own: the gateway derives a webhook's message id from its body, so every
-- request is a distinct message. $BENCH_RUN keeps ids unique across runs.
counter = 0
tag = "0"
local threads = 0
local run = os.getenv("BENCH_RUN") or "w"
local template

function setup(thread)
  threads = threads + 1
  thread:set("tag", run .. "t" .. threads)
end

function init(args)
  local file = assert(io.open(assert(os.getenv("BODY_TEMPLATE"), "BODY_TEMPLATE is not set"), "rb"))
  template = file:read("*a")
  file:close()
end

function request()
  counter = counter + 1
  local id = tag .. "-" .. counter
  local key = "tbench_" .. id
  local body = template:gsub("{{paymentKey}}", key)
  body = body:gsub("{{orderId}}", "bench-" .. id)
  return wrk.format("POST", "/webhooks/toss",
    {["Content-Type"] = "application/json",
     ["tosspayments-webhook-transmission-id"] = key,
     ["tosspayments-webhook-transmission-retried-count"] = "0"},
    body)
end
