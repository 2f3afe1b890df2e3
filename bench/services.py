"""Services benchmarks with 100,000 reports in the database: the staff work queue, nearby
duplicates and the Open311 request list as latency at a modest concurrency, and filing a report
(no photos) as throughput against hello-world."""

from __future__ import annotations

import http.client
import json
import math
import random
import re
import statistics
import threading
import time
import urllib.error
import urllib.request
import uuid
from datetime import timedelta

from bench.airdrop import mint_sessions, seed
from bench.harness import Result, Server, gunicorn, median_result, wrk

CENTRE = (31.16, 121.501)  # the demo community centre
RADIUS_M = 3000  # reports are spread over a disc this wide around it
QUEUE_PATH = "/api/staff/queue?page=1&page_size=25"
# The neighbourhood map: the whole seeded disc (6 km across) at zoom 13, and a 390 x 700 px phone
# viewport at street zoom (17) at random places in it.
MAP_DISTRICT_PATH = "/api/map/reports?bbox=121.465,31.130,121.537,31.190&zoom=13"
OPEN311_PATH = "/open311/v2/requests.json"
STAFF = "staff@linli.demo"
# Answers each demo category accepts (streetlight and drain have a required question).
ANSWERS = {"streetlight": {"lamp": "off"}, "drain": {"flooding": "no"}, "pothole": {}, "litter": {}, "tree": {}}
DESCRIPTIONS = [
    "The lamp outside number {n} has been off for three nights; the pavement is completely dark.",
    "Deep hole in the road near the bus stop, cyclists swerve around it.",
    "Drain by the corner is blocked with leaves, water stands after rain.",
    "Bins by block {n} overflowing since the weekend.",
    "A large branch came down in the wind and blocks half the footpath.",
    "Paving stones loose and rocking in front of shop {n}.",
]

# A different resident and a different report each time.
REPORT_LUA = """
local sessions, bodies = {}, {}
for line in io.lines("%(sessions)s") do
  local cookie, token = line:match("([^\\t]+)\\t([^\\t]+)")
  sessions[#sessions + 1] = {cookie, token}
end
for line in io.lines("%(bodies)s") do bodies[#bodies + 1] = line end
local i = 0
request = function()
  i = i + 1
  local s = sessions[((i - 1) %% #sessions) + 1]
  return wrk.format("POST", "/api/reports", {["Cookie"] = s[1], ["X-CSRFToken"] = s[2],
                    ["Content-Type"] = "application/json"}, bodies[((i - 1) %% #bodies) + 1])
end
"""


def _point(rng: random.Random) -> tuple[float, float]:
    """Uniform over the disc of RADIUS_M around the centre."""
    r = RADIUS_M * math.sqrt(rng.random())
    theta = rng.uniform(0, 2 * math.pi)
    north, east = r * math.cos(theta), r * math.sin(theta)
    return CENTRE[0] + north / 111_320, CENTRE[1] + east / (111_320 * math.cos(math.radians(CENTRE[0])))


def _refs(rng: random.Random, n: int) -> list[str]:
    """Unique references in the app's own shape (XXXX-XXXX), deterministic for a given rng."""
    from services.rules import REF_ALPHABET

    seen: set[str] = set()
    while len(seen) < n:
        raw = "".join(rng.choices(REF_ALPHABET, k=8))
        seen.add(f"{raw[:4]}-{raw[4:]}")
    return sorted(seen, key=lambda _: rng.random())


