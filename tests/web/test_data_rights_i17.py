"""Data rights for the issue-17 tables: the download (JSON and PDF) has a section for each
(personal tutor, referral, support requests, equality monitoring), a facilitator's words
about a student are not in the student's download, and deleting an account leaves nothing
personal in them (counts stay)."""

from __future__ import annotations

import json
from datetime import timedelta
import shutil
import subprocess

import pytest
from sqlalchemy import String, Text, select

from rec_portal.data_rights import operations
from rec_portal.extensions import db
from rec_portal.models import (
    EqualityAnswers,
    PlanConversation,
    Referral,
    SupportRequest,
    SupportRequestNote,
    Tutorship,
)
from rec_portal.timeutil import uk_date, utcnow
from tests import factories
from tests.conftest import Browserless, login

MARKERS = {
    "plan_conversations": "Tuesday mornings marker-conversation",
    "plan_conversations.note": "Talk about volunteering marker-talk",
    "referrals.reason": "Low confidence after a burglary marker-reason",
    "referrals.referrer": "Dr Referring Marker",
    "referrals.referrer_email": "referrer.marker@example.nhs.uk",
    "referrals.person_phone": "07700 900777",
    "support_requests": "Please call after six marker-request",
    "support_request_notes": "Rang back and talked marker-note",
}
CONCERN_WORDS = "Seemed frightened of someone marker-concern"
CONCERN_NOTE = "Spoke to care co-ordinator marker-concernnote"


def _world(app):
    """A student with a tutor, a conversation, a referral, a request of their own and a
    facilitator's concern about them, and equality answers. Returns ids and emails."""
    with app.app_context():
        student = factories.make_user(full_name="Rosalind Student", email="rosalind@example.org")
        tutor = factories.make_user(roles=("tutor",), full_name="Tobias Tutor", email="tobias@example.org")
        facilitator = factories.make_user(roles=("facilitator",), full_name="Fay Facilitator",
                                          email="fay@example.org")
        lead = factories.make_user(roles=("support_lead",), full_name="Sam Lead")
        db.session.add(Tutorship(student_id=student.id, tutor_id=tutor.id, review_every_months=4))
        db.session.add(PlanConversation(student_id=student.id, tutor_id=tutor.id, way="phone",
                                        when_suits=MARKERS["plan_conversations"],
                                        note=MARKERS["plan_conversations.note"]))
        db.session.add(Referral(referrer_name=MARKERS["referrals.referrer"], referrer_organisation="North CMHT",
                                org_type="nhs_mental_health", referrer_role="Care co-ordinator",
                                referrer_email=MARKERS["referrals.referrer_email"], person_name="Rosalind Student",
                                person_phone=MARKERS["referrals.person_phone"], reason=MARKERS["referrals.reason"],
                                person_agreed=True, status="enrolled", student_id=student.id,
                                handled_by_id=lead.id))
        own = SupportRequest(kind="asked", came_from="account", person_id=student.id, raised_by_id=student.id,
                             how="phone", contact_detail="07700 900777", safe_times="after 6pm",
                             may_leave_message=False, details=MARKERS["support_requests"], status="contacted")
        own.notes.append(SupportRequestNote(author_id=lead.id, body=MARKERS["support_request_notes"]))
        concern = SupportRequest(kind="concern", came_from="reflection", person_id=student.id,
                                 raised_by_id=facilitator.id, details=CONCERN_WORDS, status="new")
        concern.notes.append(SupportRequestNote(author_id=lead.id, body=CONCERN_NOTE))
        db.session.add_all([own, concern])
        db.session.add(EqualityAnswers(user_id=student.id, age_band="35_44", ethnicity="mixed_white_asian",
                                       religion="prefer_not"))
        db.session.commit()
        return {"student": student.id, "tutor": tutor.id, "facilitator": facilitator.id}


def _download(app, email):
    client = app.test_client()
    Browserless(client).login(email)
    return client, client.get("/my/account/data.json").get_json()


