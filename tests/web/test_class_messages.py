"""Messages to a class (issue 16 part 5): an admin, or a facilitator rostered on the
session, writes to everyone on it; each copy goes by the person's contact preference; a
check step first; recorded (ClassMessage and audit); sent once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from rec_portal.extensions import db
from rec_portal.models import AuditEvent, OutboxMessage
from rec_portal.models.contact import ClassMessage, ContactTask
from tests import factories
from tests.conftest import csrf_from

WORDS = "We are in Room 5 this week.\nPlease bring a pen."


def _class(app, *, waiting=1, offered=0, past_days=None):
    """A session with: two by email (one chose titles), one by text, one on the call list
    (prefers a phone call); ``waiting`` people waiting and ``offered`` holding an offer."""
    with app.app_context():
        course = factories.make_course(title="Understanding Anxiety")
        kw = {"starts_in_days": -past_days} if past_days is not None else {}
        session = factories.make_session(course=course, **kw)
        emailed = factories.make_user(email="ana@example.org")
        titled = factories.make_user(email="ben@example.org")
        titled.show_course_titles = True
        texted = factories.make_user(email="cat@example.org")
        factories.make_student_profile(texted, contact_preference="text", phone="07700 900123")
        phoned = factories.make_user(email="dev@example.org")
        factories.make_student_profile(phoned, contact_preference="phone", phone="01632 960001")
        for person in (emailed, titled, texted, phoned):
            factories.make_booking(session, person)
        for n in range(waiting):
            factories.make_booking(session, factories.make_user(email=f"wait{n}@example.org"),
                                   status="waitlisted")
        for n in range(offered):
            factories.make_booking(session, factories.make_user(email=f"offer{n}@example.org"),
                                   status="offered")
        db.session.commit()
        return session.id


def _url(session_id, admin=True):
    return (f"/admin/courses/sessions/{session_id}/message" if admin
            else f"/facilitate/sessions/{session_id}/message")


def _post(client, url, **data):
    token = csrf_from(client.get(url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data})


def _sent(app):
    with app.app_context():
        emails = db.session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars().all()
        calls = db.session.execute(select(ContactTask)).scalars().all()
        return ([(m.channel, m.to_address, m.subject, m.body_text) for m in emails],
                [(t.person.email, t.kind, t.message) for t in calls])


def test_the_check_step_says_who_it_goes_to_and_sends_nothing(app, login_as, client):
    session_id = _class(app)
    login_as("admin")
    page = _post(client, _url(session_id), words=WORDS)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Check your message before sending it" in html
    assert "4 people: 2 by email, 1 by text message, 1 on the staff call list" in html
    assert "We are in Room 5 this week." in html
    assert _sent(app) == ([], [])
    with app.app_context():
        assert db.session.execute(select(ClassMessage)).first() is None


def test_sent_to_everyone_with_a_place_by_their_route_recorded_and_audited(app, login_as, client):
    session_id = _class(app, waiting=1, offered=1)
    admin = login_as("admin")
    answer = _post(client, _url(session_id), words=WORDS, send="1")
    assert answer.status_code == 302
    assert answer.headers["Location"] == f"/admin/courses/sessions/{session_id}/bookings"
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Your message has been sent to 4 people." in page
    emails, calls = _sent(app)
    by_address = {to: (channel, subject, body) for channel, to, subject, body in emails}
    assert set(by_address) == {"ana@example.org", "ben@example.org", "07700900123"}
    channel, subject, body = by_address["ana@example.org"]
    assert channel == "email"
    assert subject == "Recovery Education Centre session: a message about your session"
    assert "from the REC team" in body and WORDS in body
    assert "Understanding Anxiety" not in subject + body
    assert by_address["ben@example.org"][1] == "Understanding Anxiety: a message about your session"
    channel, _, text = by_address["07700900123"]
    assert channel == "text"
    assert text.startswith("Recovery Education Centre, your session on ") and text.endswith(WORDS)
    assert "Anxiety" not in text
    assert calls == [("dev@example.org", "class_message", calls[0][2])]
    assert WORDS in calls[0][2]
    with app.app_context():
        [row] = db.session.execute(select(ClassMessage)).scalars().all()
        assert (row.sender_id, row.session_id, row.body, row.include_waiting) == (admin.id, session_id, WORDS, False)
        assert (row.recipients, row.by_email, row.by_text, row.by_call_list) == (4, 2, 1, 1)
        [event] = db.session.execute(
            select(AuditEvent).where(AuditEvent.event == "class_message.sent")).scalars().all()
        assert event.actor_id == admin.id
        assert event.detail == (f"session {session_id} message {row.id}: "
                                "4 people: 2 by email, 1 by text message, 1 on the staff call list")
    # The session's page lists the message.
    page = client.get(f"/admin/courses/sessions/{session_id}/bookings").get_data(as_text=True)
    assert "Message everyone on this session" in page
    assert "Messages sent to this session" in page and "4 people" in page


def test_people_waiting_or_offered_a_place_only_when_chosen(app, login_as, client):
    session_id = _class(app, waiting=2, offered=1)
    login_as("admin")
    _post(client, _url(session_id), words="Hello", include_waiting="y", send="1")
    emails, _ = _sent(app)
    assert {to for _, to, _, _ in emails} >= {"wait0@example.org", "wait1@example.org", "offer0@example.org"}
    with app.app_context():
        row = db.session.execute(select(ClassMessage)).scalar_one()
        assert (row.recipients, row.include_waiting) == (7, True)


def test_nothing_is_sent_on_a_bad_message_and_the_words_are_kept(app, login_as, client):
    session_id = _class(app)
    login_as("admin")
    empty = _post(client, _url(session_id), words="   ", send="1")
    assert empty.status_code == 400
    assert "Enter the message" in empty.get_data(as_text=True)
    long = "x" * 501
    too_long = _post(client, _url(session_id), words=long, include_waiting="y", send="1")
    html = too_long.get_data(as_text=True)
    assert too_long.status_code == 400
    assert "The message must be 500 characters or fewer" in html
    assert 'href="#words"' in html  # the error summary points at the field
    assert long in html and 'name="include_waiting" type="checkbox" value="y" checked' in html
    assert _sent(app) == ([], [])
    with app.app_context():
        assert db.session.execute(select(ClassMessage)).first() is None


def test_the_longest_message_fits_in_a_text_notify_accepts(app, login_as, client):
    """GOV.UK Notify refuses a text over 918 characters: the longest message allowed, on a
    course with the longest title on the longest date, still makes a text of at most 612
    characters (four parts), with every word; the title is left out only when it would not
    fit."""
    with app.app_context():
        sessions = []
        for title in ("T" * 150, "Understanding Anxiety"):
            session = factories.make_session(course=factories.make_course(title=title))
            for row in (session, session.dates[0]):  # 12:00pm in September (BST)
                row.starts_at, row.ends_at = datetime(2030, 9, 30, 11), datetime(2030, 9, 30, 13)
            person = factories.make_user(email=None)
            person.show_course_titles = True
            factories.make_student_profile(person, contact_preference="text", phone="07700 900123")
            factories.make_booking(session, person)
            sessions.append(session.id)
        db.session.commit()
    login_as("admin")
    page = client.get(_url(sessions[0])).get_data(as_text=True)
    assert "Plain text, up to 500 characters, so that it fits in a text message." in page
    words = "w" * 500
    for session_id in sessions:
        assert _post(client, _url(session_id), words=words, send="1").status_code == 302
    texts, _ = _sent(app)
    long_title, short_title = [body for _, _, _, body in texts]
    assert len(long_title) <= 612 and long_title == (
        "Recovery Education Centre, your session on 30 September 2030 at midday: " + words)
    assert len(short_title) <= 612 and short_title == (
        "Recovery Education Centre, Understanding Anxiety, your session on "
        "30 September 2030 at midday: " + words)


def test_a_second_click_sends_nothing_more(app, login_as, client):
    session_id = _class(app)
    login_as("admin")
    url = _url(session_id)
    token = csrf_from(client.get(url).get_data(as_text=True))
    first = client.post(url, data={"csrf_token": token, "words": WORDS, "send": "1"})
    second = client.post(url, data={"csrf_token": token, "words": WORDS, "send": "1"})
    assert first.status_code == second.status_code == 302
    page = client.get(second.headers["Location"]).get_data(as_text=True)
    assert "This message has already been sent. It was sent once." in page
    emails, calls = _sent(app)
    assert len(emails) == 3 and len(calls) == 1
    with app.app_context():
        assert len(db.session.execute(select(ClassMessage)).all()) == 1


def test_nobody_booked_says_so_and_sends_nothing(app, login_as, client):
    with app.app_context():
        session_id = factories.make_session().id
        db.session.commit()
    login_as("admin")
    page = client.get(_url(session_id)).get_data(as_text=True)
    assert "Nobody is booked on this session or waiting for it" in page
    answer = _post(client, _url(session_id), words=WORDS, send="1")
    assert answer.status_code == 400
    assert "there is nobody to send a message to. Nothing has been sent." in answer.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(ClassMessage)).first() is None


def test_after_a_cancellation_the_people_whose_places_went_can_be_told(app, login_as, client):
    from rec_portal.scheduling.operations import cancel_session

    session_id = _class(app, waiting=1)
    with app.test_request_context():
        cancel_session(session_id)
        db.session.execute(OutboxMessage.__table__.delete())
        db.session.commit()
    login_as("admin")
    _post(client, _url(session_id), words="The new date is 3 March.", send="1")
    with app.app_context():
        row = db.session.execute(select(ClassMessage)).scalar_one()
        assert row.recipients == 4  # those with a place, not the person who was waiting


def test_closed_two_weeks_after_the_session_ends(app, login_as, client):
    session_id = _class(app, past_days=20)
    login_as("admin")
    assert "more than 14 days ago" in client.get(_url(session_id)).get_data(as_text=True)
    answer = _post(client, _url(session_id), words=WORDS, send="1")
    assert answer.status_code == 400
    assert _sent(app) == ([], [])


def test_a_rostered_facilitator_may_write_as_the_sessions_facilitator(app, login_as, client):
    session_id = _class(app)
    me = login_as("facilitator")
    with app.app_context():
        factories.add_to_roster(session_id, me.id)
        db.session.commit()
    class_list = client.get(f"/facilitate/sessions/{session_id}").get_data(as_text=True)
    assert f'href="/facilitate/sessions/{session_id}/message"' in class_list
    answer = _post(client, _url(session_id, admin=False), words=WORDS, send="1")
    assert answer.headers["Location"] == f"/facilitate/sessions/{session_id}"
    emails, _ = _sent(app)
    body = next(b for _, to, _, b in emails if to == "ana@example.org")
    assert "from your session's facilitator" in body
    assert me.email not in body
    class_list = client.get(f"/facilitate/sessions/{session_id}").get_data(as_text=True)
    assert "Messages sent to this session" in class_list and "4 people" in class_list


def test_who_may_write(app, login_as, client):
    session_id = _class(app)
    # A facilitator not on the roster: not found, both steps, nothing sent.
    login_as("facilitator")
    assert client.get(_url(session_id, admin=False)).status_code == 404
    token = csrf_from(client.get("/facilitate").get_data(as_text=True))
    refused = client.post(_url(session_id, admin=False), data={"csrf_token": token, "words": WORDS, "send": "1"})
    assert refused.status_code == 404
    # ...nor the admin page.
    assert client.get(_url(session_id)).status_code == 403
    client.post("/logout", data={"csrf_token": token})
    # A student: refused.
    login_as("student")
    assert client.get(_url(session_id)).status_code == 403
    assert client.get(_url(session_id, admin=False)).status_code == 403
    assert _sent(app) == ([], [])
