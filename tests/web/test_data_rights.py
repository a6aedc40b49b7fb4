"""Data rights: download my data (JSON and PDF), delete my account, retention."""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import String, Text, select

from rec_portal import documents
from rec_portal.models import AccountInvitation
from rec_portal.auth import operations as auth_ops
from rec_portal.data_rights import operations
from rec_portal.extensions import db
from rec_portal.models import (
    Attendance,
    AuditEvent,
    Booking,
    FacilitatorProfile,
    FacilitatorRole,
    LearningGoal,
    LearningPlan,
    OutboxMessage,
    PasswordResetToken,
    PlanCourse,
    PlanReview,
    RosterAssignment,
    RosterOffer,
    SafetyPlan,
    SafetyPlanService,
    SavedDraft,
    StudentProfile,
    SupportService,
    TrustedPerson,
    Unavailability,
    User,
    UserRole,
    UserSession,
    WorkshopRequest,
    WorkshopRequestNote,
)
from rec_portal.models.outcomes import OutcomeCheck, OutcomeCrimeType, OutcomeInvitation, OutcomeReportedTo
from rec_portal.timeutil import utcnow
from tests import factories

# One distinctive marker per table that holds the student's data.
MARKERS = {
    "users": "Marigold Featherstone",
    "student_profiles": "Hearing loop marker-profile",
    "learning_plans": "Hope marker-plan",
    "learning_goals": "Goal marker-goal",
    "plan_courses": "Course marker-interest",
    "plan_reviews": "Review marker-review",
    "safety_plans": "Warning sign marker-safety",
    "trusted_people": "Trusted marker-person",
    "safety_plan_services": "Service marker-chosen",
    "bookings": "Course marker-booked",
    "outbox_messages": "Subject marker-email",
    "facilitator_profiles": "Bio marker-facilitator",
    "facilitator_unavailability": "Holiday marker-away",
    "workshop_requests": "Crowds marker-workshop",
    "workshop_request_notes": "Called back marker-note",
    "contact_tasks": "Tell them marker-call",
    "contact_tasks.outcome_note": "Rang back marker-callnote",
    "users.consent_note": "By phone marker-consent",
    "account_invitations": "marker-invite@example.org",
}


