"""The feedback question bank at /admin/feedback/questions (admins only): the list with
answer counts, add, change, replace with a new wording, retire, reinstate, delete, move up
and down (htmx and plain), the preview of the student form, and the seeded defaults."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from rec_portal import audit, create_app
from rec_portal.extensions import db
from rec_portal.feedback.bank import questions_for
from rec_portal.models import AuditEvent
from rec_portal.models.feedback import FeedbackAnswer, FeedbackQuestion, FeedbackResponse
from rec_portal.timeutil import utcnow
from tests import factories
from tests.conftest import Browserless, count_statements, csrf_from, test_config, wipe

BANK = "/admin/feedback/questions"


@pytest.fixture(autouse=True)
def _empty_bank(app):
    """Start without the questions the migration seeds (only the first test of a run would
    see them otherwise)."""
    wipe(app)


def _question(app, text: str = "Overall, how would you rate the course?", *, audience: str = "student",
              kind: str = "rating", position: int = 10, course_id: int | None = None, hint: str = "",
              retired: bool = False) -> int:
    with app.app_context():
        question = factories.make_feedback_question(text, audience=audience, kind=kind, hint=hint, position=position,
                                                    course=course_id, retired_at=utcnow() if retired else None)
        db.session.commit()
        return question.id


def _course(app, title: str = "Staying Safe", status: str = "published") -> int:
    with app.app_context():
        course = factories.make_course(title=title, status=status)
        db.session.commit()
        return course.id


def _answers(app, question_id: int, n: int, *, value: int = 4) -> list[int]:
    """``n`` responses given with a name, each answering the question under its current
    wording (the bank counts anonymous answers only once their pool is shown: issue 13)."""
    with app.app_context():
        session = factories.make_session(starts_in_days=-10, status="completed")
        question = db.session.get(FeedbackQuestion, question_id)
        ids = []
        for _ in range(n):
            response = factories.make_feedback_response(session, audience=question.audience)
            answer = factories.make_feedback_answer(response, question,
                                                    "Kind words" if question.kind == "text" else value)
            ids.append(answer.id)
        db.session.commit()
        return ids


def _stored(app, question_id: int) -> dict | None:
    with app.app_context():
        q = db.session.get(FeedbackQuestion, question_id)
        if q is None:
            return None
        return {"text": q.text, "kind": q.kind, "hint": q.hint, "course_id": q.course_id, "position": q.position,
                "retired": q.retired_at is not None, "replaces_id": q.replaces_id, "audience": q.audience}


def _active_texts(app, audience: str = "student") -> list[str]:
    with app.app_context():
        return list(db.session.execute(
            select(FeedbackQuestion.text)
            .where(FeedbackQuestion.audience == audience, FeedbackQuestion.retired_at.is_(None))
            .order_by(FeedbackQuestion.position, FeedbackQuestion.id)
        ).scalars())


def _audit_details(app) -> list[str]:
    with app.app_context():
        return list(db.session.execute(
            select(AuditEvent.detail).where(AuditEvent.event == audit.FEEDBACK_QUESTION_CHANGED)
            .order_by(AuditEvent.id)
        ).scalars())


def _get(client, url: str, **kwargs) -> str:
    response = client.get(url, **kwargs)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def _section(html: str, audience: str) -> str:
    match = re.search(rf'<section id="bank-{audience}".*?</section>', html, re.DOTALL)
    assert match, audience
    return match.group(0)


def _texts_in(html: str) -> list[str]:
    return re.findall(r'<span class="rec-bank-text">(.*?)</span>', html)


def _summary(html: str) -> list[tuple[str, str]]:
    return [(a, re.sub(r"\s+", " ", b).strip())
            for a, b in re.findall(r'<a href="#([\w-]+)"\s*>\s*(.*?)\s*</a>', html, re.DOTALL)]


def _signed_out(client) -> None:
    with client.session_transaction() as session:
        session.clear()


def _three(app) -> tuple[int, int, int]:
    return (
        _question(app, "First question", position=10),
        _question(app, "Second question", kind="agreement", position=20),
        _question(app, "Third question", kind="text", position=30),
    )


# --- access ----------------------------------------------------------------------------------

def test_every_route_for_every_role(app, client, web, login_as):
    question_id = _question(app)
    retired_id = _question(app, "Old question", retired=True, position=20)
    gets = [BANK, f"{BANK}/new", f"{BANK}/{question_id}/edit", f"{BANK}/{question_id}/replace",
            f"{BANK}/{question_id}/retire", f"{BANK}/{question_id}/delete", f"{BANK}/preview"]
    posts = [f"{BANK}/new", f"{BANK}/{question_id}/edit", f"{BANK}/{question_id}/replace",
             f"{BANK}/{question_id}/retire", f"{BANK}/{question_id}/delete", f"{BANK}/{question_id}/move",
             f"{BANK}/{retired_id}/reinstate"]
    form = {"audience": "student", "kind": "text", "text": "Changed", "direction": "down"}
    for url in gets:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/login?next=/admin/feedback/questions"), url
    for url in posts:
        assert client.post(url, data=form).status_code in (302, 400), url
    for role in ("student", "facilitator"):
        _signed_out(client)
        login_as(role)
        for url in gets:
            response = client.get(url)
            assert response.status_code == 403, (role, url)
            assert "Overall, how would you rate" not in response.get_data(as_text=True)
        for url in posts:
            assert web.submit(url, form, page="/").status_code == 403, (role, url)
    assert _stored(app, question_id)["text"] == "Overall, how would you rate the course?"
    assert _stored(app, retired_id)["retired"] is True and _active_texts(app) == [
        "Overall, how would you rate the course?"]
    assert _audit_details(app) == []
    _signed_out(client)
    login_as("admin")
    for url in gets:
        assert client.get(url).status_code == 200, url
    for url in (f"{BANK}/999999/edit", f"{BANK}/999999/replace", f"{BANK}/999999/retire", f"{BANK}/999999/delete"):
        assert client.get(url).status_code == 404, url
    assert web.submit(f"{BANK}/999999/move", {"direction": "up"}, page=BANK).status_code == 404
    assert client.get(f"{BANK}/{retired_id}/reinstate").status_code == 405


def test_posts_without_a_csrf_token_are_refused(app, client, login_as):
    first, second, _ = _three(app)
    retired_id = _question(app, "Old question", retired=True, position=40)
    login_as("admin")
    form = {"audience": "student", "kind": "text", "text": "Changed wording", "direction": "down"}
    for url in (f"{BANK}/new", f"{BANK}/{first}/edit", f"{BANK}/{second}/replace", f"{BANK}/{first}/retire",
                f"{BANK}/{first}/delete", f"{BANK}/{first}/move", f"{BANK}/{retired_id}/reinstate"):
        response = client.post(url, data=form)
        assert response.status_code == 400, url
        response = client.post(url, data=form, headers={"HX-Request": "true"})
        assert response.status_code == 400, url
    assert _active_texts(app) == ["First question", "Second question", "Third question"]
    assert _stored(app, retired_id)["retired"] is True
    assert _audit_details(app) == []


# --- the list --------------------------------------------------------------------------------

def test_the_bank_lists_both_audiences_in_order_with_answer_counts(app, client, login_as):
    course_id = _course(app, "Staying Safe")
    rating = _question(app, "Overall, how would you rate the course?", position=10)
    safe = _question(app, "I feel more confident about keeping myself safe.", kind="agreement", position=15,
                     course_id=course_id)
    yes_no = _question(app, "Would you recommend the course to someone else?", kind="yes_no", position=20,
                       hint="Think of a friend.")
    worked = _question(app, "What worked well?", audience="facilitator", kind="text", position=70)
    old = _question(app, "Did you enjoy it?", kind="yes_no", position=5, retired=True)
    _answers(app, rating, 3)
    _answers(app, safe, 2)
    _answers(app, old, 1)
    login_as("admin")
    html = _get(client, BANK)
    students = _section(html, "student")
    assert "<h2 id=\"bank-student-heading\">Questions for students</h2>" in students
    assert _texts_in(students) == ["Overall, how would you rate the course?",
                                   "I feel more confident about keeping myself safe.",
                                   "Would you recommend the course to someone else?"]
    assert "Rating from 1 to 5" in students and "Agreement (strongly disagree to strongly agree)" in students
    assert "Yes or no" in students and "Hint: Think of a friend." in students
    assert "3 questions, in the order they are asked." in students

    def row(question_id):
        return re.search(rf'<tr[^>]*id="question-{question_id}".*?</tr>', html, re.DOTALL).group(0)

    assert "All courses" in row(rating) and ">3</span>" in row(rating)
    assert "Staying Safe" in row(safe) and ">2</span>" in row(safe)
    # Every question asked after a session (these all were: sessions completed 10 days
    # ago) can no longer be deleted, answered or not (issue 13).
    assert "None yet" in row(yes_no) and "Delete" not in row(yes_no) and "Delete" not in row(rating)
    facilitators = _section(html, "facilitator")
    assert "Facilitator reflection" in facilitators and _texts_in(facilitators) == ["What worked well?"]
    assert "Free text" in row(worked)
    retired = re.search(r'<section id="bank-retired".*?</section>', html, re.DOTALL).group(0)
    assert "Retired questions" in retired and _texts_in(retired) == ["Did you enjoy it?"]
    today = utcnow()
    assert f"{today.day} " in row(old) and str(today.year) in row(old) and ">1</span>" in row(old)
    assert "Reinstate" in row(old)
    # Links to add and preview.
    assert f'href="{BANK}/new"' in html and f'href="{BANK}/preview"' in html


def test_the_list_runs_the_same_number_of_queries_whatever_the_answers(app, client, login_as):
    first, second, _ = _three(app)
    login_as("admin")
    client.get(BANK)
    with count_statements(app) as few:
        _get(client, BANK)
    _answers(app, first, 5)
    _answers(app, second, 3)
    _question(app, "Fourth question", position=40, course_id=_course(app))
    _question(app, "Retired one", position=50, retired=True)
    with count_statements(app) as many:
        _get(client, BANK)
    assert len(few) == len(many)
    counts = [s for s in many if "count(" in s.lower() and "feedback_answers" in s]
    assert len(counts) == 1  # one query for every question's answer count


def test_filter_by_course_shows_only_the_questions_asked_about_it(app, client, login_as):
    safe = _course(app, "Staying Safe")
    other = _course(app, "Understanding Anxiety")
    _course(app, "Old course", status="archived")
    _question(app, "For everyone", position=10)
    _question(app, "Only Staying Safe", position=20, course_id=safe)
    _question(app, "Only Anxiety", position=30, course_id=other)
    login_as("admin")
    everything = _get(client, BANK)
    assert _texts_in(_section(everything, "student")) == ["For everyone", "Only Staying Safe", "Only Anxiety"]
    assert "Old course" not in everything  # archived, and no question is about it
    filtered = _get(client, f"{BANK}?course={safe}")
    assert _texts_in(_section(filtered, "student")) == ["For everyone", "Only Staying Safe"]
    assert re.search(rf'<option value="{safe}" selected\s*>Staying Safe</option>', filtered)
    assert "Showing the questions asked about <strong>Staying Safe</strong>" in filtered
    assert _texts_in(_section(_get(client, f"{BANK}?course=nonsense"), "student")) == [
        "For everyone", "Only Staying Safe", "Only Anxiety"]


# --- add -------------------------------------------------------------------------------------

def test_admin_adds_a_question_at_the_end_of_its_audience(app, client, web, login_as):
    _three(app)
    _question(app, "A reflection", audience="facilitator", kind="text", position=500)
    course_id = _course(app)
    admin = login_as("admin")
    page = _get(client, f"{BANK}/new")
    assert "Add a question" in page and "Who is the question for?" in page and "All courses" in page
    response = web.submit(f"{BANK}/new", {
        "audience": "student", "kind": "agreement", "text": "  I learned   something new. ",
        "hint": "Anything at all.", "course_id": str(course_id),
    })
    assert response.status_code == 302
    with app.app_context():
        new = db.session.execute(select(FeedbackQuestion).where(FeedbackQuestion.text == "I learned something new.")
                                 ).scalar_one()
        assert (new.audience, new.kind, new.hint, new.course_id, new.created_by_id) == (
            "student", "agreement", "Anything at all.", course_id, admin.id)
        new_id = new.id
    assert response.headers["Location"] == f"{BANK}#question-{new_id}"
    assert _active_texts(app)[-1] == "I learned something new."
    assert "Question added: “I learned something new.”" in _get(client, BANK)
    assert _audit_details(app) == [f"added question {new_id}"]


def test_add_form_preselects_from_the_link(app, client, login_as):
    course_id = _course(app)
    login_as("admin")
    page = _get(client, f"{BANK}/new?audience=facilitator&course={course_id}")
    assert re.search(r'value="facilitator"\s+checked', page)
    assert re.search(rf'<option value="{course_id}" selected\s*>', page)


def test_add_form_errors_are_shown_next_to_fields_and_answers_kept(app, client, web, login_as):
    login_as("admin")
    response = web.submit(f"{BANK}/new", {"audience": "", "kind": "", "text": "  ", "hint": "Keep this hint"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<title>Error: Add a question" in html and "There is a problem" in html
    assert _summary(html) == [
        ("audience", "Choose who the question is for"),
        ("kind", "Choose the kind of question"),
        ("text", "Enter the wording of the question"),
    ]
    for _field, message in _summary(html):
        assert html.count(message) == 2  # in the summary and next to the field
    assert 'value="Keep this hint"' in html
    response = web.submit(f"{BANK}/new", {"audience": "facilitator", "kind": "yes_no", "text": "x" * 301,
                                           "hint": "A hint"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "The wording must be 300 characters or fewer" in html
    assert re.search(r'value="facilitator"\s+checked', html) and re.search(r'value="yes_no"\s+checked', html)
    assert ("x" * 301 + "</textarea>") in html
    with app.app_context():
        assert db.session.execute(select(FeedbackQuestion)).first() is None
    assert _audit_details(app) == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("audience", "everyone", "Choose who the question is for"),
        ("kind", "essay", "Choose the kind of question"),
        ("hint", "h" * 301, "The hint must be 300 characters or fewer"),
        ("course_id", "999999", "Choose a course from the list, or all courses"),
        ("course_id", "archived", "Choose a course from the list, or all courses"),
        ("course_id", "abc", "Choose a course from the list, or all courses"),
    ],
)
def test_add_form_limits(app, client, web, login_as, field, value, message):
    if value == "archived":
        value = str(_course(app, "Old course", status="archived"))
    login_as("admin")
    form = {"audience": "student", "kind": "text", "text": "What did you enjoy?", field: value}
    response = web.submit(f"{BANK}/new", form)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and message in html
    assert 'What did you enjoy?</textarea>' in html
    assert _active_texts(app) == []


def test_archived_courses_are_not_offered(app, client, login_as):
    _course(app, "Live course")
    _course(app, "Old course", status="archived")
    login_as("admin")
    page = _get(client, f"{BANK}/new")
    assert "Live course" in page and "Old course" not in page


def test_the_same_wording_twice_for_the_same_people_is_refused(app, client, web, login_as):
    _question(app, "What was most helpful?", kind="text")
    login_as("admin")
    response = web.submit(f"{BANK}/new", {"audience": "student", "kind": "text", "text": "what was MOST helpful?"})
    assert response.status_code == 400
    assert "There is already a question with this wording" in response.get_data(as_text=True)
    # For facilitators it is a different question.
    response = web.submit(f"{BANK}/new", {"audience": "facilitator", "kind": "text", "text": "What was most helpful?"})
    assert response.status_code == 302


# --- change ----------------------------------------------------------------------------------

def test_a_question_without_answers_is_changed_in_place(app, client, web, login_as):
    question_id = _question(app, "Overal rating?", kind="rating", position=10)
    course_id = _course(app)
    login_as("admin")
    page = _get(client, f"{BANK}/{question_id}/edit")
    assert "Change a question" in page and "Overal rating?</textarea>" in page
    assert "Who is the question for?" not in page  # the audience is fixed
    assert "Replace with a new wording" not in page
    response = web.submit(f"{BANK}/{question_id}/edit", {
        "kind": "agreement", "text": "The course was good.", "hint": "New hint", "course_id": str(course_id),
    })
    assert response.status_code == 302
    assert _stored(app, question_id) == {
        "text": "The course was good.", "kind": "agreement", "hint": "New hint", "course_id": course_id,
        "position": 10, "retired": False, "replaces_id": None, "audience": "student",
    }
    assert "Question saved: “The course was good.”" in _get(client, BANK)
    assert _audit_details(app) == [f"edited question {question_id}"]
    # A bad change keeps what was typed and stores nothing.
    response = web.submit(f"{BANK}/{question_id}/edit", {"kind": "agreement", "text": "", "hint": "Typed hint"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "Enter the wording of the question" in html
    assert 'value="Typed hint"' in html and _stored(app, question_id)["hint"] == "New hint"


def test_a_question_with_answers_keeps_its_wording_and_course_but_the_hint_can_change(app, client, web, login_as):
    question_id = _question(app, "Overall, how would you rate the course?", kind="rating")
    _answers(app, question_id, 2)
    course_id = _course(app)
    login_as("admin")
    page = _get(client, f"{BANK}/{question_id}/edit")
    assert "This question has already been asked after a session, so its wording, kind and course cannot be changed here" in page
    assert "Replace with a new wording" in page and f'href="{BANK}/{question_id}/replace"' in page
    assert 'name="text"' not in page and 'name="kind"' not in page and 'name="course_id"' not in page
    assert 'name="hint"' in page
    response = web.submit(f"{BANK}/{question_id}/edit", {
        "text": "Sneaky new wording", "kind": "yes_no", "hint": "From 1 to 5", "course_id": str(course_id),
    })
    assert response.status_code == 302
    stored = _stored(app, question_id)
    assert stored["text"] == "Overall, how would you rate the course?" and stored["kind"] == "rating"
    assert stored["hint"] == "From 1 to 5" and stored["course_id"] is None


def test_replace_retires_the_old_wording_and_adds_the_new_one_in_its_place(app, client, web, login_as):
    first, second, third = _three(app)
    answer_ids = _answers(app, second, 2)
    admin = login_as("admin")
    page = _get(client, f"{BANK}/{second}/replace")
    assert "Replace with a new wording" in page and "Second question" in page and "Replace the question" in page
    response = web.submit(f"{BANK}/{second}/replace", {"kind": "agreement", "text": "Second, reworded",
                                                        "hint": "", "course_id": ""})
    assert response.status_code == 302
    old = _stored(app, second)
    assert old["retired"] is True and old["text"] == "Second question"
    with app.app_context():
        new = db.session.execute(select(FeedbackQuestion).where(FeedbackQuestion.replaces_id == second)).scalar_one()
        assert (new.text, new.kind, new.position, new.audience, new.retired_at, new.created_by_id) == (
            "Second, reworded", "agreement", 20, "student", None, admin.id)
        new_id = new.id
        # Old answers keep the wording they were given under.
        stored_answers = [db.session.get(FeedbackAnswer, i) for i in answer_ids]
        assert {(a.question_id, a.question_text, a.kind) for a in stored_answers} == {
            (second, "Second question", "agreement")}
        in_use = [q.id for q in questions_for(0, "student")]
        assert in_use == [first, new_id, third] and second not in in_use
    assert response.headers["Location"] == f"{BANK}#question-{new_id}"
    html = _get(client, BANK)
    assert _texts_in(_section(html, "student")) == ["First question", "Second, reworded", "Third question"]
    assert "New wording of “Second question”" in html and "Replaced by “Second, reworded”" in html
    assert _audit_details(app) == [f"replaced question {second} with question {new_id}"]
    # The retired wording cannot be reinstated while its replacement is asked.
    web.submit(f"{BANK}/{second}/reinstate", {}, page=BANK)
    assert "This question was replaced by “Second, reworded”, which is still being asked." in _get(client, BANK)
    assert _stored(app, second)["retired"] is True


def test_replacing_with_the_same_wording_is_refused(app, client, web, login_as):
    question_id = _question(app, "Same words", kind="text")
    _answers(app, question_id, 1)
    login_as("admin")
    response = web.submit(f"{BANK}/{question_id}/replace", {"kind": "text", "text": "Same   words", "hint": "x"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "The new wording is the same as the old one." in html and 'value="x"' in html
    assert _stored(app, question_id)["retired"] is False and _active_texts(app) == ["Same words"]
    response = web.submit(f"{BANK}/{question_id}/replace", {"kind": "", "text": ""})
    assert response.status_code == 400 and _audit_details(app) == []


# --- retire, reinstate, delete ---------------------------------------------------------------

def test_retiring_keeps_the_answers_and_their_wording_and_reinstating_puts_it_last(app, client, web, login_as):
    first, _, _ = _three(app)
    answer_ids = _answers(app, first, 3)
    login_as("admin")
    page = _get(client, f"{BANK}/{first}/retire")
    assert "Retire this question?" in page and "Yes, retire this question" in page and "First question" in page
    assert _stored(app, first)["retired"] is False  # opening the page changes nothing
    response = client.post(f"{BANK}/{first}/retire", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 302
    assert _stored(app, first)["retired"] is True
    with app.app_context():
        assert {db.session.get(FeedbackAnswer, i).question_text for i in answer_ids} == {"First question"}
        assert [q.text for q in questions_for(0, "student")] == ["Second question", "Third question"]
    html = _get(client, BANK)
    assert "Question retired: “First question”" in html
    assert _texts_in(_section(html, "student")) == ["Second question", "Third question"]
    follow = client.get(f"{BANK}/{first}/retire", follow_redirects=True).get_data(as_text=True)
    assert "This question is already retired." in follow
    assert client.get(f"{BANK}/{first}/edit").status_code == 302  # retired: reinstate first
    response = web.submit(f"{BANK}/{first}/reinstate", {}, page=BANK)
    assert response.status_code == 302
    assert "Question reinstated: “First question”" in _get(client, BANK)
    assert _active_texts(app) == ["Second question", "Third question", "First question"]
    web.submit(f"{BANK}/{first}/reinstate", {}, page=BANK)
    assert "This question is already being asked." in _get(client, BANK)
    assert _audit_details(app) == [f"retired question {first}", f"reinstated question {first}"]


def test_only_a_question_nobody_answered_can_be_deleted(app, client, web, login_as):
    answered, _, _ = _three(app)
    # A question about a course that has not run since it was added was never asked.
    unanswered = _question(app, "Fourth question", position=25, course_id=_course(app, "Not run yet"))
    _answers(app, answered, 1)
    login_as("admin")
    follow = client.get(f"{BANK}/{answered}/delete", follow_redirects=True).get_data(as_text=True)
    assert "This question has already been asked after a session, so it cannot be deleted" in follow
    web.submit(f"{BANK}/{answered}/delete", {}, page=BANK)
    assert _stored(app, answered) is not None
    assert "you could <a" in _get(client, f"{BANK}/{unanswered}/retire")  # offers delete instead
    page = _get(client, f"{BANK}/{unanswered}/delete")
    assert "Delete this question?" in page and "Yes, delete this question" in page
    response = client.post(f"{BANK}/{unanswered}/delete", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 302 and _stored(app, unanswered) is None
    assert "Question deleted: “Fourth question”." in _get(client, BANK)
    assert _audit_details(app) == [f"deleted question {unanswered}"]


# --- order -----------------------------------------------------------------------------------

def test_move_up_and_down_without_javascript(app, client, web, login_as):
    first, _, third = _three(app)
    _question(app, "A reflection", audience="facilitator", kind="text", position=15)
    login_as("admin")
    html = _get(client, BANK)
    first_row = re.search(rf'id="question-{first}".*?</tr>', html, re.DOTALL).group(0)
    third_row = re.search(rf'id="question-{third}".*?</tr>', html, re.DOTALL).group(0)
    assert "Move down" in first_row and "Move up" not in first_row
    assert "Move up" in third_row and "Move down" not in third_row
    response = web.submit(f"{BANK}/{third}/move", {"direction": "up"}, page=BANK)
    assert response.status_code == 302 and response.headers["Location"] == f"{BANK}#question-{third}"
    assert _active_texts(app) == ["First question", "Third question", "Second question"]
    assert "Moved up: “Third question”." in _get(client, BANK)
    web.submit(f"{BANK}/{first}/move", {"direction": "down"}, page=BANK)
    assert _active_texts(app) == ["Third question", "First question", "Second question"]
    # At the end already: nothing changes, and the page says so.
    web.submit(f"{BANK}/{third}/move", {"direction": "up"}, page=BANK)
    assert _active_texts(app) == ["Third question", "First question", "Second question"]
    assert "“Third question” is already first." in _get(client, BANK)
    assert _active_texts(app, "facilitator") == ["A reflection"]  # the other list is untouched
    assert web.submit(f"{BANK}/{third}/move", {"direction": "sideways"}, page=BANK).status_code == 400
    assert client.get(f"{BANK}/{third}/move").status_code == 302
    assert _audit_details(app) == [f"moved question {third} up", f"moved question {first} down"]


def test_move_with_htmx_returns_the_list_alone(app, client, login_as):
    _, second, _ = _three(app)
    login_as("admin")
    token = csrf_from(_get(client, BANK))
    headers = {"HX-Request": "true", "X-CSRFToken": token, "HX-Current-URL": f"http://localhost{BANK}"}
    response = client.post(f"{BANK}/{second}/move", data={"direction": "down"}, headers=headers)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="bank-student"') and "<html" not in html
    assert "Facilitator reflection" not in html and "Retired questions" not in html
    assert _texts_in(html) == ["First question", "Third question", "Second question"]
    assert 'role="status"' in html and "Moved down: “Second question”." in html
    # Focus goes back to the button that was used (the last row only has Move up).
    assert re.search(r"data-rec-focus>Move up<span[^>]*>: question 3, Second question", html)
    assert 'hx-post="/admin/feedback/questions/' in html and 'hx-target="#bank-student"' in html
    # The full page includes the same partial.
    full = _get(client, BANK)
    assert '<section id="bank-student"' in full and "<html" in full
    assert _active_texts(app) == ["First question", "Third question", "Second question"]


def test_moving_within_a_course_filter_skips_other_courses_questions(app, client, web, login_as):
    safe = _course(app, "Staying Safe")
    other = _course(app, "Understanding Anxiety")
    a = _question(app, "For everyone A", position=10)
    _question(app, "Only Anxiety", position=20, course_id=other)
    c = _question(app, "Only Staying Safe", position=30, course_id=safe)
    login_as("admin")
    page = _get(client, f"{BANK}?course={safe}")
    assert f'<input type="hidden" name="course" value="{safe}">' in page
    response = web.submit(f"{BANK}/{c}/move", {"direction": "up", "course": str(safe)}, page=BANK)
    assert response.headers["Location"] == f"{BANK}?course={safe}#question-{c}"
    with app.app_context():
        assert [q.text for q in questions_for(safe, "student")] == ["Only Staying Safe", "For everyone A"]
        # Swapped with the question before it in this course's list, past the other course's.
        assert [q.text for q in questions_for(other, "student")] == ["Only Anxiety", "For everyone A"]
    assert _stored(app, a)["position"] > _stored(app, c)["position"]


# --- preview ---------------------------------------------------------------------------------

def test_preview_shows_the_questions_a_student_of_the_course_sees(app, client, login_as):
    safe = _course(app, "Staying Safe")
    other = _course(app, "Understanding Anxiety")
    _question(app, "Overall, how would you rate the course?", kind="rating", position=10)
    _question(app, "I feel safer.", kind="agreement", position=20, course_id=safe, hint="Be honest.")
    _question(app, "Only Anxiety", kind="yes_no", position=30, course_id=other)
    _question(app, "What would you change?", kind="text", position=40)
    _question(app, "Retired", kind="text", position=50, retired=True)
    _question(app, "What worked well?", audience="facilitator", kind="text", position=60)
    login_as("admin")
    html = _get(client, f"{BANK}/preview?course={safe}")
    assert "Preview the student form" in html and "Your feedback on Staying Safe" in html
    assert "nothing is saved" in html
    legends = [re.sub(r"\s+", " ", t).strip() for t in re.findall(
        r'class="nhsuk-(?:fieldset__legend|label)[^"]*"[^>]*>\s*(?:<h\d[^>]*>)?\s*(\d+\. .*?)\s*<', html, re.DOTALL)]
    assert legends == ["1. Overall, how would you rate the course?", "2. I feel safer.", "3. What would you change?"]
    assert "5 - Excellent" in html and "Strongly agree" in html and "Be honest." in html
    assert "Only Anxiety" not in html and "Retired" not in html and "What worked well?" not in html
    assert html.count(" disabled") == 5 + 5 + 1  # every choice and the text box
    preview = re.search(r'<section class="rec-bank-preview".*?</section>', html, re.DOTALL).group(0)
    assert 'name="preview-' in preview and "<form" not in preview and "<button" not in preview  # nothing to send
    no_course = _get(client, f"{BANK}/preview")
    assert "Overall, how would you rate" in no_course and "I feel safer." not in no_course
    reflection = _get(client, f"{BANK}/preview?audience=facilitator&course={safe}")
    assert "Preview the facilitator reflection" in reflection and "What worked well?" in reflection
    assert "Overall, how would you rate" not in reflection
    assert _get(client, f"{BANK}/preview?audience=nonsense&course=abc").count("Preview the student form") >= 1


# --- the defaults that ship with the app -----------------------------------------------------

def test_the_migration_seeds_the_default_questions_and_replaces_concerns_with_the_venue_question(tmp_path):
    from flask_migrate import upgrade

    fresh = create_app(test_config(f"sqlite:///{tmp_path / 'fresh.sqlite3'}"))
    with fresh.app_context():
        upgrade()
        students = questions_for(0, "student")
        facilitators = questions_for(0, "facilitator")
        assert len(students) == 6 and len(facilitators) == 4
        assert students[0].text == "Overall, how would you rate the course?"
        assert facilitators[0].text == "What worked well?"
        # The app's own copy of the defaults is the migrations' (0008 seeded them; 0015
        # retired "Do you have any concerns?" and put the question about the session and
        # the venue in its place, as the app's copy has it).
        from rec_portal.feedback.bank import DEFAULT_QUESTIONS
        assert [(q.audience, q.kind, q.text, q.hint) for q in students + facilitators] == DEFAULT_QUESTIONS
        retired = db.session.execute(select(FeedbackQuestion).where(FeedbackQuestion.retired_at.is_not(None))
                                     ).scalars().all()
        assert [q.text for q in retired] == ["Do you have any concerns?"]
        factories.make_user(email="boss@example.org", roles=("admin",))
        db.session.commit()
    client = fresh.test_client()
    Browserless(client).login("boss@example.org")
    html = _get(client, BANK)
    assert len(_texts_in(_section(html, "student"))) == 6
    assert _texts_in(_section(html, "facilitator")) == [
        "What worked well?", "What did not work so well?", "Is there any content you would change?",
        "Anything else about the session or the venue?"]
    with fresh.app_context():
        db.session.remove()
        db.engine.dispose()


def test_audit_rows_hold_ids_never_the_wording(app, client, web, login_as):
    login_as("admin")
    web.submit(f"{BANK}/new", {"audience": "student", "kind": "text", "text": "A private-ish wording"})
    details = _audit_details(app)
    assert len(details) == 1 and re.fullmatch(r"added question \d+", details[0])
    with app.app_context():
        rows = db.session.execute(select(AuditEvent).where(AuditEvent.event == audit.FEEDBACK_QUESTION_CHANGED)
                                  ).scalars().all()
        assert all(r.subject_id is None and "wording" not in (r.detail or "") for r in rows)
    assert audit.EVENT_LABELS[audit.FEEDBACK_QUESTION_CHANGED] == "Feedback question changed"


def test_an_emptied_bank_gets_the_defaults_back_from_the_demo_loader_and_a_used_one_does_not(app):
    from rec_portal.feedback.bank import DEFAULT_QUESTIONS, ensure_default_questions

    with app.app_context():
        db.session.execute(FeedbackQuestion.__table__.delete())
        assert ensure_default_questions() == len(DEFAULT_QUESTIONS)
        assert [q.text for q in questions_for(0, "facilitator")] == [
            "What worked well?", "What did not work so well?", "Is there any content you would change?",
            "Anything else about the session or the venue?"]
        assert ensure_default_questions() == 0  # safe to repeat
        db.session.rollback()


# --- issue 17: the reflection's old "Do you have any concerns?" never comes back -------------

WORRY_WORDS = re.compile(r"concern|wellbeing|well-being|at risk|safeguarding", re.IGNORECASE)


def test_an_emptied_bank_gets_no_question_about_concerns_or_wellbeing(app):
    """Worries about someone's safety have their own section of the reflection (it goes to
    the support lead); an emptied bank must not bring back a feedback question asking for
    them (migration 0015 retired it)."""
    from rec_portal.feedback.bank import ensure_default_questions

    with app.app_context():
        db.session.execute(FeedbackQuestion.__table__.delete())
        ensure_default_questions()
        added = db.session.execute(select(FeedbackQuestion)).scalars().all()
        asked = [q for q in added if WORRY_WORDS.search(q.text)]
        assert asked == [], [q.text for q in asked]
        # The neutral question points facilitators to the separate section instead.
        venue = next(q for q in added if q.text == "Anything else about the session or the venue?")
        assert venue.audience == "facilitator" and "I am worried about someone's safety" in venue.hint
        assert not re.search(r"wellbeing|well-being", venue.hint, re.IGNORECASE)
        db.session.rollback()


def test_the_demo_has_no_facilitator_feedback_about_concerns_for_people(app):
    from rec_portal.demo import load_demo_data

    with app.app_context():
        load_demo_data()
        rows = db.session.execute(
            select(FeedbackAnswer.question_text, FeedbackAnswer.text)
            .join(FeedbackAnswer.response).where(FeedbackResponse.audience == "facilitator")
        ).all()
        assert rows, "the demo has facilitator reflections"
        about_worries = [(q, t) for q, t in rows if WORRY_WORDS.search(q) or WORRY_WORDS.search(t or "")]
        assert about_worries == []
        # The hearing loop is still reported, under the neutral question.
        assert ("Anything else about the session or the venue?",
                "The room's hearing loop was not working; reported to the office.") in rows
