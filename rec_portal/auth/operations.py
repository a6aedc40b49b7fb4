"""Accounts: registration, signing in, passwords. Operations flush, never commit."""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import timedelta

from flask import current_app, render_template, url_for
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from rec_portal import audit
from rec_portal.auth import sessions
from rec_portal.passwords import hash_password, needs_rehash, verify_password
from rec_portal.errors import DomainError
from rec_portal.extensions import db
from rec_portal.models import PasswordResetToken, PendingSignup, StudentProfile, User, UserRole
from rec_portal.models.accounts import STUDENT
from rec_portal.models.students import PROFILE_FIELDS, STAFF
from rec_portal.notifications.outbox import queue_email
from rec_portal.timeutil import utcnow

LOGIN_FAILED_MESSAGE = "Enter a correct email address and password"


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.execute(
        select(User).where(User.email == normalise_email(email))
    ).scalar_one_or_none()


def email_taken(email: str, except_user: User | None = None) -> bool:
    stmt = select(func.count()).select_from(User).where(User.email == normalise_email(email))
    if except_user is not None:
        stmt = stmt.where(User.id != except_user.id)
    return db.session.execute(stmt).scalar_one() > 0


def register_user(
    *, full_name: str, preferred_name: str, email: str, password: str | None = None,
    profile: dict | None = None, password_hash: str | None = None, consent_at=None,
) -> User:
    """Create a student account at once. Sign-up from the web goes through
    ``start_signup`` / ``confirm_signup`` instead, which end here once the email address
    is confirmed. ``profile``: the enrolment answers (see ``PROFILE_FIELDS``). The caller
    has checked the privacy consent box."""
    if email_taken(email):
        raise DomainError(TAKEN_MESSAGE, field="email")
    user = User(
        email=normalise_email(email),
        password_hash=password_hash or hash_password(password),
        full_name=full_name.strip(),
        preferred_name=(preferred_name or "").strip() or full_name.strip().split()[0],
        privacy_consent_at=consent_at or utcnow(),
        active=True,
    )
    user.roles.append(UserRole(role=STUDENT))
    _flush_new_email(user, TAKEN_MESSAGE)
    update_profile(user, record=False, **(profile or {}))
    audit.record(audit.REGISTERED, actor=user, subject=user)
    return user


TAKEN_MESSAGE = (
    "An account already uses this email address. Sign in, or reset your password "
    "if you have forgotten it"
)


class EmailTaken(DomainError):
    """An account already uses the address (staff made one while a sign-up waited)."""

    def __init__(self) -> None:
        super().__init__(TAKEN_MESSAGE, field="email")

SIGNUP_LINK_INVALID_MESSAGE = (
    "This link has expired or has already been used. Enrol again and we will send a new link"
)


# --- Sign-up with a confirmed email address --------------------------------------------------


def _signup_link(token: str) -> str:
    return current_app.config["REC_BASE_URL"] + url_for("auth.confirm_signup", token=token)


