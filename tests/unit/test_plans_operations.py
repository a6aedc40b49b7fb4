"""Learning plan rules: goals keep a contiguous order, only published courses can be
added, reviews need a date and notes, and the demo data can be loaded twice."""

from datetime import date

import pytest
from sqlalchemy import func, select

from rec_portal import audit
from rec_portal.extensions import db
from rec_portal.models import AuditEvent
from rec_portal.models.plans import LearningPlan, PlanCourse, PlanReview
from rec_portal.plans import operations
from rec_portal.plans.operations import PlanRefused
from rec_portal.plans.queries import goals
from tests import factories


def _texts(user) -> list[str]:
    return [g.text for g in goals(user.id)]


def _positions(user) -> list[int]:
    return [g.position for g in goals(user.id)]


def _three_goals(user):
    return [operations.add_goal(user, text=t) for t in ("First", "Second", "Third")]


def test_new_goals_go_last_and_start_not_started(app_ctx):
    me = factories.make_user()
    first, second = operations.add_goal(me, text="  Learn to swim  "), operations.add_goal(
        me, text="Read a book", steps="Choose one\n\n  Read a chapter a day  \n", target_date=date(2027, 3, 14)
    )
    db.session.commit()
    assert _texts(me) == ["Learn to swim", "Read a book"]
    assert _positions(me) == [0, 1]
    assert first.status == second.status == "not_started"
    assert second.step_list == ["Choose one", "Read a chapter a day"]
    assert second.steps == "Choose one\nRead a chapter a day"
    assert second.target_date == date(2027, 3, 14)


def test_goals_of_different_students_are_numbered_separately(app_ctx):
    me, other = factories.make_user(), factories.make_user()
    operations.add_goal(me, text="Mine")
    operations.add_goal(other, text="Theirs")
    operations.add_goal(me, text="Mine too")
    assert _positions(me) == [0, 1] and _positions(other) == [0]


@pytest.mark.parametrize(
    ("text", "status", "field"),
    [("", "not_started", "text"), ("   ", "not_started", "text"), ("x" * 501, "not_started", "text"),
     ("Fine", "finished", "status")],
)
def test_a_goal_needs_text_and_a_known_status(app_ctx, text, status, field):
    me = factories.make_user()
    with pytest.raises(PlanRefused) as refused:
        operations.add_goal(me, text=text, status=status)
    assert refused.value.field == field
    assert goals(me.id) == []


def test_a_plan_holds_at_most_fifty_goals(app_ctx):
    me = factories.make_user()
    for n in range(operations.MAX_GOALS):
        operations.add_goal(me, text=f"Goal {n}")
    with pytest.raises(PlanRefused, match="50 goals"):
        operations.add_goal(me, text="One more")


def test_edit_changes_everything_but_the_order(app_ctx):
    me = factories.make_user()
    _, second, _ = _three_goals(me)
    operations.edit_goal(second, text="Second, changed", steps="Step", target_date=date(2027, 1, 2), status="in_progress")
    db.session.commit()
    assert _texts(me) == ["First", "Second, changed", "Third"]
    assert (second.steps, second.target_date, second.status_label) == ("Step", date(2027, 1, 2), "In progress")
    with pytest.raises(PlanRefused):
        operations.edit_goal(second, text="", steps="", target_date=None, status="achieved")


def test_status_changes(app_ctx):
    me = factories.make_user()
    goal = operations.add_goal(me, text="Go to a course")
    for status, label in (("in_progress", "In progress"), ("achieved", "Achieved"), ("set_aside", "Set aside"),
                          ("not_started", "Not started")):
        operations.set_goal_status(goal, status)
        assert goal.status_label == label
    with pytest.raises(PlanRefused):
        operations.set_goal_status(goal, "done")


def test_moving_swaps_with_the_neighbour(app_ctx):
    me = factories.make_user()
    first, _second, third = _three_goals(me)
    assert operations.move_goal(third, "up") is True
    assert _texts(me) == ["First", "Third", "Second"]
    assert operations.move_goal(first, "down") is True
    assert _texts(me) == ["Third", "First", "Second"]
    assert _positions(me) == [0, 1, 2]


def test_moving_past_either_end_changes_nothing(app_ctx):
    me = factories.make_user()
    first, _, third = _three_goals(me)
    assert operations.move_goal(first, "up") is False
    assert operations.move_goal(third, "down") is False
    assert _texts(me) == ["First", "Second", "Third"]
    with pytest.raises(PlanRefused):
        operations.move_goal(first, "sideways")


