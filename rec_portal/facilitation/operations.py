"""Facilitators' own changes: their bio, the days they cannot work, withdrawing an offer.

Operations flush, never commit; the caller commits once. Messages are fit for a person.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from rec_portal.errors import DomainError
from rec_portal.extensions import db
from rec_portal.models import FacilitatorProfile, RosterOffer, Unavailability, User
from rec_portal.models.rosters import BIO_MAX, OFFER_PENDING, OFFER_WITHDRAWN
from rec_portal.timeutil import format_uk, uk_today, utcnow

NOTE_MAX = 200
DAYS_OFF_AHEAD_YEARS = 2


class FacilitationRefused(DomainError):
    """A facilitator's change was refused."""


def _plain(text: str | None) -> str:
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def update_bio(user: User, bio: str) -> FacilitatorProfile:
    """Set the short bio shown beside the sessions ``user`` delivers (plain text)."""
    profile = db.session.get(FacilitatorProfile, user.id)
    if profile is None:
        raise FacilitationRefused(
            "Your facilitator profile has not been set up yet. Ask the REC team to set it "
            "up, then you can add your bio.", field="bio",
        )
    bio = _plain(bio)
    if len(bio) > BIO_MAX:
        raise FacilitationRefused(
            f"Your bio must be {BIO_MAX:,} characters or fewer. It is {len(bio):,} now.", field="bio"
        )
    profile.bio = bio
    db.session.flush()
    return profile


def years_later(day: date, years: int) -> date:
    """The same day ``years`` later (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def add_unavailable_day(
    user: User, day: date | None, note: str = "", *, now: datetime | None = None
) -> Unavailability:
    """Record a day ``user`` cannot work (today up to two years ahead; once per day).
    The person's facilitator profile row is locked first, so an admin putting them on a
    roster at the same moment either finishes first (and the new day off shows the clash)
    or sees the day off."""
    if day is None:
        raise FacilitationRefused("Enter the date you cannot work", field="date")
    today = uk_today(now)
    if day < today:
        raise FacilitationRefused("The date must be today or in the future", field="date")
    last = years_later(today, DAYS_OFF_AHEAD_YEARS)
    if day > last:
        raise FacilitationRefused(
            f"You can add days up to {DAYS_OFF_AHEAD_YEARS} years ahead, so up to {format_uk(last)}",
            field="date",
        )
    note = " ".join(_plain(note).split())
    if len(note) > NOTE_MAX:
        raise FacilitationRefused(f"The note must be {NOTE_MAX} characters or fewer", field="note")
    db.session.execute(
        select(FacilitatorProfile).where(FacilitatorProfile.user_id == user.id).with_for_update()
    ).first()
    existing = db.session.execute(
        select(Unavailability.id).where(Unavailability.user_id == user.id, Unavailability.day == day)
    ).first()
    if existing is not None:
        raise FacilitationRefused(
            f"You have already said you cannot work on {format_uk(day)}", field="date"
        )
    row = Unavailability(user_id=user.id, day=day, note=note)
    db.session.add(row)
    db.session.flush()
    return row


def remove_unavailable_day(user: User, row: Unavailability) -> date:
    """Remove one of ``user``'s days (the view has checked it is theirs)."""
    if row.user_id != user.id:
        raise FacilitationRefused("This is not one of your days.")
    day = row.day
    db.session.delete(row)
    db.session.flush()
    return day


def withdraw_offer(offer: RosterOffer, user: User, *, now: datetime | None = None) -> RosterOffer:
    """Take back an offer to cover a role, while an admin has not decided on it."""
    if offer.user_id != user.id:
        raise FacilitationRefused("This is not one of your offers.")
    if offer.status != OFFER_PENDING:
        raise FacilitationRefused(
            "The REC team has already answered this offer, so it cannot be withdrawn. "
            "Contact them if your plans have changed."
        )
    offer.status = OFFER_WITHDRAWN
    offer.decided_at = now or utcnow()
    offer.decided_by_id = user.id
    db.session.flush()
    return offer
