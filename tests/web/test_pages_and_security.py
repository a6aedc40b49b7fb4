import logging
import re

import pytest

from rec_portal import create_app
from tests import factories
from tests.conftest import Browserless, test_config


@pytest.mark.parametrize(
    "url, heading",
    [
        ("/", "Free courses to help you with your recovery"),
        ("/accessibility", "Accessibility statement for the Recovery Education Centre portal"),
        ("/privacy", "Privacy notice"),
        ("/login", "Sign in"),
        ("/register", "Enrol with the Recovery Education Centre"),
        ("/forgot-password", "Reset your password"),
    ],
)
def test_public_pages(client, url, heading):
    html = client.get(url).get_data(as_text=True)
    assert f"<h1>{heading}</h1>" in html
    assert "Skip to main content" in html
    assert 'href="/accessibility"' in html and 'href="/privacy"' in html  # footer
    assert "Recovery Education Centre" in html


def test_privacy_notice_promises_the_safety_plan_is_private(client):
    html = client.get("/privacy").get_data(as_text=True)
    assert "Your personal safety plan is private to you" in html


def test_privacy_notice_says_what_the_portal_now_does(client, app, monkeypatch):
    """Issue 13: the notice matches sign-up confirmation, pooled anonymous feedback, closed
    quarters for the crime figures, the quick exit and the data download's addresses."""
    monkeypatch.setitem(app.config, "REC_SIGNUP_CONFIRM_HOURS", 36)
    text = " ".join(client.get("/privacy").get_data(as_text=True).split())
    assert "deleted after 36 hours and no account is made" in text
    assert "feedback on every session of that course in that term has closed (42 days after each session) and at least 8 people have answered anonymously" in text
    assert "once that quarter has ended" in text
    assert "It signs you out and opens a weather page" in text
    assert "your own sign-ins and actions, never anyone else’s" in text


