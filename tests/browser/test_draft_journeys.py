"""Editing a learning goal when the session has timed out (issue 14), with JavaScript on
(the goal's form opens in place, htmx) and off: the edited text is kept, and is back in
that goal's form after signing in again. If it cannot be kept (the session was ended
another way), the person is shown what they typed to copy. Every page is screenshotted
and scanned with axe-core (``Visitor.check``)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from rec_portal.extensions import db
from rec_portal.models import UserSession
from rec_portal.plans import operations as plan_ops
from rec_portal.timeutil import utcnow
from tests import factories
from tests.browser.conftest import heading, sign_in

pytestmark = pytest.mark.browser

EDITED = "Walk to the park and back, twice a week, with Sam"


def _student_with_goal(live_server) -> tuple[str, int]:
    with live_server.app.app_context():
        user = factories.make_user(preferred_name="Robin")
        db.session.flush()
        goal = plan_ops.add_goal(user, text="Walk to the park", steps="", target_date=None)
        db.session.commit()
        return user.email, goal.id


def _open_goal_form(visitor, email: str) -> None:
    page = visitor.page
    visitor.visit("/login?next=/my/plan")
    sign_in(visitor, email, factories.PASSWORD)
    edit = page.get_by_role("link", name=re.compile(r"^Change goal 1")).first
    if visitor.js:
        edit.click()  # the form opens in place
    else:
        with page.expect_navigation():
            edit.click()
    expect(page.get_by_label("My goal", exact=True)).to_have_value("Walk to the park")
    visitor.check()


def _end_session(live_server, reason: str | None) -> None:
    with live_server.app.app_context():
        if reason is None:  # idle for longer than the timeout
            idle = live_server.app.config["REC_IDLE_TIMEOUT"]
            db.session.execute(update(UserSession).values(last_seen_at=utcnow() - idle - timedelta(minutes=1)))
        else:
            db.session.execute(update(UserSession).where(UserSession.ended_at.is_(None))
                               .values(ended_at=utcnow(), ended_reason=reason))
        db.session.commit()


def test_a_goal_edited_after_a_timeout_is_back_in_its_form_after_signing_in(visitor, live_server):
    email, goal_id = _student_with_goal(live_server)
    page = visitor.page
    _open_goal_form(visitor, email)
    _end_session(live_server, None)
    page.get_by_label("My goal", exact=True).fill(EDITED)
    visitor.submit("Save goal")
    expect(heading(visitor)).to_have_text("Sign in")
    expect(page.get_by_text("We have kept what you typed")).to_be_visible()
    sign_in(visitor, email, factories.PASSWORD)
    assert page.url.endswith(f"/my/plan/goals/{goal_id}/edit")
    expect(page.get_by_text("We kept what you typed before you were signed out")).to_be_visible()
    expect(page.get_by_label("My goal", exact=True)).to_have_value(EDITED)
    visitor.submit("Save goal")
    expect(page.get_by_role("heading", name=EDITED)).to_be_visible()


def test_a_goal_edit_that_cannot_be_kept_is_shown_to_copy(visitor, live_server):
    email, _goal_id = _student_with_goal(live_server)
    page = visitor.page
    _open_goal_form(visitor, email)
    _end_session(live_server, "password changed")  # signed out another way: nobody to keep it for
    page.get_by_label("My goal", exact=True).fill(EDITED)
    if visitor.js:
        page.get_by_role("button", name="Save goal").click()
        expect(heading(visitor)).to_have_text("Your session has ended")
        visitor.check()
    else:
        visitor.submit("Save goal")
    expect(heading(visitor)).to_have_text("Your session has ended")
    expect(page.get_by_label("My goal", exact=True)).to_have_value(EDITED)
    expect(page.get_by_label("My goal", exact=True)).to_have_attribute("readonly", "")
    visitor.click_link("Sign in again")
    expect(heading(visitor)).to_have_text("Sign in")