def _student_with_everything(email="marigold@example.org"):
    """A student with a row in every table the export covers."""
    user = factories.make_user(email=email, full_name="Marigold Featherstone", preferred_name="Goldie")
    admin = factories.make_user(roles=("admin",), full_name="Advisor Person")
    db.session.add(StudentProfile(user=user, phone="07700 900456", pronouns="she/her",
                                  relationship_to_services="carer", access_needs=MARKERS["student_profiles"]))
    db.session.add(LearningPlan(user_id=user.id, hopes=MARKERS["learning_plans"], strengths="", support=""))
    db.session.add(LearningGoal(user_id=user.id, text=MARKERS["learning_goals"], steps="Step one\nStep two",
                                target_date=date(2027, 1, 31)))
    interest = factories.make_course(title=MARKERS["plan_courses"])
    db.session.add(PlanCourse(user_id=user.id, course_id=interest.id))
    db.session.add(PlanReview(user_id=user.id, reviewer_id=admin.id, review_date=date(2026, 11, 1),
                              notes=MARKERS["plan_reviews"]))
    db.session.add(SafetyPlan(user_id=user.id, warning_signs=MARKERS["safety_plans"]))
    db.session.add(TrustedPerson(user_id=user.id, name=MARKERS["trusted_people"], phone="07700 900999"))
    service = SupportService(name=MARKERS["safety_plan_services"], phone="0800 000 0000")
    db.session.add(service)
    db.session.flush()
    db.session.add(SafetyPlanService(user_id=user.id, service_id=service.id))
    past = factories.make_session(course=factories.make_course(title=MARKERS["bookings"]), starts_in_days=-30)
    offered = datetime(2026, 10, 1, 9, 0)
    db.session.add(Booking(session_id=past.id, student_id=user.id, status="confirmed",
                           confirmed_at=utcnow(), supporter="carer", offered_at=offered,
                           offer_expires_at=offered + timedelta(hours=48),
                           offer_lapsed_at=offered - timedelta(days=3)))
    user.consent_note, user.consent_taken_by_id = MARKERS["users.consent_note"], admin.id
    db.session.add(UserSession(token_hash=secrets.token_hex(32), user_id=user.id))
    db.session.add(PasswordResetToken(token_hash=secrets.token_hex(32), user_id=user.id, expires_at=utcnow()))
    db.session.add(AuditEvent(event="login.succeeded", actor_id=user.id, subject_id=user.id, ip_address="10.1.2.3"))
    db.session.add(OutboxMessage(to_address=user.email, subject=MARKERS["outbox_messages"],
                                 body_text="Dear Goldie, see you soon"))
    db.session.add(OutboxMessage(to_address="marigold.old@example.org", user_id=user.id,
                                 subject="Old address marker-changed", body_text="Dear Marigold Featherstone"))
    db.session.add(SavedDraft(user_id=user.id, form="safety_plan", payload='{"warning_signs": ["kept draft text"]}'))
    profile = FacilitatorProfile(user_id=user.id, organisation="Police", bio=MARKERS["facilitator_profiles"])
    profile.roles = [FacilitatorRole(role="peer_specialist")]
    db.session.add(profile)
    db.session.add(Unavailability(user_id=user.id, day=date(2027, 1, 4), note=MARKERS["facilitator_unavailability"]))
    db.session.add(RosterAssignment(session_id=past.id, user_id=user.id, role="peer_specialist"))
    db.session.add(RosterOffer(session_id=past.id, user_id=user.id, role="peer_specialist"))
    db.session.flush()
    booking = db.session.execute(select(Booking).where(Booking.student_id == user.id)).scalar_one()
    db.session.add(Attendance(booking_id=booking.id, session_date_id=past.dates[0].id, status="present"))
    request = WorkshopRequest(student_id=user.id, course_id=past.course_id, why_not_group=MARKERS["workshop_requests"],
                              what_would_help="A quiet room", availability="Tuesday mornings",
                              contact_method="phone", contact_detail="07700 900456")
    request.notes.append(WorkshopRequestNote(author_id=admin.id, text=MARKERS["workshop_request_notes"]))
    db.session.add(request)
    check = OutcomeCheck(student_id=user.id, stage="baseline", victim=True, times=2, reported=False)
    check.crime_types = [OutcomeCrimeType(crime_type="fraud"), OutcomeCrimeType(crime_type="harassment")]
    check.reported_to = [OutcomeReportedTo(body="police")]
    db.session.add(check)
    db.session.add(OutcomeInvitation(student_id=user.id, stage="6_months", session_id=past.id, due_at=utcnow()))
    factories.make_contact_task(user, message=MARKERS["contact_tasks"], outcome="spoke",
                                outcome_note=MARKERS["contact_tasks.outcome_note"])
    db.session.add(AccountInvitation(user_id=user.id, email=MARKERS["account_invitations"],
                                     token_hash=secrets.token_hex(32), expires_at=utcnow()))
    db.session.flush()
    return user


def test_every_table_linked_to_users_is_in_the_export():
    """Fails when a new table that points at users is added and the export forgets it."""
    from rec_portal.extensions import db as database

    linked = {
        table.name
        for table in database.metadata.sorted_tables
        for fk in table.foreign_keys
        if fk.column.table.name == "users"
    } | {"users"}
    missing = linked - set(operations.EXPORTED_TABLES) - set(operations.NOT_PERSONAL)
    assert not missing, f"add these tables to the data export (or NOT_PERSONAL with a reason): {missing}"
    unknown = set(operations.EXPORTED_TABLES) - set(database.metadata.tables)
    assert not unknown


