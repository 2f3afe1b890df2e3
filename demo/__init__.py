"""`flask demo`: a believable district to try Linli with."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from core.db import db, utcnow
from demo.district import DEMO_ACCOUNTS, DEMO_PASSWORD, load_demo


@click.command("demo")
@with_appcontext
def demo_command():
    """Load the demo district (does nothing if it is already loaded)."""
    summary = load_demo(now=utcnow())
    if summary is None:
        click.echo("The demo district is already loaded.")
        return
    db.session.commit()
    click.echo("Loaded the demo district: " + ", ".join(f"{n} {what}" for what, n in summary.items()))
    click.echo(f"Demo accounts (password {DEMO_PASSWORD!r}):")
    for identifier, role, name in DEMO_ACCOUNTS:
        click.echo(f"  {role.value:<9} {identifier:<30} {name}")
