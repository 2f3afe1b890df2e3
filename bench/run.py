"""Linli's benchmark: `python -m bench.run [--database sqlite|postgresql] [--seconds 8] [--rounds 3]`.

Serves the app under gunicorn.conf.py and a bare hello-world under the same configuration, one at
a time, drives each with wrk on loopback, and prints one table per database.
Later issues add their rows here.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys

from bench.airdrop import claim_storm, fence_lookup_rows, print_airdrop, throughput_rows
from bench.harness import deployment, gunicorn, median_result, print_table, sign_in, wrk
from bench.services import print_services, service_rows
from bench.till import feed_latency, print_till, redemption_rows
from demo.district import DEMO_PASSWORD


def middleware_rows(dep, seconds: int, rounds: int, connections: int):
    """Hello-world versus an authenticated read through the whole stack, alternating rounds."""
    hello, me, health = [], [], []
    for _ in range(rounds):
        with gunicorn("bench.hello:app", dep.env, dep.workdir) as server:
            wrk(server.base + "/hello", seconds=1, connections=connections)  # warm-up
            hello.append(wrk(server.base + "/hello", seconds=seconds, connections=connections))
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--only", choices=["middleware", "airdrop", "till", "services"], help="run one section")
    parser.add_argument("--redis", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
                        help="Redis for the live-feed fan-out across workers")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is needed: apt-get install wrk", file=sys.stderr)
        return 2
    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
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
        if args.only in (None, "till"):
            with deployment(database) as dep:
                baseline, redeem = redemption_rows(dep, seconds=args.seconds, rounds=args.rounds,
                                                   connections=args.connections)
                feed = feed_latency(dep, redis_url=args.redis) if database == "postgresql" else None
                print_till(database, baseline, redeem, feed)
        if args.only in (None, "services"):
            with deployment(database) as dep:
                baseline, rows, notes = service_rows(dep, seconds=args.seconds, rounds=args.rounds,
                                                     connections=args.connections)
                print_services(database, baseline, rows, notes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