def test_export_holds_every_table_and_nothing_of_anyone_else(app, client, web):
    with app.app_context():
        me = _student_with_everything()
        _student_with_everything(email="someone.else@example.org")
        db.session.execute(
            User.__table__.update().where(User.email == "someone.else@example.org").values(full_name="Other Student")
        )
        db.session.commit()
        email = me.email
    web.login(email)
    response = client.get("/my/account/data.json")
    assert response.headers["Content-Disposition"] == 'attachment; filename="my-rec-data.json"'
    assert response.headers["Cache-Control"] == "no-store"
    data = response.get_json()
    text = json.dumps(data)
    for table, marker in MARKERS.items():
        assert marker in text, f"{table} missing from the export"
    assert data["account"]["student_number"].startswith("REC-")
    assert data["enrolment"]["pronouns"] == "she/her"
    assert data["learning_plan"]["goals"][0]["steps"] == ["Step one", "Step two"]
    assert data["learning_plan"]["reviews"][0]["reviewer"] == "Advisor Person"
    assert data["safety_plan"]["trusted_people"][0]["phone"] == "07700 900999"
    assert data["sign_ins"] and data["password_resets"]
    assert data["kept_while_signed_out"][0]["what_you_typed"] == {"warning_signs": ["kept draft text"]}
    assert "Old address marker-changed" in text  # mail sent to an address no longer used
    assert data["bookings"][0]["attendance"][0]["attendance"] == "present"
    booking = data["bookings"][0]
    assert ([booking[k] for k in ("supporter", "offered_at", "offer_held_until", "offer_lapsed_at")]
            == ["Carer", "2026-10-01T09:00:00", "2026-10-03T09:00:00", "2026-09-28T09:00:00"])
    assert data["account"]["consent_told_to_staff"] == {
        "when": data["account"]["privacy_notice_agreed_at"], "how": MARKERS["users.consent_note"],
        "taken_by": "Advisor Person"}
    (call,) = data["calls_and_letters"]
    assert (call["outcome"], call["outcome_note"]) == ("Spoke to them", MARKERS["contact_tasks.outcome_note"])
    # Invitations to set up an online account are listed once.
    assert "invitations_to_set_up_an_account" not in data
    assert [i["sent_to"] for i in data["account_invitations"]] == [MARKERS["account_invitations"]]
    assert data["facilitating"]["roles"] == ["Peer specialist or peer trainer"]
    assert data["facilitating"]["sessions"] and data["facilitating"]["offers_to_cover"]
    assert any(e["from_ip_address"] == "10.1.2.3" for e in data["activity"])
    answers = data["crime_questionnaires"]["answers"]
    assert answers == [{
        "stage": "At enrolment", "answered_at": answers[0]["answered_at"], "victim_of_crime_in_last_12_months": True,
        "how_many_times": 2, "kinds_of_crime": ["Fraud or a scam", "Harassment, threats or stalking"],
        "reported": False, "reported_to": ["The police"], "got_support": None,
    }]
    assert [i["stage"] for i in data["crime_questionnaires"]["invitations"]] == ["6 months after Staying Safe"]
    workshop = data["individual_workshops"][0]
    assert workshop["status"] == "New" and workshop["contact_by"] == "Phone call"
    assert workshop["notes_by_staff"][0]["note"] == MARKERS["workshop_request_notes"]
    assert "Other Student" not in text and "someone.else@example.org" not in text
    with app.app_context():
        event = db.session.execute(
            select(AuditEvent).where(AuditEvent.event == "account.data_downloaded")
        ).scalar_one()
        assert event.detail == "json" and event.subject_id == me.id


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils")
def test_export_pdf_reads_as_text_and_fetches_nothing(app, client, web):
    nasty = ('<img src="file:///etc/passwd"> <link rel="attachment" href="file:///etc/passwd"> '
             '<img src="http://169.254.169.254/">')
    with app.app_context():
        me = _student_with_everything()
        db.session.get(SafetyPlan, me.id).keeping_safe = nasty
        db.session.commit()
        email = me.email
    web.login(email)
    documents.requested_urls.clear()
    response = client.get("/my/account/data.pdf")
    assert response.headers["Content-Type"] == "application/pdf"
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=response.data,
                          capture_output=True, check=True).stdout.decode()
    for marker in ("Marigold Featherstone", MARKERS["learning_goals"], MARKERS["safety_plans"],
                   MARKERS["trusted_people"], MARKERS["workshop_requests"], MARKERS["workshop_request_notes"],
                   "Fraud or a scam, Harassment, threats or stalking", 'src="file:///etc/passwd"', "169.254.169.254",
                   MARKERS["contact_tasks.outcome_note"], MARKERS["users.consent_note"], "Carer"):
        assert marker in text
    assert "root:x:0:0" not in text
    assert list(documents.requested_urls) == ["https://rec-portal.invalid/static/css/documents.css"]


def _all_text_in_database() -> str:
    """Every string value in every table, to search for what should be gone."""
    chunks = []
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, (String, Text))]
        if not columns:
            continue
        for row in db.session.execute(select(*columns)):
            chunks.extend(str(v) for v in row if v)
    return "\n".join(chunks)


