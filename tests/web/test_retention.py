"""Issue 14, item 7: ``rec apply-retention`` also deletes ended sessions, used or expired
reset links and old audit events, and prints a count for each step; drafts kept after a
timeout still come back while the drafts are kept."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from rec_portal.config import load_config
from rec_portal.extensions import db
from rec_portal.models import AuditEvent, PasswordResetToken, SafetyPlan, SavedDraft, UserSession
from rec_portal.timeutil import utcnow
from tests import factories
from tests.conftest import Browserless, student_on_the_safety_plan

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


def _retention(app, *args):
    result = app.test_cli_runner().invoke(args=["rec", "apply-retention", *args])
    assert result.exit_code == 0, result.output
    return result.output


def _line(output: str, start: str) -> str:
    """The line of the command's output that starts with ``start``."""
    lines = [line for line in output.splitlines() if line.startswith(start)]
    assert len(lines) == 1, output
    return lines[0]


def test_ended_sessions_go_after_a_day_and_timed_out_ones_once_their_drafts_would_have_gone(app):
    with app.app_context():
        now = utcnow()
        idle = app.config["REC_IDLE_TIMEOUT"]
        absolute = app.config["REC_ABSOLUTE_TIMEOUT"]
        user = factories.make_user()

        def add(name, *, created=None, seen=None, ended=None, reason=None):
            seen = seen if seen is not None else (ended or now)
            factories.make_user_session(user, token_hash=name.ljust(64, "x"), created_at=created or seen - HOUR,
                                        last_seen_at=seen, ended_at=ended, ended_reason=reason)

        add("signed-out-25h", ended=now - DAY - HOUR, reason="logout")
        add("signed-out-23h", ended=now - DAY + HOUR, reason="logout")
        add("password-2d", ended=now - 2 * DAY, reason="password changed")
        add("signed-in-again-2d", ended=now - 2 * DAY, reason="signed in again")
        add("no-reason-2d", ended=now - 2 * DAY)
        add("idle-ended-6d", ended=now - 6 * DAY, reason="idle")
        add("absolute-ended-6d", ended=now - 6 * DAY, reason="absolute")
        add("idle-ended-8d", ended=now - 8 * DAY, reason="idle")
        add("absolute-ended-8d", ended=now - 8 * DAY, reason="absolute")
        # Never ended: the person stopped using the portal (or kept a tab open).
        add("open-in-use", seen=now - timedelta(minutes=1))
        add("went-quiet-2h", seen=now - 2 * HOUR)
        add("went-quiet-6d", seen=now - 6 * DAY)
        add("went-quiet-8d", seen=now - 8 * DAY)
        # Past the absolute timeout (7 days and 13 hours ago), though seen within 7 days.
        add("absolute-7d13h", created=now - 7 * DAY - absolute - HOUR, seen=now - 7 * DAY)
        add("absolute-6d", created=now - 6 * DAY - absolute, seen=now - 6 * DAY - idle + timedelta(minutes=5))
        db.session.commit()

    output = _retention(app)

    assert _line(output, "Signed-in sessions deleted") == (
        "Signed-in sessions deleted (ended over a day ago; timed out over 7 days ago): 8"
    )
    with app.app_context():
        left = {h.rstrip("x") for h in db.session.execute(select(UserSession.token_hash)).scalars()}
    assert left == {
        "signed-out-23h", "idle-ended-6d", "absolute-ended-6d", "open-in-use", "went-quiet-2h",
        "went-quiet-6d", "absolute-6d",
    }
    assert _line(_retention(app), "Signed-in sessions deleted").endswith(": 0")


def test_reset_links_go_a_day_after_they_were_used_or_expired(app):
    with app.app_context():
        now = utcnow()
        user = factories.make_user()

        def add(name, *, created, used=None):
            factories.make_reset_token(user, token_hash=name.ljust(64, "x"), created_at=created,
                                       expires_at=created + HOUR, used_at=used)

        add("used-25h", created=now - DAY - 2 * HOUR, used=now - DAY - HOUR)
        add("used-2h", created=now - 3 * HOUR, used=now - 2 * HOUR)
        add("used-just-now", created=now - timedelta(minutes=10), used=now - timedelta(minutes=5))
        add("expired-25h", created=now - DAY - 2 * HOUR)
        add("expired-2h", created=now - 3 * HOUR)
        add("still-works", created=now - timedelta(minutes=10))
        db.session.commit()

    output = _retention(app)

    assert _line(output, "Password reset links deleted") == (
        "Password reset links deleted (used or expired over a day ago): 2"
    )
    with app.app_context():
        left = {h.rstrip("x") for h in db.session.execute(select(PasswordResetToken.token_hash)).scalars()}
    assert left == {"used-2h", "used-just-now", "expired-2h", "still-works"}


