"""Enrolment: what registration asks, the student number, and editing it in My account."""

from __future__ import annotations

from sqlalchemy import select

from rec_portal.extensions import db
from rec_portal.models import AuditEvent, User

ENROL = {
    "full_name": "Grace Hopper", "preferred_name": "Grace", "email": "grace@example.org",
    "password": "compiler-navy-1952-x", "confirm_password": "compiler-navy-1952-x",
    "pronouns": "she/her", "relationship_to_services": "staff", "team": "Community Team North",
    "referral_source": "care_team", "referral_detail": "Dr Rivers",
    "phone": "07700 900321", "contact_preference": "text",
    "access_needs": "Large print handouts", "consent": "y",
}


def test_enrolment_stores_every_answer_and_gives_a_student_number(web, client, app):
    response = web.enrol(ENROL)  # follows the link in the email
    assert response.headers["Location"] == "/"  # the home page, which offers the optional questions
    with app.app_context():
        user = db.session.execute(select(User)).scalar_one()
        p = user.profile
        assert (p.pronouns, p.relationship_to_services, p.team) == ("she/her", "staff", "Community Team North")
        assert (p.referral_source, p.referral_detail) == ("care_team", "Dr Rivers")
        assert (p.phone, p.contact_preference, p.access_needs) == ("07700 900321", "text", "Large print handouts")
        number = user.student_number
        assert number == f"REC-{user.id:06d}"
        # Registration is one audit event, not an enrolment change.
        events = [e for (e,) in db.session.execute(select(AuditEvent.event))]
        assert "account.enrolment_changed" not in events
    page = client.get("/my/account").get_data(as_text=True)
    for shown in (number, "she/her", "Staff", "Community Team North", "My care team", "Dr Rivers",
                  "07700 900321", "Text message", "Large print handouts"):
        assert shown in page, shown


def test_enrolment_problems_are_listed_and_answers_kept(web, app):
    html = web.submit("/register", {**ENROL, "team": "", "phone": "", "relationship_to_services": "staff"}).get_data(as_text=True)
    assert "Enter your team or organisation" in html
    assert "Enter a phone number, or choose email, so that we can contact you" in html
    assert 'value="she/her"' in html and "Large print handouts" in html and 'value="Dr Rivers"' in html
    assert '<title>Error: Enrol with the REC' in html
    missing = web.submit("/register", {k: v for k, v in ENROL.items() if k != "relationship_to_services"})
    assert "Select how you are connected to mental health services" in missing.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(User)).first() is None  # nothing half-saved


def test_optional_answers_can_be_left_out(web, app):
    minimal = {k: ENROL[k] for k in ("full_name", "email", "password", "confirm_password", "consent")}
    response = web.enrol({**minimal, "relationship_to_services": "carer", "contact_preference": "email"})
    assert response.status_code == 302
    with app.app_context():
        p = db.session.execute(select(User)).scalar_one().profile
        assert (p.relationship_to_services, p.pronouns, p.referral_source, p.team) == ("carer", "", "", "")


def test_student_edits_about_you_and_contact_details(login_as, web, client, app):
    me = login_as("student")
    form = client.get("/my/account/about").get_data(as_text=True)
    assert "How are you connected to mental health services?" in form
    bad = web.submit("/my/account/about", {"relationship_to_services": "staff", "pronouns": "they/them"})
    assert bad.status_code == 400 and 'value="they/them"' in bad.get_data(as_text=True)
    ok = web.submit("/my/account/about", {"relationship_to_services": "staff", "team": "Crisis Team",
                                           "pronouns": "they/them", "referral_source": "gp"})
    assert ok.headers["Location"] == "/my/account"
    # Moving away from "staff" clears the team, which only means something for staff.
    web.submit("/my/account/about", {"relationship_to_services": "service_user", "team": "Crisis Team",
                                     "pronouns": "they/them", "referral_source": "gp"})
    contact = web.submit("/my/account/support", {"phone": "", "contact_preference": "phone", "access_needs": ""})
    assert "Enter a phone number, or choose email" in contact.get_data(as_text=True)
    web.submit("/my/account/support", {"phone": "0300 123 4567", "contact_preference": "phone", "access_needs": "Breaks"})
    page = client.get("/my/account").get_data(as_text=True)
    assert "they/them" in page and "Phone call" in page and "My GP" in page
    with app.app_context():
        p = db.session.get(User, me.id).profile
        assert (p.relationship_to_services, p.team, p.contact_preference) == ("service_user", "", "phone")
        details = [d for (d,) in db.session.execute(
            select(AuditEvent.detail).where(AuditEvent.event == "account.enrolment_changed"))]
        assert details and all("Crisis" not in d and "0300" not in d for d in details)
        assert "relationship to services, team" in details[1]


def test_enrolment_pages_need_sign_in_and_csrf(login_as, client, app):
    for url in ("/my/account/about", "/my/account/support"):
        assert client.get(url).headers["Location"].startswith("/login")
    me = login_as("student")
    assert client.post("/my/account/about", data={"relationship_to_services": "carer"}).status_code == 400
    with app.app_context():
        assert db.session.get(User, me.id).profile is None


def test_only_admins_see_enrolment_details_of_others(login_as, client, app):
    from tests import factories

    with app.app_context():
        other = factories.make_user(full_name="Other Student")
        from rec_portal.account.operations import update_profile

        update_profile(other, pronouns="ze/zir", access_needs="Quiet room", record=False)
        db.session.commit()
        other_id = other.id
    login_as("facilitator")
    assert client.get(f"/admin/people/{other_id}").status_code == 403
    client.post("/logout", data={})
    fresh = app.test_client()
    from tests.conftest import Browserless

    with app.app_context():
        factories.make_user(roles=("admin",), email="boss@example.org")
        db.session.commit()
    Browserless(fresh).login("boss@example.org")
    page = fresh.get(f"/admin/people/{other_id}").get_data(as_text=True)
    assert "ze/zir" in page and "Quiet room" in page
