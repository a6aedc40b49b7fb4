"""Learning pathways (issue 17, part 5): when a course counts (the course certificate's rule,
shared), progress and completion for "all, in order" and "any N of these", and what an
admin may do to a pathway."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from rec_portal.attendance.certificates import certificate_for as course_certificate
from rec_portal.errors import DomainError
from rec_portal.extensions import db
from rec_portal.models import Course, Pathway, PathwayCourse
from rec_portal.pathways import operations
from rec_portal.pathways.queries import certificate_for, completed_courses, my_pathways, progress
from rec_portal.timeutil import utcnow
from tests import factories

DAY = datetime(2026, 3, 2, 10)


def _pathway(n: int, rule: str = "in_order", required_count: int | None = None) -> Pathway:
    """A pathway (not stored) of courses with ids 1 to ``n``."""
    courses = [Course(id=i, title=f"Course {i}", slug=f"c{i}", summary="", status="published")
               for i in range(1, n + 1)]
    return Pathway(title="P", slug="p", rule=rule, required_count=required_count,
                   steps=[PathwayCourse(course=c, position=i) for i, c in enumerate(courses)])


def _done(*ids: int) -> dict[int, datetime]:
    return {i: DAY + timedelta(days=i) for i in ids}


# --- In order ---------------------------------------------------------------------------------

def test_in_order_needs_every_course_and_the_next_step_is_the_first_not_done():
    p = _pathway(3)
    none = progress(p, {})
    assert (none.counted, none.needed, none.complete, none.next_step.number) == (0, 3, False, 1)
    assert none.summary == "0 of 3 courses done"
    two = progress(p, _done(1, 2))
    assert (two.counted, two.complete, two.next_step.course.title, two.out_of_order) == (2, False, "Course 3", False)
    assert two.summary == "2 of 3 courses done"
    every = progress(p, _done(1, 2, 3))
    assert every.complete and every.next_step is None and every.summary == "Completed"
    assert every.completed_on == DAY + timedelta(days=3)  # the day the last one was done


def test_in_order_a_course_taken_out_of_order_counts_and_the_next_step_stays_the_earliest():
    m = progress(_pathway(3), _done(3))
    assert m.counted == 1 and not m.complete
    assert m.next_step.number == 1 and m.out_of_order
    assert [s.done for s in m.steps] == [False, False, True]
    assert progress(_pathway(3), _done(3, 1, 2)).complete  # any order completes it


# --- Any N of these ---------------------------------------------------------------------------

def test_any_of_is_complete_with_the_number_needed_in_any_order():
    p = _pathway(4, "any_of", 2)
    one = progress(p, _done(4))
    assert (one.counted, one.needed, one.complete, one.next_step) == (1, 2, False, None)
    assert [s.course.id for s in one.to_choose_from] == [1, 2, 3]
    assert one.summary == "1 of the 2 courses needed done"
    two = progress(p, _done(4, 2))
    assert two.complete and two.to_choose_from == [] and two.completed_on == DAY + timedelta(days=4)
    three = progress(p, _done(1, 2, 4))
    assert three.counted == 2 and three.completed_on == DAY + timedelta(days=2)  # when the 2nd was done


def test_a_pathway_with_no_courses_is_never_complete():
    assert not progress(_pathway(0), {}).complete


# --- When a course counts: the certificate's rule, shared ------------------------------------

def test_a_course_counts_exactly_when_its_certificate_of_attendance_can_be_had(app_ctx):
    now = utcnow()
    student = factories.make_user()
    courses = [factories.make_course(title=t) for t in ("Present", "Absent", "Running", "Cancelled place")]
    present = factories.complete_course(student, courses[0])
    absent = factories.complete_course(student, courses[1], present=False)
    # Marked present on the first date of a session whose second date is still to come.
    running = factories.make_session(course=courses[2], starts_in_days=-3, dates=2)
    running_booking = factories.make_booking(running, student)
    factories.make_attendance(running_booking, running.dates[0])
    cancelled = factories.complete_course(student, courses[3])
    cancelled.status = "cancelled"
    db.session.flush()

    done = completed_courses(student.id, now)
    assert set(done) == {courses[0].id}
    assert done[courses[0].id] == present.session.dates[0].starts_at
    for booking in (present, absent, running_booking, cancelled):
        has_certificate = course_certificate(booking, issued_on=now) is not None
        assert has_certificate == (booking.session.course_id in done), booking.session.course.title
    # Someone else's attendance never counts for this student.
    assert completed_courses(factories.make_user().id, now) == {}


def test_the_pathway_certificate_needs_the_pathway_complete_and_not_a_draft(app_ctx):
    student = factories.make_user()
    a, b, c = (factories.make_course(title=t) for t in ("A", "B", "C"))
    pathway = factories.make_pathway([a, b, c], rule="any_of", required_count=2)
    factories.complete_course(student, a, days_ago=40)
    assert certificate_for(student, pathway.id, utcnow()) is None
    factories.complete_course(student, c, days_ago=10)
    cert = certificate_for(student, pathway.id, utcnow())
    assert [s.course.title for s in cert.courses] == ["A", "C"]
    pathway.status = "draft"
    db.session.flush()
    assert certificate_for(student, pathway.id, utcnow()) is None
    pathway.status = "archived"  # archived: those who completed it keep their certificate
    db.session.flush()
    assert certificate_for(student, pathway.id, utcnow()) is not None
    assert [m.pathway.id for m in my_pathways(student.id)] == [pathway.id]


# --- Managing a pathway -----------------------------------------------------------------------

def test_only_published_courses_can_be_added_once_each(app_ctx):
    pathway = operations.save_pathway(None, title="Keeping safe", slug="", summary="S", rule="in_order",
                                      required_count=None)
    assert pathway.slug == "keeping-safe" and pathway.status == "draft"
    course = factories.make_course()
    operations.add_course(pathway, course.id)
    with pytest.raises(DomainError, match="already in this pathway"):
        operations.add_course(pathway, course.id)
    with pytest.raises(DomainError, match="only courses in the catalogue"):
        operations.add_course(pathway, factories.make_course(status="draft").id)


def test_reordering_and_removing_keep_positions_in_order(app_ctx):
    a, b, c = (factories.make_course(title=t) for t in ("A", "B", "C"))
    pathway = factories.make_pathway([a, b, c], status="draft")
    operations.move_course(pathway, c.id, "up")
    assert [(s.course.title, s.position) for s in pathway.steps] == [("A", 0), ("C", 1), ("B", 2)]
    with pytest.raises(DomainError):
        operations.move_course(pathway, a.id, "up")
    operations.remove_course(pathway, c.id)
    db.session.expire_all()
    stored = db.session.get(Pathway, pathway.id)
    assert [(s.course.title, s.position) for s in stored.steps] == [("A", 0), ("B", 1)]


def test_a_published_pathway_can_always_be_completed(app_ctx):
    a, b, c = (factories.make_course(title=t) for t in ("A", "B", "C"))
    draft = factories.make_pathway([a], status="draft", rule="any_of", required_count=2)
    with pytest.raises(DomainError, match="at least two courses"):
        operations.set_status(draft, "published")
    operations.add_course(draft, b.id)
    operations.set_status(draft, "published")
    with pytest.raises(DomainError, match="at least two courses"):
        operations.remove_course(draft, a.id)
    operations.add_course(draft, c.id)
    all_three = factories.make_pathway([a, b, c], rule="any_of", required_count=3)
    with pytest.raises(DomainError, match="Lower the number needed first"):
        operations.remove_course(all_three, a.id)
    with pytest.raises(DomainError, match="3 or fewer") as refused:
        operations.save_pathway(draft, title="T", slug="", summary="S", rule="any_of", required_count=4)
    assert refused.value.field == "required_count"
    b.status = "archived"
    draft.status = "draft"
    with pytest.raises(DomainError, match="“B” is no longer in the catalogue"):
        operations.set_status(draft, "published")


def test_a_slug_is_used_once(app_ctx):
    factories.make_pathway(slug="keeping-safe")
    with pytest.raises(DomainError, match="already uses the name keeping-safe") as refused:
        operations.save_pathway(None, title="Keeping Safe", slug="", summary="S", rule="in_order",
                                required_count=None)
    assert refused.value.field == "slug"
