"""Data rights for the issue-17 tables: the download (JSON and PDF) has a section for each
(personal tutor, referral, support requests, equality monitoring), a facilitator's words
about a student are not in the student's download, and deleting an account leaves nothing
personal in them (counts stay)."""

from __future__ import annotations

import json
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
from tests import factories

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
    from tests.conftest import Browserless

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