def _send_signup_link(pending: PendingSignup) -> None:
    """Give ``pending`` a new link (any earlier one stops working) and queue the email."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    hours = current_app.config["REC_SIGNUP_CONFIRM_HOURS"]
    pending.token_hash = _token_hash(token)
    pending.expires_at = now + timedelta(hours=hours)
    queue_email(
        to=pending.email,
        subject="Confirm your email address to finish enrolling with the Recovery Education Centre",
        body=render_template(
            "emails/signup_confirm.txt", pending=pending, link=_signup_link(token),
            minutes=hours * 60,
        ),
        contains_secret=True,
        expires_at=pending.expires_at,  # the link is useless after this
    )


def _find_pending(email: str) -> PendingSignup | None:
    return db.session.execute(
        select(PendingSignup).where(PendingSignup.email == normalise_email(email))
    ).scalar_one_or_none()


def start_signup(
    *, full_name: str, preferred_name: str, email: str, password: str, profile: dict | None = None
) -> None:
    """Enrolment, step one. Nothing here tells the caller whether the address already has
    an account: either way one email is queued and the page says "check your email".

    - A new address: the details wait (``PendingSignup``) and the address gets a link; the
      account is made when the link is followed (``confirm_signup``).
    - An address with an account: that address is told so, with links to sign in and to
      reset the password. Nothing changes.
    - An address with an unconfirmed sign-up: its details are replaced and a fresh link is
      sent (the old one stops working), so whoever typed someone else's address first
      cannot block the real owner.
    """
    address = normalise_email(email)
    # The password is hashed in every case, so that the time taken does not tell either.
    password_hash = hash_password(password)
    existing = find_user_by_email(address)
    if existing is not None and not existing.has_online_account:
        # The REC team added this person (no password): an invitation from staff sets up
        # their online account on the same record, so their history stays theirs.
        queue_email(
            to=existing.email,
            user=existing,
            subject="Setting up your Recovery Education Centre online account",
            body=render_template("emails/ask_for_invitation.txt", user=existing),
        )
        return
    if existing is not None:
        base = current_app.config["REC_BASE_URL"]
        queue_email(
            to=existing.email,
            user=existing,
            subject="You already have a Recovery Education Centre account",
            body=render_template(
                "emails/already_registered.txt", user=existing,
                sign_in_link=base + url_for("auth.login"),
                reset_link=base + url_for("auth.forgot_password"),
            ),
        )
        return
    answers = {name: (profile or {}).get(name) or "" for name in PROFILE_FIELDS}
    full_name = full_name.strip()
    pending = _find_pending(address)
    if pending is None:
        pending = PendingSignup(email=address)
        db.session.add(pending)
    pending.full_name = full_name
    pending.preferred_name = (preferred_name or "").strip() or full_name.split()[0]
    pending.password_hash = password_hash
    pending.profile = json.dumps(answers)
    pending.privacy_consent_at = utcnow()
    pending.created_at = utcnow()
    _send_signup_link(pending)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        # The same address was sent at the same moment by another request: its link
        # is the one that counts; this one's row and email go with the savepoint.
        pass


def find_pending_signup(token: str) -> PendingSignup | None:
    """The sign-up this link belongs to, if the link is the newest one and has not expired."""
    row = db.session.execute(
        select(PendingSignup).where(PendingSignup.token_hash == _token_hash(token))
    ).scalar_one_or_none()
    if row is None or row.expires_at < utcnow():
        return None
    return row


SIGNUP_PASSWORD_MESSAGE = (
    "Enter the password you chose when you enrolled. If you enrolled more than once, use the "
    "password you chose the last time"
)


def confirm_signup(token: str, password: str) -> User:
    """Enrolment, step two: the link was followed, so the address is the person's, and the
    password is the one chosen when enrolling, so the details are theirs too (someone who
    enrolled again with the same address cannot make the owner confirm an account whose
    password they chose). Make the account from the waiting details. The link works once."""
    row = find_pending_signup(token)
    if row is not None and not verify_password(row.password_hash, password):
        raise DomainError(SIGNUP_PASSWORD_MESSAGE, field="password")
    # Claim the sign-up in one statement, so two requests with the same link cannot both
    # make an account.
    claimed = db.session.execute(
        delete(PendingSignup).where(
            PendingSignup.token_hash == _token_hash(token),
            PendingSignup.expires_at >= utcnow(),
        )
    ).rowcount
    if row is None or claimed != 1:
        raise DomainError(SIGNUP_LINK_INVALID_MESSAGE)
    db.session.expunge(row)
    if email_taken(row.email):  # staff made an account for this address meanwhile
        raise EmailTaken()
    return register_user(
        full_name=row.full_name, preferred_name=row.preferred_name, email=row.email,
        password_hash=row.password_hash, profile=json.loads(row.profile),
        consent_at=row.privacy_consent_at,
    )


def expire_signups(now=None) -> int:
    """Delete sign-ups whose link has expired unconfirmed (``rec expire-signups``)."""
    result = db.session.execute(
        delete(PendingSignup).where(PendingSignup.expires_at < (now or utcnow()))
    )
    return result.rowcount or 0


CONFIRM_FIRST_MESSAGE = (
    "Confirm your email address first: we have sent you a new link. Open it to finish "
    "enrolling, then you can sign in"
)


def _flush_new_email(user: User, message: str) -> None:
    """Flush, turning a lost race for the same email address into a message."""
    try:
        with db.session.begin_nested():
            db.session.add(user)
            db.session.flush()
    except IntegrityError as exc:
        raise DomainError(message, field="email") from exc


def _void_reset_links(user: User) -> None:
    db.session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=utcnow())
    )


def authenticate(email: str, password: str) -> User:
    """Check the email and password; raise DomainError with a message that does not say
    whether the account exists."""
    user = find_user_by_email(email)
    pending = _find_pending(email) if user is None else None
    if pending is not None and pending.expires_at >= utcnow():
        # Enrolled but not confirmed yet. Only someone who knows the password learns that
        # (a wrong one gets the usual message); they get a fresh link.
        if verify_password(pending.password_hash, password):
            _send_signup_link(pending)
            raise DomainError(CONFIRM_FIRST_MESSAGE, field="email")
        audit.record(audit.LOGIN_FAILED, detail="unknown email")
        raise DomainError(LOGIN_FAILED_MESSAGE, field="email")
    ok = verify_password(user.password_hash if user else None, password)
    if not ok:
        audit.record(
            audit.LOGIN_FAILED,
            subject=user,
            detail="unknown email" if user is None else (
                "wrong password" if user.password_hash else "no online account"),
        )
        raise DomainError(LOGIN_FAILED_MESSAGE, field="email")
    if not user.active:
        audit.record(audit.LOGIN_FAILED, subject=user, detail="account disabled")
        raise DomainError(
            "Your account has been disabled. Contact the Recovery Education Centre if you "
            "think this is a mistake",
            field="email",
        )
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def sign_in(user: User) -> None:
    sessions.start_session(user)
    audit.record(audit.LOGIN_SUCCEEDED, actor=user, subject=user)


def sign_out(user: User) -> None:
    audit.record(audit.LOGOUT, actor=user, subject=user)
    sessions.end_current_session(sessions.ENDED_LOGOUT)


def change_password(user: User, current_password: str, new_password: str) -> None:
    if not verify_password(user.password_hash, current_password):
        raise DomainError("Your current password is not correct", field="current_password")
    user.password_hash = hash_password(new_password)
    # Other devices are signed out; this one carries on. Reset links sent earlier stop working.
    sessions.end_all_sessions(user, sessions.ENDED_PASSWORD, keep_current=True)
    _void_reset_links(user)
    audit.record(audit.PASSWORD_CHANGED, actor=user, subject=user)


def update_details(
    user: User, *, full_name: str, preferred_name: str, email: str, current_password: str
) -> list[str]:
    """Change name and email. Changing the email needs the current password.
    Returns the names of the fields that changed (no values, for the audit log)."""
    changed = []
    new_email = normalise_email(email)
    if new_email != user.email:
        if not current_password or not verify_password(user.password_hash, current_password):
            raise DomainError(
                "Enter your current password to change your email address",
                field="current_password",
            )
        if email_taken(new_email, except_user=user):
            raise DomainError("Another account already uses this email address", field="email")
        old_email = user.email
        user.email = new_email
        _flush_new_email(user, "Another account already uses this email address")
        changed.append("email")
        # Links and sessions tied to the old address end; this device carries on.
        _void_reset_links(user)
        sessions.end_all_sessions(user, "email changed", keep_current=True)
        queue_email(
            to=old_email,
            user=user,
            subject="Your Recovery Education Centre email address was changed",
            body=render_template("emails/email_changed.txt", user=user),
        )
    if full_name.strip() != user.full_name:
        user.full_name = full_name.strip()
        changed.append("full name")
    preferred = (preferred_name or "").strip() or user.full_name.split()[0]
    if preferred != user.preferred_name:
        user.preferred_name = preferred
        changed.append("preferred name")
    if changed:
        audit.record(audit.DETAILS_CHANGED, actor=user, subject=user, detail=", ".join(changed))
    return changed


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def request_password_reset(email: str) -> None:
    """Queue a one-time reset link if the account exists; do the same work either way
    from the caller's point of view (the page never says whether it exists)."""
    user = find_user_by_email(email)
    if user is None or not user.active or not user.has_online_account:
        # Someone the REC team added has no password to reset: staff send them an
        # invitation to set up an online account instead (auth/invitations.py).
        return
    # Any earlier unused link stops working: only the newest one counts.
    now = utcnow()
    _void_reset_links(user)
    token = secrets.token_urlsafe(32)
    minutes = current_app.config["REC_PASSWORD_RESET_MINUTES"]
    db.session.add(
        PasswordResetToken(
            token_hash=_token_hash(token),
            user_id=user.id,
            created_at=now,
            expires_at=now + timedelta(minutes=minutes),
        )
    )
    link = current_app.config["REC_BASE_URL"] + url_for("auth.reset_password", token=token)
    queue_email(
        to=user.email,
        user=user,
        subject="Reset your Recovery Education Centre password",
        body=render_template("emails/password_reset.txt", user=user, link=link, minutes=minutes),
        contains_secret=True,
        expires_at=now + timedelta(minutes=minutes),  # the link is useless after this
    )
    audit.record(audit.PASSWORD_RESET_REQUESTED, subject=user)