def test_deleting_keeps_positions_contiguous(app_ctx):
    me = factories.make_user()
    first, second, _third = _three_goals(me)
    operations.delete_goal(second)
    assert _texts(me) == ["First", "Third"] and _positions(me) == [0, 1]
    operations.add_goal(me, text="Fourth")
    assert _positions(me) == [0, 1, 2]
    operations.delete_goal(first)
    assert _texts(me) == ["Third", "Fourth"] and _positions(me) == [0, 1]


def test_gaps_left_by_old_data_are_repaired_on_the_next_change(app_ctx):
    me = factories.make_user()
    for text, position in (("A", 3), ("B", 7), ("C", 9)):
        factories.make_goal(me, text, position=position)
    c = goals(me.id)[2]
    operations.move_goal(c, "up")
    assert _texts(me) == ["A", "C", "B"] and _positions(me) == [0, 1, 2]


def test_own_words_are_created_then_updated(app_ctx):
    me = factories.make_user()
    operations.save_own_words(me, hopes=" To learn ", strengths="", support="Breaks")
    operations.save_own_words(me, hopes="To learn more", strengths="Kind", support="Breaks")
    db.session.commit()
    plan = db.session.get(LearningPlan, me.id)
    assert (plan.hopes, plan.strengths, plan.support) == ("To learn more", "Kind", "Breaks")
    assert db.session.execute(select(func.count()).select_from(LearningPlan)).scalar_one() == 1


def test_only_published_courses_can_be_added_once(app_ctx):
    me = factories.make_user()
    published = factories.make_course(title="Staying Safe")
    first = operations.add_course(me, published)
    again = operations.add_course(me, published)
    assert first.id == again.id
    for status in ("draft", "archived"):
        with pytest.raises(PlanRefused, match="not offered"):
            operations.add_course(me, factories.make_course(status=status))
    with pytest.raises(PlanRefused):
        operations.add_course(me, None)
    assert operations.course_ids_in_plan(me.id) == {published.id}
    assert operations.remove_course(me, published.id) is True
    assert operations.remove_course(me, published.id) is False
    assert db.session.execute(select(func.count()).select_from(PlanCourse)).scalar_one() == 0


def test_a_review_needs_a_date_and_notes_and_a_sensible_next_date(app_ctx):
    student, admin = factories.make_user(), factories.make_user(roles=("admin",))
    with pytest.raises(PlanRefused) as refused:
        operations.add_review(student, admin, review_date=None, notes="Notes")
    assert refused.value.field == "review_date"
    with pytest.raises(PlanRefused) as refused:
        operations.add_review(student, admin, review_date=date(2027, 3, 1), notes="  ")
    assert refused.value.field == "notes"
    with pytest.raises(PlanRefused) as refused:
        operations.add_review(student, admin, review_date=date(2027, 3, 1), notes="Notes",
                              next_review_date=date(2027, 2, 28))
    assert refused.value.field == "next_review_date"
    review = operations.add_review(student, admin, review_date=date(2027, 3, 1), notes="Went well",
                                   next_review_date=date(2027, 3, 1))
    db.session.commit()
    assert (review.reviewer_id, review.user_id, review.notes) == (admin.id, student.id, "Went well")
    event = db.session.execute(select(AuditEvent).where(AuditEvent.event == audit.PLAN_REVIEW_ADDED)).scalar_one()
    assert (event.actor_id, event.subject_id) == (admin.id, student.id)
    assert "Went well" not in (event.detail or "")


def test_demo_data_loads_once(app_ctx):
    from rec_portal.demo import plans as plans_demo

    jo = factories.make_user(email="student@example.org", full_name="Jo Williams")
    admin = factories.make_user(email="admin@example.org", roles=("admin", "student"))
    aisha = factories.make_user(email="aisha.khan@example.org")
    courses = {
        "staying-safe": factories.make_course(title="Staying Safe", slug="staying-safe"),
        "confidence-and-self-esteem": factories.make_course(title="Confidence", slug="confidence-and-self-esteem"),
        "a-draft": factories.make_course(title="Draft", slug="a-draft", status="draft"),
    }
    users = {u.email: u for u in (jo, admin, aisha)}
    added = plans_demo.load(users, courses)
    assert added > 0
    assert plans_demo.load(users, courses) == 0
    jo_goals = goals(jo.id)
    assert len(jo_goals) == 3 and {g.status for g in jo_goals} >= {"achieved", "in_progress"}
    assert all(g.step_list and g.target_date for g in jo_goals)
    assert operations.course_ids_in_plan(jo.id) == {courses["staying-safe"].id, courses["confidence-and-self-esteem"].id}
    review = db.session.execute(select(PlanReview).where(PlanReview.user_id == jo.id)).scalar_one()
    assert review.reviewer_id == admin.id and review.next_review_date > review.review_date
    assert goals(aisha.id) and db.session.get(LearningPlan, aisha.id).hopes
