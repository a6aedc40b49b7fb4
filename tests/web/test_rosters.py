"""/admin/rosters and /admin/facilitators: every route for every role, facilitator
profiles, the roster page with and without htmx, offers, the PDF, roster alerts, the
co-delivery report and a fixed number of queries on the roster page."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import timedelta

import pytest
from sqlalchemy import select

from rec_portal import documents
from rec_portal.extensions import db
from rec_portal.models import (
    AuditEvent,
    CourseSession,
    FacilitatorProfile,
    OutboxMessage,
    RosterAssignment,
    RosterOffer,
    Unavailability,
    User,
)
from rec_portal.rosters.operations import assign_facilitator, offer_to_cover
from rec_portal.timeutil import to_uk, utcnow
from tests import factories
from tests.conftest import count_statements, csrf_from
from tests.scenarios import grow_rosters
from tests.factories import make_course_needing as make_course
from tests.factories import make_facilitator, make_session_at, soon, staying_safe_team

GET_PAGES = ["/admin/facilitators", "/admin/facilitators/new", "/admin/rosters", "/admin/rosters/fidelity",
             "/admin/rosters.pdf"]


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _world(app, *, assign=()):
    """Staying Safe in two weeks, with its three facilitators (none on the roster unless
    ``assign`` names their roles). Returns a dict of ids and emails."""
    with app.app_context():
        course = make_course(slug="staying-safe")
        session = make_session_at(course, soon(14))
        police, social, peer = staying_safe_team()
        people = {"police_mh_coordinator": police, "social_worker": social, "peer_specialist": peer}
        for role in assign:
            assign_facilitator(session, people[role], role, None)
        db.session.execute(OutboxMessage.__table__.delete())
        db.session.commit()
        return {"session": session.id, "course": course.id, "police": police.id, "social": social.id,
                "peer": peer.id, "peer_email": peer.email, "social_email": social.email}


def _messages(app):
    with app.app_context():
        return [(m.to_address, m.subject) for m in db.session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars()]


def _roster(app, session_id):
    with app.app_context():
        return sorted(
            (a.role, a.user.full_name)
            for a in db.session.execute(select(RosterAssignment).where(RosterAssignment.session_id == session_id)).scalars()
        )


# --- Access ------------------------------------------------------------------------------

def _post_routes(w):
    return [
        (f"/admin/rosters/sessions/{w['session']}/assign", {"role": "peer_specialist", "user_id": w["peer"]}),
        ("/admin/rosters/assignments/1/remove", {}),
        ("/admin/rosters/offers/1/confirm", {}),
        ("/admin/rosters/offers/1/decline", {}),
        (f"/admin/facilitators/{w['peer']}", {"organisation": "X", "roles": "peer_specialist"}),
        (f"/admin/facilitators/{w['peer']}/deactivate", {}),
        (f"/admin/facilitators/{w['peer']}/reactivate", {}),
    ]


def test_signed_out_visitors_are_sent_to_sign_in(client, app):
    w = _world(app)
    for url in GET_PAGES + [f"/admin/facilitators/{w['peer']}"]:
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login?next="), url
    for url, data in _post_routes(w):
        response = client.post(url, data=data)
        assert response.status_code in (302, 400), url  # no CSRF token: refused either way
    htmx = client.get("/admin/rosters", headers={"HX-Request": "true"})
    assert htmx.headers["HX-Redirect"].startswith("/login")
    assert _roster(app, w["session"]) == []


@pytest.mark.parametrize("role", ["student", "facilitator"])
def test_students_and_facilitators_get_a_403_page_and_it_is_audited(login_as, web, client, app, role):
    w = _world(app)
    me = login_as(role)
    for url in GET_PAGES + [f"/admin/facilitators/{w['peer']}"]:
        response = client.get(url)
        assert response.status_code == 403, url
        assert "You do not have access to this page" in response.get_data(as_text=True)
    token = web.token("/my/account")
    for url, data in _post_routes(w):
        assert client.post(url, data={**data, "csrf_token": token}).status_code == 403, url
    assert _roster(app, w["session"]) == []
    with app.app_context():
        denied = db.session.execute(
            select(AuditEvent).where(AuditEvent.event == "access.denied", AuditEvent.actor_id == me.id)
        ).scalars().all()
    assert len(denied) >= len(GET_PAGES)


def test_another_students_profile_page_is_refused_to_a_student(login_as, client, app):
    w = _world(app)
    login_as("student")
    assert client.get(f"/admin/facilitators/{w['social']}").status_code == 403


def test_admin_opens_every_page(login_as, client, app):
    w = _world(app, assign=("peer_specialist",))
    login_as("admin")
    expected = {
        "/admin/facilitators": "Add a facilitator",
        "/admin/facilitators/new": "Find account",
        "/admin/rosters": "Staying Safe",
        "/admin/rosters/fidelity": "Co-delivery report",
        f"/admin/facilitators/{w['peer']}": "Sam Patel",
    }
    for url, words in expected.items():
        response = client.get(url)
        assert response.status_code == 200 and words in response.get_data(as_text=True), url
        assert "no-store" in response.headers["Cache-Control"]
    assert client.get("/admin/rosters.pdf").headers["Content-Type"] == "application/pdf"
    assert "Rosters and facilitators" in client.get("/admin").get_data(as_text=True)


def test_unknown_ids_are_not_found(login_as, web, client):
    login_as("admin")
    assert client.get("/admin/facilitators/99999").status_code == 404
    assert client.get("/admin/facilitators/99999999999999999999").status_code == 404
    assert client.get("/admin/rosters?keep=99999999999999999999").status_code == 200
    token = web.token("/admin/rosters")
    for url in ("/admin/rosters/sessions/99999/assign", "/admin/rosters/assignments/99999/remove",
                "/admin/rosters/offers/99999/confirm", "/admin/rosters/offers/99999/decline",
                "/admin/rosters/assignments/99999999999999999999/remove"):
        assert client.post(url, data={"csrf_token": token}).status_code == 404, url


def test_posts_without_the_csrf_token_are_refused_and_change_nothing(login_as, client, app):
    w = _world(app)
    login_as("admin")
    response = client.post(f"/admin/rosters/sessions/{w['session']}/assign",
                           data={"role": "peer_specialist", "user_id": w["peer"]})
    assert response.status_code == 400 and "Your form could not be sent" in response.get_data(as_text=True)
    htmx = client.post(f"/admin/rosters/sessions/{w['session']}/assign",
                       data={"role": "peer_specialist", "user_id": w["peer"]}, headers={"HX-Request": "true"})
    assert htmx.status_code == 400
    assert _roster(app, w["session"]) == [] and _messages(app) == []


# --- Facilitator profiles ----------------------------------------------------------------

def test_admin_adds_a_facilitator_from_an_existing_account(login_as, web, client, app):
    admin = login_as("admin")
    with app.app_context():
        person = factories.make_user(full_name="Nadia Rahman", email="nadia@example.org")
        db.session.commit()
        person_id = person.id
    found = client.get("/admin/facilitators/new?q=nadia").get_data(as_text=True)
    assert "Nadia Rahman" in found and f'href="/admin/facilitators/{person_id}"' in found
    assert "Add as a facilitator" in found
    form = client.get(f"/admin/facilitators/{person_id}").get_data(as_text=True)
    assert "Add Nadia Rahman as a facilitator" in form and "Add facilitator" in form
    response = web.submit(f"/admin/facilitators/{person_id}", {
        "organisation": "the peer-led mental health forum", "roles": ["peer_specialist", "carer_peer"],
        "bio": "Nadia trains peer supporters.", "active": "y",
    })
    assert response.headers["Location"] == "/admin/facilitators"
    listing = _text(client.get("/admin/facilitators").get_data(as_text=True))
    assert "Nadia Rahman is now a facilitator" in listing
    row = listing.split("Name Nadia Rahman", 1)[1].split("Status", 2)[:2]
    assert "Organisation the peer-led mental health forum" in row[0]
    assert "Roles Carer peer, Peer specialist or peer trainer" in row[0]
    with app.app_context():
        profile = db.session.get(FacilitatorProfile, person_id)
        assert profile.active and profile.bio == "Nadia trains peer supporters."
        assert db.session.get(User, person_id).role_names == {"student", "facilitator"}
        events = db.session.execute(
            select(AuditEvent.event, AuditEvent.detail).where(AuditEvent.subject_id == person_id)
        ).all()
    assert ("role.granted", "facilitator") in events
    assert any(d and d.startswith("facilitator profile created") for _, d in events)
    assert all("Nadia trains" not in (d or "") and "forum" not in (d or "") for _, d in events)
    assert admin.id


def test_profile_form_problems_are_explained_and_answers_kept(login_as, web, client, app):
    login_as("admin")
    with app.app_context():
        person_id = factories.make_user(full_name="Kept Answers").id
        db.session.commit()
    response = web.submit(f"/admin/facilitators/{person_id}", {"organisation": "  ", "bio": "My bio stays"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in html and "<title>Error:" in html
    assert 'href="#organisation"' in html and "Enter the organisation they work or volunteer for" in html
    assert 'href="#roles"' in html and "Choose at least one facilitator role" in html
    assert "My bio stays" in html
    with app.app_context():
        assert db.session.get(FacilitatorProfile, person_id) is None
        assert db.session.get(User, person_id).role_names == {"student"}


def test_edit_deactivate_and_reactivate_a_facilitator(login_as, web, client, app):
    w = _world(app)
    login_as("admin")
    page = client.get(f"/admin/facilitators/{w['peer']}").get_data(as_text=True)
    assert 'value="Peer forum"' in page and "Save profile" in page
    web.submit(f"/admin/facilitators/{w['peer']}", {
        "organisation": "Peer forum", "roles": ["peer_specialist", "other"], "bio": "", "active": "y",
    })
    assert "profile is saved" in client.get(f"/admin/facilitators/{w['peer']}").get_data(as_text=True)
    response = web.submit(f"/admin/facilitators/{w['peer']}/deactivate", {}, page=f"/admin/facilitators/{w['peer']}")
    assert response.headers["Location"] == f"/admin/facilitators/{w['peer']}"
    page = _text(client.get(f"/admin/facilitators/{w['peer']}").get_data(as_text=True))
    assert "Sam Patel is inactive and will not be offered for rosters" in page and "Reactivate" in page
    roster = client.get("/admin/rosters").get_data(as_text=True)
    assert f'<option value="{w["peer"]}">' not in roster
    web.submit(f"/admin/facilitators/{w['peer']}/reactivate", {}, page=f"/admin/facilitators/{w['peer']}")
    assert "Sam Patel is active again" in client.get(f"/admin/facilitators/{w['peer']}").get_data(as_text=True)
    assert f'<option value="{w["peer"]}">' in client.get("/admin/rosters").get_data(as_text=True)
    with app.app_context():
        details = [d for (d,) in db.session.execute(
            select(AuditEvent.detail).where(AuditEvent.subject_id == w["peer"])
        ).all()]
    assert "facilitator role other" in details
    assert "facilitator profile deactivated" in details and "facilitator profile reactivated" in details


def test_an_admin_can_save_a_bio_of_1000_characters_but_not_more(login_as, web, client, app):
    w = _world(app)
    login_as("admin")
    fields = {"organisation": "Peer forum", "roles": ["peer_specialist"], "active": "y"}
    response = web.submit(f"/admin/facilitators/{w['peer']}", {**fields, "bio": "b" * 1001})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and 'href="#bio"' in html
    assert "The bio must be 1,000 characters or fewer" in html and "b" * 1001 in html
    with app.app_context():
        assert db.session.get(FacilitatorProfile, w["peer"]).bio == ""
    response = web.submit(f"/admin/facilitators/{w['peer']}", {**fields, "bio": "b" * 1000})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(FacilitatorProfile, w["peer"]).bio == "b" * 1000


def test_admin_sees_the_days_a_facilitator_cannot_work(login_as, client, app):
    w = _world(app)
    with app.app_context():
        day = to_uk(soon(14)).date()
        factories.make_unavailability(w["peer"], day, note="Hospital appointment")
        db.session.commit()
    login_as("admin")
    label = f"{day.day} {day:%B %Y}"
    assert label in client.get("/admin/facilitators").get_data(as_text=True)
    page = client.get(f"/admin/facilitators/{w['peer']}").get_data(as_text=True)
    assert f"{label}: Hospital appointment" in page
    roster = _text(client.get("/admin/rosters").get_data(as_text=True))
    assert f"Sam Patel marked {label} as a day they cannot work." in roster


# --- The roster page ----------------------------------------------------------------------

def test_roster_page_shows_gaps_complete_and_only_eligible_people(login_as, client, app):
    w = _world(app, assign=("police_mh_coordinator", "social_worker"))
    with app.app_context():
        make_facilitator("clinician", name="Ravi Menon")  # holds no role Staying Safe needs
        complete = make_session_at(make_course("Complete Course", roles={"clinician": 1}), soon(20))
        assign_facilitator(complete, db.session.execute(select(User).where(User.full_name == "Ravi Menon")).scalar_one(),
                           "clinician", None)
        make_session_at(make_course("Far Away"), soon(80))  # beyond the default eight weeks
        db.session.commit()
    login_as("admin")
    html = client.get("/admin/rosters").get_data(as_text=True)
    text = _text(html)
    assert "Staying Safe" in text and "Complete Course" in text and "Far Away" not in text
    card = html.split(f'id="roster-session-{w["session"]}"', 1)[1].split("\n</li>", 1)[0]
    assert "nhsuk-tag--red" in card and "Missing: Peer specialist or peer trainer" in _text(card)
    assert "Claire Donovan" in card and "Marcus Bell" in card and "Remove" in card
    select_html = card.split(f'id="assign-{w["session"]}-peer_specialist"', 1)[1].split("</select>", 1)[0]
    assert re.findall(r'<option value="(\d*)">', select_html) == ["", str(w["peer"])]
    assert "Ravi Menon" not in card
    assert "2 sessions from" in text and "1 has gaps." in text
    only_gaps = _text(client.get("/admin/rosters?gaps=1").get_data(as_text=True))
    assert "Staying Safe" in only_gaps and "Complete Course" not in only_gaps
    later = _text(client.get(f"/admin/rosters?from={to_uk(soon(70)).date()}&to={to_uk(soon(90)).date()}").get_data(as_text=True))
    assert "Far Away" in later and "Staying Safe" not in later


def test_bad_dates_are_explained(login_as, client):
    login_as("admin")
    response = client.get("/admin/rosters?from=31/02/2027&to=2027-01-01")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "There is a problem" in html
    assert 'href="#from"' in html and "Enter a real date, like 2027-03-14" in html
    assert 'value="31/02/2027"' in html
    backwards = client.get("/admin/rosters?from=2027-02-01&to=2027-01-01")
    assert backwards.status_code == 400
    assert "The end date must be the same as or after the start date" in backwards.get_data(as_text=True)
    too_long = client.get("/admin/rosters?from=2027-01-01&to=2028-06-01")
    assert "Choose a range of a year or less" in too_long.get_data(as_text=True)


@pytest.mark.parametrize("query, field", [
    ("from=9999-12-31", "from"),
    ("from=9999-12-01&to=9999-12-31", "from"),
    ("from=31/12/9999", "from"),
    ("from=2027-01-01&to=31/12/9999", "to"),
    ("from=0001-01-01", "from"),
    ("from=1999-12-31&to=2000-01-05", "from"),
])
def test_dates_outside_2000_to_2100_are_explained_not_a_crash(login_as, client, query, field):
    login_as("admin")
    for url in (f"/admin/rosters?{query}", f"/admin/rosters.pdf?{query}"):
        response = client.get(url)
        html = response.get_data(as_text=True)
        assert response.status_code == 400, url
        assert "There is a problem" in html and f'href="#{field}"' in html, url
        assert "Enter a date between 2000 and 2100, like 2027-03-14" in html, url
    edge = client.get("/admin/rosters?from=2100-12-01&to=2100-12-31")
    assert edge.status_code == 200 and "0 sessions from 1 December 2100 to 31 December 2100" in _text(
        edge.get_data(as_text=True))
    assert client.get("/admin/rosters?from=2100-12-31").status_code == 200  # eight weeks on is 2101: fine


def test_someone_on_the_roster_who_now_has_a_clash_is_flagged_and_the_roster_is_not_complete(login_as, client, app):
    w = _world(app, assign=("police_mh_coordinator", "social_worker", "peer_specialist"))
    login_as("admin")
    assert ">Complete<" in client.get("/admin/rosters").get_data(as_text=True)
    with app.app_context():
        day = to_uk(soon(14)).date()
        factories.make_unavailability(w["peer"], day, note="Hospital appointment")
        db.session.commit()
    html = client.get("/admin/rosters").get_data(as_text=True)
    card = html.split(f'id="roster-session-{w["session"]}"', 1)[1].split("\n</li>", 1)[0]
    text = _text(card)
    assert ">Complete<" not in card and "nhsuk-tag--orange" in card
    assert "Check Needs checking: Peer specialist or peer trainer (Sam Patel has a clash)" in text
    person = next(_text(p.split("</li>", 1)[0]) for p in card.split('class="rec-roster-person"')[1:] if "Sam Patel" in p)
    assert f"Sam Patel (Peer forum) Clash Sam Patel marked {day.day} {day:%B %Y} as a day they cannot work." in person
    assert card.count("nhsuk-tag--red") == 1  # the Clash tag beside Sam only
    summary = _text(html)
    assert "1 has gaps." in summary and "Every roster is complete" not in summary
    assert "Staying Safe" in _text(client.get("/admin/rosters?gaps=1").get_data(as_text=True))


def test_assign_without_javascript_redirects_back_with_the_filters(login_as, web, client, app):
    w = _world(app, assign=("police_mh_coordinator", "social_worker"))
    login_as("admin")
    first, last = to_uk(utcnow()).date(), to_uk(soon(30)).date()
    page = f"/admin/rosters?from={first}&to={last}&gaps=1"
    html = client.get(page).get_data(as_text=True)
    action = f"/admin/rosters/sessions/{w['session']}/assign?from={first}&amp;to={last}&amp;gaps=1"
    assert f'action="{action}"' in html
    response = web.submit(action.replace("&amp;", "&"), {"role": "peer_specialist", "user_id": w["peer"]}, page=page)
    assert response.status_code == 302
    assert response.headers["Location"] == (
        f"/admin/rosters?from={first}&to={last}&gaps=1&keep={w['session']}#roster-session-{w['session']}"
    )
    after = _text(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "Sam Patel is on the roster as peer specialist or peer trainer. They have been sent an email. The roster is complete." in after
    assert "Complete" in after and "Missing:" not in after
    assert _roster(app, w["session"]) == [("peer_specialist", "Sam Patel"), ("police_mh_coordinator", "Claire Donovan"),
                                          ("social_worker", "Marcus Bell")]
    assert _messages(app) == [(w["peer_email"], "Recovery Education Centre session: you are on the roster")]


def test_assign_with_htmx_replaces_the_session_card_and_its_status(login_as, client, app):
    w = _world(app, assign=("police_mh_coordinator",))
    login_as("admin")
    token = csrf_from(client.get("/admin/rosters").get_data(as_text=True))
    headers = {"HX-Request": "true", "X-CSRFToken": token}
    url = f"/admin/rosters/sessions/{w['session']}/assign"
    response = client.post(url, data={"role": "social_worker", "user_id": w["social"]}, headers=headers)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith(f'<li id="roster-session-{w["session"]}"')
    assert "Gaps" in html and "Missing: Peer specialist or peer trainer" in _text(html)
    assert "Still missing: Peer specialist or peer trainer." in _text(html)
    response = client.post(url, data={"role": "peer_specialist", "user_id": w["peer"]}, headers=headers)
    html = response.get_data(as_text=True)
    assert "nhsuk-tag--green" in html and ">Complete<" in html and "The roster is complete." in html
    assert "Choose a facilitator" not in html
    assert response.headers["Vary"] and "HX-Request" in response.headers["Vary"]


def test_refusals_are_shown_next_to_the_control_or_in_an_error_summary(login_as, client, app):
    w = _world(app)
    with app.app_context():
        away = make_facilitator("peer_specialist", name="Day Off")
        factories.make_unavailability(away, to_uk(soon(14)).date())
        db.session.commit()
        away_id = away.id
    login_as("admin")
    token = csrf_from(client.get("/admin/rosters").get_data(as_text=True))
    url = f"/admin/rosters/sessions/{w['session']}/assign"
    # htmx: the card comes back with the reason beside the select.
    response = client.post(url, data={"role": "peer_specialist", "user_id": away_id},
                           headers={"HX-Request": "true", "X-CSRFToken": token})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "<html" not in html
    assert 'nhsuk-form-group--error' in html and "Day Off marked" in html and "as a day they cannot work" in html
    # Without JavaScript: the whole page with an error summary pointing at the control.
    response = client.post(url + "?gaps=1", data={"role": "peer_specialist", "user_id": away_id, "csrf_token": token})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "There is a problem" in html
    assert f'href="#assign-{w["session"]}-peer_specialist"' in html
    assert "Staying Safe, " in html and "Day Off marked" in html
    assert 'id="gaps" name="gaps" type="checkbox" value="1" checked' in html
    # Nothing chosen, or something that is not a person.
    for user_id in ("", "abc", "99999999999999999999", "-1"):
        response = client.post(url, data={"role": "peer_specialist", "user_id": user_id, "csrf_token": token})
        assert response.status_code == 400 and "Choose who will cover this role" in response.get_data(as_text=True)
    # A role the course does not need.
    response = client.post(url, data={"role": "clinician", "user_id": w["peer"], "csrf_token": token},
                           headers={"HX-Request": "true", "X-CSRFToken": token})
    assert "Staying Safe does not need anyone in the role “Clinician”." in response.get_data(as_text=True)
    assert _roster(app, w["session"]) == [] and _messages(app) == []


def test_remove_with_and_without_javascript(login_as, web, client, app):
    w = _world(app, assign=("police_mh_coordinator", "social_worker", "peer_specialist"))
    with app.app_context():
        ids = {a.role: a.id for a in db.session.execute(select(RosterAssignment)).scalars()}
    login_as("admin")
    html = client.get("/admin/rosters").get_data(as_text=True)
    assert ">Complete<" in html
    response = web.submit(f"/admin/rosters/assignments/{ids['social_worker']}/remove", {}, page="/admin/rosters")
    assert response.headers["Location"].endswith(f"#roster-session-{w['session']}")
    page = _text(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "Marcus Bell is no longer on the roster as social worker" in page and "Missing: Social worker" in page
    token = csrf_from(html)
    response = client.post(f"/admin/rosters/assignments/{ids['peer_specialist']}/remove",
                           headers={"HX-Request": "true", "X-CSRFToken": token})
    partial = response.get_data(as_text=True)
    assert partial.lstrip().startswith(f'<li id="roster-session-{w["session"]}"')
    assert "Missing: Peer specialist or peer trainer, Social worker" in _text(partial)
    assert _messages(app) == [
        (w["social_email"], "Recovery Education Centre session: you are no longer on the roster"),
        (w["peer_email"], "Recovery Education Centre session: you are no longer on the roster"),
    ]


def test_pending_offers_are_confirmed_or_declined(login_as, web, client, app):
    w = _world(app, assign=("police_mh_coordinator", "peer_specialist"))
    with app.app_context():
        session = db.session.get(CourseSession, w["session"])
        marcus = db.session.get(User, w["social"])
        amy = make_facilitator("social_worker", name="Amy Collins")
        first = offer_to_cover(session, marcus, "social_worker").id
        second = offer_to_cover(session, amy, "social_worker").id
        amy_email = amy.email
        db.session.commit()
    login_as("admin")
    html = client.get("/admin/rosters").get_data(as_text=True)
    text = _text(html)
    assert "Offers to cover" in text and "Marcus Bell offered to cover social worker." in text
    assert f'action="/admin/rosters/offers/{first}/confirm"' in html
    assert f'action="/admin/rosters/offers/{second}/decline"' in html
    token = csrf_from(html)
    response = client.post(f"/admin/rosters/offers/{first}/confirm", headers={"HX-Request": "true", "X-CSRFToken": token})
    partial = response.get_data(as_text=True)
    assert "Offer confirmed: Marcus Bell is on the roster as social worker." in _text(partial)
    assert ">Complete<" in partial
    # The role is covered: Amy's offer is withdrawn (she is told) and no longer listed.
    assert "Offers to cover" not in partial and f"roster-offer-{second}" not in partial
    with app.app_context():
        assert {o.id: o.status for o in db.session.execute(select(RosterOffer)).scalars()} == {
            first: "accepted", second: "withdrawn"}
    assert _messages(app) == [
        (w["social_email"], "Recovery Education Centre session: your offer to cover is confirmed"),
        (amy_email, "Recovery Education Centre session: about your offer to cover"),
    ]
    # From a page opened before (no JavaScript): the reason, and the summary links to it.
    response = web.submit(f"/admin/rosters/offers/{second}/confirm", {}, page="/admin/rosters")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "There is a problem" in html
    assert f'href="#roster-offer-{second}"' in html
    message = html.split(f'id="roster-offer-{second}"', 1)[1].split("</p>", 1)[0]
    assert "Amy Collins’s offer could not be confirmed: This offer has already been withdrawn." in message
    again = web.submit(f"/admin/rosters/offers/{second}/decline", {}, page="/admin/rosters")
    assert "This offer has already been withdrawn." in again.get_data(as_text=True)
    assert len(_messages(app)) == 2


def test_an_offer_that_cannot_be_confirmed_is_explained_beside_the_offer(login_as, web, client, app):
    """Marcus offered, then marked the day as one he cannot work: confirming is refused, and
    the reason is shown beside his offer (not at the role's Assign control), with and
    without JavaScript."""
    w = _world(app, assign=("police_mh_coordinator", "peer_specialist"))
    with app.app_context():
        offer_id = offer_to_cover(db.session.get(CourseSession, w["session"]), db.session.get(User, w["social"]),
                                  "social_worker").id
        factories.make_unavailability(w["social"], to_uk(soon(14)).date())
        db.session.commit()
    login_as("admin")
    token = csrf_from(client.get("/admin/rosters").get_data(as_text=True))
    url = f"/admin/rosters/offers/{offer_id}/confirm"
    reason = "Marcus Bell’s offer could not be confirmed: Marcus Bell marked"
    partial = client.post(url, headers={"HX-Request": "true", "X-CSRFToken": token}).get_data(as_text=True)
    offer_html = partial.split(f'id="roster-offer-{offer_id}"', 1)[1].split("</li>", 1)[0]
    assert reason in offer_html and f'id="roster-offer-{offer_id}-error"' in offer_html
    assert "nhsuk-form-group--error" not in partial
    response = web.submit(url, {}, page="/admin/rosters")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and f'href="#roster-offer-{offer_id}"' in html
    assert html.count(f'id="roster-offer-{offer_id}"') == 1
    assert reason in html.split(f'id="roster-offer-{offer_id}"', 1)[1].split("</li>", 1)[0]
    with app.app_context():
        assert db.session.get(RosterOffer, offer_id).status == "pending"
    assert _roster(app, w["session"]) == [("peer_specialist", "Sam Patel"), ("police_mh_coordinator", "Claire Donovan")]


def test_an_error_for_a_role_without_a_gap_is_shown_and_linked(login_as, web, client, app):
    """Assigning to a role that someone has just filled (a page opened before): the message
    has the id the error summary links to."""
    w = _world(app, assign=("police_mh_coordinator", "social_worker", "peer_specialist"))
    with app.app_context():
        spare = make_facilitator("peer_specialist", name="Spare Peer").id
        db.session.commit()
    login_as("admin")
    response = web.submit(f"/admin/rosters/sessions/{w['session']}/assign",
                          {"role": "peer_specialist", "user_id": spare}, page="/admin/rosters")
    html = response.get_data(as_text=True)
    anchor = f"assign-{w['session']}-peer_specialist"
    assert response.status_code == 400 and f'href="#{anchor}"' in html
    assert "The role “Peer specialist or peer trainer” is already covered on this session." in (
        html.split(f'id="{anchor}"', 1)[1].split("</p>", 1)[0])


# --- Query count -------------------------------------------------------------------------



def test_the_roster_page_runs_the_same_number_of_queries_whatever_the_data_size(login_as, client, app):
    login_as("admin")
    grow_rosters(app, sessions=2, facilitators=4, offset=0)
    with count_statements(app) as small:
        response = client.get("/admin/rosters")
    assert response.status_code == 200
    small_count = len(small)
    grow_rosters(app, sessions=30, facilitators=24, offset=100)
    with count_statements(app) as large:
        response = client.get("/admin/rosters")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.count('class="nhsuk-card rec-roster-session') >= 30
    assert html.count(">Clash</strong>") >= 2  # one from each size of data
    assert len(large) == small_count, "\n".join(large)
    assert small_count <= 20, "\n".join(small)
    with count_statements(app) as report:
        client.get("/admin/rosters/fidelity")
    with count_statements(app) as pdf_large:
        client.get("/admin/rosters.pdf")
    assert len(report) <= 10  # signing in (6) and the report's own three
    assert len(pdf_large) <= small_count


# --- PDF ---------------------------------------------------------------------------------

def test_roster_pdf_lists_sessions_names_and_status(login_as, client, app):
    w = _world(app, assign=("police_mh_coordinator", "peer_specialist"))
    login_as("admin")
    first, last = to_uk(utcnow()).date(), to_uk(soon(30)).date()
    documents.requested_urls.clear()
    response = client.get(f"/admin/rosters.pdf?from={first}&to={last}")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert response.headers["Content-Disposition"] == f'attachment; filename="roster-{first}-to-{last}.pdf"'
    assert response.headers["Cache-Control"] == "no-store"
    assert all(u.startswith((documents.STATIC_PREFIX, "data:")) for u in documents.requested_urls)
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    text = subprocess.run(["pdftotext", "-", "-"], input=response.data, capture_output=True,
                          check=True).stdout.decode()
    flat = re.sub(r"\s+", " ", text)
    assert f"Roster: {first.day} {first:%B %Y} to {last.day} {last:%B %Y}" in flat
    assert "Staying Safe" in flat and "Claire Donovan" in flat and "Sam Patel" in flat
    assert "Social worker: not covered" in flat and "Gaps" in flat and "Missing: Social worker" in flat
    assert "Marcus Bell" not in flat
    assert w["session"]
    # Someone on the roster with a clash: the PDF does not say Complete either.
    with app.app_context():
        session = db.session.get(CourseSession, w["session"])
        assign_facilitator(session, db.session.get(User, w["social"]), "social_worker", None)
        factories.make_unavailability(w["peer"], to_uk(session.starts_at).date())
        db.session.commit()
    clash = client.get(f"/admin/rosters.pdf?from={first}&to={last}")
    flat = re.sub(r"\s+", " ", subprocess.run(["pdftotext", "-", "-"], input=clash.data, capture_output=True,
                                             check=True).stdout.decode())
    assert "Complete" not in flat and "Missing: Peer specialist or peer trainer (Sam Patel has a clash)" in flat
    bad = client.get("/admin/rosters.pdf?from=nonsense")
    assert bad.status_code == 400 and "Enter a real date" in bad.get_data(as_text=True)


# --- Alerts and the report ---------------------------------------------------------------

def test_roster_alerts_command_flags_gaps_once(app):
    with app.app_context():
        admin = factories.make_user(roles=("admin",), email="office@example.org")
        course = make_course()
        gap = make_session_at(course, soon(5))
        make_session_at(course, soon(12))  # more than a week away
        db.session.commit()
        gap_id = admin.id and gap.id
    runner = app.test_cli_runner()
    result = runner.invoke(args=["rec", "roster-alerts"])
    assert result.exit_code == 0 and "Roster alerts: 1 session with gaps flagged to 1 admin." in result.output
    assert _messages(app) == [("office@example.org", "Recovery Education Centre rosters: 1 session needs facilitators")]
    again = runner.invoke(args=["rec", "roster-alerts"])
    assert "no new sessions with gaps in the next 7 days. Nothing sent." in again.output
    assert len(_messages(app)) == 1
    with app.app_context():
        assert db.session.get(CourseSession, gap_id).roster_alert_sent_at is not None


def test_fidelity_page_shows_counts_and_percentages(login_as, client, app):
    with app.app_context():
        police, social, peer = staying_safe_team()
        course = make_course()
        past = make_session_at(course, utcnow().replace(microsecond=0) - timedelta(days=30), status="completed")
        gap = make_session_at(course, utcnow().replace(microsecond=0) - timedelta(days=20))
        for person, role in ((police, "police_mh_coordinator"), (social, "social_worker"), (peer, "peer_specialist")):
            factories.add_to_roster(past, person, role)
        factories.add_to_roster(gap, peer)
        db.session.commit()
    login_as("admin")
    text = _text(client.get("/admin/rosters/fidelity").get_data(as_text=True))
    assert "Overall: 1 of 2 delivered sessions were fully co-delivered (50%)." in text
    assert "By term" in text and "By course" in text and "Each course in each term" in text
    assert ("Course Staying Safe Sessions delivered 2 Every role covered 1 (50%) Included a peer 2 (100%) "
            "Co-delivered (both) 1 (50%)") in text


def test_fidelity_page_with_nothing_delivered(login_as, client):
    login_as("admin")
    assert "No sessions have been delivered yet" in client.get("/admin/rosters/fidelity").get_data(as_text=True)


def test_demo_rosters_have_a_staying_safe_gap_an_offer_and_complete_past_sessions(app):
    result = app.test_cli_runner().invoke(args=["rec", "demo-data"])
    assert result.exit_code == 0
    from rec_portal.rosters.queries import build_rosters

    with app.app_context():
        now = utcnow()
        sessions = db.session.execute(select(CourseSession).order_by(CourseSession.starts_at)).scalars().all()
        rosters = {r.session.id: r for r in build_rosters(sessions)}
        past = [r for r in rosters.values() if r.session.starts_at < now]
        assert past and all(r.status.complete for r in past)
        staying_safe = next(r for r in rosters.values() if r.session.course.slug == "staying-safe" and r.session.starts_at > now)
        assert staying_safe.status.missing_text == "Social worker"
        assert [(o.user.full_name, o.role) for o in staying_safe.offers] == [("Marcus Bell", "social_worker")]
        upcoming = [r for r in rosters.values() if now < r.session.starts_at < now + timedelta(weeks=8)]
        assert sum(r.status.complete for r in upcoming) > len(upcoming) / 2
        sam = db.session.execute(select(User).where(User.email == "facilitator@example.org")).scalar_one()
        assert sam.facilitator.role_codes == ["peer_specialist"]
        roles = {p.user.full_name: p.role_codes for p in db.session.execute(select(FacilitatorProfile)).scalars()}
        for needed in ("police_mh_coordinator", "social_worker", "clinician", "carer_peer"):
            assert any(needed in codes for codes in roles.values())
        assert sum("peer_specialist" in codes for codes in roles.values()) >= 2
        assert db.session.execute(select(Unavailability)).first() is not None
        counts = (len(roles), len(rosters), db.session.execute(select(RosterAssignment.id)).all())
    again = app.test_cli_runner().invoke(args=["rec", "demo-data"])
    assert "nothing new to add" in again.output
    with app.app_context():
        assert len(db.session.execute(select(RosterAssignment.id)).all()) == len(counts[2])
        assert len(db.session.execute(select(OutboxMessage.id)).all()) == 0