def test_the_download_has_every_issue_17_section(app):
    _world(app)
    client, data = _download(app, "rosalind@example.org")
    text = json.dumps(data)
    for marker in MARKERS.values():
        assert marker in text, marker
    assert data["personal_tutor"]["your_tutor"]["name"] == "Tobias Tutor"
    assert data["personal_tutor"]["your_tutor"]["plan_reviewed_every_months"] == 4
    (conversation,) = data["personal_tutor"]["conversations_you_asked_for"]
    assert (conversation["how"], conversation["status"], conversation["with"]) == ("Phone call", "Asked for", "Tobias Tutor")
    (referral,) = data["referral"]
    assert referral["organisation_type"].startswith("NHS mental health service")
    assert (referral["organisation"], referral["status"], referral["you_agreed_to_be_referred"]) == (
        "North CMHT", "Enrolled", True)
    requests = data["support_requests"]
    (own,) = requests["you_asked_to_be_contacted"]
    assert (own["how"], own["may_leave_a_message"], own["status"]) == ("Phone call", "No", "Contacted")
    assert own["notes_by_the_support_lead"][0]["note"] == MARKERS["support_request_notes"]
    # A facilitator's concern: that it exists, when, its state; never their words or the notes.
    (concern,) = requests["concerns_about_your_safety"]
    assert set(concern) == {"raised_at", "status", "closed_at"} and concern["status"] == "New"
    assert CONCERN_WORDS not in text and CONCERN_NOTE not in text and "Fay Facilitator" not in text
    answers = {a["question"]: a["answer"] for a in data["equality_monitoring"]}
    assert answers["How old are you?"] == "35 to 44"
    assert answers["What is your ethnic group?"] == "Mixed: White and Asian"
    assert answers["What is your religion or belief?"] == "Prefer not to say"
    assert answers["What is your sex?"] == "Not answered"


def test_a_tutor_gets_their_students_names_only_and_a_facilitator_their_own_words(app):
    _world(app)
    _client, data = _download(app, "tobias@example.org")
    assert data["personal_tutor"]["your_students_as_a_tutor"][0]["name"] == "Rosalind Student"
    text = json.dumps(data)
    for private in (MARKERS["plan_conversations.note"], MARKERS["referrals.reason"], "Mixed: White and Asian"):
        assert private not in text
    _client, data = _download(app, "fay@example.org")
    (raised,) = data["support_requests"]["concerns_you_raised"]
    assert raised["your_words"] == CONCERN_WORDS and "Rosalind" not in json.dumps(data)
    assert CONCERN_NOTE not in json.dumps(data)


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils")
def test_the_pdf_has_every_issue_17_section(app):
    _world(app)
    client, _data = _download(app, "rosalind@example.org")
    response = client.get("/my/account/data.pdf")
    text = " ".join(subprocess.run(["pdftotext", "-layout", "-", "-"], input=response.data,
                                   capture_output=True, check=True).stdout.decode().split())
    for words in ("Personal tutor", "Tobias Tutor", "every 4 months", MARKERS["plan_conversations"],
                  "Referral to the REC", MARKERS["referrals.reason"], MARKERS["referrals.referrer_email"],
                  MARKERS["support_requests"], MARKERS["support_request_notes"],
                  "Concerns about your safety raised by a facilitator", "Equality monitoring",
                  "Mixed: White and Asian"):
        assert words in text, words
    assert CONCERN_WORDS not in text


def _all_text() -> str:
    chunks = []
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, (String, Text))]
        for row in db.session.execute(select(*columns)) if columns else ():
            chunks.extend(str(v) for v in row if v)
    return "\n".join(chunks)


