"""Class lists show how each person wants to be contacted: the facilitator's class list,
the admin session bookings page and its CSV."""

from __future__ import annotations

import csv
import io

from rec_portal.extensions import db
from tests import factories


def _session_with_people(app, facilitator_id=None):
    with app.app_context():
        session = factories.make_session(starts_in_days=3)
        texter = factories.make_student_who_prefers("text", phone="07700 900123", full_name="Tess Texter")
        caller = factories.make_student_who_prefers("phone", phone="01632 960123", email=False,
                                                    full_name="Phil Caller")
        factories.make_booking(session, texter)
        factories.make_booking(session, caller)
        if facilitator_id:
            factories.add_to_roster(session, facilitator_id)
        db.session.commit()
        return session.id


def test_admin_session_bookings_page_and_csv_show_the_preference(app, client, login_as):
    login_as("admin")
    session_id = _session_with_people(app)
    html = client.get(f"/admin/courses/sessions/{session_id}/bookings").get_data(as_text=True)
    assert "Prefers: text message" in html and "Prefers: phone call" in html
    assert "No email address" in html
    rows = list(csv.reader(io.StringIO(
        client.get(f"/admin/courses/sessions/{session_id}/bookings.csv").get_data(as_text=True))))
    column = rows[0].index("Contact preference")
    assert {r[0]: r[column] for r in rows[1:]} == {"Tess Texter": "Text message", "Phil Caller": "Phone call"}


def test_facilitator_class_list_shows_the_preference(app, client, login_as):
    me = login_as("facilitator")
    session_id = _session_with_people(app, facilitator_id=me.id)
    html = client.get(f"/facilitate/sessions/{session_id}").get_data(as_text=True)
    assert "Contact preference" in html
    rows = [r.split("</tr>")[0] for r in html.split('id="person-')[1:]]
    assert sorted("Text message" in r for r in rows) == [False, True]
    assert sorted("Phone call" in r for r in rows) == [False, True]
