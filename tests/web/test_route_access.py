"""Every route in the URL map, for every kind of visitor, read from what the route declares
where it is defined (rec_portal/web/access.py: ``public``, ``login_required``,
``role_required(...)``, ``owner_only(...)``). There is no list of routes here: a route,
or a whole new blueprint, that declares nothing fails ``test_every_route_declares_who_may_open_it``
(and every sweep below), naming it.

For each rule and each method: signed out goes to sign in; a signed-in person without the
declared role gets the 403 page (never the page itself); the declared roles are let in;
a POST without its CSRF token changes nothing (400); and on owner-only routes another
student's object is "not found" (or refused) and is left as it was. Feature tests cover
what the right person sees on each page."""

from __future__ import annotations

import re
from datetime import date

import pytest
from flask import Blueprint

from rec_portal import create_app
from rec_portal.web.access import PUBLIC, SIGNED_IN, access_of, login_required, role_required
from rec_portal.extensions import csrf, db
from rec_portal.models import ROLES as MODEL_ROLES
from rec_portal.models.rosters import OFFER_PENDING
from tests import factories
from tests.conftest import csrf_from, test_config

# Every role the portal knows (a new role is swept as soon as it exists).
ROLES = MODEL_ROLES
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
REFUSED = "You do not have access to this page"


def undeclared(app) -> list[str]:
    """``endpoint rule`` of every route in ``app``'s URL map that declares no access."""
    return sorted(
        f"{rule.endpoint} {rule.rule}"
        for rule in app.url_map.iter_rules()
        if access_of(app.view_functions[rule.endpoint]) is None
    )


def _url(rule, value="1") -> str:
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: "safe_places" if m[1] == "name" else value, rule.rule)


def _routes(app):
    """(rule, method, url, who, owner) for every rule and method in the URL map, where
    ``who`` is the declaration (PUBLIC, SIGNED_IN or a set of roles)."""
    missing = undeclared(app)
    assert not missing, f"routes with no access declaration: {missing}"
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        view = app.view_functions[rule.endpoint]
        for method in sorted(set(rule.methods) & set(METHODS)):
            yield rule, method, _url(rule), access_of(view), getattr(view, "owner_only", None)


def _csrf_exempt(app, rule) -> bool:
    view = app.view_functions[rule.endpoint]
    return f"{view.__module__}.{view.__name__}" in csrf._exempt_views


def _token(client) -> str:
    return csrf_from(client.get("/support").get_data(as_text=True))


def _sent_to_sign_in(response) -> bool:
    return response.status_code == 302 and response.headers["Location"].startswith("/login")


def _refused(response) -> bool:
    return response.status_code == 403 and REFUSED.encode() in response.get_data()


# --- Declarations ---------------------------------------------------------------------------

def test_every_route_declares_who_may_open_it(app):
    assert undeclared(app) == []
    routes = list(_routes(app))
    assert len({rule.rule for rule, *_ in routes}) >= 150
    by_endpoint = {rule.endpoint: who for rule, _, _, who, _ in routes}
    assert by_endpoint["home.index"] == PUBLIC and by_endpoint["account.index"] == SIGNED_IN
    assert by_endpoint["admin.index"] == {"admin"} and by_endpoint["plans.index"] == {"student"}
    assert by_endpoint["facilitation.class_list"] == {"facilitator", "admin"}
    assert by_endpoint["static"] == PUBLIC
    assert by_endpoint["health.healthz"] == PUBLIC  # the proxy's health check, signed out


