"""Linli's benchmark: `python -m bench.run [--database sqlite|postgresql] [--seconds 8] [--rounds 3]`.

Serves the app under gunicorn.conf.py and a bare hello-world under the same configuration, one at
a time, drives each with wrk on loopback, and prints one table per section and database, then
issue 14's table (figure | now | target) from the figures of this one run: every ratio is taken
against the hello-world measured beside it. bench/README.md says how to reproduce each row.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys

from bench.airdrop import claim_storm, fence_lookup_rows, print_airdrop, throughput_rows
from bench.harness import deployment, gunicorn, hello_world, median_result, print_table, sign_in, wrk
from bench.services import print_services, service_rows
from bench.till import feed_latency, print_till, redemption_rows, round_trips
from bench.wallet import print_wallet, wallet_rows
from demo.district import DEMO_PASSWORD


def middleware_rows(dep, seconds: int, rounds: int, connections: int):
    """Hello-world versus an authenticated read through the whole stack, alternating rounds."""
    hello, me, health = [], [], []
    for _ in range(rounds):
        hello.append(hello_world(dep.env, dep.workdir, seconds=seconds, connections=connections))
        with gunicorn("wsgi:app", dep.env, dep.workdir) as server:
            base = server.base
            cookie = sign_in(base, "resident@linli.demo", DEMO_PASSWORD)
            headers = {"Cookie": cookie}
            wrk(base + "/api/me", seconds=1, connections=connections, headers=headers)
            me.append(wrk(base + "/api/me", seconds=seconds, connections=connections, headers=headers))
            health.append(wrk(base + "/healthz", seconds=seconds, connections=connections))
    return median_result(hello), [
        ("GET /healthz (no session)", median_result(health), None),
        ("GET /api/me (signed in: session, CSRF, rate", median_result(me), 0.85),
    ]


class IssueTable:
    """Issue 14's figures, filled in by the sections as they run (a section not run says so)."""

    FIGURES = (
        ("redemption", "redemption throughput / hello-world, PostgreSQL (SQLite)", ">= 0.35 x (>= 0.45 x)"),
        ("checkin", "check-in (fence lookup + ranking + claim) / hello-world", ">= 0.4 x"),
        ("wallet", "wallet list / hello-world (worst fence count)", ">= 0.6 x"),
        ("cost", "check-in cost with 100k fences / with 1k fences", "<= 1.5"),
        ("report", "report submission (no photos) / hello-world", ">= 0.3 x"),
        ("storm", "claim storm: 200 clients, inventory 1,000", "p99 < 250 ms, 0 oversold, 0 5xx"),
        ("lists", "staff queue p99 / Open311 1,000-result list p99, 8 clients", "< 100 / < 300 ms"),
        ("feed", "redemption -> 1,000 open dashboards over 4 workers", "p99 < 50 ms"),
    )
    TARGETS = {"redemption": {"postgresql": 0.35, "sqlite": 0.45}, "checkin": 0.4, "wallet": 0.6, "report": 0.3}

    def __init__(self):
        self.cells: dict[str, dict[str, tuple[str, bool]]] = {key: {} for key, _, _ in self.FIGURES}

    def put(self, key: str, database: str, text: str, ok: bool) -> None:
        self.cells[key][database] = (text, ok)

    def ratio(self, key: str, database: str, ratio: float) -> None:
        target = self.TARGETS[key]
        target = target[database] if isinstance(target, dict) else target
        self.put(key, database, f"{ratio:.2f} x", ratio >= target)

    def till(self, database: str, baseline, redeem, feed) -> None:
        self.ratio("redemption", database, redeem.rps / baseline.rps)
        if feed:
            self.put("feed", database, f"p99 {feed['p99_ms']:.0f} ms ({feed['delivered']}/{feed['expected']})",
                     feed["p99_ms"] < 50 and feed["delivered"] == feed["expected"])

    def airdrop(self, database: str, baseline, rows, cost: float, storm: dict) -> None:
        checkins = [r for name, r, _ in rows if "check-in" in name]
        if checkins:
            self.ratio("checkin", database, min(r.rps for r in checkins) / baseline.rps)
        self.put("cost", database, f"{cost:.2f}", cost <= 1.5)
        text = (f"p99 {storm['p99_ms']:.0f} ms; issued {storm.get('held', '?')}, oversold {storm['oversold']}, "
                f"refused {storm['non_200'] - storm['5xx']}, 5xx {storm['5xx']}")
        self.put("storm", database, text, storm["p99_ms"] < 250 and storm["oversold"] == 0 and storm["5xx"] == 0)

    def wallet(self, database: str, baseline, rows) -> None:
        # From the wallet section, which holds the wallets steady while the fence count changes
        # (the airdrop section's wallet row grows with the coupons its own check-ins drop).
        if rows:
            self.ratio("wallet", database, min(r.rps for _, r, _ in rows) / baseline.rps)

    def services(self, database: str, baseline, rows) -> None:
        found = {name: measured for name, _, measured, _ in rows}
        queue = next((m for n, m in found.items() if "queue" in n), None)
        open311 = next((m for n, m in found.items() if "open311" in n.lower()), None)
        report = next((m for n, m in found.items() if "POST /api/reports" in n), None)
        if queue and open311:
            q, o = queue[0].p99_ms, open311[0].p99_ms
            self.put("lists", database, f"{q:.0f} / {o:.0f} ms", q < 100 and o < 300)
        if report:
            self.ratio("report", database, report[0].rps / baseline.rps)

    def print(self) -> None:
        print("\nIssue 14: figure | now | target (each ratio against the hello-world measured beside it in this run)")
        print(f"{'figure':<62} {'now':<58} target")
        for key, figure, target in self.FIGURES:
            cells = self.cells[key]
            now = "; ".join(f"{'PG' if db == 'postgresql' else 'SQLite'} {text}{'' if ok else ' MISS'}"
                            for db, (text, ok) in sorted(cells.items())) or "not run"
            print(f"{figure:<62} {now:<58} {target}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--only", choices=["middleware", "airdrop", "till", "wallet", "services", "assets"],
                        help="run one section")
    parser.add_argument("--redis", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
                        help="Redis for the live-feed fan-out across workers")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is needed: apt-get install wrk", file=sys.stderr)
        return 2
    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    issue = IssueTable()
    if args.only in (None, "airdrop"):
        print("\nFence lookup in process (FenceIndex.containing, random points over a 60 km city)")
        print(f"{'fences':<44} {'p50 us':>9} {'p99 us':>9}")
        for label, p50, p99 in fence_lookup_rows():
            print(f"{label:<44} {p50:>9.1f} {p99:>9.1f}   (target p99 < 100 us at 100k)")
    for database in databases:
        if args.only in (None, "middleware"):
            with deployment(database) as dep:
                baseline, rows = middleware_rows(dep, args.seconds, args.rounds, args.connections)
                print_table(f"Middleware stack on {database} ({args.rounds} rounds x {args.seconds}s, "
                            f"{args.connections} connections, median)", baseline, rows)
            print("(the /api/me row: session, CSRF, rate limiter, access log and user loading; target within 15 %)")
        if args.only in (None, "airdrop"):
            with deployment(database) as dep:
                baseline, rows, cost, memory = throughput_rows(dep, seconds=args.seconds, rounds=args.rounds,
                                                               connections=args.connections)
                storm = claim_storm(dep)
                print_airdrop(database, baseline, rows, cost, memory, storm)
                issue.airdrop(database, baseline, rows, cost, storm)
        if args.only in (None, "till"):
            with deployment(database) as dep:
                baseline, redeem = redemption_rows(dep, seconds=args.seconds, rounds=args.rounds,
                                                   connections=args.connections)
                postgresql = database == "postgresql"
                feed = feed_latency(dep, redis_url=args.redis) if postgresql else None
                trips = round_trips(dep) if postgresql else None
                print_till(database, baseline, redeem, feed, trips)
                issue.till(database, baseline, redeem, feed)
        if args.only in (None, "wallet"):
            with deployment(database) as dep:
                baseline, rows, held = wallet_rows(dep, seconds=args.seconds, rounds=args.rounds,
                                                   connections=args.connections)
                print_wallet(database, baseline, rows, held)
                issue.wallet(database, baseline, rows)
        if args.only in (None, "services"):
            with deployment(database) as dep:
                baseline, rows, notes = service_rows(dep, seconds=args.seconds, rounds=args.rounds,
                                                     connections=args.connections)
                print_services(database, baseline, rows, notes)
                issue.services(database, baseline, rows)
    issue.print()
    if args.only in (None, "assets"):  # after the table: not one of its rows
        from bench.assets import page_loads, print_rows

        with deployment("sqlite") as dep, gunicorn("wsgi:app", dep.env, dep.workdir) as server:
            print_rows(page_loads(server.base))
    return 0


if __name__ == "__main__":
    sys.exit(main())
