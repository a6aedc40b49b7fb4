"""Feedback through the real UI, with JavaScript on and off (issue 6): a student who came
to Staying Safe gives feedback (a mistake first, then anonymously with JavaScript and with
their name without), an admin filters the comments, adds one and a question to a new
content review, records it, completes it (raising the content version) and publishes
"You said, we did", which the course page then shows. Every page landed on is
screenshotted and scanned with axe-core."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from rec_portal.extensions import db
from rec_portal.models import Booking, ContentReview, Course, FeedbackInvitation, FeedbackResponse
from rec_portal.timeutil import to_uk, utcnow
from tests import factories
from tests.browser.conftest import heading, sign_in_quietly

pytestmark = pytest.mark.browser

RUSHED = "The part about reporting online crime was rushed."
OTHER_COMMENTS = ["More breaks, please.", "A quieter room.", "", "Handouts in large print.",
                  "", "Nothing, it was great.", "", "A follow-up session."]


def _seed(live_server) -> dict:
    """A completed Staying Safe date with eight answers already given, and Robin, who came
    and has not answered yet."""
    with live_server.app.app_context():
        course = factories.make_course(title="Staying Safe", slug="staying-safe")
        question = factories.make_feedback_question
        questions = {
            "overall": question("Overall, how would you rate the course?", kind="rating", position=10),
            "confident": question("I feel more confident about keeping myself safe.", kind="agreement",
                                  position=20, course=course),
            "change": question("What would you change?", position=30),
            "helpful": question("What was most helpful?", position=40),
        }
        factories.make_user(roles=("admin",), email="boss@example.org", full_name="Alex Boss")
        session = factories.make_session(course=course, starts_in_days=-7, hours=5)
        session.status, session.completed_at = "completed", session.ends_at + timedelta(hours=1)
        session.content_version = 1
        db.session.flush()
        given_on = to_uk(session.ends_at).date() + timedelta(days=1)
        people = [factories.make_user(email=f"student{n}@example.org", full_name=f"Student {n}") for n in range(8)]
        robin = factories.make_user(email="robin@example.org", full_name="Robin Ashdown", preferred_name="Robin")
        for n, person in enumerate([*people, robin]):
            booking = factories.make_booking(session, person, queued_at=utcnow(), confirmed_at=utcnow(),
                                             made_by_user_id=None)
            factories.make_attendance(booking)
            factories.make_feedback_invitation(session, person, answered=person is not robin)
            if person is robin:
                robin_booking = booking.id
                continue
            answers = {questions["overall"]: 3 + n % 3, questions["confident"]: 2 + n % 3}
            comment = RUSHED if n == 0 else OTHER_COMMENTS[n]
            if comment:
                answers[questions["change"]] = comment
            if n in (1, 2):
                answers[questions["helpful"]] = f"Meeting people (student {n})."
            factories.make_feedback_response(session, answers, respondent_id=person.id, given_on=given_on)
        db.session.commit()
        return {"course": course.id, "session": session.id, "booking": robin_booking,
                "questions": {k: q.id for k, q in questions.items()}}


def _press(visitor, selector: str) -> None:
    with visitor.page.expect_navigation():
        visitor.page.locator(selector).click()
    visitor.check()


def give_feedback(visitor, seed: dict, *, anonymous: bool) -> None:
    page, q = visitor.page, seed["questions"]
    sign_in_quietly(visitor, "robin@example.org")
    visitor.visit("/my/courses")
    expect(page.locator("#feedback-prompt")).to_contain_text("You can tell us how 1 course went")
    visitor.click_link("Give feedback on this course", exact=False)
    expect(heading(visitor)).to_have_text("Tell us how the course went")
    expect(page.locator("main")).to_contain_text("Staying Safe")
    # Too long an answer: the message is next to the field and the other answers stay.
    page.locator(f"input[name=q-{q['overall']}][value='5']").check()
    page.locator(f"input[name=q-{q['confident']}][value='4']").check()
    page.locator(f"textarea[name=q-{q['change']}]").fill("x" * 2001)
    visitor.submit("Send feedback")
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("2,000 characters or fewer")
    expect(page.locator(f"input[name=q-{q['overall']}][value='5']")).to_be_checked()
    expect(page.locator(f"input[name=q-{q['confident']}][value='4']")).to_be_checked()
    page.locator(f"textarea[name=q-{q['change']}]").fill("A longer lunch break, please.")
    if anonymous:
        page.get_by_label("Answer anonymously").check()
    visitor.submit("Send feedback")
    expect(heading(visitor)).to_have_text("Thank you for your feedback")
    visitor.click_link("Go back to my courses")
    expect(page.locator(f"#feedback-{seed['booking']}")).to_contain_text("Thank you for your feedback")
    expect(page.locator("#feedback-prompt")).to_have_count(0)
    # Once only.
    visitor.visit(f"/my/courses/{seed['booking']}/feedback")
    expect(heading(visitor)).to_have_text("You have already given feedback")


def review_and_publish(visitor, seed: dict) -> None:
    page, q = visitor.page, seed["questions"]
    sign_in_quietly(visitor, "boss@example.org")
    visitor.visit("/admin/feedback")
    visitor.click_link("Staying Safe", exact=False)
    # Robin answered anonymously with JavaScript on: the term's pool is open (feedback on
    # the session has not closed), so nothing of it is shown, and it is never counted or
    # listed with the session. Named: nine responses.
    named = 8 if visitor.js else 9
    expect(page.locator(f"#question-{q['overall']}")).to_contain_text(f"from {named} answers")
    # Comments on both free-text questions: 5 (+ Robin's when named) on one, 2 on the other.
    expect(page.locator("#comments-count")).to_contain_text(f"{named - 1} comments")
    if visitor.js:
        expect(page.locator("main")).not_to_contain_text("A longer lunch break, please.")
        expect(page.locator("#anonymous")).to_be_visible()
        expect(page.locator("main")).to_contain_text("are shown after feedback closes on")
    expect(page.locator("#comments")).to_be_visible()
    expect(page.locator(".rec-fbr-comment", has_text="Meeting people")).to_have_count(2)
    page.locator("#question").select_option(label="What would you change?")
    if visitor.js:
        page.locator("#show-feedback").click()
        expect(page).to_have_url(f"{visitor.base_url}/admin/feedback/courses/{seed['course']}?"
                                 f"session=&from=&to=&question={q['change']}&audience=student")
        visitor.check()
    else:
        visitor.submit("Show feedback")
    expect(page.locator("#comments-count")).to_contain_text(f"{named - 3} comments")
    expect(page.locator(".rec-fbr-comment", has_text="Meeting people")).to_have_count(0)
    rushed = page.locator(".rec-fbr-comment", has_text=RUSHED)
    expect(rushed).to_have_count(1)
    rushed.locator("input[name=answer_id]").check()
    page.locator(f"#pick-question-{q['confident']}").check()
    page.locator("#review-id").select_option(value="")
    _press(visitor, "#add-to-review")
    expect(page.locator("body")).to_contain_text("Added 1 comment and 1 question to the review")
    expect(page.locator("main")).to_contain_text(RUSHED)
    expect(page.locator("main")).to_contain_text("I feel more confident about keeping myself safe.")

    # Who took part and the decisions.
    visitor.click_link("Write the decisions")
    page.locator("#participants").fill("Pat (police mental health co-ordinator), Sam (peer trainer)")
    page.locator("#decisions").fill("Online reporting gets its own slot with a worked example.")
    _press(visitor, "#save-review")
    expect(page.locator("main")).to_contain_text("its own slot")

    _press(visitor, "#complete-review")
    expect(page.locator("input[name=change][value=raise]")).to_be_checked()
    _press(visitor, "#complete-review-submit")
    expect(page.locator("body")).to_contain_text("Staying Safe is now at content version 2")

    visitor.click_link("Write the summary")
    page.locator("#summary").fill("You said reporting online crime was rushed. We gave it its own slot.")
    _press(visitor, "#save-summary")
    _press(visitor, "#publish-summary")
    expect(page.locator("#unpublish-summary")).to_be_visible()

    visitor.visit("/courses/staying-safe")
    section = page.locator("#you-said-we-did")
    expect(section.get_by_role("heading", name="You said, we did")).to_be_visible()
    expect(section).to_contain_text("We gave it its own slot.")


def test_feedback_review_and_you_said_we_did(visitor, live_server):
    seed = _seed(live_server)
    give_feedback(visitor, seed, anonymous=visitor.js)
    with live_server.app.app_context():
        robin = db.session.execute(
            select(Booking.student_id).where(Booking.id == seed["booking"])
        ).scalar_one()
        mine = db.session.execute(
            select(FeedbackResponse).where(FeedbackResponse.session_id == seed["session"])
            .order_by(FeedbackResponse.id.desc()).limit(1)
        ).scalar_one()
        assert {a.text or a.value for a in mine.answers} == {5, 4, "A longer lunch break, please."}
        # Anonymous: no link to Robin in the stored row; named: linked.
        assert mine.anonymous is visitor.js
        assert mine.respondent_id == (None if visitor.js else robin)
        invitation = db.session.execute(
            select(FeedbackInvitation).where(FeedbackInvitation.user_id == robin)
        ).scalar_one()
        assert invitation.answered

    review_and_publish(visitor, seed)
    with live_server.app.app_context():
        course = db.session.get(Course, seed["course"])
        review = db.session.execute(select(ContentReview)).scalar_one()
        assert course.content_version == 2
        assert (review.status, review.version_before, review.version_after) == ("completed", 1, 2)
        assert review.published_at is not None
        assert {i.answer.text if i.answer else i.question.text for i in review.items} == {
            RUSHED, "I feel more confident about keeping myself safe."
        }
