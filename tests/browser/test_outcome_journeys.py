"""The outcome questionnaire through the real UI, with JavaScript on and off: a student
answers with some questions skipped (the follow-up questions are shown under "If you
answered yes"), sees their answers and deletes them; an admin
opens the report and filters it. Every page landed on is screenshotted and scanned with
axe-core."""

from __future__ import annotations

from datetime import datetime

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from rec_portal.extensions import db
from rec_portal.models import OutcomeCheck
from rec_portal.outcomes.queries import Quarter
from rec_portal.timeutil import format_uk, uk_to_utc, utcnow
from tests import factories
from tests.browser.conftest import heading, sign_in_quietly

pytestmark = pytest.mark.browser


def _checks(live_server):
    with live_server.app.app_context():
        return [(c.victim, c.times, [t.crime_type for t in c.crime_types], c.reported, c.got_support)
                for c in db.session.execute(select(OutcomeCheck)).scalars()]


def _answer(visitor) -> None:
    """The "Answer the questions" button link (an NHS button made from a link)."""
    with visitor.page.expect_navigation():
        visitor.page.get_by_role("button", name="Answer the questions").first.click()
    visitor.check()


def test_a_student_answers_sees_and_deletes_their_answers(visitor, live_server):
    with live_server.app.app_context():
        factories.make_user(email="robin@example.org")
        db.session.commit()
    sign_in_quietly(visitor, "robin@example.org")
    page = visitor.page

    visitor.visit("/my/outcomes")
    expect(heading(visitor)).to_have_text("Your experience of crime")
    expect(page.locator("main")).to_contain_text("You can skip any question")
    _answer(visitor)
    expect(heading(visitor)).to_have_text("Your experience of crime")

    times = page.get_by_label("How many times has this happened in the last 12 months?")
    expect(times).to_be_visible()  # every question is shown, with JavaScript or without
    page.get_by_role("radio", name="Yes").first.check()
    times.fill("2")
    page.get_by_role("checkbox", name="Fraud or a scam").check()
    page.locator("#got_support-2").check()  # "No"; "Did you report it?" is left out
    visitor.submit("Save my answers")

    expect(heading(visitor)).to_have_text("Your experience of crime")
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text("Your answers are saved")
    answers = page.locator("#stage-baseline")
    for shown in ("Fraud or a scam", "Not answered", "2"):
        expect(answers).to_contain_text(shown)
    assert _checks(live_server) == [(True, 2, ["fraud"], None, False)]

    visitor.click_link("Delete my answers (at enrolment)")
    expect(heading(visitor)).to_have_text("Delete your answers")
    visitor.submit("Yes, delete my answers")
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text("are deleted")
    assert _checks(live_server) == []

    # Skipping saves nothing.
    _answer(visitor)
    page.get_by_role("radio", name="No", exact=True).first.check()
    visitor.submit("Skip these questions")
    expect(page.locator("main")).to_contain_text("Nothing was saved")
    assert _checks(live_server) == []


def test_an_admin_opens_and_filters_the_report(visitor, live_server):
    with live_server.app.app_context():
        factories.make_user(roles=("admin",), email="boss@example.org")
        at = uk_to_utc(datetime(2026, 2, 10).date(), datetime.min.time().replace(hour=12))
        for i in range(20):
            factories.make_outcome_check(factories.make_user(), answered_at=at, victim=i < 10, times=2 if i < 3 else 1,
                                         crime_types=["theft"])
        factories.make_outcome_check(factories.make_user(), stage="6_months", answered_at=at, victim=True)
        for _ in range(9):  # this quarter: not shown until it has ended
            factories.make_outcome_check(factories.make_user(), answered_at=utcnow(), victim=True)
        db.session.commit()
    current = Quarter.of(utcnow())
    sign_in_quietly(visitor, "boss@example.org")
    page = visitor.page
    visitor.visit("/admin")
    visitor.click_link("Outcomes: experience of crime")
    expect(page.locator("h1")).to_contain_text("Experience of crime")
    baseline = page.locator("#outcomes-baseline-table")
    expect(baseline).to_contain_text("Jan to Mar 2026")
    expect(baseline).to_contain_text("50%")  # 10 of 20
    expect(baseline).not_to_contain_text(current.label)
    expect(page.locator("#closed-quarters-note")).to_contain_text(
        f"Answers given since {format_uk(current.starts_at(), with_time=False)} will be counted after")
    expect(page.locator("#outcomes-6_months-table")).to_contain_text("not shown")
    expect(page.locator("#victims-chart-baseline")).to_be_visible()
    page.get_by_label("Stage").select_option("6_months")
    visitor.submit("Show figures")
    expect(page.locator("#outcomes-baseline")).to_have_count(0)
    expect(page.locator("#outcomes-6_months-table")).to_contain_text("not shown")


def test_my_courses_leads_to_a_due_follow_up(visitor, live_server):
    """Six months after Staying Safe, My courses says the follow-up questions are ready;
    once they are answered it stops saying so."""
    with live_server.app.app_context():
        sam = factories.make_user(email="sam@example.org")
        factories.make_attended_session([sam], ended_days_ago=200)
        db.session.commit()
    sign_in_quietly(visitor, "sam@example.org")
    page = visitor.page
    visitor.visit("/my/courses")
    prompt = page.locator("#outcomes-prompt")
    expect(prompt).to_contain_text("It is more than 6 months since your Staying Safe course")
    visitor.click_link("Answer the follow-up questions")
    expect(heading(visitor)).to_have_text("Your experience of crime")
    page.get_by_role("radio", name="No", exact=True).first.check()
    visitor.submit("Save my answers")
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text("Your answers are saved")
    assert _checks(live_server) == [(False, None, [], None, None)]
    visitor.visit("/my/courses")
    expect(page.locator("h1")).to_have_text("My courses")
    expect(page.locator("#outcomes-prompt")).to_have_count(0)
