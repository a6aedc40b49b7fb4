"""What was typed after a timeout is kept only for the owner of a session that timed out."""

from __future__ import annotations

from datetime import timedelta

from markupsafe import escape

from sqlalchemy import func, select, update

from rec_portal.extensions import db
from rec_portal.models import SafetyPlan, SavedDraft, User, UserSession
from rec_portal.timeutil import utcnow
from tests import factories
from tests.conftest import Browserless, csrf_from, student_on_the_safety_plan
from tests.conftest import time_out_sessions as _timed_out


def _drafts(app) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(SavedDraft)).scalar_one()




def _post(client, token, text):
    return client.post("/my/safety-plan", data={"csrf_token": token, "safe_places": text, "save": "safe_places"})


def test_a_session_ended_by_a_password_change_elsewhere_keeps_nothing(app):
    client, token, email, uid = student_on_the_safety_plan(app)
    other = app.test_client()
    Browserless(other).login(email)
    with app.app_context():  # the password changed on the other device: this one ends
        db.session.execute(update(UserSession).where(UserSession.user_id == uid,
                                                     UserSession.ended_at.is_(None))
                           .values(ended_at=utcnow(), ended_reason="password changed"))
        db.session.commit()
    response = _post(client, token, "Go to 1 Attacker Road")
    # Not kept; the person who typed it is shown it (this very request's body) to copy.
    page = response.get_data(as_text=True)
    assert "Your session has ended" in page and "Go to 1 Attacker Road" in page
    assert _drafts(app) == 0
    with app.app_context():
        assert db.session.get(SafetyPlan, uid) is None


def test_a_timed_out_session_keeps_the_text_once_and_not_for_a_deleted_account(app):
    client, token, _email, uid = student_on_the_safety_plan(app)
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
        if response.status_code == 302:
            assert response.headers["Location"].startswith("/login")
        else:  # not kept: shown back to the person to copy (only what they sent)
            page = response.get_data(as_text=True)
            assert "Your session has ended" in page and escape(data[next(iter(data))]) in page

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


# --- Issue 14: every free-text form, any script, and never a silent loss ----------------------

URDU = "میں اپنے کمرے میں محفوظ محسوس کرتا ہوں اور کتابیں پڑھتا ہوں"  # 58 characters


def _urdu(length: int) -> str:
    text = (URDU * (length // len(URDU) + 1))[:length]
    return text[:-1] + "ں" if text.endswith(" ") else text


def _sign_in_again(client, response, email):
    """Follow the page's link to sign in (its ``next``), sign in, land where it leads."""
    assert response.status_code in (200, 302)
    location = response.headers.get("Location") or ""
    assert location.startswith("/login"), location
    signed_in = Browserless(client).submit(location, {"email": email, "password": factories.PASSWORD})
    assert signed_in.status_code == 302, signed_in.get_data(as_text=True)[:500]
    return client.get(signed_in.headers["Location"], follow_redirects=True)


def _field_value(html: str, name: str) -> str:
    """What a person sees in the textarea or text input called ``name``."""
    import html as html_lib
    import re

    textarea = re.search(rf'<textarea[^>]*name="{re.escape(name)}"[^>]*>(.*?)</textarea>', html, re.S)
    if textarea:
        return html_lib.unescape(textarea.group(1)).strip("\n")
    single = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*value="([^"]*)"', html)
    return html_lib.unescape(single.group(1)) if single else ""


def _student_with_goal(app):
    with app.app_context():
        user = factories.make_user()
        db.session.flush()
        from rec_portal.plans import operations as plan_ops

        goal = plan_ops.add_goal(user, text="Walk to the park", steps="Shoes on", target_date=None)
        db.session.commit()
        return user.email, goal.id


def test_editing_a_goal_after_a_timeout_brings_the_edited_text_back_into_that_goal(app):
    """Issue 14: the goal edit view did not keep drafts; the edited text was lost."""
    email, goal_id = _student_with_goal(app)
    client = app.test_client()
    Browserless(client).login(email)
    token = csrf_from(client.get(f"/my/plan/goals/{goal_id}/edit").get_data(as_text=True))
    _timed_out(app, client)
    response = client.post(f"/my/plan/goals/{goal_id}/edit", data={
        "csrf_token": token, "text": "Walk to the park and back, twice a week",
        "steps": "Ask Sam to come along", "status": "in_progress",
    })
    page = _sign_in_again(client, response, email).get_data(as_text=True)
    assert "We kept what you typed" in page
    assert _field_value(page, "text") == "Walk to the park and back, twice a week"
    assert _field_value(page, "steps") == "Ask Sam to come along"
    assert _drafts(app) == 0  # handed back once
    with app.app_context():  # nothing saved until the person chooses Save
        from rec_portal.models.plans import LearningGoal

        assert db.session.get(LearningGoal, goal_id).text == "Walk to the park"


