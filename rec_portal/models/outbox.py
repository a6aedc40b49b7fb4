"""Email outbox: each message is a row written in the same transaction as its cause."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from rec_portal.extensions import db
from rec_portal.timeutil import utcnow


def new_message_id() -> str:
    """A Message-ID header value: random and unique, not naming the server."""
    from email.utils import make_msgid

    return make_msgid(domain="rec-portal")

# The channels of the outbox: an email (to_address is an email address) or a text message
# through GOV.UK Notify (to_address is a UK mobile number).
EMAIL, TEXT = "email", "text"
CHANNELS = (EMAIL, TEXT)
CHANNEL_LABELS = {EMAIL: "Email", TEXT: "Text message"}

PENDING = "pending"
SENT = "sent"
LOGGED = "logged"  # no SMTP configured: written to the log instead
# Not sent, for good: refused permanently by the mail server, or given up after the
# maximum number of attempts. ``last_error`` says why in plain words.
FAILED = "failed"
# The whole message went to the server but its answer never came (timeout, dropped
# connection, or the run was stopped while waiting): it may have been delivered, so it is
# not retried automatically. Staff can send it again.
UNCONFIRMED = "unconfirmed"
EXPIRED = "expired"  # useless once late (e.g. a reset link that has run out): never sent
STATUSES = (PENDING, SENT, LOGGED, FAILED, UNCONFIRMED, EXPIRED)
# Staff should look at these ("Needs attention" on /admin/outbox).
NEEDS_ATTENTION = (FAILED, UNCONFIRMED)


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint(f"status IN {STATUSES!r}", name="status_known"),
        CheckConstraint(f"channel IN {CHANNELS!r}", name="channel_known"),
        Index("ix_outbox_messages_status_next_attempt_at", "status", "next_attempt_at"),
        # "Emails to your address could not be delivered" (My account): one lookup by address.
        Index("ix_outbox_messages_to_address_refused_at", "to_address", "refused_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(10), default=EMAIL, server_default=EMAIL)
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
    status: Mapped[str] = mapped_column(String(20), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    # One optional text attachment (a calendar file).
    attachment_filename: Mapped[str | None] = mapped_column(String(100))
    attachment_mimetype: Mapped[str | None] = mapped_column(String(100))
    attachment_body: Mapped[str | None] = mapped_column(Text)
    # The Message-ID header, made when the message is queued and used on every attempt
    # (also "Send again"), so that a receiver can recognise a repeat.
    message_id: Mapped[str] = mapped_column(String(255), unique=True, default=new_message_id)
    # After this the message is useless (a link that has run out, a session that has
    # started): it is marked expired instead of being sent. None: never expires.
    expires_at: Mapped[datetime | None]
    # The run that holds the message (a random token) and until when. A run checks that it
    # still holds a message, and renews the lease, just before each send. claimed_until
    # without a claim_token: handed back by a run that stopped (the mail server could not
    # be reached, or our settings are wrong) and not taken again before then (the run-level
    # wait); next_attempt_at stays, so how long the message has waited stays known.
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime | None]
    # Set (and committed) after the whole message went to the server and just before the
    # final "." that asks it to take the message; cleared once the answer came. Found set
    # on a message whose claim has lapsed, it means the run died while waiting: the
    # message may have been delivered, so it becomes UNCONFIRMED instead of being resent.
    awaiting_reply_at: Mapped[datetime | None]
    # When the message stopped being pending without being sent (failed, unconfirmed,
    # expired).
    ended_at: Mapped[datetime | None]
    # When the receiving side refused this address for good (RCPT 5xx, or an address our
    # server cannot take). Drives the warning on the person's own pages. Not set for a
    # message refused for its size or content (that says nothing about the address).
    refused_at: Mapped[datetime | None]
    # When the body, attachment and subject were deleted (REC_OUTBOX_RETENTION_DAYS).
    purged_at: Mapped[datetime | None]

    @property
    def channel_label(self) -> str:
        """Email or Text message."""
        return CHANNEL_LABELS.get(self.channel, self.channel)

    @property
    def is_text(self) -> bool:
        return self.channel == TEXT
