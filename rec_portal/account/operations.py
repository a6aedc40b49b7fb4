"""A person's own settings. Operations flush, never commit."""

from __future__ import annotations

import secrets

from rec_portal import audit
from rec_portal.extensions import db
from rec_portal.models import StudentProfile, User
from rec_portal.models.students import PROFILE_FIELDS, STAFF


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


FIELD_NAMES = {
    "pronouns": "pronouns", "relationship_to_services": "relationship to services",
    "team": "team", "referral_source": "how they heard about the REC",
    "referral_detail": "who referred them", "phone": "phone number",
    "contact_preference": "contact preference", "access_needs": "support needs",
}


def update_profile(user: User, *, record: bool = True, **fields) -> list[str]:
    """Save enrolment details (only the names in PROFILE_FIELDS). Returns what changed, by
    name; the audit row lists the names, never the values."""
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"not profile fields: {sorted(unknown)}")
    profile = user.profile
    if profile is None:
        profile = StudentProfile(user=user)
        db.session.add(profile)
    values = {name: (value or "").strip() for name, value in fields.items()}
    if "relationship_to_services" in values and values["relationship_to_services"] != STAFF:
        values["team"] = ""  # a team only means something for staff
    if values.get("contact_preference") == "":
        values["contact_preference"] = "email"
    changed = [name for name, value in values.items() if getattr(profile, name, None) != value]
    for name, value in values.items():
        setattr(profile, name, value)
    db.session.flush()
    if changed and record:
        audit.record(
            audit.ENROLMENT_CHANGED, actor=user, subject=user,
            detail=", ".join(FIELD_NAMES[name] for name in changed),
        )
    return changed


def update_support_details(user: User, *, phone: str, access_needs: str, contact_preference: str = "email") -> list[str]:
    """Phone number, contact preference and what would help the person take part (shown to
    admins and to the facilitators of sessions they are booked on)."""
    return update_profile(
        user, phone=phone, access_needs=access_needs, contact_preference=contact_preference
    )
