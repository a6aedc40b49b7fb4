"""Demo data for feedback (loaded by rec_portal/demo/__init__.py, after attendance). Idempotent: adds only
what is missing. Flushes; the caller commits.

- Staying Safe ran twice recently (ten and three weeks ago: demo/bookings.py books
  former students on them, the rosters and attendance demos fill in who delivered them
  and who came), and was reviewed between the two runs: the review raised its content
  version from 1 to 2 and its "You said, we did" is published on the course page. It
  also ran twice in an earlier term whose feedback has closed (delivering version 1, like
  the run before the review); more people answered anonymously then, so that term's pool
  of anonymous answers (10 of them) is shown on the feedback dashboard.
- Every completed session gets invitations and varied feedback from most of the people
  who came (some anonymous) and a reflection from each rostered facilitator. The demo
  student has not given feedback on their past course yet, so My courses asks them to.
- Introduction to Recovery has fewer than 8 responses, so its figures are suppressed,
  and its pool of anonymous answers is held back.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from rec_portal.demo.people import DEMO_ADMIN, DEMO_STUDENT
from rec_portal.extensions import db
from rec_portal.feedback.bank import ensure_default_questions, questions_for
from rec_portal.models import (
    Attendance,
    Booking,
    ContentReview,
    ContentReviewAction,
    ContentReviewItem,
    CourseSession,
    FeedbackAnswer,
    FeedbackInvitation,
    FeedbackQuestion,
    FeedbackResponse,
    RosterAssignment,
    User,
)
from rec_portal.models.attendance import PRESENT
from rec_portal.models.bookings import CONFIRMED
from rec_portal.models.courses import COMPLETED
from rec_portal.models.feedback import (
    AGREEMENT,
    FOR_FACILITATORS,
    FOR_STUDENTS,
    FREE_TEXT,
    RATING,
    REVIEW_COMPLETED,
    YES_NO,
)
from rec_portal.timeutil import to_uk, uk_day_start, uk_to_utc, utcnow

STAYING_SAFE = "staying-safe"

# Asked only about Staying Safe (the migration adds them when the course already exists;
# on a new install the course is made by the demo, so they are added here).
STAYING_SAFE_QUESTIONS = [
    (AGREEMENT, "I feel more confident about keeping myself safe."),
    (AGREEMENT, "I know where to get support if I am a victim of crime."),
]

# Comments, by question wording; each person gets the next one (some leave it blank).
COMMENTS = {
    STAYING_SAFE: {
        1: {
            "What was most helpful?": [
                "Hearing from a police officer who understood mental health. I did not expect that.",
                "The peer trainer talking about her own experience of being scammed.",
                "Writing my own safety plan in the afternoon.",
                "",
                "Knowing I can report things online and not have to go to the station.",
                "The list of support services to take home.",
                "The quiz at the start. It made everyone laugh and relax.",
                "Learning what cuckooing is. I think it was happening to my neighbour.",
                "Being able to ask the police questions without giving my name.",
                "Being in a room where nobody judged me.",
            ],
            "What would you change?": [
                "The part about reporting online crime was rushed. I still do not know how to do it.",
                "More time for the safety plan, less time on the slides.",
                "",
                "It was a long day. A longer lunch break would help.",
                "Go through reporting online step by step. We ran out of time.",
                "Some of the scenarios were upsetting. A warning before them would help.",
                "A printed copy of the slides to take home.",
                "",
                "More about staying safe on social media.",
                "Fewer slides, and more time to talk in the group.",
            ],
        },
        2: {
            "What was most helpful?": [
                "Going through how to report online together, on the screen.",
                "Claire (the police co-ordinator) was kind and easy to talk to.",
                "The safety plan: I have put it on my fridge.",
                "Meeting other people who have been through the same thing.",
                "",
                "The worked example of reporting a scam.",
            ],
            "What would you change?": [
                "",
                "Nothing really. Maybe a follow-up session a few months later.",
                "Handouts in larger print.",
                "",
                "A quieter room: the corridor was noisy.",
                "More about what happens after you report something.",
            ],
        },
    },
    "default": {
        "What was most helpful?": [
            "Hearing from people with lived experience.",
            "The small group discussions.",
            "",
            "Practical tips I can use straight away.",
            "Not feeling judged.",
        ],
        "What would you change?": [
            "",
            "The room was a bit cold.",
            "More breaks, please.",
            "",
            "I would have liked the slides to take home.",
        ],
    },
}

REFLECTIONS = {
    "What worked well?": [
        "Co-delivery: students asked the peer trainer questions they would not ask the police.",
        "The safety plan exercise. Everyone left with something written down.",
        "Good group, lots of sharing, people looked after each other.",
    ],
    "What did not work so well?": [
        "We ran out of time on reporting online; it felt rushed.",
        "The morning overran and the afternoon was squeezed.",
        "",
    ],
    "Is there any content you would change?": [
        "Give the online reporting section its own slot with a worked example.",
        "Add a content warning before the scenarios about assault.",
        "",
    ],
    "Anything else about the session or the venue?": [
        "", "", "The room's hearing loop was not working; reported to the office."],
}

# Scores per person, cycled; the second run of Staying Safe (after the review) does better
# on confidence and on knowing where to get support.
RATINGS = [4, 5, 3, 4, 5, 4, 2, 5, 4, 3]
RATINGS_AFTER = [5, 4, 5, 4, 5, 4, 3, 5, 4, 5]
AGREEMENTS_BEFORE = [4, 3, 4, 2, 5, 3, 4, 3, 2, 4]
AGREEMENTS_AFTER = [5, 4, 5, 4, 5, 4, 3, 5, 4, 5]
NO_ANSWER = 6  # in each Staying Safe session, the person at this place in the list does not answer


def _answers(course_slug: str, n: int) -> bool:
    """Whether the n-th person who came gives feedback (other courses: fewer do, so their
    figures show the small-number rule)."""
    return n != NO_ANSWER if course_slug == STAYING_SAFE else n % 4 != 3


def _anonymous(n: int, earlier_run: bool) -> bool:
    """Whether the n-th person who came answers anonymously: one in three, and one in two
    on Staying Safe's runs in the earlier term (5 of the 9 who answer, so that term's pool
    holds 10 and is shown once closed)."""
    return n % 2 == 1 if earlier_run else n % 3 == 1


def load(users: dict, courses: dict) -> int:
    now = utcnow()
    added = ensure_default_questions()
    added += _staying_safe_questions(courses)
    review_day = _review_day(courses, now)
    added += _feedback(users, now, review_day)
    added += _review(users, courses, review_day)
    db.session.flush()
    return added


def _staying_safe_questions(courses: dict) -> int:
    course = courses.get(STAYING_SAFE)
    if course is None:
        return 0
    have = set(db.session.execute(
        select(FeedbackQuestion.text).where(FeedbackQuestion.course_id == course.id)
    ).scalars())
    added = 0
    for n, (kind, text) in enumerate(STAYING_SAFE_QUESTIONS):
        if text not in have:
            db.session.add(FeedbackQuestion(
                audience=FOR_STUDENTS, kind=kind, text=text, course_id=course.id, position=25 + n,
            ))
            added += 1
    db.session.flush()
    return added


def _staying_safe_runs(course, now: datetime) -> list[CourseSession]:
    """Staying Safe's completed group sessions that have ended, oldest first."""
    return list(db.session.execute(
        select(CourseSession)
        .where(CourseSession.course_id == course.id, CourseSession.status == COMPLETED,
               CourseSession.individual.is_(False), CourseSession.ends_at < now)
        .order_by(CourseSession.starts_at, CourseSession.id)
    ).scalars())


