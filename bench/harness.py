"""Shared benchmark plumbing: a throwaway deployment, gunicorn processes, wrk runs, a table.

Every figure is measured in the same run as the hello-world baseline and reported as a ratio,
because on a 2-core machine absolute numbers move by a third from one run to the next.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PG_SERVER = os.environ.get("LINLI_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Deployment:
    env: dict
    workdir: Path

    def flask(self, *args: str) -> str:
        return subprocess.run([PYTHON, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=self.env,
                              check=True, capture_output=True, text=True).stdout


@contextmanager
def deployment(database: str):
    """A migrated database with the demo district, on SQLite or a throwaway PostgreSQL database."""
    workdir = Path(tempfile.mkdtemp(prefix="linli-bench-"))
    env = {**os.environ, "LINLI_INSTANCE_PATH": str(workdir), "SECRET_KEY": "bench-secret",
           "LINLI_ENV": "production", "LINLI_SECURE_COOKIES": "0",
           # Many load-generator connections share one address; the limit would only measure itself.
           "LINLI_LOGIN_RATE_LIMIT": "100000 per minute"}
    env.pop("REDIS_URL", None)
    pg_name = None
    if database == "postgresql":
        from sqlalchemy import create_engine, text

        pg_name = f"linli_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{pg_name}"'))
        env["DATABASE_URL"] = f"{PG_SERVER}/{pg_name}"
    else:
        env["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    dep = Deployment(env, workdir)
    try:
        dep.flask("db", "upgrade")
        dep.flask("demo")
        yield dep
    finally:
        if pg_name:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))
            admin.dispose()
        shutil.rmtree(workdir, ignore_errors=True)


@dataclass
class Server:
    base: str
    pid: int  # gunicorn's master process


@contextmanager
def gunicorn(app_spec: str, env: dict, workdir: Path):
    port = free_port()
    log = open(workdir / f"gunicorn-{port}.log", "w")
    proc_env = {**env, "LINLI_BIND": f"127.0.0.1:{port}", "LINLI_ACCESS_LOG": str(workdir / f"access-{port}.log")}
    proc = subprocess.Popen([PYTHON, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), app_spec],
                            cwd=ROOT, env=proc_env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90  # a loaded 2-core machine can take a while to boot 4 workers
        while True:
            try:
                urllib.request.urlopen(base + "/", timeout=1)
                break
            except urllib.error.HTTPError:
                break  # answering, even with 404
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn did not start: see {log.name}") from None
                time.sleep(0.2)
        yield Server(base, proc.pid)
    finally:
        proc.terminate()
        try:
            # gunicorn's graceful_timeout is 30 s; past that its master kills the workers itself.
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise RuntimeError(f"gunicorn did not stop within 40 s: see {log.name}") from None
        finally:
            log.close()


def sign_in(base: str, identifier: str, password: str) -> str:
    """Returns a Cookie header value for a signed-in session."""
    with urllib.request.urlopen(base + "/api/auth/csrf") as response:
        cookie = response.headers["Set-Cookie"].split(";", 1)[0]
        token = json.load(response)["csrf_token"]
    request = urllib.request.Request(
        base + "/api/auth/login", method="POST",
        data=json.dumps({"identifier": identifier, "password": password}).encode(),
        headers={"Content-Type": "application/json", "X-CSRFToken": token, "Cookie": cookie})
    with urllib.request.urlopen(request) as response:
        # Every cookie sign-in sets (the session and the device's own), as a browser would keep them.
        return "; ".join(value.split(";", 1)[0] for value in response.headers.get_all("Set-Cookie"))


@dataclass
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    non_2xx: int


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * _UNITS[unit]


def wrk(url: str, *, seconds: int, connections: int, headers: dict | None = None, script: str | None = None) -> Result:
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for key, value in (headers or {}).items():
        cmd += ["-H", f"{key}: {value}"]
    if script:
        cmd += ["-s", script]
    out = subprocess.run([*cmd, url], check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))
    non = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return Result(rps, p50, p99, int(non.group(1)) if non else 0)


def hello_world(env: dict, workdir: Path, *, seconds: int, connections: int) -> Result:
    """One round of the bare Flask app under the same gunicorn configuration: every ratio's baseline."""
    with gunicorn("bench.hello:app", env, workdir) as server:
        wrk(server.base + "/hello", seconds=1, connections=connections)  # warm-up
        return wrk(server.base + "/hello", seconds=seconds, connections=connections)


def median_result(results: list[Result]) -> Result:
    return Result(statistics.median(r.rps for r in results), statistics.median(r.p50_ms for r in results),
                  statistics.median(r.p99_ms for r in results), sum(r.non_2xx for r in results))


def print_table(title: str, baseline: Result, rows: list[tuple[str, Result, float | None]]) -> None:
    print(f"\n{title}")
    print(f"{'endpoint':<44} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} {'x hello':>8} {'target':>8}")
    print(f"{'hello-world (bare Flask, same gunicorn conf)':<44} {baseline.rps:>9.0f} {baseline.p50_ms:>8.2f} "
          f"{baseline.p99_ms:>8.2f} {baseline.non_2xx:>8} {1.0:>8.2f} {'':>8}")
    for name, result, target in rows:
        ratio = result.rps / baseline.rps
        verdict = "" if target is None else (f">={target:.2f} " + ("ok" if ratio >= target else "MISS"))
        print(f"{name:<44} {result.rps:>9.0f} {result.p50_ms:>8.2f} {result.p99_ms:>8.2f} {result.non_2xx:>8} "
              f"{ratio:>8.2f} {verdict:>8}")