def test_a_new_route_without_a_declaration_fails_the_sweep():
    """A throwaway app: a route and a whole new blueprint that declare nothing are named;
    the same with a declaration are not."""
    other = create_app(test_config("sqlite://"))
    assert undeclared(other) == []
    forgotten = Blueprint("forgotten", __name__)

    @forgotten.route("/forgotten/<int:thing_id>", methods=["GET", "POST"])
    def thing(thing_id):
        return "anyone could see this"

    @forgotten.route("/forgotten/declared")
    @role_required("admin")
    def declared():
        return "admins only"

    other.register_blueprint(forgotten)
    other.add_url_rule("/also-forgotten", "also_forgotten", lambda: "open")
    other.add_url_rule("/also-declared", "also_declared", login_required(lambda: "signed in"))

    assert undeclared(other) == ["also_forgotten /also-forgotten", "forgotten.thing /forgotten/<int:thing_id>"]
    with pytest.raises(AssertionError, match=r"forgotten\.thing /forgotten/<int:thing_id>"):
        list(_routes(other))


# --- Who is refused -------------------------------------------------------------------------

def test_signed_out_visitors_are_sent_to_sign_in(app, client):
    token = _token(client)
    wrong = []
    for rule, method, url, who, _ in _routes(app):
        if who == PUBLIC:
            if method == "GET" and not rule.rule.endswith(".pdf") and _sent_to_sign_in(client.get(url)):
                wrong.append(("public page sends to sign in", method, url))
            continue
        if method == "POST":
            without = client.post(url, data={"anything": "x"})
            if not (without.status_code == 400 or _sent_to_sign_in(without)):  # CSRF may refuse first
                wrong.append(("no token", method, url, without.status_code))
            response = client.post(url, data={"anything": "x", "csrf_token": token})
        else:
            response = client.open(url, method=method)
        if not _sent_to_sign_in(response):
            wrong.append((method, url, response.status_code))
    assert wrong == []


@pytest.mark.parametrize("role", ROLES)
def test_the_wrong_role_gets_the_refusal_page_and_the_right_one_gets_in(app, role, login_as, client):
    login_as(role)
    token = _token(client)
    wrong = []
    for rule, method, url, who, _ in _routes(app):
        let_in = who == SIGNED_IN or (who != PUBLIC and role in who)
        if who == PUBLIC or (let_in and (method != "GET" or rule.rule.endswith(".pdf"))):
            continue  # the page itself: feature tests (PDFs are slow to make)
        if method == "GET":
            response = client.get(url)
        else:
            response = client.open(url, method=method, data={"anything": "x", "csrf_token": token})
        if not let_in:
            if not _refused(response):
                wrong.append(("not refused", method, url, response.status_code))
        elif _sent_to_sign_in(response) or response.status_code == 403 or REFUSED.encode() in response.get_data():
            wrong.append(("refused", who, method, url, response.status_code))
    assert wrong == []


def test_posts_without_a_csrf_token_are_refused(app, login_as, client):
    login_as("student", "facilitator", "admin")
    wrong = []
    for rule, method, url, _, _ in _routes(app):
        if method == "POST" and not _csrf_exempt(app, rule):
            response = client.post(url, data={"anything": "x"})
            if response.status_code != 400 or "Your form could not be sent" not in response.get_data(as_text=True):
                wrong.append((url, response.status_code))
    assert wrong == []
    assert [rule.endpoint for rule in app.url_map.iter_rules() if _csrf_exempt(app, rule)] == ["auth.quick_exit"]


# --- Someone else's things -------------------------------------------------------------------

def _someone_elses_booking(other):
    return factories.make_booking(factories.make_session(), other)


def _someone_elses_request(other):
    return factories.make_workshop_request(other, why_not_group="Someone else's reasons")


def _someone_elses_session(other):
    session = factories.make_session()
    factories.add_to_roster(session, other)
    return session


def _someone_elses_offer(other):
    return factories.make_roster_offer(factories.make_session(), other)


def _no_review(student) -> bool:
    from sqlalchemy import select

    from rec_portal.models.plans import PlanReview

    return db.session.execute(select(PlanReview.id).where(PlanReview.user_id == student.id)).first() is None


def _someone_elses_conversation(tutor):
    return factories.make_plan_conversation(factories.make_tutored_student(tutor), tutor)


