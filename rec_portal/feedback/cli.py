"""Feedback commands (``flask --app wsgi rec feedback-invitations``)."""

from __future__ import annotations

import click

from rec_portal.cli import rec_cli
from rec_portal.extensions import db


@rec_cli.command("feedback-invitations")
def feedback_invitations() -> None:
    """Invite everyone who may give feedback on a completed session and was not invited
    yet (e.g. a walk-in marked present after the session was completed, or sessions
    completed before invitations existed). Safe to run again: run it daily."""
    from rec_portal.feedback.operations import invite_all

    made, sessions = invite_all()
    db.session.commit()
    if made:
        click.echo(
            f"Sent {made} feedback {'invitation' if made == 1 else 'invitations'} "
            f"for {sessions} {'session' if sessions == 1 else 'sessions'}."
        )
    else:
        click.echo("Sent 0 feedback invitations: everyone who may give feedback has been invited.")
