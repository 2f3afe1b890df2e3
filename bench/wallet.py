"""The wallet list against hello-world with the same wallets at 1k and at 100k fences.

The residents fill their wallets with one round of check-ins before the first fence count; after
that only the fences change (a check-in at the demo fence finds "nothing new"), so the rows differ
in the fence count alone. At each count the wallet is measured twice: in fresh workers that have
never built a fence index, and again after check-ins made every worker build it, which tells the
index in memory apart from the data. Run it with
`python -m bench.run --only wallet [--database postgresql]`.
"""

from __future__ import annotations

from bench.airdrop import _lua, mint_sessions, seed
from bench.harness import gunicorn, hello_world, median_result, wrk

DEMO_POINT = {"lat": 31.1604, "lon": 121.5010, "accuracy_m": 10.0}
WALLET_PATH = "/api/wallet/coupons"


def _held(emails: list[str]) -> tuple[int, int]:
    """(coupons in these residents' wallets, fences), as the database holds them."""
    from sqlalchemy import func, select

    from core.db import db
    from core.identity.models import User
    from geofence.models import Fence
    from merchant.models import WalletCoupon

    coupons = db.session.scalar(select(func.count(WalletCoupon.id)).join(User, User.id == WalletCoupon.resident_id)
                                .where(User.email.in_(emails)))
    return coupons, db.session.scalar(select(func.count(Fence.id)))


def wallet_rows(dep, *, seconds: int, rounds: int, connections: int, fence_counts=(1_000, 100_000)):
    from bench.seed import add_fences, add_residents

    emails = seed(dep.env, lambda: add_residents(200, "bench-password", prefix="wallet"))
    sessions = mint_sessions(dep.env, emails)
    checkin = _lua(dep.workdir, sessions, "POST", "/api/airdrop/checkins", DEMO_POINT)
    wallet = _lua(dep.workdir, sessions, "GET", WALLET_PATH, None)
    hello, rows, held = [], [], {}
    have = 0
    for n in fence_counts:
        seed(dep.env, lambda n=n, have=have: add_fences(n - have - 1, seed=n))  # the demo has one fence
        have = n - 1
        cold, warm = [], []
        for _ in range(rounds):
            hello.append(hello_world(dep.env, dep.workdir, seconds=seconds, connections=connections))
            with gunicorn("wsgi:app", dep.env, dep.workdir) as server:
                url = server.base + "/"
                if not held:  # the first round fills the wallets
                    wrk(url, seconds=3, connections=connections, script=checkin)
                wrk(url, seconds=1, connections=connections, script=wallet)
                cold.append(wrk(url, seconds=seconds, connections=connections, script=wallet))
                # Until every worker has built its index (about a second per 25k fences on PostgreSQL).
                wrk(url, seconds=3 + n // 20_000, connections=connections, script=checkin)
                warm.append(wrk(url, seconds=seconds, connections=connections, script=wallet))
            held[n] = seed(dep.env, lambda: _held(emails))
        rows.append((f"GET wallet, {n:,} fences, no index built", median_result(cold), 0.6))
        rows.append((f"GET wallet, {n:,} fences, index in every worker", median_result(warm), 0.6))
    return median_result(hello), rows, held


def print_wallet(database: str, baseline, rows, held: dict) -> None:
    print(f"\nWallet list on {database} (200 residents in turn, {WALLET_PATH}, first page)")
    print(f"{'endpoint':<50} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} {'x hello':>8} {'target':>10}")
    print(f"{'hello-world (bare Flask, same gunicorn conf)':<50} {baseline.rps:>9.0f} {baseline.p50_ms:>8.2f} "
          f"{baseline.p99_ms:>8.2f} {baseline.non_2xx:>8} {1.0:>8.2f}")
    for name, result, target in rows:
        ratio = result.rps / baseline.rps
        verdict = f">={target:.2f} " + ("ok" if ratio >= target else "MISS")
        print(f"{name:<50} {result.rps:>9.0f} {result.p50_ms:>8.2f} {result.p99_ms:>8.2f} {result.non_2xx:>8} "
              f"{ratio:>8.2f} {verdict:>10}")
    print("(coupons in the 200 wallets / fences after each count: "
          + "; ".join(f"{coupons:,} / {fences:,}" for coupons, fences in held.values()) + ")")
