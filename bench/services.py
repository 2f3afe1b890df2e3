"""Services benchmarks with 100,000 reports in the database: the staff work queue, nearby
duplicates and the Open311 request list as latency at a modest concurrency, and filing a report
(no photos) as throughput against hello-world."""

from __future__ import annotations

import json
import math
import random
import urllib.error
import urllib.request
import uuid
from datetime import timedelta

from bench.airdrop import mint_sessions, seed
from bench.harness import Result, gunicorn, median_result, wrk

CENTRE = (31.16, 121.501)  # the demo community centre
RADIUS_M = 3000  # reports are spread over a disc this wide around it
QUEUE_PATH = "/api/staff/queue?page=1&page_size=25"
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

# One request per line of the paths file: a different point (and category) each time.
PATHS_LUA = """
local paths = {}
for line in io.lines("%(paths)s") do paths[#paths + 1] = line end
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[((i - 1) %% #paths) + 1])
end
"""

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
    from sqlalchemy import insert, select

    from bench.seed import add_residents
    from core.db import db, utcnow
    from core.identity.models import User
    from geofence.models import Fence
    from geofence.rules import haversine_m
    from services.models import Category, Channel, Resolution, ServiceRequest, Status

    rng = random.Random(seed_value)
    now = utcnow()
    categories = db.session.execute(select(Category.id, Category.code, Category.department_id,
                                           Category.sla_hours).order_by(Category.id)).all()
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
    return {"emails": emails, "codes": [c.code for c in categories],
            "open": sum(r["status"] is not Status.RESOLVED for r in rows)}


def _nearby_paths(workdir, codes: list[str], n: int = 5000) -> tuple[str, list[str]]:
    rng = random.Random(50)
    path = workdir / "nearby-paths.txt"
    lines = []
    for i in range(n):
        lat, lon = _point(rng)
        lines.append(f"/api/reports/nearby?category={codes[i % len(codes)]}&lat={lat:.6f}&lon={lon:.6f}\n")
    path.write_text("".join(lines))
    script = workdir / "nearby.lua"
    script.write_text(PATHS_LUA % {"paths": path})
    return str(script), [line.strip() for line in lines]


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
    import time

    started = time.perf_counter()
    seeded = seed(dep.env, lambda: seed_reports(reports))
    seed_s = time.perf_counter() - started
    sessions = mint_sessions(dep.env, seeded["emails"])
    ((staff_cookie, _),) = mint_sessions(dep.env, [STAFF])
    codes = seeded["codes"]
    nearby_script, nearby_paths = _nearby_paths(dep.workdir, codes)
    staff = {"Cookie": staff_cookie}
    c = latency_connections
    hello, queue, nearby, open311, filing = [], [], [], [], []
    checks = {}
    for _ in range(rounds):
        with gunicorn("bench.hello:app", dep.env, dep.workdir) as server:
            wrk(server.base + "/hello", seconds=1, connections=connections)
            hello.append(wrk(server.base + "/hello", seconds=seconds, connections=connections))
        with gunicorn("wsgi:app", dep.env, dep.workdir) as server:
            base = server.base
            report_script = _report_script(dep.workdir, sessions, codes)
            checks = _checks(base, staff_cookie, nearby_paths)
            # Warm every worker: imports, the fence index, prepared statements, the page cache.
            wrk(base + QUEUE_PATH, seconds=1, connections=c, headers=staff)
            wrk(base + "/", seconds=1, connections=c, script=nearby_script)
            queue.append(wrk(base + QUEUE_PATH, seconds=seconds, connections=c, headers=staff))
            nearby.append(wrk(base + "/", seconds=seconds, connections=c, script=nearby_script))
            if checks["open311"] is not None:
                wrk(base + OPEN311_PATH, seconds=1, connections=c)
                open311.append(wrk(base + OPEN311_PATH, seconds=seconds, connections=c))
            # Last, since every report filed here joins the data the reads above see.
            wrk(base + "/", seconds=1, connections=connections, script=report_script)
            filing.append(wrk(base + "/", seconds=seconds, connections=connections, script=report_script))
    method = f"wrk -c{c} {seconds}s"
    rows = [
        ("GET /api/staff/queue (25 of a dept's open)", method, median_result(queue), ("p99", 100.0)),
        ("GET /api/reports/nearby (random points)", method, median_result(nearby), ("p99", 100.0)),
        ("GET /open311/v2/requests.json (1,000)", method, median_result(open311) if open311 else None,
         ("p99", 300.0)),
        ("POST /api/reports (no photos, 200 residents)", f"wrk -c{connections} {seconds}s",
         median_result(filing), ("x hello", 0.3)),
    ]
    notes = {"reports": reports, "open": seeded["open"], "seed_s": seed_s, "rounds": rounds, **checks}
    return median_result(hello), rows, notes


def print_services(database: str, baseline: Result, rows, notes: dict) -> None:
    print(f"\nServices on {database}: {notes['reports']:,} reports ({notes['open']:,} open) seeded in "
          f"{notes['seed_s']:.1f} s; {notes['rounds']} rounds, median")
    print(f"{'figure':<46} {'method':<14} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} "
          f"{'x hello':>7} {'target':>13}")
    print(f"{'hello-world (bare Flask, same gunicorn conf)':<46} {'':<14} {baseline.rps:>7.0f} "
          f"{baseline.p50_ms:>8.2f} {baseline.p99_ms:>8.2f} {baseline.non_2xx:>8} {1.0:>7.2f}")
    for name, method, result, (kind, target) in rows:
        if result is None:
            print(f"{name:<46} {'not available (route missing)':<14}")
            continue
        ratio = result.rps / baseline.rps
        if kind == "p99":
            verdict = f"p99<{target:.0f} " + ("ok" if result.p99_ms < target else "MISS")
        else:
            verdict = f">={target:.2f} " + ("ok" if ratio >= target else "MISS")
        print(f"{name:<46} {method:<14} {result.rps:>7.0f} {result.p50_ms:>8.2f} {result.p99_ms:>8.2f} "
              f"{result.non_2xx:>8} {ratio:>7.2f} {verdict:>13}")
    print(f"(checks before measuring: queue {notes['queue']}; nearby {notes['nearby']}; "
          f"open311 {notes['open311_check']}; x hello: throughput ratio, hello at the POST row's concurrency)")
