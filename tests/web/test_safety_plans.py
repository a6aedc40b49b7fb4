"""The personal safety plan at /my/safety-plan: private to its owner, saved section by
section (htmx) or as one form (no JavaScript), trusted people, chosen support services,
a PDF, and nothing typed lost when the session expires."""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from rec_portal import documents
from rec_portal.drafts import take_drafts
from rec_portal.errors import DomainError
from rec_portal.extensions import db
from rec_portal.models import (
    AuditEvent,
    SafetyPlan,
    SafetyPlanService,
    SavedDraft,
    SupportService,
    TrustedPerson,
    User,
    UserSession,
)
from rec_portal.models.safety import SECTIONS
from rec_portal.safety_plans import operations
from rec_portal.demo import safety_plans as safety_plans_demo
from rec_portal.timeutil import to_uk, uk_clock, utcnow
from tests import factories
from tests.conftest import Browserless, csrf_from

PAGE = "/my/safety-plan"
TEXT = {
    "unsafe_situations": "Walking home past the station after dark",
    "warning_signs": "My heart races and I stop answering my phone",
    "keeping_safe": "Tell my sister where I am going",
    "safe_places": "The library on Elm Street",
    "reporting": "Call 101, or ask my support worker to help me report it",
}


# --- helpers ------------------------------------------------------------------------------

def _html(response) -> str:
    return response.get_data(as_text=True)


def _plan(app, user_id) -> dict | None:
    with app.app_context():
        plan = db.session.get(SafetyPlan, user_id)
        return {name: getattr(plan, name) for name in SECTIONS} if plan else None


def _people(app, user_id) -> list[tuple[str, str, str]]:
    with app.app_context():
        rows = db.session.execute(
            select(TrustedPerson).where(TrustedPerson.user_id == user_id).order_by(TrustedPerson.position)
        ).scalars()
        return [(p.name, p.relationship_to_me, p.phone) for p in rows]


def _service(app, name="Victim Support Supportline", **fields) -> int:
    with app.app_context():
        service = factories.make_support_service(
            name,
            phone=fields.pop("phone", "08 08 16 89 111"),
            website=fields.pop("website", "https://www.victimsupport.org.uk/"),
            opening_hours=fields.pop("opening_hours", "24 hours a day, every day"),
            **fields,
        )
        db.session.commit()
        return service.id


def _give_plan(app, user_id, people=(), service_ids=(), **sections) -> None:
    with app.app_context():
        user = db.session.get(User, user_id)
        if sections:
            operations.save_sections(user, sections)
        for name, relationship, phone in people:
            operations.add_trusted_person(user, name, relationship, phone)
        for service_id in service_ids:
            operations.add_service(user, db.session.get(SupportService, service_id))
        db.session.commit()


def _someone_else(app, secret="OTHER PERSON'S SECRET PLAN") -> int:
    """Another student with a plan, a trusted person and a service; returns their id."""
    with app.app_context():
        other = factories.make_user(email="other@example.org")
        db.session.commit()
        other_id = other.id
    service_id = _service(app, name="Their chosen service")
    _give_plan(app, other_id, people=[("Their Friend Pat", "friend", "07700 900999")],
               service_ids=[service_id], warning_signs=secret)
    return other_id


def _htmx_post(client, url, data, page=PAGE, **headers):
    token = csrf_from(_html(client.get(page)))
    return client.post(url, data=data, headers={"HX-Request": "true", "X-CSRFToken": token,
                                                "HX-Current-URL": f"http://localhost{page}", **headers})


def _expire(app) -> None:
    with app.app_context():
        idle = app.config["REC_IDLE_TIMEOUT"]
        db.session.execute(update(UserSession).values(last_seen_at=utcnow() - idle - timedelta(minutes=1)))
        db.session.commit()


def _audit_text(app) -> str:
    with app.app_context():
        rows = db.session.execute(select(AuditEvent)).scalars().all()
        return " ".join(f"{r.event} {r.detail or ''}" for r in rows)


def _pdf_text(data: bytes, tmp_path) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = tmp_path / "plan.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True)
    return out.stdout


def _needs_pdf():
    if not documents.pdf_available():
        pytest.skip("WeasyPrint is not available")


# --- operations ---------------------------------------------------------------------------

