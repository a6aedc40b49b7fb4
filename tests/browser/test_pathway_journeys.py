"""A learning pathway from the admin's form to a student's progress, through the real UI, with
JavaScript on and off: an admin makes "Keeping safe" (a mistake first, shown the NHS way),
adds three courses and publishes it; a student who came to the first course finds it from
the courses page and sees "1 of 3 courses done; next: Staying Safe" on the pathways page
and on My courses. Every page landed on is screenshotted and scanned with axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from rec_portal.extensions import db
from tests import factories
from tests.browser.conftest import banner, heading, sign_in_quietly

pytestmark = pytest.mark.browser

COURSES = ("Introduction to Recovery", "Staying Safe", "WRAP")


def _world(live_server) -> tuple[str, str]:
    with live_server.app.app_context():
        courses = [factories.make_course(title=t, slug=t.lower().replace(" ", "-")) for t in COURSES]
        factories.make_course(title="Not ready yet", status="draft")
        student = factories.make_user()
        factories.complete_course(student, courses[0], days_ago=20)
        admin = factories.make_user(roles=("admin", "student"))
        db.session.commit()
        emails = admin.email, student.email
        db.session.remove()
    return emails


def _add_course(visitor, title: str) -> None:
    page = visitor.page
    page.get_by_label("Add a course").select_option(label=title)
    if visitor.js:  # htmx swaps the courses section in place
        page.get_by_role("button", name="Add the course").click()
        expect(page.locator("#pathway-courses [role=status]")).to_contain_text(f"“{title}” has been added")
    else:
        visitor.submit("Add the course")
        expect(banner(visitor)).to_contain_text(f"“{title}” has been added")


def test_an_admin_makes_a_pathway_and_a_student_sees_their_progress(visitor, live_server):
    admin_email, student_email = _world(live_server)
    page = visitor.page
    sign_in_quietly(visitor, admin_email)

    visitor.visit("/admin/pathways")
    expect(heading(visitor)).to_have_text("Learning pathways")
    with page.expect_navigation():
        page.get_by_role("button", name="Add a pathway").click()  # a link drawn as a button
    visitor.check()
    page.get_by_label("Title").fill("Keeping safe")
    page.get_by_label("All of these, in this order").check()
    visitor.submit("Save pathway")
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Enter a summary")
    expect(page.get_by_label("Title")).to_have_value("Keeping safe")  # the answer is kept
    page.get_by_label("Summary").fill("Three courses about staying safe, best taken in order.")
    visitor.submit("Save pathway")
    expect(heading(visitor)).to_have_text("Keeping safe")
    expect(page.get_by_label("Add a course")).not_to_contain_text("Not ready yet")  # only published courses

    for title in COURSES:
        _add_course(visitor, title)
    visitor.check()
    expect(page.locator("#pathway-courses ol > li")).to_have_count(3)
    visitor.submit("Publish")
    expect(banner(visitor)).to_contain_text("is published")

    visitor.context.clear_cookies()
    sign_in_quietly(visitor, student_email)
    visitor.visit("/courses")
    visitor.click_link("Learning pathways", exact=False)
    expect(heading(visitor)).to_have_text("Learning pathways")
    section = page.locator("#keeping-safe")
    expect(section).to_contain_text("1 of 3 courses done")
    expect(section).to_contain_text("Next: Staying Safe.")
    visitor.visit("/my/courses")
    card = page.locator("#my-pathways")
    expect(card).to_contain_text("Keeping safe")
    expect(card).to_contain_text("1 of 3 courses done")
    expect(card).to_contain_text("Next: Staying Safe.")
