"""Which uniqueness rule a new account breaks is decided by the database's structure (constraint
names, the rows that are there), never by searching an error's text: an address that happens to
contain an index's name is still just "already registered", also when sign-ups race."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.db import db
from core.identity.models import MerchantRole, Role, User
from core.identity.operations import create_account
from core.problems import AlreadyRegistered, Conflict
from tests.conftest import _TEST_HASH, TEST_PASSWORD, race

# An address whose text holds both words the old code searched the error message for.
TRICKY = "one_owner.merchant_id@example.org"


def _users(*where) -> int:
    return db.session.scalar(select(func.count()).select_from(User).where(*where))


def test_an_address_that_looks_like_an_index_name_is_already_registered_not_an_owner_conflict(app):
    # Through the operation: sign-up itself no longer tells whether an identifier exists.
    def sign_up():
        return create_account(role=Role.RESIDENT, identifier=TRICKY, password=TEST_PASSWORD,
                              password_hash=_TEST_HASH, display_name="Li")

    with app.app_context():
        sign_up()
        db.session.commit()
        with pytest.raises(AlreadyRegistered) as refused:
            sign_up()
        db.session.rollback()
    assert refused.value.errors == {"identifier": ["Already registered."]}


def test_racing_sign_ups_of_one_address_are_each_told_already_registered(app):
    def sign_up(i: int):
        return create_account(role=Role.RESIDENT, identifier=TRICKY, password=TEST_PASSWORD,
                              password_hash=_TEST_HASH, display_name=f"Li {i}").id

    results = race(app, 8, sign_up)

    refused = [r for r in results if isinstance(r, Exception)]
    assert len(refused) == 7 and all(type(r) is AlreadyRegistered for r in refused), refused
    with app.app_context():
        assert _users() == 1


def test_racing_owners_of_one_business_are_each_told_it_has_one(app, make_merchant):
    with app.app_context():
        merchant_id = make_merchant().id
        db.session.commit()

    def become_owner(i: int):
        return create_account(role=Role.MERCHANT, identifier=f"owner{i}@example.org", password=TEST_PASSWORD,
                              password_hash=_TEST_HASH, display_name=f"Owner {i}", merchant_id=merchant_id,
                              merchant_role=MerchantRole.OWNER).id

    results = race(app, 8, become_owner)

    refused = [r for r in results if isinstance(r, Exception)]
    assert len(refused) == 7, refused
    assert all(type(r) is Conflict and r.errors == {"merchant_role": ["This business already has an owner."]}
               for r in refused), refused
    with app.app_context():
        assert _users(User.merchant_id == merchant_id) == 1
        # A cashier of the same business is no owner conflict.
        create_account(role=Role.MERCHANT, identifier="cashier@example.org", password=TEST_PASSWORD,
                       password_hash=_TEST_HASH, display_name="Cashier", merchant_id=merchant_id,
                       merchant_role=MerchantRole.CASHIER)
        db.session.commit()
        assert _users(User.merchant_id == merchant_id) == 2
