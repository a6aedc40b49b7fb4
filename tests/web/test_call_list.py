"""The staff call list (/admin/calls): what staff see, recording outcomes (no answer stays
open), lines no longer needed, recently done, auditing and access."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from rec_portal.extensions import db
from rec_portal.models import AuditEvent
from rec_portal.models.contact import ContactTask
from rec_portal.timeutil import utcnow
from tests import factories
from tests.conftest import csrf_from


def _lines(app):
    with app.app_context():
        person = factories.make_student_who_prefers("phone", phone="01632 960123", email=False,
                                                    full_name="Sam Fielding")
        session = factories.make_session(starts_in_days=3)
        later = factories.make_contact_task(person, message="Tell them the session moved.",
                                            useless_after=utcnow() + timedelta(days=5))
        sooner = factories.make_contact_task(person, message="Tell them their place is booked.",
                                             useless_after=utcnow() + timedelta(days=1), session_id=session.id)
        gone = factories.make_contact_task(person, message="A place that went.",
                                           useless_after=utcnow() - timedelta(hours=2))
        letter = factories.make_contact_task(
            factories.make_student_who_prefers("letter", email=False, full_name="Lee Post"),
            method="letter", reason="Prefers a letter", message="Write that the date changed.")
        db.session.commit()
        return {"later": later.id, "sooner": sooner.id, "gone": gone.id, "letter": letter.id,
                "person": person.id}


def test_admin_sees_open_lines_soonest_first_with_what_to_say(app, client, login_as):
    ids = _lines(app)
    admin = login_as("admin")
    html = client.get("/admin/calls").get_data(as_text=True)
    to_do = html.split('id="to-do"')[1].split('id="no-longer-needed"')[0]
    assert to_do.index(f'id="line-{ids["sooner"]}"') < to_do.index(f'id="line-{ids["later"]}"')
    assert "Sam Fielding" in to_do and "01632 960123" in to_do and "Phone call" in to_do
    assert "Prefers a phone call" in to_do and "Tell them their place is booked." in to_do
    assert "Write to Lee Post" in to_do
    assert f'id="line-{ids["gone"]}"' not in to_do
    assert "A place that went." in html.split('id="no-longer-needed"')[1]
    assert "To do (3)" in html
    with app.app_context():
        event = db.session.execute(select(AuditEvent).where(AuditEvent.event == "calls.list_viewed_by_staff")).scalar_one()
        assert event.actor_id == admin.id and str(ids["sooner"]) in event.detail
    home = client.get("/admin").get_data(as_text=True)
    assert "Call list (3)" in home and 'href="/admin/calls"' in home


def _post(client, task_id, data, **headers):
    token = csrf_from(client.get("/admin/calls").get_data(as_text=True))
    return client.post(f"/admin/calls/{task_id}/outcome", headers=headers,
                       data={"csrf_token": token, **{f"line{task_id}-{k}": v for k, v in data.items()}})


def test_no_answer_keeps_the_line_open_and_counts_an_attempt(app, client, login_as):
    ids = _lines(app)
    admin = login_as("admin")
    response = _post(client, ids["sooner"], {"outcome": "no_answer", "note": "Rang at 10"})
    assert response.status_code == 302
    with app.app_context():
        task = db.session.get(ContactTask, ids["sooner"])
        assert (task.closed_at, task.attempts, task.outcome, task.outcome_note, task.outcome_by_id) == (
            None, 1, "no_answer", "Rang at 10", admin.id)
    page = client.get("/admin/calls").get_data(as_text=True)
    assert f'id="line-{ids["sooner"]}"' in page.split('id="to-do"')[1].split('id="recently-done"')[0]
    assert "No answer from Sam Fielding recorded (attempt 1)" in page


def test_spoke_closes_the_line_and_it_shows_as_done(app, client, login_as):
    ids = _lines(app)
    login_as("admin", full_name="Alex Staff")
    _post(client, ids["sooner"], {"outcome": "spoke"})
    with app.app_context():
        task = db.session.get(ContactTask, ids["sooner"])
        assert task.closed_at is not None and task.outcome == "spoke" and task.attempts == 1
    page = client.get("/admin/calls").get_data(as_text=True)
    assert f'id="line-{ids["sooner"]}"' not in page
    done = page.split('id="recently-done"')[1]
    assert "Spoke to them" in done and "Alex Staff" in done
    assert "To do (2)" in page


def test_htmx_swaps_the_line(app, client, login_as):
    ids = _lines(app)
    login_as("admin")
    response = _post(client, ids["later"], {"outcome": "left_message"}, **{"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<h1" not in html
    assert f'id="line-{ids["later"]}"' in html and "Done: Left a message" in html


def test_no_outcome_chosen_shows_the_nhs_error_and_keeps_the_note(app, client, login_as):
    ids = _lines(app)
    login_as("admin")
    response = _post(client, ids["sooner"], {"note": "Tried the mobile"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "There is a problem" in html
    assert f'href="#line{ids["sooner"]}-outcome"' in html and "Choose what happened" in html
    assert 'value="Tried the mobile"' in html
    with app.app_context():
        assert db.session.get(ContactTask, ids["sooner"]).attempts == 0
    partial = _post(client, ids["sooner"], {"note": "x"}, **{"HX-Request": "true"})
    assert partial.status_code == 400 and "Choose what happened" in partial.get_data(as_text=True)


def test_a_letter_line_takes_only_letter_outcomes(app, client, login_as):
    ids = _lines(app)
    login_as("admin")
    assert _post(client, ids["letter"], {"outcome": "spoke"}).status_code == 400
    _post(client, ids["letter"], {"outcome": "letter_sent"})
    with app.app_context():
        assert db.session.get(ContactTask, ids["letter"]).outcome == "letter_sent"


def test_a_done_line_is_not_done_twice(app, client, login_as):
    ids = _lines(app)
    login_as("admin")
    _post(client, ids["sooner"], {"outcome": "spoke"})
    token = csrf_from(client.get("/admin/calls").get_data(as_text=True))
    again = client.post(f"/admin/calls/{ids['sooner']}/outcome",
                        data={"csrf_token": token, f"line{ids['sooner']}-outcome": "wrong_number"},
                        headers={"HX-Request": "true"})
    assert again.status_code == 400 and "already done" in again.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(ContactTask, ids["sooner"]).outcome == "spoke"


def test_students_facilitators_and_signed_out_are_refused(app, client, login_as):
    ids = _lines(app)
    assert client.get("/admin/calls").headers["Location"].startswith("/login")
    for role in ("student", "facilitator"):
        other = app.test_client()
        with app.app_context():
            user = factories.make_user(roles=(role,))
            db.session.commit()
            email = user.email
        from tests.conftest import Browserless
        Browserless(other).login(email)
        page = other.get("/admin/calls")
        assert page.status_code == 403 and "01632 960123" not in page.get_data(as_text=True)
        token = csrf_from(other.get("/support").get_data(as_text=True))
        refused = other.post(f"/admin/calls/{ids['sooner']}/outcome",
                             data={"csrf_token": token, f"line{ids['sooner']}-outcome": "spoke"})
        assert refused.status_code == 403
    with app.app_context():
        assert db.session.get(ContactTask, ids["sooner"]).outcome is None
