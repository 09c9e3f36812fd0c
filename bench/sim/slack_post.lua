-- Posts a Block Kit alert: JSON parse, limit validation, a ledger entry.
wrk.method = "POST"
wrk.path = "/slack/services/T0/B0/bench"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"text":"Cancel failed: order-1","blocks":['
  .. '{"type":"header","text":{"type":"plain_text","text":"Cancel failed"}},'
  .. '{"type":"section","fields":[{"type":"mrkdwn","text":"*Order*\\norder-1"},'
  .. '{"type":"mrkdwn","text":"*Amount*\\n1,000 KRW"}]},'
  .. '{"type":"context","elements":[{"type":"mrkdwn","text":"paypipe dlq replay 1"}]}]}'
