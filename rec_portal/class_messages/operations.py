"""Sending a message to everyone on a session (flush, never commit).

Who may: an admin (any session), or a facilitator rostered on the session. When: while
the session is to come or under way, and until ``DAYS_AFTER`` days after it ends,
cancelled sessions included: after a cancellation the class is the people whose places
were cancelled with it, who may need to hear of a new date. After that the class is
history and nothing more is sent.

Each person's copy goes by their contact preference (``notifications.contact.tell``):
the email names the session's date and who sent it by role (the REC team, or the
session's facilitator), never the sender's own details; the text is a short neutral
prefix and the words; the call list line is the words."""

from __future__ import annotations

from datetime import timedelta

from flask import render_template
from sqlalchemy import select

from rec_portal import audit
from rec_portal.class_messages.queries import recipients
from rec_portal.errors import DomainError
from rec_portal.extensions import db
from rec_portal.models import CourseSession, User
from rec_portal.models.accounts import ADMIN, FACILITATOR
from rec_portal.models.contact import ClassMessage
from rec_portal.models.courses import lock_session
from rec_portal.models.rosters import RosterAssignment
from rec_portal.notifications.contact import Message, tell
from rec_portal.timeutil import format_uk, utcnow

KIND = "class_message"
# GOV.UK Notify refuses a text over 918 characters; the whole text (the neutral prefix and
# the words) is kept within TEXT_MAX_CHARS (four text parts), so the words are limited to
# MAX_CHARS and the course title is left out of a text it would make too long.
MAX_CHARS = 500
TEXT_MAX_CHARS = 612
DAYS_AFTER = 14
# The same words from the same person to the same session within this time are the same
# message sent twice (a double click, a resubmitted form): it is sent once.
SAME_MESSAGE_WITHIN = timedelta(minutes=1)
SUBJECT = "Recovery Education Centre session: a message about your session"
# Who the message is from, as the student reads it.
FROM_TEAM, FROM_FACILITATOR = "the REC team", "your session's facilitator"


class NothingToSend(DomainError):
    """Nobody would receive the message."""


class AlreadySent(DomainError):
    """The same message was just sent (a second click)."""


def is_rostered(user_id: int, session_id: int) -> bool:
    return db.session.execute(
        select(RosterAssignment.id).where(
            RosterAssignment.user_id == user_id, RosterAssignment.session_id == session_id)
    ).first() is not None


def may_write(person: User, session: CourseSession, *, as_admin: bool) -> bool:
    """Admins (the admin pages) any session; facilitators only sessions they are on the
    roster of."""
    if as_admin:
        return person.has_role(ADMIN)
    return person.has_role(FACILITATOR) and is_rostered(person.id, session.id)


def closed_reason(session: CourseSession, now=None) -> str | None:
    """Why no message can be sent to this session's class now, or None."""
    now = now or utcnow()
    if session.ends_at + timedelta(days=DAYS_AFTER) < now:
        return (f"This session ended more than {DAYS_AFTER} days ago, so messages can no longer "
                "be sent to the people who were on it.")
    return None


def check_words(words: str) -> str:
    words = (words or "").replace("\r\n", "\n").strip()
    if not words:
        raise DomainError("Enter the message", field="words")
    if len(words) > MAX_CHARS:
        raise DomainError(f"The message must be {MAX_CHARS:,} characters or fewer", field="words")
    return words


def _message_for(person: User, session: CourseSession, words: str, sender_role: str,
                 now) -> Message:
    titles = person.show_course_titles
    when = format_uk(session.starts_at)
    subject = f"{session.course.title}: a message about your session" if titles else SUBJECT
    context = dict(person=person, session=session, words=words, sender_role=sender_role,
                   when=when, titles=titles)
    return Message(
        kind=KIND,
        subject=subject,
        email_body=render_template("emails/class_message.txt", **context),
        text=_text(context),
        call=render_template("calls/class_message.txt", **context).strip(),
        # A message about a session still to come is no use once it is over; one sent
        # after it ended is worth delivering whenever it can be.
        expires_at=session.ends_at if session.ends_at > now else None,
        session=session,
    )


def _text(context: dict) -> str:
    """The text: the prefix names the course only if the person chose titles and the whole
    text still fits in TEXT_MAX_CHARS (the words never need cutting: MAX_CHARS leaves room
    for the longest prefix without the title)."""
    text = render_template("texts/class_message.txt", **context).strip()
    if len(text) > TEXT_MAX_CHARS:
        text = render_template("texts/class_message.txt", **{**context, "titles": False}).strip()
    return text


def send_class_message(session_id: int, sender: User, words: str, *, include_waiting: bool,
                       as_admin: bool, now=None) -> ClassMessage:
    """Send ``words`` to everyone on the session (each by their preference), record it
    (a ClassMessage and an audit event) and return the record. Refuses (DomainError) if
    the words are empty or too long, the session is closed to messages, or nobody would
    get it; AlreadySent if the same words were just sent by the same person."""
    now = now or utcnow()
    words = check_words(words)
    # The session's lock: a second click waits for the first, then sees its message.
    session = lock_session(session_id)
    if session is None:
        raise DomainError("This session no longer exists.")
    if reason := closed_reason(session, now):
        raise DomainError(reason)
    same = db.session.execute(
        select(ClassMessage.id).where(
            ClassMessage.session_id == session.id, ClassMessage.sender_id == sender.id,
            ClassMessage.body == words, ClassMessage.created_at >= now - SAME_MESSAGE_WITHIN)
    ).first()
    if same is not None:
        raise AlreadySent("This message has already been sent. It was sent once.")
    who = recipients(session, include_waiting)
    if not who.count:
        raise NothingToSend(
            "Nobody is booked on this session" + (" or waiting for it" if include_waiting else "")
            + ", so there is nobody to send a message to. Nothing has been sent.")
    sender_role = FROM_TEAM if as_admin else FROM_FACILITATOR
    for person in who.people:
        tell(person, _message_for(person, session, words, sender_role, now))
    row = ClassMessage(
        session_id=session.id, sender_id=sender.id, body=words, include_waiting=include_waiting,
        recipients=who.count, by_email=who.by_email, by_text=who.by_text,
        by_call_list=who.by_call_list, created_at=now,
    )
    db.session.add(row)
    db.session.flush()
    audit.record(
        audit.CLASS_MESSAGE_SENT, actor=sender,
        detail=(f"session {session.id} message {row.id}: {who.words()}"
                + (" (waiting list included)" if include_waiting else "")),
    )
    return row