def seed_reports(n: int, *, residents: int = 200, seed_value: int = 311) -> dict:
    """n reports over the demo district's categories (inside an app context), about 85 % resolved,
    created over the last 120 days; and `residents` resident accounts to file more."""
    from sqlalchemy import func, insert, select

    from bench.seed import add_residents
    from core.db import db, utcnow
    from core.identity.models import User
    from geofence.models import Fence
    from geofence.rules import haversine_m
    from services.models import Category, Channel, Resolution, ServiceRequest, Status

    rng = random.Random(seed_value)
    now = utcnow()
    categories = db.session.execute(select(Category.id, Category.code, Category.department_id, Category.sla_hours)
                                    .where(Category.active.is_(True)).order_by(Category.id)).all()
    fence = db.session.scalar(select(Fence).where(Fence.name == "Dongming Community Centre"))
    emails = add_residents(residents, "bench-password", prefix=f"svc{uuid.uuid4().hex[:6]}")
    reporters = list(db.session.scalars(select(User.id).where(User.email.in_(emails))))
    open_statuses = [Status.RECEIVED, Status.ACKNOWLEDGED, Status.IN_PROGRESS]
    refs = _refs(rng, n)
    rows = []
    for i in range(n):
        category = categories[i % len(categories)]
        created = now - timedelta(seconds=rng.uniform(0, 120 * 86400))
        sla = timedelta(hours=category.sla_hours)
        status = Status.RESOLVED if rng.random() < 0.85 else rng.choice(open_statuses)
        acknowledged = closed = None
        if status is not Status.RECEIVED:
            acknowledged = min(now, created + timedelta(hours=rng.uniform(0.2, 24)))
        if status is Status.RESOLVED:
            closed = min(now, acknowledged + timedelta(hours=rng.uniform(0.5, 2 * category.sla_hours)))
        if rng.random() < 0.03:  # a typed address only
            lat = lon = None
            address = f"{rng.randrange(1, 900)} Dongming Road"
            area = None
        else:
            lat, lon = _point(rng)
            address = ""
            area = fence.id if fence and haversine_m(lat, lon, fence.center_lat, fence.center_lon) <= \
                fence.radius_m else None
        reopened = status is not Status.RESOLVED and rng.random() < 0.02
        rows.append({
            "ref": refs[i], "category_id": category.id, "department_id": category.department_id,
            "description": rng.choice(DESCRIPTIONS).format(n=rng.randrange(1, 400)), "lat": lat, "lon": lon,
            "address": address, "area_fence_id": area, "answers": {}, "channel": Channel.APP,
            "reporter_id": reporters[i % len(reporters)], "contact": {}, "filed_by_id": None, "api_key_id": None,
            "status": status, "resolution": Resolution.FIXED if closed else None, "resolution_note":
            "Repaired on site." if closed else "", "duplicate_of_id": None, "referral": "", "assignee_id": None,
            "supporters": rng.choice((0, 0, 0, 0, 0, 0, 1, 1, 2, 5)), "reopened": reopened,
            "disputes": 1 if reopened else 0, "round": 2 if reopened else 1,
            "created_at": created, "expected_at": created + sla, "acknowledged_at": acknowledged,
            "closed_at": closed, "updated_at": closed or acknowledged or created,
        })
    for start in range(0, n, 5000):
        db.session.execute(insert(ServiceRequest), rows[start:start + 5000])
    return {"emails": emails, "codes": [c.code for c in categories], "last_id": db.session.scalar(
        select(func.max(ServiceRequest.id))), "open": sum(r["status"] is not Status.RESOLVED for r in rows)}


def forget_filed(last_id: int) -> int:
    """Deletes the reports filed by a round (their events go with them), so that every round reads
    the same 100,000 reports."""
    from sqlalchemy import delete

    from core.db import db
    from services.models import ServiceRequest

    return db.session.execute(delete(ServiceRequest).where(ServiceRequest.id > last_id)).rowcount


def _nearby_paths(codes: list[str], n: int = 5000) -> list[str]:
    """Random points over the seeded disc, the categories in turn."""
    rng = random.Random(50)
    paths = []
    for i in range(n):
        lat, lon = _point(rng)
        paths.append(f"/api/reports/nearby?category={codes[i % len(codes)]}&lat={lat:.6f}&lon={lon:.6f}")
    return paths


def _map_phone_paths(n: int = 2000) -> list[str]:
    """A phone's view (390 x 700 px at zoom 17: about 400 x 720 m) around random points of the disc."""
    rng = random.Random(17)
    half_lat, half_lon = 360 / 111_320, 200 / (111_320 * math.cos(math.radians(CENTRE[0])))
    paths = []
    for _ in range(n):
        lat, lon = _point(rng)
        paths.append(f"/api/map/reports?bbox={lon - half_lon:.6f},{lat - half_lat:.6f},{lon + half_lon:.6f},"
                     f"{lat + half_lat:.6f}&zoom=17")
    return paths


