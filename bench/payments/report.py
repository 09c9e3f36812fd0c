#!/usr/bin/env python3
"""Tables of a bench/payments/run.sh run, in Markdown: python3 bench/payments/report.py OUT_DIR.

Reads what run.sh left in OUT_DIR: run.env, samples (CPU ticks and RSS of every process every
0.5 s) and phases/*/ (meta, wrk.txt, load.json, demo.txt, hold.json, /metrics and SHOW GLOBAL
STATUS before and after, webhook-latency-us, runtime_bench.txt, perf summaries).

CPU of a process over a phase's window [t0, t1] is its utime + stime interpolated linearly
between the samples around t0 and t1; "µs per webhook/payment" divides it by what the phase
completed in that window.
"""

import bisect
import json
import re
import sys
from pathlib import Path

PROCESSES = ["gateway", "worker", "sim", "rabbitmq", "mariadb", "loadgen"]


def read_kv(path):
    values = {}
    if path.exists():
        for line in path.read_text().splitlines():
            key, sep, value = line.partition("=")
            if sep:
                values[key] = value
    return values


class Samples:
    """CPU ticks and RSS per (name, pid) over time."""

    def __init__(self, path, clk_tck):
        self.clk_tck = clk_tck
        self.series = {}
        if not path.exists():
            return
        for line in path.read_text().splitlines():
            parts = line.split()
            if len(parts) != 5:
                continue
            t, name, pid, ticks, rss = parts
            self.series.setdefault((name, pid), []).append((float(t), int(ticks), int(rss)))

    def _at(self, name, pid, t, index):
        points = self.series.get((name, str(pid)))
        if not points:
            return None
        times = [p[0] for p in points]
        i = bisect.bisect_left(times, t)
        if i == 0:
            return float(points[0][index])
        if i >= len(points):
            return float(points[-1][index])
        (t0, *v0), (t1, *v1) = points[i - 1], points[i]
        a, b = v0[index - 1], v1[index - 1]
        return a + (b - a) * (t - t0) / (t1 - t0) if t1 > t0 else float(b)

    def cpu_seconds(self, name, pid, t0, t1):
        a, b = self._at(name, pid, t0, 1), self._at(name, pid, t1, 1)
        return None if a is None or b is None else (b - a) / self.clk_tck

    def rss_kib(self, name, pid, t0, t1):
        """(first, max, last) RSS within [t0, t1]."""
        points = [p for p in self.series.get((name, str(pid)), []) if t0 <= p[0] <= t1]
        if not points:
            return None
        return points[0][2], max(p[2] for p in points), points[-1][2]


def pids_of(path):
    out = {}
    if path.exists():
        for line in path.read_text().splitlines():
            parts = line.split()
            if len(parts) == 2:
                out[parts[0]] = parts[1]
    return out


def rows_of(path, columns):
    """Tab-separated lines with `columns` fields (what `mariadb -N -B` prints)."""
    if not path.exists():
        return []
    return [parts for parts in (line.split("\t") for line in path.read_text().splitlines())
            if len(parts) == columns]


def numeric(text):
    try:
        return float(text)
    except ValueError:
        return None


def metrics(path):
    """Prometheus text -> {series: value}."""
    out = {}
    if path.exists():
        for line in path.read_text().splitlines():
            if line and not line.startswith("#"):
                series, _, value = line.rpartition(" ")
                if (number := numeric(value)) is not None:
                    out[series] = number
    return out


def db_status(path):
    """SHOW GLOBAL STATUS -> {variable: value} (numeric ones)."""
    return {name: numeric(value) for name, value in rows_of(path, 2)
            if numeric(value) is not None}


def db_users(path):
    """USER_STATISTICS rows -> {user: {column: value}}."""
    columns = ["commits", "rollbacks", "selects", "updates", "others", "rows_read",
               "rows_inserted", "rows_updated", "busy_s", "cpu_s"]
    return {parts[0]: dict(zip(columns, (float(v) for v in parts[1:])))
            for parts in rows_of(path, len(columns) + 1)}


