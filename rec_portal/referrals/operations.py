"""Referrals from professionals: the rules. Operations flush, never commit.

- ``submit_referral``: the public form. The referrer must give an email address or a phone
  number, the person a way to reach them that fits their preference, and the referrer must
  confirm that the person agreed to be referred. The same referral sent again within ten
  minutes (a double click, or Back and send) is the first one: no second acknowledgement.
  The referrer is acknowledged (by email, or by text if they gave only a mobile number)
  with a fixed greeting, a reference number and the REC's own words: nothing typed in the
  form (so nobody can make the REC send their words), and NOTHING about the person.
- ``record_outcome``: the REC team contacted the person, or they declined, or could not be
  reached; each with a note (who and when is added).
- ``create_record``: the person agreed (to staff) to the REC keeping their details: their
  student record is made with the staff "add someone" rules (admin), the referral is linked
  to it and is "enrolled". The referral's agreement is not consent to the privacy notice:
  staff confirm they took that consent themselves. With an email address and a preference
  for email, an invitation to set up an online account can go with it.
- ``link_to_student``: the person is already on the portal: the referral is linked to them.
- ``expire_referrals`` / ``minimise_enrolled``: retention (``REC_REFERRAL_RETENTION_DAYS``).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from flask import current_app, render_template
from sqlalchemy import and_, delete, or_, select, update

from rec_portal import audit
from rec_portal.admin import operations as people
from rec_portal.auth import operations as accounts
from rec_portal.errors import DomainError
from rec_portal.extensions import db
from rec_portal.models import User
from rec_portal.models.accounts import STUDENT
from rec_portal.models.referrals import (
    CONTACTED,
    DECLINED,
    ENROLLED,
    LED_NOWHERE,
    NEW,
    NO_CONTACT,
    ORG_TYPES,
    STATUSES,
    Referral,
)
from rec_portal.models.students import CONTACT_PREFERENCES, EMAIL, LETTER, PHONE, TEXT
from rec_portal.notifications.contact import mobile_number
from rec_portal.notifications.outbox import queue_email, queue_text
from rec_portal.timeutil import format_uk, utcnow

# What staff may record on a referral (enrolment is by creating or linking a record).
OUTCOMES = {
    CONTACTED: "Contacted: we spoke to them or are talking with them",
    DECLINED: "Declined: they do not want to join, or not now",
    NO_CONTACT: "Could not contact them",
}


@dataclass
class ReferralDetails:
    """What the "Refer someone" form asks, in page order."""

    referrer_name: str
    referrer_organisation: str
    org_type: str
    referrer_role: str = ""
    referrer_email: str = ""
    referrer_phone: str = ""
    person_name: str = ""
    person_email: str = ""
    person_phone: str = ""
    person_contact_preference: str = ""
    person_postal_address: str = ""
    contact_notes: str = ""
    reason: str = ""
    person_agreed: bool = False


def problems(details: ReferralDetails) -> list[tuple[str, str]]:
    """(field, message) for every rule the details break (the form shows them all at once;
    ``submit_referral`` refuses with the first)."""
    found = []
    if details.org_type not in ORG_TYPES:
        found.append(("org_type", "Select the kind of organisation you work for"))
    if not (details.referrer_email.strip() or details.referrer_phone.strip()):
        found.append(("referrer_email", "Enter your email address or phone number, so that the REC team "
                                        "can contact you about this referral"))
    preference = details.person_contact_preference
    if preference not in CONTACT_PREFERENCES:
        found.append(("person_contact_preference", "Select how they would like the REC team to contact them"))
    elif preference == EMAIL and not details.person_email.strip():
        found.append(("person_email", "Enter their email address, or choose another way to contact them"))
    elif preference == TEXT and not mobile_number(details.person_phone):
        found.append(("person_phone", "Enter a mobile number for text messages, like 07700 900123, "
                                      "or choose another way to contact them"))
    elif preference == PHONE and not people.phone_digits(details.person_phone):
        found.append(("person_phone", "Enter their phone number, or choose another way to contact them"))
    elif preference == LETTER and not details.person_postal_address.strip():
        found.append(("person_postal_address", "Enter their postal address, or choose another way to "
                                               "contact them"))
    if not details.person_agreed:
        found.append(("person_agreed", "Confirm that the person agreed to be referred. If they have "
                                       "not agreed yet, ask them first"))
    return found


def submit_referral(details: ReferralDetails, now: datetime | None = None) -> Referral:
    """Keep a referral from the public form and acknowledge the referrer."""
    found = problems(details)
    if found:
        raise DomainError(found[0][1], field=found[0][0])
    now = now or utcnow()
    values = {f.name: (getattr(details, f.name).strip() if isinstance(getattr(details, f.name), str)
                       else getattr(details, f.name)) for f in fields(details)}
    already = _same_referral(values, now)
    if already is not None:
        return already  # sent twice (a double click, or Back and send again): one referral, one acknowledgement
    referral = Referral(**values, status=NEW, created_at=now, status_changed_at=now)
    db.session.add(referral)
    db.session.flush()
    _acknowledge(referral, now)
    return referral


# The same referral received again within this time is the first one sent twice.
RESENT_WITHIN = timedelta(minutes=10)
SAME_REFERRAL = ("referrer_email", "referrer_phone", "person_name", "person_phone", "person_email", "reason")


def _same_referral(values: dict, now: datetime) -> Referral | None:
    """A referral received in the last RESENT_WITHIN with the same referrer contact, person
    name and contact, and reason."""
    return db.session.execute(
        select(Referral)
        .where(Referral.created_at >= now - RESENT_WITHIN, Referral.created_at <= now,
               *(getattr(Referral, name) == values[name] for name in SAME_REFERRAL))
        .order_by(Referral.id).limit(1)
    ).scalar_one_or_none()


def _acknowledge(referral: Referral, now: datetime) -> None:
    """The referrer is told the referral arrived: a reference number and what happens next,
    never the person's details (their name included)."""
    days = current_app.config["REC_REFERRAL_CONTACT_DAYS"]
    if referral.referrer_email:
        queue_email(
            to=referral.referrer_email,
            subject=f"Your referral to the Recovery Education Centre ({referral.reference})",
            body=render_template("emails/referral_received.txt", referral=referral, days=days,
                                 phone=current_app.config["REC_CONTACT_PHONE"]),
        )
    elif mobile_number(referral.referrer_phone):
        queue_text(
            to=mobile_number(referral.referrer_phone),
            body=(f"Recovery Education Centre: we have your referral {referral.reference}. We will contact "
                  f"the person within {days} working days. For their privacy we cannot tell you more."),
        )
    else:
        return
    referral.acknowledged_at = now


