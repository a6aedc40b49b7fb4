"""Read-only questions about safety plans that other features may ask (the support guide
asks which services are already in the student's plan). Never returns plan content."""

from __future__ import annotations

from sqlalchemy import select

from rec_portal.extensions import db
from rec_portal.models import SafetyPlanService


def chosen_service_ids(user) -> set[int]:
    """Ids of the support services in ``user``'s safety plan (empty when signed out)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    return set(
        db.session.execute(
            select(SafetyPlanService.service_id).where(SafetyPlanService.user_id == user.id)
        ).scalars()
    )
