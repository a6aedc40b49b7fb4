"""What someone typed when their session had expired, kept until they sign in again
(so nothing typed is lost). Only the owner of the expired session gets it back."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from rec_portal.extensions import db
from rec_portal.timeutil import utcnow


class SavedDraft(db.Model):
    __tablename__ = "saved_drafts"
    __table_args__ = (Index("ix_saved_drafts_user_id_form", "user_id", "form"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # Which form it came from, e.g. "safety_plan".
    form: Mapped[str] = mapped_column(String(60))
    payload: Mapped[str] = mapped_column(Text)  # JSON of the submitted fields
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
