"""Background jobs on Huey: SQLite storage in instance/ by default, Redis when REDIS_URL is set.

Why Huey: it needs no server of its own on the embedded default (`SqliteHuey`, one file beside the
database), runs on Redis in production (`RedisHuey`), has periodic tasks (cron-like, checked every
minute by the consumer) and retries with a delay built in, and a queued job is a row in SQLite or a
list entry in Redis, so it survives a restart of the web server and of the worker alike.

The queue is one module-level `huey` (tasks are bound to it when their module is imported), built
from the environment:

- `REDIS_URL` set: RedisHuey on it; otherwise SqliteHuey on `LINLI_JOBS_SQLITE`
  (default instance/jobs.sqlite3). `LINLI_JOBS_QUEUE` names the queue (default "linli"), so that
  two deployments (or test runs) can share one Redis.
- `LINLI_JOBS_IMMEDIATE`: run every job at once in the caller's process, with in-memory storage.
  On by default only when `LINLI_ENV=test`, so the tests see a job's effect when the request
  that queued it has committed; one test runs a real worker on SQLite storage.

Every job is written with `job()`: it runs inside an app context with its own session, commits
when it returns (rolls back when it raises) and retries with exponential backoff. Jobs are queued
with `enqueue()`, which waits for the caller's COMMIT (core.tx.after_commit): a job never runs
on data that could still roll back. Each job must be idempotent (a unique key per effect), since
a retry, or a worker killed after the effect and before the acknowledgement, runs it again.
`flask --app wsgi jobs worker` runs the consumer (see README).
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable, Mapping
from pathlib import Path

import click
from flask import current_app, has_app_context
from flask.cli import AppGroup
from huey import RedisHuey, SqliteHuey, crontab  # noqa: F401 - crontab re-exported for periodic jobs

from core.config import PROJECT_ROOT, ConfigError, _flag
from core.extensions import db
from core.tx import after_commit

log = logging.getLogger(__name__)
NAME = "linli"


def jobs_settings(environ: Mapping[str, str], instance_path: Path) -> dict:
    """Which storage and mode the queue uses (pure, tested directly)."""
    immediate = _flag(environ.get("LINLI_JOBS_IMMEDIATE"), environ.get("LINLI_ENV") == "test")
    redis_url = environ.get("REDIS_URL") or None
    workers = int(environ.get("LINLI_JOBS_WORKERS", "2"))
    if workers < 1:
        raise ConfigError("LINLI_JOBS_WORKERS must be at least 1")
    sqlite_path = environ.get("LINLI_JOBS_SQLITE") or str(instance_path / "jobs.sqlite3")
    name = environ.get("LINLI_JOBS_QUEUE") or NAME
    return {"immediate": immediate, "redis_url": redis_url, "sqlite_path": sqlite_path, "workers": workers,
            "name": name}


def make_huey(settings: Mapping) -> SqliteHuey | RedisHuey:
    if settings["redis_url"]:
        return RedisHuey(settings.get("name", NAME), url=settings["redis_url"], immediate=settings["immediate"],
                         results=False)
    path = Path(settings["sqlite_path"])
    if not settings["immediate"]:
        path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(settings.get("name", NAME), filename=str(path), immediate=settings["immediate"],
                      results=False)


_instance = Path(os.environ.get("LINLI_INSTANCE_PATH", PROJECT_ROOT / "instance"))
SETTINGS = jobs_settings(os.environ, _instance)
huey = make_huey(SETTINGS)
_worker_app = None


def _app():
    if has_app_context():
        return current_app._get_current_object()
    if _worker_app is None:
        raise RuntimeError("no app for jobs: run them with `flask jobs worker`")
    return _worker_app


def job(*, retries: int = 5, retry_delay_s: int = 10, periodic: crontab | None = None,
        priority: int | None = None) -> Callable:
    """A Huey task that runs in an app context, commits on return and retries with backoff
    (retry_delay_s, then twice that, and so on)."""

    def decorate(fn):
        @functools.wraps(fn)
        def run(*args, **kwargs):
            with _app().app_context():
                try:
                    result = fn(*args, **kwargs)
                    db.session.commit()
                    return result
                except Exception:
                    db.session.rollback()
                    raise

        if periodic is not None:
            return huey.periodic_task(periodic, retries=retries, retry_delay=retry_delay_s, priority=priority)(run)
        return huey.task(retries=retries, retry_delay=retry_delay_s, retry_backoff=2, priority=priority)(run)

    return decorate


def enqueue(task, *args, **kwargs) -> None:
    """Queue `task(*args)` once the current transaction commits (at once, if none is open)."""
    after_commit(lambda: task(*args, **kwargs))


@job(retries=0)
def heartbeat(path: str) -> None:
    """Write the time into `path`: `flask jobs ping` proves a worker is taking jobs."""
    from core.db import utcnow

    Path(path).write_text(utcnow().isoformat())


jobs_cli = AppGroup("jobs", help="The background job queue (Huey).")


@jobs_cli.command("worker")
@click.option("--workers", type=int, default=None, help="Threads taking jobs (LINLI_JOBS_WORKERS, 2).")
def worker_command(workers: int | None) -> None:
    """Run the job consumer, periodic jobs included, until stopped (Ctrl-C or SIGTERM)."""
    global _worker_app
    if huey.immediate:
        raise click.UsageError("LINLI_JOBS_IMMEDIATE is on: jobs run in the web process, there is nothing to consume")
    _worker_app = current_app._get_current_object()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    where = SETTINGS["redis_url"] and "Redis" or SETTINGS["sqlite_path"]
    click.echo(f"jobs worker: {workers or SETTINGS['workers']} threads on {where}")
    consumer = huey.create_consumer(workers=workers or SETTINGS["workers"], worker_type="thread", periodic=True,
                                    check_worker_health=True)
    consumer.run()


@jobs_cli.command("ping")
@click.argument("path", type=click.Path(dir_okay=False))
def ping_command(path: str) -> None:
    """Queue a job that writes the time into PATH (is a worker running?)."""
    heartbeat(os.path.abspath(path))
    click.echo(f"queued: {path} is written when a worker takes the job")
