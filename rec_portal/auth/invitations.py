"""Invitations to claim an online account: staff invite a person they added (who has no
password) once the person has an email address. Following the link, the person chooses a
password; the address and password go on their existing record, so their bookings,
attendance and certificates stay theirs. Links work once, expire after
REC_SIGNUP_CONFIRM_HOURS, and only their hash is stored; a new invitation replaces earlier
ones. Operations flush, never commit."""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import current_app, render_template, url_for
from sqlalchemy import delete, or_, select, update

from rec_portal import audit
from rec_portal.auth.operations import _flush_new_email, _token_hash, email_taken, normalise_email
from rec_portal.errors import DomainError
from rec_portal.extensions import db
from rec_portal.models import AccountInvitation, User
from rec_portal.notifications.outbox import queue_email
from rec_portal.passwords import hash_password
from rec_portal.timeutil import utcnow

TAKEN_MESSAGE = "Another person on the portal already uses this email address"
LINK_INVALID_MESSAGE = (
    "This link has expired or has already been used. Ask the Recovery Education Centre "
    "team to send you a new one"
)
CLAIM_TAKEN_MESSAGE = (
    "An account already uses this email address, so this link cannot be used. Ask the "
    "Recovery Education Centre team to send an invitation to another address"
)


def current_invitation(person: User) -> AccountInvitation | None:
    """The person's newest invitation that can still be used, if any."""
    return db.session.execute(
        select(AccountInvitation)
        .where(AccountInvitation.user_id == person.id, AccountInvitation.used_at.is_(None),
               AccountInvitation.expires_at >= utcnow())
        .order_by(AccountInvitation.id.desc())
    ).scalars().first()


def invite(staff: User, person: User, email: str) -> AccountInvitation:
    """Send ``person`` (added by staff, no online account) a link to set up an online
    account with ``email``. Any earlier invitation stops working."""
    if person.has_online_account:
        raise DomainError(f"{person.full_name} already has an online account", field="email")
    if person.anonymised_at is not None or not person.active:
        raise DomainError("This account is disabled or deleted, so no invitation can be sent",
                          field="email")
    address = normalise_email(email)
    if email_taken(address, except_user=person):
        raise DomainError(TAKEN_MESSAGE, field="email")
    db.session.execute(delete(AccountInvitation).where(AccountInvitation.user_id == person.id))
    token = secrets.token_urlsafe(32)
    now = utcnow()
    hours = current_app.config["REC_SIGNUP_CONFIRM_HOURS"]
    invitation = AccountInvitation(
        user_id=person.id, email=address, token_hash=_token_hash(token), invited_by_id=staff.id,
        created_at=now, expires_at=now + timedelta(hours=hours),
    )
    db.session.add(invitation)
    link = current_app.config["REC_BASE_URL"] + url_for("auth.claim_account", token=token)
    queue_email(
        to=address,
        user=person,
        subject="Set up your Recovery Education Centre online account",
        body=render_template("emails/claim_account.txt", person=person, link=link, hours=hours),
        contains_secret=True,
        expires_at=invitation.expires_at,  # the link is useless after this
    )
    audit.record(audit.INVITATION_SENT, actor=staff, subject=person)
    db.session.flush()
    return invitation


def find_invitation(token: str) -> AccountInvitation | None:
    """The invitation this link belongs to, if it can still be used."""
    row = db.session.execute(
        select(AccountInvitation).where(AccountInvitation.token_hash == _token_hash(token))
    ).scalar_one_or_none()
    if row is None or row.used_at is not None or row.expires_at < utcnow():
        return None
    person = row.user
    if person.has_online_account or not person.active or person.anonymised_at is not None:
        return None
    return row


def claim(token: str, password: str) -> User:
    """The link was followed and a password chosen: the invited address and the password go
    on the person's own record. The link works once (claimed in one statement, so two
    requests with the same link cannot both succeed). The caller has checked the password
    rules and the privacy confirmation."""
    row = find_invitation(token)
    claimed = db.session.execute(
        update(AccountInvitation)
        .where(AccountInvitation.token_hash == _token_hash(token),
               AccountInvitation.used_at.is_(None), AccountInvitation.expires_at >= utcnow())
        .values(used_at=utcnow())
    ).rowcount
    if row is None or claimed != 1:
        raise DomainError(LINK_INVALID_MESSAGE)
    person = row.user
    if email_taken(row.email, except_user=person):
        raise DomainError(CLAIM_TAKEN_MESSAGE, field="email")
    person.email = row.email
    person.password_hash = hash_password(password)
    person.privacy_consent_at = utcnow()  # they read and agreed to the notice themselves
    _flush_new_email(person, CLAIM_TAKEN_MESSAGE)
    audit.record(audit.ACCOUNT_CLAIMED, actor=person, subject=person)
    return person


def expire_invitations(now=None) -> int:
    """Delete invitations whose link has expired, and used ones (``rec expire-invitations``,
    and ``rec apply-retention``)."""
    result = db.session.execute(
        delete(AccountInvitation).where(
            or_(AccountInvitation.expires_at < (now or utcnow()), AccountInvitation.used_at.is_not(None))
        )
    )
    return result.rowcount or 0
