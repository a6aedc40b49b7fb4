"""Content review rules: what can be considered, actions, completing (content version
before and after), and "You said, we did"."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from rec_portal.attendance.operations import complete_if_done
from rec_portal.content_reviews import operations as ops
from rec_portal.content_reviews.operations import ReviewRefused
from rec_portal.content_reviews.queries import published_summaries
from rec_portal.extensions import db
from rec_portal.models import AuditEvent, Booking
from rec_portal.models.feedback import ContentReview
from tests import factories

TODAY = date(2026, 3, 14)


# --- Helpers ---------------------------------------------------------------------------------

make_question = factories.make_feedback_question
make_session_delivered = factories.make_session_delivered
make_comments = factories.make_comments


@pytest.fixture
def admin(app_ctx):
    return factories.make_user(roles=("admin",))


@pytest.fixture
def course(app_ctx):
    return factories.make_course(title="Staying Safe", slug="staying-safe")


def _draft(course, admin, **kwargs):
    return ops.start_review(course, held_on=kwargs.pop("held_on", TODAY), participants="Sam (peer trainer), REC manager",
                            by=admin, today=TODAY)


# --- Starting and editing -----------------------------------------------------------------

def test_a_review_starts_as_a_draft_at_the_course_s_current_version(course, admin):
    course.content_version = 3
    review = _draft(course, admin)
    assert (review.status, review.version_before, review.version_after) == ("draft", 3, None)
    assert ops.open_reviews(course.id) == [review]


def test_open_reviews_lists_only_drafts_of_the_course_newest_first(course, admin):
    older = _draft(course, admin, held_on=TODAY - timedelta(days=30))
    newer = _draft(course, admin)
    done = _draft(course, admin)
    done.decisions = "Keep it."
    ops.complete_review(done, ops.SAME, by=admin)
    other = factories.make_course(title="Another")
    _draft(other, admin)
    assert ops.open_reviews(course.id) == [newer, older]


@pytest.mark.parametrize(("held_on", "participants", "field", "message"), [
    (None, "Sam", "held_on", "Enter the date of the review"),
    (TODAY + timedelta(days=1), "Sam", "held_on", "The date of the review cannot be in the future"),
    (date(1999, 12, 31), "Sam", "held_on", "The date of the review must be in 2000 or later"),
    (TODAY, "   ", "participants", "Enter who took part in the review"),
    (TODAY, "x" * 2001, "participants", "Who took part must be 2,000 characters or fewer"),
])
def test_start_refuses_bad_details(course, admin, held_on, participants, field, message):
    with pytest.raises(ReviewRefused) as refused:
        ops.start_review(course, held_on=held_on, participants=participants, by=admin, today=TODAY)
    assert (refused.value.field, refused.value.message) == (field, message)
    assert db.session.execute(select(ContentReview)).first() is None


# --- Feedback considered ------------------------------------------------------------------

def test_consider_adds_comments_and_questions_of_this_course_only_and_skips_duplicates(course, admin):
    question = make_question()
    mine = make_comments(course, ["More breaks please", "Loved the peer trainer"], question=question)
    other_course = factories.make_course(title="Managing Anxiety")
    theirs = make_comments(other_course, ["Not about Staying Safe"], question=question)
    rating = make_comments(course, [None], question=make_question("Overall rating", kind="rating"))
    only_other = make_question("About anxiety only", course=other_course)

    result = ops.consider(None, course, [str(a.id) for a in mine + theirs + rating],
                          [question.id, only_other.id, "nonsense", "-3"], by=admin, today=TODAY)
    review = result.review
    assert (review.status, review.held_on, review.participants) == ("draft", TODAY, "")
    assert (result.comments, result.questions, result.already, result.ignored) == (2, 1, 0, 3)
    assert result.message == ("Added 2 comments and 1 question to the review. 3 could not be added "
                              "because they are not feedback about this course.")
    assert sorted(i.answer_id for i in review.items if i.answer_id) == sorted(a.id for a in mine)

    again = ops.consider(review, course, [mine[0].id], [question.id], by=admin)
    assert (again.comments, again.questions, again.already) == (0, 0, 2)
    assert again.message == "2 were already in it."
    assert len(review.items) == 3


def test_consider_refuses_when_nothing_about_the_course_is_selected(course, admin):
    other = make_comments(factories.make_course(title="Other"), ["Elsewhere"])
    with pytest.raises(ReviewRefused, match="Select at least one"):
        ops.consider(None, course, [], [], by=admin)
    with pytest.raises(ReviewRefused, match="None of the selected feedback is about this course"):
        ops.consider(None, course, [other[0].id], [], by=admin)
    assert db.session.execute(select(ContentReview)).first() is None


def test_consider_refuses_a_completed_review_or_another_course_s_review(course, admin):
    comment = make_comments(course, ["Too long"])[0]
    review = _draft(course, admin)
    other_review = _draft(factories.make_course(title="Other"), admin)
    with pytest.raises(ReviewRefused, match="another course"):
        ops.consider(other_review, course, [comment.id], [], by=admin)
    review.decisions = "Shorten it."
    ops.complete_review(review, ops.RAISE, by=admin)
    with pytest.raises(ReviewRefused, match="completed"):
        ops.consider(review, course, [comment.id], [], by=admin)


def test_notes_and_removing_items_only_on_a_draft(course, admin):
    comment = make_comments(course, ["Too long"])[0]
    review = ops.consider(None, course, [comment.id], [], by=admin, today=TODAY).review
    item = review.items[0]
    ops.set_item_note(review, item.id, "  Agreed: shorten part 2.  ", by=admin)
    assert item.note == "Agreed: shorten part 2."
    with pytest.raises(ReviewRefused) as refused:
        ops.set_item_note(review, item.id, "x" * 1001, by=admin)
    assert refused.value.message == "The note must be 1,000 characters or fewer"
    review.participants, review.decisions = "Sam", "Shorten it."
    ops.complete_review(review, ops.SAME, by=admin)
    for change in (lambda: ops.set_item_note(review, item.id, "new", by=admin),
                   lambda: ops.remove_item(review, item.id, by=admin)):
        with pytest.raises(ReviewRefused, match="completed"):
            change()
    assert len(review.items) == 1


# --- Actions ------------------------------------------------------------------------------

def test_actions_need_a_description_an_owner_and_a_due_date(course, admin):
    review = _draft(course, admin)
    for kwargs, field in [
        ({"description": " ", "owner": "REC team", "due_on": TODAY}, "description"),
        ({"description": "Shorten part 2", "owner": "", "due_on": TODAY}, "owner"),
        ({"description": "Shorten part 2", "owner": "x" * 151, "due_on": TODAY}, "owner"),
        ({"description": "Shorten part 2", "owner": "REC team", "due_on": None}, "due_on"),
        ({"description": "Shorten part 2", "owner": "REC team", "due_on": date(2101, 1, 1)}, "due_on"),
    ]:
        with pytest.raises(ReviewRefused) as refused:
            ops.add_action(review, by=admin, **kwargs)
        assert refused.value.field == field
    action = ops.add_action(review, description="Shorten part 2", owner="  Sam   (peer trainer) ",
                            due_on=TODAY, by=admin)
    assert (action.owner, action.done_at) == ("Sam (peer trainer)", None)


def test_a_completed_review_s_actions_can_be_marked_done_but_not_added_or_removed(course, admin):
    review = _draft(course, admin)
    action = ops.add_action(review, description="Shorten part 2", owner="REC team", due_on=TODAY, by=admin)
    review.decisions = "Shorten it."
    ops.complete_review(review, ops.RAISE, by=admin)
    ops.mark_action(review, action.id, True, by=admin)
    assert action.done_at is not None
    ops.mark_action(review, action.id, False, by=admin)
    assert action.done_at is None
    with pytest.raises(ReviewRefused, match="completed"):
        ops.add_action(review, description="More", owner="REC team", due_on=TODAY, by=admin)
    with pytest.raises(ReviewRefused, match="completed"):
        ops.remove_action(review, action.id, by=admin)
    with pytest.raises(ReviewRefused, match="not part of this review"):
        ops.mark_action(review, action.id + 999, True, by=admin)


# --- Completing ---------------------------------------------------------------------------

def test_completing_raises_the_version_and_only_sessions_not_yet_delivered_get_it(course, admin):
    delivered = make_session_delivered(course)
    upcoming = factories.make_session(course=course, starts_in_days=-1, hours=2)
    factories.fill_places(upcoming, 1)
    assert (delivered.content_version, upcoming.delivered_version) == (1, 1)

    review = _draft(course, admin)
    review.decisions = "Rewrite part 2."
    ops.complete_review(review, ops.RAISE, by=admin)
    assert (review.status, review.version_before, review.version_after) == ("completed", 1, 2)
    assert review.completed_at is not None and course.content_version == 2
    assert delivered.content_version == 1 and delivered.delivered_version == 1
    assert upcoming.delivered_version == 2

    # The upcoming session is delivered later: it records version 2.
    booking = db.session.execute(select(Booking).where(Booking.session_id == upcoming.id)).scalar_one()
    factories.make_attendance(booking, upcoming.dates[-1])
    assert complete_if_done(upcoming)
    assert upcoming.content_version == 2

    with pytest.raises(ReviewRefused, match="completed"):
        ops.complete_review(review, ops.RAISE, by=admin)
    assert course.content_version == 2


def test_no_change_keeps_the_version_and_before_is_the_version_when_completed(course, admin):
    first, second = _draft(course, admin), _draft(course, admin)
    first.decisions = second.decisions = "Decided."
    ops.complete_review(first, ops.RAISE, by=admin)  # 1 -> 2 while the second was open
    ops.complete_review(second, ops.SAME, by=admin)
    assert (second.version_before, second.version_after, course.content_version) == (2, 2, 2)


def test_completing_needs_a_choice_who_took_part_and_the_decisions(course, admin):
    comment = make_comments(course, ["Too long"])[0]
    review = ops.consider(None, course, [comment.id], [], by=admin, today=TODAY).review
    with pytest.raises(ReviewRefused) as refused:
        ops.complete_review(review, ops.RAISE, by=admin)
    assert refused.value.message == "Before completing the review, write down who took part"
    assert ops.completion_missing(review) == ["write down who took part", "write down the decisions"]
    review.participants = "Sam"
    with pytest.raises(ReviewRefused, match="write down the decisions"):
        ops.complete_review(review, ops.RAISE, by=admin)
    review.decisions = "Shorten it."
    with pytest.raises(ReviewRefused, match="Choose whether"):
        ops.complete_review(review, "maybe", by=admin)
    assert (review.status, course.content_version) == ("draft", 1)


# --- "You said, we did" -------------------------------------------------------------------

def test_only_a_completed_review_with_a_summary_can_be_published(course, admin):
    review = _draft(course, admin)
    ops.set_summary(review, "You said part 2 was rushed.\r\n\r\nWe gave it more time.", by=admin)
    assert review.you_said_we_did == "You said part 2 was rushed.\n\nWe gave it more time."
    with pytest.raises(ReviewRefused, match="Complete the review before publishing"):
        ops.publish_summary(review, by=admin)
    review.decisions = "More time for part 2."
    ops.complete_review(review, ops.RAISE, by=admin)
    ops.publish_summary(review, by=admin)
    assert review.published_at is not None
    assert published_summaries(course.id) == [review]
    with pytest.raises(ReviewRefused, match="unpublish it instead"):
        ops.set_summary(review, "  ", by=admin)
    with pytest.raises(ReviewRefused, match="2,000 characters"):
        ops.set_summary(review, "x" * 2001, by=admin)
    ops.unpublish_summary(review, by=admin)
    assert published_summaries(course.id) == []

    empty = _draft(course, admin)
    empty.decisions = "Nothing to change."
    ops.complete_review(empty, ops.SAME, by=admin)
    with pytest.raises(ReviewRefused, match="Write the"):
        ops.publish_summary(empty, by=admin)


def test_published_summaries_are_the_newest_three(course, admin):
    reviews = []
    for months in range(5):
        review = _draft(course, admin, held_on=TODAY - timedelta(days=31 * months))
        review.decisions = "Decided."
        ops.set_summary(review, f"Summary {months}", by=admin)
        ops.complete_review(review, ops.SAME, by=admin)
        ops.publish_summary(review, by=admin)
        reviews.append(review)
    assert published_summaries(course.id) == reviews[:3]


def test_audit_rows_name_the_review_by_id_only(course, admin):
    review = _draft(course, admin)
    ops.edit_review(review, held_on=TODAY, participants="Sam secret-name", decisions="secret-decision",
                    by=admin, today=TODAY)
    ops.add_action(review, description="secret-action", owner="secret-owner", due_on=TODAY, by=admin)
    ops.set_summary(review, "secret-summary", by=admin)
    ops.complete_review(review, ops.RAISE, by=admin)
    ops.publish_summary(review, by=admin)
    rows = db.session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars().all()
    assert [r.event for r in rows] == [
        "content_review.started", "content_review.changed", "content_review.changed",
        "content_review.changed", "content_review.completed", "content_review.summary_published",
    ]
    assert rows[4].detail == f"content review {review.id}: course {course.id} version 1 to 2"
    assert not any("secret" in (r.detail or "") for r in rows)
    assert all(r.actor_id == admin.id and r.subject_id is None for r in rows)
