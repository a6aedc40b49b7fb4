"""This feature's ``flask --app wsgi rec ...`` commands (registered in rec_portal/cli.py)."""

from __future__ import annotations

import click
from flask import current_app

from rec_portal.commands import rec_cli
from rec_portal.extensions import db


@rec_cli.command("expire-referrals")
def expire_referrals() -> None:
    """Delete referrals that led nowhere (declined, could not contact) over
    REC_REFERRAL_RETENTION_DAYS (default 180) ago, and remove the details of referrals that
    led to enrolment as long ago (the link to the student and the organisation type stay).
    New and contacted referrals are never touched. ``rec apply-retention`` does this too.
    Safe to run again (e.g. nightly)."""
    from rec_portal.referrals.operations import expire_referrals as expire
    from rec_portal.referrals.operations import minimise_enrolled

    days = current_app.config["REC_REFERRAL_RETENTION_DAYS"]
    deleted = expire(days=days)
    minimised = minimise_enrolled(days=days)
    db.session.commit()
    click.echo(f"Deleted {deleted} {'referral' if deleted == 1 else 'referrals'} that led nowhere over {days} days ago.")
    click.echo(f"Removed the details of {minimised} {'referral' if minimised == 1 else 'referrals'} "
               f"that led to enrolment over {days} days ago.")