def test_save_sections_creates_the_plan_and_counts_new_lines_once(app_ctx):
    user = factories.make_user()
    plan = operations.save_sections(user, {"warning_signs": "  first line\r\nsecond line  "})
    assert plan.warning_signs == "first line\nsecond line"
    assert plan.unsafe_situations == "" and plan.reporting == ""
    # 2,500 lines typed in a browser: 5,000 characters once CR LF is one new line.
    operations.save_sections(user, {"safe_places": "a\r\n" * 2499 + "b"})
    assert len(db.session.get(SafetyPlan, user.id).safe_places) == 4999


def test_save_sections_refuses_too_long_text_and_saves_none_of_it(app_ctx):
    user = factories.make_user()
    operations.save_sections(user, {"warning_signs": "before"})
    with pytest.raises(DomainError) as refused:
        operations.save_sections(user, {"keeping_safe": "fine", "warning_signs": "x" * 5001})
    assert refused.value.field == "warning_signs"
    assert refused.value.message == (
        "Your warning signs must be 5,000 characters or fewer. You have written 5,001."
    )
    plan = db.session.get(SafetyPlan, user.id)
    assert (plan.warning_signs, plan.keeping_safe) == ("before", "")
    with pytest.raises(DomainError):
        operations.save_sections(user, {"user_id": "7"})


def test_trusted_people_rules(app_ctx):
    user = factories.make_user()
    first = operations.add_trusted_person(user, "  Sam   Jones ", "my brother", "+44 (0)7700 900123")
    second = operations.add_trusted_person(user, "Ola")
    assert (first.name, first.phone, first.position) == ("Sam Jones", "+44 (0)7700 900123", 1)
    assert (second.relationship_to_me, second.phone, second.position) == ("", "", 2)
    for name, phone, field, message in [
        ("", "", "name", "Enter the person’s name"),
        ("A" * 201, "", "name", "Name must be 200 characters or fewer"),
        ("Kim", "ring me", "phone", "Enter a phone number using numbers only"),
        ("Kim", "07700-900123", "phone", "Enter a phone number using numbers only"),
        ("Kim", "( )", "phone", "Enter a phone number using numbers only"),
        ("Kim", "1" * 41, "phone", "Phone number must be 40 characters or fewer"),
    ]:
        with pytest.raises(DomainError) as refused:
            operations.add_trusted_person(user, name, "", phone)
        assert refused.value.field == field and refused.value.message.startswith(message)
    operations.remove_trusted_person(first)
    assert [p.name for p in db.session.execute(select(TrustedPerson)).scalars()] == ["Ola"]


def test_a_plan_holds_at_most_thirty_people(app_ctx):
    user = factories.make_user()
    for n in range(operations.PEOPLE_MAX):
        operations.add_trusted_person(user, f"Person {n}")
    with pytest.raises(DomainError, match="up to 30 people"):
        operations.add_trusted_person(user, "One more")


def test_services_are_added_once_and_removed(app_ctx):
    user = factories.make_user()
    service = factories.make_support_service("Samaritans", phone="116 123")
    operations.add_service(user, service)
    operations.add_service(user, service)
    assert db.session.execute(select(SafetyPlanService)).scalars().all()[0].service_id == service.id
    assert operations.remove_service(user, service.id) is True
    assert operations.remove_service(user, service.id) is False


def test_apply_drafts_saves_the_latest_text_and_hands_back_what_breaks_a_rule(app_ctx):
    user = factories.make_user()
    operations.save_sections(user, {"safe_places": "kept as it was"})
    outcome = operations.apply_drafts(user, [
        {"warning_signs": ["older"], "keeping_safe": ["x" * 5001]},
        {"warning_signs": ["newer"]},
        {"person_name": ["Ola"], "person_relationship": ["friend"], "person_phone": ["07700 900321"]},
        {"person_name": [""], "person_phone": ["07700 900000"]},
        {"person_name": ["Bad phone"], "person_phone": ["call me"]},
    ])
    plan = db.session.get(SafetyPlan, user.id)
    assert (plan.warning_signs, plan.keeping_safe, plan.safe_places) == ("newer", "", "kept as it was")
    assert outcome.applied is True
    assert outcome.sections == {"keeping_safe": "x" * 5001}
    assert outcome.person == {"name": "Bad phone", "relationship": "", "phone": "call me"}
    assert [(p.name, p.phone) for p in db.session.execute(select(TrustedPerson)).scalars()] == [
        ("Ola", "07700 900321")
    ]


# --- who can open it ----------------------------------------------------------------------