def _add_events(app, ages_in_days: dict[str, int]) -> None:
    with app.app_context():
        now = utcnow()
        user = factories.make_user()
        for detail, days in ages_in_days.items():
            factories.make_audit_event(user, "login.succeeded", subject=user, at=now - timedelta(days=days),
                                       detail=detail)
        db.session.commit()


def _event_details(app) -> set[str]:
    with app.app_context():
        return set(db.session.execute(select(AuditEvent.detail).where(AuditEvent.detail.is_not(None))).scalars())


def test_audit_events_go_after_rec_audit_retention_months(app):
    assert load_config("/tmp/unused-instance")["REC_AUDIT_RETENTION_MONTHS"] == 24
    _add_events(app, {"25 months": 25 * 31, "23 months": 23 * 30, "13 months": 13 * 31, "yesterday": 1})

    output = _retention(app)

    assert _line(output, "Audit events deleted") == "Audit events deleted (older than 24 months): 1"
    assert _event_details(app) == {"23 months", "13 months", "yesterday"}
    app.config["REC_AUDIT_RETENTION_MONTHS"] = 12
    try:
        assert _line(_retention(app), "Audit events deleted") == "Audit events deleted (older than 12 months): 2"
    finally:
        app.config["REC_AUDIT_RETENTION_MONTHS"] = 24
    assert _event_details(app) == {"yesterday"}


def test_a_too_short_audit_retention_period_is_refused_and_nothing_is_deleted(app):
    _add_events(app, {"13 months": 13 * 31})
    with app.app_context():
        old = factories.make_user()
        old.last_login_at = utcnow() - timedelta(days=365 * 4)
        db.session.commit()
        old_id = old.id
    app.config["REC_AUDIT_RETENTION_MONTHS"] = 6
    try:
        result = app.test_cli_runner().invoke(args=["rec", "apply-retention"])
    finally:
        app.config["REC_AUDIT_RETENTION_MONTHS"] = 24
    assert result.exit_code == 2
    assert "REC_AUDIT_RETENTION_MONTHS is 6; it must be 12 or more" in result.output
    assert _event_details(app) == {"13 months"}
    with app.app_context():
        from rec_portal.models import User

        assert db.session.get(User, old_id).anonymised_at is None  # no step ran


def test_the_output_lists_a_count_for_every_step(app):
    with app.app_context():
        user = factories.make_user()
        factories.make_saved_draft(user, "safety_plan", "{}", created_at=utcnow() - timedelta(days=8))
        db.session.commit()
    output = _retention(app)
    assert output.splitlines() == [
        "Accounts anonymised (no sign-in or booking for more than 36 months): 0",
        "Drafts deleted (kept after a timeout, not taken back within 7 days): 1",
        "Unconfirmed enrolments deleted (link expired): 0",
        "Invitations to set up an online account deleted (expired or used): 0",
        "Message texts deleted (emails and texts sent or given up over 30 days ago; the record stays): 0",
        "Call-list lines deleted (done or no longer needed over 30 days ago): 0",
        "Support requests deleted (closed over 730 days ago): 0",
        "Referrals deleted (declined or could not contact, over 180 days ago): 0",
        "Referrals that led to enrolment over 180 days ago: details removed (the link to the student and "
        "the organisation type stay): 0",
        "Signed-in sessions deleted (ended over a day ago; timed out over 7 days ago): 0",
        "Password reset links deleted (used or expired over a day ago): 0",
        "Audit events deleted (older than 24 months): 0",
    ]


def test_the_text_of_emails_sent_over_30_days_ago_is_deleted_and_the_record_stays(app):
    from rec_portal.models import OutboxMessage
    from rec_portal.notifications.outbox import queue_email

    with app.app_context():
        user = factories.make_user()
        old = queue_email(to=user.email, user=user, subject="Staying Safe: reminder",
                          body="Your reset link https://example.org/reset/abc")
        recent = queue_email(to=user.email, user=user, subject="Recent", body="Still here")
        db.session.flush()
        old.status = recent.status = "sent"
        old.sent_at = utcnow() - timedelta(days=31)
        recent.sent_at = utcnow() - timedelta(days=29)
        db.session.commit()
        old_id, recent_id, email = old.id, recent.id, user.email
    output = _retention(app)
    assert _line(output, "Message texts deleted").endswith(": 1")
    with app.app_context():
        old, recent = db.session.get(OutboxMessage, old_id), db.session.get(OutboxMessage, recent_id)
        assert "reset" not in (old.body_text or "") and "Staying Safe" not in (old.subject or "")
        assert old.status == "sent" and old.to_address == email and old.purged_at is not None
        assert recent.body_text == "Still here" and recent.purged_at is None


