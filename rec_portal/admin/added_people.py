"""People the REC team adds themselves: someone who phoned or walked in, often without an
email address. They have a student record but no online account (no password: they cannot
sign in); staff book, wait-list and cancel for them, and contact them by their preference.
Their consent is recorded as they told it to staff, with who took it and when. Later, an
invitation (auth/invitations.py) lets them set up an online account on the same record.

Operations flush, never commit."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select

from rec_portal import audit
from rec_portal.auth.operations import email_taken, normalise_email, update_profile
from rec_portal.errors import DomainError
from rec_portal.extensions import db
from rec_portal.models import StudentProfile, User, UserRole
from rec_portal.models.accounts import CONSENT_WAYS, STUDENT
from rec_portal.models.students import CONTACT_PREFERENCES, EMAIL, LETTER, PHONE, RELATIONSHIPS, TEXT
from rec_portal.timeutil import utcnow

EMAIL_TAKEN_MESSAGE = "Another person on the portal already uses this email address"


@dataclass
class PersonDetails:
    """What staff type in about the person (the add and edit forms)."""

    full_name: str
    preferred_name: str = ""
    phone: str = ""
    email: str = ""
    contact_preference: str = TEXT
    postal_address: str = ""
    relationship_to_services: str = ""
    access_needs: str = ""


class PossibleDuplicate(DomainError):
    """Someone with the same name and phone number is already on the portal."""

    def __init__(self, matches: list[User]) -> None:
        super().__init__(
            "Someone with this name and phone number is already on the portal. Check it is "
            "not them, then tick the box to add this person anyway",
            field="not_duplicate",
        )
        self.matches = matches


def phone_digits(phone: str) -> str:
    """The digits of a phone number, with a UK +44 turned into 0 (for comparing)."""
    digits = re.sub(r"\D", "", phone or "")
    return "0" + digits[2:] if digits.startswith("44") else digits


def same_name_and_phone(full_name: str, phone: str, *, except_user: User | None = None) -> list[User]:
    """People already on the portal with this full name (ignoring case and spaces) and
    phone number (ignoring spaces and punctuation)."""
    wanted = phone_digits(phone)
    if not wanted:
        return []
    stmt = (
        select(User)
        .join(StudentProfile, StudentProfile.user_id == User.id)
        .where(func.lower(User.full_name) == " ".join(full_name.split()).lower(),
               User.anonymised_at.is_(None))
    )
    if except_user is not None:
        stmt = stmt.where(User.id != except_user.id)
    return [u for u in db.session.execute(stmt).scalars() if phone_digits(u.profile.phone) == wanted]


def _check(details: PersonDetails, person: User | None = None) -> None:
    if details.contact_preference not in CONTACT_PREFERENCES:
        raise DomainError("Choose how they would like to be contacted", field="contact_preference")
    if details.relationship_to_services and details.relationship_to_services not in RELATIONSHIPS:
        raise DomainError("Choose how they are connected to services", field="relationship_to_services")
    if details.contact_preference in (TEXT, PHONE) and not phone_digits(details.phone):
        what = "a text message" if details.contact_preference == TEXT else "a phone call"
        raise DomainError(f"Enter a phone number, so that the REC can contact them by {what}",
                          field="phone")
    if details.contact_preference == EMAIL and not details.email.strip():
        raise DomainError("Enter an email address, or choose another way to contact them",
                          field="email")
    if details.contact_preference == LETTER and not details.postal_address.strip():
        raise DomainError("Enter their postal address, so that the REC can write to them",
                          field="postal_address")
    if details.email.strip() and email_taken(details.email, except_user=person):
        raise DomainError(EMAIL_TAKEN_MESSAGE, field="email")


def add_person(staff: User, details: PersonDetails, *, consent_way: str, consent_other: str = "",
               not_duplicate: bool = False) -> User:
    """Add a student record for someone without an online account. The caller has checked
    that staff confirmed the person agreed to the REC keeping their details and contacting
    them; ``consent_way`` says how they agreed (a key of CONSENT_WAYS)."""
    _check(details)
    if consent_way not in CONSENT_WAYS:
        raise DomainError("Choose how they told you they agree", field="consent_way")
    if consent_way == "other" and not consent_other.strip():
        raise DomainError("Say how they told you they agree", field="consent_other")
    if not not_duplicate:
        matches = same_name_and_phone(details.full_name, details.phone)
        if matches:
            raise PossibleDuplicate(matches)
    full_name = " ".join(details.full_name.split())
    now = utcnow()
    how = CONSENT_WAYS[consent_way]
    if consent_way == "other":
        how = f"{how}: {consent_other.strip()}"
    person = User(
        email=normalise_email(details.email) or None,
        password_hash=None,  # no online account: they cannot sign in
        full_name=full_name,
        preferred_name=details.preferred_name.strip() or full_name.split()[0],
        active=True,
        privacy_consent_at=now,
        consent_taken_by_id=staff.id,
        consent_note=f"{how}, as told to {staff.full_name}"[:300],
        added_by_id=staff.id,
        created_at=now,
    )
    person.roles.append(UserRole(role=STUDENT))
    db.session.add(person)
    db.session.flush()
    update_profile(
        person, record=False, phone=details.phone, contact_preference=details.contact_preference,
        postal_address=details.postal_address, relationship_to_services=details.relationship_to_services, access_needs=details.access_needs,
    )
    audit.record(audit.PERSON_ADDED, actor=staff, subject=person, detail=f"consent: {how}"[:300])
    return person


CONTACT_FIELD_NAMES = {
    "full_name": "full name", "preferred_name": "preferred name", "email": "email address",
    "phone": "phone number", "contact_preference": "contact preference", "postal_address": "postal address",
    "relationship_to_services": "relationship to services", "access_needs": "support needs",
}


def update_contact_details(staff: User, person: User, details: PersonDetails) -> list[str]:
    """Staff change someone's contact details (as the person told them). Nobody changes
    their own this way (they use /my/account), and the email address of an online account
    is the person's to change (it is how they sign in). Returns what changed, by name."""
    if person.id == staff.id:
        raise DomainError("You cannot change your own details here. Use “Your account” instead")
    if person.anonymised_at is not None:
        raise DomainError("This account was deleted, so its details cannot be changed")
    new_email = normalise_email(details.email) or None
    if person.has_online_account and new_email != person.email:
        raise DomainError(
            "This person signs in with their email address, so only they can change it "
            "(from “Your account”)", field="email")
    _check(details, person)
    changed = []
    full_name = " ".join(details.full_name.split())
    if full_name != person.full_name:
        person.full_name = full_name
        changed.append("full_name")
    preferred = details.preferred_name.strip() or full_name.split()[0]
    if preferred != person.preferred_name:
        person.preferred_name = preferred
        changed.append("preferred_name")
    if new_email != person.email:
        person.email = new_email
        changed.append("email")
    db.session.flush()
    changed += update_profile(
        person, record=False, phone=details.phone, contact_preference=details.contact_preference,
        postal_address=details.postal_address, relationship_to_services=details.relationship_to_services, access_needs=details.access_needs,
    )
    changed = [name for name in changed if name in CONTACT_FIELD_NAMES]
    if changed:
        audit.record(audit.CONTACT_CHANGED_BY_STAFF, actor=staff, subject=person,
                     detail=", ".join(CONTACT_FIELD_NAMES[name] for name in changed))
    return changed