def test_deleting_the_student_leaves_nothing_personal_and_keeps_the_counts(app):
    ids = _world(app)
    with app.app_context():
        # Closed requests go with the account (open ones are kept: see the next tests).
        for found in db.session.execute(select(SupportRequest)).scalars():
            found.status, found.closed_at = "closed", utcnow()
        operations.delete_account(db.session.get(operations.User, ids["student"]))
        db.session.commit()
        everything = _all_text()
        for gone in (*MARKERS.values(), CONCERN_WORDS, CONCERN_NOTE, "Rosalind", "North CMHT", "Care co-ordinator"):
            assert gone not in everything, gone
        for model in (Tutorship, PlanConversation, SupportRequest, SupportRequestNote, EqualityAnswers):
            assert db.session.execute(select(model)).first() is None, model
        referral = db.session.execute(select(Referral)).scalar_one()  # kept as a count
        assert (referral.org_type, referral.status, referral.student_id) == ("nhs_mental_health", "enrolled", ids["student"])
        assert (referral.person_name, referral.referrer_name, referral.reason) == ("", "", "")


def test_deleting_a_tutor_or_facilitator_leaves_the_students_records_without_them(app):
    ids = _world(app)
    with app.app_context():
        for key in ("tutor", "facilitator"):
            operations.anonymise(db.session.get(operations.User, ids[key]))
        db.session.commit()
        assert db.session.execute(select(Tutorship)).first() is None  # the student has no tutor now
        conversation = db.session.execute(select(PlanConversation)).scalar_one()
        assert conversation.tutor_id is None  # it goes to the REC team
        concern = db.session.execute(select(SupportRequest).where(SupportRequest.kind == "concern")).scalar_one()
        assert concern.raised_by_id is None and concern.person_id == ids["student"]
        assert "Tobias" not in _all_text() and "Fay Facilitator" not in _all_text()


# --- Open requests outlive the account; only support leads see them in a staff print --------

OPEN_ASK = "Please ring before noon marker-open-ask"


def _delete_by_themself(app, ids):
    web = Browserless(app.test_client())
    web.login("rosalind@example.org")
    response = web.submit("/my/account/delete", {"password": factories.PASSWORD, "understood": "y"})
    assert response.headers["Location"] == "/my/account/deleted"


def _delete_by_staff(app, ids):
    with app.app_context():
        db.session.get(operations.User, ids["student"]).password_hash = None  # no online account
        factories.make_user(roles=("admin",), email="ada.admin@example.org")
        db.session.commit()
    web = Browserless(app.test_client())
    web.login("ada.admin@example.org")
    html = web.submit(f"/admin/people/{ids['student']}/delete", {}, follow_redirects=True).get_data(as_text=True)
    assert "Rosalind Student’s record has been deleted" in html


def _delete_for_inactivity(app, ids):
    with app.app_context():
        student = db.session.get(operations.User, ids["student"])
        student.created_at = student.last_login_at = utcnow().replace(year=utcnow().year - 3)
        assert operations.apply_retention(24) == 1
        db.session.commit()


