"""Feedback scenarios shared by the feedback test modules: a student who attended a
completed session (with a facilitator on its roster and the question bank), the dashboard's
question bank, and reading pages as a person would."""

from __future__ import annotations

import html as htmllib
import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from rec_portal.extensions import db
from tests import factories
from tests.conftest import Browserless


@dataclass
class Setup:
    session_id: int
    booking_id: int
    student: factories.Ref
    facilitator: factories.Ref
    q: dict[str, int]
    title: str = "Staying Safe"


def attended(app, *, marks=("present",), status="completed", dates=1, invited=True, title="Staying Safe") -> Setup:
    """A past session with a student who had a confirmed place (marked ``marks``), a
    facilitator on its roster, and the questions."""
    with app.app_context():
        session = factories.make_past_session(title, dates=dates, status=status)
        if status == "completed":
            session.completed_at = session.ends_at + timedelta(minutes=20)
        student = factories.make_user(full_name="Alex Example")
        booking = factories.make_booking(session, student)
        factories.mark_attendance(booking, session, list(marks))
        fac = factories.make_user(roles=("facilitator",))
        factories.add_to_roster(session, fac, "peer_specialist")
        q = factories.make_feedback_questions(session.course_id)
        if invited and status == "completed":
            from rec_portal.feedback.operations import invite_for_session

            invite_for_session(session)
        db.session.commit()
        return Setup(session.id, booking.id, factories.Ref(student.id, student.email),
                     factories.Ref(fac.id, fac.email), q, title)


def html_of(response) -> str:
    return response.get_data(as_text=True)


def url(s: Setup) -> str:
    return f"/my/courses/{s.booking_id}/feedback"


def reflection_url(s: Setup) -> str:
    return f"/facilitate/sessions/{s.session_id}/reflection"


def answers(s: Setup, **values) -> dict:
    return {f"q-{s.q[key]}": value for key, value in values.items()}


def count(app, model) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def as_person(app, email) -> tuple:
    client = app.test_client()
    web = Browserless(client)
    web.login(email)
    return client, web


# --- The dashboard's bank and pages ------------------------------------------------------------

@dataclass
class Bank:
    rating: int
    agree: int
    yes: int
    change: int
    helpful: int
    reflection: int


def question(kind: str, text: str, position: int, audience: str = "student"):
    return factories.make_feedback_question(text, kind=kind, audience=audience, position=position)


def question_bank() -> Bank:
    return Bank(
        rating=question("rating", "Overall, how would you rate the course?", 1).id,
        agree=question("agreement", "The course met my expectations.", 2).id,
        yes=question("yes_no", "Would you recommend the course?", 3).id,
        change=question("text", "What would you change?", 4).id,
        helpful=question("text", "What was most helpful?", 5).id,
        reflection=question("text", "What worked well?", 1, audience="facilitator").id,
    )


def page(client, url, status=200, **kwargs) -> str:
    response = client.get(url, **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)[:3000]
    return response.get_data(as_text=True)


def words(html: str) -> str:
    """The page as words, without tags (for checking what a person reads)."""
    words = " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", html)).split())
    return re.sub(r" ([,.])", r"\1", words)
