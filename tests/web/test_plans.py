"""The learning plan at /my/plan (own words, goals, courses of interest, reviews, PDF),
"Add to my plan" on course pages, and the learning advisor's view for admins."""

from __future__ import annotations

import re
import subprocess
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from rec_portal import audit, documents
from rec_portal.extensions import db
from rec_portal.models import AuditEvent, Booking, Course, User, UserSession
from rec_portal.models.plans import LearningGoal, LearningPlan, PlanCourse, PlanReview
from rec_portal.plans import operations
from rec_portal.plans.queries import goals as goals_of
from tests import factories
from tests.conftest import csrf_from

# --- Helpers ---------------------------------------------------------------------------------


def _html(response) -> str:
    return response.get_data(as_text=True)


def _hx(client, page: str = "/my/plan") -> dict:
    """Headers of an htmx request made from ``page`` (with its CSRF token)."""
    token = csrf_from(_html(client.get(page)))
    return {"HX-Request": "true", "X-CSRFToken": token, "HX-Current-URL": f"http://localhost{page}"}


def _goals(app, user_id: int, *texts: str, **fields) -> list[int]:
    with app.app_context():
        user = db.session.get(User, user_id)
        ids = [operations.add_goal(user, text=t, **fields).id for t in texts]
        db.session.commit()
        return ids


def _texts(app, user_id: int) -> list[str]:
    with app.app_context():
        return [g.text for g in goals_of(user_id)]


def _goal(app, goal_id: int) -> LearningGoal | None:
    with app.app_context():
        goal = db.session.get(LearningGoal, goal_id)
        if goal is not None:
            db.session.expunge(goal)
        return goal


def _course(app, slug: str = "staying-safe", title: str = "Staying Safe", status: str = "published",
            sessions: int = 0) -> int:
    with app.app_context():
        course = factories.make_course(title=title, slug=slug, status=status)
        for n in range(sessions):
            factories.make_session(course=course, starts_in_days=10 + 7 * n)
        db.session.commit()
        return course.id


def _other_student(app) -> int:
    with app.app_context():
        other = factories.make_user()
        db.session.commit()
        return other.id


def _date(prefix: str, value: date | None) -> dict:
    if value is None:
        return {f"{prefix}-day": "", f"{prefix}-month": "", f"{prefix}-year": ""}
    return {f"{prefix}-day": str(value.day), f"{prefix}-month": str(value.month), f"{prefix}-year": str(value.year)}


