"""Issue 13 part 2 (review): feedback has a closing time. Feedback on a session can be
given until the end of the UK day REC_FEEDBACK_OPEN_DAYS (42) days after its last date;
then the form says calmly that it has closed, nothing is stored, My courses no longer asks,
and `rec feedback-invitations` invites nobody for it. Facilitators' reflections follow the
same window."""

from __future__ import annotations

from datetime import timedelta

from rec_portal.extensions import db
from rec_portal.models import CourseSession, OutboxMessage
from rec_portal.models.feedback import FeedbackInvitation, FeedbackResponse
from rec_portal.timeutil import format_uk, to_uk
from tests import factories
from tests.factories import make_booking as book
from tests.factories import make_past_session as past_session
from tests.factories import mark_attendance as mark
from tests.feedback import answers, as_person, attended, count, html_of, reflection_url, url

CLOSED = "Feedback for this session has closed"


def _closing_day(app, session_id: int, days: int = 42) -> str:
    """The last UK day feedback can be given: ``days`` after the session's last date."""
    with app.app_context():
        return format_uk(to_uk(db.session.get(CourseSession, session_id).ends_at).date() + timedelta(days=days))


def test_the_form_says_until_when_feedback_can_be_given(app):
    s = attended(app)  # the session was 30 days ago: open for 42 days
    client, _web = as_person(app, s.student.email)
    page = html_of(client.get(url(s)))
    day = _closing_day(app, s.session_id)
    assert f"You can give feedback on this session until the end of {day}." in page
    mine = html_of(client.get("/my/courses"))
    assert "Give feedback on this course" in mine and f"(until {day})" in mine


def test_after_the_window_the_form_says_feedback_has_closed_and_stores_nothing(app, monkeypatch):
    s = attended(app)
    monkeypatch.setitem(app.config, "REC_FEEDBACK_OPEN_DAYS", 20)  # the session was 30 days ago
    client, web = as_person(app, s.student.email)
    page = html_of(client.get(url(s)))
    assert CLOSED in page and 'id="feedback-form"' not in page
    assert f"Feedback on this session could be given until the end of {_closing_day(app, s.session_id, 20)}." in page
    # Without JavaScript: the post is refused calmly (back to the page saying why).
    sent = web.submit(url(s), answers(s, rating="2", change="Late words"), page="/my/account")
    assert sent.status_code == 303 and sent.headers["Location"] == url(s)
    # With htmx: the same, and the page it ends on says why.
    followed = client.post(url(s), data={**answers(s, rating="2", change="Late words"), "anonymous": "y",
                                         "csrf_token": web.token("/my/account")},
                           headers={"HX-Request": "true"}, follow_redirects=True)
    assert CLOSED in html_of(followed)
    assert count(app, FeedbackResponse) == 0
    mine = html_of(client.get("/my/courses"))
    assert "Give feedback on this course" not in mine and "You can tell us how" not in mine


def test_a_reflection_closes_with_the_same_window(app, monkeypatch):
    s = attended(app)
    client, web = as_person(app, s.facilitator.email)
    assert "You can write your reflection until the end of" in html_of(client.get(reflection_url(s)))
    monkeypatch.setitem(app.config, "REC_FEEDBACK_OPEN_DAYS", 20)
    page = html_of(client.get(reflection_url(s)))
    assert "Reflections on this session have closed" in page and 'id="feedback-form"' not in page
    web.submit(reflection_url(s), {f"q-{s.q['worked']}": "Late reflection"}, page="/facilitate")
    assert count(app, FeedbackResponse) == 0
    assert f'id="reflection-{s.session_id}"' not in html_of(client.get("/facilitate"))


def test_the_invitations_command_skips_sessions_whose_feedback_has_closed(app):
    s = attended(app, invited=False)  # 30 days ago: still open
    with app.app_context():
        old = past_session("Wellbeing Tools", days_ago=50)  # closed 42 days after its last date
        mark(book(old, factories.make_user()), old, ["present"])
        db.session.commit()
        old_id = old.id
    result = app.test_cli_runner().invoke(args=["rec", "feedback-invitations"])
    assert result.exit_code == 0
    assert "Sent 2 feedback invitations for 1 session." in result.output  # Staying Safe's student and facilitator
    with app.app_context():
        invited = {i.session_id for i in db.session.query(FeedbackInvitation)}
        assert invited == {s.session_id}
        # Someone marked present on the closed session later is not invited either.
        from rec_portal.feedback.operations import invite_for_session

        session = db.session.get(CourseSession, old_id)
        mark(book(session, factories.make_user()), session, ["present"])
        assert invite_for_session(session) == 0
        db.session.commit()
    again = app.test_cli_runner().invoke(args=["rec", "feedback-invitations"])
    assert "Sent 0 feedback invitations" in again.output
    assert count(app, OutboxMessage) == 2


def test_the_invitation_email_says_until_when(app):
    s = attended(app)
    with app.app_context():
        bodies = [m.body_text for m in db.session.query(OutboxMessage)]
    day = _closing_day(app, s.session_id)
    assert any(f"You can answer until {day}." in b for b in bodies)
    assert any(f"You can write it until {day}." in b for b in bodies)
