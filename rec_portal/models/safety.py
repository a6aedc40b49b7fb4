"""Personal safety plans. PRIVATE to the student: no staff page, export, report or log
ever shows their content (DESIGN.md §7)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rec_portal.extensions import db
from rec_portal.models.accounts import User
from rec_portal.models.support import SupportService
from rec_portal.timeutil import utcnow

# The free-text sections, in the order the page shows them.
SECTIONS = {
    "unsafe_situations": "Situations where I feel unsafe",
    "warning_signs": "My warning signs",
    "keeping_safe": "Things I can do to keep myself safe",
    "safe_places": "Places where I feel safe",
    "reporting": "How I would report a crime or get help",
}


class SafetyPlan(db.Model):
    __tablename__ = "safety_plans"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    unsafe_situations: Mapped[str] = mapped_column(Text, default="")
    warning_signs: Mapped[str] = mapped_column(Text, default="")
    keeping_safe: Mapped[str] = mapped_column(Text, default="")
    safe_places: Mapped[str] = mapped_column(Text, default="")
    reporting: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship()


class TrustedPerson(db.Model):
    __tablename__ = "trusted_people"
    __table_args__ = (Index("ix_trusted_people_user_id_position", "user_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    relationship_to_me: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    position: Mapped[int] = mapped_column(default=0)

    user: Mapped[User] = relationship()


class SafetyPlanService(db.Model):
    """A support service the student chose from the guide for their safety plan."""

    __tablename__ = "safety_plan_services"
    __table_args__ = (UniqueConstraint("user_id", "service_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    service_id: Mapped[int] = mapped_column(
        ForeignKey("support_services.id", ondelete="CASCADE"), index=True
    )
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()
    service: Mapped[SupportService] = relationship()
