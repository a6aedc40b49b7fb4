"""This feature's ``flask --app wsgi rec ...`` commands (registered in rec_portal/cli.py)."""

from __future__ import annotations

import click

from rec_portal.attendance.operations import complete_due_sessions
from rec_portal.commands import rec_cli
from rec_portal.extensions import db
from rec_portal.feedback.operations import invite_all


@rec_cli.command("attendance-reminders")
def attendance_reminders() -> None:
    """Remind facilitators to take the register a day after a session date (once per
    date, for dates up to 14 days ago). Safe to run again: run it daily."""
    from rec_portal.attendance.reminders import send_register_reminders

    report = send_register_reminders()
    db.session.commit()
    click.echo(report.summary())


@rec_cli.command("feedback-invitations")
def feedback_invitations() -> None:
    """Complete the sessions whose last date has ended and whose registers are taken
    (their attendees and facilitators are invited then), and invite everyone else who may
    give feedback on a completed session and was not invited yet (e.g. a walk-in marked
    present after the session was completed). Safe to run again: run it every hour."""
    completed = complete_due_sessions()
    made, sessions = invite_all()
    db.session.commit()
    if completed:
        click.echo(
            f"Completed {completed} {'session' if completed == 1 else 'sessions'} whose last "
            "date has ended and whose registers are taken; their attendees and facilitators "
            "have been invited to give feedback."
        )
    if made:
        click.echo(
            f"Sent {made} feedback {'invitation' if made == 1 else 'invitations'} "
            f"for {sessions} {'session' if sessions == 1 else 'sessions'}."
        )
    elif not completed:
        click.echo("Sent 0 feedback invitations: everyone who may give feedback has been invited.")