@pytest.mark.parametrize("url", [PAGE, f"{PAGE}.pdf"])
def test_signed_out_visitors_are_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.headers["Location"] == f"/login?next={url}"


@pytest.mark.parametrize("url,data", [
    (PAGE, {"warning_signs": "x"}),
    (f"{PAGE}/sections/warning_signs", {"warning_signs": "x"}),
    (f"{PAGE}/people", {"person_name": "Sam"}),
    (f"{PAGE}/people/1/remove", {}),
    (f"{PAGE}/services/1/remove", {}),
])
def test_signed_out_posts_go_to_sign_in_and_keep_nothing(client, web, app, url, data):
    response = web.submit(url, data, page="/login")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")
    htmx = _htmx_post(client, url, data, page="/login")
    assert htmx.headers["HX-Redirect"].startswith("/login")
    with app.app_context():  # nobody ever signed in on this browser: no owner to keep it for
        assert db.session.execute(select(SavedDraft)).first() is None


@pytest.mark.parametrize("role", ["student", "facilitator", "admin"])
def test_every_role_opens_only_their_own_plan(login_as, client, app, role):
    other_id = _someone_else(app)
    me = login_as(role)
    _give_plan(app, me.id, people=[("My Friend Jo", "friend", "07700 900111")],
               warning_signs=f"my own words as {role}")
    response = client.get(PAGE)
    html = _html(response)
    assert response.status_code == 200
    assert f"my own words as {role}" in html and "My Friend Jo" in html
    assert "OTHER PERSON'S SECRET PLAN" not in html and "Their Friend Pat" not in html
    assert "Their chosen service" not in html
    # There is no way to address another person's plan: parameters are ignored ...
    for guess in (f"{PAGE}?user_id={other_id}", f"{PAGE}?id={other_id}&student={other_id}"):
        guessed = _html(client.get(guess))
        assert f"my own words as {role}" in guessed and "OTHER PERSON'S SECRET PLAN" not in guessed
    # ... and nothing else leads to it.
    for url in (f"/admin/students/{other_id}/safety-plan", f"/admin/people/{other_id}/safety-plan",
                f"/my/safety-plan/{other_id}", "/admin/safety-plans", "/facilitate/safety-plans",
                f"/admin/students/{other_id}/safety-plan.pdf", f"/my/safety-plan/{other_id}.pdf"):
        assert client.get(url).status_code == 404, url


def test_staff_pages_about_a_student_never_show_their_safety_plan(login_as, client, app):
    other_id = _someone_else(app)
    login_as("admin")
    for url in (f"/admin/people/{other_id}", f"/admin/students/{other_id}/plan", "/admin/audit",
                "/admin/people?q=other"):
        html = _html(client.get(url))
        assert "OTHER PERSON'S SECRET PLAN" not in html and "Their Friend Pat" not in html, url


def test_another_persons_trusted_person_or_service_is_not_found(login_as, web, client, app):
    other_id = _someone_else(app)
    with app.app_context():
        person_id = db.session.execute(select(TrustedPerson.id).where(TrustedPerson.user_id == other_id)).scalar_one()
        service_id = db.session.execute(
            select(SafetyPlanService.service_id).where(SafetyPlanService.user_id == other_id)
        ).scalar_one()
    login_as("admin")
    for url in (f"{PAGE}/people/{person_id}/remove", f"{PAGE}/services/{service_id}/remove",
                f"{PAGE}/people/99999/remove", f"{PAGE}/services/99999/remove"):
        assert web.submit(url, {}, page=PAGE).status_code == 404, url
        assert client.get(url).status_code == 404, url
        assert _htmx_post(client, url, {}).status_code == 404, url
    assert _people(app, other_id) == [("Their Friend Pat", "friend", "07700 900999")]
    with app.app_context():
        assert db.session.execute(select(SafetyPlanService.id)).scalar_one()


def test_the_page_is_never_stored_and_offers_a_quick_exit(login_as, client, app):
    login_as("student")
    response = client.get(PAGE)
    html = _html(response)
    assert "no-store" in response.headers["Cache-Control"]
    assert "Leave this page quickly" in html and 'data-rec-quick-exit' in html
    assert re.search(r'<(div|aside) class="rec-quick-exit"[^>]* hx-history="false"', html)
    assert "Only you can see it." in html and "REC staff and facilitators cannot open it" in html
    assert 'href="/support"' in html and "Find support services" in html
    htmx = _htmx_post(client, f"{PAGE}/sections/warning_signs", {"warning_signs": "x"})
    assert "no-store" in htmx.headers["Cache-Control"]


