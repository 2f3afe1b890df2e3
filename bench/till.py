"""Till benchmarks: redemption throughput (each request a different coupon) against hello-world,
and redemption-to-dashboard latency with 1,000 live streams open across several workers."""

from __future__ import annotations

import asyncio
import http.client
import json
import resource
import time
import uuid
from datetime import timedelta

from bench.airdrop import mint_sessions, seed
from bench.harness import Result, gunicorn, hello_world, median_result, wrk

# One request per line of the bodies file: a different coupon each time, a fresh key each time.
REDEEM_LUA = """
local bodies = {}
for line in io.lines("%(bodies)s") do bodies[#bodies + 1] = line end
local i = 0
request = function()
  i = i + 1
  return wrk.format("POST", "/api/merchant/redemptions", {["Cookie"] = "%(cookie)s", ["X-CSRFToken"] = "%(token)s",
                    ["Content-Type"] = "application/json", ["Idempotency-Key"] = "%(run)s-" .. i},
                    bodies[((i - 1) %% #bodies) + 1])
end
"""


def _seed_coupons(n: int) -> tuple[int, list[tuple[int, str]], str]:
    """n usable coupons of the demo noodle shop's campaign, spread over residents and days."""
    from sqlalchemy import insert, select

    from bench.seed import add_residents
    from core.db import db, utcnow
    from core.identity.models import Merchant, User
    from merchant.models import Campaign, WalletCoupon
    from merchant.tokens import new_secret

    shop = db.session.scalar(select(Merchant).where(Merchant.name == "Old Shanghai Noodles"))
    campaign = db.session.scalar(select(Campaign).where(Campaign.merchant_id == shop.id))
    emails = add_residents(max(1, n // 200 + 1), "bench-password", prefix=f"till{uuid.uuid4().hex[:6]}")
    residents = list(db.session.scalars(select(User.id).where(User.email.in_(emails))))
    now = utcnow()
    rows = [{"resident_id": residents[i // 200], "campaign_id": campaign.id, "merchant_id": shop.id,
             "collected_at": now - timedelta(days=1), "drop_date": (now - timedelta(days=1 + i % 200)).date(),
             "expires_at": now + timedelta(days=7), "status": "usable", "totp_secret": new_secret()}
            for i in range(n)]
    for start in range(0, n, 5000):
        db.session.execute(insert(WalletCoupon), rows[start:start + 5000])
    db.session.flush()
    coupons = db.session.execute(select(WalletCoupon.id, WalletCoupon.totp_secret)
                                 .where(WalletCoupon.resident_id.in_(residents))).all()
    cashier = db.session.scalar(select(User.email).where(User.email == "cashier@noodles.linli.demo"))
    return shop.id, [tuple(c) for c in coupons], cashier


def _bodies(workdir, coupons, bill_cents: int = 3000) -> str:
    """QR payloads for the current 30-second step: accepted for the next 30 to 60 seconds."""
    from merchant.tokens import qr_payload

    now = time.time()
    path = workdir / f"redeem-{uuid.uuid4().hex[:6]}.jsonl"
    path.write_text("".join(json.dumps({"code": qr_payload(cid, secret, now), "bill_cents": bill_cents,
                                        "method": "camera"}) + "\n" for cid, secret in coupons))
    return str(path)


def _script(workdir, bodies: str, cookie: str, token: str) -> str:
    script = workdir / f"redeem-{uuid.uuid4().hex[:6]}.lua"
    script.write_text(REDEEM_LUA % {"bodies": bodies, "cookie": cookie, "token": token, "run": uuid.uuid4().hex[:8]})
    return str(script)


def redemption_rows(dep, *, seconds: int, rounds: int, connections: int, per_round: int = 25_000):
    """Hello-world versus redemptions, alternating rounds; every request redeems a fresh coupon."""
    env = {**dep.env, "LINLI_TILL_RATE_LIMIT": "1000000 per second"}
    _, coupons, cashier = seed(env, lambda: _seed_coupons(per_round * rounds + 2000))
    ((cookie, token),) = mint_sessions(env, [cashier])
    hello, redeem = [], []
    used = 0
    for _ in range(rounds):
        hello.append(hello_world(env, dep.workdir, seconds=seconds, connections=connections))
        with gunicorn("wsgi:app", env, dep.workdir) as server:
            warm = coupons[used:used + 1000]
            used += len(warm)
            wrk(server.base + "/api/merchant/redemptions", seconds=1, connections=connections,
                script=_script(dep.workdir, _bodies(dep.workdir, warm), cookie, token))
            batch = coupons[used:used + per_round]
            used += len(batch)
            redeem.append(wrk(server.base + "/api/merchant/redemptions", seconds=seconds, connections=connections,
                              script=_script(dep.workdir, _bodies(dep.workdir, batch), cookie, token)))
    return median_result(hello), median_result(redeem)


def round_trips(dep, *, redemptions: int = 20) -> dict:
    """Round trips to PostgreSQL per redemption through the whole request stack, counted by libpq's
    own protocol trace: each Sync or simple Query message the client sends is one wait for the
    server. In process (Flask's test client), after a few warm-up requests fill every cache."""
    import os

    env = {**dep.env, "LINLI_TILL_RATE_LIMIT": "1000000 per second"}
    _, coupons, cashier = seed(env, lambda: _seed_coupons(redemptions + 5))
    ((cookie, token),) = mint_sessions(env, [cashier])
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        from psycopg import pq
        from sqlalchemy import event

        from core.db import db
        from linli import create_app
        from merchant.tokens import qr_payload

        app = create_app()
        trace = open(dep.workdir / "libpq-trace.txt", "w+")  # noqa: SIM115 - libpq writes to its descriptor
        with app.app_context():
            @event.listens_for(db.engine, "connect")
            def traced(dbapi_connection, _record):
                dbapi_connection.pgconn.trace(trace.fileno())
                dbapi_connection.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)

        client = app.test_client()
        name, _, value = cookie.partition("=")
        client.set_cookie(name, value)

        def redeem(coupon_id, secret) -> int:
            body = json.dumps({"code": qr_payload(coupon_id, secret, time.time()), "bill_cents": 3000})
            return client.post("/api/merchant/redemptions", data=body, headers={
                "X-CSRFToken": token, "Content-Type": "application/json",
                "Idempotency-Key": uuid.uuid4().hex}).status_code

        warm = [redeem(*c) for c in coupons[:5]]
        trace.flush()
        start = trace.tell()
        statuses = [redeem(*c) for c in coupons[5:5 + redemptions]]
        trace.flush()
        trace.seek(start)
        sent = [line.split("\t", 2)[2] for line in trace.read().splitlines() if line.startswith("F\t")]
        with app.app_context():
            db.engine.dispose()
        trace.close()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    waits = [m for m in sent if m.startswith(("Sync", "Query"))]
    return {"redemptions": len(statuses), "ok": sum(s == 200 for s in warm + statuses),
            "round_trips": len(waits) / max(1, len(statuses)),
            "statements": [m.split("\t", 1)[-1].strip()[:70] for m in sent[:len(sent) // max(1, len(statuses))]
                           if m.startswith(("Query", "Parse"))]}


# --- the live feed ---------------------------------------------------------------------------

async def _stream(host: str, port: int, cookie: str, arrivals: dict, opened: list):
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(f"GET /merchant/feed HTTP/1.1\r\nHost: {host}\r\nCookie: {cookie}\r\n"
                 f"Accept: text/event-stream\r\n\r\n".encode())
    await writer.drain()
    status = await reader.readline()
    if b" 200 " not in status:
        raise RuntimeError(f"stream refused: {status!r}")
    opened.append(1)
    while True:
        line = await reader.readline()
        if not line:
            return
        if line.startswith(b"data: "):
            arrived = time.time()
            event = json.loads(line[6:])
            if event.get("kind") == "redeemed":
                arrivals.setdefault(event["redemption_id"], []).append(arrived)


def _listener(host: str, port: int, cookie: str, streams: int, ready, stop, results) -> None:
    """One client process holding `streams` open dashboards (several processes, so that reading
    a thousand sockets in one Python loop does not itself become the latency measured)."""

    async def run():
        arrivals: dict = {}
        opened: list = []
        tasks = [asyncio.create_task(_stream(host, port, cookie, arrivals, opened)) for _ in range(streams)]
        while len(opened) < streams:
            await asyncio.sleep(0.05)
        ready.set()
        while not stop.is_set():
            await asyncio.sleep(0.1)
        for task in tasks:
            task.cancel()
        return arrivals

    results.put(asyncio.run(run()))


def feed_latency(dep, *, streams: int = 1000, events: int = 40, workers: int = 4, clients: int = 4,
                 redis_url: str):
    """p50/p99 ms from sending a redemption to its event arriving on each of `streams` open streams,
    spread over `workers` gunicorn workers and fanned out through Redis; and an ordinary request's
    latency while they are all open."""
    import multiprocessing

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 4 * streams + 256)), hard))
    env = {**dep.env, "REDIS_URL": redis_url, "WEB_CONCURRENCY": str(workers),
           "LINLI_TILL_RATE_LIMIT": "1000000 per second", "LINLI_WORKER_CONNECTIONS": str(2 * streams)}
    _, coupons, cashier = seed(env, lambda: _seed_coupons(events + 10))
    ((cookie, token),) = mint_sessions(env, [cashier])
    from merchant.tokens import qr_payload

    sent: dict[int, float] = {}
    arrivals: dict[int, list[float]] = {}
    context = multiprocessing.get_context("spawn")
    with gunicorn("wsgi:app", env, dep.workdir) as server:
        host, port = server.base.removeprefix("http://").split(":")
        stop, results = context.Event(), context.Queue()
        readies, procs = [], []
        for _ in range(clients):
            ready = context.Event()
            proc = context.Process(target=_listener, args=(host, int(port), cookie, streams // clients, ready, stop,
                                                           results))
            proc.start()
            readies.append(ready)
            procs.append(proc)
        for ready in readies:
            if not ready.wait(60):
                raise RuntimeError("the dashboard streams did not open")
        time.sleep(1)
        ordinary = wrk(server.base + "/healthz", seconds=4, connections=16)
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        for cid, secret in coupons[:events]:
            body = json.dumps({"code": qr_payload(cid, secret, time.time()), "bill_cents": 3000})
            started = time.time()
            conn.request("POST", "/api/merchant/redemptions", body=body, headers={
                "Cookie": cookie, "X-CSRFToken": token, "Content-Type": "application/json",
                "Idempotency-Key": uuid.uuid4().hex})
            response = conn.getresponse()
            answer = json.loads(response.read())
            if response.status == 200:
                sent[answer["redemption_id"]] = started
            time.sleep(0.1)
        conn.close()
        time.sleep(2)
        stop.set()
        for _ in procs:
            for rid, times in results.get(timeout=30).items():
                arrivals.setdefault(rid, []).extend(times)
        for proc in procs:
            proc.join(timeout=10)
        quiet = wrk(server.base + "/healthz", seconds=4, connections=16)
    latencies = sorted((t - sent[rid]) * 1000 for rid, times in arrivals.items() if rid in sent for t in times)
    delivered = sum(len(arrivals.get(rid, [])) for rid in sent)

    def p(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] if latencies else float("nan")

    return {"streams": streams, "workers": workers, "events": len(sent), "delivered": delivered,
            "expected": len(sent) * streams, "p50_ms": p(0.50), "p99_ms": p(0.99),
            "max_ms": latencies[-1] if latencies else float("nan"), "ordinary_open": ordinary, "ordinary_quiet": quiet}


