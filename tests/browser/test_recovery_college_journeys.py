"""Issue 17 "done when", across its parts, through the real UI with JavaScript off (each
part's own journeys run with JavaScript on and off): a professional refers someone, an
admin creates their record from the referral and emails them an invitation, the person
sets up their online account from the link, an admin gives them a personal tutor, the
tutor reviews their plan, and the student sees their tutor and the review on My plan.
Every page landed on is screenshotted and scanned with axe-core."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from rec_portal.extensions import db
from rec_portal.models import OutboxMessage, PlanReview, Referral, Tutorship, User
from tests import factories
from tests.browser.conftest import Visitor, banner, close_context, heading, new_context, new_page, sign_in_quietly

pytestmark = pytest.mark.browser

NEW_PASSWORD = "a long and new passphrase 42"


def test_a_referral_becomes_a_student_with_a_tutor_who_reviews_their_plan(browser, live_server):
    app = live_server.app
    with app.app_context():
        factories.make_user(roles=("admin",), email="boss@example.org", full_name="Bea Admin")
        factories.make_tutor(full_name="Rita Osei", email="rita@example.org")
        db.session.commit()
    context = new_context(browser, js=False)
    name = "test_a_referral_becomes_a_student_with_a_tutor_who_reviews_their_plan"
    visitor = Visitor(page=new_page(context), context=context, js=False, base_url=live_server.url, name=name)
    page = visitor.page
    try:
        # A police mental health co-ordinator refers Jordan, who agreed and prefers email.
        visitor.visit("/refer")
        page.locator("#referrer_name").fill("Casey Officer")
        page.locator("#referrer_organisation").fill("Anyshire Police")
        page.get_by_label("Police (for example a mental health co-ordinator)").check()
        page.locator("#referrer_role").fill("Mental health co-ordinator")
        page.locator("#referrer_email").fill("casey.officer@example.org")
        page.locator("#person_name").fill("Jordan Reeve")
        page.locator("#person_email").fill("jordan@example.org")
        page.locator("#person_phone").fill("07700 900456")
        page.get_by_role("group", name="How would they like", exact=False).get_by_label("Email", exact=True).check()
        page.locator("#reason").fill("Would like to feel safer at home.")
        page.get_by_label("The person agreed to be referred").check()
        visitor.submit("Send the referral")
        expect(heading(visitor)).to_have_text("Referral sent")
        with app.app_context():
            acknowledgement = db.session.execute(
                select(OutboxMessage).where(OutboxMessage.to_address == "casey.officer@example.org")
            ).scalar_one()
            assert "Jordan" not in acknowledgement.body_text + acknowledgement.subject
            referral_id = db.session.execute(select(Referral.id)).scalar_one()

        # An admin creates Jordan's record from the referral and emails an invitation.
        sign_in_quietly(visitor, "boss@example.org")
        visitor.visit(f"/admin/referrals/{referral_id}")
        visitor.click_link("Create their record")
        expect(page.locator("#full_name")).to_have_value("Jordan Reeve")
        expect(page.locator("#email")).to_have_value("jordan@example.org")
        page.get_by_label("They agreed to the REC keeping these details and contacting them").check()
        page.get_by_label("By phone").check()
        page.get_by_label("Email them an invitation to set up an online account").check()
        visitor.submit("Create their record")
        expect(page.locator("#referral-status")).to_contain_text("Enrolled")
        with app.app_context():
            referral = db.session.get(Referral, referral_id)
            student_id = referral.student_id
            invitation = db.session.execute(
                select(OutboxMessage).where(OutboxMessage.to_address == "jordan@example.org")
            ).scalar_one()
            link = re.search(r"https?://\S*/claim-account/\S+", invitation.body_text).group(0)
        context.clear_cookies()

        # Jordan sets up their online account from the link: same record, signed in.
        visitor.visit(link[link.index("/claim-account/"):])
        page.locator("#password").fill(NEW_PASSWORD)
        page.locator("#confirm_password").fill(NEW_PASSWORD)
        page.get_by_label("I have read the privacy notice", exact=False).check()
        visitor.submit("Set up my account")
        expect(banner(visitor)).to_contain_text("Your online account is set up")
        with app.app_context():
            jordan = db.session.get(User, student_id)
            assert jordan.has_online_account and jordan.email == "jordan@example.org"
            factories.make_goal(jordan, "Feel safe walking home")
            db.session.commit()
        context.clear_cookies()

        # An admin gives Jordan a personal tutor.
        sign_in_quietly(visitor, "boss@example.org")
        visitor.visit(f"/admin/people/{student_id}/tutor")
        page.locator("#tutor_id").select_option(label="Rita Osei")
        visitor.submit("Save")
        with app.app_context():
            assert db.session.get(Tutorship, student_id).tutor.full_name == "Rita Osei"
        context.clear_cookies()

        # The tutor finds Jordan on their caseload and reviews the plan.
        sign_in_quietly(visitor, "rita@example.org")
        visitor.visit("/tutor")
        expect(page.locator("#caseload")).to_contain_text("Jordan Reeve")
        visitor.click_link("Jordan Reeve", exact=False)
        expect(page.locator("main")).to_contain_text("Feel safe walking home")
        page.locator("#review-notes").fill("First review: Staying Safe next, then WRAP.")
        visitor.submit("Record review")
        expect(banner(visitor)).to_contain_text("Review recorded")
        context.clear_cookies()

        # Jordan sees their tutor and the review on My plan.
        sign_in_quietly(visitor, "jordan@example.org", password=NEW_PASSWORD)
        visitor.visit("/my/plan")
        expect(page.locator("main")).to_contain_text("Rita Osei")
        expect(page.locator("main")).to_contain_text("First review: Staying Safe next, then WRAP.")
        with app.app_context():
            review = db.session.execute(select(PlanReview)).scalar_one()
            assert (review.user_id, review.reviewer.full_name) == (student_id, "Rita Osei")
            db.session.remove()
    finally:
        close_context(context)