def test_a_head_request_does_not_use_up_a_kept_draft(app):
    """A HEAD request (a link checker, a browser's prefetch) shows nothing, so it must not
    take the draft that the person's next real visit should show."""
    email, goal_id = _student_with_goal(app)
    client = app.test_client()
    Browserless(client).login(email)
    token = csrf_from(client.get(f"/my/plan/goals/{goal_id}/edit").get_data(as_text=True))
    _timed_out(app, client)
    response = client.post(f"/my/plan/goals/{goal_id}/edit", data={
        "csrf_token": token, "text": "Walk to the river", "steps": "", "status": "in_progress",
    })
    signed_in = Browserless(client).submit(response.headers["Location"],
                                           {"email": email, "password": factories.PASSWORD})
    assert client.head(signed_in.headers["Location"]).status_code == 200
    assert _drafts(app) == 1
    page = client.get(signed_in.headers["Location"]).get_data(as_text=True)
    assert _field_value(page, "text") == "Walk to the river"
    assert _drafts(app) == 0


def test_five_urdu_safety_plan_sections_are_kept_and_come_back(app):
    """Issue 14: 5 x 3,000 Urdu characters (within the 5,000 limit) were dropped because
    ASCII-escaped JSON made each character six bytes, over the 60,000-byte cap."""
    client, token, email, uid = student_on_the_safety_plan(app)
    _timed_out(app, client)
    sections = ("unsafe_situations", "warning_signs", "keeping_safe", "safe_places", "reporting")
    typed = {name: _urdu(3000 - i) for i, name in enumerate(sections)}
    response = client.post("/my/safety-plan", data={"csrf_token": token, "save": "reporting", **typed})
    assert _drafts(app) == 1
    page = _sign_in_again(client, response, email).get_data(as_text=True)
    for name in sections:
        assert _field_value(page, name) == typed[name], name
    with app.app_context():
        plan = db.session.get(SafetyPlan, uid)
        assert {name: getattr(plan, name) for name in sections} == typed


def test_text_that_cannot_be_kept_is_shown_back_to_copy_not_dropped(app):
    """Issue 14: a draft that could not be kept (too long, or nobody to keep it for) was
    dropped with no word to the person: they were sent to sign in."""
    client, token, email, uid = student_on_the_safety_plan(app)
    _timed_out(app, client)
    too_long = _urdu(10_001)  # over twice the section's own limit (5,000)
    response = client.post("/my/safety-plan", data={
        "csrf_token": token, "save": "safe_places", "safe_places": too_long,
        "warning_signs": "Not sleeping <b>well</b>",
    })
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "Your session has ended" in page and "could not keep it" in page
    assert too_long in page
    assert "Not sleeping &lt;b&gt;well&lt;/b&gt;" in page  # shown as text, never as markup
    assert page.count("readonly") == 2 and 'href="/login?next=/my/safety-plan"' in page
    assert _drafts(app) == 0


def test_a_kept_goal_edit_is_never_handed_to_another_account(app):
    email, goal_id = _student_with_goal(app)
    client = app.test_client()
    Browserless(client).login(email)
    token = csrf_from(client.get(f"/my/plan/goals/{goal_id}/edit").get_data(as_text=True))
    _timed_out(app, client)
    client.post(f"/my/plan/goals/{goal_id}/edit", data={
        "csrf_token": token, "text": "PRIVATE WORDS", "steps": "", "status": "in_progress"})
    assert _drafts(app) == 1
    # Someone else signs in on the same browser and opens their own goal with the same id
    # shape, their plan and the new goal form: nothing of the first person's shows.
    other_email, other_goal = _student_with_goal(app)
    Browserless(client).login(other_email)
    for url in (f"/my/plan/goals/{other_goal}/edit", "/my/plan", "/my/plan/goals/new"):
        assert "PRIVATE WORDS" not in client.get(url).get_data(as_text=True)
    assert client.get(f"/my/plan/goals/{goal_id}/edit").status_code == 404
    assert _drafts(app) == 1  # still waiting for its owner


