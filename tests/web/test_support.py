"""The support options guide: /support for everyone (search, filters, htmx, entry pages,
"Add to my safety plan") and /admin/support for admins (add, edit, retire, reinstate)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from rec_portal import audit
from rec_portal.extensions import db
from rec_portal.models import (
    AuditEvent,
    SafetyPlanService,
    SupportService,
    SupportServiceNeed,
)
from rec_portal.demo import support as support_demo
from rec_portal.timeutil import utcnow
from tests import factories
from tests.conftest import count_statements, csrf_from


def _service(app, name: str = "Victim Support Supportline", needs=("victims_of_crime",), *,
             retired: bool = False, **fields) -> int:
    with app.app_context():
        service = factories.make_support_service(
            name,
            needs=needs,
            description=fields.pop("description", f"About {name}."),
            phone=fields.pop("phone", "08 08 16 89 111"),
            website=fields.pop("website", "https://www.example.org"),
            opening_hours=fields.pop("opening_hours", "24 hours a day"),
            area=fields.pop("area", "England and Wales"),
            retired_at=utcnow() if retired else None,
            **fields,
        )
        db.session.commit()
        return service.id


def _names(html: str) -> list[str]:
    """The names of the entries shown, in order (card headings)."""
    return [
        re.sub(r"\s+", " ", name).strip()
        for name in re.findall(r'<a class="nhsuk-card__link" href="/support/\d+">(.*?)</a>', html, re.DOTALL)
    ]


def _get(client, url: str, **kwargs) -> str:
    response = client.get(url, **kwargs)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def _guide(app) -> None:
    _service(app, "Victim Support Supportline", ("victims_of_crime", "hate_crime"), area="England and Wales",
             description="Free support for anyone affected by crime.")
    _service(app, "Samaritans", ("mental_health_crisis",), emergency=True, area="UK and Ireland",
             description="Someone to listen, any time.", phone="116 123", website="https://www.samaritans.org")
    _service(app, "Shelter helpline", ("housing",), area="England", description="Housing advice.")
    _service(app, "Leeds Crisis Café", ("mental_health_crisis",), area="Leeds",
             description="An evening café for when things are hard.")
    _service(app, "Old Drop-in", ("housing", "hate_crime"), retired=True, area="Leeds",
             description="Closed.")


def _audit_rows(app) -> list[AuditEvent]:
    with app.app_context():
        return list(
            db.session.execute(
                select(AuditEvent).where(AuditEvent.event == audit.SUPPORT_SERVICE_CHANGED).order_by(AuditEvent.id)
            ).scalars()
        )


def _stored(app, name: str) -> dict | None:
    with app.app_context():
        service = db.session.execute(select(SupportService).where(SupportService.name == name)).scalar_one_or_none()
        if service is None:
            return None
        return {
            "id": service.id, "name": service.name, "needs": service.need_codes, "phone": service.phone,
            "website": service.website, "description": service.description, "area": service.area,
            "opening_hours": service.opening_hours, "emergency": service.emergency,
            "retired": service.retired_at is not None,
        }


# --- the public guide -------------------------------------------------------------------

def test_guide_is_open_to_everyone_with_quick_exit_and_danger_box(app, client):
    _guide(app)
    html = _get(client, "/support")
    assert "<h1>Support options</h1>" in html
    assert "Leave this page quickly" in html and "data-rec-quick-exit" in html
    assert "If you are in danger now" in html
    for number in ("tel:999", "tel:101", "tel:116123", "tel:111"):
        assert f'href="{number}"' in html
    assert "text 999 if you have registered for the emergencySMS service" in html
    assert "mental health option" in html
    assert _names(html) == ["Leeds Crisis Café", "Samaritans", "Shelter helpline", "Victim Support Supportline"]
    assert "4 services in the guide." in html
    # Without JavaScript the same form submits with GET and a Search button.
    assert re.search(r'<form method="get" action="/support"[^>]*hx-get="/support"', html)
    assert 'hx-replace-url="true"' in html and 'hx-target="#support-results"' in html
    assert re.search(r">\s*Search\s*</button>", html)


def test_each_entry_shows_what_a_person_needs(app, client):
    service_id = _service(app, "Victim Support Supportline", ("victims_of_crime", "hate_crime"),
                          phone="08 08 16 89 111", website="https://www.victimsupport.org.uk",
                          opening_hours="Free, 24 hours a day", area="England and Wales", emergency=True,
                          description="Support for anyone affected by crime.\n\nCheck their website.")
    html = _get(client, "/support")
    assert f'href="/support/{service_id}"' in html
    assert "Victims of crime" in html and "Hate crime" in html
    assert "<p>Support for anyone affected by crime.</p>" in html
    assert '<a class="rec-nowrap" href="tel:08081689111">08 08 16 89 111</a>' in html
    link = re.search(r'<a class="rec-support-site" href="https://www.victimsupport.org.uk"[^>]*>([^<]+)</a>', html)
    assert link and link.group(1) == "victimsupport.org.uk"
    assert 'rel="noopener noreferrer"' in link.group(0) and "target=" not in link.group(0)
    assert "Free, 24 hours a day" in html and "England and Wales" in html
    assert "For emergencies" in html


def test_search_by_text_looks_in_name_description_and_area_in_any_case(app, client):
    _guide(app)
    assert _names(_get(client, "/support?q=VICTIM")) == ["Victim Support Supportline"]
    assert _names(_get(client, "/support?q=listen")) == ["Samaritans"]
    assert _names(_get(client, "/support?q=leeds")) == ["Leeds Crisis Café"]  # area; the retired one is hidden
    assert _names(_get(client, "/support?q=crime+free")) == ["Victim Support Supportline"]  # every word
    html = _get(client, "/support?q=crime")
    assert "1 service matches your search." in html
    # LIKE wildcards are searched for literally.
    assert _names(_get(client, "/support?q=%25")) == []
    assert _names(_get(client, "/support?q=_")) == []




def test_filter_by_need_in_sql_any_of_several(app, client):
    _guide(app)
    with count_statements(app) as statements:
        html = _get(client, "/support?need=housing")
    assert _names(html) == ["Shelter helpline"]
    assert any("support_service_needs" in s and "IN" in s and "FROM support_services" in s for s in statements)
    assert _names(_get(client, "/support?need=housing&need=hate_crime")) == [
        "Shelter helpline", "Victim Support Supportline"
    ]
    html = _get(client, "/support?need=mental_health_crisis&q=cafe")
    assert _names(html) == []  # "Café" is not "cafe"; the search is exact about letters
    assert _names(_get(client, "/support?need=mental_health_crisis&q=evening")) == ["Leeds Crisis Café"]
    # The ticked boxes stay ticked.
    html = _get(client, "/support?need=housing&need=hate_crime")
    assert re.search(r'value="housing"\s+checked', html) and re.search(r'value="hate_crime"\s+checked', html)
    assert not re.search(r'value="advocacy"\s+checked', html)


def test_unknown_needs_are_ignored(app, client):
    _guide(app)
    assert len(_names(_get(client, "/support?need=nonsense"))) == 4


def test_emergency_filter(app, client):
    _guide(app)
    html = _get(client, "/support?emergency=y")
    assert _names(html) == ["Samaritans"]
    assert re.search(r'name="emergency"[^>]*value="y"\s+checked|value="y"\s+checked', html)
    assert _names(_get(client, "/support?emergency=y&need=housing")) == []


def test_no_results_gives_a_helpful_message(app, client):
    _guide(app)
    html = _get(client, "/support?q=zebra&need=housing")
    assert "0 services match your search." in html
    assert "No services match your search" in html
    assert "check the spelling" in html and "untick some of the boxes" in html
    assert 'href="/support">see every service in the guide' in html


def test_htmx_search_returns_the_results_partial_and_the_count_out_of_band(app, client):
    _guide(app)
    response = client.get("/support?q=samaritans", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "HX-Request" in response.headers.get("Vary", "")
    assert "<html" not in html and "If you are in danger now" not in html
    assert html.lstrip().startswith('<p id="support-count" hx-swap-oob="innerHTML">1 service matches your search.</p>')
    assert '<div id="support-results">' in html and _names(html) == ["Samaritans"]
    # A history restore gets the whole page.
    full = _get(client, "/support?q=samaritans", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in full and 'id="support-count" role="status"' in full and "Leave this page quickly" in full
    # The full page includes the same partial.
    full = _get(client, "/support?q=samaritans")
    assert '<div id="support-results">' in full and "hx-swap-oob" not in full


def test_retired_entries_never_show_and_their_pages_are_not_found(app, client):
    _guide(app)
    retired_id = _stored(app, "Old Drop-in")["id"]
    for url in ("/support", "/support?q=drop-in", "/support?need=housing", "/support?q=closed"):
        assert "Old Drop-in" not in _get(client, url)
    assert client.get(f"/support/{retired_id}").status_code == 404
    assert client.get("/support/999999").status_code == 404


def test_entry_page(app, client):
    service_id = _service(app, "Samaritans", ("mental_health_crisis",), phone="116 123",
                          website="https://www.samaritans.org", description="Someone to listen.")
    html = _get(client, f"/support/{service_id}")
    assert "<h1>Samaritans</h1>" in html and "Someone to listen." in html
    assert "Leave this page quickly" in html and "If you are in danger now" in html
    assert 'href="tel:116123"' in html and "Mental health crisis" in html
    assert 'href="https://www.samaritans.org" rel="noopener noreferrer"' in html
    assert 'href="/support"' in html  # back to the guide
    assert f'href="/login?next=/support/{service_id}"' in html


def test_signed_out_visitors_get_a_sign_in_link_back_to_the_same_search(app, client):
    service_id = _service(app, "Samaritans", ("mental_health_crisis",))
    html = _get(client, "/support?q=sam&need=mental_health_crisis")
    assert "Sign in to add Samaritans to your safety plan" in html
    assert 'href="/login?next=/support?q%3Dsam%26need%3Dmental_health_crisis"' in html
    assert "Add to my safety plan" not in html
    assert f'id="plan-service-{service_id}"' in html


def test_students_can_add_an_entry_to_their_safety_plan_from_the_guide(app, client, login_as):
    me = login_as("student")
    first = _service(app, "Samaritans", ("mental_health_crisis",))
    second = _service(app, "Shelter helpline", ("housing",))
    with app.app_context():
        factories.add_service_to_safety_plan(me, second)
        db.session.commit()
    html = _get(client, "/support?need=mental_health_crisis&need=housing")
    card = html[html.index(f'id="plan-service-{first}"'):html.index(f'id="plan-service-{second}"')]
    assert "Add to my safety plan" in card and f'name="service_id" value="{first}"' in card
    assert 'name="next" value="/support?need=mental_health_crisis&amp;need=housing"' in card
    assert 'name="csrf_token"' in card
    assert "Shelter helpline is in your safety plan." in html
    # In the list of results the "in your plan" note does not pull focus out of the search box.
    assert "data-rec-focus" not in html
    # The entry's own page shows the same.
    assert "Add to my safety plan" in _get(client, f"/support/{first}")
    assert "is in your safety plan" in _get(client, f"/support/{second}")


def test_another_students_plan_does_not_show(app, client, login_as):
    service_id = _service(app, "Samaritans", ("mental_health_crisis",))
    with app.app_context():
        other = factories.make_user()
        factories.add_service_to_safety_plan(other, service_id)
        db.session.commit()
    login_as("student")
    for url in ("/support", f"/support/{service_id}"):
        html = _get(client, url)
        assert "Add to my safety plan" in html and "is in your safety plan" not in html


@pytest.mark.parametrize("role", [None, "student", "facilitator", "admin"])
def test_guide_pages_for_every_role(app, client, login_as, role):
    service_id = _service(app, "Samaritans", ("mental_health_crisis",))
    if role:
        login_as(role)
    html = _get(client, "/support")
    assert _names(html) == ["Samaritans"]
    assert ("Sign in to add" in html) is (role is None)
    assert ("Add to my safety plan" in html) is (role is not None)
    assert "<h1>Samaritans</h1>" in _get(client, f"/support/{service_id}")


def _build(app, n: int) -> None:
    with app.app_context():
        for i in range(n):
            factories.make_support_service(f"Service {i:03d}", needs=("housing", "advocacy"),
                                           description="Help for people.", phone="0808 000 000",
                                           website="https://example.org", emergency=i % 3 == 0,
                                           retired_at=utcnow() if i % 5 == 0 else None)
        db.session.commit()


def _wipe_services(app) -> None:
    with app.app_context():
        db.session.execute(SafetyPlanService.__table__.delete())
        db.session.execute(SupportServiceNeed.__table__.delete())
        db.session.execute(SupportService.__table__.delete())
        db.session.commit()


@pytest.mark.parametrize("signed_in", [False, True])
def test_guide_runs_a_fixed_number_of_sql_statements(app, client, login_as, signed_in):
    me = login_as("student") if signed_in else None
    counts = []
    for size in (3, 40):
        _wipe_services(app)
        _build(app, size)
        if me:
            with app.app_context():
                for service_id in db.session.execute(select(SupportService.id).limit(2)).scalars():
                    factories.add_service_to_safety_plan(me, service_id)
                db.session.commit()
        with count_statements(app) as statements:
            html = _get(client, "/support?q=service&need=housing")
        assert "Service 001" in html
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


# --- admin ------------------------------------------------------------------------------

FORM = {
    "name": "Anytown Advocacy Hub",
    "needs": ["advocacy", "victims_of_crime"],
    "description": "Independent advocates.\n\nFree and confidential.",
    "phone": "01632 960 100",
    "website": "www.advocacy.example.org",
    "opening_hours": "Monday to Friday, 10am to 4pm",
    "area": "Anytown",
    "emergency": "y",
}


def test_admin_routes_for_every_role(app, client, web, login_as):
    service_id = _service(app, "Samaritans", ("mental_health_crisis",))
    gets = ["/admin/support", "/admin/support/new", f"/admin/support/{service_id}/edit",
            f"/admin/support/{service_id}/retire"]
    posts = ["/admin/support/new", f"/admin/support/{service_id}/edit", f"/admin/support/{service_id}/retire",
             f"/admin/support/{service_id}/reinstate"]
    for url in gets:
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=/admin/support")
    for role in ("student", "facilitator"):
        with client.session_transaction() as session:
            session.clear()
        login_as(role)
        for url in gets:
            response = client.get(url)
            assert response.status_code == 403 and "Samaritans" not in response.get_data(as_text=True)
        for url in posts:
            response = web.submit(url, {**FORM, "name": "Changed"}, page="/support")
            assert response.status_code == 403
    assert _stored(app, "Samaritans")["retired"] is False and _stored(app, "Changed") is None
    with client.session_transaction() as session:
        session.clear()
    login_as("admin")
    for url in gets:
        assert client.get(url).status_code == 200
    assert client.get("/admin/support/999999/edit").status_code == 404
    assert client.get("/admin/support/999999/retire").status_code == 404
    assert client.get(f"/admin/support/{service_id}/reinstate").status_code == 405


def test_admin_list_shows_every_entry_with_status_and_filter(app, client, login_as):
    _guide(app)
    login_as("admin")
    html = _get(client, "/admin/support")
    for name in ("Victim Support Supportline", "Samaritans", "Shelter helpline", "Leeds Crisis Café", "Old Drop-in"):
        assert name in html
    assert "All entries (5)" in html and "Active (4)" in html and "Retired (1)" in html
    assert html.count(">Active</strong>") == 4 and html.count(">Retired</strong>") == 1
    retired = _get(client, "/admin/support?status=retired")
    assert "Old Drop-in" in retired and "Samaritans" not in retired and "Reinstate" in retired
    active = _get(client, "/admin/support?status=active")
    assert "Old Drop-in" not in active and "Samaritans" in active
    assert "Old Drop-in" in _get(client, "/admin/support?status=nonsense")
    # The admin home links here.
    assert 'href="/admin/support"' in _get(client, "/admin")


def test_admin_adds_a_service(app, client, web, login_as):
    admin = login_as("admin")
    response = web.submit("/admin/support/new", FORM)
    assert response.status_code == 302 and response.headers["Location"] == "/admin/support"
    assert "“Anytown Advocacy Hub” has been added to the support guide." in _get(client, "/admin/support")
    stored = _stored(app, "Anytown Advocacy Hub")
    assert set(stored["needs"]) == {"advocacy", "victims_of_crime"}
    assert stored["website"] == "https://www.advocacy.example.org"
    assert stored["phone"] == "01632 960 100" and stored["emergency"] is True
    assert stored["description"] == "Independent advocates.\n\nFree and confidential."
    assert "Anytown Advocacy Hub" in _get(client, "/support")
    rows = _audit_rows(app)
    assert [(r.actor_id, r.detail) for r in rows] == [(admin.id, f"added service {stored['id']}")]


def test_admin_form_errors_are_shown_and_answers_kept(app, client, web, login_as):
    login_as("admin")
    response = web.submit("/admin/support/new", {
        "name": "  ", "description": "Keep this description", "phone": "call 0800", "website": "javascript:alert(1)",
        "opening_hours": "Weekdays", "area": "Anytown",
    })
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<title>Error: Add a service" in html and "There is a problem" in html
    summary = re.findall(r'<a href="#(\w+)"\s*>\s*(.*?)\s*</a>', html, re.DOTALL)
    assert summary == [
        ("name", "Enter the name of the service"),
        ("needs", "Choose at least one thing the service helps with"),
        ("phone", "A phone number can only contain numbers, spaces and the symbols + ( )"),
        ("website", "Enter a web address like https://www.example.org"),
    ]
    for _field, message in summary:
        assert html.count(message) == 2  # in the summary and next to the field
    assert "Keep this description</textarea>" in html and 'value="Weekdays"' in html and 'value="Anytown"' in html
    assert 'value="call 0800"' in html
    with app.app_context():
        assert db.session.execute(select(SupportService)).first() is None
    assert _audit_rows(app) == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "x" * 201, "The name must be 200 characters or fewer"),
        ("phone", "1" * 61, "The phone number must be 60 characters or fewer"),
        ("phone", "12", "Enter a full phone number, like 101 or 0808 800 4444"),
        ("website", "https://example.org/" + "a" * 290, "The web address must be 300 characters or fewer"),
        ("website", "ftp://example.org", "Enter a web address that starts with https:// or http://"),
        ("website", "https://exa mple.org", "A web address cannot contain spaces. Enter a web address like https://www.example.org"),
        ("opening_hours", "x" * 301, "The opening hours must be 300 characters or fewer"),
        ("area", "x" * 201, "The area must be 200 characters or fewer"),
        ("description", "x" * 2001, "The description must be 2,000 characters or fewer"),
        ("needs", ["made_up"], "Choose what the service helps with from the list"),
    ],
)
def test_admin_form_limits(app, client, web, login_as, field, value, message):
    login_as("admin")
    response = web.submit("/admin/support/new", {**FORM, field: value})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and message in html
    assert _stored(app, FORM["name"]) is None


def test_admin_cannot_add_a_second_entry_with_the_same_name(app, client, web, login_as):
    _service(app, "Anytown Advocacy Hub", ("advocacy",), retired=True)
    login_as("admin")
    response = web.submit("/admin/support/new", {**FORM, "name": "anytown advocacy hub"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is already an entry called “anytown advocacy hub”" in html
    assert 'value="Monday to Friday, 10am to 4pm"' in html
    assert _audit_rows(app) == []


def test_admin_edits_a_service(app, client, web, login_as):
    service_id = _service(app, "Samaritans", ("mental_health_crisis",), phone="116 123", area="UK")
    login_as("admin")
    form = _get(client, f"/admin/support/{service_id}/edit")
    assert 'value="Samaritans"' in form and 'value="116 123"' in form
    assert re.search(r'value="mental_health_crisis"\s+checked', form)
    response = web.submit(f"/admin/support/{service_id}/edit", {
        **FORM, "name": "Samaritans", "needs": ["mental_health_crisis", "advocacy"], "website": "http://samaritans.org",
        "emergency": "",
    })
    assert response.status_code == 302
    stored = _stored(app, "Samaritans")
    assert set(stored["needs"]) == {"mental_health_crisis", "advocacy"}
    assert stored["website"] == "http://samaritans.org" and stored["emergency"] is False
    assert stored["area"] == "Anytown"
    assert "“Samaritans” has been saved." in _get(client, "/admin/support")
    assert [r.detail for r in _audit_rows(app)] == [f"edited service {service_id}"]
    # A bad edit keeps what was typed and changes nothing.
    response = web.submit(f"/admin/support/{service_id}/edit", {**FORM, "name": "", "needs": []})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and 'value="Anytown"' in html and "Enter the name of the service" in html
    assert set(_stored(app, "Samaritans")["needs"]) == {"mental_health_crisis", "advocacy"}


def test_admin_retires_after_confirming_and_reinstates(app, client, web, login_as):
    service_id = _service(app, "Samaritans", ("mental_health_crisis",))
    login_as("admin")
    page = _get(client, f"/admin/support/{service_id}/retire")
    assert "Retire Samaritans?" in page and "Yes, retire this entry" in page
    assert _stored(app, "Samaritans")["retired"] is False  # opening the page changes nothing
    response = client.post(f"/admin/support/{service_id}/retire", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 302
    assert "“Samaritans” has been retired." in _get(client, "/admin/support")
    assert _stored(app, "Samaritans")["retired"] is True
    assert _names(_get(client, "/support")) == []
    assert client.get(f"/support/{service_id}").status_code == 404
    # Retiring twice is refused politely.
    follow = client.get(f"/admin/support/{service_id}/retire", follow_redirects=True).get_data(as_text=True)
    assert "This entry is already retired." in follow
    response = web.submit(f"/admin/support/{service_id}/reinstate", {}, page="/admin/support")
    assert response.status_code == 302
    assert "“Samaritans” is back in the support guide." in _get(client, "/admin/support")
    assert _stored(app, "Samaritans")["retired"] is False
    assert _names(_get(client, "/support")) == ["Samaritans"]
    web.submit(f"/admin/support/{service_id}/reinstate", {}, page="/admin/support")
    assert "This entry is already in the guide" in _get(client, "/admin/support")
    assert [r.detail for r in _audit_rows(app)] == [f"retired service {service_id}", f"reinstated service {service_id}"]


def test_posts_without_a_csrf_token_are_refused(app, client, login_as):
    service_id = _service(app, "Samaritans", ("mental_health_crisis",))
    login_as("admin")
    for url in ("/admin/support/new", f"/admin/support/{service_id}/edit", f"/admin/support/{service_id}/retire",
                f"/admin/support/{service_id}/reinstate"):
        response = client.post(url, data={**FORM, "name": "Changed"})
        assert response.status_code == 400, url
    stored = _stored(app, "Samaritans")
    assert stored["retired"] is False and _stored(app, "Changed") is None and _stored(app, FORM["name"]) is None
    assert _audit_rows(app) == []


def test_audit_rows_hold_ids_never_the_entry_text(app, client, web, login_as):
    login_as("admin")
    web.submit("/admin/support/new", FORM)
    service_id = _stored(app, FORM["name"])["id"]
    web.submit(f"/admin/support/{service_id}/edit", {**FORM, "description": "A secret-ish new description"})
    web.submit(f"/admin/support/{service_id}/retire", {}, page=f"/admin/support/{service_id}/retire")
    web.submit(f"/admin/support/{service_id}/reinstate", {}, page="/admin/support")
    rows = _audit_rows(app)
    assert [r.detail for r in rows] == [
        f"added service {service_id}", f"edited service {service_id}",
        f"retired service {service_id}", f"reinstated service {service_id}",
    ]
    for row in rows:
        assert re.fullmatch(r"(added|edited|retired|reinstated) service \d+", row.detail)
        assert row.subject_id is None


# --- demo data --------------------------------------------------------------------------

def test_demo_data_is_idempotent_and_the_examples_are_clearly_made_up(app, app_ctx):
    added = support_demo.load({}, {})
    db.session.commit()
    assert added >= 14
    assert support_demo.load({}, {}) == 0
    services = list(db.session.execute(select(SupportService)).scalars())
    assert len(services) == added
    names = {s.name for s in services}
    assert {"Samaritans", "Victim Support Supportline", "National Domestic Abuse Helpline"} <= names
    examples = [s for s in services if s.name.endswith("(example)")]
    assert 3 <= len(examples) <= 4
    assert sum(1 for s in examples if s.retired_at is not None) == 1
    assert all(s.retired_at is None for s in services if not s.name.endswith("(example)"))
    for service in examples:
        digits = re.sub(r"\D", "", service.phone)
        assert digits.startswith("01632960") and len(digits) == 11
        assert service.website.endswith(".example.org") or service.website.endswith("//example.org")
        assert "made-up example" in service.description
    for service in services:
        assert service.need_codes, service.name
        if not service.name.endswith("(example)"):
            assert "check them on their website" in service.description
    by_name = {s.name: s for s in services}
    assert by_name["Samaritans"].phone == "116 123"
    assert by_name["Victim Support Supportline"].phone == "08 08 16 89 111"
