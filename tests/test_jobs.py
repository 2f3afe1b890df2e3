"""The job queue: its settings, and a job queued before a restart that a real worker runs after it."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from huey import RedisHuey, SqliteHuey

from core.config import ConfigError
from core.jobs import jobs_settings, make_huey

ROOT = Path(__file__).resolve().parent.parent
FLASK = [sys.executable, "-m", "flask", "--app", "wsgi", "jobs"]


def test_settings_sqlite_by_default_redis_when_configured(tmp_path):
    plain = jobs_settings({}, tmp_path)
    assert plain == {"immediate": False, "redis_url": None, "sqlite_path": str(tmp_path / "jobs.sqlite3"),
                     "workers": 2, "name": "linli"}
    assert isinstance(make_huey(plain), SqliteHuey)
    assert jobs_settings({"LINLI_ENV": "test"}, tmp_path)["immediate"] is True
    assert jobs_settings({"LINLI_ENV": "test", "LINLI_JOBS_IMMEDIATE": "off"}, tmp_path)["immediate"] is False
    redis = jobs_settings({"REDIS_URL": "redis://cache:6379/0"}, tmp_path)
    assert isinstance(make_huey(redis), RedisHuey)  # no connection is made until a job is queued
    with pytest.raises(ConfigError):
        jobs_settings({"LINLI_JOBS_WORKERS": "0"}, tmp_path)


def run_a_worker_until(beat: Path, env: dict) -> None:
    """Start `flask jobs worker` and stop it once the ping job has written `beat` (30 s at most)."""
    worker = subprocess.Popen([*FLASK, "worker", "--workers", "1"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while not beat.exists() and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.2)
        assert beat.exists(), worker.stderr.read().decode() if worker.poll() is not None else "no job ran in 30 s"
    finally:
        worker.terminate()
        worker.wait(timeout=15)


def test_a_job_queued_before_a_restart_runs_after_it(tmp_path):
    env = {**os.environ, "LINLI_ENV": "development", "LINLI_JOBS_IMMEDIATE": "off",
           "LINLI_INSTANCE_PATH": str(tmp_path), "LINLI_JOBS_SQLITE": str(tmp_path / "jobs.sqlite3")}
    env.pop("REDIS_URL", None)
    beat = tmp_path / "beat"
    # One process queues the job and exits: nothing is running when it is stored.
    subprocess.run([*FLASK, "ping", str(beat)], cwd=ROOT, env=env, check=True, capture_output=True, timeout=60)
    with sqlite3.connect(tmp_path / "jobs.sqlite3") as conn:
        assert len([d for (d,) in conn.execute("SELECT data FROM task") if b"heartbeat" in d]) == 1
    assert not beat.exists()
    # A worker started afterwards finds it in the SQLite storage and runs it.
    run_a_worker_until(beat, env)
    with sqlite3.connect(tmp_path / "jobs.sqlite3") as conn:  # the worker's own minute jobs may be queued
        assert not [d for (d,) in conn.execute("SELECT data FROM task") if b"heartbeat" in d]


def test_a_job_queued_on_redis_before_a_restart_runs_after_it(tmp_path, redis_url):
    """Production's queue: the job waits in Redis while nothing runs, then a worker takes it."""
    queue = f"linli-test-{os.getpid()}-{time.monotonic_ns()}"  # this test's own keys in the shared db
    env = {**os.environ, "LINLI_ENV": "development", "LINLI_JOBS_IMMEDIATE": "off",
           "LINLI_INSTANCE_PATH": str(tmp_path), "REDIS_URL": redis_url, "LINLI_JOBS_QUEUE": queue}
    storage = make_huey(jobs_settings(env, tmp_path)).storage
    beat = tmp_path / "beat"
    try:
        subprocess.run([*FLASK, "ping", str(beat)], cwd=ROOT, env=env, check=True, capture_output=True, timeout=60)
        assert len([item for item in storage.enqueued_items() if b"heartbeat" in item]) == 1 and not beat.exists()
        run_a_worker_until(beat, env)
        # Only the heartbeat is checked: the worker's own minute jobs may be queued meanwhile.
        assert not [item for item in storage.enqueued_items() if b"heartbeat" in item]
    finally:
        storage.flush_all()
