"""This feature's ``flask --app wsgi rec ...`` commands (registered in rec_portal/cli.py)."""

from __future__ import annotations

import click
from flask import current_app

from rec_portal.bookings import operations
from rec_portal.commands import rec_cli
from rec_portal.extensions import db
from rec_portal.timeutil import utcnow


@rec_cli.command("pass-on-offers")
def pass_on_offers() -> None:
    """Pass on every place held for someone whose time to answer is up: they go back to
    the waiting list at the back of the line (and are told), and the place is offered to
    the next person. Each offer is committed on its own: one that fails is rolled back and
    logged, and the others are still passed on (the command then exits with status 1).
    Safe to repeat and to run twice at once: run it every 5 minutes."""
    now = utcnow()
    passed = failed = 0
    for booking_id in operations.lapsed_offers(now):
        try:
            passed += operations.pass_on_offer(booking_id, now) is not None
            db.session.commit()
        except Exception:  # noqa: BLE001 - one offer must not stop the others
            db.session.rollback()
            failed += 1
            current_app.logger.exception("Could not pass on the offer of booking %s", booking_id)
    noun = "offer" if passed == 1 else "offers"
    click.echo(f"Passed on {passed} lapsed {noun}.")
    if failed:
        click.echo(f"Could not pass on {failed} lapsed {'offer' if failed == 1 else 'offers'}: "
                   "see the log. They will be tried again next time.", err=True)
        raise SystemExit(1)
