"""Demo data for facilitation (loaded by rec_portal/demo/__init__.py). Idempotent: adds only
what is missing. Flushes; the caller commits.

The demo facilitator (Sam) gets a couple of days they cannot work, on days without a
session of theirs, and a bio if theirs is empty. Facilitator profiles come from the
rosters demo, which runs first: without a profile there is nothing to add to.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from rec_portal.demo.people import DEMO_FACILITATOR
from rec_portal.extensions import db
from rec_portal.facilitation.queries import rostered_days
from rec_portal.models import FacilitatorProfile, Unavailability
from rec_portal.timeutil import uk_today

DEMO_BIO = (
    "Sam came to the Recovery Education Centre as a student and has been a peer trainer for "
    "four years. Sam co-delivers Staying Safe and enjoys helping people feel more confident."
)
DAYS_OFF = ((24, "Annual leave"), (45, "Training day"))


def load(users: dict, courses: dict) -> int:
    """Returns how many rows it added. `users` maps email -> User for every demo account;
    `courses` maps slug -> Course for every demo course."""
    user = users.get(DEMO_FACILITATOR)
    if user is None:
        return 0
    profile = db.session.get(FacilitatorProfile, user.id)
    if profile is None:
        return 0
    added = 0
    if not profile.bio:
        profile.bio = DEMO_BIO
    today = uk_today()
    has_days = db.session.execute(
        select(Unavailability.id).where(Unavailability.user_id == user.id, Unavailability.day >= today)
    ).first()
    if has_days is None:
        for offset, note in DAYS_OFF:
            day = today + timedelta(days=offset)
            # Move off any day Sam is rostered on, so the demo shows no clash.
            while rostered_days(user.id, [day]):
                day += timedelta(days=1)
            db.session.add(Unavailability(user_id=user.id, day=day, note=note))
            added += 1
    db.session.flush()
    return added
