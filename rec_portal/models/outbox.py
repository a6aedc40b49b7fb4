"""Email outbox: each message is a row written in the same transaction as its cause."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from rec_portal.extensions import db
from rec_portal.timeutil import utcnow

PENDING = "pending"
SENT = "sent"
LOGGED = "logged"  # no SMTP configured: written to the log instead
FAILED = "failed"  # gave up after the maximum number of attempts
STATUSES = (PENDING, SENT, LOGGED, FAILED)


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint(f"status IN {STATUSES!r}", name="status_known"),
        Index("ix_outbox_messages_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(254))
    # Whose message it is (also when sent to an address they no longer use), so that
    # their data export and account deletion find it.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    subject: Mapped[str] = mapped_column(String(200))
    body_text: Mapped[str] = mapped_column(Text)
    # Messages holding a one-time link: the admin outbox page does not show their body.
    contains_secret: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(10), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    # One optional text attachment (a calendar file).
    attachment_filename: Mapped[str | None] = mapped_column(String(100))
    attachment_mimetype: Mapped[str | None] = mapped_column(String(100))
    attachment_body: Mapped[str | None] = mapped_column(Text)
