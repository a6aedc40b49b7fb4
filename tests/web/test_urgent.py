"""Issue 19, part 3: "in danger now" is said one way, the NHS.UK emergency care card
(support/_danger.html), on every page that says it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import factories
from rec_portal.extensions import db

TEMPLATES = Path(__file__).resolve().parents[2] / "rec_portal" / "templates"


def test_only_one_template_says_in_danger_on_a_page():
    """PDFs, emails and texts have their own forms; every page includes the one card."""
    saying = sorted(str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.html")
                    if "in danger" in p.read_text().lower()
                    and p.parts[-2] not in ("documents", "emails", "texts"))
    assert saying == ["support/_danger.html"]


@pytest.mark.parametrize("path", ["/", "/support", "/my/safety-plan", "/my/outcomes", "/my/outcomes/baseline"])
def test_each_page_shows_the_emergency_care_card(app, client, login_as, path):
    if path != "/":
        login_as("student")
    html = client.get(path).get_data(as_text=True)
    assert html.count('id="danger-now"') == 1, path
    assert "nhsuk-card--care--emergency" in html and "Immediate action required" in html
    assert 'href="tel:999"' in html and "press 55" in html


def test_the_feedback_form_shows_it_too(app, client, login_as):
    me = login_as("student")
    with app.app_context():
        done = factories.make_past_session(days_ago=2)
        booking = factories.make_booking(done, me.id)
        factories.mark_attendance(booking, done, ["present"])
        db.session.commit()
        booking_id = booking.id
    html = client.get(f"/my/courses/{booking_id}/feedback").get_data(as_text=True)
    assert "nhsuk-card--care--emergency" in html and html.count('id="danger-now"') == 1
