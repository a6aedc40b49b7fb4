"""Safety plan rules. Operations flush, never commit."""

from __future__ import annotations

from sqlalchemy import select

from rec_portal.extensions import db
from rec_portal.models import SafetyPlanService, SupportService, User


def add_service(user: User, service: SupportService) -> None:
    """Add a support service to the student's plan (adding it twice changes nothing)."""
    exists = db.session.execute(
        select(SafetyPlanService.id).where(
            SafetyPlanService.user_id == user.id, SafetyPlanService.service_id == service.id
        )
    ).first()
    if not exists:
        db.session.add(SafetyPlanService(user_id=user.id, service_id=service.id))
        db.session.flush()