def _warm_map(base: str, *, in_a_row: int = 40, patience_s: float = 60.0) -> str:
    """Asks for the district until `in_a_row` answers in a row came from a worker's snapshot
    (Server-Timing desc="index"); says how long that took."""
    started = time.perf_counter()
    streak = 0
    while streak < in_a_row and time.perf_counter() - started < patience_s:
        status, headers, _ = _get(base + MAP_DISTRICT_PATH)
        streak = streak + 1 if status == 200 and 'desc="index"' in headers.get("Server-Timing", "") else 0
        if not streak:
            time.sleep(0.05)
    took = time.perf_counter() - started
    return f"snapshots in every worker after {took:.1f} s" if streak >= in_a_row else f"not all after {took:.0f} s"


def _report_script(workdir, sessions, codes: list[str], n: int = 20_000) -> str:
    rng = random.Random(uuid.uuid4().int)
    sessions_file = workdir / f"report-sessions-{uuid.uuid4().hex[:6]}.tsv"
    sessions_file.write_text("".join(f"{c}\t{t}\n" for c, t in sessions))
    bodies_file = workdir / f"report-bodies-{uuid.uuid4().hex[:6]}.jsonl"
    lines = []
    for i in range(n):
        code = codes[i % len(codes)]
        lat, lon = _point(rng)
        lines.append(json.dumps({"service_code": code, "description": rng.choice(DESCRIPTIONS).format(n=i),
                                 "lat": round(lat, 6), "lon": round(lon, 6), "answers": ANSWERS.get(code, {})}))
    bodies_file.write_text("\n".join(lines) + "\n")
    script = workdir / f"report-{uuid.uuid4().hex[:6]}.lua"
    script.write_text(REPORT_LUA % {"sessions": sessions_file, "bodies": bodies_file})
    return str(script)


def _vacuum(env: dict) -> None:
    """On PostgreSQL, what autovacuum does soon after a bulk load: statistics for the planner and
    the visibility map (index-only scans). A real table of 120 days of reports has had both."""
    if not env["DATABASE_URL"].startswith("postgresql"):
        return
    from sqlalchemy import create_engine, text

    engine = create_engine(env["DATABASE_URL"], isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()


def _busy(*, quiet: float = 0.15, patience_s: float = 120.0) -> float:
    """Share of the machine's CPU in use while this benchmark waits, after waiting (up to
    patience_s) for it to fall below `quiet`: other work on a 2-core box makes every figure here
    worse, so each round starts on a quiet machine when it can, and the table says how quiet."""

    def sample():
        values = [int(v) for v in open("/proc/stat").readline().split()[1:9]]
        return sum(values), values[3] + values[4]

    deadline = time.monotonic() + patience_s
    while True:
        total, idle = sample()
        time.sleep(2)
        total2, idle2 = sample()
        busy = 1 - (idle2 - idle) / max(1, total2 - total)
        if busy < quiet or time.monotonic() > deadline:
            return busy


def latency(server: Server, workdir, paths: list[str], *, seconds: int, connections: int,
            headers: dict | None = None) -> tuple[Result, float, float]:
    """Closed loop: `connections` keep-alive clients, each sending its next request as soon as the
    last one is answered (paths in turn). Returns what the clients saw, and p50/p99 ms of the
    server's own time for the same requests (gunicorn's access log), the rest being queueing.

    A thread per connection rather than wrk: against gevent workers with keep-alive, wrk's latency
    figures disagree with its own throughput (mean latency more than connections / req/s allows,
    by 2 to 3 times, also for hello-world); these are per request and add up.
    """
    host, port = server.base.removeprefix("http://").split(":")
    log = workdir / f"access-{port}.log"  # where bench.harness.gunicorn has it written
    start_at = log.stat().st_size if log.exists() else 0
    stop = time.perf_counter() + seconds
    times: list[float] = []
    statuses: list[int] = []
    lock = threading.Lock()

    def client(offset: int) -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=60)
        mine, codes, i = [], [], offset
        while time.perf_counter() < stop:
            t = time.perf_counter()
            conn.request("GET", paths[i % len(paths)], headers=headers or {})
            response = conn.getresponse()
            response.read()
            mine.append((time.perf_counter() - t) * 1000)
            codes.append(response.status)
            i += connections
        conn.close()
        with lock:
            times.extend(mine)
            statuses.extend(codes)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(connections)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    times.sort()
    result = Result(len(times) / elapsed, _pct(times, 0.50), _pct(times, 0.99),
                    sum(not 200 <= s < 400 for s in statuses))
    return (result, *_server_ms(log, start_at))