def test_deleting_my_account_leaves_no_personal_data(app, client, web):
    with app.app_context():
        me = _student_with_everything()
        course = factories.make_course(title="Future Course")
        future = factories.make_session(course=course, capacity=1, starts_in_days=10)
        factories.make_booking(future, me, confirmed_at=utcnow())
        waiting = factories.make_user(email="waiting@example.org")
        factories.make_booking(future, waiting, "waitlisted")
        db.session.commit()
        my_id, email, future_id = me.id, me.email, future.id
    web.login(email)
    old_cookie = client.get_cookie("rec_session").value

    page = client.get("/my/account/delete").get_data(as_text=True)
    assert "your learning plan and your safety plan are deleted" in page
    html = web.submit("/my/account/delete", {"password": "wrong-password-1"}).get_data(as_text=True)
    assert "Your password is not correct" in html
    assert "Tick the box to confirm that you want to delete your account" in html
    with app.app_context():
        assert db.session.get(User, my_id).anonymised_at is None  # nothing half-done

    response = web.submit("/my/account/delete", {"password": factories.PASSWORD, "understood": "y"})
    assert response.headers["Location"] == "/my/account/deleted"
    assert "Your account has been deleted" in client.get("/my/account/deleted").get_data(as_text=True)
    assert client.get("/my/account").status_code == 302  # signed out
    replay = app.test_client()
    replay.set_cookie("rec_session", old_cookie)
    assert replay.get("/my/account").status_code == 302

    with app.app_context():
        everything = _all_text_in_database()
        for gone in ("marigold", "Marigold", "Featherstone", "Old address marker", "kept draft text", "Goldie", "07700 900456", "07700 900999",
                     "10.1.2.3", *[MARKERS[t] for t in ("student_profiles", "learning_plans", "learning_goals",
                                                          "plan_reviews", "safety_plans", "trusted_people",
                                                          "outbox_messages", "facilitator_profiles",
                                                          "facilitator_unavailability", "workshop_requests",
                                                          "workshop_request_notes", "contact_tasks",
                                                          "contact_tasks.outcome_note", "users.consent_note")],
                     "A quiet room", "Tuesday mornings"):
            assert gone not in everything, gone
        user = db.session.get(User, my_id)
        assert user.anonymised_at is not None and not user.active and user.role_names == set()
        assert user.full_name == "Deleted account"
        # Bookings stay as anonymous counts; the future place is held for the first person waiting.
        statuses = {b.session_id: b.status for b in db.session.execute(
            select(Booking).where(Booking.student_id == my_id)).scalars()}
        assert statuses[future_id] == "cancelled" and "confirmed" in statuses.values()
        assert {b.supporter for b in db.session.execute(
            select(Booking).where(Booking.student_id == my_id)).scalars()} == {""}  # who came with them
        promoted = db.session.execute(select(Booking).where(Booking.student_id != my_id,
                                                            Booking.session_id == future_id)).scalar_one()
        assert promoted.status == "offered"
        for model in (SafetyPlan, LearningPlan, StudentProfile):
            assert db.session.get(model, my_id) is None
        # Answers about crime go; a workshop request stays as a count with nothing typed.
        for model in (OutcomeCheck, OutcomeInvitation):
            assert db.session.execute(select(model).where(model.student_id == my_id)).first() is None
        assert db.session.execute(select(OutcomeCrimeType)).first() is None
        request = db.session.execute(select(WorkshopRequest).where(WorkshopRequest.student_id == my_id)).scalar_one()
        assert (request.status, request.why_not_group, request.contact_detail, request.notes) == ("new", "", "", [])
        assert db.session.execute(select(AuditEvent.event).where(AuditEvent.event == "account.deleted")).first()

    # Nobody can sign in as the deleted account, and the email can enrol again.
    assert "Enter a correct email address and password" in web.submit(
        "/login", {"email": email, "password": factories.PASSWORD}).get_data(as_text=True)
    with app.app_context():
        again = auth_ops.register_user(full_name="Marigold F", preferred_name="", email=email,
                                       password="another-good-password-9")
        db.session.commit()
        assert again.id != my_id