def inbox_units(path):
    """inbox-units -> {stage: (messages, units)}."""
    return {stage: (int(messages), int(units)) for stage, messages, units in rows_of(path, 3)}


def delta(before, after, key):
    return after.get(key, 0.0) - before.get(key, 0.0)


def percentile(values, p):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(p * (len(values) - 1) + 0.5))]


def fmt(value, digits=0):
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    return f"{value:,.{digits}f}"


def ms(us):
    return "–" if us is None else (f"{us / 1e3:.1f}" if us < 100_000 else f"{us / 1e3:,.0f}")


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def parse_wrk(path):
    """wrk --latency output -> rate, latency percentiles (µs), errors."""
    text = path.read_text() if path.exists() else ""
    out = {"rate": None, "p50": None, "p90": None, "p99": None, "non2xx": 0, "errors": 0,
           "requests": None}

    def micros(value, unit):
        return float(value) * {"us": 1, "ms": 1e3, "s": 1e6, "m": 6e7}[unit]

    if m := re.search(r"Requests/sec:\s+([\d.]+)", text):
        out["rate"] = float(m.group(1))
    if m := re.search(r"(\d+) requests in", text):
        out["requests"] = int(m.group(1))
    for pct in ("50", "90", "99"):
        if m := re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.M):
            out["p" + pct] = micros(m.group(1), m.group(2))
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", text):
        out["non2xx"] = int(m.group(1))
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text):
        out["errors"] = sum(int(g) for g in m.groups())
    return out


def parse_demo(path):
    text = path.read_text() if path.exists() else ""
    out = {"text": text}
    if m := re.search(r"^storefront\s+(\d+) checkouts \+ confirms in ([\d.]+) s \((\d+) orders/s",
                      text, re.M):
        out["orders"], out["drive_s"], out["orders_per_s"] = int(m.group(1)), float(m.group(2)), int(m.group(3))
    if m := re.search(r"^pipeline idle\s+(\S+) after ([\d.]+) s", text, re.M):
        out["idle"], out["idle_s"] = m.group(1) == "yes", float(m.group(2))
    if m := re.search(r"^throughput\s+(\d+) payments committed in ([\d.]+) s .*\((\d+)/s\)", text, re.M):
        out["payments"], out["span_s"], out["rate"] = int(m.group(1)), float(m.group(2)), int(m.group(3))

    def duration_us(value, unit):
        return float(value.replace(",", "")) * (1e3 if unit == "ms" else 1e6)

    if m := re.search(r"p50 ([\d.,]+) (ms|s), p99 ([\d.,]+) (ms|s), max ([\d.,]+) (ms|s)", text):
        out["p50"] = duration_us(m.group(1), m.group(2))
        out["p99"] = duration_us(m.group(3), m.group(4))
        out["max"] = duration_us(m.group(5), m.group(6))
    if m := re.search(r"^result\s+(\S+)", text, re.M):
        out["result"] = m.group(1)
    if m := re.search(r"^payments\s+(.*)$", text, re.M):
        out["payments_by_status"] = m.group(1)
    if m := re.search(r"^invoices\s+(.*)$", text, re.M):
        out["invoices_by_status"] = m.group(1)
    if m := re.search(r"^ledger\s+balanced (yes|NO)", text, re.M):
        out["ledger_balanced"] = m.group(1)
    return out


class Phase:
    def __init__(self, directory, samples):
        self.dir = directory
        self.meta = read_kv(directory / "meta")
        self.name = self.meta.get("name", directory.name)
        self.kind = self.meta.get("kind", "")
        self.samples = samples
        self.pids = pids_of(directory / "pids")
        self.pids.update({k: v for k, v in pids_of(directory / "pids.end").items()
                          if k not in self.pids})
        if "loadgen_pid" in self.meta:
            self.pids["loadgen"] = self.meta["loadgen_pid"]
        self.t0 = float(self.meta["t0"]) if "t0" in self.meta else None
        self.t1 = float(self.meta["t1"]) if "t1" in self.meta else None

    def cpu(self, name, t0=None, t1=None):
        t0 = self.t0 if t0 is None else t0
        t1 = self.t1 if t1 is None else t1
        pid = "0" if name in ("machine", "steal") else self.pids.get(name)
        if pid is None or t0 is None or t1 is None:
            return None
        return self.samples.cpu_seconds(name, pid, t0, t1)

    def metrics(self, process, when):
        return metrics(self.dir / f"{process}-metrics.{when}")

    def db(self, when):
        return db_status(self.dir / f"db-status.{when}")