def test_the_nav_shows_the_safety_plan_to_students(login_as, client):
    login_as("student")
    assert f'href="{PAGE}"' in _html(client.get("/"))


# --- writing the plan ---------------------------------------------------------------------

def test_empty_plan_page_lists_every_section_with_hints(login_as, client):
    login_as("student")
    html = _html(client.get(PAGE))
    for name, heading in SECTIONS.items():
        assert f'<textarea class="nhsuk-textarea nhsuk-js-character-count" id="{name}" name="{name}"' in html
        assert heading in html
        assert f'hx-post="{PAGE}/sections/{name}"' in html
        assert f'id="save-status-{name}" role="status"' in html
    assert "What do you notice when things start to feel unsafe? For example" in html
    assert html.count("Save my plan<span class=\"nhsuk-u-visually-hidden\"> (") == 5  # each names its section
    # Fixed guidance beside the reporting section.
    for words in ("call <a href=\"tel:999\">999</a>", "text 999 if you have registered for emergencySMS",
                  "call <a href=\"tel:101\">101</a>", "local police force’s website",
                  "Crimestoppers on <a class=\"rec-nowrap\" href=\"tel:0800555111\">0800 555 111</a>",
                  "Victim Support, True Vision for hate crime, or a hate crime reporting centre"):
        assert words in html
    assert "You have not added anyone yet." in html and "You have not chosen any services yet." in html