def test_admin_sees_nothing_of_a_deleted_account(app, client, web):
    with app.app_context():
        me = _student_with_everything()
        operations.delete_account(me)
        factories.make_user(roles=("admin",), email="boss@example.org")
        db.session.commit()
        my_id = me.id
    web.login("boss@example.org")
    page = client.get(f"/admin/people/{my_id}").get_data(as_text=True)
    assert "Deleted account" in page
    assert "Marigold" not in page and "marigold@example.org" not in page
    listing = client.get("/admin/people?q=marigold").get_data(as_text=True)
    assert "Marigold" not in listing


def test_data_pages_need_sign_in_and_csrf(app, client, web):
    for url in ("/my/account/data", "/my/account/data.json", "/my/account/data.pdf", "/my/account/delete"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    with app.app_context():
        me = factories.make_user()
        db.session.commit()
        email, my_id = me.email, me.id
    web.login(email)
    assert "Download my data as a JSON file" in client.get("/my/account/data").get_data(as_text=True)
    assert client.post("/my/account/delete", data={"password": factories.PASSWORD, "understood": "y"}).status_code == 400
    with app.app_context():
        assert db.session.get(User, my_id).anonymised_at is None


def test_retention_anonymises_only_long_inactive_non_admin_accounts(app):
    with app.app_context():
        now = utcnow()
        old = factories.make_user(email="old@example.org", full_name="Olive Oldham")
        old.last_login_at = now - timedelta(days=365 * 3 + 40)
        never = factories.make_user(email="never@example.org")
        never.created_at = now - timedelta(days=365 * 4)
        recent = factories.make_user(email="recent@example.org")
        recent.last_login_at = now - timedelta(days=45)
        boss = factories.make_user(roles=("admin",), email="boss@example.org")
        boss.last_login_at = now - timedelta(days=365 * 5)
        db.session.add(SafetyPlan(user_id=old.id, warning_signs="old plan text"))
        db.session.commit()
        ids = {u.email: u.id for u in (old, never, recent, boss)}

    runner = app.test_cli_runner()
    result = runner.invoke(args=["rec", "apply-retention"])
    assert result.exit_code == 0, result.output
    assert "Accounts anonymised (no sign-in or booking for more than 36 months): 2\n" in result.output
    again = runner.invoke(args=["rec", "apply-retention"])
    assert "Accounts anonymised (no sign-in or booking for more than 36 months): 0\n" in again.output
    with app.app_context():
        assert db.session.get(User, ids["old@example.org"]).anonymised_at is not None
        assert db.session.get(User, ids["never@example.org"]).anonymised_at is not None
        assert db.session.get(User, ids["recent@example.org"]).anonymised_at is None
        assert db.session.get(User, ids["boss@example.org"]).anonymised_at is None
        assert "Olive Oldham" not in _all_text_in_database()
        assert "old plan text" not in _all_text_in_database()
    refused = runner.invoke(args=["rec", "apply-retention", "--months", "1"])
    assert refused.exit_code == 2 and "1 is not in the range x>=12" in refused.output
    app.config["REC_RETENTION_MONTHS"] = 0
    try:
        bad = runner.invoke(args=["rec", "apply-retention"])
    finally:
        app.config["REC_RETENTION_MONTHS"] = 36
    assert bad.exit_code == 2 and "must be 12 or more" in bad.output
    with app.app_context():
        assert db.session.get(User, ids["recent@example.org"]).anonymised_at is None


def test_retention_counts_a_recent_phone_booking_as_activity(app):
    with app.app_context():
        now = utcnow()
        by_phone = factories.make_user(email="phone@example.org")
        by_phone.created_at = now - timedelta(days=365 * 4)  # never signed in
        session = factories.make_session(starts_in_days=-40)
        factories.make_booking(session, by_phone, queued_at=now - timedelta(days=60), confirmed_at=None,
                               made_by="admin", made_by_user_id=None)
        db.session.commit()
        uid = by_phone.id
    result = app.test_cli_runner().invoke(args=["rec", "apply-retention", "--months", "12"])
    assert "Accounts anonymised (no sign-in or booking for more than 12 months): 0\n" in result.output
    with app.app_context():
        assert db.session.get(User, uid).anonymised_at is None


def test_the_last_admin_cannot_delete_their_account(app, client, web):
    with app.app_context():
        boss = factories.make_user(roles=("admin", "student"), email="boss@example.org")
        db.session.commit()
        boss_id = boss.id
    web.login("boss@example.org")
    html = web.submit("/my/account/delete", {"password": factories.PASSWORD, "understood": "y"}).get_data(as_text=True)
    assert "You are the only admin" in html
    with app.app_context():
        assert db.session.get(User, boss_id).anonymised_at is None
        factories.make_user(roles=("admin",), email="second@example.org")
        db.session.commit()
    response = web.submit("/my/account/delete", {"password": factories.PASSWORD, "understood": "y"})
    assert response.headers["Location"] == "/my/account/deleted"
    with app.app_context():
        event = db.session.execute(select(AuditEvent).where(AuditEvent.event == "account.deleted")).scalar_one()
        assert event.ip_address is None and event.subject_id == boss_id


def test_a_missing_pdf_library_gives_a_calm_page_not_a_crash(app, client, web, monkeypatch):
    def broken(*args, **kwargs):
        raise documents.PdfUnavailable("cannot load library 'libpango-1.0-0'")

    monkeypatch.setattr(documents, "render_pdf", broken)
    with app.app_context():
        me = factories.make_user()
        db.session.commit()
        email = me.email
    web.login(email)
    response = client.get("/my/account/data.pdf")
    assert response.status_code == 503
    assert "Sorry, downloads are not working at the moment" in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)