def per_unit_us(seconds, units):
    return None if seconds is None or not units else seconds * 1e6 / units


CPU_TAIL = ["cores busy (ours)", "cores busy (other processes)"]


def cpu_columns(phase, units, names, t0=None, t1=None):
    """µs per unit for each process and in total, then the cores this benchmark's processes
    kept busy over the window and the cores everything else on the machine did."""
    cols, total = [], 0.0
    for name in names:
        seconds = phase.cpu(name, t0, t1)
        total += seconds or 0.0
        cols.append(fmt(per_unit_us(seconds, units)))
    window = (t1 if t1 is not None else phase.t1) - (t0 if t0 is not None else phase.t0)
    machine = phase.cpu("machine", t0, t1)
    ours = sum(phase.cpu(name, t0, t1) or 0.0 for name in PROCESSES + ["holder"])
    cols.append(fmt(per_unit_us(total, units)))
    cols.append(fmt(total / window if window > 0 else None, 2))
    cols.append(fmt(max(machine - ours, 0.0) / window if machine is not None and window > 0
                    else None, 2))
    return cols


def histogram_quantile(before, after, name, q):
    """Upper bound (ms) of the bucket holding quantile q of a Prometheus histogram's growth."""
    buckets = []
    for series, value in after.items():
        if m := re.fullmatch(re.escape(name) + r'_bucket\{le="([^"]+)"\}', series):
            buckets.append((float(m.group(1)), value - before.get(series, 0.0)))
    buckets.sort()
    if not buckets or buckets[-1][1] <= 0:
        return None
    for bound, count in buckets:
        if count >= q * buckets[-1][1]:
            return bound * 1e3
    return None


def confirm_p99(phase):
    bound = histogram_quantile(phase.metrics("gateway", "before"), phase.metrics("gateway", "after"),
                               "paypipe_gateway_publish_confirm_seconds", 0.99)
    return "–" if bound is None else ("> 10 s" if bound == float("inf") else f"≤ {bound:g}")


def gateway_batches(phase):
    before, after = phase.metrics("gateway", "before"), phase.metrics("gateway", "after")
    count = delta(before, after, "paypipe_gateway_publish_batch_size_count")
    total = delta(before, after, "paypipe_gateway_publish_batch_size_sum")
    accepted = delta(before, after, 'paypipe_gateway_webhooks_accepted_total{format="toss"}')
    return accepted, (total / count if count else None)


