""""Leave this page quickly" (issue 13, part 1), through the Flask test client: the control
is a form posting to /quick-exit, which ends the signed-in session on the server exactly
like signing out (a copied cookie stops working) and sends the person to the neutral site;
"Save my plan" with htmx answers in place, so saving adds nothing to the browser history.
The browser side (Back, the Escape key, the back/forward cache) is in
tests/browser/test_quick_exit.py."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from rec_portal.extensions import db
from rec_portal.models import AuditEvent, SafetyPlan, UserSession
from tests.conftest import csrf_from

EXIT = "https://www.bbc.co.uk/weather"
PLAN_TEXT = "The side door of the flat sticks, so I go round the front"


def _exit_form(html: str) -> str:
    """The quick-exit form's own CSRF token (asserting the form is there)."""
    form = re.search(
        r'<form method="post" action="/quick-exit" data-rec-quick-exit="([^"]+)">(.*?)</form>',
        html, re.S,
    )
    assert form, "no quick-exit form on the page"
    assert form[1] == EXIT
    assert "Leave this page quickly" in form[2]
    return csrf_from(form[2])


def _write_plan(client, text: str = PLAN_TEXT):
    token = csrf_from(client.get("/my/safety-plan").get_data(as_text=True))
    response = client.post(
        "/my/safety-plan", data={"csrf_token": token, "unsafe_situations": text, "save": "unsafe_situations"}
    )
    assert response.status_code == 302
    assert text in client.get("/my/safety-plan").get_data(as_text=True)


@pytest.mark.parametrize("path", ["/my/safety-plan", "/support", "/my/outcomes"])
def test_pages_offering_the_quick_exit_have_a_form_that_works_without_javascript(login_as, client, path):
    login_as("student")
    response = client.get(path, follow_redirects=True)
    html = response.get_data(as_text=True)
    _exit_form(html)
    assert re.search(r'<aside class="rec-quick-exit"[^>]* hx-history="false"', html)
    assert response.headers["Cache-Control"] == "no-store"  # signed in: never stored
    assert re.search(r"<body[^>]* data-rec-private", html)  # blanked if restored from bfcache


def test_quick_exit_ends_the_session_on_the_server_and_sends_the_person_away(app, login_as, client):
    me = login_as("student")
    _write_plan(client)
    old_cookie = client.get_cookie("rec_session").value
    token = _exit_form(client.get("/my/safety-plan").get_data(as_text=True))

    response = client.post("/quick-exit", data={"csrf_token": token})

    assert response.status_code == 303
    assert response.headers["Location"] == EXIT
    assert response.headers["Clear-Site-Data"] == '"cache"'
    # This browser is signed out, and the copied cookie no longer opens the plan.
    after = client.get("/my/safety-plan")
    assert after.status_code == 302 and after.headers["Location"].startswith("/login")
    replay = app.test_client()
    replay.set_cookie("rec_session", old_cookie)
    replayed = replay.get("/my/safety-plan")
    assert replayed.status_code == 302 and replayed.headers["Location"].startswith("/login")
    assert PLAN_TEXT not in replayed.get_data(as_text=True)
    with app.app_context():
        sessions = db.session.execute(select(UserSession).where(UserSession.user_id == me.id)).scalars().all()
        assert sessions and all(s.ended_at is not None for s in sessions)
        # Recorded like any sign-out: nothing says a quick exit was used.
        assert {s.ended_reason for s in sessions} == {"logout"}
        events = [e.event for e in db.session.execute(select(AuditEvent)).scalars()]
        assert events[-1] == "logout" and not any("quick" in e for e in events)
        # The plan itself is kept: leaving quickly loses nothing.
        assert db.session.execute(select(SafetyPlan.unsafe_situations)).scalar_one() == PLAN_TEXT


def test_the_beacon_from_javascript_ends_the_session_and_gets_an_empty_answer(app, login_as, client):
    login_as("student")
    token = _exit_form(client.get("/my/safety-plan").get_data(as_text=True))
    old_cookie = client.get_cookie("rec_session").value

    response = client.post("/quick-exit", data={"csrf_token": token, "via": "beacon"},
                           content_type="multipart/form-data")  # what sendBeacon(FormData) sends

    assert response.status_code == 204 and response.get_data() == b""
    replay = app.test_client()
    replay.set_cookie("rec_session", old_cookie)
    assert replay.get("/my/safety-plan").headers["Location"].startswith("/login")