STUDENT_IP, STAFF_IP, STRANGER_IP = "198.51.100.23", "203.0.113.99", "192.0.2.66"


def test_export_holds_my_own_ip_addresses_and_never_staffs_or_anyone_elses(app, client):
    """Issue 13: the activity list gave the IP address of the staff member who opened the
    student's record (and of whoever typed their address at the sign-in page)."""
    from tests.conftest import Browserless

    with app.app_context():
        me = factories.make_user(full_name="Marigold Featherstone", email="marigold@example.org")
        factories.make_user(roles=("admin",), email="boss@example.org")
        db.session.commit()
        my_id = me.id
    stranger = Browserless(app.test_client())
    stranger.client.environ_base["REMOTE_ADDR"] = STRANGER_IP
    stranger.submit("/login", {"email": "marigold@example.org", "password": "not-her-password-1"})
    staff = Browserless(app.test_client())
    staff.client.environ_base["REMOTE_ADDR"] = STAFF_IP
    staff.login("boss@example.org")
    assert "Marigold Featherstone" in staff.client.get(f"/admin/people/{my_id}").get_data(as_text=True)
    client.environ_base["REMOTE_ADDR"] = STUDENT_IP
    Browserless(client).login("marigold@example.org")

    data = client.get("/my/account/data.json").get_json()
    ips = {e["what"]: e["from_ip_address"] for e in data["activity"]}
    assert ips["Account opened by staff"] is None
    assert [e["from_ip_address"] for e in data["activity"] if e["by_you"]] == [STUDENT_IP]
    text = json.dumps(data)
    assert STUDENT_IP in text and STAFF_IP not in text and STRANGER_IP not in text
    with app.app_context():  # the audit log itself still has them, for staff
        stored = {e.ip_address for e in db.session.execute(select(AuditEvent)).scalars()}
        assert {STUDENT_IP, STAFF_IP, STRANGER_IP} <= stored

    if shutil.which("pdftotext"):
        pdf = client.get("/my/account/data.pdf")
        text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf.data,
                              capture_output=True, check=True).stdout.decode()
        assert "Account opened by staff" in text
        assert STUDENT_IP in text and STAFF_IP not in text and STRANGER_IP not in text


# --- A person without an online account: an admin prints or deletes their data ---------------


def _added_by_staff_with_everything():
    """The student with everything, as a person the REC team added: no password, so they
    cannot sign in to download or delete their data."""
    person = _student_with_everything()
    person.password_hash = None
    db.session.commit()
    return person.id


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils")
def test_an_admin_prints_the_data_of_a_person_without_an_online_account(app, client, login_as):
    with app.app_context():
        person_id = _added_by_staff_with_everything()
    admin = login_as("admin")
    page = client.get(f"/admin/people/{person_id}").get_data(as_text=True)
    assert "cannot download or delete their data themselves" in page
    assert f'href="/admin/people/{person_id}/data.pdf">Print their data' in page
    response = client.get(f"/admin/people/{person_id}/data.pdf")
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"] == 'attachment; filename="rec-data-REC-000001.pdf"'
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=response.data,
                          capture_output=True, check=True).stdout.decode()
    # The same document as their own "download my data".
    assert "Everything the REC holds about you" in text and "marigold@example.org" in text
    for marker in ("Marigold Featherstone", MARKERS["learning_goals"], MARKERS["safety_plans"],
                   MARKERS["trusted_people"], MARKERS["workshop_requests"], MARKERS["contact_tasks"],
                   MARKERS["users.consent_note"], MARKERS["account_invitations"]):
        assert marker in text, marker
    with app.app_context():
        event = db.session.execute(select(AuditEvent).where(
            AuditEvent.event == "export", AuditEvent.subject_id == person_id)).scalar_one()
        assert event.actor_id == admin.id
        assert event.detail == "everything held about them (PDF), printed by staff"