def test_save_the_whole_form_without_javascript(login_as, web, client, app):
    me = login_as("student")
    response = web.submit(PAGE, {**TEXT, "save": "warning_signs"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"{PAGE}?saved=warning_signs#section-warning_signs"
    assert _plan(app, me.id) == TEXT
    html = _html(client.get(response.headers["Location"]))
    assert "Your safety plan has been saved." in html
    for text in TEXT.values():
        assert text in html
    # The last Save button (or none named) comes back to the last section.
    response = web.submit(PAGE, {**TEXT, "warning_signs": "", "save": "nonsense"})
    assert response.headers["Location"] == f"{PAGE}?saved=reporting#section-reporting"
    assert _plan(app, me.id)["warning_signs"] == ""


def test_too_long_text_is_refused_with_the_text_kept_and_nothing_saved(login_as, web, app):
    me = login_as("student")
    _give_plan(app, me.id, warning_signs="saved before")
    long_text = "I want to keep every word of this. " * 150  # 5,249 characters without the last space
    response = web.submit(PAGE, {**TEXT, "keeping_safe": long_text, "save": "keeping_safe"})
    html = _html(response)
    assert response.status_code == 400
    assert "There is a problem" in html and '<a href="#keeping_safe"' in html
    message = "Things you can do to keep safe must be 5,000 characters or fewer. You have written 5,249."
    assert html.count(message) == 2  # in the summary and beside the box
    assert 'nhsuk-form-group--error' in html and 'id="keeping_safe-error"' in html
    assert long_text.strip() in html and TEXT["warning_signs"] in html
    assert html.lstrip().startswith("<!DOCTYPE html>") and "<title>Error: My safety plan" in html
    assert _plan(app, me.id)["warning_signs"] == "saved before"


def test_a_section_saves_itself_with_htmx(login_as, client, app):
    me = login_as("student")
    _give_plan(app, me.id, **TEXT)
    response = _htmx_post(client, f"{PAGE}/sections/safe_places",
                          {"safe_places": "My aunt's flat\r\nThe café", "warning_signs": "IGNORED"})
    html = _html(response)
    assert response.status_code == 200
    assert html == f'<span class="rec-save-status__saved">Saved at {uk_clock(utcnow())}</span>'
    assert _plan(app, me.id) == {**TEXT, "safe_places": "My aunt's flat\nThe café"}


def test_a_section_that_is_too_long_is_not_saved_and_says_why_in_its_status(login_as, client, app):
    me = login_as("student")
    _give_plan(app, me.id, **TEXT)
    response = _htmx_post(client, f"{PAGE}/sections/warning_signs", {"warning_signs": "y" * 5001})
    html = _html(response)
    assert response.status_code == 400
    assert "Not saved yet. Your warning signs must be 5,000 characters or fewer. You have written 5,001." in html
    assert "<html" not in html and "data-rec-focus" not in html and "error-summary" not in html
    assert _plan(app, me.id) == TEXT


def test_a_section_without_htmx_saves_and_returns_to_the_page(login_as, web, client, app):
    me = login_as("student")
    _give_plan(app, me.id, **TEXT)
    response = web.submit(f"{PAGE}/sections/reporting", {"reporting": "Call 999"}, page=PAGE)
    assert response.headers["Location"] == f"{PAGE}?saved=reporting#section-reporting"
    assert _plan(app, me.id) == {**TEXT, "reporting": "Call 999"}
    refused = web.submit(f"{PAGE}/sections/reporting", {"reporting": "z" * 5001}, page=PAGE)
    html = _html(refused)
    assert refused.status_code == 400 and "There is a problem" in html
    assert "z" * 5001 in html and TEXT["warning_signs"] in html
    assert client.get(f"{PAGE}/sections/reporting").headers["Location"] == f"{PAGE}#section-reporting"
    assert web.submit(f"{PAGE}/sections/user_id", {"user_id": "1"}, page=PAGE).status_code == 404


def test_posts_without_the_csrf_token_are_refused(login_as, client, app):
    me = login_as("student")
    client.get(PAGE)
    for url, data in ((PAGE, TEXT), (f"{PAGE}/sections/warning_signs", {"warning_signs": "x"}),
                      (f"{PAGE}/people", {"person_name": "Sam"})):
        assert client.post(url, data=data).status_code == 400
        assert client.post(url, data=data, headers={"HX-Request": "true"}).status_code == 400
    assert _plan(app, me.id) is None and _people(app, me.id) == []


# --- trusted people -----------------------------------------------------------------------

def test_add_and_remove_a_trusted_person_without_javascript(login_as, web, client, app):
    me = login_as("student")
    response = web.submit(f"{PAGE}/people", {"person_name": "Sam Jones", "person_relationship": "my brother",
                                             "person_phone": "07700 900123"}, page=PAGE)
    assert response.headers["Location"] == f"{PAGE}?people=added#trusted-people"
    html = _html(client.get(response.headers["Location"]))
    assert "The person has been added." in html
    assert "<strong>Sam Jones</strong>" in html and ", my brother" in html
    assert '<a class="rec-nowrap" href="tel:07700900123">07700 900123</a>' in html
    assert _people(app, me.id) == [("Sam Jones", "my brother", "07700 900123")]
    with app.app_context():
        person_id = db.session.execute(select(TrustedPerson.id)).scalar_one()
    assert client.get(f"{PAGE}/people/{person_id}/remove").headers["Location"] == f"{PAGE}#trusted-people"
    response = web.submit(f"{PAGE}/people/{person_id}/remove", {}, page=PAGE)
    assert response.headers["Location"] == f"{PAGE}?people=removed#trusted-people"
    assert "The person has been removed." in _html(client.get(response.headers["Location"]))
    assert _people(app, me.id) == []


def test_trusted_person_mistakes_are_shown_with_what_was_typed(login_as, web, app):
    me = login_as("student")
    _give_plan(app, me.id, warning_signs="still here")
    response = web.submit(f"{PAGE}/people", {"person_name": "", "person_relationship": "my neighbour",
                                             "person_phone": "ring the bell"}, page=PAGE)
    html = _html(response)
    assert response.status_code == 400
    assert 'href="#person_name"' in html and html.count("Enter the person’s name") == 2
    assert 'href="#person_phone"' in html and html.count("Enter a phone number using numbers only") == 2
    assert 'value="my neighbour"' in html and 'value="ring the bell"' in html
    assert "still here" in html and _people(app, me.id) == []


def test_trusted_people_change_in_place_with_htmx(login_as, client, app):
    me = login_as("student")
    response = _htmx_post(client, f"{PAGE}/people", {"person_name": "Ola <b>Bold</b>",
                                                     "person_phone": "+44 (0)7700 900222"})
    html = _html(response)
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="trusted-people"') and "<html" not in html
    assert "Ola &lt;b&gt;Bold&lt;/b&gt; has been added." in html and "data-rec-focus" in html
    assert 'href="tel:+4407700900222"' in html and 'value=""' in html  # a fresh form
    refused = _htmx_post(client, f"{PAGE}/people", {"person_name": "", "person_relationship": "aunt"})
    refused_html = _html(refused)
    assert refused.status_code == 400 and refused_html.lstrip().startswith('<section id="trusted-people"')
    assert "nhsuk-error-summary" in refused_html and 'value="aunt"' in refused_html
    with app.app_context():
        person_id = db.session.execute(select(TrustedPerson.id)).scalar_one()
    removed = _html(_htmx_post(client, f"{PAGE}/people/{person_id}/remove", {}))
    assert removed.lstrip().startswith('<section id="trusted-people"')
    assert "Ola &lt;b&gt;Bold&lt;/b&gt; has been removed." in removed and "You have not added anyone yet." in removed
    assert _people(app, me.id) == []


# --- support services ---------------------------------------------------------------------

def test_chosen_services_are_listed_and_can_be_removed(login_as, web, client, app):
    me = login_as("student")
    current = _service(app)
    retired = _service(app, name="Old Helpline", phone="0800 000 0000", website="", opening_hours="",
                       retired_at=utcnow())
    _give_plan(app, me.id, service_ids=[current, retired])
    html = _html(client.get(PAGE))
    assert "Victim Support Supportline" in html
    assert '<a class="rec-nowrap" href="tel:08081689111">08 08 16 89 111</a>' in html
    assert 'href="https://www.victimsupport.org.uk/"' in html and "www.victimsupport.org.uk</a>" in html
    assert "24 hours a day, every day" in html
    assert 'Old Helpline <span class="rec-plan-list__retired">(no longer in the guide)</span>' in html
    response = web.submit(f"{PAGE}/services/{retired}/remove", {}, page=PAGE)
    assert response.headers["Location"] == f"{PAGE}?services=removed#services"
    assert "The service has been taken out of your plan." in _html(client.get(response.headers["Location"]))
    partial = _html(_htmx_post(client, f"{PAGE}/services/{current}/remove", {}))
    assert partial.lstrip().startswith('<section id="services"') and "<html" not in partial
    assert "Victim Support Supportline has been taken out of your plan." in partial
    assert "You have not chosen any services yet." in partial
    with app.app_context():
        assert db.session.execute(select(SafetyPlanService)).first() is None


def test_add_a_service_from_the_support_guide(login_as, web, client, app):
    me = login_as("student")
    service_id = _service(app)
    response = web.submit(f"{PAGE}/services", {"service_id": service_id, "next": "/support?need=hate_crime"},
                          page=PAGE)
    assert response.headers["Location"] == "/support?need=hate_crime"
    partial = _html(_htmx_post(client, f"{PAGE}/services", {"service_id": service_id, "next": "//evil.example"}))
    assert partial.lstrip().startswith(f'<div id="plan-service-{service_id}"')
    assert "is in your safety plan" in partial and f'href="{PAGE}#services"' in partial
    with app.app_context():
        assert db.session.execute(
            select(SafetyPlanService.service_id).where(SafetyPlanService.user_id == me.id)
        ).scalars().all() == [service_id]


# --- privacy ------------------------------------------------------------------------------

def test_plan_content_never_reaches_the_audit_log_or_the_app_log(login_as, web, client, app, caplog):
    caplog.set_level(logging.DEBUG, logger="rec_portal")
    caplog.set_level(logging.DEBUG, logger="flask")
    me = login_as("student")
    secret = "SECRET-SECTION-TEXT"
    web.submit(PAGE, {**TEXT, "warning_signs": secret})
    _htmx_post(client, f"{PAGE}/sections/safe_places", {"safe_places": secret + " 2"})
    _htmx_post(client, f"{PAGE}/sections/reporting", {"reporting": secret * 400})  # refused
    web.submit(f"{PAGE}/people", {"person_name": "SECRET-PERSON", "person_phone": "07700 900777"}, page=PAGE)
    web.submit(f"{PAGE}/people", {"person_name": "SECRET-PERSON", "person_phone": "bad"}, page=PAGE)
    client.post(PAGE, data={"warning_signs": secret + " no token"})  # CSRF refusal is logged
    if documents.pdf_available():
        assert client.get(f"{PAGE}.pdf").status_code == 200
    assert _plan(app, me.id)["warning_signs"] == secret
    logged = caplog.text + " ".join(str(r.args) for r in caplog.records)
    audit = _audit_text(app)
    for text in ("SECRET", "07700 900777", "900777"):
        assert text not in logged and text not in audit
    assert "CSRF" in logged  # the log was really captured


# --- the session expires ------------------------------------------------------------------

def test_text_posted_after_the_session_expired_comes_back_after_signing_in(login_as, web, client, app):
    me = login_as("student")
    _give_plan(app, me.id, warning_signs="saved earlier", safe_places="the library")
    page_token = csrf_from(_html(client.get(PAGE)))
    _expire(app)
    words = {**TEXT, "warning_signs": "typed while the session ran out"}
    response = client.post(PAGE, data={**words, "csrf_token": page_token, "save": "warning_signs"})
    assert response.status_code == 302 and response.headers["Location"] == f"/login?next={PAGE}"
    login_page = _html(client.get(response.headers["Location"]))
    assert "We have kept what you typed" in login_page
    # The same form sent by htmx (a Save button while JavaScript runs): a full-page sign in.
    words["safe_places"] = "added in a second try"
    htmx = client.post(PAGE, data={**words, "csrf_token": page_token},
                       headers={"HX-Request": "true", "HX-Current-URL": f"http://localhost{PAGE}"})
    assert htmx.status_code == 200 and htmx.headers["HX-Redirect"] == f"/login?next={PAGE}"
    assert _plan(app, me.id)["warning_signs"] == "saved earlier"  # not saved yet
    signed_in = web.submit(f"/login?next={PAGE}", {"email": me.email, "password": factories.PASSWORD})
    assert signed_in.headers["Location"] == PAGE
    html = _html(client.get(PAGE))
    assert "We saved what you typed before you were signed out. Check it below." in html
    assert "typed while the session ran out" in html
    assert _plan(app, me.id) == words
    # Handed back once only.
    assert "We saved what you typed" not in _html(client.get(PAGE))


def test_autosave_and_a_new_person_after_expiry_with_htmx(login_as, web, client, app):
    me = login_as("student")
    token = csrf_from(_html(client.get(PAGE)))
    _expire(app)
    headers = {"HX-Request": "true", "X-CSRFToken": token, "HX-Current-URL": f"http://localhost{PAGE}"}
    section = client.post(f"{PAGE}/sections/keeping_safe", data={"keeping_safe": "Keep my phone charged"},
                          headers=headers)
    assert section.status_code == 200 and section.headers["HX-Redirect"] == f"/login?next={PAGE}"
    person = client.post(f"{PAGE}/people", data={"person_name": "Ola", "person_relationship": "friend",
                                                 "person_phone": "call me"}, headers=headers)
    assert person.headers["HX-Redirect"] == f"/login?next={PAGE}"
    web.login(me.email)
    html = _html(client.get(PAGE))
    assert "We saved what you typed before you were signed out" in html
    assert _plan(app, me.id)["keeping_safe"] == "Keep my phone charged"
    # The person's phone number breaks a rule: shown in the form to fix, not lost.
    assert _people(app, me.id) == []
    assert 'value="Ola"' in html and 'value="call me"' in html and 'value="friend"' in html
    assert "Enter a phone number using numbers only" in html


def test_someone_else_signing_in_on_that_browser_gets_nothing(login_as, web, client, app):
    me = login_as("student")
    token = csrf_from(_html(client.get(PAGE)))
    _expire(app)
    client.post(PAGE, data={**TEXT, "csrf_token": token})
    with app.app_context():
        other = factories.make_user(email="next-person@example.org")
        db.session.commit()
        other_id = other.id
    web.login("next-person@example.org")
    html = _html(client.get(PAGE))
    assert "We saved what you typed" not in html and TEXT["warning_signs"] not in html
    assert _plan(app, other_id) is None
    # It is still waiting for its owner.
    owner = app.test_client()
    Browserless(owner).login(me.email)
    assert TEXT["warning_signs"] in _html(owner.get(PAGE))


def test_signing_out_on_purpose_keeps_nothing(login_as, web, client, app):
    me = login_as("student")
    token = csrf_from(_html(client.get(PAGE)))
    web.submit("/logout", {}, page=PAGE)
    response = client.post(PAGE, data={**TEXT, "csrf_token": token})
    assert response.status_code in (302, 400)
    with app.app_context():
        assert db.session.execute(select(SavedDraft)).first() is None
    web.login(me.email)
    assert "We saved what you typed" not in _html(client.get(PAGE))
    assert _plan(app, me.id) is None


def test_too_long_text_kept_at_expiry_is_shown_to_fix_not_lost(login_as, web, client, app):
    me = login_as("student")
    token = csrf_from(_html(client.get(PAGE)))
    _expire(app)
    long_text = "w" * 5100
    client.post(PAGE, data={**TEXT, "reporting": long_text, "csrf_token": token})
    web.login(me.email)
    response = client.get(PAGE)
    html = _html(response)
    assert "We saved what you typed" in html and long_text in html
    assert "How you would report a crime must be 5,000 characters or fewer" in html
    assert _plan(app, me.id) == {**TEXT, "reporting": ""}
    with app.app_context():
        assert take_drafts(db.session.get(User, me.id), "safety_plan") == []


# --- the PDF ------------------------------------------------------------------------------

def test_the_pdf_holds_the_whole_plan(login_as, client, app, tmp_path):
    _needs_pdf()
    me = login_as("student")
    service_id = _service(app)
    _give_plan(app, me.id, people=[("Sam Jones", "my brother", "07700 900123"), ("Ola", "", "")],
               service_ids=[service_id], warning_signs="My heart races", safe_places="The library")
    response = client.get(f"{PAGE}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="my-safety-plan.pdf"'
    assert "no-store" in response.headers["Cache-Control"]
    text = " ".join(_pdf_text(response.data, tmp_path).split())
    assert "My safety plan" in text and "In an emergency call 999" in text
    for heading in SECTIONS.values():
        assert heading in text
    assert "My heart races" in text and "The library" in text
    assert text.count("Nothing written yet") == 3
    assert "Sam Jones, my brother 07700 900123" in text and "Ola No phone number" in text
    assert "Victim Support Supportline 08 08 16 89 111" in text
    assert "Crimestoppers on 0800 555 111" in text


def test_markup_in_a_plan_prints_as_text_and_fetches_nothing(login_as, client, app, tmp_path):
    _needs_pdf()
    me = login_as("student")
    attacks = {
        "warning_signs": '<img src="file:///etc/passwd">',
        "safe_places": '<link rel="attachment" href="file:///etc/passwd">',
        "reporting": '<img src="http://169.254.169.254/">',
    }
    _give_plan(app, me.id, people=[('<img src="file:///etc/passwd">', "", "")], **attacks)
    documents.requested_urls.clear()
    response = client.get(f"{PAGE}.pdf")
    assert response.status_code == 200
    text = _pdf_text(response.data, tmp_path)
    for attack in attacks.values():
        assert attack in text
    assert text.count('<img src="file:///etc/passwd">') == 2
    assert "root:" not in text
    assert list(documents.requested_urls) == [documents.STATIC_PREFIX + "css/documents.css"]
    if shutil.which("pdfdetach"):
        path = tmp_path / "attack.pdf"
        path.write_bytes(response.data)
        listing = subprocess.run(["pdfdetach", "-list", str(path)], capture_output=True, text=True, check=True)
        assert listing.stdout.strip() == "0 embedded files"


# --- demo data ----------------------------------------------------------------------------

def test_demo_gives_jo_a_plan_once(app_ctx):
    jo = factories.make_user(email="student@example.org")
    for name in ("Samaritans", "Victim Support Supportline", "Shelter helpline"):
        factories.make_support_service(name, phone="116 123")
    assert safety_plans_demo.load({"student@example.org": jo}, {}) == 5
    plan = db.session.get(SafetyPlan, jo.id)
    assert all(getattr(plan, name) for name in SECTIONS)
    people = db.session.execute(select(TrustedPerson)).scalars().all()
    assert len(people) == 2 and all(re.fullmatch(r"07700 900\d{3}", p.phone) for p in people)
    chosen = db.session.execute(
        select(SupportService.name).join(SafetyPlanService, SafetyPlanService.service_id == SupportService.id)
    ).scalars().all()
    assert sorted(chosen) == ["Samaritans", "Victim Support Supportline"]
    assert safety_plans_demo.load({"student@example.org": jo}, {}) == 0
    assert safety_plans_demo.load({}, {}) == 0


def test_demo_without_a_support_guide_skips_the_services(app_ctx):
    jo = factories.make_user(email="student@example.org")
    assert safety_plans_demo.load({"student@example.org": jo}, {}) == 3
    assert db.session.execute(select(SafetyPlanService)).first() is None


def test_a_save_that_leaves_out_sections_never_empties_them(login_as, web, app):
    me = login_as("student")
    web.submit("/my/safety-plan", {"warning_signs": "Keep me", "reporting": "Call 101", "save": "reporting"})
    web.submit("/my/safety-plan", {"save": "reporting"})  # nothing sent: nothing changes
    with app.app_context():
        plan = db.session.get(SafetyPlan, me.id)
        assert (plan.warning_signs, plan.reporting) == ("Keep me", "Call 101")