def test_security_headers_and_csp_nonce(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    for part in ("default-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
        assert part in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    html = response.get_data(as_text=True)
    inline_scripts = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
    assert inline_scripts and all(f'nonce="{nonce}"' in attrs for attrs in inline_scripts)
    assert "hx-on" not in html and " style=" not in html
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers  # only outside development
    assert client.get("/").headers["Content-Security-Policy"] != csp  # fresh nonce per request


def test_hsts_outside_development(tmp_path):
    app = create_app(test_config(f"sqlite:///{tmp_path / 'x.sqlite3'}", REC_HSTS=True))
    assert "max-age=31536000" in app.test_client().get("/").headers["Strict-Transport-Security"]


def test_htmx_is_configured_for_privacy_and_csp(client):
    html = client.get("/").get_data(as_text=True)
    config = re.search(r'<meta name="htmx-config" content=\'([^\']+)\'', html).group(1)
    import json

    config = json.loads(config)
    assert config["historyCacheSize"] == 0
    assert config["includeIndicatorStyles"] is False
    assert config["allowEval"] is False and config["allowScriptTags"] is False
    assert config["selfRequestsOnly"] is True
    assert '<script src="/static/vendor/htmx/htmx.min.js"' in html
    token = re.search(r'hx-headers="\{&#34;X-CSRFToken&#34;: &#34;([^&]+)&#34;\}"', html)
    assert token, "CSRF token travels in hx-headers on <body>"


def test_signed_in_pages_are_not_cached(login_as, client):
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")
    assert client.get("/login").headers["Cache-Control"] == "no-store"
    login_as("student")
    for url in ("/", "/my/account", "/privacy"):
        assert client.get(url).headers["Cache-Control"] == "no-store"


def test_navigation_shows_each_role_what_it_can_use(login_as, client, app):
    html = client.get("/").get_data(as_text=True)
    assert "Sign in" in html and "Register" in html and ">Admin<" not in html
    login_as("student")
    html = client.get("/").get_data(as_text=True)
    assert ">My account<" in html and ">Facilitating<" not in html and ">Admin<" not in html
    assert "Sign out" in html


@pytest.mark.parametrize("roles, visible", [(("facilitator",), ">Facilitating<"), (("admin",), ">Admin<")])
def test_navigation_for_staff_roles(login_as, client, roles, visible):
    login_as(*roles)
    assert visible in client.get("/").get_data(as_text=True)


def test_facilitate_page_by_role(login_as, client, app):
    assert client.get("/facilitate").headers["Location"] == "/login?next=/facilitate"
    login_as("facilitator")
    html = client.get("/facilitate").get_data(as_text=True)
    assert "You are not rostered on any sessions yet" in html


def test_students_cannot_open_facilitate(login_as, client):
    login_as("student")
    response = client.get("/facilitate")
    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert "You do not have access to this page" in html and "Sessions you facilitate" not in html


def test_friendly_404_and_405(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)
    response = client.delete("/")
    assert response.status_code == 405
    assert "Sorry, that action is not available here" in response.get_data(as_text=True)


def test_friendly_500_page_and_log_line(tmp_path, caplog):
    app = create_app(test_config(f"sqlite:///{tmp_path / 'x.sqlite3'}"))

    @app.route("/boom")
    def boom():
        raise RuntimeError("database exploded: secret detail")

    with caplog.at_level(logging.ERROR):
        response = app.test_client().get("/boom")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in html
    assert "secret detail" not in html and "Traceback" not in html
    assert "unexpected error on GET /boom" in caplog.text and "database exploded" in caplog.text


def test_csrf_is_required_for_every_state_change(client, app):
    response = client.post("/login", data={"email": "a@example.org", "password": "x"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Your form could not be sent" in html and "refresh the page and try again" in html
    assert client.post("/register", data={}).status_code == 400
    assert client.post("/forgot-password", data={"email": "a@example.org"}).status_code == 400


def test_logout_needs_csrf(login_as, client):
    login_as("student")
    assert client.post("/logout").status_code == 400
    assert client.get("/my/account").status_code == 200  # still signed in


def test_login_is_rate_limited_with_a_friendly_page(client):
    web = Browserless(client)
    token = web.token("/login")
    statuses = [
        client.post("/login", data={"email": "a@example.org", "password": "wrong-password-1", "csrf_token": token}).status_code
        for _ in range(11)
    ]
    assert statuses[:10] == [400] * 10
    assert statuses[10] == 429
    response = client.post("/login", data={"email": "a@example.org", "password": "x", "csrf_token": token})
    html = response.get_data(as_text=True)
    assert "Please wait a few minutes, then try again" in html and "Nothing you did has been lost" in html
    # Reading the page is not limited.
    assert client.get("/login").status_code == 200


def test_a_class_on_shared_wifi_can_all_sign_in_but_failures_are_still_limited(app):
    """Issue 13: successful sign-ins counted toward the per-connection limit (10 a minute),
    so a class on a venue's wifi could not all sign in."""
    from rec_portal.extensions import db

    with app.app_context():
        emails = [factories.make_user(email=f"student{n}@example.org").email for n in range(30)]
        db.session.commit()
    for email in emails:  # thirty students, one connection, within a minute
        person = Browserless(app.test_client())
        response = person.submit("/login", {"email": email, "password": factories.PASSWORD})
        assert response.status_code == 302, (email, response.status_code)
        assert person.client.get("/my/account").status_code == 200
    # Failures from the same connection still count, and are stopped after 10.
    guesser = Browserless(app.test_client())
    token = guesser.token("/login")
    responses = [
        guesser.client.post("/login", data={"email": f"student{n}@example.org", "password": "wrong-guess-123",
                                            "csrf_token": token})
        for n in range(11)
    ]
    assert [r.status_code for r in responses] == [400] * 10 + [429]
    # The message does not blame the person: on shared wifi it may be someone else.
    paused = responses[-1].get_data(as_text=True)
    assert "Please wait a few minutes, then try again" in paused
    assert "many people share one internet connection" in paused
    assert "You have tried" not in paused and "too many times" not in paused
    # And the limit on one email address (from anywhere) stays: 20 an hour, successes too
    # (student29 signed in once above).
    statuses = []
    for n in range(20):
        other = Browserless(app.test_client())
        other.client.environ_base["REMOTE_ADDR"] = f"192.0.2.{n + 1}"
        statuses.append(other.submit("/login", {"email": "student29@example.org",
                                                 "password": factories.PASSWORD}).status_code)
    assert statuses == [302] * 19 + [429]


def test_registration_is_rate_limited(client, app):
    from sqlalchemy import func, select

    from rec_portal.extensions import db
    from rec_portal.models import PendingSignup

    web = Browserless(client)
    responses = []
    for n in range(6):
        responses.append(web.submit("/register", {
            "full_name": f"Person {n}", "email": f"p{n}@example.org", "password": "valid-password-42",
            "confirm_password": "valid-password-42", "consent": "y", "relationship_to_services": "service_user", "contact_preference": "email",
        }))
    assert [r.status_code for r in responses] == [302] * 5 + [429]
    assert "Please wait a few minutes, then try again" in responses[5].get_data(as_text=True)
    with app.app_context():  # five sign-ups wait for their email addresses to be confirmed
        assert db.session.execute(select(func.count()).select_from(PendingSignup)).scalar_one() == 5


def test_password_reset_is_rate_limited_per_address_and_per_client(client, app):
    from sqlalchemy import func, select

    from rec_portal.extensions import db
    from rec_portal.models import OutboxMessage
    from tests import factories

    with app.app_context():
        factories.make_user(email="jo@example.org")
        db.session.commit()
    web = Browserless(client)
    same = [web.submit("/forgot-password", {"email": "jo@example.org"}).status_code for _ in range(4)]
    assert same == [302, 302, 302, 429]  # 3 an hour for one address
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(OutboxMessage)).scalar_one() == 3
    others = [web.submit("/forgot-password", {"email": f"x{n}@example.org"}).status_code for n in range(2)]
    assert others == [302, 429]  # 5 a minute from one client, whatever the address


def test_htmx_error_pages_replace_the_main_content(login_as, client):
    login_as("student")
    response = client.get("/admin/people?q=x", headers={"HX-Request": "true"})
    assert response.status_code == 403
    assert response.headers["HX-Retarget"] == "#maincontent"
    assert response.headers["HX-Reselect"] == "#maincontent"
    assert "You do not have access to this page" in response.get_data(as_text=True)


def test_static_files_do_not_touch_the_database(login_as, client, app):
    from sqlalchemy import event

    from rec_portal.extensions import db

    login_as("student")
    statements = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: statements.append(args[2])
    event.listen(engine, "before_cursor_execute", listener)
    try:
        response = client.get("/static/css/app.css")
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert response.status_code == 200 and statements == []
    assert "nosniff" == response.headers["X-Content-Type-Options"]


def test_every_sign_in_attempt_counts_toward_a_higher_ceiling_per_connection(app, monkeypatch):
    """Found by review: failures are counted only once answered, so many sent at the same
    moment could pass the failures-only limit; a ceiling counts every attempt, successes
    included, and stops the connection when reached."""
    from rec_portal.extensions import db

    monkeypatch.setitem(app.config, "REC_LIMIT_LOGIN_CEILING", "4 per minute")
    with app.app_context():
        email = factories.make_user(email="ceiling@example.org").email
        db.session.commit()
    statuses = []
    for _ in range(5):
        person = Browserless(app.test_client())
        statuses.append(person.submit("/login", {"email": email, "password": factories.PASSWORD}).status_code)
    assert statuses == [302] * 4 + [429]


def test_enrolment_emails_to_one_address_are_limited_the_same_for_new_and_known_addresses(app):
    """Found by review: each enrolment emails the address typed, so anyone could flood one
    person's inbox. After 3 emails an hour to one address (from any connection), the 4th
    is refused with the calm limit page, whether or not the address has an account; a form
    sent back with mistakes sends nothing and does not count."""
    from sqlalchemy import func, select

    from rec_portal.extensions import db
    from rec_portal.models import OutboxMessage

    with app.app_context():
        factories.make_user(email="known@example.org")
        db.session.commit()
    form = {
        "full_name": "Sam Person", "preferred_name": "", "password": "engine-analytical-1843",
        "confirm_password": "engine-analytical-1843", "consent": "y",
        "relationship_to_services": "service_user", "contact_preference": "email",
    }
    for address in ("known@example.org", "nobody-yet@example.org"):
        statuses = []
        for n in range(5):
            person = Browserless(app.test_client())
            person.client.environ_base["REMOTE_ADDR"] = f"198.51.100.{n + 1}"
            if n == 0:  # a mistake first: sent back, no email, not counted
                mistake = person.submit("/register", {**form, "email": address, "confirm_password": "x"})
                assert mistake.status_code == 400
            statuses.append(person.submit("/register", {**form, "email": address}).status_code)
        assert statuses == [302, 302, 302, 429, 429], address
        assert "Please wait a few minutes, then try again" in person.submit(
            "/register", {**form, "email": address}).get_data(as_text=True)
        with app.app_context():
            sent = db.session.execute(
                select(func.count()).select_from(OutboxMessage).where(OutboxMessage.to_address == address)
            ).scalar_one()
        assert sent == 3, address