def _review_day(courses: dict, now: datetime) -> date | None:
    """The day Staying Safe's content review was held: three weeks after the last run but
    one (the run ten weeks ago; demo/sessions.py), or as stored once it exists. Every
    run before it delivered content version 1, and the runs before the one it followed
    are the earlier term's."""
    course = courses.get(STAYING_SAFE)
    if course is None:
        return None
    held_on = db.session.execute(
        select(ContentReview.held_on).where(ContentReview.course_id == course.id)
        .order_by(ContentReview.held_on).limit(1)
    ).scalar_one_or_none()
    if held_on is not None:
        return held_on
    runs = _staying_safe_runs(course, now)
    if not runs:
        return None
    followed = runs[-2] if len(runs) >= 2 else runs[0]
    return to_uk(followed.starts_at).date() + timedelta(weeks=REVIEW_AFTER_WEEKS)


REVIEW_AFTER_WEEKS = 3


def _feedback(users: dict, now: datetime, review_day: date | None) -> int:
    """Invitations, responses and reflections for every completed session that has none."""
    sessions = list(db.session.execute(
        select(CourseSession)
        .where(CourseSession.status == COMPLETED, CourseSession.ends_at < now)
        .where(~select(FeedbackInvitation.id).where(FeedbackInvitation.session_id == CourseSession.id).exists())
        .order_by(CourseSession.starts_at, CourseSession.id)
    ).scalars())
    if not sessions:
        return 0
    ids = [s.id for s in sessions]
    attendees: dict[int, list[int]] = defaultdict(list)
    for session_id, student_id in db.session.execute(
        select(Booking.session_id, Booking.student_id)
        .join(Attendance, Attendance.booking_id == Booking.id)
        .where(Booking.session_id.in_(ids), Booking.status == CONFIRMED, Attendance.status == PRESENT)
        .group_by(Booking.session_id, Booking.student_id)
        .order_by(Booking.session_id, Booking.student_id)
    ).all():
        attendees[session_id].append(student_id)
    team: dict[int, list[int]] = defaultdict(list)
    for session_id, user_id in db.session.execute(
        select(RosterAssignment.session_id, RosterAssignment.user_id)
        .where(RosterAssignment.session_id.in_(ids))
        .order_by(RosterAssignment.session_id, RosterAssignment.role)
    ).all():
        team[session_id].append(user_id)
    demo_student = users.get(DEMO_STUDENT)

    added = 0
    earlier_runs = 0
    for session in sessions:
        # Staying Safe's runs before its review delivered version 1 (the review raised it
        # to 2); the earlier term's runs came before the run the review followed.
        started = to_uk(session.starts_at).date()
        before_review = session.course.slug == STAYING_SAFE and review_day is not None and started < review_day
        earlier_run = before_review and started < review_day - timedelta(weeks=REVIEW_AFTER_WEEKS)
        if session.content_version is None:
            session.content_version = 1 if before_review else session.course.content_version
        # The earlier term's second run starts one further along the comments, so that its
        # pool does not list every comment twice.
        offset = earlier_runs if earlier_run else 0
        earlier_runs += earlier_run
        finished = to_uk(session.ends_at).date()
        questions = questions_for(session.course_id, FOR_STUDENTS)
        comments = _comment_pool(session)
        given: list[FeedbackResponse] = []
        # Attendees in a shuffled order, so which answers are anonymous (and what they say)
        # cannot be worked out from the order of their ids.
        rng = random.Random(f"feedback-{session.id}")
        shuffled = list(attendees.get(session.id, []))
        rng.shuffle(shuffled)
        answering = {
            user_id: _answers(session.course.slug, n) and not (demo_student is not None and user_id == demo_student.id)
            for n, user_id in enumerate(shuffled)
        }
        # Invitations in user-id order, as the app makes them.
        for user_id in attendees.get(session.id, []):
            db.session.add(FeedbackInvitation(
                session_id=session.id, user_id=user_id, audience=FOR_STUDENTS,
                created_at=session.completed_at or session.ends_at, emailed_at=session.completed_at,
                answered=answering[user_id],
            ))
            added += 1
        for n, user_id in enumerate(shuffled):
            if not answering[user_id]:
                continue
            anonymous = _anonymous(n, earlier_run)
            response = FeedbackResponse(
                session_id=session.id, audience=FOR_STUDENTS, anonymous=anonymous,
                respondent_id=None if anonymous else user_id,
                # As the app stores them: an anonymous response is dated by the session's day.
                given_on=finished if anonymous else finished + timedelta(days=rng.randint(0, 6)),
            )
            for q in questions:
                value, text = _answer(q, n, session, comments, offset)
                if value is None and not text:
                    continue
                response.answers.append(FeedbackAnswer(
                    question_id=q.id, question_text=q.text, kind=q.kind, value=value, text=text or None,
                ))
            given.append(response)
            added += 1 + len(response.answers)
        # Stored in a shuffled order too, so the order of the rows does not follow the
        # order of the invitations.
        db.session.flush()
        rng.shuffle(given)
        for response in given:
            db.session.add(response)
            db.session.flush()
        reflection_questions = questions_for(session.course_id, FOR_FACILITATORS)
        for n, user_id in enumerate(team.get(session.id, [])):
            db.session.add(FeedbackInvitation(
                session_id=session.id, user_id=user_id, audience=FOR_FACILITATORS,
                created_at=session.completed_at or session.ends_at, emailed_at=session.completed_at,
                answered=True,
            ))
            response = FeedbackResponse(
                session_id=session.id, audience=FOR_FACILITATORS, respondent_id=user_id,
                given_on=finished + timedelta(days=n),
            )
            for q in reflection_questions:
                pool = REFLECTIONS.get(q.text, [""])
                text = pool[n % len(pool)]
                if text:
                    response.answers.append(FeedbackAnswer(
                        question_id=q.id, question_text=q.text, kind=q.kind, text=text,
                    ))
            db.session.add(response)
            added += 2 + len(response.answers)
    db.session.flush()
    return added


