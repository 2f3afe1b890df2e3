"""Linli's benchmark: `python -m bench.run [--database sqlite|postgresql] [--seconds 8] [--rounds 3]`.

Serves the app under gunicorn.conf.py and a bare hello-world under the same configuration, one at
a time, drives each with wrk on loopback, and prints one table per database.
Later issues add their rows here.
"""

from __future__ import annotations

import argparse
import shutil
import sys

from bench.harness import deployment, gunicorn, median_result, print_table, sign_in, wrk
from demo.district import DEMO_PASSWORD


def middleware_rows(dep, seconds: int, rounds: int, connections: int):
    """Hello-world versus an authenticated read through the whole stack, alternating rounds."""
    hello, me, health = [], [], []
    for _ in range(rounds):
        with gunicorn("bench.hello:app", dep.env, dep.workdir) as base:
            wrk(base + "/hello", seconds=1, connections=connections)  # warm-up
            hello.append(wrk(base + "/hello", seconds=seconds, connections=connections))
        with gunicorn("wsgi:app", dep.env, dep.workdir) as base:
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
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is needed: apt-get install wrk", file=sys.stderr)
        return 2
    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    for database in databases:
        with deployment(database) as dep:
            baseline, rows = middleware_rows(dep, args.seconds, args.rounds, args.connections)
            print_table(f"Middleware stack on {database} ({args.rounds} rounds x {args.seconds}s, "
                        f"{args.connections} connections, median)", baseline, rows)
    print("\n(the /api/me row: session, CSRF, rate limiter, access log and user loading; target within 15 %)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