def _add_note(referral: Referral, staff: User, text: str, now: datetime) -> None:
    line = f"{format_uk(now)}, {staff.full_name}: {text.strip()}"
    referral.outcome_note = (referral.outcome_note + "\n\n" + line) if referral.outcome_note else line


def _set_status(referral: Referral, staff: User, status: str, now: datetime) -> None:
    if status != referral.status:
        referral.status = status
        referral.status_changed_at = now
    referral.handled_by_id = staff.id


def record_outcome(referral: Referral, staff: User, status: str, note: str,
                   now: datetime | None = None) -> Referral:
    """Staff record what happened (contacted, declined, could not contact), with a note."""
    if referral.status == ENROLLED:
        raise DomainError("This referral already led to enrolment. Add notes on the student's own record",
                          field="status")
    if status not in OUTCOMES:
        raise DomainError("Select what happened", field="status")
    if not note.strip():
        raise DomainError("Enter a note: what happened, and what comes next", field="note")
    now = now or utcnow()
    before = referral.status
    _set_status(referral, staff, status, now)
    label = STATUSES[status] if status != before else f"{STATUSES[status]} (still)"
    _add_note(referral, staff, f"{label}. {note.strip()}", now)
    audit.record(audit.REFERRAL_CHANGED, actor=staff, subject=referral.student,
                 detail=f"referral {referral.id}: {before} -> {status}")
    db.session.flush()
    return referral


def possible_matches(referral: Referral) -> list[User]:
    """Students already on the portal who may be the person: the same name and phone
    number, or the same email address."""
    found = {u.id: u for u in people.same_name_and_phone(referral.person_name, referral.person_phone)}
    if referral.person_email.strip():
        same = accounts.find_user_by_email(referral.person_email)
        if same is not None and same.anonymised_at is None:
            found.setdefault(same.id, same)
    return [u for u in found.values() if u.has_role(STUDENT)]


CHOOSE_LISTED = "Choose who they are from the people listed"


def _refuse_if_enrolled(referral: Referral) -> None:
    if referral.status == ENROLLED or referral.student_id is not None:
        raise DomainError("This referral is already linked to a student record")


@dataclass
class Enrolled:
    student: User
    invitation: object | None = None


