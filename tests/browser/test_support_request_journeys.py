"""Issue 17, parts 3 and 4 through the real UI, with JavaScript on and off: a student asks
for help from their safety plan and a support lead reads it, adds a note and closes it; a
facilitator's concern reaches the support lead, and an admin without the role cannot see
it. Every page landed on is screenshotted and scanned with axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from rec_portal.extensions import db
from rec_portal.models import SupportRequest
from tests import factories
from tests.browser.conftest import heading, sign_in_quietly

pytestmark = pytest.mark.browser


def _switch_to(visitor, email: str) -> None:
    visitor.context.clear_cookies()
    sign_in_quietly(visitor, email)


def test_a_student_asks_for_help_and_a_support_lead_closes_it(visitor, live_server):
    with live_server.app.app_context():
        student = factories.make_user(full_name="Robin Ash")
        factories.make_student_profile(student, phone="07700 900456", contact_preference="phone")
        lead = factories.make_user(roles=("support_lead",))
        db.session.commit()
        student_email, lead_email = student.email, lead.email
    page = visitor.page
    sign_in_quietly(visitor, student_email)
    visitor.visit("/my/safety-plan")
    visitor.click_link("I would like someone from the REC to contact me")
    expect(heading(visitor)).to_have_text("Ask someone from the REC to contact you")
    expect(page.locator("#contact_detail")).to_have_value("07700 900456")
    page.locator("#safe_times").fill("Weekdays after 2pm")
    page.locator("label[for=may_leave_message-2]").click()  # no
    page.locator("#details").fill("Something happened on the bus.")
    visitor.submit("Ask to be contacted")
    expect(heading(visitor)).to_have_text("We have your request")
    expect(page.locator("#danger-now")).to_contain_text("116 123")

    _switch_to(visitor, lead_email)
    visitor.visit("/support-requests")
    with live_server.app.app_context():
        request_id = db.session.execute(select(SupportRequest.id)).scalar_one()
    with page.expect_navigation():
        page.locator(f"#support-request-row-{request_id} a").click()
    visitor.check()
    answers = page.locator("#request-answers")
    expect(answers).to_contain_text("Phone call: 07700 900456")
    expect(answers).to_contain_text("Weekdays after 2pm")
    expect(answers).to_contain_text("Safety plan")
    expect(answers).to_contain_text("Something happened on the bus.")
    page.locator("#body").fill("Spoke to Robin; put in touch with Victim Support.")
    page.locator("#status_to").select_option("closed")
    if visitor.js:
        page.locator("#add-note").click()
        expect(page.locator("#request-progress")).to_contain_text("The request is now closed.")
        visitor.check()
    else:
        visitor.submit("Add the note")
    expect(page.locator("#request-status")).to_contain_text("Closed")
    expect(page.locator("#request-progress")).to_contain_text("Victim Support")
    with live_server.app.app_context():
        assert db.session.get(SupportRequest, request_id).status == "closed"


def test_a_facilitators_concern_reaches_the_support_lead_and_nobody_else(visitor, live_server):
    with live_server.app.app_context():
        session = factories.make_session()
        student = factories.make_user(full_name="Kit Lowe")
        factories.make_booking(session, student)
        facilitator = factories.make_user(roles=("facilitator",))
        factories.add_to_roster(session, facilitator)
        lead = factories.make_user(roles=("support_lead",))
        admin = factories.make_user(roles=("admin",))
        db.session.commit()
        session_id, emails = session.id, (facilitator.email, lead.email, admin.email)
    page = visitor.page
    sign_in_quietly(visitor, emails[0])
    visitor.visit(f"/facilitate/sessions/{session_id}/reflection")
    section = page.locator("#concern-section")
    expect(section).to_contain_text("I am worried about someone’s safety")
    page.locator("#person_id").select_option(label="Kit Lowe")
    page.locator("#details").fill("Kit said someone is pressuring them for money.")
    if visitor.js:
        page.locator("#send-concern").click()
        expect(page.locator("#concern-sent")).to_contain_text("gone to the REC’s support lead")
        visitor.check()
    else:
        visitor.submit("Send this concern to the support lead")
        expect(page.locator("#concern-sent")).to_contain_text("gone to the REC’s support lead")

    _switch_to(visitor, emails[2])  # an admin without the support lead role
    response = visitor.visit("/support-requests")
    assert response.status == 403
    expect(page.locator("main")).not_to_contain_text("Kit Lowe")

    _switch_to(visitor, emails[1])
    visitor.visit("/support-requests")
    row = page.locator("#support-requests")
    expect(row).to_contain_text("Kit Lowe")
    expect(row).to_contain_text("Facilitator's concern")
