"""The question bank's rules (rec_portal.feedback.bank): what a valid question is, and what
may change once a question has answers."""

from __future__ import annotations

import pytest

from rec_portal.errors import DomainError
from rec_portal.extensions import db
from rec_portal.feedback import bank
from rec_portal.models.feedback import FeedbackAnswer, FeedbackQuestion
from tests import factories
from tests.conftest import wipe

VALID = {"audience": "student", "kind": "rating", "text": "Overall, how would you rate the course?"}


@pytest.fixture
def ctx(app):
    wipe(app)  # without the seeded questions
    with app.app_context():
        yield
        db.session.rollback()
        db.session.remove()


def test_wording_and_hint_are_tidied():
    fields, errors = bank.clean_question_fields(**{**VALID, "text": "  Overall,\n how   was it? ", "hint": " A  hint "})
    assert errors == {}
    assert fields == {"audience": "student", "kind": "rating", "text": "Overall, how was it?", "hint": "A hint",
                      "course_id": None}


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"audience": ""}, {"audience": "Choose who the question is for"}),
        ({"audience": "staff"}, {"audience": "Choose who the question is for"}),
        ({"kind": "essay"}, {"kind": "Choose the kind of question"}),
        ({"text": "   "}, {"text": "Enter the wording of the question"}),
        ({"text": "x" * 301}, {"text": "The wording must be 300 characters or fewer"}),
        ({"hint": "x" * 301}, {"hint": "The hint must be 300 characters or fewer"}),
        ({"audience": "", "kind": "", "text": ""}, {
            "audience": "Choose who the question is for", "kind": "Choose the kind of question",
            "text": "Enter the wording of the question"}),
    ],
)
def test_problems_are_reported_in_form_order(changes, errors):
    _, found = bank.clean_question_fields(**{**VALID, **changes})
    assert found == errors and list(found) == list(errors)


def test_the_audience_is_not_checked_when_not_asked():
    fields, errors = bank.clean_question_fields(**{**VALID, "audience": None})
    assert errors == {} and "audience" not in fields


def test_course_must_exist_and_not_be_archived_unless_it_already_was(app, ctx):
    live = factories.make_course(title="Live")
    old = factories.make_course(title="Old", status="archived")
    assert bank.clean_question_fields(**VALID, course_id=str(live.id))[0]["course_id"] == live.id
    assert "course_id" in bank.clean_question_fields(**VALID, course_id=str(old.id))[1]
    assert "course_id" in bank.clean_question_fields(**VALID, course_id="999999")[1]
    assert bank.clean_question_fields(**VALID, course_id=old.id, course_was=old.id)[0]["course_id"] == old.id
    assert bank.clean_question_fields(**VALID, course_id="")[0]["course_id"] is None


def _answer(question: FeedbackQuestion, *, anonymous: bool = False) -> FeedbackAnswer:
    """An answer given with a name (or anonymously) on a session completed 3 days ago."""
    session = factories.make_session(starts_in_days=-3, status="completed")
    response = factories.make_feedback_response(session, audience=question.audience, anonymous=anonymous)
    return factories.make_feedback_answer(response, question, 5)


def _order(audience: str = "student") -> list[str]:
    return [q.text for q in bank.questions_for(0, audience)]


def test_new_questions_go_last_in_their_own_audience(app, ctx):
    a = bank.add_question(None, **VALID)
    reflection = bank.add_question(None, audience="facilitator", kind="text", text="What worked well?")
    b = bank.add_question(None, audience="student", kind="text", text="What would you change?")
    assert a.position < b.position and reflection.position == bank.STEP
    assert _order() == [a.text, b.text] and _order("facilitator") == ["What worked well?"]


def test_wording_and_kind_cannot_change_in_place_once_answered(app, ctx):
    question = bank.add_question(None, **VALID)
    answer = _answer(question)
    with pytest.raises(DomainError) as refused:
        bank.update_question(None, question, kind="rating", text="New words")
    assert refused.value.field == "text" and "Replace it with a new question" in refused.value.message
    with pytest.raises(DomainError) as refused:
        bank.update_question(None, question, kind="agreement", text=question.text)
    assert refused.value.field == "kind"
    bank.update_question(None, question, kind="rating", text=question.text, hint="Now with a hint")
    assert question.hint == "Now with a hint" and answer.question_text == VALID["text"]


def test_replace_keeps_the_place_and_links_back(app, ctx):
    first = bank.add_question(None, **VALID)
    second = bank.add_question(None, audience="student", kind="text", text="Second")
    answer = _answer(first)
    new = bank.replace_question(None, first, kind="agreement", text="The course was good.")
    assert first.retired_at is not None and new.replaces_id == first.id and new.position == first.position
    assert _order() == ["The course was good.", second.text]
    assert answer.question_text == VALID["text"] and answer.kind == "rating"
    with pytest.raises(DomainError):
        bank.replace_question(None, first, kind="text", text="Again")  # already retired
    with pytest.raises(DomainError, match="still being asked"):
        bank.reinstate_question(None, first)
    assert bank.deletion_refusal(first)  # it has answers
    bank.retire_question(None, new)
    bank.reinstate_question(None, first)  # the replacement is retired too, so it may come back
    assert _order() == [second.text, VALID["text"]]