def create_record(referral: Referral, staff: User, details, *, consent_way: str, consent_other: str = "",
                  not_duplicate: bool = False, invite: bool = False, now: datetime | None = None) -> Enrolled:
    """The person's student record, made from the referral (``details``: an
    ``admin.operations.PersonDetails`` staff checked with them). The caller has checked that
    staff confirmed the person agreed to the REC keeping their details (the privacy notice,
    read to them); the referral's own agreement (to be referred) is not that consent.
    Anyone on the portal with the same name and phone number or the same email address
    stops it unless ``not_duplicate`` (staff checked it is someone else)."""
    _refuse_if_enrolled(referral)
    if not not_duplicate:
        matches = possible_matches(referral)
        if matches:
            raise people.PossibleDuplicate(matches)
    person = people.add_person(staff, details, consent_way=consent_way, consent_other=consent_other,
                               not_duplicate=not_duplicate)
    now = now or utcnow()
    referral.student_id = person.id
    _set_status(referral, staff, ENROLLED, now)
    _add_note(referral, staff, f"Enrolled: student record {person.student_number} created.", now)
    audit.record(audit.REFERRAL_ENROLLED, actor=staff, subject=person,
                 detail=f"referral {referral.id}: record created")
    invitation = None
    if invite:
        if details.contact_preference != EMAIL or not (details.email or "").strip():
            raise DomainError("An invitation to set up an online account goes by email: enter their "
                              "email address and choose email, or untick the invitation", field="invite")
        invitation = accounts.invite(staff, person, details.email)
    db.session.flush()
    return Enrolled(person, invitation)


def link_to_student(referral: Referral, staff: User, student: User | None,
                    now: datetime | None = None) -> User:
    """The person is already on the portal: the referral is linked to their record. Only
    someone ``possible_matches`` lists (the referral's name and phone number, or its email
    address): any other id, e.g. forged in the form, would enrol a stranger's referral on
    an unrelated student's record (and into their data download)."""
    _refuse_if_enrolled(referral)
    if student is None or student.id not in {match.id for match in possible_matches(referral)}:
        raise DomainError(CHOOSE_LISTED)
    now = now or utcnow()
    referral.student_id = student.id
    _set_status(referral, staff, ENROLLED, now)
    _add_note(referral, staff, f"Enrolled: linked to their existing record {student.student_number}.", now)
    audit.record(audit.REFERRAL_ENROLLED, actor=staff, subject=student,
                 detail=f"referral {referral.id}: linked to an existing record")
    db.session.flush()
    return student


# --- Retention ---------------------------------------------------------------------------------


def _older_than(cutoff: datetime):
    return or_(Referral.status_changed_at < cutoff,
               and_(Referral.status_changed_at.is_(None), Referral.created_at < cutoff))


def expire_referrals(now: datetime | None = None, days: int | None = None) -> int:
    """Delete referrals that led nowhere (declined, could not contact) whose outcome was
    recorded more than ``days`` (REC_REFERRAL_RETENTION_DAYS) ago. New and contacted ones,
    and enrolled ones, are never deleted."""
    days = days if days is not None else current_app.config["REC_REFERRAL_RETENTION_DAYS"]
    cutoff = (now or utcnow()) - timedelta(days=days)
    result = db.session.execute(
        delete(Referral).where(Referral.status.in_(LED_NOWHERE), _older_than(cutoff))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


# What an enrolled referral keeps after the retention period: its link to the student, the
# organisation type (the term report), its dates and status. Everything else is emptied.
MINIMISED = {
    "referrer_name": "", "referrer_organisation": "", "referrer_role": "", "referrer_email": "",
    "referrer_phone": "", "person_name": "", "person_email": "", "person_phone": "",
    "person_postal_address": "", "contact_notes": "", "reason": "", "outcome_note": "",
}


def minimise_enrolled(now: datetime | None = None, days: int | None = None) -> int:
    """Empty the referrer's and the person's details from referrals that led to enrolment
    more than ``days`` ago (the student's own record holds what the REC needs); they keep
    the link to the student and the organisation type. Safe to repeat."""
    days = days if days is not None else current_app.config["REC_REFERRAL_RETENTION_DAYS"]
    cutoff = (now or utcnow()) - timedelta(days=days)
    result = db.session.execute(
        update(Referral)
        .where(Referral.status == ENROLLED, _older_than(cutoff),
               or_(Referral.person_name != "", Referral.referrer_name != "", Referral.outcome_note != ""))
        .values(**MINIMISED)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0

