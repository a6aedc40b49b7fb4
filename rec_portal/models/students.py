"""What a student tells the REC about themselves (grows with enrolment)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rec_portal.extensions import db
from rec_portal.models.accounts import User
from rec_portal.timeutil import utcnow


class StudentProfile(db.Model):
    __tablename__ = "student_profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    phone: Mapped[str] = mapped_column(String(40), default="")
    # What would help them take part; shown to staff on class lists.
    access_needs: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship(
        backref=db.backref("profile", uselist=False, lazy="selectin", cascade="all, delete-orphan")
    )
