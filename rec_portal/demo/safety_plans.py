"""Demo data for safety plans (loaded by rec_portal/demo/__init__.py, after the support guide's).
Idempotent: adds only what is missing, and never changes a plan someone has written in.
Flushes; the caller commits.

Jo Williams (student@example.org) has a filled-in safety plan. The people in it are made
up and their numbers are from Ofcom's range for drama (07700 900000 to 07700 900999).
"""

from __future__ import annotations

from sqlalchemy import func, select

from rec_portal.demo.people import DEMO_STUDENT
from rec_portal.extensions import db
from rec_portal.models import (
    SafetyPlan,
    SafetyPlanService,
    SupportService,
    TrustedPerson,
)
from rec_portal.safety_plans import operations


PLAN = {
    "unsafe_situations": (
        "Walking back from the bus stop after dark, especially the alley behind the shops.\n"
        "When people I have only just met want to come back to my flat.\n"
        "When someone asks to borrow money or my bank card, even if they say it is only "
        "until Friday.\n"
        "Messages from numbers I do not know asking me to click a link."
    ),
    "warning_signs": (
        "I start saying yes to things I do not want to do, just to keep people happy.\n"
        "My chest gets tight and I stop answering my phone.\n"
        "Someone I do not know well starts turning up a lot, or wants to keep their things "
        "at mine.\n"
        "I stop sleeping properly and go out late to get away from my thoughts."
    ),
    "keeping_safe": (
        "Tell Mum or Dev where I am going and when I will be back.\n"
        "Keep my phone charged and some money for a taxi in my coat pocket.\n"
        "Say \"I need to think about it\" and walk away if someone asks me for money.\n"
        "Use the spy hole and the door chain, and do not let anyone in I was not expecting.\n"
        "Go to my Tuesday group even when I do not feel like it."
    ),
    "safe_places": (
        "Mum's house on Elm Road.\n"
        "The library on the high street (the staff know me).\n"
        "The café at the recovery centre.\n"
        "My GP surgery during the day."
    ),
    "reporting": (
        "If I am in danger I will call 999.\n"
        "If it is not an emergency I will call 101, or ask Dev to sit with me while I report "
        "it online.\n"
        "If it is about my mental health or disability I can report it as a hate crime.\n"
        "I can ask my care co-ordinator to help me contact Victim Support."
    ),
}

PEOPLE = [
    ("Mum (Angela)", "my mum", "07700 900461"),
    ("Dev", "my friend from the peer support group", "07700 900128"),
]

# Services from the guide, by name, best first: the first two that exist are chosen.
SERVICE_NAMES = [
    "Victim Support Supportline",
    "Samaritans",
    "Victim Support",
    "Anytown Crisis Café (example)",
    "Crimestoppers",
    "Mind Infoline",
]


def load(users: dict, courses: dict) -> int:
    """Returns how many rows it added. `users` maps email -> User for every demo account;
    `courses` maps slug -> Course for every demo course."""
    user = users.get(DEMO_STUDENT)
    if user is None:
        return 0
    added = 0
    if db.session.get(SafetyPlan, user.id) is None:
        operations.save_sections(user, PLAN)
        added += 1
    has_people = db.session.execute(
        select(func.count(TrustedPerson.id)).where(TrustedPerson.user_id == user.id)
    ).scalar_one()
    if not has_people:
        for name, relationship, phone in PEOPLE:
            operations.add_trusted_person(user, name, relationship, phone)
            added += 1
    chosen = db.session.execute(
        select(func.count(SafetyPlanService.id)).where(SafetyPlanService.user_id == user.id)
    ).scalar_one()
    if not chosen:
        services = db.session.execute(
            select(SupportService).where(
                SupportService.name.in_(SERVICE_NAMES), SupportService.retired_at.is_(None)
            )
        ).scalars().all()
        services.sort(key=lambda s: SERVICE_NAMES.index(s.name))
        for service in services[:2]:
            operations.add_service(user, service)
            added += 1
    return added
