"""A referral from a professional to an enrolled student, through the real UI with
JavaScript on (the forms' htmx enhancement): a police mental health co-ordinator refers
someone (one mistake first: the agreement box), then an admin finds the referral in the
queue, records a first call, creates the person's record from it, and the referral is
enrolled. Every page landed on is screenshotted and scanned with axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from rec_portal.extensions import db
from rec_portal.models import Referral, User
from tests import factories
from tests.browser.conftest import Visitor, close_context, heading, new_context, new_page, sign_in_quietly

pytestmark = pytest.mark.browser


def test_a_professional_refers_someone_and_an_admin_enrols_them(browser, live_server):
    with live_server.app.app_context():
        factories.make_user(roles=("admin",), email="boss@example.org", full_name="Bea Admin")
        db.session.commit()
    context = new_context(browser, js=True)
    visitor = Visitor(page=new_page(context), context=context, js=True, base_url=live_server.url,
                      name="test_a_professional_refers_someone_and_an_admin_enrols_them")
    page = visitor.page
    try:
        visitor.visit("/")
        visitor.click_link("refer them to the REC")
        expect(heading(visitor)).to_have_text("Refer someone to the Recovery Education Centre")
        page.locator("#referrer_name").fill("Casey Officer")
        page.locator("#referrer_organisation").fill("Anyshire Police")
        page.get_by_label("Police (for example a mental health co-ordinator)").check()
        page.locator("#referrer_role").fill("Mental health co-ordinator")
        page.locator("#referrer_email").fill("casey.officer@example.org")
        page.locator("#person_name").fill("Jordan Reeve")
        page.locator("#person_phone").fill("07700 900456")
        page.get_by_label("Phone call").check()
        page.locator("#contact_notes").fill("Only after 2pm.")
        page.locator("#reason").fill("Would like to feel safer at home.")
        page.locator("#send-referral").click()  # htmx: the form comes back with the problem
        expect(page.locator(".nhsuk-error-summary")).to_contain_text("Confirm that the person agreed")
        expect(page.locator("#person_name")).to_have_value("Jordan Reeve")
        # The form with its problems rightly answers 400 (htmx swaps it in all the same).
        visitor.js_errors[:] = [e for e in visitor.js_errors if e != f"400 for xhr {live_server.url}/refer"]
        visitor.check()
        page.get_by_label("The person agreed to be referred").check()
        with page.expect_navigation():
            page.locator("#send-referral").click()
        visitor.check()
        expect(heading(visitor)).to_have_text("Referral sent")
        expect(page.locator("#referral-reference")).to_contain_text("REF-")

        sign_in_quietly(visitor, "boss@example.org")
        visitor.visit("/admin/referrals")
        with live_server.app.app_context():
            referral_id = db.session.execute(select(Referral.id)).scalar_one()
        with page.expect_navigation():
            page.locator(f"#referral-row-{referral_id} a").click()
        visitor.check()
        expect(page.locator("#referral-person")).to_contain_text("Only after 2pm.")
        page.get_by_label("Contacted: we spoke to them").check()
        page.locator("#note").fill("Spoke to Jordan: would like to join.")
        page.locator("#save-outcome").click()  # htmx: the notes come back in place
        expect(page.locator("#referral-outcome")).to_contain_text("Saved: the referral is now “Contacted”.")
        visitor.check()

        visitor.click_link("Create their record")
        expect(page.locator("#full_name")).to_have_value("Jordan Reeve")
        page.get_by_label("They agreed to the REC keeping these details and contacting them").check()
        page.get_by_label("By phone").check()
        visitor.submit("Create their record")
        expect(page.locator("#referral-status")).to_contain_text("Enrolled")
        expect(page.locator("#referral-student")).to_contain_text("Jordan Reeve")
        with live_server.app.app_context():
            row = db.session.get(Referral, referral_id)
            assert row.status == "enrolled"
            assert db.session.get(User, row.student_id).full_name == "Jordan Reeve"
            db.session.remove()
    finally:
        close_context(context)