def find_reset_token(token: str) -> PasswordResetToken | None:
    """The reset token if it is unused and not expired."""
    row = db.session.execute(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == _token_hash(token))
    ).scalar_one_or_none()
    if row is None or row.used_at is not None or row.expires_at < utcnow():
        return None
    if not row.user.active:
        return None
    return row


def reset_password(token: str, new_password: str) -> User:
    row = find_reset_token(token)
    # Claim the token in one statement, so two requests racing with the same link cannot
    # both succeed.
    claimed = db.session.execute(
        update(PasswordResetToken)
        .where(
            PasswordResetToken.token_hash == _token_hash(token),
            PasswordResetToken.used_at.is_(None),
            PasswordResetToken.expires_at >= utcnow(),
        )
        .values(used_at=utcnow())
    ).rowcount
    if row is None or claimed != 1:
        raise DomainError(
            "This link has expired or has already been used. Ask for a new link", field="password"
        )
    user = row.user
    user.password_hash = hash_password(new_password)
    sessions.end_all_sessions(user, sessions.ENDED_PASSWORD)
    audit.record(audit.PASSWORD_RESET, subject=user)
    return user


# --- Enrolment details ------------------------------------------------------------------------


FIELD_NAMES = {
    "pronouns": "pronouns", "relationship_to_services": "relationship to services",
    "team": "team", "referral_source": "how they heard about the REC",
    "referral_detail": "who referred them", "phone": "phone number",
    "contact_preference": "contact preference", "postal_address": "postal address",
    "access_needs": "support needs",
}