def test_an_admin_deletes_the_record_of_a_person_without_an_online_account(app, client, login_as, web):
    with app.app_context():
        person_id = _added_by_staff_with_everything()
        future = factories.make_session(capacity=1, starts_in_days=10)
        factories.make_booking(future, db.session.get(User, person_id), confirmed_at=utcnow())
        db.session.commit()
        future_id = future.id
    admin = login_as("admin")
    assert (f'href="/admin/people/{person_id}/delete">Delete their record'
            in client.get(f"/admin/people/{person_id}").get_data(as_text=True))
    confirm = client.get(f"/admin/people/{person_id}/delete").get_data(as_text=True)
    assert "Delete Marigold Featherstone’s record?" in confirm
    assert "Do this only if Goldie has asked for their record to be deleted." in confirm
    response = web.submit(f"/admin/people/{person_id}/delete", {}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Marigold Featherstone’s record has been deleted. Nothing personal about them is kept, except" in html
    assert "This account was deleted on" in html and "Print their data" not in html
    with app.app_context():
        everything = _all_text_in_database()
        for gone in ("marigold", "Marigold", "Featherstone", "Goldie", "07700 900456",
                     *[MARKERS[t] for t in ("student_profiles", "learning_goals", "safety_plans",
                                            "trusted_people", "contact_tasks", "users.consent_note",
                                            "contact_tasks.outcome_note", "account_invitations")]):
            assert gone not in everything, gone
        person = db.session.get(User, person_id)
        assert person.anonymised_at is not None and person.full_name == "Deleted account"
        booking = db.session.execute(select(Booking).where(Booking.student_id == person_id,
                                                           Booking.session_id == future_id)).scalar_one()
        assert booking.status == "cancelled"
        event = db.session.execute(select(AuditEvent).where(
            AuditEvent.event == "account.deleted_by_staff")).scalar_one()
        assert (event.actor_id, event.subject_id) == (admin.id, person_id)


def test_staff_cannot_print_or_delete_for_someone_with_an_online_account_or_an_admin(
        app, client, login_as, web):
    with app.app_context():
        online = factories.make_user(email="online@example.org", full_name="Olive Online")
        admin_without_password = factories.make_person_without_account(full_name="Ada Admin")
        admin_without_password.roles.append(UserRole(role="admin"))
        db.session.commit()
        online_id, ada_id = online.id, admin_without_password.id
    login_as("admin")
    page = client.get(f"/admin/people/{online_id}").get_data(as_text=True)
    assert "Print their data" not in page and "Delete their record" not in page
    for url in (f"/admin/people/{online_id}/data.pdf", f"/admin/people/{online_id}/delete"):
        refused = client.get(url, follow_redirects=True).get_data(as_text=True)
        assert "Olive Online has an online account, so they can" in refused
        assert "themselves, from “My account”. Staff cannot do it for them." in refused
    posted = web.submit(f"/admin/people/{online_id}/delete", {}, page=f"/admin/people/{online_id}",
                        follow_redirects=True)
    assert "Olive Online has an online account, so they can delete their account themselves" in (
        posted.get_data(as_text=True))
    ada_page = client.get(f"/admin/people/{ada_id}").get_data(as_text=True)
    assert "Print their data" in ada_page and "Delete their record" not in ada_page
    posted = web.submit(f"/admin/people/{ada_id}/delete", {}, page=f"/admin/people/{ada_id}",
                        follow_redirects=True)
    assert "An admin’s record cannot be deleted here." in posted.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, online_id).anonymised_at is None
        assert db.session.get(User, ada_id).anonymised_at is None
        assert db.session.execute(select(AuditEvent).where(AuditEvent.event.in_(
            ("export", "account.deleted_by_staff")))).first() is None
