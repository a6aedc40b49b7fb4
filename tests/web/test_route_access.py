"""Every route the student-records, roster, attendance and feedback features added, for every kind
of visitor: signed out goes to sign in, the wrong role gets the 403 page, and a POST
without its CSRF token changes nothing (400). Feature tests cover the right role and
"another student's" objects (404); this sweep makes sure no route was forgotten."""

from __future__ import annotations

import re

import pytest

from tests.conftest import csrf_from

FEATURES = ("plans.", "safety_plans.", "support.", "data_rights.", "rosters.", "facilitation.",
            "attendance.", "account.about", "feedback.", "feedback_review.", "content_reviews.",
            "outcomes.", "workshops.", "reports.",
            "prospectus.", "bookings.swap", "admin.outbox")
PUBLIC = {"support.index", "support.service", "data_rights.deleted", "prospectus.page", "prospectus.pdf"}


def _rules(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(FEATURES):
            url = re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: "safe_places" if m[1] == "name" else "1", rule.rule)
            yield rule, url


def _who_may(rule) -> set[str]:
    """Which kinds of signed-in people may open ``rule`` (by the feature's design)."""
    if rule.rule.startswith("/admin/"):
        return {"admin"}
    if rule.rule.startswith("/facilitate/sessions/"):
        return {"facilitator", "admin"}  # and then only their own sessions (feature tests)
    if rule.rule.startswith("/facilitate"):
        return {"facilitator"}
    if rule.rule.startswith(("/my/plan", "/my/courses/", "/my/outcomes", "/courses/")):
        return {"student"}
    return {"student", "facilitator", "admin"}  # anyone signed in: their own records


def test_every_new_route_is_listed(app):
    urls = [rule.rule for rule, _ in _rules(app)]
    assert len(urls) >= 60 and "/my/safety-plan.pdf" in urls and "/admin/rosters" in urls


def test_signed_out_visitors_are_sent_to_sign_in(app, client):
    for rule, url in _rules(app):
        if rule.endpoint in PUBLIC:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            if method == "POST":
                assert response.status_code in (302, 400), (method, url)  # CSRF may refuse first
                if response.status_code == 302:
                    assert response.headers["Location"].startswith("/login"), (method, url)
            else:
                assert response.status_code == 302, (method, url, response.status_code)
                assert response.headers["Location"].startswith("/login"), (method, url)


@pytest.mark.parametrize("role", ["student", "facilitator", "admin"])
def test_the_wrong_role_gets_the_refusal_page(app, role, login_as, client):
    login_as(role)
    for rule, url in _rules(app):
        if role in _who_may(rule) or rule.endpoint in PUBLIC or "GET" not in rule.methods:
            continue
        response = client.get(url)
        assert response.status_code == 403, (role, url, response.status_code)
        assert "You do not have access to this page" in response.get_data(as_text=True), url


def test_posts_without_a_csrf_token_are_refused(app, login_as, client):
    login_as("student", "facilitator", "admin")
    for rule, url in _rules(app):
        if "POST" in rule.methods:
            response = client.post(url, data={"anything": "x"})
            assert response.status_code == 400, url
            assert "Your form could not be sent" in response.get_data(as_text=True), url



@pytest.mark.parametrize("who", ["signed out", "student", "facilitator", "admin"])
def test_the_quick_exit_is_open_to_everyone_and_needs_its_token_to_sign_anyone_out(app, who, login_as, client):
    """/quick-exit (auth.quick_exit, outside the sweeps above on purpose): anyone may use
    it, it always sends the person to the neutral site (never an error page), and without
    its CSRF token it changes nothing; with it, a signed-in person is signed out."""
    [rule] = [r for r in app.url_map.iter_rules() if r.endpoint == "auth.quick_exit"]
    assert rule.rule == "/quick-exit" and rule.methods - {"OPTIONS"} == {"POST"}
    if who != "signed out":
        login_as(who)
    account = client.get("/my/account")
    assert account.status_code == (302 if who == "signed out" else 200)
    response = client.post("/quick-exit", data={"anything": "x"})
    assert response.status_code == 303
    assert response.headers["Location"] == app.config["REC_QUICK_EXIT_URL"]
    assert client.get("/my/account").status_code == account.status_code  # nothing changed
    token = csrf_from(client.get("/support").get_data(as_text=True))
    response = client.post("/quick-exit", data={"csrf_token": token})
    assert response.headers["Location"] == app.config["REC_QUICK_EXIT_URL"]
    after = client.get("/my/account")
    assert after.status_code == 302 and after.headers["Location"].startswith("/login")
    assert client.get("/quick-exit").status_code == 405  # no state change on GET
