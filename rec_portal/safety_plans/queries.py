"""Read-only questions about safety plans. Other features may ask only
``chosen_service_ids`` (the support guide shows which services are already in the
student's plan), which never returns plan content. The rest serve the owner's own pages:
every function takes the signed-in user and returns only their rows."""

from __future__ import annotations

from sqlalchemy import select

from rec_portal.extensions import db
from rec_portal.models import (
    SafetyPlan,
    SafetyPlanService,
    SupportService,
    TrustedPerson,
)


def chosen_service_ids(user) -> set[int]:
    """Ids of the support services in ``user``'s safety plan (empty when signed out)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    return set(
        db.session.execute(
            select(SafetyPlanService.service_id).where(SafetyPlanService.user_id == user.id)
        ).scalars()
    )


def plan_of(user) -> SafetyPlan | None:
    """The signed-in user's own plan (None until they first save something)."""
    return db.session.get(SafetyPlan, user.id)


def trusted_people(user) -> list[TrustedPerson]:
    return list(
        db.session.execute(
            select(TrustedPerson)
            .where(TrustedPerson.user_id == user.id)
            .order_by(TrustedPerson.position, TrustedPerson.id)
        ).scalars()
    )


def person_of(user, person_id: int) -> TrustedPerson | None:
    """One of ``user``'s trusted people; anyone else's is None."""
    person = db.session.get(TrustedPerson, person_id)
    return person if person is not None and person.user_id == user.id else None


def chosen_services(user) -> list[SupportService]:
    """The services in ``user``'s plan, those still in the guide first, by name."""
    return list(
        db.session.execute(
            select(SupportService)
            .join(SafetyPlanService, SafetyPlanService.service_id == SupportService.id)
            .where(SafetyPlanService.user_id == user.id)
            .order_by(SupportService.retired_at.is_not(None), SupportService.name)
        ).scalars()
    )
