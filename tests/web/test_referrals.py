"""Referrals from professionals (issue 17, part 2) through the web: the public "Refer
someone" form (every problem shown at once with the answers kept, the required agreement,
the rate limit, an acknowledgement that says nothing about the person), the admin queue
(filters, order, access, audit), recording contact and outcomes, creating the person's
record (enrolled, consent as told to staff, the account invitation, possible duplicates
and linking), retention, and the term report's referrals table with small numbers held
back."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from rec_portal import audit
from rec_portal.extensions import db
from rec_portal.models import AccountInvitation, AuditEvent, OutboxMessage, Referral, User
from rec_portal.reports import queries as report_queries
from rec_portal.reports import tables as report_tables
from rec_portal.stats.terms import parse_term
from rec_portal.timeutil import utcnow
from tests import factories
from tests.scenarios import IN_TERM, TERM

GOOD = {
    "referrer_name": "Casey Officer",
    "referrer_organisation": "Anyshire Police",
    "org_type": "police",
    "referrer_role": "Mental health co-ordinator",
    "referrer_email": "casey.officer@example.org",
    "referrer_phone": "",
    "person_name": "Jordan Reeve",
    "person_phone": "07700 900456",
    "person_email": "jordan.reeve@example.org",
    "person_contact_preference": "phone",
    "person_postal_address": "",
    "contact_notes": "Only after 2pm. Do not leave a voicemail.",
    "reason": "Was the victim of a burglary and would like to feel safer at home.",
    "person_agreed": "y",
}


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def _referrals(app) -> list[Referral]:
    with app.app_context():
        rows = list(db.session.execute(select(Referral).order_by(Referral.id)).scalars())
        for row in rows:
            db.session.expunge(row)
        return rows


def _events(app, event: str) -> list[AuditEvent]:
    with app.app_context():
        rows = list(db.session.execute(select(AuditEvent).where(AuditEvent.event == event)).scalars())
        for row in rows:
            db.session.expunge(row)
        return rows


def _referral(app, **fields) -> int:
    with app.app_context():
        row = factories.make_referral(**fields)
        db.session.commit()
        return row.id


# --- The public form ---------------------------------------------------------------------------


def test_the_form_is_linked_from_the_home_page_and_every_footer(client):
    home = client.get("/").get_data(as_text=True)
    assert home.count('href="/refer"') >= 2  # in "How to join" and in the footer
    page = client.get("/refer")
    assert page.status_code == 200
    text = _text(page)
    assert "Refer someone to the Recovery Education Centre" in text
    assert "Only refer someone who has agreed to it" in text
    assert "Police (for example a mental health co-ordinator)" in text  # ORG_TYPES radios


def test_mistakes_are_all_shown_the_answers_kept_and_nothing_saved(app, web):
    answers = dict(GOOD, referrer_email="", referrer_phone="", person_contact_preference="letter",
                   person_postal_address="", person_agreed="")
    response = web.submit("/refer", answers)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    text = _text(response)
    assert "There is a problem" in text
    for message in ("Enter your email address or phone number",
                    "Enter their postal address, or choose another way to contact them",
                    "Confirm that the person agreed to be referred"):
        assert message in text
    assert 'href="#referrer_email"' in html and 'href="#person_agreed"' in html
    # The other answers are kept.
    assert 'value="Jordan Reeve"' in html and 'value="Anyshire Police"' in html
    assert "Was the victim of a burglary" in html and "Only after 2pm" in html
    assert _referrals(app) == []
    with app.app_context():
        assert db.session.execute(select(OutboxMessage)).first() is None


def test_the_persons_agreement_is_required(app, web):
    response = web.submit("/refer", dict(GOOD, person_agreed=""))
    assert response.status_code == 400
    assert "Confirm that the person agreed to be referred. If they have not agreed yet, ask them first" in _text(response)
    assert _referrals(app) == []


def test_text_messages_need_a_mobile_number(app, web):
    response = web.submit("/refer", dict(GOOD, person_contact_preference="text", person_phone="01632 960123"))
    assert response.status_code == 400
    assert "Enter a mobile number for text messages" in _text(response)
    assert _referrals(app) == []


def test_a_referral_is_kept_and_the_referrer_told_what_happens_next_and_nothing_about_the_person(app, web, client):
    response = web.submit("/refer", GOOD)
    assert response.status_code == 302 and response.headers["Location"] == "/refer/sent"
    [row] = _referrals(app)
    assert (row.person_name, row.status, row.org_type, row.person_agreed) == ("Jordan Reeve", "new", "police", True)
    assert row.contact_notes == GOOD["contact_notes"] and row.acknowledged_at is not None

    sent = _text(client.get("/refer/sent"))
    assert f"Your reference number {row.reference}" in sent
    assert "will contact the person within 5 working days, the way they chose" in sent
    assert "we will not tell you more about them, including whether they join" in sent
    assert row.reference not in _text(client.get("/refer/sent"))  # shown once

    with app.app_context():
        [email] = db.session.execute(select(OutboxMessage)).scalars().all()
        assert email.to_address == "casey.officer@example.org"
        whole = f"{email.subject}\n{email.body_text}"
    assert row.reference in whole and "the person you referred" in whole
    for detail in ("Jordan", "Reeve", "07700", "900456", "jordan.reeve", "burglary", "2pm", "voicemail"):
        assert detail not in whole, detail


def test_htmx_gets_the_form_back_with_its_problems_or_is_sent_on(app, web):
    token = web.token("/refer")
    wrong = web.client.post("/refer", data=dict(GOOD, person_agreed="", csrf_token=token),
                            headers={"HX-Request": "true"})
    html = wrong.get_data(as_text=True)
    assert wrong.status_code == 400 and html.lstrip().startswith('<div id="refer-form">')
    assert "Confirm that the person agreed" in html and 'value="Jordan Reeve"' in html
    right = web.client.post("/refer", data=dict(GOOD, csrf_token=token), headers={"HX-Request": "true"})
    assert right.headers["HX-Redirect"] == "/refer/sent"
    assert len(_referrals(app)) == 1


def test_the_form_is_rate_limited(app, web, monkeypatch):
    monkeypatch.setitem(app.config, "REC_LIMIT_REFERRAL", "2 per minute")
    for n in range(2):
        assert web.submit("/refer", dict(GOOD, reason=f"Reason {n}")).status_code == 302
    third = web.submit("/refer", dict(GOOD, reason="Reason 3"))
    assert third.status_code == 429
    assert len(_referrals(app)) == 2


def test_the_form_and_sent_page_are_never_stored_by_the_browser(app, web, client):
    """Back after sending must not show the referrer's free text again (nor must the
    answers come back from the browser's autofill): the form (with its problems too) and
    the "sent" page are no-store, and the free-text boxes have autocomplete off."""
    form = client.get("/refer")
    assert form.headers.get("Cache-Control") == "no-store"
    html = form.get_data(as_text=True)
    for name in ("person_postal_address", "contact_notes", "reason"):
        [box] = re.findall(rf'<textarea[^>]*name="{name}"[^>]*>', html)
        assert 'autocomplete="off"' in box, box
    wrong = web.submit("/refer", dict(GOOD, person_agreed=""))
    assert wrong.status_code == 400 and "Only after 2pm" in wrong.get_data(as_text=True)
    assert wrong.headers.get("Cache-Control") == "no-store"
    sent = web.submit("/refer", GOOD)
    assert sent.status_code == 302
    page = client.get("/refer/sent")
    assert "Your reference number" in _text(page)
    assert page.headers.get("Cache-Control") == "no-store"


def test_sending_the_same_referral_twice_keeps_one_and_acknowledges_once(app, web, client):
    token = web.token("/refer")
    assert client.post("/refer", data=dict(GOOD, csrf_token=token)).status_code == 302
    [first] = _referrals(app)
    assert f"Your reference number {first.reference}" in _text(client.get("/refer/sent"))
    again = client.post("/refer", data=dict(GOOD, csrf_token=token))  # a double click, or Back and send
    assert again.status_code == 302
    [row] = _referrals(app)
    assert row.id == first.id
    assert f"Your reference number {first.reference}" in _text(client.get("/refer/sent"))  # the same one
    with app.app_context():
        assert len(db.session.execute(select(OutboxMessage)).scalars().all()) == 1
    # A different reason is another referral.
    assert client.post("/refer", data=dict(GOOD, reason="Another reason", csrf_token=token)).status_code == 302
    assert len(_referrals(app)) == 2


def test_an_old_identical_referral_is_a_new_one(app, web):
    _referral(app, days_ago=1, **{k: GOOD[k] for k in ("referrer_email", "person_phone", "person_email", "reason")})
    assert web.submit("/refer", GOOD).status_code == 302
    assert len(_referrals(app)) == 2


@pytest.mark.parametrize("way", ["email", "text"])
def test_the_acknowledgement_carries_nothing_typed_in_the_form(app, web, way):
    """Anyone can fill in the public form: the acknowledgement must not let them make the
    REC send their own words to an address (or number) of their choosing."""
    words = {"referrer_name": "Click evil.example/win", "referrer_organisation": "Prizedraw Ltd",
             "referrer_role": "Claim a jackpot", "contact_notes": "Call 0900 123 456",
             "reason": "Account locked: verify", "person_postal_address": "1 Fake Street"}
    contact = ({"referrer_email": "target@example.org", "referrer_phone": ""} if way == "email"
               else {"referrer_email": "", "referrer_phone": "07700 900999"})
    assert web.submit("/refer", dict(GOOD, **words, **contact)).status_code == 302
    [row] = _referrals(app)
    with app.app_context():
        [message] = db.session.execute(select(OutboxMessage)).scalars().all()
        whole = f"{message.subject or ''}\n{message.body_text}"
    assert row.reference in whole
    if way == "email":
        assert whole.split("\n", 1)[1].startswith("Hello,\n")
    for piece in ("Click", "evil.example", "Prizedraw", "jackpot", "0900", "locked", "verify", "Fake"):
        assert piece not in whole, piece


# --- The queue ---------------------------------------------------------------------------------


def test_the_queue_shows_new_referrals_oldest_first_and_filters_by_state(app, client, login_as):
    _referral(app, person_name="Newer Person", days_ago=1)
    _referral(app, person_name="Older Person", days_ago=6)
    _referral(app, person_name="Declined Person", status="declined", days_ago=9)
    _referral(app, person_name="Unreachable Person", status="could_not_contact", days_ago=9)
    login_as("admin")
    text = _text(client.get("/admin/referrals"))
    assert text.index("Older Person") < text.index("Newer Person")
    assert "Declined Person" not in text and "New (2)" in text and "Declined (1)" in text
    declined = _text(client.get("/admin/referrals?status=declined"))
    assert "Declined Person" in declined and "Older Person" not in declined
    unreachable = _text(client.get("/admin/referrals?status=could_not_contact"))
    assert "Unreachable Person" in unreachable and "Declined Person" not in unreachable
    assert "No enrolled referrals" in _text(client.get("/admin/referrals?status=enrolled"))
    assert len(_events(app, "referral.queue_viewed_by_staff")) == 4


@pytest.mark.parametrize("role", ["student", "facilitator", "tutor", "support_lead"])
def test_only_admins_see_referrals(app, client, login_as, role):
    referral_id = _referral(app, person_name="Jordan Reeve")
    login_as(role)
    for url in ("/admin/referrals", f"/admin/referrals/{referral_id}", f"/admin/referrals/{referral_id}/record"):
        response = client.get(url)
        assert response.status_code == 403 and "Jordan Reeve" not in response.get_data(as_text=True)
    assert _events(app, "referral.viewed_by_staff") == []


def test_signed_out_visitors_are_sent_to_sign_in(app, client):
    referral_id = _referral(app)
    response = client.get(f"/admin/referrals/{referral_id}")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_opening_a_referral_shows_everything_and_is_audited(app, client, login_as):
    referral_id = _referral(app, contact_notes="Mornings are best.", person_email="jordan@example.org")
    admin = login_as("admin")
    text = _text(client.get(f"/admin/referrals/{referral_id}"))
    for shown in ("Jordan Reeve", "07700 900456", "jordan@example.org", "Mornings are best.", "Casey Officer",
                  "Anyshire Police", "Mental health co-ordinator", "Would like to learn ways to stay safe.",
                  "Yes, the referrer confirmed it", f"REF-{referral_id:06d}"):
        assert shown in text, shown
    [event] = _events(app, "referral.viewed_by_staff")
    assert event.actor_id == admin.id and event.detail == f"referral {referral_id}"
    assert "Jordan" not in event.detail


# --- Contact and outcome --------------------------------------------------------------------


def test_recording_contact_and_an_outcome_changes_the_state_with_a_note(app, client, login_as, web):
    referral_id = _referral(app)
    login_as("admin")
    url = f"/admin/referrals/{referral_id}/outcome"
    page = f"/admin/referrals/{referral_id}"
    missing = web.submit(url, {"status": "contacted", "note": ""}, page=page)
    assert missing.status_code == 400 and "Enter a note" in _text(missing)
    assert _referrals(app)[0].status == "new"

    assert web.submit(url, {"status": "contacted", "note": "Spoke to Jordan: will think about it."},
                      page=page).status_code == 302
    [row] = _referrals(app)
    assert row.status == "contacted" and "Spoke to Jordan" in row.outcome_note
    token = web.token(page)
    partial = client.post(url, data={"status": "declined", "note": "Does not want to join now.", "csrf_token": token},
                          headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert partial.get_data(as_text=True).lstrip().startswith('<div id="referral-outcome">')
    assert "Saved: the referral is now “Declined”." in _text(partial)
    [row] = _referrals(app)
    assert row.status == "declined" and row.status_changed_at is not None
    assert "Does not want to join now." in row.outcome_note and "Spoke to Jordan" in row.outcome_note
    assert [e.detail for e in _events(app, "referral.outcome_recorded")] == [
        f"referral {referral_id}: new -> contacted", f"referral {referral_id}: contacted -> declined"]


# --- Their record ------------------------------------------------------------------------------


CONSENT = {"consent": "y", "consent_way": "phone"}


def test_creating_their_record_from_the_referral_enrols_it(app, client, login_as, web):
    referral_id = _referral(app, person_contact_preference="phone", contact_notes="After 2pm")
    admin = login_as("admin")
    form = client.get(f"/admin/referrals/{referral_id}/record").get_data(as_text=True)
    assert 'value="Jordan Reeve"' in form and 'value="07700 900456"' in form  # prefilled
    assert "Agreeing to be referred is not the same as agreeing to the REC keeping their details" in form

    url = f"/admin/referrals/{referral_id}/record"
    fields = {"full_name": "Jordan Reeve", "phone": "07700 900456", "contact_preference": "phone"}
    no_consent = web.submit(url, fields)
    assert no_consent.status_code == 400 and "Tick the box to confirm they agreed" in _text(no_consent)
    assert _referrals(app)[0].student_id is None

    done = web.submit(url, dict(fields, **CONSENT))
    assert done.status_code == 302
    [row] = _referrals(app)
    assert row.status == "enrolled" and row.student_id is not None
    with app.app_context():
        person = db.session.get(User, row.student_id)
        assert person.full_name == "Jordan Reeve" and person.password_hash is None
        assert person.profile.contact_preference == "phone" and person.consent_taken_by_id == admin.id
        assert "By phone" in person.consent_note
        assert db.session.execute(select(AccountInvitation)).first() is None
    [event] = _events(app, "referral.enrolled")
    assert event.subject_id == row.student_id
    text = _text(client.get(f"/admin/referrals/{referral_id}"))
    assert "Enrolled" in text and "Their student record: Jordan Reeve" in text
    again = web.submit(url, dict(fields, **CONSENT), page=f"/admin/referrals/{referral_id}")
    assert again.status_code == 302
    with app.app_context():
        assert len(db.session.execute(select(User).where(User.full_name == "Jordan Reeve")).all()) == 1


def test_a_referral_is_linked_only_to_someone_listed_as_them(app, client, login_as, web):
    """The student id is a hidden field: another student's id (a forged post, or a stale
    page) must not enrol the referral on an unrelated record."""
    with app.app_context():
        factories.make_person_without_account(full_name="Jordan Reeve", phone="07700 900456")
        stranger = factories.make_person_without_account(full_name="Sam Other", phone="07700 900111")
        db.session.commit()
        stranger_id = stranger.id
    referral_id = _referral(app)
    login_as("admin")
    refused = web.submit(f"/admin/referrals/{referral_id}/link", {"student_id": str(stranger_id)},
                         page=f"/admin/referrals/{referral_id}")
    assert refused.status_code == 302
    page = _text(client.get(refused.headers["Location"]))
    assert "Choose who they are from the people listed" in page
    [row] = _referrals(app)
    assert (row.status, row.student_id) == ("new", None)
    assert _events(app, audit.REFERRAL_ENROLLED) == []
    with app.app_context():
        assert db.session.execute(select(Referral).where(Referral.student_id == stranger_id)).first() is None


def test_someone_who_prefers_email_can_be_sent_the_account_invitation(app, client, login_as, web):
    referral_id = _referral(app, person_contact_preference="email", person_email="jordan.reeve@example.org")
    login_as("admin")
    form = client.get(f"/admin/referrals/{referral_id}/record").get_data(as_text=True)
    assert re.search(r'name="invite"[^>]*checked', form)  # ticked for email with an address
    response = web.submit(f"/admin/referrals/{referral_id}/record", {
        "full_name": "Jordan Reeve", "phone": "", "email": "jordan.reeve@example.org",
        "contact_preference": "email", "invite": "y", **CONSENT})
    assert response.status_code == 302
    [row] = _referrals(app)
    with app.app_context():
        [invitation] = db.session.execute(select(AccountInvitation)).scalars().all()
        assert invitation.user_id == row.student_id and invitation.email == "jordan.reeve@example.org"
        [email] = db.session.execute(select(OutboxMessage).where(
            OutboxMessage.to_address == "jordan.reeve@example.org")).scalars().all()
        assert "/claim-account/" in email.body_text
    assert row.status == "enrolled"


def test_a_possible_duplicate_is_shown_and_the_referral_can_be_linked_to_them(app, client, login_as, web):
    with app.app_context():
        existing = factories.make_person_without_account(full_name="Jordan Reeve", phone="07700 900456")
        db.session.commit()
        existing_id = existing.id
    referral_id = _referral(app)
    login_as("admin")
    page = _text(client.get(f"/admin/referrals/{referral_id}"))
    assert "They may already be on the portal" in page and f"REC-{existing_id:06d}" in page

    url = f"/admin/referrals/{referral_id}/record"
    stopped = web.submit(url, {"full_name": "Jordan Reeve", "phone": "07700 900456", "contact_preference": "phone",
                               **CONSENT})
    assert stopped.status_code == 400 and "They may already be on the portal" in _text(stopped)
    assert _referrals(app)[0].student_id is None

    linked = web.submit(f"/admin/referrals/{referral_id}/link", {"student_id": str(existing_id)},
                        page=f"/admin/referrals/{referral_id}")
    assert linked.status_code == 302
    [row] = _referrals(app)
    assert (row.status, row.student_id) == ("enrolled", existing_id)
    with app.app_context():
        assert len(db.session.execute(select(User).where(User.full_name == "Jordan Reeve")).all()) == 1


def test_a_referral_is_linked_only_to_someone_listed_as_them(app, client, login_as, web):
    """The student id is a hidden field: another student's id (a forged post, or a stale
    page) must not enrol the referral on an unrelated record."""
    with app.app_context():
        factories.make_person_without_account(full_name="Jordan Reeve", phone="07700 900456")
        stranger = factories.make_person_without_account(full_name="Sam Other", phone="07700 900111")
        db.session.commit()
        stranger_id = stranger.id
    referral_id = _referral(app)
    login_as("admin")
    refused = web.submit(f"/admin/referrals/{referral_id}/link", {"student_id": str(stranger_id)},
                         page=f"/admin/referrals/{referral_id}")
    assert refused.status_code == 302
    page = _text(client.get(refused.headers["Location"]))
    assert "Choose who they are from the people listed" in page
    [row] = _referrals(app)
    assert (row.status, row.student_id) == ("new", None)
    assert _events(app, audit.REFERRAL_ENROLLED) == []
    with app.app_context():
        assert db.session.execute(select(Referral).where(Referral.student_id == stranger_id)).first() is None


# --- Retention -------------------------------------------------------------------------------


def test_retention_deletes_only_referrals_that_led_nowhere_long_ago(app):
    with app.app_context():
        student = factories.make_person_without_account(full_name="Jordan Reeve")
        db.session.commit()
        student_id = student.id
    ids = {
        "old new": _referral(app, status="new", days_ago=400),
        "old contacted": _referral(app, status="contacted", days_ago=400, changed_days_ago=300),
        "old declined": _referral(app, status="declined", days_ago=300, changed_days_ago=200),
        "old unreachable": _referral(app, status="could_not_contact", days_ago=300, changed_days_ago=181),
        "recent declined": _referral(app, status="declined", days_ago=300, changed_days_ago=170),
        "old enrolled": _referral(app, status="enrolled", days_ago=300, changed_days_ago=200,
                                  student_id=student_id, org_type="gp"),
    }
    result = app.test_cli_runner().invoke(args=["rec", "expire-referrals"])
    assert result.exit_code == 0, result.output
    assert "Deleted 2 referrals that led nowhere over 180 days ago." in result.output
    kept = {row.id: row for row in _referrals(app)}
    assert set(kept) == {ids["old new"], ids["old contacted"], ids["recent declined"], ids["old enrolled"]}
    enrolled = kept[ids["old enrolled"]]
    assert (enrolled.student_id, enrolled.org_type, enrolled.status) == (student_id, "gp", "enrolled")
    assert enrolled.person_name == "" and enrolled.referrer_name == "" and enrolled.reason == ""
    assert kept[ids["old new"]].person_name == "Jordan Reeve"

    # A step of apply-retention too, and safe to repeat.
    again = app.test_cli_runner().invoke(args=["rec", "apply-retention"])
    assert again.exit_code == 0, again.output
    assert "Referrals deleted (declined or could not contact, over 180 days ago): 0" in again.output
    assert len(_referrals(app)) == 4


# --- The term report ---------------------------------------------------------------------------


def test_the_term_report_counts_referrals_by_organisation_type_with_small_numbers_held_back(app, client, login_as):
    with app.app_context():
        student = factories.make_person_without_account()
        db.session.commit()
        student_id = student.id
    days_since = (utcnow() - IN_TERM).total_seconds() / 86400
    for n in range(10):  # police: 10 received, 8 enrolled (2 not: held back with it)
        _referral(app, org_type="police", days_ago=days_since, status="enrolled" if n < 8 else "new",
                  student_id=student_id if n < 8 else None)
    for n in range(12):  # GP: 12 received, 0 enrolled
        _referral(app, org_type="gp", days_ago=days_since)
    for n in range(3):  # voluntary: 3 received (held back)
        _referral(app, org_type="voluntary", days_ago=days_since)
    for n in range(9):  # NHS: 9 received, held too: with the 3 alone the total would give them away
        _referral(app, org_type="nhs_mental_health", days_ago=days_since)
    _referral(app, org_type="police", days_ago=days_since + 200)  # another term
    with app.app_context():
        report = report_queries.referrals(parse_term(TERM))
        rows, total = report_tables.TABLES["referrals-by-organisation"].rows(type("R", (), {"referrals": report})())
    by_label = {label: (received, enrolled) for label, received, enrolled in rows}
    assert by_label["Police"] == ("10", "not shown")  # 2 not enrolled would follow from 8
    assert by_label["GP / primary care"] == ("12", "0")
    assert by_label["Charity or community"] == ("not shown", "not shown")
    assert by_label["NHS mental health"] == ("not shown", "not shown")
    assert by_label["Social care or housing"] == ("0", "0")
    assert total == ("All referrals", "34", "8")

    login_as("admin")
    text = _text(client.get(f"/admin/reports/term?term={TERM}"))
    assert "Referrals from professionals, by kind of organisation" in text
    assert "34 referrals received" in text
    csv = client.get(f"/admin/reports/term/referrals-by-organisation.csv?term={TERM}").get_data(as_text=True)
    assert "Police,10,not shown" in csv.replace('"', "")


def test_someone_found_only_by_the_details_staff_typed_is_shown_without_a_link_button(app, client, login_as, web):
    """The record form may find a match by the details staff corrected (not the
    referral's): linking to them would be refused, so no button is offered."""
    with app.app_context():
        other = factories.make_person_without_account(full_name="Jordan Reeve", phone="07700 900999")
        db.session.commit()
        other_id = other.id
    referral_id = _referral(app)  # phone 07700 900456: not theirs
    login_as("admin")
    stopped = web.submit(f"/admin/referrals/{referral_id}/record",
                         {"full_name": "Jordan Reeve", "phone": "07700 900999", "contact_preference": "phone",
                          **CONSENT})
    assert stopped.status_code == 400
    assert f'id="link-{other_id}"' not in stopped.get_data(as_text=True)
    assert "so it cannot be linked to them: if it is them, record the outcome on the referral instead" in _text(stopped)
