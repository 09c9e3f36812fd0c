-- Reads one payment over and over: Basic auth, lookup, the whole payment serialised as JSON.
wrk.method = "GET"
wrk.path = "/toss/v1/payments/tsim_bench_read_1"
wrk.headers["Authorization"] = os.getenv("TOSS_AUTH")
