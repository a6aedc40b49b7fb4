import re

import pytest
from sqlalchemy import select

from rec_portal.extensions import db
from rec_portal.models import AuditEvent, User
from rec_portal.notifications.outbox import queue_email
from tests import factories
from tests.conftest import Browserless

ADMIN_PAGES = ["/admin", "/admin/people", "/admin/outbox", "/admin/audit"]


@pytest.mark.parametrize("url", ADMIN_PAGES + ["/admin/people/1", "/admin/people/1/disable"])
def test_signed_out_visitors_are_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/login?next={url}"


@pytest.mark.parametrize("role", ["student", "facilitator"])
@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_other_roles_get_a_403_page_and_it_is_audited(login_as, client, app, role, url):
    login_as(role)
    response = client.get(url)
    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert "You do not have access to this page" in html
    assert "tell the REC team which page you were trying to open" in html
    with app.app_context():
        event = db.session.execute(select(AuditEvent).where(AuditEvent.event == "access.denied")).scalar_one()
        assert event.detail == f"GET {url} (needs admin)"


def test_posts_from_other_roles_are_refused(login_as, web, client, app):
    with app.app_context():
        target = factories.make_user()
        db.session.commit()
        target_id = target.id
    login_as("facilitator")
    response = web.submit(f"/admin/people/{target_id}/roles", {"roles": ["admin"]}, page="/my/account")
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(User, target_id).role_names == {"student"}


def test_admin_pages_open_for_admins(login_as, client):
    login_as("admin")
    assert "People and roles" in client.get("/admin").get_data(as_text=True)
    for url in ADMIN_PAGES:
        assert client.get(url).status_code == 200


def _people(app, n, **kwargs):
    with app.app_context():
        made = [factories.make_user(**kwargs) for _ in range(n)]
        db.session.commit()
        return [m.id for m in made]


def test_search_by_name_or_email_and_role(login_as, client, app):
    login_as("admin", full_name="Alex Admin")
    with app.app_context():
        factories.make_user(full_name="Jo Williams", email="jo.w@example.org")
        factories.make_user(full_name="Sam Patel", email="sam@trust.nhs.example", roles=("facilitator", "student"))
        db.session.commit()
    html = client.get("/admin/people?q=willi").get_data(as_text=True)
    assert "Jo Williams" in html and "Sam Patel" not in html and "1 person found" in html
    html = client.get("/admin/people?q=TRUST.nhs").get_data(as_text=True)
    assert "Sam Patel" in html and "Jo Williams" not in html
    html = client.get("/admin/people?role=facilitator").get_data(as_text=True)
    assert "Sam Patel" in html and "Jo Williams" not in html
    html = client.get("/admin/people?q=zzz").get_data(as_text=True)
    assert "No one matches" in html


def test_search_is_paginated(login_as, client, app):
    login_as("admin", full_name="Aaron Admin")
    _people(app, 30)
    first = client.get("/admin/people").get_data(as_text=True)
    assert "31 people found" in first
    assert len(re.findall(r'href="/admin/people/\d', first)) == 25
    assert 'href="/admin/people?page=2"' in first
    second = client.get("/admin/people?page=2").get_data(as_text=True)
    assert len(re.findall(r'href="/admin/people/\d', second)) == 6