def _pct(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def _server_ms(log, start_at: int) -> tuple[float, float]:
    """p50/p99 of gunicorn's own request times (whole ms) logged since start_at."""
    time.sleep(0.2)  # the access log is written as each response goes out
    with open(log, "rb") as f:
        f.seek(start_at)
        server_ms = sorted(int(m) for m in re.findall(rb" (\d+)ms \"", f.read()))
    return _pct(server_ms, 0.50), _pct(server_ms, 0.99)


def _get(url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def _checks(base: str, staff_cookie: str, nearby_paths: list[str]) -> dict:
    """One request of each kind before measuring: right status, right size of answer."""
    out = {}
    status, headers, body = _get(base + QUEUE_PATH, {"Cookie": staff_cookie})
    total = json.loads(headers.get("X-Pagination", "{}")).get("total")
    out["queue"] = f"{status}, {len(json.loads(body)) if status == 200 else '-'} items of {total}"
    found = []
    for path in nearby_paths[:50]:
        status, _, body = _get(base + path)
        found.append(len(json.loads(body)["nearby"]) if status == 200 else -1)
    out["nearby"] = f"{sum(f >= 0 for f in found)}/50 ok, {sum(f > 0 for f in found)} with a match"
    status, headers, body = _get(base + OPEN311_PATH)
    items = None
    if status == 200 and headers.get("Content-Type", "").startswith("application/json"):
        try:
            items = len(json.loads(body))
        except ValueError:
            items = None
    out["open311"] = items  # None: the route is not there (yet)
    out["open311_check"] = f"{status}, {items if items is not None else 'not available'} results"
    return out


def service_rows(dep, *, seconds: int, rounds: int, connections: int, reports: int = 100_000,
                 latency_connections: int = 8):
    """Hello-world versus the four service figures, alternating rounds; medians over rounds."""
    started = time.perf_counter()
    seeded = seed(dep.env, lambda: seed_reports(reports))
    _vacuum(dep.env)
    seed_s = time.perf_counter() - started
    sessions = mint_sessions(dep.env, seeded["emails"])
    ((staff_cookie, _),) = mint_sessions(dep.env, [STAFF])
    codes = seeded["codes"]
    nearby_paths = _nearby_paths(codes)
    staff = {"Cookie": staff_cookie}
    c = latency_connections
    names = ("hello", "queue", "nearby", "open311", "map", "map_phone")
    map_phone_paths = _map_phone_paths()
    low = {name: [] for name in names}  # (client Result, server p50, server p99) per round
    hello, filing = [], []
    checks, busy = {}, []

    def measure(server, name, paths, headers=None):
        latency(server, dep.workdir, paths, seconds=1, connections=c, headers=headers)  # warm every worker
        low[name].append(latency(server, dep.workdir, paths, seconds=seconds, connections=c, headers=headers))

    for _ in range(rounds):
        busy.append(_busy())
        with gunicorn("bench.hello:app", dep.env, dep.workdir) as server:
            wrk(server.base + "/hello", seconds=1, connections=connections)
            hello.append(wrk(server.base + "/hello", seconds=seconds, connections=connections))
            measure(server, "hello", ["/hello"])
        with gunicorn("wsgi:app", dep.env, dep.workdir) as server:
            base = server.base
            checks = _checks(base, staff_cookie, nearby_paths)
            measure(server, "queue", [QUEUE_PATH], staff)
            measure(server, "nearby", nearby_paths)
            if checks["open311"] is not None:
                measure(server, "open311", [OPEN311_PATH])
            # Each worker builds its map snapshot in the background at its first map request (and
            # answers from SQL meanwhile): measured once every worker answers from its snapshot.
            checks["map_warm"] = _warm_map(base)
            measure(server, "map", [MAP_DISTRICT_PATH])
            measure(server, "map_phone", map_phone_paths)
            # Last, since every report filed here joins the data the reads above see.
            report_script = _report_script(dep.workdir, sessions, codes)
            wrk(base + "/", seconds=1, connections=connections, script=report_script)
            log = dep.workdir / f"access-{base.rsplit(':', 1)[1]}.log"
            start_at = log.stat().st_size
            filed = wrk(base + "/", seconds=seconds, connections=connections, script=report_script)
            filing.append((filed, *_server_ms(log, start_at)))
        seed(dep.env, lambda: forget_filed(seeded["last_id"]))
        _vacuum(dep.env)

    def med(name):
        if not low[name]:
            return None
        return (median_result([r for r, _, _ in low[name]]), statistics.median(p for _, p, _ in low[name]),
                statistics.median(p for _, _, p in low[name]))

    method = f"{c} clients {seconds}s"
    rows = [
        ("hello-world, same low concurrency", method, med("hello"), None),
        ("GET /api/staff/queue (25 of a dept's open)", method, med("queue"), ("p99", 100.0)),
        ("GET /api/reports/nearby (random points)", method, med("nearby"), ("p99", 100.0)),
        ("GET /open311/v2/requests.json (1,000)", method, med("open311"), ("p99", 300.0)),
        ("GET /api/map/reports (whole district, z13)", method, med("map"), ("srv p99", 100.0)),
        ("GET /api/map/reports (phone view, z17)", method, med("map_phone"), ("srv p99", 100.0)),
        ("POST /api/reports (no photos, 200 residents)", f"wrk -c{connections} {seconds}s",
         (median_result([r for r, _, _ in filing]), statistics.median(p for _, p, _ in filing),
          statistics.median(p for _, _, p in filing)), ("x hello", 0.3)),
    ]
    notes = {"reports": reports, "open": seeded["open"], "seed_s": seed_s, "rounds": rounds, "busy": busy,
             "method": f"wrk -c{connections} {seconds}s", "clients": c, **checks}
    return median_result(hello), rows, notes


def print_services(database: str, baseline: Result, rows, notes: dict) -> None:
    busy = ", ".join(f"{b:.0%}" for b in notes["busy"])
    print(f"\nServices on {database}: {notes['reports']:,} reports ({notes['open']:,} open) seeded in "
          f"{notes['seed_s']:.1f} s; {notes['rounds']} rounds, median")
    print(f"machine busy before each round: {busy} (each round waits up to 2 min for < 15 %)")
    print(f"{'figure':<46} {'method':<15} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'srv p50':>8} {'srv p99':>8} "
          f"{'non-2xx':>8} {'x hello':>7} {'target':>13}")
    print(f"{'hello-world (bare Flask, same gunicorn conf)':<46} {notes['method']:<15} {baseline.rps:>7.0f} "
          f"{baseline.p50_ms:>8.2f} {baseline.p99_ms:>8.2f} {'':>8} {'':>8} {baseline.non_2xx:>8} {1.0:>7.2f}")
    for name, method, measured, target in rows:
        if measured is None:
            print(f"{name:<46} not available (no such route when measured)")
            continue
        result, server_p50, server_p99 = measured
        ratio = result.rps / baseline.rps
        kind, target = target or (None, None)
        shown, verdict = "", ""  # a throughput ratio only where throughput is the figure
        if kind == "p99":
            verdict = f"p99<{target:.0f} " + ("ok" if result.p99_ms < target else "MISS")
        elif kind == "srv p99":  # the server's own time: the target is for the work, not the queue
            verdict = f"srv<{target:.0f} " + ("ok" if server_p99 is not None and server_p99 < target else "MISS")
        elif kind == "x hello":
            shown = f"{ratio:.2f}"
            verdict = f">={target:.2f} " + ("ok" if ratio >= target else "MISS")
        srv50 = f"{server_p50:.0f}" if server_p50 is not None else ""
        srv99 = f"{server_p99:.0f}" if server_p99 is not None else ""
        print(f"{name:<46} {method:<15} {result.rps:>7.0f} {result.p50_ms:>8.2f} {result.p99_ms:>8.2f} {srv50:>8} "
              f"{srv99:>8} {result.non_2xx:>8} {shown:>7} {verdict:>13}")
    print(f"(checks before measuring: queue {notes['queue']}; nearby {notes['nearby']}; open311 "
          f"{notes['open311_check']}; map {notes.get('map_warm', '-')}.")
    print(f" Latency rows: {notes['clients']} keep-alive client threads in a closed loop, p50/p99 over every request "
          f"of the run as the clients saw it;\n srv: gunicorn's own time for the same requests (access log, whole ms), "
          f"the difference being the wait inside the workers.\n POST row: wrk's figures (its latencies run high "
          f"against gevent keep-alive, see bench.services.latency); x hello: req/s over hello-world's\n at the same "
          f"concurrency ({notes['method']}).)")