# What each ``owner_only(...)`` names: whose it is, how to make one for another such person,
# and how to tell it was left as it was. A kind not here fails the sweep, naming the route.
OWNED = {
    "booking": ("student", _someone_elses_booking, lambda row: row.status == "confirmed"),
    "goal": ("student", lambda other: factories.make_goal(other, "Someone else's goal"),
             lambda row: row.text == "Someone else's goal"),
    "workshop request": ("student", _someone_elses_request, lambda row: row.status == "new" and row.closed_at is None),
    "trusted person": ("student", lambda other: factories.make_trusted_person(other, "Someone else's person"),
                       lambda row: row.name == "Someone else's person"),
    "session": ("facilitator", _someone_elses_session, lambda row: row.status == "scheduled"),
    "unavailable day": ("facilitator", lambda other: factories.make_unavailability(other, date(2027, 1, 4)),
                        lambda row: row.day == date(2027, 1, 4)),
    "roster offer": ("facilitator", _someone_elses_offer, lambda row: row.status == OFFER_PENDING),
    "course": ("facilitator", lambda other: _someone_elses_session(other).course,
               lambda row: row.status == "published"),
    "conversation request": ("student", lambda other: factories.make_plan_conversation(other),
                             lambda row: row.status == "requested"),
    "tutored student": ("tutor", lambda other: factories.make_tutored_student(other), _no_review),
    "plan conversation": ("tutor", _someone_elses_conversation,
                          lambda row: row.status == "requested" and row.arranged_for is None),
}
# Who asks for it: for a student's things, someone with every role (even an admin may not
# open a student's own pages); for a facilitator's, another facilitator (admins may).
ASKER = {"student": ("student", "facilitator", "admin"), "facilitator": ("facilitator",), "tutor": ("tutor",)}


def test_every_owner_only_route_names_something_the_sweep_can_make(app):
    owned = {rule.endpoint: what for rule, _, _, _, what in _routes(app) if what}
    assert len(owned) >= 25
    assert sorted(f"{endpoint}: {what}" for endpoint, what in owned.items() if what not in OWNED) == []


@pytest.mark.parametrize("owner", sorted(ASKER))
def test_someone_elses_things_are_not_found_and_left_as_they_were(app, owner, login_as, client):
    kinds = {what for what, (whose, _, _) in OWNED.items() if whose == owner}
    owned = [(rule, method, what) for rule, method, _, _, what in _routes(app) if what in kinds]
    assert {what for *_, what in owned} == kinds
    with app.app_context():
        other = factories.make_user(roles=(owner,))
        rows = {}
        for what in sorted(kinds):
            row = OWNED[what][1](other)
            db.session.add(row)
            db.session.flush()
            rows[what] = (type(row), row.id)
        db.session.commit()
    login_as(*ASKER[owner])
    token = _token(client)
    wrong = []
    for rule, method, what in owned:
        url = _url(rule, str(rows[what][1]))
        if method == "GET":
            response = client.get(url)
        else:
            response = client.open(url, method=method, data={"anything": "x", "csrf_token": token})
        if response.status_code not in (403, 404):
            wrong.append((method, url, response.status_code))
    assert wrong == []
    with app.app_context():
        for what, (model, row_id) in rows.items():
            row = db.session.get(model, row_id)
            assert row is not None and OWNED[what][2](row), what


# --- The quick exit -------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["signed out", "student", "facilitator", "admin"])
def test_the_quick_exit_is_open_to_everyone_and_needs_its_token_to_sign_anyone_out(app, who, login_as, client):
    """/quick-exit (auth.quick_exit, public and CSRF-exempt on purpose): anyone may use
    it, it always sends the person to the neutral site (never an error page), and without
    its CSRF token it changes nothing; with it, a signed-in person is signed out."""
    [rule] = [r for r in app.url_map.iter_rules() if r.endpoint == "auth.quick_exit"]
    assert rule.rule == "/quick-exit" and rule.methods - {"OPTIONS"} == {"POST"}
    assert access_of(app.view_functions[rule.endpoint]) == PUBLIC
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
