"""Accounts: people, their roles, their signed-in sessions, password reset tokens and
sign-ups waiting for their email address to be confirmed."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rec_portal.extensions import db
from rec_portal.timeutil import utcnow

STUDENT = "student"
FACILITATOR = "facilitator"
ADMIN = "admin"
# A personal tutor (REC staff or a peer tutor): sees the learning plans of the students
# assigned to them (never a safety plan) and records reviews with them.
TUTOR = "tutor"
# Reads and answers the confidential support requests (people asking the REC to contact
# them, facilitators' concerns about someone's safety). Not every admin has it.
SUPPORT_LEAD = "support_lead"
ROLES = (STUDENT, FACILITATOR, ADMIN, TUTOR, SUPPORT_LEAD)
ROLE_LABELS = {
    STUDENT: "Student",
    FACILITATOR: "Facilitator",
    ADMIN: "Admin (REC staff)",
    TUTOR: "Personal tutor",
    SUPPORT_LEAD: "Support lead (support requests)",
}


# How a person added by staff gave their consent (stored, in words, in ``User.consent_note``).
CONSENT_WAYS = {
    "phone": "By phone",
    "in_person": "In person",
    "other": "Another way",
}


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased, so uniqueness is case-insensitive. None for a person the REC
    # team added who has no email address (they have no online account; see below).
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    # None: no online account. The person was added by staff (phone booking, walk-in,
    # /admin/people), cannot sign in, and is booked and told by staff until they claim an
    # account through an invitation (``AccountInvitation``), which keeps their history.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    full_name: Mapped[str] = mapped_column(String(200))
    preferred_name: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(default=True)
    privacy_consent_at: Mapped[datetime | None]
    # Consent as told to staff (a person added by the REC team): who took it. The time
    # is ``privacy_consent_at``; ``consent_note`` says how (e.g. "by phone").
    consent_taken_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    consent_note: Mapped[str] = mapped_column(String(300), default="", server_default="")
    # The staff member who added this person (None: they enrolled themselves).
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # When a student pressed "Not now" on the home page's optional questions (about crime,
    # and the equality questions): the home page stops offering them (My account keeps them).
    optional_questions_not_now_at: Mapped[datetime | None]
    # Course titles can be sensitive: email subjects and calendar entries say "Recovery
    # Education Centre session" unless the person chooses to see titles.
    show_course_titles: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Secret part of the person's private calendar feed URL (None until they ask for one).
    calendar_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Set when the person deleted their account (or it was anonymised for retention):
    # the row stays only so that anonymous counts (bookings, attendance) still add up.
    anonymised_at: Mapped[datetime | None]

    roles: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )
    consent_taken_by: Mapped[User | None] = relationship(
        foreign_keys=[consent_taken_by_id], remote_side="User.id"
    )

    # Set when the user is loaded from a signed-in session (see auth/sessions.py); it is
    # what Flask-Login keeps in the cookie, so the cookie never holds the user id.
    session_token = None  # type: str | None

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def get_id(self) -> str | None:  # Flask-Login
        return self.session_token

    @property
    def has_online_account(self) -> bool:
        """False for a person the REC team added who has not claimed an account (they
        cannot sign in: no password), and for a deleted (anonymised) account."""
        return (self.password_hash is not None and self.email is not None
                and self.anonymised_at is None)

    @property
    def consent_way(self) -> str:
        """How the person gave their consent to staff ("By phone"), without who took it
        (``consent_taken_by`` says that)."""
        return (self.consent_note or "").split(", as told to ")[0]

    @property
    def role_names(self) -> set[str]:
        return {r.role for r in self.roles}

    def has_role(self, role: str) -> bool:
        return role in self.role_names

    @property
    def display_name(self) -> str:
        return self.preferred_name or self.full_name

    @property
    def student_number(self) -> str:
        """The number on letters and certificates, e.g. REC-000123 (from the row id,
        so it is unique and never changes)."""
        return f"REC-{self.id:06d}" if self.id else ""

    def __repr__(self) -> str:
        return f"<User {self.id}>"


def family_initial(full_name: str) -> str:
    """'S' for 'Jo Smith' (the first letter of the last word), '' for a one-word name."""
    words = (full_name or "").split()
    return words[-1][0].upper() if len(words) > 1 else ""


def distinct_names(people) -> dict[int, str]:
    """A label for each person on one page (user id -> label) that tells apart people
    with the same preferred name: the preferred name alone if nobody else on the page
    has it; else with the initial of the family name ("Jo S."); if that is still shared,
    with the student number too ("Jo S. (REC-000123)"). Names are compared ignoring
    case. ``people``: Users (duplicates allowed)."""
    unique = {p.id: p for p in people}.values()

    def clashes(labels: dict[int, str]) -> set[int]:
        seen: dict[str, list[int]] = {}
        for uid, label in labels.items():
            seen.setdefault(label.casefold(), []).append(uid)
        return {uid for ids in seen.values() if len(ids) > 1 for uid in ids}

    labels = {p.id: p.display_name for p in unique}
    shared = clashes(labels)
    for p in unique:
        if p.id in shared and (initial := family_initial(p.full_name)):
            labels[p.id] = f"{p.display_name} {initial}."
    still = clashes(labels)
    for p in unique:
        if p.id in still:
            labels[p.id] = f"{labels[p.id]} ({p.student_number})"
    return labels


class UserRole(db.Model):
    __tablename__ = "user_roles"
    __table_args__ = (CheckConstraint(f"role IN {ROLES!r}", name="role_known"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(20), primary_key=True)
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="roles")


class UserSession(db.Model):
    """A signed-in session. The cookie holds a random token; only its hash is stored."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    ended_reason: Mapped[str | None] = mapped_column(String(40))

    user: Mapped[User] = relationship()


class PasswordResetToken(db.Model):
    """A one-time, expiring link to choose a new password. Only the hash is stored."""

    __tablename__ = "password_reset_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class PendingSignup(db.Model):
    """An enrolment waiting for its email address to be confirmed. No account exists until
    the link in the email is followed (``auth.operations.confirm_signup``), so nobody can
    hold an account with someone else's address. One row per address: registering again
    replaces the details and the link. Only the link's hash is stored; rows past
    ``expires_at`` are deleted by ``rec expire-signups``."""

    __tablename__ = "pending_signups"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # lower-cased
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    preferred_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    # JSON of the enrolment answers (``models.students.PROFILE_FIELDS``).
    profile: Mapped[str] = mapped_column(Text)
    privacy_consent_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class AccountInvitation(db.Model):
    """An invitation to claim an online account, sent by staff to a person they added once
    the person has an email address. Following the link (one-time, expiring; only its hash
    is stored) sets the address and a password on the existing record, so the person's
    bookings, attendance and certificates stay theirs. A new invitation replaces any
    earlier one for the same person."""

    __tablename__ = "account_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))  # lower-cased
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(foreign_keys=[user_id])


Index("ix_users_full_name", User.full_name)
