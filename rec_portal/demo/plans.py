"""Demo data for learning plans (loaded by rec_portal/demo/__init__.py). Idempotent: adds only
what is missing. Flushes; the caller commits.

Jo Williams (student@example.org) has a full plan: their own words, three goals (one
achieved), two courses of interest and a review with the admin (Alex Morgan). Two other
demo students have short plans. A student who already has a plan is left alone.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from rec_portal.demo.people import DEMO_ADMIN, DEMO_STUDENT
from rec_portal.extensions import db
from rec_portal.models.courses import PUBLISHED
from rec_portal.models.plans import (
    ACHIEVED,
    IN_PROGRESS,
    NOT_STARTED,
    LearningGoal,
    LearningPlan,
    PlanCourse,
    PlanReview,
)
from rec_portal.timeutil import uk_today

JO = DEMO_STUDENT

# (email, own words, goals as (text, steps, days from today or None, status),
#  preferred course slugs)
PLANS = [
    (
        JO,
        {
            "hopes": (
                "I would like to feel safer when I go out on my own, and to understand what "
                "to do if something happens to me again.\nI would also like to meet other "
                "people who have been through similar things."
            ),
            "strengths": "I am a good listener. I keep going even when things are hard. I like writing things down.",
            "support": (
                "Handouts before the course so I can read them at home. Sitting near the door. "
                "Knowing I can take a break without having to explain."
            ),
        },
        [
            (
                "Feel confident using the bus into town on my own",
                "Plan the route with my support worker\nTake the bus with a friend once\nGo on my own on a quiet morning",
                70,
                IN_PROGRESS,
            ),
            (
                "Write my own safety plan",
                "Go to the Staying Safe course\nFill in my safety plan on the portal\nShow it to someone I trust",
                30,
                NOT_STARTED,
            ),
            (
                "Come to my first REC course",
                "Register with the REC\nBook a place\nGo along, even if only for the morning",
                -20,
                ACHIEVED,
            ),
        ],
        ["staying-safe", "confidence-and-self-esteem"],
    ),
    (
        "aisha.khan@example.org",
        {"hopes": "To learn more about managing stress at work.", "strengths": "", "support": ""},
        [("Try one new way of winding down each week", "", 42, IN_PROGRESS)],
        ["managing-stress"],
    ),
    (
        "ben.carter@example.org",
        {"hopes": "To get back into learning after a long time away.", "strengths": "Patient, practical.", "support": "Large print handouts."},
        [("Finish a four-week course", "Pick a course\nBook it", None, NOT_STARTED)],
        ["peer-support-skills"],
    ),
]


def _courses_for(slugs: list[str], courses: dict, want: int) -> list:
    """``want`` published courses: those named in ``slugs`` first (in that order), then
    any other published course."""
    published = {slug: c for slug, c in courses.items() if c.status == PUBLISHED}
    chosen = [published[s] for s in slugs if s in published]
    chosen += [published[s] for s in sorted(published) if published[s] not in chosen]
    return chosen[:want]


def load(users: dict, courses: dict) -> int:
    """Returns how many rows it added. `users` maps email -> User for every demo account;
    `courses` maps slug -> Course for every demo course."""
    today = uk_today()
    added = 0
    emails = [email for email, *_ in PLANS if email in users]
    existing = set(
        db.session.execute(
            select(LearningPlan.user_id).where(LearningPlan.user_id.in_([users[e].id for e in emails]))
        ).scalars()
    )
    for email, words, goals, slugs in PLANS:
        user = users.get(email)
        if user is None or user.id in existing:
            continue
        db.session.add(LearningPlan(user_id=user.id, **words))
        added += 1
        for position, (text, steps, days, status) in enumerate(goals):
            db.session.add(
                LearningGoal(
                    user_id=user.id,
                    text=text,
                    steps=steps,
                    target_date=today + timedelta(days=days) if days is not None else None,
                    status=status,
                    position=position,
                )
            )
            added += 1
        for course in _courses_for(slugs, courses, want=2 if email == JO else 1):
            db.session.add(PlanCourse(user_id=user.id, course_id=course.id))
            added += 1
        if email == JO and DEMO_ADMIN in users:
            db.session.add(
                PlanReview(
                    user_id=user.id,
                    reviewer_id=users[DEMO_ADMIN].id,
                    review_date=today - timedelta(days=14),
                    notes=(
                        "We talked about what Jo would like from the REC. Jo came to their "
                        "first course and enjoyed it.\nNext: book Staying Safe and keep "
                        "practising the bus journey with a friend."
                    ),
                    next_review_date=today + timedelta(days=76),
                )
            )
            added += 1
    db.session.flush()
    return added
