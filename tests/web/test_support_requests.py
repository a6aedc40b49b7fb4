"""Issue 17, parts 3 and 4: asking for help ("I would like someone from the REC to contact
me") and facilitators' concerns, in a confidential queue only support leads open."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from rec_portal.extensions import db
from rec_portal.models import (
    AuditEvent,
    FeedbackAnswer,
    FeedbackResponse,
    OutboxMessage,
    SupportRequest,
    SupportRequestNote,
)
from rec_portal.timeutil import utcnow
from tests import factories
from tests.conftest import csrf_from, login

PLAN_TEXT = "Walk home the long way past the bakery"
CONCERN_TEXT = "Said a neighbour keeps taking her bank card"


def _count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def _people(app):
    """A student (phone on their profile, a safety plan), a support lead and an admin
    without the role."""
    with app.app_context():
        student = factories.make_user(full_name="Rosa Diaz")
        factories.make_student_profile(student, phone="07700 900321", contact_preference="text")
        factories.make_safety_plan(student, keeping_safe=PLAN_TEXT)
        lead = factories.make_user(roles=("support_lead",), full_name="Lee Support")
        admin = factories.make_user(roles=("admin",), full_name="Ada Admin")
        db.session.commit()
        return student.email, student.id, lead.email, admin.email


def _ask(client, data: dict, came_from: str = "safety_plan"):
    page = client.get(f"/ask-for-help?from={came_from}").get_data(as_text=True)
    fields = {"csrf_token": csrf_from(page), "came_from": came_from, "how": "phone",
              "contact_detail": "07700 900321", "safe_times": "After 2pm", "may_leave_message": "no",
              "details": "I would like to talk about something that happened."}
    fields.update(data)
    return client.post("/ask-for-help", data=fields)


# --- Asking for help -------------------------------------------------------------------------

def test_a_student_asks_from_the_safety_plan_and_support_leads_get_an_email_with_no_details(app):
    student, student_id, lead, admin = _people(app)
    client = login(app, student)
    plan = client.get("/my/safety-plan").get_data(as_text=True)
    assert 'href="/ask-for-help?from=safety_plan"' in plan
    assert "I would like someone from the REC to contact me" in plan

    form = client.get("/ask-for-help?from=safety_plan")
    html = form.get_data(as_text=True)
    assert form.status_code == 200 and form.headers["Cache-Control"] == "no-store"
    assert 'value="07700 900321"' in html  # prefilled from the profile
    assert 'value="text" checked' in html  # their contact preference
    assert PLAN_TEXT not in html  # never the safety plan

    sent = _ask(client, {})
    assert sent.status_code == 302 and sent.headers["Location"] == "/ask-for-help/sent"
    page = client.get("/ask-for-help/sent")
    text = page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    assert "We have your request" in text and "within 2 working days" in text
    for number in ('href="tel:999"', 'href="tel:116123"', 'href="tel:111"'):
        assert number in text
    # Nothing of what was sent is shown again.
    assert "07700 900321" not in text and "After 2pm" not in text and "something that happened" not in text

    with app.app_context():
        [found] = db.session.execute(select(SupportRequest)).scalars().all()
        assert (found.kind, found.came_from, found.person_id, found.raised_by_id) == (
            "asked", "safety_plan", student_id, student_id)
        assert (found.how, found.contact_detail, found.safe_times, found.may_leave_message, found.status) == (
            "phone", "07700 900321", "After 2pm", False, "new")
        assert PLAN_TEXT not in found.details
        messages = db.session.execute(select(OutboxMessage)).scalars().all()
        assert [m.to_address for m in messages] == [lead]  # not the admin without the role
        assert "a new support request is waiting" in messages[0].subject.lower()
        body = messages[0].body_text
        assert "A new support request is waiting" in body and "/support-requests" in body
        for private in ("Rosa", "07700", "After 2pm", "something that happened", "afety plan"):
            assert private not in body


def test_a_problem_shows_next_to_its_field_keeps_the_answers_and_saves_nothing(app):
    student, *_ = _people(app)
    client = login(app, student)
    response = _ask(client, {"how": "email", "contact_detail": "not an address", "may_leave_message": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in html
    assert "Say whether we may leave a message" in html
    assert "I would like to talk about something that happened." in html and "After 2pm" in html
    fixed = _ask(client, {"how": "email", "contact_detail": "not an address", "may_leave_message": "yes"})
    assert fixed.status_code == 400
    assert "Enter an email address in the correct format" in fixed.get_data(as_text=True)
    with app.app_context():
        assert _count(SupportRequest) == 0 and _count(OutboxMessage) == 0


def test_after_signing_out_the_confirmation_and_form_show_nothing(app):
    student, *_ = _people(app)
    client = login(app, student)
    _ask(client, {})
    token = csrf_from(client.get("/ask-for-help/sent").get_data(as_text=True))
    client.post("/quick-exit", data={"csrf_token": token})
    for url in ("/ask-for-help/sent", "/ask-for-help"):
        after = client.get(url)
        assert after.status_code == 302 and after.headers["Location"].startswith("/login")


def test_the_person_sees_their_open_request_and_its_state_but_never_the_notes(app):
    student, student_id, _lead, _admin = _people(app)
    with app.app_context():
        lead = factories.make_user(roles=("support_lead",))
        req = factories.make_support_request(student_id, status="contacted")
        db.session.add(SupportRequestNote(request=req, author_id=lead.id, body="Left a voicemail: mum answered",
                                          status_to="contacted"))
        factories.make_support_request(student_id, status="closed", details="An old one",
                                       closed_at=utcnow() - timedelta(days=31))
        db.session.commit()
    client = login(app, student)
    page = client.get("/my/account").get_data(as_text=True)
    assert 'id="asking-for-help"' in page and "Contacted" in page
    assert page.count('id="my-support-request-') == 1  # the closed one is not listed
    assert "voicemail" not in page and "I would like to talk" not in page
    assert 'href="/ask-for-help?from=account"' in page


def test_signed_out_visitors_on_the_support_guide_get_the_phone_number_and_a_way_to_sign_in(app, client):
    page = client.get("/support").get_data(as_text=True)
    assert 'id="ask-for-help"' in page
    assert 'href="tel:03001234567"' in page or "0300 123 4567" in page
    assert "/login?next=/ask-for-help?from%3Dsupport_guide" in page or "/login?next=%2Fask-for-help" in page


def test_the_questions_about_crime_link_to_asking_for_help(app, login_as, client):
    login_as("student")
    page = client.get("/my/outcomes").get_data(as_text=True)
    assert 'href="/ask-for-help?from=crime_questions"' in page


# --- The support lead's queue ----------------------------------------------------------------

def test_only_support_leads_open_the_queue_and_every_view_is_audited_without_a_subject(app):
    student, student_id, lead, admin = _people(app)
    with app.app_context():
        req = factories.make_support_request(student_id, details="Please call after school pick-up")
        db.session.commit()
        req_id = req.id
    for other in (admin, student):
        client = login(app, other)
        for url in ("/support-requests", f"/support-requests/{req_id}"):
            refused = client.get(url)
            assert refused.status_code == 403
            assert "You do not have access to this page" in refused.get_data(as_text=True)
            assert "Rosa Diaz" not in refused.get_data(as_text=True)
        assert "Support requests" not in client.get("/my/account").get_data(as_text=True)

    client = login(app, lead)
    queue = client.get("/support-requests").get_data(as_text=True)
    assert 'href="/support-requests"' in queue  # the nav item
    assert "Rosa Diaz" in queue and "New (1)" in queue and "Safety plan" not in queue
    assert "Please call" not in queue  # details only on the request's own page
    page = client.get(f"/support-requests/{req_id}").get_data(as_text=True)
    for shown in ("Rosa Diaz", "Phone call: 07700 900555", "Please call after school pick-up",
                  "No: do not leave a message", "My account"):
        assert shown in page
    with app.app_context():
        events = db.session.execute(
            select(AuditEvent).where(AuditEvent.event.like("support_request.%")).order_by(AuditEvent.id)
        ).scalars().all()
        assert [(e.event, e.detail, e.subject_id) for e in events] == [
            ("support_request.queue_viewed_by_staff", f"support requests new page 1: {req_id}", None),
            ("support_request.viewed_by_staff", f"support request {req_id}", None),
        ]
        assert all("Please call" not in (e.detail or "") for e in events)


def test_a_support_lead_adds_notes_moves_the_request_on_and_closes_it(app):
    _student, student_id, lead, _admin = _people(app)
    with app.app_context():
        req_id = factories.make_support_request(student_id).id
        db.session.commit()
    client = login(app, lead)
    url = f"/support-requests/{req_id}"
    token = csrf_from(client.get(url).get_data(as_text=True))

    empty = client.post(f"{url}/notes", data={"csrf_token": token, "body": "", "status_to": "closed"})
    assert empty.status_code == 400 and "Enter the note" in empty.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(SupportRequest, req_id).status == "new"

    noted = client.post(f"{url}/notes", data={"csrf_token": token, "body": "Rang at 3pm; will call back Friday",
                                              "status_to": "contacted"})
    assert noted.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "The request is now contacted." in page and "Rang at 3pm" in page
    # htmx: the progress section only.
    closed = client.post(f"{url}/notes", data={"csrf_token": token, "body": "Spoke to her; nothing more needed",
                                               "status_to": "closed"}, headers={"HX-Request": "true"})
    html = closed.get_data(as_text=True)
    assert closed.status_code == 200 and html.strip().startswith('<div id="request-progress">')
    assert "The request is now closed." in html and "Spoke to her" in html
    with app.app_context():
        found = db.session.get(SupportRequest, req_id)
        assert found.status == "closed" and found.closed_at is not None
        assert [(n.body[:6], n.status_to) for n in found.notes] == [("Rang a", "contacted"), ("Spoke ", "closed")]
    assert "Rosa Diaz" in client.get("/support-requests?status=closed").get_data(as_text=True)
    assert "No new requests." in client.get("/support-requests").get_data(as_text=True)


def test_closed_requests_are_deleted_after_the_retention_period(app):
    with app.app_context():
        person = factories.make_user()
        now = utcnow()
        days = app.config["REC_SUPPORT_REQUEST_RETENTION_DAYS"]
        assert days == 730
        old = factories.make_support_request(person, status="closed", closed_at=now - timedelta(days=days + 1))
        db.session.add(SupportRequestNote(request=old, body="A note"))
        kept = factories.make_support_request(person, status="closed", closed_at=now - timedelta(days=days - 1))
        still_open = factories.make_support_request(person, created_at=now - timedelta(days=days * 2))
        db.session.commit()
        kept_ids = {kept.id, still_open.id}
    result = app.test_cli_runner().invoke(args=["rec", "apply-retention"])
    assert result.exit_code == 0, result.output
    assert "Support requests deleted (closed over 730 days ago): 1" in result.output
    with app.app_context():
        assert set(db.session.execute(select(SupportRequest.id)).scalars()) == kept_ids
        assert _count(SupportRequestNote) == 0


# --- Facilitators' concerns ------------------------------------------------------------------

def _reflection_session(app):
    """A completed session the facilitator was on, with two students who came, a student
    of another session, questions, and the reflection open."""
    from rec_portal.feedback.operations import invite_for_session

    with app.app_context():
        session = factories.make_past_session("Staying Safe", days_ago=2)
        session.completed_at = session.ends_at + timedelta(minutes=20)
        booked = [factories.make_user(full_name=name) for name in ("Nia Booked", "Omar Booked")]
        for student in booked:
            factories.mark_attendance(factories.make_booking(session, student), session, ["present"])
        elsewhere = factories.make_user(full_name="Pia Elsewhere")
        factories.make_booking(factories.make_session(), elsewhere)
        facilitator = factories.make_user(roles=("facilitator",), full_name="Fran Facilitator")
        factories.add_to_roster(session, facilitator)
        other_facilitator = factories.make_user(roles=("facilitator",))
        factories.make_feedback_questions(session.course_id)
        invite_for_session(session)
        lead = factories.make_user(roles=("support_lead",))
        admin = factories.make_user(roles=("admin",))
        db.session.commit()
        return {"session": session.id, "course": session.course_id, "nia": booked[0].id,
                "elsewhere": elsewhere.id, "facilitator": facilitator.email, "other": other_facilitator.email,
                "lead": lead.email, "admin": admin.email}


def test_a_facilitators_concern_reaches_the_support_lead_and_never_feedback(app):
    ids = _reflection_session(app)
    client = login(app, ids["facilitator"])
    url = f"/facilitate/sessions/{ids['session']}/reflection"
    page = client.get(url).get_data(as_text=True)
    assert 'id="feedback-form"' in page and "I am worried about someone’s safety" in page
    assert "Nia Booked" in page and "Omar Booked" in page and "Pia Elsewhere" not in page
    token = csrf_from(page)
    concern = f"/facilitate/sessions/{ids['session']}/concerns"

    refused = client.post(concern, data={"csrf_token": token, "person_id": ids["elsewhere"], "details": CONCERN_TEXT},
                          headers={"HX-Request": "true", "HX-Current-URL": "http://localhost" + url})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "Choose a student from this session" in html and CONCERN_TEXT in html
    with app.app_context():
        assert _count(SupportRequest) == 0

    sent = client.post(concern, data={"csrf_token": token, "person_id": ids["nia"], "details": CONCERN_TEXT},
                       headers={"HX-Request": "true", "HX-Current-URL": "http://localhost" + url})
    html = sent.get_data(as_text=True)
    assert sent.status_code == 200 and html.strip().startswith("<section")
    assert "Your concern has gone to the REC’s support lead" in html and "follow your safeguarding procedure" in html
    assert "Send another concern" in html and CONCERN_TEXT not in html  # a blank form for the next one
    # Without JavaScript: back to the concern page, which says it was sent.
    again = client.post(concern, data={"csrf_token": token, "person_id": ids["nia"], "details": "Second worry"})
    assert again.status_code == 302 and again.headers["Location"] == f"{concern}?sent=1"
    assert "Your concern has gone to the REC’s support lead" in client.get(again.headers["Location"]).get_data(
        as_text=True)

    with app.app_context():
        found = db.session.execute(select(SupportRequest).order_by(SupportRequest.id)).scalars().all()
        assert [(r.kind, r.came_from, r.person_id, r.session_id, r.details) for r in found] == [
            ("concern", "reflection", ids["nia"], ids["session"], CONCERN_TEXT),
            ("concern", "reflection", ids["nia"], ids["session"], "Second worry"),
        ]
        assert found[0].raised_by.email == ids["facilitator"]
        assert _count(FeedbackResponse) == 0 and _count(FeedbackAnswer) == 0
    # The reflection itself is still to be written.
    assert 'id="feedback-form"' in client.get(url).get_data(as_text=True)

    # Nowhere in feedback, for the admin (no support lead role) or facilitators.
    admin = login(app, ids["admin"])
    for page_url in ("/admin/feedback", f"/admin/feedback/courses/{ids['course']}",
                     f"/admin/feedback/courses/{ids['course']}/responses.csv"):
        assert CONCERN_TEXT not in admin.get(page_url).get_data(as_text=True)
    assert admin.get("/support-requests").status_code == 403
    assert admin.get(f"/support-requests/{found[0].id}").status_code == 403
    other = login(app, ids["other"])
    assert other.get(f"/facilitate/sessions/{ids['session']}/concerns").status_code == 404
    assert other.post(concern, data={"csrf_token": token, "person_id": ids["nia"], "details": "x"}).status_code in (
        400, 404)
    assert CONCERN_TEXT not in client.get(f"/facilitate/feedback/courses/{ids['course']}").get_data(as_text=True)

    lead = login(app, ids["lead"])
    queue = lead.get("/support-requests").get_data(as_text=True)
    assert "Nia Booked" in queue and "Facilitator&#39;s concern (raised by Fran Facilitator)" in queue
    page = lead.get(f"/support-requests/{found[0].id}").get_data(as_text=True)
    assert CONCERN_TEXT in page and "Fran Facilitator" in page and "Staying Safe" in page


def test_a_concern_needs_a_student_and_words_and_the_page_works_without_javascript(app):
    ids = _reflection_session(app)
    client = login(app, ids["facilitator"])
    concern = f"/facilitate/sessions/{ids['session']}/concerns"
    page = client.get(concern)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<h1" in html and "I am worried about someone’s safety" in html
    response = client.post(concern, data={"csrf_token": csrf_from(html), "person_id": "", "details": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Choose the student you are worried about" in html and "Enter what you are worried about" in html
    with app.app_context():
        assert _count(SupportRequest) == 0


# --- Issue 17 loose ends: a rate limit, nobody holding the role, closed requests -------------

def test_asking_for_help_is_rate_limited_per_person_calmly_keeping_what_was_typed(app, monkeypatch):
    monkeypatch.setitem(app.config, "REC_LIMIT_SUPPORT_REQUEST", "2 per minute")
    student, student_id, _lead, _admin = _people(app)
    client = login(app, student)
    assert _ask(client, {"may_leave_message": ""}).status_code == 400  # sent back: does not count
    for n in range(2):  # two different requests (the same one twice is one request)
        assert _ask(client, {"details": f"Request {n}"}).status_code == 302
    refused = _ask(client, {"details": "Third time: STILL-TYPED", "safe_times": "Evenings only"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 429
    text = " ".join(html.split())
    assert "We already have your requests" in text and "You do not need to ask again" in text
    assert "To keep accounts safe" not in text  # not the sign-in wording
    assert "STILL-TYPED" in html and 'value="Evenings only"' in html  # nothing typed is lost
    for number in ('href="tel:999"', 'href="tel:116123"', 'href="tel:111"'):
        assert number in html  # the numbers to call now are still there
    assert html.count('id="danger-now"') == 1
    with app.app_context():
        assert _count(SupportRequest) == 2
    # Counted per person, not per connection: someone else on the same wifi can still ask.
    with app.app_context():
        other = factories.make_user()
        db.session.commit()
        other_email = other.email
    assert _ask(login(app, other_email), {}).status_code == 302


def _admin_home(app, email) -> str:
    return " ".join(login(app, email).get("/admin").get_data(as_text=True).split())


WAITING_UNREAD = "Nobody has the support lead role: requests for help are waiting unread"


def test_the_admin_home_warns_when_requests_wait_and_nobody_holds_the_support_lead_role(app):
    with app.app_context():
        admin = factories.make_user(roles=("admin",))
        person = factories.make_user(full_name="Rosa Diaz")
        factories.make_support_request(person, details="PRIVATE-DETAILS")
        # A support lead whose account is disabled reads nothing.
        factories.make_user(roles=("support_lead",), active=False)
        db.session.commit()
        admin_email = admin.email
    home = _admin_home(app, admin_email)
    assert WAITING_UNREAD in home and 'class="nhsuk-warning-callout" id="support-lead-missing"' in home
    assert 'href="/admin/people"' in home
    assert "Rosa Diaz" not in home and "PRIVATE-DETAILS" not in home  # nothing of the request
    with app.app_context():  # once someone holds the role, the warning goes
        factories.make_user(roles=("support_lead",))
        db.session.commit()
    home = _admin_home(app, admin_email)
    assert WAITING_UNREAD not in home and 'id="support-lead-missing"' not in home


def test_the_admin_home_notes_quietly_when_nobody_holds_the_role_and_nothing_waits(app):
    with app.app_context():
        admin = factories.make_user(roles=("admin",))
        factories.make_support_request(factories.make_user(), status="closed", closed_at=utcnow())
        db.session.commit()
        admin_email = admin.email
    home = _admin_home(app, admin_email)
    assert WAITING_UNREAD not in home and "nhsuk-warning-callout\" id=\"support-lead-missing" not in home
    assert 'class="nhsuk-inset-text" id="support-lead-missing"' in home
    assert "Nobody has the support lead role yet" in home and "give the role to someone" in home


def test_my_account_shows_recently_closed_requests_for_30_days_then_not_and_never_notes(app):
    student, student_id, _lead, _admin = _people(app)
    now = utcnow()
    with app.app_context():
        lead = factories.make_user(roles=("support_lead",))
        recent = factories.make_support_request(student_id, status="closed", closed_at=now - timedelta(days=5),
                                                created_at=now - timedelta(days=8), details="RECENT-DETAILS")
        db.session.add(SupportRequestNote(request=recent, author_id=lead.id, body="Spoke to her mum, all fine",
                                          status_to="closed"))
        old = factories.make_support_request(student_id, status="closed", closed_at=now - timedelta(days=31),
                                             created_at=now - timedelta(days=40))
        # A facilitator's concern about her is never shown to her.
        concern = factories.make_support_request(student_id, kind="concern", raised_by=lead, details="WORRIED")
        db.session.commit()
        recent_id, old_id, concern_id = recent.id, old.id, concern.id
    client = login(app, student)
    html = client.get("/my/account").get_data(as_text=True)
    section = " ".join(html.split('id="asking-for-help"')[1].split("Your data")[0].split())
    assert f'id="my-support-request-{recent_id}"' in section and "Closed" in section
    from rec_portal.timeutil import format_uk

    assert f"Closed on {format_uk(now - timedelta(days=5), with_time=False)}" in section
    assert "you can ask again" in section
    assert f'id="my-support-request-{old_id}"' not in html
    assert f'id="my-support-request-{concern_id}"' not in html and "WORRIED" not in html
    assert "Spoke to her mum" not in html and "RECENT-DETAILS" not in html
    # The ask page lists only what is still open ("You have already asked").
    ask = client.get("/ask-for-help").get_data(as_text=True)
    assert "You have already asked" not in ask and f"my-support-request-{recent_id}" not in ask


# --- Sent twice (a double click, two tabs): one request, one email ----------------------------

def test_the_same_request_sent_twice_is_one_request_and_one_email(app):
    student, student_id, lead, _admin = _people(app)
    client = login(app, student)
    token = csrf_from(client.get("/ask-for-help?from=account").get_data(as_text=True))
    fields = {"csrf_token": token, "came_from": "account", "how": "phone", "contact_detail": "07700 900321",
              "safe_times": "After 2pm", "may_leave_message": "no", "details": "Something happened at home."}
    first = client.post("/ask-for-help", data=fields)
    second = client.post("/ask-for-help", data=fields)  # the same form, the same token
    assert first.headers["Location"] == second.headers["Location"] == "/ask-for-help/sent"
    assert "We have your request" in client.get(second.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert _count(SupportRequest) == 1
        assert [m.to_address for m in db.session.execute(select(OutboxMessage)).scalars()] == [lead]
    # Anything different is a new request: here, that no message may be left is now yes.
    assert client.post("/ask-for-help", data={**fields, "may_leave_message": "yes"}).status_code == 302
    with app.app_context():
        assert _count(SupportRequest) == 2 and _count(OutboxMessage) == 2
        # The same again, 11 minutes later or once the first is closed, is new too.
        first_one = db.session.execute(select(SupportRequest).order_by(SupportRequest.id)).scalars().first()
        first_one.created_at -= timedelta(minutes=11)
        db.session.commit()
    assert client.post("/ask-for-help", data=fields).status_code == 302
    with app.app_context():
        assert _count(SupportRequest) == 3 and _count(OutboxMessage) == 3
        for request in db.session.execute(select(SupportRequest)).scalars():
            request.status, request.closed_at = "closed", utcnow()
        db.session.commit()
    assert client.post("/ask-for-help", data=fields).status_code == 302
    with app.app_context():
        assert _count(SupportRequest) == 4 and _count(OutboxMessage) == 4


def _told(lead: str) -> int:
    """How many "a new support request is waiting" emails went to ``lead``."""
    return len(db.session.execute(select(OutboxMessage).where(
        OutboxMessage.to_address == lead, OutboxMessage.subject.contains("a new support request is waiting"))
    ).scalars().all())


def test_the_same_concern_sent_twice_is_one_concern_and_one_email(app):
    ids = _reflection_session(app)
    client = login(app, ids["facilitator"])
    concern = f"/facilitate/sessions/{ids['session']}/concerns"
    fields = {"csrf_token": csrf_from(client.get(concern).get_data(as_text=True)), "person_id": ids["nia"],
              "details": CONCERN_TEXT}
    first = client.post(concern, data=fields)
    second = client.post(concern, data=fields)
    assert first.headers["Location"] == second.headers["Location"] == f"{concern}?sent=1"
    htmx = client.post(concern, data=fields, headers={"HX-Request": "true"})  # and from the reflection page
    assert "Your concern has gone to the REC’s support lead" in htmx.get_data(as_text=True)
    with app.app_context():
        assert _count(SupportRequest) == 1
        assert _told(ids["lead"]) == 1
    assert client.post(concern, data={**fields, "details": "Something else too"}).status_code == 302
    with app.app_context():
        assert _count(SupportRequest) == 2 and _told(ids["lead"]) == 2


def test_my_account_always_offers_the_quick_exit(app):
    """On My account whether or not there is a request to show: a button that appeared only
    once someone had asked would itself tell an onlooker that they had."""
    student, student_id, _lead, _admin = _people(app)
    client = login(app, student)
    for has_request in (False, True):
        if has_request:
            _ask(client, {})
        page = client.get("/my/account").get_data(as_text=True)
        assert ('id="my-support-requests"' in page) is has_request
        assert '<aside class="rec-quick-exit"' in page and 'action="/quick-exit"' in page
        assert "Leave this page quickly" in page