def print_till(database: str, baseline: Result, redeem: Result, feed: dict | None, trips: dict | None = None) -> None:
    print(f"\nTill on {database}")
    print(f"{'':<44} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} {'x hello':>8} {'target':>8}")
    print(f"{'hello-world (bare Flask, same gunicorn conf)':<44} {baseline.rps:>9.0f} {baseline.p50_ms:>8.2f} "
          f"{baseline.p99_ms:>8.2f} {baseline.non_2xx:>8} {1.0:>8.2f}")
    target = 0.35 if database == "postgresql" else 0.45
    ratio = redeem.rps / baseline.rps
    print(f"{'POST /api/merchant/redemptions (new coupon)':<44} {redeem.rps:>9.0f} {redeem.p50_ms:>8.2f} "
          f"{redeem.p99_ms:>8.2f} {redeem.non_2xx:>8} {ratio:>8.2f} "
          f"{f'>={target:.2f} ' + ('ok' if ratio >= target else 'MISS'):>8}")
    if trips:
        print(f"Round trips to PostgreSQL per redemption (libpq trace, {trips['redemptions']} redemptions, "
              f"{trips['ok']} answered 200): {trips['round_trips']:.2f}")
    if feed:
        print(f"Live feed: {feed['streams']} SSE streams over {feed['workers']} workers via Redis, "
              f"{feed['events']} redemptions: delivered {feed['delivered']}/{feed['expected']}, "
              f"p50 {feed['p50_ms']:.1f} ms, p99 {feed['p99_ms']:.1f} ms, max {feed['max_ms']:.1f} ms "
              f"(target p99 < 100 ms)")
        o, q = feed["ordinary_open"], feed["ordinary_quiet"]
        print(f"GET /healthz with the streams open: {o.rps:.0f} req/s, p99 {o.p99_ms:.1f} ms; "
              f"after they closed: {q.rps:.0f} req/s, p99 {q.p99_ms:.1f} ms")