def test_move_swaps_with_the_neighbour_and_stops_at_the_ends(app, ctx):
    a = bank.add_question(None, audience="student", kind="text", text="A")
    b = bank.add_question(None, audience="student", kind="text", text="B")
    c = bank.add_question(None, audience="student", kind="text", text="C")
    assert bank.move_question(None, c, "up") is True and _order() == ["A", "C", "B"]
    assert bank.move_question(None, a, "up") is False and _order() == ["A", "C", "B"]
    assert bank.move_question(None, b, "down") is False
    assert bank.move_question(None, a, "down") is True and _order() == ["C", "A", "B"]
    with pytest.raises(DomainError):
        bank.move_question(None, a, "left")
    bank.retire_question(None, b)
    with pytest.raises(DomainError):
        bank.move_question(None, b, "up")


def test_ties_in_position_are_resolved_when_moving(app, ctx):
    questions = [factories.make_feedback_question(t, position=10) for t in "XYZ"]
    bank.move_question(None, questions[2], "up")
    assert _order() == ["X", "Z", "Y"]
    assert len({q.position for q in questions}) == 3


def test_only_questions_never_asked_and_unreferenced_can_be_deleted(app, ctx):
    question = bank.add_question(None, **VALID)
    assert bank.deletion_refusal(question) is None
    _answer(question)
    with pytest.raises(DomainError, match="already been asked after a session"):
        bank.delete_question(None, question)
    not_run = factories.make_course(title="Not run yet")
    other = bank.add_question(None, audience="student", kind="text", text="Unanswered", course_id=not_run.id)
    bank.delete_question(None, other)
    assert db.session.get(FeedbackQuestion, other.id) is None


def test_a_question_is_locked_once_asked_whether_or_not_anyone_answered(app, ctx):
    """Issue 13 (found by review): Delete went away, and the wording was fixed, the moment
    the first answer came in, even an anonymous one in a pool not yet shown: that dated the
    anonymous answer. Now both follow the question having been asked after a completed
    session, which says nothing about who answered, or whether anyone did."""
    course = factories.make_course(title="Staying Safe")
    question = bank.add_question(None, audience="student", kind="text", text="What would you change?",
                                 course_id=course.id)
    assert not bank.has_been_asked(question) and bank.deletion_refusal(question) is None
    session = factories.make_session(course=course, starts_in_days=-2, status="completed")
    assert bank.has_been_asked(question)  # asked: nobody has answered yet
    refusal = bank.deletion_refusal(question)
    assert refusal is not None and "already been asked" in refusal
    before = (bank.deletion_refusal(question), question.id in bank.load_bank().asked)
    factories.make_feedback_response(session, {question: "Something private"}, anonymous=True)
    assert (bank.deletion_refusal(question), question.id in bank.load_bank().asked) == before
    # A session that closed before the question was added never asked it.
    old_course = factories.make_course(title="Long ago")
    factories.make_session(course=old_course, starts_in_days=-200, status="completed")
    late = bank.add_question(None, audience="student", kind="rating", text="Late question",
                             course_id=old_course.id)
    assert not bank.has_been_asked(late)


def test_answer_counts_are_one_query_for_every_question(app, ctx):
    a = bank.add_question(None, **VALID)
    b = bank.add_question(None, audience="student", kind="text", text="B")
    _answer(a)
    _answer(a)
    assert bank.answer_counts() == {a.id: 2}
    assert bank.load_bank().answer_counts.get(b.id, 0) == 0


def test_once_asked_a_questions_course_cannot_change_either(app, ctx):
    """Found by review: after moving a locked question to a course that has not run, whether
    it stayed locked told whether it had been answered (perhaps anonymously)."""
    course = factories.make_course(title="Staying Safe")
    elsewhere = factories.make_course(title="Not run yet")
    question = bank.add_question(None, audience="student", kind="text", text="What would you change?",
                                 course_id=course.id)
    factories.make_session(course=course, starts_in_days=-2, status="completed")
    with pytest.raises(DomainError, match="wording, kind and course cannot be changed") as refused:
        bank.update_question(None, question, kind="text", text="What would you change?", course_id=elsewhere.id)
    assert refused.value.field == "course_id"
    assert question.course_id == course.id
    bank.update_question(None, question, kind="text", text="What would you change?", hint="Anything at all",
                         course_id=course.id)  # the hint may still change
    assert question.hint == "Anything at all"
    # Before it has been asked, the course can change.
    fresh = bank.add_question(None, audience="student", kind="rating", text="Fresh question", course_id=elsewhere.id)
    bank.update_question(None, fresh, kind="rating", text="Fresh question", course_id=course.id)
    assert fresh.course_id == course.id
