"""An individual workshop from request to certificate through the real UI, with
JavaScript on and off: a student asks from the course page, an admin adds a note and
arranges it with the three facilitators, the day passes, a facilitator takes the register,
and the student downloads the certificate and sees the feedback link. Every page landed on
is screenshotted and scanned with axe-core."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from rec_portal.extensions import db
from rec_portal.models import Booking, CourseSession, WorkshopRequest
from rec_portal.timeutil import to_uk, utcnow
from tests.browser.conftest import heading, sign_in_quietly
from tests.scenarios import CO_DELIVERY_TEAM, co_delivery_world

pytestmark = pytest.mark.browser


def ask(visitor) -> None:
    page = visitor.page
    visitor.visit("/courses/staying-safe")
    with page.expect_navigation():
        page.locator("#ask-individual-workshop").click()
    visitor.check()
    expect(heading(visitor)).to_contain_text("Ask for an individual workshop")
    page.locator("#why_not_group").fill("Groups make me anxious.")
    page.locator("#what_would_help").fill("A quiet room.")
    page.locator("#availability").fill("Weekday mornings.")
    page.locator("label[for=contact_method-2]").click()  # phone call
    page.locator("#contact_detail").fill("07700 900123")
    visitor.submit("Send my request")
    expect(heading(visitor)).to_contain_text("We have your request")


def arrange(visitor, request_id: int) -> None:
    page = visitor.page
    visitor.visit("/admin/workshops")
    with page.expect_navigation():
        page.locator(f"#request-row-{request_id} a").click()
    visitor.check()
    expect(page.locator("#request-answers")).to_contain_text("Groups make me anxious.")
    page.locator("#text").fill("Rang Robin: a morning next week suits.")
    if visitor.js:
        page.locator("#add-note").click()
        expect(page.locator("#request-notes")).to_contain_text("Note added.")
        visitor.check()
    else:
        visitor.submit("Add the note")
    expect(page.locator("#request-notes")).to_contain_text("Rang Robin")
    with page.expect_navigation():
        page.locator("#arrange").click()
    visitor.check()
    day = to_uk(utcnow() + timedelta(days=7)).date()
    page.locator("#day").fill(str(day.day))
    page.locator("#day-month").fill(str(day.month))
    page.locator("#day-year").fill(str(day.year))
    page.locator("#start").fill("10:00")
    page.locator("#end").fill("12:00")
    page.locator("#venue").fill("Recovery Education Centre, Quiet room")
    for role, name in CO_DELIVERY_TEAM.items():
        page.locator(f"#role_{role}_1").select_option(label=name)
    visitor.submit("Arrange the workshop")
    expect(page.locator("#request-status")).to_contain_text("Arranged")
    expect(page.locator("#roster-state")).to_contain_text("Complete")


def take_register(visitor, session_id: int, date_id: int, booking_id: int) -> None:
    page = visitor.page
    visitor.visit("/facilitate")
    with page.expect_navigation():
        page.locator(f"a[href$='/facilitate/sessions/{session_id}/dates/{date_id}/register']").first.click()
    visitor.check()
    page.locator(f"label[for=booking-{booking_id}-present]").click()
    if visitor.js:
        expect(page.locator("#register-count")).to_contain_text("Everyone is marked", timeout=10_000)
        visitor.check()
    else:
        visitor.submit("Save the register")
    expect(page.locator("#register-count")).to_contain_text("This session is completed")


def test_a_workshop_from_request_to_certificate(visitor, live_server):
    if not shutil.which("pdftotext"):
        pytest.fail("pdftotext (poppler-utils) is needed to read the certificate")
    co_delivery_world(live_server.app)

    sign_in_quietly(visitor, "robin@example.org")
    ask(visitor)
    with live_server.app.app_context():
        request_id = db.session.execute(select(WorkshopRequest.id)).scalar_one()

    sign_in_quietly(visitor, "boss@example.org")
    arrange(visitor, request_id)

    # The week passes: the workshop took place yesterday.
    with live_server.app.app_context():
        req = db.session.get(WorkshopRequest, request_id)
        session = req.session
        shift = session.starts_at - (utcnow() - timedelta(days=1)).replace(microsecond=0)
        for d in session.dates:
            d.starts_at, d.ends_at = d.starts_at - shift, d.ends_at - shift
        session.starts_at, session.ends_at = session.starts_at - shift, session.ends_at - shift
        session.booking_closes_at = session.starts_at - timedelta(days=1)
        booking = db.session.execute(select(Booking).where(Booking.session_id == session.id)).scalar_one()
        ids = (session.id, session.dates[0].id, booking.id)
        db.session.commit()

    sign_in_quietly(visitor, "pat@example.org")
    take_register(visitor, *ids)

    sign_in_quietly(visitor, "robin@example.org")
    page = visitor.page
    visitor.visit("/my/courses")
    card = page.locator(f"#individual-{ids[2]}")
    expect(card).to_contain_text("Individual workshop")
    expect(page.locator(f"#attendance-{ids[2]}")).to_contain_text("Attended")
    expect(page.get_by_role("link", name=re.compile("feedback", re.I)).first).to_be_visible()
    with page.expect_download() as download:
        page.locator(f"#certificate-{ids[2]}").click()
    text = " ".join(subprocess.run(["pdftotext", str(Path(download.value.path())), "-"], capture_output=True,
                                   check=True).stdout.decode().split())
    for shown in ("Certificate of attendance", "Robin Ashdown", "Staying Safe", "Pat Constable"):
        assert shown in text, shown

    with live_server.app.app_context():
        req = db.session.get(WorkshopRequest, request_id)
        assert req.status == "completed"
        assert db.session.get(CourseSession, ids[0]).individual

    # The feedback form, like any session's, but never anonymous: there was one student.
    with live_server.app.app_context():
        from rec_portal.feedback.bank import ensure_default_questions

        ensure_default_questions()  # (each browser test starts from an empty database)
        db.session.commit()
    visitor.visit(f"/my/courses/{ids[2]}/feedback")
    expect(page.get_by_text("This was a one-to-one workshop")).to_be_visible()
    expect(page.get_by_label("Answer anonymously")).to_have_count(0)
