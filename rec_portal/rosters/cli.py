"""This feature's ``flask --app wsgi rec ...`` commands (registered in rec_portal/cli.py)."""

from __future__ import annotations

import click

from rec_portal.commands import rec_cli
from rec_portal.extensions import db


@rec_cli.command("roster-alerts")
def roster_alerts() -> None:
    """Email admins about sessions starting within 7 days whose roster has gaps.

    Each session is flagged once (safe to repeat: a second run sends nothing new)."""
    from rec_portal.rosters.operations import send_roster_alerts

    sessions, admins = send_roster_alerts()
    db.session.commit()
    if sessions and not admins:
        click.echo(f"Roster alerts: {sessions} sessions have gaps, but there is no active admin to tell.")
    elif sessions:
        click.echo(
            f"Roster alerts: {sessions} {'session' if sessions == 1 else 'sessions'} with gaps "
            f"flagged to {admins} {'admin' if admins == 1 else 'admins'}."
        )
    else:
        click.echo("Roster alerts: no new sessions with gaps in the next 7 days. Nothing sent.")