def test_htmx_search_returns_only_the_results(login_as, client):
    login_as("admin", full_name="Alex Admin")
    response = client.get("/admin/people?q=alex", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert '<div id="people-results">' in html
    assert '<p id="people-count" hx-swap-oob="innerHTML">1 person found for “alex”.</p>' in html
    assert "<html" not in html and "Alex Admin" in html
    assert "HX-Request" in response.headers["Vary"]
    # A history restore gets the whole page.
    restore = client.get("/admin/people?q=alex", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restore.get_data(as_text=True)


def test_grant_and_remove_roles(login_as, web, client, app):
    login_as("admin")
    (person_id,) = _people(app, 1)
    page = f"/admin/people/{person_id}"
    response = web.submit(f"{page}/roles", {"roles": ["student", "facilitator"]}, page=page)
    assert response.headers["Location"] == page
    assert "now has: Student, Facilitator" in client.get(page).get_data(as_text=True)
    web.submit(f"{page}/roles", {"roles": ["facilitator"]}, page=page)
    with app.app_context():
        assert db.session.get(User, person_id).role_names == {"facilitator"}
        events = [(e.event, e.detail) for e in db.session.execute(select(AuditEvent).where(AuditEvent.event.like("role.%")).order_by(AuditEvent.id)).scalars()]
    assert events == [("role.granted", "facilitator"), ("role.removed", "student")]


def test_new_role_takes_effect_in_the_navigation(login_as, web, client, app):
    login_as("admin")
    (person_id,) = _people(app, 1)
    with app.app_context():
        email = db.session.get(User, person_id).email
    other = app.test_client()
    Browserless(other).login(email)
    assert "Facilitate" not in other.get("/my/account").get_data(as_text=True)
    web.submit(f"/admin/people/{person_id}/roles", {"roles": ["student", "facilitator"]}, page=f"/admin/people/{person_id}")
    assert ">Facilitating<" in other.get("/my/account").get_data(as_text=True)
    assert other.get("/facilitate").status_code == 200


def test_roles_with_htmx_return_the_panel(login_as, client, app):
    login_as("admin")
    (person_id,) = _people(app, 1)
    page = client.get(f"/admin/people/{person_id}").get_data(as_text=True)
    from tests.conftest import csrf_from

    token = csrf_from(page)
    # htmx sends the CSRF token in a header (hx-headers on <body>).
    response = client.post(
        f"/admin/people/{person_id}/roles",
        data={"roles": ["student", "admin"]},
        headers={"HX-Request": "true", "X-CSRFToken": token},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<section id="roles-panel-{person_id}"')
    assert "now has: Student, Admin (REC staff)" in html
    # Without the token the same request is refused.
    refused = client.post(f"/admin/people/{person_id}/roles", data={"roles": ["student"]}, headers={"HX-Request": "true"})
    assert refused.status_code == 400
    with app.app_context():
        assert db.session.get(User, person_id).role_names == {"student", "admin"}


def test_admin_cannot_remove_own_admin_role_or_disable_self(login_as, web, client, app):
    me = login_as("admin")
    page = f"/admin/people/{me.id}"
    html = web.submit(f"{page}/roles", {"roles": ["student"]}, page=page).get_data(as_text=True)
    assert "You cannot remove your own admin role" in html
    assert "There is a problem" in html and 'href="#roles"' in html
    web.submit(f"{page}/disable", {}, page=f"{page}/disable")
    assert "You cannot disable your own account" in client.get(page).get_data(as_text=True)
    with app.app_context():
        user = db.session.get(User, me.id)
        assert user.active and "admin" in user.role_names


def test_unknown_role_is_refused(login_as, web, app):
    login_as("admin")
    (person_id,) = _people(app, 1)
    response = web.submit(f"/admin/people/{person_id}/roles", {"roles": ["superuser"]}, page=f"/admin/people/{person_id}")
    assert response.status_code == 400
    assert "is not a valid choice" in response.get_data(as_text=True)


def test_disable_and_enable_an_account(login_as, web, client, app):
    login_as("admin")
    (person_id,) = _people(app, 1)
    with app.app_context():
        email = db.session.get(User, person_id).email
    other = app.test_client()
    Browserless(other).login(email)

    confirm = client.get(f"/admin/people/{person_id}/disable").get_data(as_text=True)
    assert "Disable Test Person" in confirm and "Yes, disable this account" in confirm
    web.submit(f"/admin/people/{person_id}/disable", {})
    html = client.get(f"/admin/people/{person_id}").get_data(as_text=True)
    assert "account is disabled and they have been signed out" in html
    assert other.get("/my/account").status_code == 302
    assert "Your account has been disabled" in Browserless(other).submit("/login", {"email": email, "password": factories.PASSWORD}).get_data(as_text=True)

    web.submit(f"/admin/people/{person_id}/enable", {}, page=f"/admin/people/{person_id}")
    assert "account is active again" in client.get(f"/admin/people/{person_id}").get_data(as_text=True)
    Browserless(other).login(email)
    with app.app_context():
        events = [e.event for e in db.session.execute(select(AuditEvent).where(AuditEvent.subject_id == person_id)).scalars()]
    assert "account.disabled" in events and "account.enabled" in events


def test_opening_an_account_is_audited(login_as, client, app):
    me = login_as("admin")
    (person_id,) = _people(app, 1)
    client.get(f"/admin/people/{person_id}")
    with app.app_context():
        event = db.session.execute(select(AuditEvent).where(AuditEvent.event == "account.viewed_by_staff")).scalar_one()
        assert (event.actor_id, event.subject_id) == (me.id, person_id)


def test_missing_person_is_404(login_as, client):
    login_as("admin")
    response = client.get("/admin/people/99999")
    assert response.status_code == 404 and "Page not found" in response.get_data(as_text=True)


def test_outbox_page_lists_messages_and_hides_secret_links(login_as, web, client, app):
    login_as("admin")
    with app.app_context():
        factories.make_user(email="jo@example.org")
        queue_email(to="jo@example.org", subject="Your booking is confirmed", body="See you on Monday 1 December.")
        db.session.commit()
    web.submit("/forgot-password", {"email": "jo@example.org"}, page="/forgot-password")
    html = client.get("/admin/outbox").get_data(as_text=True)
    assert "Your booking is confirmed" in html and "Reset your Recovery Education Centre password" in html
    with app.app_context():
        from rec_portal.models import OutboxMessage

        ids = {m.subject: m.id for m in db.session.execute(select(OutboxMessage)).scalars()}
    booking = client.get(f"/admin/outbox/{ids['Your booking is confirmed']}").get_data(as_text=True)
    assert "See you on Monday 1 December." in booking
    reset = client.get(f"/admin/outbox/{ids['Reset your Recovery Education Centre password']}").get_data(as_text=True)
    assert "/reset-password/" not in reset and "is not shown here" in reset
    assert "Pending" in client.get("/admin/outbox?status=pending").get_data(as_text=True)


def test_audit_page_lists_events_with_a_filter(login_as, web, client, app):
    login_as("admin", full_name="Alex Admin")
    Browserless(app.test_client()).submit("/login", {"email": "nobody@example.org", "password": "whatever-123"})
    html = client.get("/admin/audit").get_data(as_text=True)
    signed_in_event = '<span class="nhsuk-table-responsive__heading" aria-hidden="true">Event </span>Signed in</td>'
    assert "Sign-in failed" in html and signed_in_event in html and "Alex Admin" in html
    filtered = client.get("/admin/audit?event=login.failed").get_data(as_text=True)
    assert "Sign-in failed" in filtered and signed_in_event not in filtered