def report_gateway(phases):
    out = []
    closed = [p for p in phases if p.kind == "gateway_closed"]
    if closed:
        rows = []
        for p in closed:
            w = parse_wrk(p.dir / "wrk.txt")
            accepted, per_batch = gateway_batches(p)
            window = p.t1 - p.t0
            label = p.meta.get("connections", "")
            if p.meta.get("profile"):
                label += " (perf attached)"
            rows.append([label, fmt(w["rate"]), fmt(accepted / window),
                         fmt(w["non2xx"]), fmt(w["errors"]), ms(w["p50"]), ms(w["p99"]),
                         confirm_p99(p), fmt(per_batch, 1),
                         *cpu_columns(p, accepted, ["gateway", "rabbitmq", "loadgen"]),
                         p.meta.get("load", "")])
        plain = [p for p in closed if not p.meta.get("profile")] or closed
        out.append("### G (a) gateway alone, closed loop (wrk -t2, keep-alive, "
                   f"{plain[0].meta.get('seconds')} s each)\n")
        out.append(table(["connections", "requests/s (wrk)", "accepted/s (gateway)", "non-2xx",
                          "socket errors", "p50 ms", "p99 ms", "publish→confirm p99 ms",
                          "messages per confirm round trip",
                          "gateway µs/webhook", "RabbitMQ µs/webhook", "wrk µs/webhook",
                          "total µs/webhook", *CPU_TAIL, "load avg"], rows))
    opened = [p for p in phases if p.kind == "gateway_open"]
    if opened:
        rows = []
        for p in opened:
            r = json.loads((p.dir / "load.json").read_text())
            lat, svc = r["latency_us"], r["service_us"]
            answered_in_window = r["answered_per_s_in_window"] * (p.t1 - p.t0)
            non200 = sum(v for k, v in r["statuses"].items() if k != "200")
            _, per_batch = gateway_batches(p)
            rows.append([fmt(r["offered_rate"]), fmt(r["answered_per_s_in_window"]),
                         fmt(r["statuses"].get("200", 0)), fmt(non200),
                         fmt(r["transport_errors"] + r["unanswered"]),
                         ms(lat["p50"]), ms(lat["p99"]), ms(lat["p999"]), ms(lat["max"]),
                         ms(svc["p99"]), confirm_p99(p), fmt(r["waited_for_connection"]),
                         fmt(per_batch, 1),
                         *cpu_columns(p, answered_in_window, ["gateway", "rabbitmq", "loadgen"]),
                         p.meta.get("load", "")])
        p = opened[0]
        out.append(f"\n### G (b) gateway alone, open loop (payments_load open, "
                   f"{p.meta.get('seconds')} s, first {p.meta.get('warmup')} s left out, "
                   f"{p.meta.get('connections', '256')} connections)\n")
        out.append(table(["offered/s", "answered/s", "200", "other status", "lost",
                          "p50 ms", "p99 ms", "p99.9 ms", "max ms", "service p99 ms",
                          "publish→confirm p99 ms", "waited for a connection",
                          "messages per confirm round trip",
                          "gateway µs/webhook", "RabbitMQ µs/webhook", "generator µs/webhook",
                          "total µs/webhook", *CPU_TAIL, "load avg"], rows))
        out.append("\nLatency from each request's due time (open loop); service = written → "
                   "answered; publish→confirm: the gateway's own histogram, from handing the "
                   "message to a publisher thread to the broker's confirm (bucket bound). "
                   "\"lost\": transport errors and requests never answered.")
    return "\n".join(out)


DB_COUNTERS = [("Com_commit", "COMMIT"), ("Com_begin", "BEGIN"), ("Com_insert", "INSERT"),
               ("Com_update", "UPDATE"), ("Com_select", "SELECT"), ("Questions", "statements"),
               ("Handler_write", "rows written"), ("Handler_update", "rows updated"),
               ("Innodb_data_fsyncs", "fsyncs")]