def update_profile(user: User, *, record: bool = True, **fields) -> list[str]:
    """Save enrolment details (only the names in PROFILE_FIELDS): at registration and from
    /my/account (account/operations.py). Returns what changed, by
    name; the audit row lists the names, never the values."""
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"not profile fields: {sorted(unknown)}")
    profile = user.profile
    if profile is None:
        profile = StudentProfile(user=user)
        db.session.add(profile)
    values = {name: (value or "").strip() for name, value in fields.items()}
    if "relationship_to_services" in values and values["relationship_to_services"] != STAFF:
        values["team"] = ""  # a team only means something for staff
    if values.get("contact_preference") == "":
        values["contact_preference"] = "email"
    changed = [name for name, value in values.items() if getattr(profile, name, None) != value]
    for name, value in values.items():
        setattr(profile, name, value)
    db.session.flush()
    if changed and record:
        audit.record(
            audit.ENROLMENT_CHANGED, actor=user, subject=user,
            detail=", ".join(FIELD_NAMES[name] for name in changed),
        )
    return changed


def disable_sign_in(person: User) -> None:
    """An admin disables an account: it cannot sign in, and every device signed in as it
    is signed out at once (admin/operations.py records who did it)."""
    person.active = False
    sessions.end_all_sessions(person, sessions.ENDED_DISABLED)


# Invitations to claim an online account (their rules are in invitations.py); other features
# and the views use them from here.
from rec_portal.auth.invitations import (  # noqa: E402,F401
    claim as claim_invitation,
    current_invitation,
    expire_invitations,
    find_invitation,
    invite,
)