def _text(fragment: str) -> str:
    """The words of an HTML fragment, tags removed and spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)).strip()


# --- Access ----------------------------------------------------------------------------------

STUDENT_PAGES = ["/my/plan", "/my/plan/goals/new", "/my/plan.pdf"]


def test_signed_out_visitors_are_sent_to_sign_in(client, app):
    for url in STUDENT_PAGES:
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"] == f"/login?next={url}"
    response = client.get("/admin/students/1/plan")
    assert response.headers["Location"] == "/login?next=/admin/students/1/plan"
    # htmx: a full-page redirect to sign in, never a sign-in form inside a fragment.
    response = client.get("/my/plan/goals/new", headers={"HX-Request": "true", "HX-Current-URL": "http://localhost/my/plan"})
    assert response.headers["HX-Redirect"] == "/login?next=/my/plan"


def test_people_without_the_student_role_cannot_have_a_plan(login_as, client):
    login_as("facilitator")
    for url in STUDENT_PAGES:
        response = client.get(url)
        assert response.status_code == 403
        assert "You do not have access to this page" in _html(response)


def test_admins_without_the_student_role_cannot_have_a_plan(login_as, client):
    login_as("admin")
    assert client.get("/my/plan").status_code == 403


def test_the_plan_page_when_nothing_is_written_yet(login_as, client):
    login_as("student")
    response = client.get("/my/plan")
    html = _html(response)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert 'hx-history="false"' in html  # never kept in htmx's history cache
    for heading in ("My learning plan", "In my own words", "My goals", "Courses I am interested in",
                    "Reviews of my plan"):
        assert heading in html
    assert "You have not added any goals yet" in html
    assert "You have not added any courses yet" in html
    assert "You have not had a review yet" in html
    assert '<a href="/my/plan.pdf" download>Download my plan (PDF)</a>' in html
    assert 'href="/my/plan/goals/new"' in html


# --- In my own words -------------------------------------------------------------------------


def test_own_words_are_saved_without_javascript(login_as, web, client, app):
    me = login_as("student")
    response = web.submit("/my/plan/words", {"hopes": "To meet people", "strengths": "Good listener",
                                             "support": "Breaks\r\nLarge print"}, page="/my/plan")
    assert response.status_code == 302 and response.headers["Location"] == "/my/plan#plan-words"
    html = _html(client.get("/my/plan"))
    assert "Your words are saved." in html
    assert ">To meet people</textarea>" in html and ">Good listener</textarea>" in html
    with app.app_context():
        plan = db.session.get(LearningPlan, me.id)
        assert (plan.hopes, plan.strengths, plan.support) == ("To meet people", "Good listener", "Breaks\nLarge print")


def test_own_words_are_saved_in_place_with_htmx(login_as, client, app):
    me = login_as("student")
    response = client.post("/my/plan/words", data={"hopes": "Learn", "strengths": "", "support": ""},
                           headers=_hx(client))
    html = _html(response)
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="plan-words"')
    assert "<html" not in html and "Saved" in html and "data-rec-focus" in html
    assert ">Learn</textarea>" in html
    with app.app_context():
        assert db.session.get(LearningPlan, me.id).hopes == "Learn"


def test_own_words_that_are_too_long_are_kept_and_nothing_is_saved(login_as, web, client, app):
    me = login_as("student")
    data = {"hopes": "x" * 5001, "strengths": "Kind and patient", "support": "Breaks"}
    response = web.submit("/my/plan/words", data, page="/my/plan")
    html = _html(response)
    assert response.status_code == 400
    assert "<title>Error: My learning plan" in html
    assert "There is a problem" in html and 'href="#hopes"' in html
    assert "Please keep this to 5,000 characters or fewer" in html
    assert ">Kind and patient</textarea>" in html and ">Breaks</textarea>" in html
    # htmx: the same, in place.
    response = client.post("/my/plan/words", data=data, headers=_hx(client))
    html = _html(response)
    assert response.status_code == 400 and html.lstrip().startswith('<section id="plan-words"')
    assert "There is a problem" in html and ">Kind and patient</textarea>" in html
    with app.app_context():
        assert db.session.get(LearningPlan, me.id) is None


def test_words_typed_after_the_session_expired_come_back_after_signing_in(login_as, web, client, app):
    me = login_as("student")
    token = csrf_from(_html(client.get("/my/plan")))
    _expire_sessions(app, me.id)
    response = client.post("/my/plan/words", data={"csrf_token": token, "hopes": "Typed before the timeout",
                                                   "strengths": "", "support": ""})
    assert response.headers["Location"].startswith("/login")
    web.login(me.email)
    html = _html(client.get("/my/plan", follow_redirects=True))
    assert ">Typed before the timeout</textarea>" in html
    assert "We kept what you typed" in html
    with app.app_context():
        assert db.session.get(LearningPlan, me.id) is None  # not saved until they choose Save


def test_a_goal_typed_after_the_session_expired_comes_back_in_the_add_form(login_as, web, client, app):
    me = login_as("student")
    headers = _hx(client)
    _expire_sessions(app, me.id)
    response = client.post("/my/plan/goals/new", data={"text": "Kept goal", "steps": "Kept step",
                                                      **_date("target_date", date(2027, 5, 6))}, headers=headers)
    assert response.headers["HX-Redirect"] == "/login?next=/my/plan"
    web.login(me.email)
    html = _html(client.get("/my/plan"))
    add = html[html.index('<div id="goal-add"'):]
    assert ">Kept goal</textarea>" in add and ">Kept step</textarea>" in add
    assert re.search(r'name="target_date-month"[^>]*value="5"', add)
    assert _texts(app, me.id) == []
    # Handed back once only.
    assert "Kept goal" not in _html(client.get("/my/plan"))


def _expire_sessions(app, user_id: int) -> None:
    with app.app_context():
        for row in db.session.execute(select(UserSession).where(UserSession.user_id == user_id)).scalars():
            row.last_seen_at -= timedelta(days=1)
        db.session.commit()


def test_ids_on_the_plan_page_are_unique(login_as, client, app):
    me = login_as("student")
    _goals(app, me.id, "One", "Two", "Three", steps="a\nb", target_date=date(2027, 1, 1))
    html = _html(client.get("/my/plan"))
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


# --- Goals -----------------------------------------------------------------------------------


def test_add_a_goal_without_javascript(login_as, web, client, app):
    me = login_as("student")
    page = _html(client.get("/my/plan/goals/new"))
    assert "<h1>Add a goal</h1>" in page and 'name="target_date-day"' in page
    response = web.submit("/my/plan/goals/new", {"text": "Use the bus on my own", "steps": "Plan the route\nGo with a friend",
                                                 **_date("target_date", date(2027, 3, 14))})
    (goal_id,) = [g.id for g in _goals_of(app, me.id)]
    assert response.headers["Location"] == f"/my/plan#goal-{goal_id}"
    html = _html(client.get("/my/plan"))
    assert "Your goal is added." in html
    goal_html = html[html.index(f'id="goal-{goal_id}"'):]
    assert "Use the bus on my own" in goal_html
    assert "<li>Plan the route</li><li>Go with a friend</li>" in goal_html
    assert "14 March 2027" in goal_html and "Not started" in goal_html


def _goals_of(app, user_id):
    with app.app_context():
        found = goals_of(user_id)
        for goal in found:
            db.session.expunge(goal)
        return found


def test_a_goal_with_mistakes_keeps_what_was_typed(login_as, web, client, app):
    me = login_as("student")
    data = {"text": "", "steps": "Step one", "target_date-day": "31", "target_date-month": "2", "target_date-year": "2027"}
    response = web.submit("/my/plan/goals/new", data)
    html = _html(response)
    assert response.status_code == 400
    assert "<title>Error: Add a goal" in html
    assert "Enter your goal" in html and 'href="#new-goal-text"' in html
    assert "Enter a real date for when you would like to reach your goal" in html
    assert ">Step one</textarea>" in html
    assert re.search(r'name="target_date-day"[^>]*value="31"', html)
    # htmx: the form stays open in place, with the errors.
    response = client.post("/my/plan/goals/new", data=data, headers=_hx(client))
    html = _html(response)
    assert response.status_code == 400 and html.lstrip().startswith('<div id="goal-add"')
    assert "Enter your goal" in html and ">Step one</textarea>" in html and "<html" not in html
    assert _texts(app, me.id) == []


def test_add_a_goal_with_htmx(login_as, client, app):
    me = login_as("student")
    _goals(app, me.id, "Already here")
    headers = _hx(client)
    form = _html(client.get("/my/plan/goals/new", headers=headers))
    assert form.lstrip().startswith('<div id="goal-add"') and 'hx-post="/my/plan/goals/new"' in form
    assert "<html" not in form
    response = client.post("/my/plan/goals/new", data={"text": "Go to a course", "steps": "", **_date("target_date", None)},
                           headers=headers)
    html = _html(response)
    assert response.status_code == 200
    # The form closes, and the list (out of band) shows the new goal with focus on it.
    assert html.lstrip().startswith('<div id="goal-add"') and ">Add a goal</a>" in html
    assert '<div id="goals" class="rec-goals" hx-swap-oob="true">' in html
    new_id = _goals_of(app, me.id)[1].id
    new_goal = html[html.index(f'<li id="goal-{new_id}"'):]
    assert "Goal added." in new_goal and "data-rec-focus" in new_goal
    assert _texts(app, me.id) == ["Already here", "Go to a course"]
    # Cancel puts the "Add a goal" link back.
    cancel = _html(client.get("/my/plan/goals/new?cancel=1", headers=headers))
    assert ">Add a goal</a>" in cancel and "<form" not in cancel


def test_change_a_goal_without_javascript(login_as, web, client, app):
    me = login_as("student")
    (goal_id,) = _goals(app, me.id, "Old text", steps="One", target_date=date(2027, 1, 2))
    page = _html(client.get(f"/my/plan/goals/{goal_id}/edit"))
    assert "<h1>Change your goal</h1>" in page and ">Old text</textarea>" in page and 'value="2027"' in page
    response = web.submit(f"/my/plan/goals/{goal_id}/edit", {"text": "New text", "steps": "One\nTwo", "status": "in_progress",
                                                             **_date("target_date", None)})
    assert response.headers["Location"] == f"/my/plan#goal-{goal_id}"
    goal = _goal(app, goal_id)
    assert (goal.text, goal.step_list, goal.target_date, goal.status) == ("New text", ["One", "Two"], None, "in_progress")
    assert "Your goal is saved." in _html(client.get("/my/plan"))


def test_change_a_goal_in_place_with_htmx(login_as, client, app):
    me = login_as("student")
    (goal_id,) = _goals(app, me.id, "Old text")
    headers = _hx(client)
    form = _html(client.get(f"/my/plan/goals/{goal_id}/edit", headers=headers))
    assert form.lstrip().startswith(f'<li id="goal-{goal_id}"')
    assert ">Old text</textarea>" in form and f'hx-target="#goal-{goal_id}"' in form and "<html" not in form
    assert "Save goal" in form and "Cancel" in form
    # Cancel restores the goal as it was.
    cancelled = _html(client.get(f"/my/plan/goals/{goal_id}", headers=headers))
    assert cancelled.lstrip().startswith(f'<li id="goal-{goal_id}"') and "Old text" in cancelled and "<form" in cancelled
    assert "<textarea" not in cancelled
    # Save swaps the goal back, changed, with focus on the message.
    response = client.post(f"/my/plan/goals/{goal_id}/edit", data={"text": "New text", "steps": "", "status": "achieved",
                                                                   **_date("target_date", None)}, headers=headers)
    html = _html(response)
    assert response.status_code == 200 and html.lstrip().startswith(f'<li id="goal-{goal_id}"')
    assert "New text" in html and "Achieved" in html and "Goal saved." in html and "data-rec-focus" in html
    # Without htmx the single-goal URL goes back to the plan.
    assert client.get(f"/my/plan/goals/{goal_id}").headers["Location"] == f"/my/plan#goal-{goal_id}"


def test_a_changed_goal_with_mistakes_keeps_what_was_typed(login_as, web, client, app):
    me = login_as("student")
    (goal_id,) = _goals(app, me.id, "Keep me")
    data = {"text": "", "steps": "New step", "status": "in_progress", **_date("target_date", None)}
    data["target_date-day"] = "40"
    response = web.submit(f"/my/plan/goals/{goal_id}/edit", data)
    html = _html(response)
    assert response.status_code == 400 and "There is a problem" in html
    assert "Enter your goal" in html and "Enter a real date" in html and ">New step</textarea>" in html
    assert f'href="#goal-{goal_id}-text"' in html
    response = client.post(f"/my/plan/goals/{goal_id}/edit", data=data, headers=_hx(client))
    html = _html(response)
    assert response.status_code == 400 and html.lstrip().startswith(f'<li id="goal-{goal_id}"')
    assert "Enter your goal" in html and ">New step</textarea>" in html and 'value="40"' in html
    assert _goal(app, goal_id).text == "Keep me"


def test_delete_a_goal_after_confirming(login_as, web, client, app):
    me = login_as("student")
    _first, second, _third = _goals(app, me.id, "First", "Second", "Third")
    page = _html(client.get(f"/my/plan/goals/{second}/delete"))
    assert "<h1>Delete this goal?</h1>" in page and "Second" in page and "Yes, delete this goal" in page
    assert "No, keep it" in page
    assert _texts(app, me.id) == ["First", "Second", "Third"]  # asking changes nothing
    response = web.submit(f"/my/plan/goals/{second}/delete", {})
    assert response.headers["Location"] == "/my/plan#goals"
    assert "The goal is deleted." in _html(client.get("/my/plan"))
    assert [(g.text, g.position) for g in _goals_of(app, me.id)] == [("First", 0), ("Third", 1)]


def test_delete_a_goal_in_place_with_htmx(login_as, client, app):
    me = login_as("student")
    first, second = _goals(app, me.id, "First", "Second")
    headers = _hx(client)
    confirm = _html(client.get(f"/my/plan/goals/{first}/delete", headers=headers))
    assert confirm.lstrip().startswith(f'<li id="goal-{first}"') and "Delete this goal?" in confirm
    assert 'hx-target="#goals"' in confirm and "<html" not in confirm
    html = _html(client.post(f"/my/plan/goals/{first}/delete", headers=headers))
    assert html.lstrip().startswith('<div id="goals"') and "Goal deleted." in html
    assert f'id="goal-{first}"' not in html and f'id="goal-{second}"' in html
    assert "Move up" not in html and "Move down" not in html  # one goal left: nothing to move
    assert _texts(app, me.id) == ["Second"]


def test_move_goals_without_javascript(login_as, web, client, app):
    me = login_as("student")
    first, second, third = _goals(app, me.id, "First", "Second", "Third")
    html = _html(client.get("/my/plan"))
    first_html = html[html.index(f'id="goal-{first}"'):html.index(f'id="goal-{second}"')]
    assert "Move down" in first_html and "Move up" not in first_html
    response = web.submit(f"/my/plan/goals/{first}/move", {"direction": "down"}, page="/my/plan")
    assert response.headers["Location"] == f"/my/plan#goal-{first}"
    assert "It is now goal 2." in _html(client.get("/my/plan"))
    web.submit(f"/my/plan/goals/{third}/move", {"direction": "up"}, page="/my/plan")
    assert [(g.text, g.position) for g in _goals_of(app, me.id)] == [("Second", 0), ("Third", 1), ("First", 2)]
    # A GET (for example after signing in again) changes nothing.
    assert client.get(f"/my/plan/goals/{first}/move").headers["Location"] == f"/my/plan#goal-{first}"
    assert _texts(app, me.id) == ["Second", "Third", "First"]


def test_move_a_goal_with_htmx_keeps_focus_on_it(login_as, client, app):
    me = login_as("student")
    first, second = _goals(app, me.id, "First", "Second")
    headers = _hx(client)
    html = _html(client.post(f"/my/plan/goals/{second}/move", data={"direction": "up"}, headers=headers))
    assert html.lstrip().startswith('<div id="goals"') and "<html" not in html
    assert html.index(f'id="goal-{second}"') < html.index(f'id="goal-{first}"')
    moved = html[html.index(f'id="goal-{second}"'):html.index(f'id="goal-{first}"')]
    # It is first now, so "Move up" is gone and focus goes to its "Move down" button.
    assert "Goal 1" in moved and "Move up" not in moved
    assert re.search(r"data-rec-focus>Move down", moved)
    assert html.count("data-rec-focus") == 1
    assert _texts(app, me.id) == ["Second", "First"]


def test_bad_move_requests_are_refused(login_as, web, app):
    me = login_as("student")
    (goal_id,) = _goals(app, me.id, "Only")
    assert web.submit(f"/my/plan/goals/{goal_id}/move", {"direction": "sideways"}, page="/my/plan").status_code == 400


def test_change_the_status_of_a_goal(login_as, web, client, app):
    me = login_as("student")
    first, second = _goals(app, me.id, "First", "Second")
    response = web.submit(f"/my/plan/goals/{first}/status", {"status": "in_progress"}, page="/my/plan")
    assert response.headers["Location"] == f"/my/plan#goal-{first}"
    assert "Status saved: in progress." in _html(client.get("/my/plan"))
    assert _goal(app, first).status == "in_progress"
    html = _html(client.post(f"/my/plan/goals/{second}/status", data={"status": "achieved"}, headers=_hx(client)))
    assert html.lstrip().startswith('<div id="goals"')
    changed = html[html.index(f'id="goal-{second}"'):]
    assert "Status saved: achieved. Well done." in changed and "data-rec-focus" in changed
    assert '<strong class="nhsuk-tag nhsuk-tag--green">Achieved</strong>' in changed
    assert _goal(app, second).status == "achieved"
    assert web.submit(f"/my/plan/goals/{second}/status", {"status": "finished"}, page="/my/plan").status_code == 400
    assert _goal(app, second).status == "achieved"


GOAL_ROUTES = [
    ("GET", "/my/plan/goals/{id}"),
    ("GET", "/my/plan/goals/{id}/edit"),
    ("POST", "/my/plan/goals/{id}/edit"),
    ("GET", "/my/plan/goals/{id}/delete"),
    ("POST", "/my/plan/goals/{id}/delete"),
    ("GET", "/my/plan/goals/{id}/move"),
    ("POST", "/my/plan/goals/{id}/move"),
    ("GET", "/my/plan/goals/{id}/status"),
    ("POST", "/my/plan/goals/{id}/status"),
]


@pytest.mark.parametrize(("method", "url"), GOAL_ROUTES)
def test_another_students_goal_is_not_found(login_as, client, app, method, url):
    other = _other_student(app)
    (goal_id,) = _goals(app, other, "Not yours", steps="Private step")
    login_as("student")
    token = csrf_from(_html(client.get("/my/plan")))
    data = {"csrf_token": token, "text": "Hijacked", "status": "achieved", "direction": "down"}
    for headers in ({}, {"HX-Request": "true"}):
        response = client.open(url.format(id=goal_id), method=method, data=data if method == "POST" else None,
                               headers=headers)
        assert response.status_code == 404
        assert "Not yours" not in _html(response) and "Private step" not in _html(response)
    goal = _goal(app, goal_id)
    assert (goal.text, goal.status) == ("Not yours", "not_started")


@pytest.mark.parametrize("url", ["/my/plan/goals/999999", "/my/plan/goals/999999/edit"])
def test_unknown_goals_are_not_found(login_as, client, url):
    login_as("student")
    assert client.get(url).status_code == 404


def test_csrf_token_is_required_for_every_change(login_as, client, app):
    me = login_as("student")
    (goal_id,) = _goals(app, me.id, "Goal")
    course_id = _course(app)
    posts = [
        ("/my/plan/words", {"hopes": "Changed"}),
        ("/my/plan/goals/new", {"text": "New"}),
        (f"/my/plan/goals/{goal_id}/edit", {"text": "Changed", "status": "achieved"}),
        (f"/my/plan/goals/{goal_id}/status", {"status": "achieved"}),
        (f"/my/plan/goals/{goal_id}/move", {"direction": "down"}),
        (f"/my/plan/goals/{goal_id}/delete", {}),
        ("/my/plan/courses", {"course_id": str(course_id)}),
    ]
    for url, data in posts:
        for headers in ({}, {"HX-Request": "true"}):
            response = client.post(url, data=data, headers=headers)
            assert response.status_code == 400, url
            assert "Your form could not be sent" in _html(response)
    with app.app_context():
        assert db.session.get(LearningPlan, me.id) is None
        assert [(g.text, g.status) for g in goals_of(me.id)] == [("Goal", "not_started")]
        assert db.session.execute(select(PlanCourse)).first() is None


# --- Courses of interest ---------------------------------------------------------------------


def test_course_page_asks_visitors_to_sign_in_to_add_it(client, app):
    _course(app)
    html = _html(client.get("/courses/staying-safe"))
    assert '<a href="/login?next=/courses/staying-safe">Sign in to add this course to your plan</a>' in html


def test_staff_only_accounts_see_no_plan_control(login_as, client, app):
    _course(app)
    login_as("facilitator")
    html = _html(client.get("/courses/staying-safe"))
    assert "Add to my plan" not in html and "Sign in to add this course" not in html


def test_add_a_course_from_its_page_without_javascript(login_as, web, client, app):
    me = login_as("student")
    course_id = _course(app, sessions=1)
    page = _html(client.get("/courses/staying-safe"))
    assert "Add to my plan" in page and f'name="course_id" value="{course_id}"' in page
    response = web.submit("/my/plan/courses", {"course_id": str(course_id), "back": "course"}, page="/courses/staying-safe")
    assert response.headers["Location"] == "/courses/staying-safe"
    page = _html(client.get("/courses/staying-safe"))
    assert "Staying Safe is in your learning plan." in page
    control = _text(page[page.index(f'id="plan-course-{course_id}"'):page.index("See the dates and book a place")])
    assert "This course is in your plan" in control and "Remove" in control and "Add to my plan" not in control
    plan = _html(client.get("/my/plan"))
    assert 'href="/courses/staying-safe">Staying Safe</a>' in plan and "See the dates and book" in plan
    with app.app_context():
        assert db.session.execute(select(PlanCourse.user_id, PlanCourse.course_id)).all() == [(me.id, course_id)]


def test_add_and_remove_a_course_in_place_with_htmx(login_as, client, app):
    me = login_as("student")
    course_id = _course(app)
    headers = _hx(client, "/courses/staying-safe")
    response = client.post("/my/plan/courses", data={"course_id": str(course_id), "back": "course"}, headers=headers)
    html = _html(response)
    assert response.status_code == 200 and html.lstrip().startswith(f'<div id="plan-course-{course_id}"')
    assert "This course is in your plan" in _text(html) and "Remove" in html and "<html" not in html
    assert "data-rec-focus" in html
    # Adding twice (a double click) keeps one entry.
    client.post("/my/plan/courses", data={"course_id": str(course_id), "back": "course"}, headers=headers)
    with app.app_context():
        assert len(db.session.execute(select(PlanCourse).where(PlanCourse.user_id == me.id)).all()) == 1
    html = _html(client.post(f"/my/plan/courses/{course_id}/remove", data={"back": "course"}, headers=headers))
    assert html.lstrip().startswith(f'<div id="plan-course-{course_id}"')
    assert "This course is no longer in your plan." in html and "Add to my plan" in html
    with app.app_context():
        assert db.session.execute(select(PlanCourse)).first() is None


def test_remove_a_course_from_the_plan_page(login_as, web, client, app):
    me = login_as("student")
    keep, drop = _course(app, "keep", "Keep This"), _course(app, "drop", "Drop This")
    with app.app_context():
        user = db.session.get(User, me.id)
        for cid in (keep, drop):
            operations.add_course(user, db.session.get(Course, cid))
        db.session.commit()
    response = web.submit(f"/my/plan/courses/{drop}/remove", {"back": "plan"}, page="/my/plan")
    assert response.headers["Location"] == "/my/plan#plan-courses"
    html = _html(client.get("/my/plan"))
    assert "Drop This is no longer in your plan." in html
    html = _html(client.post(f"/my/plan/courses/{keep}/remove", data={"back": "plan"}, headers=_hx(client)))
    assert html.lstrip().startswith('<div id="plan-courses"') and "Keep This is no longer in your plan." in html
    assert "You have not added any courses yet" in html
    with app.app_context():
        assert db.session.execute(select(PlanCourse)).first() is None


@pytest.mark.parametrize("status", ["draft", "archived"])
def test_only_published_courses_can_be_added(login_as, web, app, status):
    login_as("student")
    course_id = _course(app, slug="hidden", status=status)
    response = web.submit("/my/plan/courses", {"course_id": str(course_id)}, page="/my/plan")
    assert response.status_code == 404
    assert web.submit("/my/plan/courses", {"course_id": "999999"}, page="/my/plan").status_code == 404
    assert web.submit("/my/plan/courses", {"course_id": "abc"}, page="/my/plan").status_code == 400
    with app.app_context():
        assert db.session.execute(select(PlanCourse)).first() is None


def test_course_list_shows_the_next_bookable_dates_and_my_place(login_as, client, app):
    from rec_portal.bookings.operations import book_place
    from rec_portal.timeutil import utcnow

    me = login_as("student")
    with app.app_context():
        course = factories.make_course(title="Staying Safe", slug="staying-safe")
        booked = factories.make_session(course=course, starts_in_days=5)
        factories.make_session(course=course, starts_in_days=2, status="cancelled")
        factories.make_session(course=course, starts_in_days=3, booking_closes_at=utcnow() - timedelta(hours=1))
        factories.make_session(course=course, starts_in_days=-3, status="completed")
        full = factories.make_session(course=course, starts_in_days=12, capacity=1)
        factories.fill_places(full, 1)
        factories.make_session(course=course, starts_in_days=19, booking_opens_at=utcnow() + timedelta(days=7))
        factories.make_session(course=course, starts_in_days=26)  # the fourth: not shown
        user = db.session.get(User, me.id)
        book_place(booked.id, user)
        operations.add_course(user, course)
        archived = factories.make_course(title="Old Course", slug="old-course")
        operations.add_course(user, archived)
        archived.status = "archived"
        db.session.commit()
    html = _html(client.get("/my/plan"))
    section = _text(html[html.index('id="plan-courses"'):html.index('id="reviews"')])
    assert "Booked You have a place on" in section
    dates = section[section.index("Next dates:"):section.index("See the dates and book")]
    assert "you have a place" in dates
    assert "full, you can join the waiting list" in dates
    assert "booking opens on" in dates
    assert len(re.findall(r"\d{4}, \d", dates)) == 3  # three dates (not the fourth, cancelled, closed or past)
    assert "Old Course" in section and "not offered at the moment" in section
    assert 'href="/courses/old-course"' not in html


def test_plan_page_runs_the_same_number_of_queries_whatever_the_data(login_as, client, app):
    from sqlalchemy import event

    me = login_as("student")

    def build(n):
        with app.app_context():
            user = db.session.get(User, me.id)
            for i in range(n):
                course = factories.make_course(title=f"Course {i}")
                for s in range(3):
                    session = factories.make_session(course=course, starts_in_days=5 + s)
                    factories.fill_places(session, 1)
                operations.add_course(user, course)
                operations.add_goal(user, text=f"Goal {i}", steps="a\nb")
                operations.add_review(user, user, review_date=date(2027, 1, 1 + i), notes="n")
            db.session.commit()

    def count():
        client.get("/my/plan")
        statements = []
        with app.app_context():
            engine = db.engine

        def _count(*args):
            statements.append(args[2])

        event.listen(engine, "before_cursor_execute", _count)
        try:
            assert client.get("/my/plan").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", _count)
        return len(statements)

    build(1)
    small = count()
    build(5)
    assert count() == small


# --- PDF -------------------------------------------------------------------------------------


def _pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "plan.pdf"
    path.write_bytes(data)
    result = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True)
    return re.sub(r"\s+", " ", result.stdout)


def _full_plan(app, user_id: int, **words) -> None:
    with app.app_context():
        user = db.session.get(User, user_id)
        admin = factories.make_user(roles=("admin",), full_name="Alex Morgan")
        operations.save_own_words(user, hopes=words.get("hopes", "To feel safer"),
                                  strengths=words.get("strengths", "Good listener"),
                                  support=words.get("support", "Large print"))
        operations.add_goal(user, text=words.get("goal", "Use the bus on my own"), steps="Plan the route\nGo with a friend",
                            target_date=date(2027, 3, 14), status="in_progress")
        operations.add_goal(user, text="Come to a course", status="achieved")
        course = factories.make_course(title="Staying Safe", slug="staying-safe")
        operations.add_course(user, course)
        operations.add_review(user, admin, review_date=date(2026, 11, 9), notes=words.get("notes", "Went well"),
                              next_review_date=date(2027, 2, 7))
        db.session.commit()


@pytest.mark.skipif(not documents.pdf_available(), reason="WeasyPrint (Pango) is not installed")
def test_download_the_plan_as_a_pdf(login_as, client, app, tmp_path):
    me = login_as("student", full_name="Jo Williams")
    _full_plan(app, me.id)
    response = client.get("/my/plan.pdf")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="my-learning-plan.pdf"'
    assert response.headers["Cache-Control"] == "no-store"
    text = _pdf_text(response.data, tmp_path)
    for expected in ("My learning plan", "Jo Williams", f"REC-{me.id:06d}", "To feel safer", "Good listener",
                     "Large print", "Goal 1: Use the bus on my own", "In progress", "Plan the route",
                     "Go with a friend", "14 March 2027", "Goal 2: Come to a course", "Achieved", "Staying Safe",
                     "Review on 9 November 2026", "Alex Morgan", "Went well", "7 February 2027"):
        assert expected in text, expected


@pytest.mark.skipif(not documents.pdf_available(), reason="WeasyPrint (Pango) is not installed")
def test_markup_in_a_plan_prints_as_text_and_fetches_nothing(login_as, client, app, tmp_path):
    me = login_as("student")
    passwd = '<img src="file:///etc/passwd">'
    attachment = '<link rel="attachment" href="file:///etc/passwd">'
    metadata = '<img src="http://169.254.169.254/">'
    _full_plan(app, me.id, hopes=passwd, strengths=attachment, support=metadata, goal=metadata, notes=attachment)
    documents.requested_urls.clear()
    response = client.get("/my/plan.pdf")
    assert response.status_code == 200
    text = _pdf_text(response.data, tmp_path)
    for markup in (passwd, attachment, metadata):
        assert markup in text
    assert documents.requested_urls
    assert all(url.startswith(documents.STATIC_PREFIX + "css/") for url in documents.requested_urls), documents.requested_urls
    assert b"root:" not in response.data


# --- The learning advisor (admin) ------------------------------------------------------------


def _student_with_plan(app) -> int:
    with app.app_context():
        student = factories.make_user(full_name="Jo Williams", preferred_name="Jo")
        db.session.commit()
        student_id = student.id
    _full_plan(app, student_id)
    return student_id


def test_admin_reads_a_students_plan_and_it_is_audited(login_as, client, app):
    student_id = _student_with_plan(app)
    admin = login_as("admin")
    response = client.get(f"/admin/students/{student_id}/plan")
    html = _html(response)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert "Jo Williams" in html and f"REC-{student_id:06d}" in html
    for expected in ("To feel safer", "Good listener", "Large print", "Use the bus on my own", "Plan the route",
                     "14 March 2027", "In progress", "Staying Safe", "Went well", "Record a review"):
        assert expected in html, expected
    # Read only: no controls that change the student's plan.
    assert "Update status" not in html and "Move up" not in html and "Add a goal" not in html
    with app.app_context():
        events = db.session.execute(select(AuditEvent).where(AuditEvent.event == audit.PLAN_VIEWED)).scalars().all()
        assert [(e.actor_id, e.subject_id) for e in events] == [(admin.id, student_id)]
        assert events[0].detail is None


def test_the_advisor_never_sees_the_safety_plan(login_as, client, app):
    student_id = _student_with_plan(app)
    with app.app_context():
        factories.make_safety_plan(student_id, warning_signs="SECRET-WARNING-SIGN",
                                   unsafe_situations="SECRET-SITUATION", keeping_safe="SECRET-KEEPING")
        db.session.commit()
    login_as("admin")
    html = _html(client.get(f"/admin/students/{student_id}/plan"))
    assert "SECRET" not in html and "safety plan" not in html.lower().replace("your safety plan", "")


def test_only_admins_can_open_the_advisor_view(login_as, client, app, web):
    student_id = _student_with_plan(app)
    url = f"/admin/students/{student_id}/plan"
    assert client.get(url).headers["Location"] == f"/login?next={url}"
    for roles in (("facilitator",), ("student",), ("facilitator", "student")):
        with app.app_context():
            person = factories.make_user(roles=roles)
            db.session.commit()
            email = person.email
        web.login(email)
        response = client.get(url)
        assert response.status_code == 403 and "Went well" not in _html(response)
        token = csrf_from(_html(client.get("/my/account")))
        response = client.post(f"{url}/reviews", data={"csrf_token": token, "notes": "x",
                                                       **_date("review_date", date(2027, 1, 1))})
        assert response.status_code == 403
        client.post("/logout", data={"csrf_token": token})
    # The student themselves does not get the advisor's page either.
    with app.app_context():
        email = db.session.get(User, student_id).email
    web.login(email)
    assert client.get(url).status_code == 403
    with app.app_context():
        assert len(db.session.execute(select(PlanReview)).all()) == 1
        assert db.session.execute(select(AuditEvent).where(AuditEvent.event == audit.PLAN_VIEWED)).first() is None


def test_advisor_view_of_unknown_people_is_not_found(login_as, client, app):
    login_as("admin")
    assert client.get("/admin/students/999999/plan").status_code == 404
    with app.app_context():
        staff = factories.make_user(roles=("facilitator",))
        db.session.commit()
        staff_id = staff.id
    assert client.get(f"/admin/students/{staff_id}/plan").status_code == 404


def test_admin_records_a_review_and_the_student_sees_it(login_as, web, client, app):
    student_id = _student_with_plan(app)
    admin = login_as("admin", full_name="Sam Advisor")
    url = f"/admin/students/{student_id}/plan"
    response = web.submit(f"{url}/reviews", {"notes": "Talked about buses.\nNext: book a course.",
                                             **_date("review_date", date(2026, 11, 20)),
                                             **_date("next_review_date", date(2027, 2, 20))}, page=url)
    assert response.headers["Location"] == f"{url}#reviews"
    html = _html(client.get(url))
    assert "Review recorded. Jo can see it in their learning plan." in html
    with app.app_context():
        review = db.session.execute(select(PlanReview).where(PlanReview.reviewer_id == admin.id)).scalar_one()
        assert (review.user_id, review.review_date, review.next_review_date) == (student_id, date(2026, 11, 20), date(2027, 2, 20))
        event = db.session.execute(select(AuditEvent).where(AuditEvent.event == audit.PLAN_REVIEW_ADDED,
                                                            AuditEvent.actor_id == admin.id)).scalar_one()
        assert event.subject_id == student_id and "buses" not in (event.detail or "")
        email = db.session.get(User, student_id).email
    client.post("/logout", data={"csrf_token": csrf_from(html)})
    web.login(email)
    plan = _html(client.get("/my/plan"))
    reviews = _text(plan[plan.index('id="reviews"'):plan.index('id="download"')])
    assert "Review on 20 November 2026" in reviews and "Sam Advisor" in reviews
    assert "Talked about buses. Next: book a course." in reviews and "20 February 2027" in reviews
    assert "Review on 9 November 2026" in reviews  # the older one is still there, after it
    assert reviews.index("20 November 2026") < reviews.index("9 November 2026")
    assert "Record a review" not in plan


def test_a_review_with_mistakes_keeps_what_was_typed(login_as, web, app):
    student_id = _student_with_plan(app)
    login_as("admin")
    url = f"/admin/students/{student_id}/plan"
    response = web.submit(f"{url}/reviews", {"notes": "", **_date("review_date", None), **_date("next_review_date", None)}, page=url)
    html = _html(response)
    assert response.status_code == 400 and "There is a problem" in html
    assert "Enter the date of the review" in html and "Enter notes about the review" in html
    assert 'href="#review-review_date"' in html
    response = web.submit(f"{url}/reviews", {"notes": "Kept notes", **_date("review_date", date(2027, 3, 1)),
                                             **_date("next_review_date", date(2027, 2, 1))}, page=url)
    html = _html(response)
    assert response.status_code == 400
    assert "The next review must be on or after the date of this review" in html
    assert ">Kept notes</textarea>" in html and 'value="2027"' in html
    # Every mistake is listed at once.
    response = web.submit(f"{url}/reviews", {"notes": "", **_date("review_date", date(2027, 3, 1)),
                                             **_date("next_review_date", date(2027, 2, 1))}, page=url)
    html = _html(response)
    assert "Enter notes about the review" in html and "The next review must be on or after" in html
    response = web.submit(f"{url}/reviews", {"notes": "x", "review_date-day": "31", "review_date-month": "2",
                                             "review_date-year": "2027", **_date("next_review_date", None)}, page=url)
    assert "Enter a real date for the review" in _html(response)
    with app.app_context():
        assert len(db.session.execute(select(PlanReview)).all()) == 1


def test_admin_person_page_links_to_the_learning_plan_of_students_only(login_as, client, app):
    with app.app_context():
        student = factories.make_user(roles=("student",))
        staff = factories.make_user(roles=("facilitator",))
        db.session.commit()
        student_id, staff_id = student.id, staff.id
    login_as("admin")
    html = _html(client.get(f"/admin/people/{student_id}"))
    assert f'href="/admin/students/{student_id}/plan">Learning plan' in html
    staff_page = _html(client.get(f"/admin/people/{staff_id}"))
    assert f"/admin/students/{staff_id}/plan" not in staff_page and ">Learning plan" not in staff_page


def test_demo_student_has_a_full_plan(app, client, web):
    from rec_portal.demo import load_demo_data

    with app.app_context():
        load_demo_data()
        db.session.commit()
    web.login("student@example.org", "demo-password")
    html = _html(client.get("/my/plan"))
    assert "Feel confident using the bus" in html and "Achieved" in html
    assert 'href="/courses/staying-safe">Staying Safe</a>' in html and "Alex Morgan" in html
    with app.app_context():
        assert db.session.execute(select(Booking)).first() is not None


def test_parts_not_sent_are_left_alone_and_absurd_dates_are_a_message(login_as, web, client, app):
    me = login_as("student")
    web.submit("/my/plan/words", {"hopes": "Keep this hope", "strengths": "Kind", "support": "Breaks"}, page="/my/plan")
    web.submit("/my/plan/words", {"strengths": "Kind and patient"}, page="/my/plan")  # only one part sent
    with app.app_context():
        plan = db.session.get(LearningPlan, me.id)
        assert (plan.hopes, plan.strengths, plan.support) == ("Keep this hope", "Kind and patient", "Breaks")
    response = web.submit("/my/plan/goals/new", {"text": "A goal", "target_date-day": "9999999999",
                                                  "target_date-month": "1", "target_date-year": "2027"},
                          page="/my/plan")
    assert response.status_code == 400
    assert "Enter a real date" in response.get_data(as_text=True)


def test_text_boxes_follow_the_direction_of_what_is_typed(login_as, client, app):
    """Urdu or Arabic typed into a plan reads right to left: every text box on the plan and
    safety plan pages has dir="auto"."""
    login_as()
    for page in ("/my/plan", "/my/safety-plan"):
        html = _html(client.get(page))
        boxes = re.findall(r"<textarea[^>]*>", html)
        assert boxes, page
        assert all('dir="auto"' in box for box in boxes), (page, [b for b in boxes if 'dir="auto"' not in b])