def report_e2e(phases):
    e2e = [p for p in phases if p.kind == "e2e"]
    if not e2e:
        return ""
    rows, work_rows, user_rows, stage_rows, books = [], [], [], [], []
    for p in e2e:
        d = parse_demo(p.dir / "demo.txt")
        if "payments" not in d or "drive_s" not in d:
            rows.append([p.name, "no report: see demo.txt / demo.err"])
            continue
        # The pipeline's last write (run.sh), else the observer's idle verdict.
        t1 = p.t1 if p.t1 else p.t0 + d["drive_s"] + d.get("idle_s", 0.0)
        n = d["payments"]
        hooks = [int(v) for v in (p.dir / "webhook-latency-us").read_text().split()] \
            if (p.dir / "webhook-latency-us").exists() else []
        rate = p.meta.get("rate", "0")
        rows.append([p.name, p.meta.get("concurrency"),
                     "closed" if rate == "0" else f"{int(rate):,}/s", fmt(d.get("orders_per_s")),
                     fmt(n), fmt(d.get("rate")), fmt(n / (t1 - p.t0)),
                     ms(d.get("p50")), ms(d.get("p99")),
                     ms(percentile(hooks, 0.5)), ms(percentile(hooks, 0.99)),
                     *cpu_columns(p, n, PROCESSES, p.t0, t1), p.meta.get("load", "")])
        before, after = p.db("before"), p.db("after")
        work_rows.append([p.name] + [fmt(delta(before, after, key) / n, 2)
                                     for key, _ in DB_COUNTERS])
        ub, ua = db_users(p.dir / "db-users.before"), db_users(p.dir / "db-users.after")
        for user, label in (("pb_gateway", "gateway"), ("pb_worker", "worker"),
                            ("paypipe", "storefront's observer")):
            b, a = ub.get(user, {}), ua.get(user, {})
            if not a:
                continue
            d_ = {k: a[k] - b.get(k, 0.0) for k in a}
            user_rows.append([p.name, label, fmt(d_["commits"] / n, 2),
                              fmt((d_["selects"] + d_["updates"] + d_["others"]) / n, 1),
                              fmt(d_["selects"] / n, 1), fmt(d_["updates"] / n, 1),
                              fmt(d_["others"] / n, 1),
                              fmt((d_["rows_inserted"] + d_["rows_updated"]) / n, 1),
                              fmt(d_["cpu_s"] * 1e6 / n), fmt(d_["busy_s"] * 1e6 / n)])
        units = inbox_units(p.dir / "inbox-units")
        gb, ga = p.metrics("gateway", "before"), p.metrics("gateway", "after")
        cols = [p.name]
        for stage in ("webhook-intake", "confirm"):
            messages, committed = units.get(stage, (0, 0))
            cols += [fmt(messages), fmt(committed),
                     fmt(messages / committed if committed else None, 1)]
        batches = delta(gb, ga, "paypipe_gateway_publish_batch_size_count")
        published = delta(gb, ga, "paypipe_gateway_publish_batch_size_sum")
        cols += [fmt(published), fmt(published / batches if batches else None, 1)]
        stage_rows.append(cols)
        books.append(f"- {p.name}: {d.get('result', '?')} (exit {p.meta.get('books_exit')}); "
                     f"payments {d.get('payments_by_status', '?')}; invoices "
                     f"{d.get('invoices_by_status', '?')}; ledger balanced "
                     f"{d.get('ledger_balanced', '?')}")
    out = ["### E end to end: checkout → confirm → PAID with invoice and ledger committed\n",
           table(["phase", "worker concurrency", "offered orders", "storefront orders/s",
                  "payments", "payments/s "
                  "(first confirm → last PAID)", "payments/s (start → last write)",
                  "confirm→PAID p50 ms", "p99 ms", "webhook→stored p50 ms", "p99 ms"]
                 + [f"{n} µs/payment" for n in ["gateway", "worker", "sim", "RabbitMQ", "MariaDB",
                                                "storefront"]]
                 + ["total µs/payment", *CPU_TAIL, "load avg"], rows),
           "\nCPU from the storefront's start to the pipeline's last write (webhooks and their "
           "verification included), per "
           "payment committed. \"storefront\" is `paypipe demo drive` (checkouts, sim sessions, "
           "confirms, and the observer's polling).\n",
           "#### Database work per payment (SHOW GLOBAL STATUS deltas over the phase)\n",
           table(["phase"] + [label for _, label in DB_COUNTERS], work_rows),
           "\n#### MariaDB's work per payment by client (information_schema.USER_STATISTICS)\n",
           table(["phase", "client", "transactions (autocommit statements included)",
                  "statements", "SELECT", "UPDATE/INSERT/DELETE", "other (BEGIN, COMMIT, SET…)",
                  "rows written", "server CPU µs", "statement wall time µs (all connections)"],
                 user_rows),
           "\n#### Units of work per stage (inbox rows; a unit's rows share one timestamp) and "
           "the gateway's confirm round trips\n",
           table(["phase", "intake messages", "intake units", "intake messages per unit",
                  "confirm messages", "confirm units", "confirm messages per unit",
                  "gateway published", "gateway messages per confirm round trip"], stage_rows),
           "\n#### Books (the observer's verdict after each phase)\n", "\n".join(books)]
    return "\n".join(out)


