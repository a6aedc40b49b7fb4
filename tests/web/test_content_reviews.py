"""Content reviews through the browser (test client): every route for every role, the
review record, completing it (content version before and after), "You said, we did" on
the course page, the report PDF, htmx and plain forms, CSRF."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from rec_portal import documents
from rec_portal.content_reviews import operations as ops
from rec_portal.extensions import db
from rec_portal.models import Course, CourseSession
from rec_portal.models.feedback import (
    ContentReview,
    ContentReviewAction,
    ContentReviewItem,
)
from rec_portal.timeutil import to_uk, utcnow
from tests import factories
from tests.conftest import count_statements, csrf_from
from tests.factories import make_comments, make_session_delivered
from tests.factories import make_feedback_question as make_question
from tests.scenarios import start_review as _review


@dataclass
class Data:
    course_id: int
    other_course_id: int
    comment_ids: list[int]
    other_comment_id: int
    question_id: int
    delivered_session_id: int
    respondent_name: str


def _data(app) -> Data:
    with app.app_context():
        course = factories.make_course(title="Staying Safe", slug="staying-safe")
        other = factories.make_course(title="Managing Anxiety", slug="managing-anxiety")
        question = make_question("What would you change?")
        person = factories.make_user(full_name="Rowan Quillfeather", preferred_name="Rowan")
        session = make_session_delivered(course)
        named = make_comments(course, ["The part on online fraud felt rushed"], session=session,
                              question=question, respondent=person)
        anonymous = make_comments(course, ["More breaks, please", "<b>Loved</b> the peer trainer"],
                                  session=session, question=question)
        theirs = make_comments(other, ["Not about Staying Safe"], question=question)
        db.session.commit()
        return Data(course.id, other.id, [a.id for a in named + anonymous], theirs[0].id, question.id,
                    session.id, person.full_name)



def _text(response) -> str:
    html = response.get_data(as_text=True)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'").replace("&#34;", '"')


def _get(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def _stored(app, review_id: int):
    with app.app_context():
        review = db.session.get(ContentReview, review_id)
        return {
            "status": review.status, "held_on": review.held_on, "participants": review.participants,
            "decisions": review.decisions, "before": review.version_before, "after": review.version_after,
            "summary": review.you_said_we_did, "published": review.published_at is not None,
            "items": [(i.answer_id, i.question_id, i.note) for i in review.items],
            "actions": [(a.description, a.owner, a.due_on, a.done_at is not None) for a in review.actions],
            "course_version": review.course.content_version,
        }


def _count(app, model) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(model)).scalar_one()


# --- Access -------------------------------------------------------------------------------

def _routes(app, data: Data):
    review_id = _review(app, data.course_id)
    with app.app_context():
        review = db.session.get(ContentReview, review_id)
        ops.consider(review, review.course, [data.comment_ids[0]], [], by=None)
        action = ops.add_action(review, description="Rewrite part 2", owner="REC team", due_on=date(2026, 5, 1), by=None)
        db.session.commit()
        item_id, action_id = review.items[0].id, action.id
    base = f"/admin/feedback/reviews/{review_id}"
    course = f"/admin/feedback/courses/{data.course_id}/reviews"
    gets = [course, f"{course}/new", base, f"{base}/edit", f"{base}/items/{item_id}/note",
            f"{base}/actions/new", f"{base}/complete", f"{base}/summary", f"{base}/report.pdf"]
    posts = [f"{course}/new", f"{course}/consider", f"{base}/edit", f"{base}/items/{item_id}/note",
             f"{base}/items/{item_id}/remove", f"{base}/actions/new", f"{base}/actions/{action_id}/done",
             f"{base}/actions/{action_id}/remove", f"{base}/complete", f"{base}/summary", f"{base}/publish",
             f"{base}/unpublish"]
    return review_id, gets, posts


def test_signed_out_people_are_sent_to_sign_in(app, client):
    review_id, gets, posts = _routes(app, _data(app))
    for url in gets:
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login?next="), url
    for url in posts:
        response = client.post(url, data={})
        assert response.status_code in (302, 400), url
    htmx = client.get(gets[2], headers={"HX-Request": "true"})
    assert htmx.headers["HX-Redirect"].startswith("/login?next=")
    assert _stored(app, review_id)["status"] == "draft"


@pytest.mark.parametrize("role", ["student", "facilitator"])
def test_students_and_facilitators_are_refused_everywhere(app, client, web, login_as, role):
    data = _data(app)
    review_id, gets, posts = _routes(app, data)
    login_as(role)
    for url in gets:
        response = client.get(url)
        assert response.status_code == 403, url
        assert "Staying Safe" not in response.get_data(as_text=True)
    token = web.token("/my/account")
    before = _stored(app, review_id)
    for url in posts:
        response = client.post(url, data={"csrf_token": token, "answer_id": data.comment_ids, "review_id": "",
                                          "change": "raise", "done": "yes", "summary": "Hacked"})
        assert response.status_code == 403, url
    assert _stored(app, review_id) == before and _count(app, ContentReview) == 1


def test_admin_opens_every_page_and_unknown_ids_are_not_found(app, client, login_as):
    data = _data(app)
    review_id, gets, _ = _routes(app, data)
    login_as("admin")
    for url in gets:
        assert client.get(url).status_code == 200, url
    for url in ("/admin/feedback/courses/999999/reviews", "/admin/feedback/courses/999999/reviews/new",
                "/admin/feedback/reviews/999999", f"/admin/feedback/reviews/{review_id}/items/999999/note",
                "/admin/feedback/reviews/99999999999999999999999", "/admin/feedback/reviews/999999/report.pdf"):
        assert client.get(url).status_code == 404, url


def test_posts_without_a_csrf_token_are_refused_and_change_nothing(app, client, login_as):
    data = _data(app)
    review_id, _, posts = _routes(app, data)
    login_as("admin")
    before = _stored(app, review_id)
    for url in posts:
        response = client.post(url, data={"answer_id": data.comment_ids, "change": "raise", "done": "yes",
                                          "summary": "Changed", "participants": "x", "held_on-day": "1"})
        assert response.status_code == 400, url
    htmx = client.post(posts[6], data={"done": "yes"}, headers={"HX-Request": "true"})
    assert htmx.status_code == 400
    assert _stored(app, review_id) == before and _count(app, ContentReview) == 1


# --- Starting and editing -----------------------------------------------------------------

def test_start_a_review_from_the_course_s_reviews(app, client, web, login_as):
    data = _data(app)
    login_as("admin")
    url = f"/admin/feedback/courses/{data.course_id}/reviews"
    page = _get(client, url)
    assert "No reviews of this course yet." in page and "Start a review" in page
    form = _get(client, f"{url}/new")
    today = to_uk(utcnow()).date()
    assert f'name="held_on-day" type="text" value="{today.day}"' in form.replace("\n", " ") or \
        f'value="{today.day}"' in form
    response = web.submit(f"{url}/new", {"held_on-day": "2", "held_on-month": "3", "held_on-year": "2026",
                                         "participants": "Sam (peer trainer), PC Jones (police MH co-ordinator)"})
    assert response.status_code == 302
    review_id = int(response.headers["Location"].rsplit("/", 1)[1])
    stored = _stored(app, review_id)
    assert (stored["status"], stored["held_on"], stored["before"], stored["after"]) == ("draft", date(2026, 3, 2), 1, None)
    review_page = _text(client.get(response.headers["Location"]))
    assert "Review started." in review_page and "Content review of 2 March 2026" in review_page
    assert "PC Jones (police MH co-ordinator)" in review_page and "Draft" in review_page
    assert "No feedback added yet." in review_page
    listing = _text(client.get(url))
    assert "2 March 2026" in listing and "Started at 1" in listing and "Not written" in listing


def test_start_refuses_bad_input_keeps_what_was_typed_and_saves_nothing(app, client, web, login_as):
    data = _data(app)
    login_as("admin")
    url = f"/admin/feedback/courses/{data.course_id}/reviews/new"
    future = to_uk(utcnow()).date() + timedelta(days=3)
    response = web.submit(url, {"held_on-day": str(future.day), "held_on-month": str(future.month),
                                "held_on-year": str(future.year), "participants": "Sam"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in html and "<title>Error: " in html
    assert html.count("The date of the review cannot be in the future") == 2  # summary and field
    assert 'href="#held_on"' in html and f'value="{future.year}"' in html

    # Everything missing is shown at once.
    response = web.submit(url, {"held_on-day": "", "held_on-month": "", "held_on-year": "", "participants": " "})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert html.count("Enter the date of the review") == 2 and html.count("Enter who took part in the review") == 2

    response = web.submit(url, {"held_on-day": "31", "held_on-month": "2", "held_on-year": "2026",
                                "participants": "Sam <script>x</script>"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "Enter a real date for the review" in html
    assert 'value="31"' in html and "Sam &lt;script&gt;x&lt;/script&gt;" in html

    response = web.submit(url, {"held_on-day": "1", "held_on-month": "3", "held_on-year": "2026", "participants": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and html.count("Enter who took part in the review") == 2
    assert 'href="#participants"' in html
    assert _count(app, ContentReview) == 0


def test_edit_the_details_and_decisions(app, client, web, login_as):
    data = _data(app)
    review_id = _review(app, data.course_id, decisions="")
    login_as("admin")
    url = f"/admin/feedback/reviews/{review_id}/edit"
    assert "Sam (peer trainer), REC manager" in _get(client, url)
    bad = web.submit(url, {"held_on-day": "1", "held_on-month": "3", "held_on-year": "2026",
                           "participants": "Sam", "decisions": "x" * 10001})
    assert bad.status_code == 400 and "The decisions must be 10,000 characters or fewer" in bad.get_data(as_text=True)
    assert _stored(app, review_id)["decisions"] == ""
    ok = web.submit(url, {"held_on-day": "1", "held_on-month": "3", "held_on-year": "2026",
                          "participants": "Sam, Jo", "decisions": "Give part 2 more time.\n\nAdd a handout."})
    assert ok.headers["Location"] == f"/admin/feedback/reviews/{review_id}"
    stored = _stored(app, review_id)
    assert (stored["held_on"], stored["participants"], stored["decisions"]) == (
        date(2026, 3, 1), "Sam, Jo", "Give part 2 more time.\n\nAdd a handout.")
    page = _get(client, f"/admin/feedback/reviews/{review_id}")
    assert "<p>Give part 2 more time.</p>" in page and "<p>Add a handout.</p>" in page


# --- Feedback considered ------------------------------------------------------------------

def test_consider_selected_comments_and_questions_from_the_dashboard(app, client, web, login_as):
    data = _data(app)
    login_as("admin")
    url = f"/admin/feedback/courses/{data.course_id}/reviews/consider"
    page = f"/admin/feedback/courses/{data.course_id}/reviews"
    response = web.submit(url, {"answer_id": data.comment_ids[:2], "question_id": [str(data.question_id)],
                                "review_id": ""}, page=page)
    assert response.status_code == 302 and response.headers["Location"].endswith("#feedback")
    review_id = int(response.headers["Location"].split("/")[-1].split("#")[0])
    html = _get(client, response.headers["Location"].split("#")[0])
    text = _text(client.get(f"/admin/feedback/reviews/{review_id}"))
    assert "Added 2 comments and 1 question to the review." in html
    assert "The part on online fraud felt rushed" in text and "More breaks, please" in text
    assert "Answer to “What would you change?”" in text
    assert "Comments (2)" in text and "Questions (1)" in text and "Fewer than 8 answers about this course" in text
    session_day = _session_day(app, data.delivered_session_id)
    assert f"Session of {session_day}" in text
    assert data.respondent_name not in html and "Rowan" not in html  # no names, even of named respondents
    stored = _stored(app, review_id)
    assert stored["status"] == "draft" and stored["held_on"] == to_uk(utcnow()).date() and len(stored["items"]) == 3

    # Again into the same review: duplicates skipped, another course's comment ignored.
    response = web.submit(url, {"answer_id": [str(i) for i in data.comment_ids] + [str(data.other_comment_id)],
                                "review_id": str(review_id)}, page=page)
    html = _get(client, response.headers["Location"].split("#")[0])
    assert ("Added 1 comment to the review. 2 were already in it. 1 could not be added because it is not "
            "feedback about this course.") in html
    assert "&lt;b&gt;Loved&lt;/b&gt; the peer trainer" in html
    assert "Not about Staying Safe" not in html
    assert len(_stored(app, review_id)["items"]) == 4 and _count(app, ContentReview) == 1


def _session_day(app, session_id: int) -> str:
    from rec_portal.timeutil import format_uk

    with app.app_context():
        return format_uk(db.session.get(CourseSession, session_id).starts_at, with_time=False)


def test_consider_with_nothing_selected_goes_back_calmly(app, client, web, login_as):
    data = _data(app)
    login_as("admin")
    page = f"/admin/feedback/courses/{data.course_id}/reviews"
    response = web.submit(f"{page}/consider", {"review_id": ""}, page=page)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/admin/feedback/courses/") and str(data.course_id) in location
    assert "Nothing was added to a review: select at least one comment or question first." in _get(client, location)
    assert _count(app, ContentReview) == 0

    # Only another course's comment: refused, nothing started.
    response = web.submit(f"{page}/consider", {"answer_id": str(data.other_comment_id), "review_id": ""}, page=page)
    assert "None of the selected feedback is about this course" in _get(client, response.headers["Location"])
    assert _count(app, ContentReview) == 0


def test_consider_refuses_a_completed_review_or_one_of_another_course(app, client, web, login_as):
    data = _data(app)
    completed = _review(app, data.course_id, completed=True)
    theirs = _review(app, data.other_course_id)
    login_as("admin")
    page = f"/admin/feedback/courses/{data.course_id}/reviews"
    response = web.submit(f"{page}/consider", {"answer_id": str(data.comment_ids[0]), "review_id": str(completed)},
                          page=page)
    assert "This review is completed, so it cannot be changed." in _get(client, response.headers["Location"])
    response = web.submit(f"{page}/consider", {"answer_id": str(data.comment_ids[0]), "review_id": str(theirs)},
                          page=page)
    assert "That review could not be found" in _get(client, response.headers["Location"])
    response = web.submit(f"{page}/consider", {"answer_id": str(data.comment_ids[0]), "review_id": "abc"}, page=page)
    assert "That review could not be found" in _get(client, response.headers["Location"])
    assert _count(app, ContentReviewItem) == 0


def test_notes_and_taking_feedback_out(app, client, web, login_as):
    data = _data(app)
    review_id = _review(app, data.course_id)
    with app.app_context():
        review = db.session.get(ContentReview, review_id)
        ops.consider(review, review.course, data.comment_ids[:1], [data.question_id], by=None)
        db.session.commit()
        comment_item = next(i.id for i in review.items if i.answer_id)
    login_as("admin")
    note_url = f"/admin/feedback/reviews/{review_id}/items/{comment_item}/note"
    assert "The part on online fraud felt rushed" in _get(client, note_url)
    bad = web.submit(note_url, {"note": "x" * 1001})
    assert bad.status_code == 400 and "The note must be 1,000 characters or fewer" in bad.get_data(as_text=True)
    ok = web.submit(note_url, {"note": "Agreed: give it 20 more minutes."})
    assert ok.headers["Location"] == f"/admin/feedback/reviews/{review_id}#item-{comment_item}"
    assert "Agreed: give it 20 more minutes." in _get(client, f"/admin/feedback/reviews/{review_id}")

    response = web.submit(f"/admin/feedback/reviews/{review_id}/items/{comment_item}/remove", {},
                          page=f"/admin/feedback/reviews/{review_id}")
    html = _get(client, response.headers["Location"].split("#")[0])
    assert "The comment was taken out of the review." in html and "felt rushed" not in html
    assert _stored(app, review_id)["items"] == [(None, data.question_id, "")]


# --- Actions ------------------------------------------------------------------------------

def test_add_an_action_with_validation(app, client, web, login_as):
    data = _data(app)
    review_id = _review(app, data.course_id)
    login_as("admin")
    url = f"/admin/feedback/reviews/{review_id}/actions/new"
    bad = web.submit(url, {"description": "Rewrite the fraud handout", "owner": "",
                           "due_on-day": "30", "due_on-month": "4", "due_on-year": "2026"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 400 and html.count("Enter who will do it: a person or a team") == 2
    assert "Rewrite the fraud handout" in html and 'value="30"' in html
    bad = web.submit(url, {"description": "Rewrite", "owner": "REC team", "due_on-day": "", "due_on-month": "",
                           "due_on-year": ""})
    assert bad.status_code == 400 and "Enter the date it is due by" in bad.get_data(as_text=True)
    bad = web.submit(url, {"description": "", "owner": " ", "due_on-day": "31", "due_on-month": "2",
                           "due_on-year": "2026"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 400 and all(message in html for message in (
        "Enter what will be done", "Enter who will do it: a person or a team", "Enter a real due date"))
    assert _count(app, ContentReviewAction) == 0

    ok = web.submit(url, {"description": "Rewrite the fraud handout", "owner": "Sam (peer trainer)",
                          "due_on-day": "30", "due_on-month": "4", "due_on-year": "2026"})
    assert ok.headers["Location"] == f"/admin/feedback/reviews/{review_id}#actions"
    text = _text(client.get(f"/admin/feedback/reviews/{review_id}"))
    assert "Action added." in text
    assert "Rewrite the fraud handout Who Sam (peer trainer) Due 30 April 2026 Done Not done" in text


def _with_action(app, course_id: int, **kwargs) -> tuple[int, int]:
    review_id = _review(app, course_id)
    with app.app_context():
        review = db.session.get(ContentReview, review_id)
        action = ops.add_action(review, description="Rewrite the fraud handout", owner="REC team",
                                due_on=date(2026, 4, 30), by=None)
        if kwargs.get("completed"):
            ops.complete_review(review, ops.RAISE, by=None)
        db.session.commit()
        return review_id, action.id


def test_mark_an_action_done_without_javascript(app, client, web, login_as):
    data = _data(app)
    review_id, action_id = _with_action(app, data.course_id)
    login_as("admin")
    page = f"/admin/feedback/reviews/{review_id}"
    response = web.submit(f"{page}/actions/{action_id}/done", {"done": "yes"}, page=page)
    assert response.headers["Location"] == f"{page}#actions"
    html = _get(client, page)
    assert "Marked “Rewrite the fraud handout” as done." in html and "Mark as not done" in html
    assert _stored(app, review_id)["actions"][0][3] is True
    web.submit(f"{page}/actions/{action_id}/done", {"done": "no"}, page=page)
    assert _stored(app, review_id)["actions"][0][3] is False


def test_mark_an_action_done_with_htmx_returns_the_actions_section(app, client, login_as):
    data = _data(app)
    review_id, action_id = _with_action(app, data.course_id, completed=True)
    login_as("admin")
    page = _get(client, f"/admin/feedback/reviews/{review_id}")
    assert 'id="review-actions"' in page and "Remove" not in _text_between(page, 'id="review-actions"', "</table>")
    response = client.post(f"/admin/feedback/reviews/{review_id}/actions/{action_id}/done", data={"done": "yes"},
                           headers={"HX-Request": "true", "X-CSRFToken": csrf_from(page)})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.lstrip().startswith('<div id="review-actions"')
    assert "<html" not in html and "Marked “Rewrite the fraud handout” as done." in html
    assert ">Done<" in html and "Mark as not done" in html
    assert _stored(app, review_id)["actions"][0][3] is True
    missing = client.post(f"/admin/feedback/reviews/{review_id}/actions/{action_id + 99}/done", data={"done": "yes"},
                          headers={"HX-Request": "true", "X-CSRFToken": csrf_from(page)})
    assert missing.status_code == 400 and "That action is not part of this review." in missing.get_data(as_text=True)


def _text_between(html: str, start: str, end: str) -> str:
    first = html.index(start)
    return html[first: html.index(end, first)]


def test_remove_an_action_only_while_the_review_is_a_draft(app, client, web, login_as):
    data = _data(app)
    review_id, action_id = _with_action(app, data.course_id)
    done_id, done_action = _with_action(app, data.course_id, completed=True)
    login_as("admin")
    page = f"/admin/feedback/reviews/{review_id}"
    response = web.submit(f"{page}/actions/{action_id}/remove", {}, page=page)
    assert "Action removed." in _get(client, response.headers["Location"].split("#")[0])
    assert _stored(app, review_id)["actions"] == []

    page = f"/admin/feedback/reviews/{done_id}"
    response = web.submit(f"{page}/actions/{done_action}/remove", {}, page=page)
    assert "This review is completed, so it cannot be changed." in _get(client, page)
    assert len(_stored(app, done_id)["actions"]) == 1
    adding = client.get(f"{page}/actions/new")
    assert adding.status_code == 302 and "no actions can be added" in _get(client, page)


# --- Completing ---------------------------------------------------------------------------

def test_completing_raises_the_content_version_and_later_sessions_deliver_it(app, client, web, login_as):
    data = _data(app)
    review_id = _review(app, data.course_id)
    with app.app_context():
        course = db.session.get(Course, data.course_id)
        upcoming = factories.make_session(course=course, starts_in_days=20)
        db.session.commit()
        upcoming_id = upcoming.id
    login_as("admin")
    url = f"/admin/feedback/reviews/{review_id}/complete"
    text = _text(client.get(url))
    assert "raise the content version to 2" in text and "No change to the content: it stays at version 1" in text
    assert "moves from version 1 to version 2" in text and "The 1 session not yet delivered will deliver the new version" in text
    response = web.submit(url, {"change": "raise"})
    assert response.headers["Location"] == f"/admin/feedback/reviews/{review_id}"
    page = _text(client.get(response.headers["Location"]))
    assert "Review completed. Staying Safe is now at content version 2." in page
    assert "Version 1 to version 2" in page and "Completed" in page
    assert "Complete the review" not in page and "Add an action" not in page
    stored = _stored(app, review_id)
    assert (stored["status"], stored["before"], stored["after"], stored["course_version"]) == ("completed", 1, 2, 2)
    with app.app_context():
        delivered = db.session.get(CourseSession, data.delivered_session_id)
        assert (delivered.content_version, delivered.delivered_version) == (1, 1)
        assert db.session.get(CourseSession, upcoming_id).delivered_version == 2

    # A completed review cannot be completed again, nor its details changed.
    again = client.get(url)
    assert again.status_code == 302 and "This review is already completed." in _get(client, again.headers["Location"])
    web.submit(url, {"change": "raise"}, page=f"/admin/feedback/reviews/{review_id}")
    assert _stored(app, review_id)["course_version"] == 2
    assert client.get(f"/admin/feedback/reviews/{review_id}/edit").status_code == 302
    listing = _text(client.get(f"/admin/feedback/courses/{data.course_id}/reviews"))
    assert "Content version 1 to 2 " in listing and "Completed" in listing


def test_no_change_keeps_the_content_version(app, client, web, login_as):
    data = _data(app)
    review_id = _review(app, data.course_id)
    login_as("admin")
    response = web.submit(f"/admin/feedback/reviews/{review_id}/complete", {"change": "same"})
    assert "Review completed. The content of Staying Safe stays at version 1." in _get(client, response.headers["Location"])
    stored = _stored(app, review_id)
    assert (stored["status"], stored["before"], stored["after"], stored["course_version"]) == ("completed", 1, 1, 1)
    assert "Version 1 (no change)" in _text(client.get(f"/admin/feedback/reviews/{review_id}"))


def test_completing_needs_the_decisions_and_a_choice(app, client, web, login_as):
    data = _data(app)
    review_id = _review(app, data.course_id, decisions="")
    login_as("admin")
    url = f"/admin/feedback/reviews/{review_id}/complete"
    page = _text(client.get(url))
    assert "Before you can complete the review, write down the decisions." in page
    response = web.submit(url, {"change": "raise"}, page=f"/admin/feedback/reviews/{review_id}")
    assert response.status_code == 400
    assert "Before completing the review, write down the decisions" in response.get_data(as_text=True)

    with app.app_context():
        db.session.get(ContentReview, review_id).decisions = "Decided."
        db.session.commit()
    response = web.submit(url, {"change": ""})
    assert response.status_code == 400 and "Choose whether the course content changes" in response.get_data(as_text=True)
    response = web.submit(url, {"change": "twice"})
    assert response.status_code == 400
    assert _stored(app, review_id)["status"] == "draft" and _stored(app, review_id)["course_version"] == 1


# --- "You said, we did" -------------------------------------------------------------------

def test_publishing_you_said_we_did_shows_it_on_the_course_page(app, client, web, login_as):
    data = _data(app)
    review_id = _review(app, data.course_id, held_on=date(2026, 3, 2))
    login_as("admin")
    course_page = _get(client, "/courses/staying-safe")
    assert "You said, we did" not in course_page

    summary_url = f"/admin/feedback/reviews/{review_id}/summary"
    too_long = web.submit(summary_url, {"summary": "x" * 2001})
    assert too_long.status_code == 400 and "The summary must be 2,000 characters or fewer" in too_long.get_data(as_text=True)
    web.submit(summary_url, {"summary": "You said the online fraud part was rushed.\r\n\r\nWe gave it 20 more minutes."})
    review_page = f"/admin/feedback/reviews/{review_id}"
    html = _get(client, review_page)
    assert "You can publish the summary once the review is completed." in html and "Publish on the course page" not in html
    refused = web.submit(f"{review_page}/publish", {}, page=review_page)
    assert "Complete the review before publishing" in _get(client, refused.headers["Location"].split("#")[0])
    assert _stored(app, review_id)["published"] is False

    web.submit(f"{review_page}/complete", {"change": "raise"})
    web.submit(f"{review_page}/publish", {}, page=review_page)
    assert "“You said, we did” is now shown on the Staying Safe course page." in _get(client, review_page)
    assert _stored(app, review_id)["published"] is True
    page = client.get("/courses/staying-safe")
    text = _text(page)
    assert "You said, we did" in text and "Review in March 2026" in text
    assert "<p>You said the online fraud part was rushed.</p>" in page.get_data(as_text=True)

    # The wording can still change once published; emptying it is refused.
    web.submit(summary_url, {"summary": "You said the fraud part was rushed. We gave it more time."})
    assert "We gave it more time." in _text(client.get("/courses/staying-safe"))
    empty = web.submit(summary_url, {"summary": ""})
    assert empty.status_code == 400 and "unpublish it instead" in empty.get_data(as_text=True)

    web.submit(f"{review_page}/unpublish", {}, page=review_page)
    assert "is no longer shown on the Staying Safe course page" in _get(client, review_page)
    assert "You said, we did" not in _get(client, "/courses/staying-safe")


def test_the_course_page_shows_the_newest_three_in_one_query(app, client):
    data = _data(app)
    for month in (1, 2, 3, 4, 5):
        _review(app, data.course_id, held_on=date(2026, month, 10), summary=f"Summary from month {month}.",
                completed=True, published=True)
    _review(app, data.course_id, held_on=date(2026, 6, 1), summary="Not yet published.", completed=True)
    _review(app, data.other_course_id, held_on=date(2026, 6, 1), summary="Another course.", completed=True,
            published=True)
    text = _text(client.get("/courses/staying-safe"))
    assert [m for m in ("May", "April", "March", "February", "January") if f"Review in {m} 2026" in text] == \
        ["May", "April", "March"]
    assert text.index("Review in May 2026") < text.index("Review in April 2026") < text.index("Review in March 2026")
    assert "Not yet published." not in text and "Another course." not in text

    client.get("/courses/managing-anxiety")
    with count_statements(app) as one:
        client.get("/courses/managing-anxiety")
    with count_statements(app) as five:
        client.get("/courses/staying-safe")
    assert len(one) == len(five)
    assert sum("content_reviews" in s for s in five) == 1


# --- Report -------------------------------------------------------------------------------

def test_review_report_pdf(app, client, login_as):
    if not documents.pdf_available():
        pytest.skip("WeasyPrint is not available")
    data = _data(app)
    review_id = _review(app, data.course_id, decisions="Give the fraud part <b>20</b> more minutes.",
                        summary="You said it was rushed; we gave it more time.")
    with app.app_context():
        review = db.session.get(ContentReview, review_id)
        ops.consider(review, review.course, data.comment_ids, [data.question_id], by=None)
        review.items[0].note = "Agreed by everyone."
        ops.add_action(review, description="Rewrite the fraud handout", owner="Sam (peer trainer)",
                       due_on=date(2026, 4, 30), by=None)
        ops.complete_review(review, ops.RAISE, by=None)
        db.session.commit()
    admin = login_as("admin")
    documents.requested_urls.clear()
    response = client.get(f"/admin/feedback/reviews/{review_id}/report.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert response.headers["Content-Disposition"] == f'attachment; filename="content-review-{review_id}.pdf"'
    assert response.headers["Cache-Control"] == "no-store"
    assert list(documents.requested_urls) == [documents.STATIC_PREFIX + "css/documents.css"]
    with app.app_context():
        from rec_portal.models import AuditEvent

        audit_row = db.session.execute(select(AuditEvent).where(AuditEvent.event == "export")).scalar_one()
        assert (audit_row.actor_id, audit_row.detail) == (admin.id, f"content review {review_id} report PDF")
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    flat = re.sub(r"\s+", " ", subprocess.run(["pdftotext", "-", "-"], input=response.data, capture_output=True,
                                             check=True).stdout.decode())
    assert "Content review: Staying Safe" in flat and "Version 1 to version 2" in flat
    assert "Give the fraud part <b>20</b> more minutes." in flat
    assert "Rewrite the fraud handout" in flat and "Sam (peer trainer)" in flat and "30 April 2026" in flat
    assert "The part on online fraud felt rushed" in flat and "Agreed by everyone." in flat
    assert "What would you change?" in flat and "You said it was rushed; we gave it more time." in flat
    assert data.respondent_name not in flat and "Rowan" not in flat
