"""This feature's ``flask --app wsgi rec ...`` commands (registered in rec_portal/cli.py)."""

from __future__ import annotations

import click

from rec_portal.cli import rec_cli
from rec_portal.extensions import db


@rec_cli.command("attendance-reminders")
def attendance_reminders() -> None:
    """Remind facilitators to take the register a day after a session date (once per
    date, for dates up to 14 days ago). Safe to run again: run it daily."""
    from rec_portal.attendance.reminders import send_register_reminders

    report = send_register_reminders()
    db.session.commit()
    click.echo(report.summary())
