"""Facilitators, their availability, and who covers which role on which session."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rec_portal.extensions import db
from rec_portal.models.accounts import User
from rec_portal.models.courses import (
    FACILITATOR_ROLE_LABELS,
    FACILITATOR_ROLES,
    CourseSession,
)
from rec_portal.timeutil import utcnow

# Roles that make a roster "peer-led" for co-delivery fidelity.
PEER_ROLES = ("peer_specialist", "carer_peer")

# The longest bio, whoever writes it: the facilitator (facilitation/) or an admin (rosters/).
BIO_MAX = 1000


class FacilitatorProfile(db.Model):
    """Made by an admin from an existing account; the facilitator edits their own bio."""

    __tablename__ = "facilitator_profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    organisation: Mapped[str] = mapped_column(String(200), default="")
    # Shown on course pages beside the sessions they deliver.
    bio: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(default=True, server_default=true(), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship(
        backref=db.backref("facilitator", uselist=False, lazy="selectin", cascade="all, delete-orphan")
    )
    roles: Mapped[list[FacilitatorRole]] = relationship(
        back_populates="profile", cascade="all, delete-orphan", lazy="selectin",
        order_by="FacilitatorRole.role",
    )

    @property
    def role_codes(self) -> list[str]:
        return [r.role for r in self.roles]

    @property
    def role_labels(self) -> list[str]:
        return [FACILITATOR_ROLE_LABELS[r.role] for r in self.roles]


class FacilitatorRole(db.Model):
    """A facilitator role a person holds (several are allowed)."""

    __tablename__ = "facilitator_roles"
    __table_args__ = (CheckConstraint(f"role IN {FACILITATOR_ROLES!r}", name="role_known"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("facilitator_profiles.user_id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)

    profile: Mapped[FacilitatorProfile] = relationship(back_populates="roles")


class Unavailability(db.Model):
    """A day a facilitator cannot work."""

    __tablename__ = "facilitator_unavailability"
    __table_args__ = (UniqueConstraint("user_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(index=True)
    note: Mapped[str] = mapped_column(String(200), default="")

    user: Mapped[User] = relationship()


class RosterAssignment(db.Model):
    """A facilitator covering one of the roles a session's course needs."""

    __tablename__ = "roster_assignments"
    __table_args__ = (
        UniqueConstraint("session_id", "user_id"),
        CheckConstraint(f"role IN {FACILITATOR_ROLES!r}", name="role_known"),
        Index("ix_roster_assignments_session_id_role", "session_id", "role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("course_sessions.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(40))
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)

    session: Mapped[CourseSession] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])

    @property
    def role_label(self) -> str:
        return FACILITATOR_ROLE_LABELS.get(self.role, self.role)


OFFER_PENDING, OFFER_ACCEPTED, OFFER_DECLINED, OFFER_WITHDRAWN = "pending", "accepted", "declined", "withdrawn"
OFFER_STATUSES = (OFFER_PENDING, OFFER_ACCEPTED, OFFER_DECLINED, OFFER_WITHDRAWN)


class RosterOffer(db.Model):
    """A facilitator offering to cover an open role; an admin confirms or declines."""

    __tablename__ = "roster_offers"
    __table_args__ = (
        CheckConstraint(f"status IN {OFFER_STATUSES!r}", name="status_known"),
        CheckConstraint(f"role IN {FACILITATOR_ROLES!r}", name="role_known"),
        Index("ix_roster_offers_status_session_id", "status", "session_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("course_sessions.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default=OFFER_PENDING)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)

    session: Mapped[CourseSession] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])

    @property
    def role_label(self) -> str:
        return FACILITATOR_ROLE_LABELS.get(self.role, self.role)