def _comment_pool(session: CourseSession) -> dict[str, list[str]]:
    by_course = COMMENTS.get(session.course.slug)
    if by_course:
        return by_course.get(session.delivered_version, by_course[max(by_course)])
    return COMMENTS["default"]


def _answer(question: FeedbackQuestion, n: int, session: CourseSession, comments: dict,
            offset: int = 0) -> tuple[int | None, str]:
    improved = session.course.slug == STAYING_SAFE and session.delivered_version >= 2
    if question.kind == RATING:
        return (RATINGS_AFTER if improved else RATINGS)[n % len(RATINGS)], ""
    if question.kind == AGREEMENT:
        scores = AGREEMENTS_AFTER if improved else AGREEMENTS_BEFORE
        return scores[(n + question.position) % len(scores)], ""
    if question.kind == YES_NO:
        return (0 if (n + question.position) % 5 == 3 else 1), ""
    if question.kind == FREE_TEXT:
        pool = comments.get(question.text, [""])
        return None, pool[(n + offset) % len(pool)]
    return None, ""


def _review(users: dict, courses: dict, held_on: date | None) -> int:
    """The content review of Staying Safe held between its two recent runs."""
    course = courses.get(STAYING_SAFE)
    if course is None or held_on is None or db.session.execute(
        select(ContentReview.id).where(ContentReview.course_id == course.id)
    ).first():
        return 0
    admin: User | None = users.get(DEMO_ADMIN)
    review = ContentReview(
        course_id=course.id, held_on=held_on, status=REVIEW_COMPLETED,
        participants=(
            "Claire Donovan (police mental health co-ordinator), Marcus Bell (social worker), "
            "Leah Okoro (peer specialist), Alex Morgan (REC manager)"
        ),
        decisions=(
            "Reporting online crime gets its own 45-minute slot, with a worked example on the "
            "screen.\n\nA content warning is given before the scenarios, and people can step "
            "out without explaining.\n\nThe safety plan exercise moves to before lunch, so "
            "it is not squeezed."
        ),
        version_before=1, version_after=2,
        completed_at=uk_to_utc(held_on, time(16)), created_by_id=admin.id if admin else None,
        created_at=uk_to_utc(held_on, time(9)),
        you_said_we_did=(
            "You said the part about reporting crime online was rushed. We have given it its "
            "own slot and now go through a real example together, step by step.\n\n"
            "You said some scenarios were upsetting without warning. We now say before each "
            "one what it is about, and you can step out at any time."
        ),
        published_at=uk_to_utc(held_on + timedelta(days=2), time(10)),
    )
    # The comments and questions it considered, from the runs before it (all of version 1).
    # Comments given with a name only: an anonymous comment is never chosen by its id
    # (content_reviews/operations.py).
    picked = db.session.execute(
        select(FeedbackAnswer)
        .join(FeedbackResponse, FeedbackResponse.id == FeedbackAnswer.response_id)
        .join(CourseSession, CourseSession.id == FeedbackResponse.session_id)
        .where(CourseSession.course_id == course.id, CourseSession.starts_at < uk_day_start(held_on),
               FeedbackResponse.anonymous.is_(False), FeedbackAnswer.question_text == "What would you change?",
               FeedbackAnswer.text.like("%online%"))
        .order_by(CourseSession.starts_at.desc(), FeedbackAnswer.id)
    ).scalars().all()
    seen: set[str] = set()
    for answer in picked:  # each comment once (the latest run's first), however many wrote it
        if answer.text not in seen:
            seen.add(answer.text)
            review.items.append(ContentReviewItem(answer_id=answer.id))
    confident = db.session.execute(
        select(FeedbackQuestion.id).where(
            FeedbackQuestion.course_id == course.id, FeedbackQuestion.text == STAYING_SAFE_QUESTIONS[0][1]
        )
    ).scalar_one_or_none()
    if confident is not None:
        review.items.append(ContentReviewItem(question_id=confident, note="Lowest average of the day."))
    review.actions = [
        ContentReviewAction(
            description="Rewrite the online reporting section with a worked example.",
            owner="Claire Donovan", due_on=held_on + timedelta(weeks=2),
            done_at=uk_to_utc(held_on + timedelta(days=10), time(12)),
        ),
        ContentReviewAction(
            description="Add content warnings to the scenario slides.",
            owner="Leah Okoro", due_on=held_on + timedelta(weeks=2),
            done_at=uk_to_utc(held_on + timedelta(days=8), time(12)),
        ),
        ContentReviewAction(
            description="Ask the office to fix the hearing loop in Room 1.",
            owner="REC office", due_on=held_on + timedelta(weeks=12),
        ),
    ]
    db.session.add(review)
    course.content_version = max(course.content_version, 2)
    db.session.flush()
    return 1 + len(review.items) + len(review.actions)


