"""Telling a person something by their contact preference.

Every message the portal sends to a student about their courses (booking confirmed,
waiting list, place offered, changed, cancelled, reminder, feedback invitation, follow-up
questions, messages to a class) goes through ``tell``: by email, by text message (the
outbox's text channel, sent through GOV.UK Notify), or as a line on the staff call list
(/admin/calls) for people who prefer a phone call or a letter, or who have neither an
email address nor a mobile number. Like ``queue_email``, ``tell`` adds rows to the current
transaction, so a message exists exactly when its cause is committed.

Messages about the account itself (sign-up links, password resets, invitations to claim
an account) are about an email address and always go by email (``outbox.queue_email``).

Which way (``route_for``), by preference:

- email: their email address; without one, a text to their mobile; else the call list.
- text: their mobile; without one, their email address; else the call list.
- phone call: the call list (to phone them); without any phone number, email, else text,
  else a letter.
- letter: the call list, to write to them.

Staff and facilitator accounts without a student profile are emailed. An anonymised
(deleted) account is told nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from rec_portal.extensions import db
from rec_portal.models.contact import LETTER as TASK_LETTER
from rec_portal.models.contact import PHONE as TASK_PHONE
from rec_portal.models.contact import ContactTask
from rec_portal.models.students import CONTACT_PREFERENCES, EMAIL, LETTER, PHONE, TEXT

# What ``tell`` did with a message.
BY_EMAIL, BY_TEXT, BY_CALL, BY_LETTER = "email", "text", "call", "letter"
ROUTE_LABELS = {BY_EMAIL: "Email", BY_TEXT: "Text message", BY_CALL: "Phone call (call list)",
                BY_LETTER: "Letter (call list)"}


@dataclass
class Message:
    """One message in the forms each channel needs. ``kind``: what it is (for the call
    list and tests), e.g. "booking_confirmed". ``subject`` and ``email_body``: the email.
    ``text``: the text message, short and neutral (no course title unless the person
    chose to see titles; a phone's lock screen shows it). ``call``: what staff tell them
    on the phone or write in a letter. ``expires_at``: after this the message is useless
    (it is not sent, and the call-list line closes). ``booking``/``session``: what it is
    about, shown on the call list."""

    kind: str
    subject: str
    email_body: str
    text: str
    call: str
    attachment: tuple[str, str, str] | None = None
    expires_at: datetime | None = None
    booking: object | None = None
    session: object | None = None
    # Not sent before this (an email or text); e.g. a feedback invitation waits until the
    # session is over.
    send_after: datetime | None = None


# A course title in a text is cut to this length (texts stay within two parts).
TITLE_IN_TEXT = 60


def page_link(endpoint: str, **values) -> str:
    """A page's full address for a message, with or without a request (never from Host)."""
    from flask import current_app

    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config["REC_BASE_URL"].rstrip("/") + path


def compose(kind: str, person, *, subject: str, email_body: str, attachment=None,
            expires_at: datetime | None = None, booking=None, session=None,
            send_after: datetime | None = None, **context) -> Message:
    """A ``Message`` whose text is ``templates/texts/<kind>.txt`` and whose call-list
    wording is ``templates/calls/<kind>.txt``. Both templates get ``person``, ``booking``,
    ``session``, ``when`` (the session's first date and time), ``title`` (the course title,
    only if the person chose to see titles, else None), ``online`` (they can sign in),
    ``phone`` (the REC's number) and ``context``. The text is made one line."""
    from flask import current_app, render_template

    from rec_portal.timeutil import format_uk

    session = session if session is not None else getattr(booking, "session", None)
    title = None
    if session is not None and person.show_course_titles:
        title = session.course.title
        if len(title) > TITLE_IN_TEXT:
            title = title[:TITLE_IN_TEXT - 1].rstrip() + "…"
    values = dict(
        person=person, booking=booking, session=session, title=title,
        when=format_uk(session.starts_at) if session is not None else "",
        online=person.has_online_account, phone=current_app.config["REC_CONTACT_PHONE"],
        **context,
    )
    text = " ".join(render_template(f"texts/{kind}.txt", **values).split())
    call = render_template(f"calls/{kind}.txt", **values).strip()
    return Message(kind=kind, subject=subject, email_body=email_body, text=text, call=call,
                   attachment=attachment, expires_at=expires_at, booking=booking,
                   session=session, send_after=send_after)


_MOBILE = re.compile(r"^(?:\+44|0044|0)7\d{9}$")


def mobile_number(phone: str | None) -> str | None:
    """A UK mobile number in the form Notify takes (07700900123), or None if ``phone`` is
    not one (a landline cannot get texts)."""
    digits = re.sub(r"[\s()-]", "", phone or "")
    if not _MOBILE.match(digits):
        return None
    return "0" + digits[-10:]


def preference(person) -> str:
    profile = getattr(person, "profile", None)
    return profile.contact_preference if profile is not None else EMAIL


def preference_label(person) -> str:
    return CONTACT_PREFERENCES.get(preference(person), "Email")


def _phone(person) -> str:
    profile = getattr(person, "profile", None)
    return (profile.phone or "").strip() if profile is not None else ""


def route_for(person) -> str | None:
    """How a message to ``person`` goes: BY_EMAIL, BY_TEXT, BY_CALL, BY_LETTER, or None
    (an anonymised account)."""
    if person.anonymised_at is not None:
        return None
    chosen = preference(person)
    email, mobile, phone = person.email, mobile_number(_phone(person)), _phone(person)
    if chosen == LETTER:
        return BY_LETTER
    if chosen == PHONE:
        if phone:
            return BY_CALL
        return BY_EMAIL if email else BY_TEXT if mobile else BY_LETTER
    if chosen == TEXT:
        if mobile:
            return BY_TEXT
        return BY_EMAIL if email else BY_CALL if phone else BY_LETTER
    if email:
        return BY_EMAIL
    return BY_TEXT if mobile else BY_CALL if phone else BY_LETTER


def _why(person, route: str) -> str:
    chosen = preference(person)
    if route == BY_CALL and chosen == PHONE:
        return "Prefers a phone call"
    if route == BY_LETTER and chosen == LETTER:
        return "Prefers a letter"
    if route == BY_CALL:
        return "No email address or mobile number: phone them"
    return "No email address or phone number: write to them"


def add_to_call_list(person, message: Message, *, reason: str, method: str = TASK_PHONE) -> ContactTask:
    """A line on the staff call list for ``message`` (flushes)."""
    task = ContactTask(
        user_id=person.id, kind=message.kind, method=method, reason=reason[:300],
        message=message.call, useless_after=message.expires_at,
        booking_id=getattr(message.booking, "id", None),
        session_id=getattr(message.session, "id", None) or getattr(
            getattr(message.booking, "session", None), "id", None),
    )
    db.session.add(task)
    db.session.flush()
    return task


def close_call_lines(booking_or_bookings, kinds=None, *, note: str,
                     now: datetime | None = None) -> int:
    """Close the open call-list lines about these bookings (only those of ``kinds``, a
    message kind or several, if given): the situation changed, so staff must not phone
    about it any more. Each is closed as "No longer needed" with ``note`` saying why ("The
    place was accepted"). Called by the operation that changed things, in its transaction,
    before anything new is said to the person. Returns how many were closed (flushes)."""
    from sqlalchemy import update

    from rec_portal.models.contact import NOT_NEEDED
    from rec_portal.timeutil import utcnow

    bookings = (booking_or_bookings if isinstance(booking_or_bookings, (list, tuple, set))
                else [booking_or_bookings])
    ids = [getattr(b, "id", b) for b in bookings]
    if not ids:
        return 0
    now = now or utcnow()
    query = update(ContactTask).where(ContactTask.booking_id.in_(ids),
                                      ContactTask.closed_at.is_(None))
    if kinds is not None:
        kinds = [kinds] if isinstance(kinds, str) else list(kinds)
        query = query.where(ContactTask.kind.in_(kinds))
    closed = db.session.execute(
        query.values(closed_at=now, outcome=NOT_NEEDED, outcome_note=note[:500], outcome_at=now)
        .execution_options(synchronize_session="fetch")
    ).rowcount
    db.session.flush()
    return closed


def tell(person, message: Message, *, call_list: bool = True) -> str | None:
    """Send ``message`` to ``person`` by their preference (see the module's docstring).
    Returns the route taken (BY_EMAIL, BY_TEXT, BY_CALL, BY_LETTER) or None.
    ``call_list=False``: a message staff will act on anyway (an acknowledgement of a
    request that is already on their own list) is not made a call-list line; None is
    returned for a person it would have gone to the call list for."""
    from rec_portal.notifications.outbox import queue_email, queue_text

    route = route_for(person)
    if not call_list and route in (BY_CALL, BY_LETTER):
        return None
    queued = None
    if route == BY_EMAIL:
        queued = queue_email(to=person.email, user=person, subject=message.subject,
                             body=message.email_body, attachment=message.attachment,
                             expires_at=message.expires_at)
    elif route == BY_TEXT:
        queued = queue_text(to=mobile_number(_phone(person)), user=person, body=message.text,
                            expires_at=message.expires_at)
    elif route in (BY_CALL, BY_LETTER):
        add_to_call_list(person, message, reason=_why(person, route),
                         method=TASK_PHONE if route == BY_CALL else TASK_LETTER)
    if queued is not None and message.send_after is not None:
        queued.next_attempt_at = message.send_after
    return route