# --- drafts still come back after a timeout ------------------------------------------------

PAGE = "/my/safety-plan"




def _post_after_timeout(client, token, text, *, kept=True):
    response = client.post(PAGE, data={"csrf_token": token, "safe_places": text, "save": "safe_places"})
    if kept:
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    else:  # not kept: shown back to copy, never silently dropped
        page = response.get_data(as_text=True)
        assert response.status_code == 200 and "could not keep it" in page and text in page
    return response


def _comes_back(app, client, email, uid, text) -> bool:
    login_page = client.get(f"/login?next={PAGE}").get_data(as_text=True)
    kept = "We have kept what you typed" in login_page
    Browserless(client).login(email)
    html = client.get(PAGE).get_data(as_text=True)
    with app.app_context():
        plan = db.session.get(SafetyPlan, uid)
        saved = plan is not None and plan.safe_places == text
    assert kept == saved == (text in html)
    return saved


def test_a_draft_comes_back_after_a_tab_left_open_6_days_and_retention_ran(app):
    client, token, email, uid = student_on_the_safety_plan(app)
    with app.app_context():  # the tab was left open: the session was never ended
        db.session.execute(update(UserSession).values(last_seen_at=utcnow() - 6 * DAY))
        db.session.commit()
    _retention(app)
    _post_after_timeout(client, token, "The allotment")
    assert _comes_back(app, client, email, uid, "The allotment")


def test_a_draft_comes_back_when_the_session_timed_out_6_days_ago_and_retention_ran(app):
    client, token, email, uid = student_on_the_safety_plan(app)
    with app.app_context():
        idle = app.config["REC_IDLE_TIMEOUT"]
        db.session.execute(update(UserSession).values(last_seen_at=utcnow() - idle - timedelta(minutes=1)))
        db.session.commit()
    client.get("/my/account")  # a page opened after the timeout ends the session
    with app.app_context():
        row = db.session.execute(select(UserSession)).scalar_one()
        assert row.ended_reason == "idle"
        row.ended_at = utcnow() - 6 * DAY
        db.session.commit()
    _retention(app)
    _post_after_timeout(client, token, "My sisters kitchen")
    assert _comes_back(app, client, email, uid, "My sisters kitchen")


def test_after_8_days_the_session_is_gone_and_nothing_is_kept(app):
    """Drafts themselves go after 7 days; the session that would let them be kept goes too."""
    client, token, email, uid = student_on_the_safety_plan(app)
    with app.app_context():
        db.session.execute(update(UserSession).values(last_seen_at=utcnow() - 8 * DAY))
        db.session.commit()
    _retention(app)
    _post_after_timeout(client, token, "Typed 8 days later", kept=False)
    with app.app_context():
        assert db.session.execute(select(SavedDraft)).first() is None
    assert not _comes_back(app, client, email, uid, "Typed 8 days later")


def test_call_list_lines_done_or_no_longer_needed_over_30_days_ago_are_deleted(app):
    """What staff were to tell someone is kept as long as a message's text (issue 16)."""
    from rec_portal.models.contact import ContactTask

    with app.app_context():
        person = factories.make_user()
        now = utcnow()
        done_long_ago = factories.make_contact_task(person, message="old done", closed_at=now - timedelta(days=31),
                                                    outcome="spoke", outcome_at=now - timedelta(days=31))
        stale = factories.make_contact_task(person, message="old stale", useless_after=now - timedelta(days=31))
        done_lately = factories.make_contact_task(person, message="recent", closed_at=now - timedelta(days=29),
                                                  outcome="spoke", outcome_at=now - timedelta(days=29))
        still_open = factories.make_contact_task(person, message="to do")
        db.session.commit()
        ids = [t.id for t in (done_long_ago, stale, done_lately, still_open)]
    output = _retention(app)
    assert _line(output, "Call-list lines deleted").endswith(": 2")
    with app.app_context():
        left = db.session.execute(select(ContactTask.message).where(ContactTask.id.in_(ids))
                                  .order_by(ContactTask.id)).scalars().all()
        assert left == ["recent", "to do"]