@pytest.mark.parametrize("delete", [_delete_by_themself, _delete_by_staff, _delete_for_inactivity])
def test_open_requests_outlive_the_account_with_a_note_until_the_support_lead_closes_them(app, delete):
    """Self-deletion, staff deleting a staff-added person, and the inactivity step: a
    request for help or a concern that is not closed is kept, with a note saying the account
    was deleted and what contact details the request holds; closed ones go."""
    ids = _world(app)
    with app.app_context():
        old = factories.make_support_request(ids["student"], status="closed", details="An old closed one",
                                             closed_at=utcnow())
        db.session.add(SupportRequestNote(request=old, body="Closed long ago marker-closed-note"))
        factories.make_support_request(ids["student"], status="new", details=OPEN_ASK, how="email",
                                       contact_detail="rosalind.safe@example.org", safe_times="Before noon")
        lead_id = factories.make_user(roles=("support_lead",), email="lead.i17@example.org").id
        db.session.commit()
    delete(app, ids)
    with app.app_context():
        kept = db.session.execute(select(SupportRequest).order_by(SupportRequest.id)).scalars().all()
        assert [(r.kind, r.status) for r in kept] == [("asked", "contacted"), ("concern", "new"), ("asked", "new")]
        assert {r.person_id for r in kept} == {ids["student"]}  # linked to the anonymised row
        assert all(r.person.full_name == "Deleted account" for r in kept)
        today = uk_date(utcnow())
        notes = {r.id: [n for n in r.notes if n.author_id is None] for r in kept}
        for request in kept:
            (note,) = notes[request.id]
            assert f"Their account was deleted on {today}" in note.body
            assert "name and the details on their account are no longer held" in note.body
            assert "kept until it is closed" in note.body
        assert "phone call, 07700 900777; when it is safe: after 6pm; do not leave a message" in notes[kept[0].id][0].body
        assert "holds no contact details for them" in notes[kept[1].id][0].body
        assert "email, rosalind.safe@example.org; when it is safe: Before noon" in notes[kept[2].id][0].body
        # The requests keep what they hold (so nobody at risk is missed); the rest is gone.
        assert kept[0].contact_detail == "07700 900777" and kept[2].details == OPEN_ASK
        everything = _all_text()
        for gone in ("Rosalind", "An old closed one", "marker-closed-note", MARKERS["plan_conversations"],
                     MARKERS["referrals.reason"], MARKERS["referrals.referrer_email"]):
            assert gone not in everything, gone
        concern_id = kept[1].id

    client = login(app, "lead.i17@example.org")
    queue = client.get("/support-requests").get_data(as_text=True)
    assert queue.count("Deleted account") == 2 and "Rosalind" not in queue  # the two new ones
    concern = client.get(f"/support-requests/{concern_id}").get_data(as_text=True)
    assert "None: their account has been deleted" in concern and "deleted.invalid" not in concern
    assert "Their account was deleted on" in concern and CONCERN_WORDS in concern

    # Closed by the support lead, each goes after the retention period, like any other.
    from rec_portal.support_requests.operations import add_note, purge_closed

    with app.app_context():
        for request in db.session.execute(select(SupportRequest)).scalars().all():
            add_note(request, "Dealt with", db.session.get(operations.User, lead_id), status_to="closed")
        db.session.commit()
        days = app.config["REC_SUPPORT_REQUEST_RETENTION_DAYS"]
        assert purge_closed(utcnow() + timedelta(days=days - 1), days) == 0
        assert purge_closed(utcnow() + timedelta(days=days + 1), days) == 3
        db.session.commit()
        assert db.session.execute(select(SupportRequestNote)).first() is None


def _pdf_text(response) -> str:
    assert response.headers["Content-Type"] == "application/pdf"
    return " ".join(subprocess.run(["pdftotext", "-layout", "-", "-"], input=response.data,
                                   capture_output=True, check=True).stdout.decode().split())


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils")
def test_a_staff_print_shows_requests_and_concerns_only_to_a_support_lead(app):
    with app.app_context():
        person = factories.make_person_without_account(full_name="Morwenna Added")
        factories.make_support_request(person, kind="concern", raised_by=None, details=CONCERN_WORDS)
        factories.make_user(roles=("admin",), email="only.admin@example.org")
        factories.make_user(roles=("admin", "support_lead"), email="admin.lead@example.org")
        db.session.commit()
        person_id = person.id
    not_printed = "Requests for help and safety concerns are not printed here: ask the REC’s support lead."

    admin_only = _pdf_text(login(app, "only.admin@example.org").get(f"/admin/people/{person_id}/data.pdf"))
    assert "Morwenna Added" in admin_only  # the rest of the print is there
    assert "Concerns about your safety" not in admin_only and "worried about your safety" not in admin_only
    assert not_printed in admin_only

    lead = _pdf_text(login(app, "admin.lead@example.org").get(f"/admin/people/{person_id}/data.pdf"))
    assert "Concerns about your safety raised by a facilitator" in lead and not_printed not in lead
    assert CONCERN_WORDS not in lead  # as in their own download: that it exists, never the words
