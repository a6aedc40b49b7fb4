"""Issue 19: each person signs in on the sign-in page, lands on the home page and reaches
their next step from it, on a phone (375 px) and a desktop (1280 px), with JavaScript on
and off; every page is scanned with axe (Visitor.check). On the demo data: the student
reaches their booking, the facilitator their next session's class list, the admin the
roster gaps of the next two weeks."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from rec_portal.demo import DEMO_ADMIN, DEMO_FACILITATOR, DEMO_PASSWORD, DEMO_STUDENT, load_demo_data
from rec_portal.extensions import db
from tests.browser.conftest import banner, heading, sign_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [375, 1280])
def test_each_role_reaches_its_next_step_from_the_home_page(visitor, live_server, width):
    with live_server.app.app_context():
        load_demo_data()
        db.session.commit()
    page = visitor.page
    page.set_viewport_size({"width": width, "height": 900})

    # A student: their next course is the first thing on the page; its link goes to the booking.
    visitor.visit("/login")
    sign_in(visitor, DEMO_STUDENT, DEMO_PASSWORD)
    expect(heading(visitor)).to_contain_text("Hello")
    expect(banner(visitor)).to_contain_text("You are signed in")
    expect(page.locator("#home-next-course")).to_contain_text("Your next course")
    visitor.click_link("See all your courses", exact=False)
    expect(heading(visitor)).to_have_text("My courses")
    visitor.context.clear_cookies()

    # A facilitator (also a student): their next session comes before their own courses,
    # one tap from its class list.
    visitor.visit("/login")
    sign_in(visitor, DEMO_FACILITATOR, DEMO_PASSWORD)
    sections = page.locator("main section h2")
    expect(sections.first).to_have_text("Your sessions")
    card = page.locator("#home-next-session")
    expect(card).to_contain_text("Your next session")
    with page.expect_navigation():
        card.get_by_role("link", name="Class list", exact=False).click()
    visitor.check()
    expect(heading(visitor)).to_contain_text("Class list")
    visitor.context.clear_cookies()

    # REC staff: the to-do list first, each line a link to the work.
    visitor.visit("/login")
    sign_in(visitor, DEMO_ADMIN, DEMO_PASSWORD)
    expect(page.locator("main section h2").first).to_have_text("To do")
    todo = page.locator("#home-todo, #home-todo-nothing")
    expect(todo).to_be_visible()
    gaps = page.locator("#home-todo").get_by_role("link", name="in the next two weeks with a role not covered",
                                                  exact=False)
    if gaps.count():
        with page.expect_navigation():
            gaps.click()
        visitor.check()
        expect(heading(visitor)).to_contain_text("Roster")
        assert "gaps=1" in page.url
    else:
        visitor.click_link("Go to Admin")
        expect(heading(visitor)).to_have_text("Admin")
