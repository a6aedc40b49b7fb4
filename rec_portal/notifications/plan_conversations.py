"""Telling whoever now holds a learning-plan conversation that it moved to them.

A student's open conversation (asked for, or arranged) follows their tutor: reassigning the
tutor moves it to the new one, removing the tutor (or the tutor role) moves it to the REC
team. Here, not in tutoring, because removing the tutor role happens in admin (a lower
layer). The new tutor is told by their contact preference (``tell``), the REC team (every
active admin) by a staff email, as for a new request; with neutral words and nothing the
student wrote."""

from __future__ import annotations

from flask import render_template
from sqlalchemy import select

from rec_portal.extensions import db
from rec_portal.models import User, UserRole
from rec_portal.models.accounts import ADMIN
from rec_portal.models.tutoring import OPEN_CONVERSATION_STATUSES, PlanConversation
from rec_portal.notifications.contact import compose, page_link, tell
from rec_portal.notifications.outbox import queue_email
from rec_portal.timeutil import format_uk

SUBJECT = "Recovery Education Centre"


def active_admins() -> list[User]:
    """The REC team: every active admin."""
    return list(db.session.execute(
        select(User).where(User.active.is_(True), User.roles.any(UserRole.role == ADMIN)).order_by(User.id)
    ).scalars())


def open_conversations(*conditions) -> list[PlanConversation]:
    """The open conversations matching ``conditions`` (read before they are moved)."""
    return list(db.session.execute(
        select(PlanConversation)
        .where(PlanConversation.status.in_(OPEN_CONVERSATION_STATUSES), *conditions)
        .order_by(PlanConversation.id)
    ).scalars())


def tell_moved(conversations: list[PlanConversation], tutor: User | None, why: str) -> None:
    """``conversations`` are now with ``tutor`` (None: the REC team), because ``why``
    (words for the REC team's email, e.g. "their personal tutor was removed"). The tutor
    gets one message per conversation; each admin one email for them all."""
    if not conversations:
        return
    if tutor is not None:
        link = page_link("tutoring.caseload")
        for conversation in conversations:
            student = conversation.student
            when = format_uk(conversation.arranged_for) if conversation.arranged_for else ""
            tell(tutor, compose(
                "plan_conversation_moved", tutor,
                subject=f"{SUBJECT}: a conversation with a student is now yours",
                email_body=render_template("emails/plan_conversation_moved.txt", person=tutor, student=student,
                                           conversation=conversation, when=when, link=link),
                student=student, conversation=conversation, when_text=when, link=link,
            ))
        return
    link = page_link("tutoring.overview") + "#rec-team"
    for admin in active_admins():
        queue_email(
            to=admin.email, user=admin,
            subject=f"{SUBJECT}: a conversation about a learning plan is now with the REC team",
            body=render_template("emails/plan_conversation_moved_rec_team.txt", person=admin,
                                 count=len(conversations), why=why, link=link),
        )
