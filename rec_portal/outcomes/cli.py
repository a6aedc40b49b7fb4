"""Outcome commands (``flask --app wsgi rec outcome-invitations``, ``rec outcome-quarters``)."""

from __future__ import annotations

import click

from rec_portal.commands import rec_cli
from rec_portal.extensions import db


@rec_cli.command("outcome-invitations")
def outcome_invitations() -> None:
    """Invite students to the 6- and 12-month follow-up questions once they are due
    (counted from the last date of the Staying Safe session they attended). One email per
    student and stage, ever: safe to run again (run it daily)."""
    from rec_portal.outcomes.operations import invite_due

    made = invite_due()
    db.session.commit()
    click.echo(f"Sent {made} follow-up {'invitation' if made == 1 else 'invitations'} for the questions about crime.")


@rec_cli.command("outcome-quarters")
def outcome_quarters() -> None:
    """Store the figures of the questions about crime for every quarter that has ended
    (UK time), once: the report at /admin/outcomes shows only these, and they never
    change after. Opening the report does the same; run this daily so each quarter is
    fixed as soon as it ends. Safe to repeat and to run twice at once."""
    from rec_portal.outcomes.operations import close_quarters

    made = close_quarters()
    db.session.commit()
    click.echo(f"Stored the figures of {made} {'quarter' if made == 1 else 'quarters'} that ended.")
