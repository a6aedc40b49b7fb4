"""A person's own settings. Operations flush, never commit."""

from __future__ import annotations

import secrets

from rec_portal.auth.operations import update_profile
from rec_portal.extensions import db
from rec_portal.models import User


def new_calendar_link(user: User) -> str:
    """Make (or replace) the secret in the person's calendar feed URL; the old one stops
    working at once."""
    user.calendar_token = secrets.token_urlsafe(32)
    db.session.flush()
    return user.calendar_token


def stop_calendar_link(user: User) -> None:
    user.calendar_token = None
    db.session.flush()


def set_show_course_titles(user: User, show: bool) -> None:
    user.show_course_titles = bool(show)
    db.session.flush()


def update_support_details(user: User, *, phone: str, access_needs: str, contact_preference: str = "email",
                           postal_address: str = "") -> list[str]:
    """Phone number, contact preference (and the postal address, for letters) and what
    would help the person take part (shown to admins and to the facilitators of sessions
    they are booked on)."""
    return update_profile(
        user, phone=phone, access_needs=access_needs, contact_preference=contact_preference,
        postal_address=postal_address,
    )
