"""Co-delivery through the real UI, with JavaScript on and off (issue 5): an admin fills
the three roles of a Staying Safe session and sees its roster turn complete, a facilitator
takes the register of the last session, and a student who attended downloads the
certificate. Every page landed on is screenshotted and scanned with axe-core."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from rec_portal.extensions import db
from rec_portal.models import (
    Attendance,
    CourseSession,
    RosterAssignment,
)
from tests.browser.conftest import heading, sign_in_quietly
from tests.scenarios import CO_DELIVERY_TEAM, co_delivery_world

pytestmark = pytest.mark.browser


def fill_roster(visitor, session_id: int) -> None:
    page = visitor.page
    visitor.visit("/admin/rosters")
    card = page.locator(f"#roster-session-{session_id}")
    expect(card).to_contain_text("Gaps")
    for role, name in CO_DELIVERY_TEAM.items():
        form = page.locator(f"#roster-session-{session_id} form:has(input[name=role][value={role}])")
        form.locator("select").select_option(label=name)
        if visitor.js:
            form.get_by_role("button", name=re.compile("^Assign")).click()
            expect(page.locator(f"#roster-session-{session_id}")).to_contain_text(name)
            visitor.check()
        else:
            with page.expect_navigation():
                form.get_by_role("button", name=re.compile("^Assign")).click()
            visitor.check()
            expect(page.locator(f"#roster-session-{session_id}")).to_contain_text(name)
    expect(page.locator(f"#roster-status-{session_id}")).to_contain_text("Complete")
    expect(page.locator(f"#roster-status-{session_id}")).not_to_contain_text("Gaps")


def take_register(visitor, data: dict) -> None:
    page = visitor.page
    visitor.visit("/facilitate")
    expect(heading(visitor)).to_contain_text("facilitate")
    with page.expect_navigation():
        page.locator(f"a[href$='/facilitate/sessions/{data['past']}/dates/{data['date']}/register']").first.click()
    visitor.check()
    robin, kim = data["bookings"]["Robin"], data["bookings"]["Kim"]
    page.locator(f"label[for=booking-{robin}-present]").click()
    page.locator(f"label[for=booking-{kim}-absent]").click()
    if visitor.js:
        expect(page.locator("#register-count")).to_contain_text("Everyone is marked", timeout=10_000)
        visitor.check()
    else:
        visitor.submit("Save the register")
    expect(page.locator("#register-count")).to_contain_text("This session is completed")


def download_certificate(visitor, booking_id: int) -> str:
    page = visitor.page
    visitor.visit("/my/courses")
    expect(page.locator(f"#attendance-{booking_id}")).to_contain_text("Attended")
    with page.expect_download() as download:
        page.locator(f"#certificate-{booking_id}").click()
    path = Path(download.value.path())
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True).stdout.decode()
    return " ".join(text.split())  # names may wrap onto the next line


def test_roster_register_and_certificate(visitor, live_server):
    if not shutil.which("pdftotext"):
        pytest.fail("pdftotext (poppler-utils) is needed to read the certificate")
    data = co_delivery_world(live_server.app)

    sign_in_quietly(visitor, "boss@example.org")
    fill_roster(visitor, data["upcoming"])

    sign_in_quietly(visitor, "pat@example.org")
    take_register(visitor, data)

    sign_in_quietly(visitor, "robin@example.org")
    text = download_certificate(visitor, data["bookings"]["Robin"])
    for shown in ("Certificate of attendance", "Robin Ashdown", "Staying Safe", "Recovery Education Centre",
                  "Pat Constable", "Sue Carewell", "Pete Peerson"):
        assert shown in text, shown

    with live_server.app.app_context():
        roster = db.session.execute(select(RosterAssignment.role).where(
            RosterAssignment.session_id == data["upcoming"])).scalars().all()
        assert sorted(roster) == sorted(CO_DELIVERY_TEAM)
        marks = {a.booking_id: a.status for a in db.session.execute(select(Attendance)).scalars()}
        assert marks == {data["bookings"]["Robin"]: "present", data["bookings"]["Kim"]: "absent"}
        assert db.session.get(CourseSession, data["past"]).status == "completed"
