"""Every page of the student-records, roster, attendance and feedback features opened in a real
browser, with JavaScript on and off, on the demo data: each page answers 200, shows its
heading, and passes axe-core (``Visitor.check``). The journeys test what people do; this
makes sure no page is only ever seen by the test client."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from rec_portal.demo import (
    DEMO_ADMIN,
    DEMO_FACILITATOR,
    DEMO_PASSWORD,
    DEMO_STUDENT,
    load_demo_data,
)
from rec_portal.extensions import db
from rec_portal.content_reviews import operations as reviews
from rec_portal.models import (
    Booking,
    ContentReview,
    Course,
    CourseSession,
    FeedbackInvitation,
    FeedbackQuestion,
    FeedbackResponse,
    RosterAssignment,
    SupportService,
    User,
    WorkshopRequest,
)
from rec_portal.timeutil import uk_today
from tests.browser.conftest import heading
from tests.conftest import csrf_from

pytestmark = pytest.mark.browser


def _sign_in(visitor, email: str) -> None:
    visitor.context.clear_cookies()  # the previous person leaves
    request = visitor.context.request
    token = csrf_from(request.get(visitor.url("/login")).text())
    response = request.post(visitor.url("/login"), form={"csrf_token": token, "email": email, "password": DEMO_PASSWORD})
    assert response.ok and response.url == visitor.url("/")  # the home page


def _tour(visitor, pages: list[tuple[str, str]]) -> None:
    for path, title in pages:
        response = visitor.visit(path)
        assert response.status == 200, (path, response.status)
        expect(heading(visitor)).to_contain_text(title)


def test_every_new_page_in_a_browser(visitor, live_server):
    with live_server.app.app_context():
        load_demo_data()
        db.session.commit()
        student = db.session.execute(select(User).where(User.email == DEMO_STUDENT)).scalar_one()
        facilitator = db.session.execute(select(User).where(User.email == DEMO_FACILITATOR)).scalar_one()
        rostered = db.session.execute(
            select(RosterAssignment).where(RosterAssignment.user_id == facilitator.id)
        ).scalars().first()
        session_id, date_id = rostered.session_id, rostered.session.dates[0].id
        service_id = db.session.execute(select(SupportService.id)).scalars().first()
        booking_session = db.session.execute(select(Booking.session_id)).scalars().first()
        student_id = student.id
        # Feedback: the demo student's past course (feedback still to give), Staying Safe's
        # review, a question, and a completed session the demo facilitator delivered.
        past_booking = db.session.execute(
            select(Booking.id).join(CourseSession, CourseSession.id == Booking.session_id)
            .join(Course, Course.id == CourseSession.course_id)
            .where(Booking.student_id == student.id, CourseSession.status == "completed",
                   Course.slug == "introduction-to-recovery")
        ).scalar_one()
        review_id = db.session.execute(select(ContentReview.id)).scalars().first()
        courses = {c.slug: c.id for c in db.session.execute(select(Course)).scalars()}
        question_id = db.session.execute(select(FeedbackQuestion.id)).scalars().first()
        delivered = db.session.execute(
            select(RosterAssignment.session_id).join(CourseSession, CourseSession.id == RosterAssignment.session_id)
            .where(RosterAssignment.user_id == facilitator.id, CourseSession.status == "completed")
        ).scalars().first()
        # The demo facilitator has not written that reflection yet, so the form is open.
        db.session.execute(FeedbackResponse.__table__.delete().where(
            FeedbackResponse.session_id == delivered, FeedbackResponse.respondent_id == facilitator.id))
        db.session.execute(FeedbackInvitation.__table__.update().where(
            FeedbackInvitation.session_id == delivered, FeedbackInvitation.user_id == facilitator.id,
        ).values(answered=False))
        # Someone who delivered Staying Safe sees its figures (8 or more responses).
        staying_safe_facilitator = db.session.execute(
            select(User.email).join(RosterAssignment, RosterAssignment.user_id == User.id)
            .join(CourseSession, CourseSession.id == RosterAssignment.session_id)
            .where(CourseSession.course_id == courses["staying-safe"], CourseSession.status == "completed")
        ).scalars().first()
        # A draft review with a question in it, for its note and action pages.
        admin = db.session.execute(select(User).where(User.email == DEMO_ADMIN)).scalar_one()
        draft = reviews.start_review(db.session.get(Course, courses["staying-safe"]), held_on=uk_today(),
                                     participants="Alex Morgan", by=admin)
        reviews.consider(draft, draft.course, [], [question_id], by=admin)
        draft_id, item_id, facilitator_id = draft.id, draft.items[0].id, facilitator.id
        # Individual workshops: the demo student's arranged one, and a new one for the queue.
        mine = db.session.execute(select(WorkshopRequest.id).where(WorkshopRequest.student_id == student.id)).scalar_one()
        new_request = db.session.execute(
            select(WorkshopRequest.id).where(WorkshopRequest.status == "new")).scalars().first()
        db.session.commit()

    _tour(visitor, [("/support", "Support options"), (f"/support/{service_id}", "")])

    _sign_in(visitor, DEMO_STUDENT)
    _tour(visitor, [
        ("/my/account", "My account"), ("/my/account/about", "About you"),
        ("/my/account/support", "Contact and support"), ("/my/account/data", "Download my data"),
        ("/my/account/delete", "Delete my account"), ("/my/plan", "My learning plan"),
        ("/my/plan/goals/new", "Add a goal"), ("/my/safety-plan", "My safety plan"),
        ("/my/courses", "My courses"), (f"/my/courses/{past_booking}/feedback", "Tell us how the course went"),
        ("/courses/staying-safe", "Staying Safe"),
        ("/courses/staying-safe/individual-workshop", "individual workshop"),
        (f"/my/courses/workshops/{mine}", ""), ("/my/outcomes", "Your experience of crime"),
        ("/my/outcomes/welcome", "A few optional questions"), ("/my/outcomes/baseline", "Your experience of crime"),
    ])

    _sign_in(visitor, DEMO_FACILITATOR)
    _tour(visitor, [
        ("/facilitate", "Sessions you facilitate"), ("/facilitate/profile", ""),
        ("/facilitate/availability", ""), ("/facilitate/open-roles", ""),
        (f"/facilitate/sessions/{session_id}", ""),
        (f"/facilitate/sessions/{session_id}/dates/{date_id}/register", ""),
        (f"/facilitate/sessions/{delivered}/reflection", ""), ("/facilitate/feedback", ""),
        (f"/facilitate/feedback/courses/{courses['introduction-to-recovery']}", "Introduction to Recovery"),
    ])
    _sign_in(visitor, staying_safe_facilitator)
    _tour(visitor, [(f"/facilitate/feedback/courses/{courses['staying-safe']}", "Staying Safe")])
    expect(visitor.page.get_by_text("Average:").first).to_be_visible()  # figures, not held back

    _sign_in(visitor, DEMO_ADMIN)
    _tour(visitor, [
        ("/admin/facilitators", "Facilitators"), ("/admin/facilitators/new", ""),
        (f"/admin/facilitators/{facilitator_id}", ""), ("/admin/rosters", "Rosters"),
        ("/admin/rosters?gaps=1", "Rosters"), ("/admin/rosters/fidelity", ""),
        ("/admin/reports", "Reports"), ("/admin/reports/attendance", ""),
        ("/admin/reports/facilitator-hours", ""), ("/admin/support", ""),
        ("/admin/support/new", ""), (f"/admin/support/{service_id}/edit", ""),
        (f"/admin/students/{student_id}/plan", ""), (f"/admin/people/{student_id}", ""),
        (f"/admin/courses/sessions/{booking_session}/bookings", ""),
        ("/admin/feedback", "Feedback"),
        (f"/admin/feedback/courses/{courses['staying-safe']}", "Staying Safe"),
        (f"/admin/feedback/courses/{courses['staying-safe']}?audience=facilitator", "Staying Safe"),
        (f"/admin/feedback/courses/{courses['introduction-to-recovery']}", "Introduction to Recovery"),
        ("/admin/feedback/questions", "Feedback questions"), ("/admin/feedback/questions/new", ""),
        (f"/admin/feedback/questions/{question_id}/edit", ""), ("/admin/feedback/questions/preview", ""),
        (f"/admin/feedback/courses/{courses['staying-safe']}/reviews", ""),
        (f"/admin/feedback/courses/{courses['staying-safe']}/reviews/new", ""),
        (f"/admin/feedback/reviews/{review_id}", ""), (f"/admin/feedback/reviews/{review_id}/summary", ""),
        (f"/admin/feedback/questions/{question_id}/replace", ""), (f"/admin/feedback/questions/{question_id}/retire", ""),
        (f"/admin/feedback/questions/{question_id}/delete", ""), (f"/admin/feedback/questions/{question_id}/move", ""),
        (f"/admin/feedback/reviews/{draft_id}", ""), (f"/admin/feedback/reviews/{draft_id}/edit", ""),
        (f"/admin/feedback/reviews/{draft_id}/items/{item_id}/note", ""),
        (f"/admin/feedback/reviews/{draft_id}/actions/new", ""), (f"/admin/feedback/reviews/{draft_id}/complete", ""),
        ("/admin/workshops", ""), ("/admin/workshops?status=closed", ""), (f"/admin/workshops/{new_request}", ""),
        (f"/admin/workshops/{new_request}/close", "Close the request"),
        (f"/admin/workshops/{new_request}/arrange", "Arrange the workshop"), (f"/admin/workshops/{mine}", ""),
        ("/admin/outcomes", "Experience of crime"), ("/admin/reports/term", "Term report"),
        ("/prospectus", "Prospectus"),
    ])