def test_without_the_csrf_token_nothing_ends_but_the_person_still_leaves(app, login_as, client):
    """Another site cannot sign anyone out; and a person in danger is never stopped at an
    error page (a token can be stale), so the redirect happens whatever the token."""
    me = login_as("student")
    _write_plan(client)
    for data in ({}, {"csrf_token": "not-the-token"}, {"csrf_token": "x", "via": "beacon"}):
        response = client.post("/quick-exit", data=data)
        assert response.status_code in (303, 204)
        if response.status_code == 303:
            assert response.headers["Location"] == EXIT
        assert PLAN_TEXT in client.get("/my/safety-plan").get_data(as_text=True)  # still signed in
    with app.app_context():
        assert db.session.execute(
            select(UserSession.ended_at).where(UserSession.user_id == me.id)
        ).scalar_one() is None


@pytest.mark.parametrize("headers", [
    {"Sec-Fetch-Site": "same-origin"},
    {"Origin": "http://localhost"},
])
def test_a_stale_token_from_this_sites_own_page_still_signs_out(app, login_as, client, headers):
    """Found by review: a page left open (or from before signing in again in another tab)
    holds a stale token, and the person stayed signed in after leaving. The browser's own
    same-origin headers are enough; another site's are not."""
    login_as("student")
    _write_plan(client)
    hostile = {"Sec-Fetch-Site": "cross-site"} if "Sec-Fetch-Site" in headers else {"Origin": "https://evil.example"}
    client.post("/quick-exit", data={"csrf_token": "stale"}, headers=hostile)
    assert PLAN_TEXT in client.get("/my/safety-plan").get_data(as_text=True)  # another site: nothing ends
    response = client.post("/quick-exit", data={"csrf_token": "stale", "via": "beacon"}, headers=headers)
    assert response.status_code == 204
    assert client.get("/my/safety-plan").headers["Location"].startswith("/login")


def test_signed_out_visitors_of_the_support_guide_are_just_sent_away(app, client):
    token = _exit_form(client.get("/support").get_data(as_text=True))
    response = client.post("/quick-exit", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == EXIT
    assert client.get("/support").status_code == 200  # nothing broken for them
    with app.app_context():
        assert db.session.execute(select(UserSession)).first() is None


def test_the_form_may_post_to_the_neutral_site(client):
    """Chromium applies the CSP's form-action to a form's redirect: without the exit site's
    origin the quick exit would stop on a blocked page when JavaScript is off."""
    csp = client.get("/support").headers["Content-Security-Policy"]
    form_action = re.search(r"form-action ([^;]+)", csp)[1].split()
    assert form_action == ["'self'", "https://www.bbc.co.uk"]


def test_save_my_plan_with_htmx_answers_in_place_without_a_new_page(app, login_as, client):
    """With JavaScript "Save my plan" is an htmx post: a status in the section, not a
    redirect to a new page (a page would be a new history entry that Back returns to)."""
    login_as("student")
    html = client.get("/my/safety-plan").get_data(as_text=True)
    token = csrf_from(html)
    button = re.search(r'<button[^>]*name="save"[^>]*value="warning_signs"[^>]*>', html)[0]
    assert 'hx-post="/my/safety-plan"' in button and 'hx-target="#save-status-warning_signs"' in button

    response = client.post(
        "/my/safety-plan",
        data={"csrf_token": token, "warning_signs": "I stop sleeping", "unsafe_situations": "", "save": "warning_signs"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "Location" not in response.headers
    body = response.get_data(as_text=True)
    assert "Your safety plan has been saved at" in body and "<html" not in body
    with app.app_context():
        assert db.session.execute(select(SafetyPlan.warning_signs)).scalar_one() == "I stop sleeping"

    too_long = client.post(
        "/my/safety-plan",
        data={"csrf_token": token, "warning_signs": "Changed", "safe_places": "x" * 5001, "save": "warning_signs"},
        headers={"HX-Request": "true"},
    )
    assert too_long.status_code == 400
    body = too_long.get_data(as_text=True)
    assert "Not saved yet." in body and "5,000 characters or fewer" in body and "<html" not in body
    with app.app_context():  # nothing half-saved
        assert db.session.execute(select(SafetyPlan.warning_signs)).scalar_one() == "I stop sleeping"
