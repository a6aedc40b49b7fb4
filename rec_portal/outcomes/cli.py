"""Outcome commands (``flask --app wsgi rec outcome-invitations``)."""

from __future__ import annotations

import click

from rec_portal.cli import rec_cli
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
