"""Issue 14 in a real browser, JavaScript on and off, every page scanned with axe: staff
see that emails are not going out and which emails need attention, and send one again;
a person whose address was refused is told on My account."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from rec_portal.extensions import db
from rec_portal.models import OutboxMessage
from rec_portal.models.outbox import FAILED, PENDING, UNCONFIRMED
from rec_portal.notifications.outbox import queue_email
from rec_portal.timeutil import utcnow
from tests import factories
from tests.browser.conftest import banner, sign_in

pytestmark = pytest.mark.browser


def _outbox_in_every_state(app) -> int:
    """A refused email to Jo, one whose answer never came, and one stuck for 2 hours."""
    with app.app_context():
        factories.make_user(roles=("admin",), email="staff.outbox@example.org")
        jo = factories.make_user(email="jo.refused@example.org", preferred_name="Jo")
        kim = factories.make_user(email="kim.unconfirmed@example.org")
        refused = queue_email(to=jo.email, user=jo, subject="Recovery Education Centre session: reminder",
                              body="See you on Monday")
        unconfirmed = queue_email(to=kim.email, user=kim, subject="Recovery Education Centre session: a place is yours",
                                  body="A place is yours")
        stuck = queue_email(to="sam.waiting@example.org", subject="Welcome", body="Welcome")
        db.session.flush()
        two_hours_ago = utcnow() - timedelta(hours=2)
        refused.status, refused.attempts, refused.refused_at = FAILED, 1, two_hours_ago
        refused.last_error = "The mail server refused this address: 550 5.1.1 No such user"
        unconfirmed.status, unconfirmed.attempts = UNCONFIRMED, 1
        unconfirmed.last_error = "The whole message reached the mail server but its answer never came."
        stuck.status, stuck.next_attempt_at = PENDING, two_hours_ago
        stuck.last_error = "ConnectionRefusedError: [Errno 111] Connection refused"
        db.session.commit()
        return refused.id


def test_staff_see_what_needs_attention_and_send_an_email_again(visitor, live_server):
    refused_id = _outbox_in_every_state(live_server.app)
    page = visitor.page
    visitor.visit("/login")
    sign_in(visitor, "staff.outbox@example.org", factories.PASSWORD)

    visitor.visit("/admin")
    expect(page.get_by_text("Emails are not going out", exact=False).first).to_be_visible()
    expect(page.get_by_text("Connection refused", exact=False).first).to_be_visible()

    visitor.visit("/admin/outbox")
    expect(page.get_by_role("heading", name="Needs attention (2)")).to_be_visible()
    expect(page.get_by_text("550 5.1.1 No such user", exact=False).first).to_be_visible()

    visitor.visit(f"/admin/outbox/{refused_id}")
    expect(page.get_by_text("jo.refused@example.org", exact=False).first).to_be_visible()
    visitor.submit("Send again")
    expect(banner(visitor)).to_contain_text("will be sent again")
    with live_server.app.app_context():
        message = db.session.get(OutboxMessage, refused_id)
        assert message.status == PENDING and message.attempts == 0


def test_a_person_whose_address_was_refused_is_told_on_my_account(visitor, live_server):
    _outbox_in_every_state(live_server.app)
    page = visitor.page
    visitor.visit("/login")
    sign_in(visitor, "jo.refused@example.org", factories.PASSWORD)
    for path in ("/my/account", "/my/courses"):
        visitor.visit(path)
        warning = page.get_by_text("emails to jo.refused@example.org have not reached you", exact=False)
        expect(warning).to_be_visible()
        if path == "/my/account":
            expect(page.get_by_role("link", name="change your email address")).to_be_visible()
