"""Personal tutors through the real UI, with JavaScript on and off: an admin assigns a tutor
from the student's page, the tutor opens their caseload and the student's plan and records
a review with the goals, and the student asks for a conversation (arranging it is covered
by tests/web/test_tutoring.py, to keep this file fast). Every page landed on is screenshotted and scanned with axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from rec_portal.extensions import db
from rec_portal.models.plans import LearningGoal, PlanReview
from rec_portal.models.tutoring import PlanConversation
from tests import factories
from tests.browser.conftest import banner, heading, sign_in_quietly

pytestmark = pytest.mark.browser


def test_a_tutor_is_assigned_reviews_the_plan_and_the_student_asks_to_talk(visitor, live_server):
    app = live_server.app
    with app.app_context():
        admin = factories.make_user(roles=("admin",), email="boss@example.org")
        factories.make_tutor(full_name="Rita Osei", email="rita@example.org")
        student = factories.make_user(full_name="Jo Williams", email="jo@example.org")
        goal = factories.make_goal(student, "Take the bus on my own")
        db.session.commit()
        student_id, goal_id, admin_email = student.id, goal.id, admin.email
    page = visitor.page

    # The admin assigns the tutor from the student's page.
    sign_in_quietly(visitor, admin_email)
    visitor.visit(f"/admin/people/{student_id}")
    visitor.click_link("Assign a tutor", exact=False)
    expect(heading(visitor)).to_have_text("Personal tutor")
    page.locator("#tutor_id").select_option(label="Rita Osei")
    visitor.submit("Save")
    expect(banner(visitor)).to_contain_text("Rita Osei is Tester")
    expect(page.locator("#current-tutor")).to_contain_text("Every 3 months")

    # The tutor's caseload, the plan, and a review with the goal.
    sign_in_quietly(visitor, "rita@example.org")
    visitor.visit("/tutor")
    expect(page.locator("#caseload")).to_contain_text("Jo Williams")
    visitor.click_link("Jo Williams", exact=False)
    expect(heading(visitor)).to_have_text("Learning plan")
    expect(page.locator("#goals")).to_be_visible()
    page.locator("#review-notes").fill("We talked about the bus. Going well.")
    page.locator(f"label[for=review-goal_{goal_id}-2]").click()  # In progress
    visitor.submit("Record review")
    expect(banner(visitor)).to_contain_text("Review recorded")
    with app.app_context():
        review = db.session.execute(select(PlanReview)).scalar_one()
        assert review.notes == "We talked about the bus. Going well."
        assert db.session.get(LearningGoal, goal_id).status == "in_progress"

    # The student sees their tutor and asks for a conversation.
    sign_in_quietly(visitor, "jo@example.org")
    visitor.visit("/my/plan")
    expect(page.locator("#my-tutor")).to_contain_text("Your personal tutor is Rita Osei")
    visitor.click_link("Ask for a conversation about my plan")
    page.locator("label[for=way-2]").click()  # phone call
    page.locator("#when_suits").fill("Weekday mornings")
    visitor.submit("Send my request")
    expect(banner(visitor)).to_contain_text("Your request is sent to Rita Osei")
    with app.app_context():
        conversation = db.session.execute(select(PlanConversation)).scalar_one()
        assert (conversation.way, conversation.when_suits) == ("phone", "Weekday mornings")
