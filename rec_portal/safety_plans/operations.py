"""Safety plan rules. Operations flush, never commit.

The plan is private to its owner: nothing here writes an audit row or a log line about
its content. The limits below are the only rules, and the forms use the same functions,
so they are written once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import delete, func, select

from rec_portal.errors import DomainError
from rec_portal.extensions import db
from rec_portal.models import (
    SafetyPlan,
    SafetyPlanService,
    SupportService,
    TrustedPerson,
    User,
)
from rec_portal.models.safety import SECTIONS

SECTION_MAX = 5000
NAME_MAX = 200
RELATIONSHIP_MAX = 200
PHONE_MAX = 40
PEOPLE_MAX = 30
PHONE_CHARACTERS = re.compile(r"^[0-9 +()]*$")

# How each section is named in an error message ("Your warning signs must be ...").
SECTION_WORDS = {
    "unsafe_situations": "Situations where you feel unsafe",
    "warning_signs": "Your warning signs",
    "keeping_safe": "Things you can do to keep safe",
    "safe_places": "Places where you feel safe",
    "reporting": "How you would report a crime",
}


def clean_text(text: str | None) -> str:
    """Browsers send new lines as CR LF; count and keep them as one character."""
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def section_problem(name: str, text: str) -> str | None:
    """Why ``text`` cannot be saved in section ``name``, or None."""
    if len(text) > SECTION_MAX:
        return (
            f"{SECTION_WORDS[name]} must be 5,000 characters or fewer. "
            f"You have written {len(text):,}."
        )
    return None


def person_problems(name: str, relationship: str, phone: str) -> dict[str, str]:
    """Problems with a trusted person's details, by field: ``name``, ``relationship``,
    ``phone``."""
    problems = {}
    if not name:
        problems["name"] = "Enter the person’s name"
    elif len(name) > NAME_MAX:
        problems["name"] = "Name must be 200 characters or fewer"
    if len(relationship) > RELATIONSHIP_MAX:
        problems["relationship"] = "Who they are to you must be 200 characters or fewer"
    if len(phone) > PHONE_MAX:
        problems["phone"] = "Phone number must be 40 characters or fewer"
    elif not PHONE_CHARACTERS.match(phone) or (phone and not re.search(r"[0-9]", phone)):
        problems["phone"] = (
            "Enter a phone number using numbers only, like 07700 900123 or +44 7700 900123"
        )
    return problems


def plan_for(user: User) -> SafetyPlan:
    """The user's plan, created empty the first time something is saved."""
    plan = db.session.get(SafetyPlan, user.id)
    if plan is None:
        plan = SafetyPlan(user_id=user.id, **{name: "" for name in SECTIONS})
        db.session.add(plan)
    return plan


def save_sections(user: User, values: dict[str, str]) -> SafetyPlan:
    """Save some or all of the text sections. Nothing is saved if any section is refused."""
    cleaned = {}
    for name, text in values.items():
        if name not in SECTIONS:
            raise DomainError("There is no such part of the safety plan.")
        cleaned[name] = clean_text(text)
        problem = section_problem(name, cleaned[name])
        if problem:
            raise DomainError(problem, field=name)
    plan = plan_for(user)
    for name, text in cleaned.items():
        setattr(plan, name, text)
    db.session.flush()
    return plan


def add_trusted_person(user: User, name: str, relationship: str = "", phone: str = "") -> TrustedPerson:
    name, relationship, phone = (" ".join((v or "").split()) for v in (name, relationship, phone))
    problems = person_problems(name, relationship, phone)
    if problems:
        field_name, message = next(iter(problems.items()))
        raise DomainError(message, field=field_name)
    count, last = db.session.execute(
        select(func.count(TrustedPerson.id), func.max(TrustedPerson.position)).where(
            TrustedPerson.user_id == user.id
        )
    ).one()
    if count >= PEOPLE_MAX:
        raise DomainError(
            f"You can list up to {PEOPLE_MAX} people. Remove someone before adding another.",
            field="name",
        )
    person = TrustedPerson(
        user_id=user.id, name=name, relationship_to_me=relationship, phone=phone,
        position=(last or 0) + 1,
    )
    db.session.add(person)
    db.session.flush()
    return person


def remove_trusted_person(person: TrustedPerson) -> None:
    """The caller has checked that ``person`` belongs to the signed-in user."""
    db.session.delete(person)
    db.session.flush()


def add_service(user: User, service: SupportService) -> None:
    """Add a support service to the student's plan (adding it twice changes nothing)."""
    exists = db.session.execute(
        select(SafetyPlanService.id).where(
            SafetyPlanService.user_id == user.id, SafetyPlanService.service_id == service.id
        )
    ).first()
    if not exists:
        db.session.add(SafetyPlanService(user_id=user.id, service_id=service.id))
        db.session.flush()


def remove_service(user: User, service_id: int) -> bool:
    """Take a service out of the plan. False if it was not in it."""
    result = db.session.execute(
        delete(SafetyPlanService).where(
            SafetyPlanService.user_id == user.id, SafetyPlanService.service_id == service_id
        )
    )
    db.session.flush()
    return result.rowcount > 0


@dataclass
class DraftsOutcome:
    """What happened to text kept when a session expired. ``applied`` is True if anything
    was saved; text that breaks a rule is not saved but handed back to show on the page
    with its problem."""

    applied: bool = False
    sections: dict[str, str] = field(default_factory=dict)  # not saved: too long
    person: dict[str, str] | None = None  # not saved: name, relationship, phone


def apply_drafts(user: User, drafts: list[dict]) -> DraftsOutcome:
    """Save what ``user`` typed before their session expired (``take_drafts`` output,
    oldest first, each ``{field: [values]}``). Later text for a section replaces earlier
    text; each trusted person with a name is added."""
    outcome = DraftsOutcome()
    latest: dict[str, str] = {}
    people = []
    for draft in drafts:
        for name in SECTIONS:
            if draft.get(name):
                latest[name] = clean_text(draft[name][0])
        person = {key: (draft.get(f"person_{key}") or [""])[0] for key in ("name", "relationship", "phone")}
        if person["name"].strip():
            people.append(person)
    good = {}
    for name, text in latest.items():
        if section_problem(name, text):
            outcome.sections[name] = text
        else:
            good[name] = text
    if good:
        save_sections(user, good)
        outcome.applied = True
    for person in people:
        try:
            add_trusted_person(user, person["name"], person["relationship"], person["phone"])
        except DomainError:
            outcome.person = person
        else:
            outcome.applied = True
    return outcome
