"""People and roles, as REC staff manage them. Operations flush, never commit."""

from __future__ import annotations

import re

from sqlalchemy import delete, func, or_, select, update

from rec_portal import audit
from rec_portal.auth.operations import disable_sign_in
from rec_portal.errors import DomainError
from rec_portal.extensions import db
from rec_portal.models import ROLES, StudentProfile, User, UserRole
from rec_portal.models.accounts import ADMIN, ROLE_LABELS, SUPPORT_LEAD, TUTOR
from rec_portal.models.support_requests import CLOSED, SupportRequest


# Whether anyone reads the support requests (the admin home says so when nobody can).
NO_SUPPORT_LEAD, REQUESTS_UNREAD = "no_support_lead", "requests_unread"


def support_lead_gap() -> str | None:
    """``REQUESTS_UNREAD`` when requests for help (or facilitators' concerns) are open and no
    active account holds the support lead role, so nobody can read them; ``NO_SUPPORT_LEAD``
    when nobody holds the role and nothing is waiting; None when someone holds it. Counts
    only: nothing about any request. Two small statements."""
    has_lead = db.session.execute(
        select(User.id).where(User.active.is_(True), User.anonymised_at.is_(None),
                              User.roles.any(UserRole.role == SUPPORT_LEAD)).limit(1)
    ).first() is not None
    if has_lead:
        return None
    waiting = db.session.execute(
        select(SupportRequest.id).where(SupportRequest.status != CLOSED).limit(1)
    ).first() is not None
    return REQUESTS_UNREAD if waiting else NO_SUPPORT_LEAD


STUDENT_NUMBER = re.compile(r"^(?:rec-?)?0*(\d{1,9})$")


def people_query(q: str = "", role: str = ""):
    """People matching a search by name, email address, phone number (ignoring spaces and
    punctuation) or student number ("REC-000123"), in name order."""
    stmt = select(User)
    q = (q or "").strip().lower()
    if q:
        like = f"%{q.replace('%', '').replace('_', '')}%"
        matches = [
            func.lower(User.full_name).like(like),
            func.lower(User.preferred_name).like(like),
            User.email.like(like),
        ]
        number = STUDENT_NUMBER.match(q.replace(" ", ""))
        if number and (q.startswith("rec") or re.fullmatch(r"0\d{5}", q)):  # "000123" too
            matches.append(User.id == int(number[1]))
        digits = re.sub(r"[\s()+-]", "", q)
        if digits.isdigit() and len(digits) >= 4:
            stored = StudentProfile.phone
            for char in " ()+-":
                stored = func.replace(stored, char, "")
            national = (digits[2:] if digits.startswith("44") else digits).lstrip("0")
            matches.append(User.id.in_(
                select(StudentProfile.user_id).where(stored.like(f"%{national}%"))
            ))
        stmt = stmt.where(or_(*matches))
    if role in ROLES:
        stmt = stmt.where(User.roles.any(UserRole.role == role))
    return stmt.order_by(func.lower(User.full_name), User.id)


def set_roles(admin: User, person: User, roles: set[str]) -> tuple[set[str], set[str]]:
    """Make ``person`` hold exactly ``roles``. Returns (added, removed)."""
    unknown = roles - set(ROLES)
    if unknown:
        raise DomainError("Choose roles from the list", field="roles")
    current = person.role_names
    added, removed = roles - current, current - roles
    if person.id == admin.id and ADMIN in removed:
        raise DomainError(
            "You cannot remove your own admin role. Ask another admin to do it", field="roles"
        )
    if ADMIN in removed and person.active and _active_admin_count() <= 1:
        raise DomainError("There must always be at least one admin", field="roles")
    for role in sorted(added):
        person.roles.append(UserRole(role=role))
        audit.record(audit.ROLE_GRANTED, actor=admin, subject=person, detail=role)
    for link in list(person.roles):
        if link.role in removed:
            person.roles.remove(link)
            audit.record(audit.ROLE_REMOVED, actor=admin, subject=person, detail=link.role)
    if TUTOR in removed:
        _end_tutorships(person)
    db.session.flush()
    return added, removed


def _end_tutorships(tutor: User) -> None:
    """Someone who is no longer a tutor has no students: each of them has "no tutor yet",
    and their open learning-plan conversations go to the REC team (who are emailed)."""
    from rec_portal.models.tutoring import OPEN_CONVERSATION_STATUSES, PlanConversation, Tutorship
    from rec_portal.notifications import plan_conversations

    moved = plan_conversations.open_conversations(PlanConversation.tutor_id == tutor.id)
    db.session.execute(delete(Tutorship).where(Tutorship.tutor_id == tutor.id))
    db.session.execute(
        update(PlanConversation)
        .where(PlanConversation.tutor_id == tutor.id, PlanConversation.status.in_(OPEN_CONVERSATION_STATUSES))
        .values(tutor_id=None)
    )
    plan_conversations.tell_moved(moved, None, why="their personal tutor no longer has the tutor role")


def _active_admin_count() -> int:
    return db.session.execute(
        select(func.count())
        .select_from(User)
        .where(User.active.is_(True), User.roles.any(UserRole.role == ADMIN))
    ).scalar_one()


def disable_account(admin: User, person: User) -> None:
    if person.id == admin.id:
        raise DomainError("You cannot disable your own account")
    if not person.active:
        raise DomainError("This account is already disabled")
    if person.has_role(ADMIN) and _active_admin_count() <= 1:
        raise DomainError("There must always be at least one active admin")
    disable_sign_in(person)
    audit.record(audit.ACCOUNT_DISABLED, actor=admin, subject=person)


def enable_account(admin: User, person: User) -> None:
    if person.active:
        raise DomainError("This account is already active")
    person.active = True
    audit.record(audit.ACCOUNT_ENABLED, actor=admin, subject=person)


def describe_roles(roles: set[str]) -> str:
    return ", ".join(ROLE_LABELS[r] for r in ROLES if r in roles) or "no roles"


# Adding someone without an online account (their rules are in added_people.py); other
# features (referrals) use them through here.
from rec_portal.admin.added_people import (  # noqa: E402,F401
    CONSENT_WAYS,
    EMAIL_TAKEN_MESSAGE,
    PersonDetails,
    PossibleDuplicate,
    add_person,
    phone_digits,
    same_name_and_phone,
)
