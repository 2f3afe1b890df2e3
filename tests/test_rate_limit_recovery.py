"""After a Redis outage the limiter goes back to Redis: workers share one count again."""

import secrets
import socket
import threading
import time
from urllib.parse import urlsplit

import pytest

from core.db import db
from linli import create_app
from tests.conftest import CsrfClient, forget_redis_keys

# Their Redis keys (a resident id, the limiter's counts) are the same in every xdist worker's
# database: these tests run on one worker, in turn.
pytestmark = pytest.mark.xdist_group("redis-shared-keys")


class RedisLink:
    """A TCP relay to the real Redis that a test can cut and restore, like a network outage."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self.server = None
        self.conns: list[socket.socket] = []

    def up(self):
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", self.port))
        self.server.listen(16)
        threading.Thread(target=self._accept, args=(self.server,), daemon=True).start()

    def down(self):
        try:
            self.server.shutdown(socket.SHUT_RDWR)  # wakes the accept() below; close() alone would not
        except OSError:
            pass
        self.server.close()
        for conn in self.conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()
        self.conns.clear()

    def _accept(self, server):
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a, b):
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.close()
                except OSError:
                    pass


@pytest.fixture
def link(redis_url):

    forget_redis_keys(redis_url, "LIMITS*")  # the limiter's counts only
    parts = urlsplit(redis_url)
    relay = RedisLink((parts.hostname, parts.port))
    relay.up()
    yield relay, f"redis://127.0.0.1:{relay.port}{parts.path}"
    relay.down()


def _worker(database_url: str, storage: str):
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_STORAGE_URI": storage,
                      "LOGIN_RATE_LIMIT": "3 per minute"})
    app.test_client_class = CsrfClient
    return app


def test_workers_share_counts_again_once_redis_is_back(app, make_user, database_url, link):
    relay, storage = link
    # This run's own address and account: parallel runs count in the same Redis.
    address = f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"
    identifier = f"outage-{secrets.token_hex(4)}@example.org"
    with app.app_context():
        make_user(identifier=identifier)
        db.session.commit()
    first, second = _worker(database_url, storage), _worker(database_url, storage)
    body = {"identifier": identifier, "password": "wrong-wrong-wrong"}

    def attempt(worker):
        return worker.test_client().post("/api/auth/login", json=body,
                                         environ_base={"REMOTE_ADDR": address}).status_code

    relay.down()
    # Redis is gone: sign-in keeps working (each worker counts for itself meanwhile).
    assert [attempt(first), attempt(second)] == [401, 401]
    relay.up()
    # Each worker's Redis connection answers again (a busy machine may take a moment to relay) ...
    from core.ratelimit import EXTENSION

    deadline = time.monotonic() + 15
    while not all(w.extensions[EXTENSION].limiter.storage.check() for w in (first, second)):
        assert time.monotonic() < deadline, "Redis did not answer again through the relay"
        time.sleep(0.1)
    time.sleep(1.2)  # ... and the limiter asks Redis again after 1 s, then 2, 4 ... 32 s
    statuses = [attempt(w) for w in (first, second, first, second)]
    assert statuses == [401, 401, 401, 429], statuses  # one shared count of 3 again
    for worker in (first, second):
        with worker.app_context():
            db.engine.dispose()
