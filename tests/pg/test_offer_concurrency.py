"""Offers that wait for an answer keep the booking guarantees under concurrent requests
(PostgreSQL row locks): two people taking the last last-minute place at once, exactly one
gets it; an offer expiring while it is being accepted has exactly one outcome."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from rec_portal.bookings import operations
from rec_portal.errors import DomainError
from rec_portal.extensions import db
from rec_portal.models import Booking
from rec_portal.timeutil import utcnow
from tests import factories
from tests.concurrency import migrated_pg_app, run_at_once
from tests.conftest import wipe


@pytest.fixture(scope="module")
def pg_offers_app(pg_admin_url):
    yield from migrated_pg_app(pg_admin_url, "rec_offers", pool_size=10)


@pytest.fixture
def pg_offers(pg_offers_app):
    yield pg_offers_app
    wipe(pg_offers_app)


def _rows(app, session_id):
    with app.app_context():
        rows = db.session.execute(select(Booking).where(Booking.session_id == session_id)
                                  .order_by(Booking.id)).scalars().all()
        db.session.expunge_all()
        return rows


@pytest.mark.pg
def test_two_people_taking_the_last_last_minute_place_at_once_one_gets_it(pg_offers):
    for _ in range(3):
        with pg_offers.app_context():
            session = factories.make_session(capacity=1, starts_in_days=0.5)
            holder = operations.book_place(session.id, factories.make_user()).booking
            a = operations.book_place(session.id, factories.make_user()).booking
            b = operations.book_place(session.id, factories.make_user()).booking
            db.session.commit()
            operations.cancel_booking(holder.id)  # within the last hours: both told
            db.session.commit()
            ids, session_id = [a.id, b.id], session.id
        results = run_at_once(pg_offers, [
            lambda i=i: operations.accept_last_minute_place(i).id for i in ids])
        won = [r for r in results if not isinstance(r, Exception)]
        lost = [r for r in results if isinstance(r, Exception)]
        assert len(won) == 1 and len(lost) == 1 and isinstance(lost[0], DomainError)
        assert "The place has been taken" in lost[0].message
        rows = {r.id: r for r in _rows(pg_offers, session_id)}
        assert rows[won[0]].status == "confirmed"
        assert sum(r.status in ("confirmed", "offered") for r in rows.values()) == 1
        wipe(pg_offers)


@pytest.mark.pg
def test_an_offer_expiring_while_it_is_being_accepted_has_one_outcome(pg_offers):
    for _ in range(4):
        with pg_offers.app_context():
            session = factories.make_session(capacity=1, starts_in_days=14)
            holder = operations.book_place(session.id, factories.make_user()).booking
            first = operations.book_place(session.id, factories.make_user()).booking
            second = operations.book_place(session.id, factories.make_user()).booking
            db.session.commit()
            operations.cancel_booking(holder.id, now=utcnow())
            db.session.commit()
            expires, ids, session_id = first.offer_expires_at, (first.id, second.id), session.id
        results = run_at_once(pg_offers, [
            lambda: operations.accept_offer(ids[0], now=expires - timedelta(seconds=1)).id,
            lambda: operations.pass_on_lapsed_offers(expires),
        ])
        rows = {r.id: r for r in _rows(pg_offers, session_id)}
        first_row, second_row = rows[ids[0]], rows[ids[1]]
        assert sum(r.status in ("confirmed", "offered") for r in rows.values()) == 1
        if isinstance(results[0], Exception):  # passed on first: accepting was refused
            assert results[1] == 1 and isinstance(results[0], DomainError)
            assert first_row.status == "waitlisted" and first_row.offer_lapsed_at == expires
            assert second_row.status == "offered"
        else:  # accepted first: nothing left to pass on
            assert results[1] == 0
            assert first_row.status == "confirmed" and first_row.offer_lapsed_at is None
            assert second_row.status == "waitlisted"
        wipe(pg_offers)
