"""This feature's ``flask --app wsgi rec ...`` commands (registered in rec_portal/cli.py)."""

from __future__ import annotations

import click

from rec_portal.bookings.operations import lapsed_offers, pass_on_offer
from rec_portal.commands import rec_cli
from rec_portal.extensions import db
from rec_portal.timeutil import utcnow


@rec_cli.command("pass-on-offers")
def pass_on_offers() -> None:
    """Pass on every place held for someone whose time to answer is up: they go back to
    the waiting list at the back of the line (and are told), and the place is offered to
    the next person. Each offer is committed on its own. Safe to repeat and to run twice
    at once: run it every 5 minutes."""
    now = utcnow()
    passed = 0
    for booking_id in lapsed_offers(now):
        passed += pass_on_offer(booking_id, now) is not None
        db.session.commit()
    noun = "offer" if passed == 1 else "offers"
    click.echo(f"Passed on {passed} lapsed {noun}.")