def rss_steps(phases):
    """The gateway's resident size through the memory phases: [(moment, MiB)]."""
    steps = []

    def add(label, phase, t0, t1, pick):
        rss = phase.samples.rss_kib("gateway", phase.pids.get("gateway"), t0, t1)
        if rss:
            steps.append((label, pick(rss) / 1024))

    for p in phases:
        if p.kind == "memory_wrk" and not p.meta.get("beside"):
            add(f"after {p.name}", p, p.t0, p.t1, lambda r: r[2])
        elif p.kind == "memory_hold":
            ready = float(p.meta.get("ready", p.t0))
            add(f"{p.name}: before", p, p.t0 - 2, p.t0, lambda r: r[2])
            add(f"{p.name}: max while held", p, ready, p.t1, lambda r: r[1])
            if "t2" in p.meta:
                add(f"{p.name}: after", p, p.t1, float(p.meta["t2"]), lambda r: r[2])
    return steps


def report_memory(phases):
    hold = [p for p in phases if p.kind == "memory_hold"]
    runs = [p for p in phases if p.kind == "memory_wrk"]
    if not hold and not runs:
        return ""
    out = ["### M gateway memory and neighbours\n"]
    rows = []
    for p in runs:
        w = parse_wrk(p.dir / "wrk.txt")
        accepted, _ = gateway_batches(p)
        rss = p.samples.rss_kib("gateway", p.pids.get("gateway"), p.t0, p.t1)
        rows.append([p.name, "10,000 idle + 2 slow open" if p.meta.get("beside") else "none",
                     fmt(w["rate"]), ms(w["p50"]), ms(w["p99"]), fmt(w["non2xx"]),
                     fmt(w["errors"]), fmt(per_unit_us(p.cpu("gateway"), accepted)),
                     fmt(rss[1] / 1024, 1) if rss else "–", p.meta.get("load", "")])
    out.append(table(["wrk -c64 run", "beside it", "requests/s", "p50 ms", "p99 ms", "non-2xx",
                      "socket errors", "gateway µs/webhook", "gateway RSS max MiB", "load avg"],
                     rows))
    out.append("\nGateway resident size (MiB), in order: "
               + "; ".join(f"{label} {mib:.1f}" for label, mib in rss_steps(phases)) + ".")
    for p in hold:
        h = json.loads((p.dir / "hold.json").read_text())
        ready_metrics = metrics(p.dir / "gateway-metrics.ready")
        idle, slow = h["idle"], h["slow"]
        out.append(f"\n{p.name}: {idle['requested']:,} idle connections asked GET /healthz, "
                   f"{idle['answered']:,} answered within {idle['all_answered_after_s']:.1f} s, "
                   f"{idle['failed_before_answer']} failed before an answer, "
                   f"{idle['closed_by_server_while_idle']} closed by the gateway while idle "
                   f"(held {h['duration_s']:.0f} s), {idle['open_at_end']:,} open at the end"
                   + (f"; the gateway counted "
                      f"{fmt(ready_metrics.get('paypipe_gateway_http_connections_open'))} open "
                      "connections once all were answered" if ready_metrics else "") + ".")
        if slow["head_clients"] or slow["body_clients"]:
            out.append(f"Slow clients (one byte per {slow['interval_ms']} ms, connecting again "
                       f"after each answer): whole request slowly {json.dumps(slow['head_outcomes'])}; "
                       f"headers at once, body slowly {json.dumps(slow['body_outcomes'])}; "
                       f"{slow['bytes_sent']} bytes sent.")
    return "\n".join(out)


def report_floors(phases):
    floors = [p for p in phases if p.kind == "floors"]
    out = []
    for p in floors:
        text = (p.dir / "runtime_bench.txt").read_text() if (p.dir / "runtime_bench.txt").exists() else ""
        out.append("### F raw floors of the same run (runtime_bench --only ab --concurrency 1,8 "
                   f"--messages 20000 --db-seconds 5), load {p.meta.get('load')}\n")
        # Rate, batch and CPU per unit of each floor (run-queue wait and load left out).
        lines = [" | ".join(l.split(" | ")[:3]) for l in text.splitlines()
                 if l.startswith(("idle servers", "broker floor", "DB floor"))]
        out.append("```\n" + "\n".join(lines or [text.strip()]) + "\n```")
    return "\n".join(out)


