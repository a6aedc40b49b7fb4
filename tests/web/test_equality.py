"""Equality monitoring (issue 17 part 6): optional answers to the NHS equality questions,
"prefer not to say" on each, removable at any time, offered after enrolment with a skip;
counted by group in the term report with small numbers held back, never shown per person
and never to facilitators or tutors."""

from __future__ import annotations

from sqlalchemy import select

from rec_portal.extensions import db
from rec_portal.models import AuditEvent
from rec_portal.models.equality import EqualityAnswers
from tests import factories


def _row(app, uid):
    with app.app_context():
        row = db.session.get(EqualityAnswers, uid)
        return None if row is None else {c: getattr(row, c) for c in ("age_band", "sex", "ethnicity", "religion")}


def test_answering_some_questions_and_preferring_not_to_say(app, client, web, login_as):
    me = login_as("student")
    page = client.get("/my/account/equality").get_data(as_text=True)
    assert "Equality questions" in page and "Nobody sees your answers" in page
    assert page.count('value="prefer_not"') == 7 and "Prefer not to say" in page
    assert "Remove my answers" not in page  # nothing to remove yet
    response = web.submit("/my/account/equality", {"age_band": "25_34", "religion": "prefer_not"})
    assert response.headers["Location"] == "/my/account/equality"
    assert _row(app, me.id) == {"age_band": "25_34", "sex": "", "ethnicity": "", "religion": "prefer_not"}
    page = client.get("/my/account/equality").get_data(as_text=True)
    assert "Your answers are saved" in page and 'value="25_34" checked' in page
    assert 'value="prefer_not" checked' in page and "Remove my answers" in page