def _admin_client(app):
    with app.app_context():
        admin = factories.make_user(roles=("admin",))
        db.session.commit()
        email = admin.email
    client = app.test_client()
    Browserless(client).login(email)
    return client, email


def test_a_draft_of_a_new_course_never_fills_an_existing_courses_edit_form(app):
    """A draft kept from the "new course" form (no URL arguments) was given back on the
    edit page of every course: Save would have written it over that course."""
    with app.app_context():
        course_id = factories.make_course(title="Staying Safe", slug="staying-safe").id
        db.session.commit()
    client, email = _admin_client(app)
    token = csrf_from(client.get("/admin/courses/new").get_data(as_text=True))
    _timed_out(app, client)
    client.post("/admin/courses/new", data={"csrf_token": token, "title": "A course I was writing"})
    assert _drafts(app) == 1
    Browserless(client).login(email)  # signed in again some other way (another tab)
    edit = client.get(f"/admin/courses/{course_id}/edit").get_data(as_text=True)
    assert _field_value(edit, "title") == "Staying Safe"
    assert "We kept what you typed" not in edit
    assert _drafts(app) == 1  # still waiting for the form it came from
    new = client.get("/admin/courses/new").get_data(as_text=True)
    assert _field_value(new, "title") == "A course I was writing"
    assert _drafts(app) == 0


def test_a_note_for_an_item_that_is_not_in_the_review_is_not_kept(app):
    """The note form's address names a review and an item; only the review was checked,
    so any made-up item number kept another draft (up to 20 each)."""
    from tests.scenarios import start_review as _review

    with app.app_context():
        course_id = factories.make_course(title="Staying Safe", slug="staying-safe").id
        db.session.commit()
    review_id = _review(app, course_id)
    client, _email = _admin_client(app)
    token = csrf_from(client.get(f"/admin/feedback/reviews/{review_id}").get_data(as_text=True))
    _timed_out(app, client)
    for item_id in (999_001, 999_002, 999_003):
        client.post(f"/admin/feedback/reviews/{review_id}/items/{item_id}/note",
                    data={"csrf_token": token, "note": "made up"})
    assert _kept_forms(app) == []


def test_a_workshop_note_kept_at_a_timeout_leads_back_to_the_request_page(app):
    """The notes form posts to an address of its own that cannot be opened: signing in
    again led to a "not available" page instead of the note, kept, on the request page."""
    from tests.scenarios import request_workshop as _make_request
    from tests.scenarios import workshop_world as _world

    with app.app_context():
        student_id = factories.make_user().id
        db.session.commit()
    request_id = _make_request(app, student_id, _world(app, team=False)["course"])
    client, email = _admin_client(app)
    page_url = f"/admin/workshops/{request_id}"
    token = csrf_from(client.get(page_url).get_data(as_text=True))
    _timed_out(app, client)
    response = client.post(f"{page_url}/notes", data={"csrf_token": token, "text": "Called Sam, will call back"},
                           headers={"Referer": f"http://localhost{page_url}"})
    assert _drafts(app) == 1
    landed = _sign_in_again(client, response, email)
    page = landed.get_data(as_text=True)
    assert landed.status_code == 200, page[:300]
    assert "We kept what you typed" in page
    assert _field_value(page, "text") == "Called Sam, will call back"

    # Too long to keep: shown back to copy, with a sign-in link to the same page.
    from rec_portal.workshops.forms import WORKSHOP_TEXT_MAX

    token = csrf_from(page)  # signed in again, on the request page
    _timed_out(app, client)
    shown = client.post(f"{page_url}/notes", data={"csrf_token": token, "text": "x" * (3 * WORKSHOP_TEXT_MAX)},
                        headers={"Referer": f"http://localhost{page_url}"}).get_data(as_text=True)
    assert "could not keep it" in shown
    # The link leads to the notes address, which, once signed in, sends the person on to
    # the request page's notes (as the first half of this test shows).
    assert f'href="/login?next={page_url}/notes"' in shown
