"""The request owns the transaction, and effects wait for its commit.

One place commits: `init_request_transaction` commits after every view that returned normally
(a page, an API answer, a till refusal with its ledger row alike), and every error handler
starts with `rollback()`, so a request that raised keeps nothing. Views and operations never
commit. What may only happen once the data is durable - a live-dashboard event, a cache that
must forget, a notification - is queued with `after_commit(fn)` by a signal's listener and runs
right after the outermost COMMIT; a rollback (of the transaction, or of the savepoint that was
open when it was queued) discards it together with the work it describes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from core.extensions import db

log = logging.getLogger(__name__)
_PENDING = "linli_after_commit"


def after_commit(fn: Callable[[], None]) -> None:
    """Run `fn` once the current transaction commits; now, if none is open."""
    session = db.session()
    transaction = session.get_nested_transaction() or session.get_transaction()
    if transaction is None:
        _run([fn])
        return
    session.info.setdefault(_PENDING, []).append((transaction, fn))


def _run(callbacks) -> None:
    for fn in callbacks:
        try:
            fn()
        except Exception:  # noqa: BLE001 - the data is committed; one lost effect must not fail the request
            log.exception("after-commit effect failed")


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint was released: its effects wait for the outer commit
    pending = session.info.pop(_PENDING, None)
    if pending:
        _run([fn for _, fn in pending])


def _within(transaction: SessionTransaction | None, ended: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ended:
            return True
        transaction = transaction.parent
    return False


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    pending = session.info.get(_PENDING)
    if pending:
        session.info[_PENDING] = [(t, fn) for t, fn in pending if not _within(t, previous_transaction)]


def commit_request(response):
    """after_request: what the view returned is durable before it is sent."""
    # A request that never touched the database (health checks, most redirects, static-like
    # answers) has no session to commit: making one only to commit nothing cost ~0.4 ms.
    if db.session.registry.has() and db.session().in_transaction():
        db.session.commit()
    return response


def init_request_transaction(app) -> None:
    app.after_request(commit_request)
