"""`flask accounts ...` (account administration) and `flask idempotency purge` from a shell."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from core.db import db
from core.identity import operations
from core.identity.models import Department, MerchantRole, Role
from core.problems import Problem


@click.group("accounts")
def accounts_cli():
    """Create district accounts."""


@accounts_cli.command("create")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--identifier", required=True, help="Email address or mobile number.")
@click.option("--name", "display_name", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--merchant-id", type=int, help="Business of a merchant account.")
@click.option("--merchant-role", type=click.Choice([r.value for r in MerchantRole]))
@click.option("--department", help="Department name of a staff account.")
@with_appcontext
def create(role, identifier, display_name, password, merchant_id, merchant_role, department):
    """Create a merchant, staff, admin or resident account."""
    department_id = None
    if department:
        department_id = db.session.scalar(select(Department.id).where(Department.name == department))
        if department_id is None:
            raise click.BadParameter(f"no department named {department!r}", param_hint="--department")
    try:
        user = operations.create_account(
            role=Role(role), identifier=identifier, password=password, display_name=display_name,
            merchant_id=merchant_id, merchant_role=MerchantRole(merchant_role) if merchant_role else None,
            department_id=department_id)
    except Problem as problem:
        raise click.ClickException(f"{problem.detail} {problem.errors or ''}".strip()) from problem
    db.session.commit()
    click.echo(f"created {user.role.value} account #{user.id} for {user.identifier}")


@click.group("idempotency")
def idempotency_cli():
    """Answers kept for retried requests."""


@idempotency_cli.command("purge")
@with_appcontext
def purge():
    """Forget answers older than two days (no till retries that late)."""
    from core.idempotency import forget_old

    n = forget_old()
    db.session.commit()
    click.echo(f"forgot {n} stored answers")


@accounts_cli.command("purge-sessions")
@with_appcontext
def purge_sessions():
    """Forget signed-in devices not seen for longer than a session lasts (their cookies have expired)."""
    from flask import current_app

    from core.db import utcnow

    n = operations.forget_idle_sessions(now=utcnow(), idle=current_app.config["PERMANENT_SESSION_LIFETIME"])
    db.session.commit()
    click.echo(f"forgot {n} idle sessions")
