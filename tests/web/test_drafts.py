"""What was typed after a timeout is kept only for the owner of a session that timed out."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from rec_portal.extensions import db
from rec_portal.models import SafetyPlan, SavedDraft, User, UserSession
from rec_portal.timeutil import utcnow
from tests import factories
from tests.conftest import Browserless, csrf_from


def _drafts(app) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(SavedDraft)).scalar_one()


def _signed_in(app):
    with app.app_context():
        user = factories.make_user()
        db.session.commit()
        email, uid = user.email, user.id
    client = app.test_client()
    Browserless(client).login(email)
    token = csrf_from(client.get("/my/safety-plan").get_data(as_text=True))
    return client, token, email, uid


def _post(client, token, text):
    return client.post("/my/safety-plan", data={"csrf_token": token, "safe_places": text, "save": "safe_places"})


def test_a_session_ended_by_a_password_change_elsewhere_keeps_nothing(app):
    client, token, email, uid = _signed_in(app)
    other = app.test_client()
    Browserless(other).login(email)
    with app.app_context():  # the password changed on the other device: this one ends
        db.session.execute(update(UserSession).where(UserSession.user_id == uid,
                                                     UserSession.ended_at.is_(None))
                           .values(ended_at=utcnow(), ended_reason="password changed"))
        db.session.commit()
    response = _post(client, token, "Go to 1 Attacker Road")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert _drafts(app) == 0
    with app.app_context():
        assert db.session.get(SafetyPlan, uid) is None


def test_a_timed_out_session_keeps_the_text_once_and_not_for_a_deleted_account(app):
    client, token, _email, uid = _signed_in(app)
    with app.app_context():
        idle = app.config["REC_IDLE_TIMEOUT"]
        db.session.execute(update(UserSession).values(last_seen_at=utcnow() - idle - timedelta(minutes=1)))
        db.session.commit()
    _post(client, token, "The library")
    assert _drafts(app) == 1
    _post(client, token, "The library, again")  # the session has ended by timing out: still kept
    assert _drafts(app) == 2
    with app.app_context():
        from rec_portal.data_rights.operations import delete_account
        from rec_portal.models import User

        delete_account(db.session.get(User, uid))
        db.session.commit()
    assert _drafts(app) == 0
    _post(client, token, "SECRET AFTER DELETE")
    assert _drafts(app) == 0


def _timed_out(app, client):
    with app.app_context():
        idle = app.config["REC_IDLE_TIMEOUT"]
        db.session.execute(update(UserSession).values(last_seen_at=utcnow() - idle - timedelta(minutes=1)))
        db.session.commit()


def _kept_forms(app) -> list[str]:
    with app.app_context():
        return list(db.session.execute(select(SavedDraft.form).order_by(SavedDraft.id)).scalars())


def test_drafts_are_kept_only_for_forms_that_exist(app):
    """Issue 13: a POST to a made-up address (a questionnaire stage, booking or session that
    does not exist, or someone else's booking) was kept as a draft after a timeout."""
    with app.app_context():
        session = factories.make_session(starts_in_days=-3)
        mine, theirs = factories.fill_places(session, 2)
        db.session.commit()
        mine_id, theirs_id, session_id = mine.id, theirs.id, session.id
        email = db.session.get(User, mine.student_id).email
    client = app.test_client()
    web = Browserless(client)
    web.login(email)
    token = csrf_from(client.get("/my/account").get_data(as_text=True))
    _timed_out(app, client)

    def post(url, data):
        response = client.post(url, data={"csrf_token": token, **data})
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")

    post("/my/outcomes/not-a-stage", {"victim": "yes"})
    post("/my/outcomes/" + "x" * 500, {"victim": "yes"})
    post("/my/courses/999999/feedback", {"q-1": "made up"})
    post(f"/my/courses/{theirs_id}/feedback", {"q-1": "someone else's booking"})
    post(f"/facilitate/sessions/{session_id}/reflection", {"q-1": "not rostered"})
    assert _kept_forms(app) == []
    # Real forms of the person's are still kept.
    post("/my/outcomes/baseline", {"victim": "yes"})
    post(f"/my/courses/{mine_id}/feedback", {"q-1": "my own booking"})
    assert _kept_forms(app) == ["outcomes.baseline", f"feedback.booking.{mine_id}"]
