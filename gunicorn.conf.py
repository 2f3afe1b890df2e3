"""Production server settings: `gunicorn -c gunicorn.conf.py wsgi:app`.

Every value can be overridden from the environment, so one file serves a laptop and a fleet.
"""

import multiprocessing
import os

bind = os.environ.get("LINLI_BIND", "0.0.0.0:8000")
# Two processes per core: one can compute while the other waits on the database.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
# The worker model follows the database.
# - PostgreSQL: gevent. A live dashboard holds its event stream open for hours; with gevent an
#   open stream is an idle greenlet, so a thousand of them never make an ordinary request wait
#   for a thread (psycopg 3 waits through gevent's poll once gevent has patched select; redis-py
#   and the rest are plain sockets).
# - SQLite: gthread. sqlite3 never yields to gevent, and its busy handler sleeps inside C while
#   another writer holds the database: under gevent that froze every greenlet of the worker,
#   including the one holding the lock, until busy_timeout (the storm's 29 s p99 and timeouts).
#   With threads, the waiting writer releases the GIL and the holder commits. An SQLite site is
#   one small neighbourhood: its few dashboards' streams fit in the threads.
_engine_default = "gthread" if (os.environ.get("DATABASE_URL") or "sqlite").startswith("sqlite") else "gevent"
worker_class = os.environ.get("LINLI_WORKER_CLASS", _engine_default)
threads = int(os.environ.get("LINLI_THREADS", "32"))
worker_connections = int(os.environ.get("LINLI_WORKER_CONNECTIONS", "1000"))
keepalive = 5
timeout = 30
graceful_timeout = 30
# Recycle workers now and then so a slow leak can never take a machine down.
max_requests = int(os.environ.get("LINLI_MAX_REQUESTS", "20000"))
max_requests_jitter = max_requests // 10
# Behind a proxy, trust only the proxy's X-Forwarded-* headers.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = os.environ.get("LINLI_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("LINLI_LOG_LEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
raw_env = ["LINLI_ENV=" + os.environ.get("LINLI_ENV", "production")]