def report_perf(out_dir):
    """The top of each profile: self time by function, and time inclusive of callees for the
    project's own functions and the client libraries they call."""
    ours = re.compile(r"\[[.k]\] (paypipe::|curl_easy_perform|mysql_stmt_execute|amqp_|uv_run|"
                      r"operator new|__libc_send|__GI___poll)")
    parts = []
    for self_path in sorted(out_dir.glob("phases/*/*.perf.self.txt")):
        process = self_path.name.split(".")[0]
        self_lines = [l.rstrip() for l in self_path.read_text().splitlines()
                      if l.strip() and not l.startswith("#")][:20]
        children_path = self_path.with_name(f"{process}.perf.children.txt")
        children = [l.rstrip() for l in (children_path.read_text().splitlines()
                                         if children_path.exists() else [])
                    if ours.search(l) and not l.startswith("#")][:30]
        samples = ""
        if m := re.search(r"# Samples: (\S+)", self_path.read_text()):
            samples = f", {m.group(1)} samples"
        parts.append(f"### perf of the {process} ({self_path.parent.name}{samples})\n\n"
                     "Self time:\n```\n" + "\n".join(self_lines) + "\n```\n"
                     "Inclusive (children) time, project functions and client libraries:\n```\n"
                     + "\n".join(children) + "\n```")
    return "\n\n".join(parts)


def one_line(phase_dir):
    """A progress line for run.sh about one finished phase."""
    meta = read_kv(phase_dir / "meta")
    if (phase_dir / "load.json").exists():
        r = json.loads((phase_dir / "load.json").read_text())
        lat = r["latency_us"]
        return (f"answered {r['answered_per_s_in_window']:,.0f}/s, p50 {ms(lat['p50'])} ms, "
                f"p99 {ms(lat['p99'])} ms, statuses {r['statuses']}")
    if (phase_dir / "demo.txt").exists():
        d = parse_demo(phase_dir / "demo.txt")
        return (f"{d.get('payments', 0):,} payments at {d.get('rate', 0):,}/s, confirm->PAID "
                f"p50 {ms(d.get('p50'))} ms p99 {ms(d.get('p99'))} ms, books "
                f"{d.get('result', '?')}")
    if (phase_dir / "wrk.txt").exists():
        w = parse_wrk(phase_dir / "wrk.txt")
        return (f"{fmt(w['rate'])} requests/s, p99 {ms(w['p99'])} ms, non-2xx {w['non2xx']}, "
                f"socket errors {w['errors']}")
    return meta.get("name", "")


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--line":
        print(one_line(Path(sys.argv[2])))
        return
    if len(sys.argv) == 3 and sys.argv[1] == "--rss":
        out_dir = Path(sys.argv[2])
        env = read_kv(out_dir / "run.env")
        samples = Samples(out_dir / "samples", int(env.get("clk_tck", "100")))
        phases = [Phase(d, samples) for d in sorted((out_dir / "phases").glob("*")) if d.is_dir()]
        print(", ".join(f"{label} {mib:.1f} MiB" for label, mib in rss_steps(phases)))
        return
    out_dir = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    env = read_kv(out_dir / "run.env")
    samples = Samples(out_dir / "samples", int(env.get("clk_tck", "100")))
    phases = [Phase(d, samples) for d in sorted((out_dir / "phases").glob("*")) if d.is_dir()]
    print(f"## bench/payments run of {env.get('started', '?')} ({env.get('mode', '?')})\n")
    for key in ("machine", "storage", "servers", "queues", "tools", "source", "worker_settings",
                "gateway_flags", "webhook_body_bytes",
                "load_before", "load_after", "finished"):
        if key in env:
            print(f"- {key.replace('_', ' ')}: {env[key]}")
    for section in (report_gateway(phases), report_e2e(phases), report_memory(phases),
                    report_floors(phases), report_perf(out_dir)):
        if section:
            print("\n" + section)


if __name__ == "__main__":
    main()
