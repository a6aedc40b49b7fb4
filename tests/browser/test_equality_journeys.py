"""Equality monitoring through the real UI, with JavaScript on and off: a new student is
offered the questions after enrolment, answers some and leaves others out, changes an
answer from My account (saved in place with htmx when JavaScript is on), removes every
answer, and can skip the offer. Every page landed on is screenshotted and scanned with
axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from rec_portal.extensions import db
from rec_portal.models.equality import EqualityAnswers
from tests import factories
from tests.browser.conftest import banner, heading, sign_in_quietly

pytestmark = pytest.mark.browser


def _answers(live_server):
    with live_server.app.app_context():
        db.session.remove()
        return [(a.age_band, a.sex, a.religion, a.ethnicity)
                for a in db.session.execute(select(EqualityAnswers)).scalars()]


def test_a_new_student_answers_some_skips_others_and_later_removes_them(visitor, live_server):
    with live_server.app.app_context():
        factories.make_user(email="nadia@example.org")
        db.session.commit()
    sign_in_quietly(visitor, "nadia@example.org")
    page = visitor.page

    # The offer page that used to follow enrolment (it still answers, and leads home).
    visitor.visit("/my/account/equality/welcome")
    expect(heading(visitor)).to_have_text("Equality questions (optional)")
    expect(page.locator("main")).to_contain_text("Nobody sees your answers")
    page.get_by_role("radio", name="25 to 34").check()
    page.locator("fieldset", has_text="What is your religion or belief?").get_by_role(
        "radio", name="Prefer not to say").check()
    visitor.submit("Save my answers")  # the others are left out
    expect(heading(visitor)).to_contain_text("Hello")  # the home page and its next step
    expect(page.locator("#home-optional-questions")).to_contain_text("A few optional questions")
    expect(banner(visitor)).to_contain_text("Your answers are saved")
    assert _answers(live_server) == [("25_34", "", "prefer_not", "")]

    # Later, from My account: change an answer.
    visitor.visit("/my/account")
    visitor.click_link("Equality questions (optional)")
    expect(heading(visitor)).to_have_text("Equality questions")
    expect(page.get_by_role("radio", name="25 to 34")).to_be_checked()
    page.get_by_role("radio", name="Female").check()
    if visitor.js:  # saved in place: the page stays, the form says so
        page.get_by_role("button", name="Save my answers").click()
        expect(page.locator("#equality-answers [role=status]")).to_contain_text("Your answers are saved")
        visitor.check()
    else:
        visitor.submit("Save my answers")
        expect(banner(visitor)).to_contain_text("Your answers are saved")
    assert _answers(live_server) == [("25_34", "female", "prefer_not", "")]

    visitor.click_link("Remove my answers")
    expect(heading(visitor)).to_have_text("Remove your equality answers")
    visitor.submit("Yes, remove my answers")
    expect(banner(visitor)).to_contain_text("Your answers are removed")
    expect(page.get_by_role("radio", name="25 to 34")).not_to_be_checked()
    assert _answers(live_server) == []

    # The offer can be skipped: nothing is kept, and the next step follows.
    visitor.visit("/my/account/equality/welcome")
    visitor.click_link("Skip these questions")
    expect(heading(visitor)).to_contain_text("Hello")
    assert _answers(live_server) == []
