"""Plain functions that make test data with sensible defaults. Callers commit."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from rec_portal.passwords import hash_password
from rec_portal.extensions import db
from rec_portal.models import User, UserRole
from rec_portal.timeutil import utcnow

PASSWORD = "blue-kettle-morning-42"
_seq = itertools.count(1)


@dataclass(frozen=True)
class Ref:
    id: int
    email: str


def make_user(
    *,
    roles=("student",),
    email: str | None = None,
    full_name: str | None = None,
    preferred_name: str | None = None,
    password: str = PASSWORD,
    active: bool = True,
) -> User:
    n = next(_seq)
    roles = set(roles or ("student",))
    user = User(
        email=(email or f"person{n}@example.org").lower(),
        full_name=full_name or f"Test Person {n}",
        preferred_name=preferred_name or f"Tester{n}",
        password_hash=hash_password(password),
        active=active,
        privacy_consent_at=utcnow(),
    )
    user.roles = [UserRole(role=r) for r in sorted(roles)]
    return _added(user)


def make_course(*, title: str = "Staying Safe", slug: str | None = None, status: str = "published", **fields):
    from rec_portal.models import Course

    n = next(_seq)
    course = Course(
        slug=slug or f"course-{n}",
        title=title,
        summary=fields.pop("summary", f"Summary of {title}"),
        status=status,
        **fields,
    )
    return _added(course)


def make_session(
    *,
    course=None,
    capacity: int = 12,
    starts_in_days: float = 14,
    hours: float = 6,
    dates: int = 1,
    status: str = "scheduled",
    at_hour: int | None = None,
    **fields,
):
    """A session starting ``starts_in_days`` from now, with ``dates`` weekly dates; with
    ``at_hour``, the first date starts on that day at that hour (UTC) instead, so a test
    that reads times does not depend on when it runs."""
    from datetime import timedelta

    from rec_portal.models import CourseSession, SessionDate

    course = course or make_course()
    first = utcnow().replace(microsecond=0) + timedelta(days=starts_in_days)
    if at_hour is not None:
        first = first.replace(hour=at_hour, minute=0, second=0)
    session_dates = [
        SessionDate(starts_at=first + timedelta(weeks=i), ends_at=first + timedelta(weeks=i, hours=hours))
        for i in range(dates)
    ]
    session = CourseSession(
        course=course,
        capacity=capacity,
        status=status,
        venue=fields.pop("venue", "Recovery Education Centre, Room 2"),
        starts_at=session_dates[0].starts_at,
        ends_at=session_dates[-1].ends_at,
        dates=session_dates,
        **fields,
    )
    return _added(session)


def fill_places(session, n: int, *, status: str = "confirmed") -> list:
    """``n`` new students, each with a booking of ``status`` on ``session``."""
    from datetime import timedelta

    from rec_portal.models import Booking

    now = utcnow()
    bookings = []
    for i in range(n):
        student = make_user()
        queued = now + timedelta(seconds=i)
        bookings.append(
            Booking(
                session_id=session.id,
                student_id=student.id,
                status=status,
                made_by_user_id=student.id,
                queued_at=queued,
                confirmed_at=queued if status == "confirmed" else None,
            )
        )
    db.session.add_all(bookings)
    db.session.flush()
    return bookings


# --- Outcomes (issue 7) -------------------------------------------------------------------------

def make_attended_session(students, *, course=None, ended_days_ago: float = 200, present: bool = True):
    """A completed session of ``course`` (default: a new Staying Safe, slug staying-safe)
    that ended ``ended_days_ago``, with each of ``students`` booked and marked present
    (or absent)."""
    from rec_portal.models import Attendance, Booking, Course
    from sqlalchemy import select

    if course is None:
        course = db.session.execute(select(Course).where(Course.slug == "staying-safe")).scalar_one_or_none()
        course = course or make_course(title="Staying Safe", slug="staying-safe")
    session = make_session(course=course, starts_in_days=-ended_days_ago, hours=6, status="completed")
    session.completed_at = session.ends_at
    for student in students:
        booking = Booking(session_id=session.id, student_id=student.id, status="confirmed",
                          made_by_user_id=student.id, confirmed_at=session.starts_at)
        db.session.add(booking)
        db.session.flush()
        db.session.add(Attendance(booking_id=booking.id, session_date_id=session.dates[0].id,
                                  status="present" if present else "absent"))
    db.session.flush()
    return session


def make_outcome_check(student, *, stage: str = "baseline", answered_at=None, victim=False, times=None,
                       reported=None, got_support=None, crime_types=(), reported_to=(), session=None):
    from rec_portal.models import OutcomeCheck, OutcomeCrimeType, OutcomeReportedTo

    check = OutcomeCheck(
        student_id=student.id, stage=stage, answered_at=answered_at or utcnow(), victim=victim, times=times,
        reported=reported, got_support=got_support, session_id=getattr(session, "id", None),
    )
    check.crime_types = [OutcomeCrimeType(crime_type=c) for c in crime_types]
    check.reported_to = [OutcomeReportedTo(body=b) for b in reported_to]
    return _added(check)


# --- Bookings, attendance and rosters ------------------------------------------------------------

_UNSET = object()


def _id(row_or_id) -> int:
    """A row's id, or the id itself (web tests often hold ids, not rows)."""
    return getattr(row_or_id, "id", row_or_id)


def _added(row):
    """``row`` added to the session and flushed, so it has its id."""
    db.session.add(row)
    db.session.flush()
    return row


def make_booking(session, student, status: str = "confirmed", *, queued_at=None, confirmed_at=_UNSET, **fields):
    """``student``'s (a row or an id) booking of ``status`` on ``session``, queued ``queued_at`` (default: 20
    days before it starts) and, if confirmed, confirmed then (unless ``confirmed_at`` is
    given). Made by the student unless ``made_by_user_id``/``made_by`` say otherwise."""
    from datetime import timedelta

    from rec_portal.models import Booking

    queued_at = queued_at or session.starts_at - timedelta(days=20)
    if confirmed_at is _UNSET:
        confirmed_at = queued_at if status == "confirmed" else None
    fields.setdefault("made_by_user_id", _id(student))
    booking = Booking(session_id=session.id, student_id=_id(student), status=status, queued_at=queued_at,
                      confirmed_at=confirmed_at, **fields)
    return _added(booking)


def mark_attendance(booking, session, statuses) -> None:
    """``statuses``: one of "present", "absent" or None (not marked) per date."""
    from rec_portal.models import Attendance

    for session_date, status in zip(session.dates, statuses, strict=True):
        if status:
            db.session.add(Attendance(booking_id=booking.id, session_date_id=session_date.id, status=status))
    db.session.flush()


def make_attendance(booking, session_date=None, status: str = "present", **fields):
    """One attendance mark for ``booking`` on ``session_date`` (rows or ids; default: the
    booking's session's first date)."""
    from rec_portal.models import Attendance

    session_date = session_date or booking.session.dates[0]
    row = Attendance(booking_id=_id(booking), session_date_id=_id(session_date), status=status, **fields)
    return _added(row)


def add_to_roster(session, user, role: str = "peer_specialist", **fields):
    """``user`` on ``session``'s roster as ``role`` (no rules checked: a row as it may be
    stored). ``session`` and ``user`` may be rows or ids."""
    from rec_portal.models import RosterAssignment

    row = RosterAssignment(session_id=_id(session), user_id=_id(user), role=role, **fields)
    return _added(row)


def make_roster_offer(session, user, role: str = "peer_specialist", **fields):
    """``user``'s offer (pending unless ``status`` says otherwise) to cover ``role`` on
    ``session`` (rows or ids)."""
    from rec_portal.models import RosterOffer

    offer = RosterOffer(session_id=_id(session), user_id=_id(user), role=role, **fields)
    return _added(offer)


def make_unavailability(user, day, note: str = ""):
    """``user`` (a row or an id) cannot work on ``day`` (a UK calendar date)."""
    from rec_portal.models import Unavailability

    row = Unavailability(user_id=_id(user), day=day, note=note)
    return _added(row)


def make_past_session(title="Staying Safe", slug=None, *, dates=1, status="completed", days_ago=30, **kw):
    """A session of a new course ``title`` that started ``days_ago`` (completed by default)."""
    course = make_course(title=title, slug=slug or title.lower().replace(" ", "-"))
    return make_session(course=course, starts_in_days=-days_ago, dates=dates, status=status, **kw)


def make_facilitator_profile(user, *roles, organisation: str = "Anyshire Police", bio: str = "",
                             active: bool = True):
    """A facilitator profile for ``user`` holding ``roles`` (none if none are given)."""
    from rec_portal.models import FacilitatorProfile, FacilitatorRole

    profile = FacilitatorProfile(user_id=user.id, organisation=organisation, bio=bio, active=active,
                                 roles=[FacilitatorRole(role=r) for r in roles])
    return _added(profile)


def make_facilitator(*roles, name: str | None = None, preferred_name: str | None = None,
                     email: str | None = None, organisation: str = "Anyshire Police", bio: str = "",
                     active: bool = True, account_roles=("facilitator",), default_role: str | None = "peer_specialist",
                     profile: bool = True):
    """A person with the facilitator account role and a facilitator profile holding ``roles``
    (``default_role`` if none are given; no role at all with ``default_role=None``).
    With ``profile=False``, only the account: someone given the role but not yet set up."""
    user = make_user(roles=account_roles, full_name=name, preferred_name=preferred_name, email=email)
    if not profile:
        return user
    held = roles or ((default_role,) if default_role else ())
    make_facilitator_profile(user, *held, organisation=organisation, bio=bio, active=active)
    db.session.expire(user, ["facilitator"])
    return user


# --- Rosters (courses that need roles, sessions at a given time) -------------------------------------

STAYING_SAFE_ROLES = {"police_mh_coordinator": 1, "social_worker": 1, "peer_specialist": 1}


def make_course_needing(title="Staying Safe", roles=None, **kwargs):
    """A course that needs ``roles`` ({role: count}; default: one of each Staying Safe role)."""
    from rec_portal.models import CourseRoleNeed

    course = make_course(title=title, **kwargs)
    for role, count in (roles if roles is not None else STAYING_SAFE_ROLES).items():
        course.roles_needed.append(CourseRoleNeed(role=role, count=count))
    db.session.flush()
    db.session.expire(course, ["roles_needed"])  # reloaded in the model's order, as on a page
    return course


def make_session_at(course, starts, *, hours: float = 5, weeks: int = 1, every_days: int = 7,
                    status: str = "scheduled", venue="Recovery Education Centre, Room 1", capacity: int = 12,
                    **fields):
    """A session whose first date starts at ``starts`` (naive UTC), with ``weeks`` dates
    ``every_days`` apart; or, if ``starts`` is a list, one date starting at each. Every
    date lasts ``hours``. ``fields``: the session's other columns (individual, completed_at...)."""
    from datetime import timedelta

    from rec_portal.models import CourseSession, SessionDate

    if not isinstance(starts, list):
        starts = [starts + i * timedelta(days=every_days) for i in range(weeks)]
    dates = [SessionDate(starts_at=start, ends_at=start + timedelta(hours=hours)) for start in starts]
    session = CourseSession(
        course=course, capacity=capacity, status=status, venue=venue,
        starts_at=dates[0].starts_at, ends_at=dates[-1].ends_at, dates=dates, **fields,
    )
    return _added(session)


def soon(days: float = 14, hour: int = 10):
    """A UTC time ``days`` from now, at ``hour`` o'clock."""
    from datetime import timedelta

    return (utcnow() + timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)


def staying_safe_team():
    """A police co-ordinator, a social worker and a peer specialist."""
    return (
        make_facilitator("police_mh_coordinator", name="Claire Donovan"),
        make_facilitator("social_worker", name="Marcus Bell", organisation="Adult social care"),
        make_facilitator("peer_specialist", name="Sam Patel", organisation="Peer forum"),
    )


# --- Feedback ---------------------------------------------------------------------------------------


def make_feedback_question(text="What would you change?", *, kind="text", course=None, audience="student",
                           position: int = 1, **fields):
    """A question in the bank, asked about ``course`` (a row or an id; None: every course).
    ``fields``: the model's other columns (hint, retired_at, replaces_id, created_by_id)."""
    from rec_portal.models.feedback import FeedbackQuestion

    question = FeedbackQuestion(audience=audience, kind=kind, text=text,
                                course_id=None if course is None else _id(course), position=position, **fields)
    return _added(question)


def make_session_delivered(course, *, days_ago: int = 10):
    """A session that has happened and is completed, with the version it delivered."""
    return make_session(course=course, starts_in_days=-days_ago, status="completed",
                        content_version=course.content_version)


def make_comments(course, texts, *, session=None, question=None, respondent=None,
                  anonymous: bool = False) -> list:
    """One response per text, each answering ``question``: given with a name (``respondent``'s,
    or a new person's each) unless ``anonymous``. Anonymous comments can only be chosen for a
    review through their pool (feedback/queries.py), never by id."""
    from datetime import date

    session = session or make_session_delivered(course)
    question = question or make_feedback_question()
    answers = []
    for text in texts:
        who = None if anonymous else (respondent or make_user())
        response = make_feedback_response(session, audience=question.audience, anonymous=anonymous,
                                          respondent_id=getattr(who, "id", None), given_on=date(2026, 3, 1))
        answers.append(make_feedback_answer(response, question, text if question.kind == "text" else 4))
    return answers


def make_feedback_questions(course_id: int | None = None) -> dict[str, int]:
    """The bank for these tests (the migration's defaults are wiped after the first test)."""
    from sqlalchemy import delete

    from rec_portal.models.feedback import FeedbackQuestion

    db.session.execute(delete(FeedbackQuestion))
    rows = {
        "rating": FeedbackQuestion(audience="student", kind="rating", position=10,
                                   text="Overall, how would you rate the course?"),
        "agreement": FeedbackQuestion(audience="student", kind="agreement", position=20,
                                      text="The course met my expectations.", hint="Think about what you hoped for."),
        "yes_no": FeedbackQuestion(audience="student", kind="yes_no", position=30,
                                   text="Would you recommend the course to someone else?"),
        "helpful": FeedbackQuestion(audience="student", kind="text", position=40, text="What was most helpful?"),
        "change": FeedbackQuestion(audience="student", kind="text", position=50, text="What would you change?"),
        "worked": FeedbackQuestion(audience="facilitator", kind="text", position=10, text="What worked well?"),
        "venue": FeedbackQuestion(audience="facilitator", kind="text", position=20,
                                  text="Anything else about the session or the venue?"),
    }
    if course_id is not None:
        rows["safe"] = FeedbackQuestion(audience="student", kind="agreement", position=25, course_id=course_id,
                                        text="I feel more confident about keeping myself safe.")
    db.session.add_all(rows.values())
    db.session.flush()
    return {key: q.id for key, q in rows.items()}


def make_feedback_response(session, answers: dict | None = None, *, respondent_id=_UNSET,
                           audience: str = "student", anonymous: bool = False, given_on=None):
    """A response to ``session`` (a row or an id) given on ``given_on`` (default today), with
    an answer to each question (a row or an id) in ``answers`` (a text question's value is
    its text): given with a name (``respondent_id``'s, or a new person's; ``None``: a named
    response whose person is gone) unless ``anonymous``."""
    from datetime import date

    from rec_portal.models.feedback import FeedbackResponse

    if anonymous:
        respondent_id = None
    elif respondent_id is _UNSET:
        respondent_id = make_user().id
    response = FeedbackResponse(
        session_id=_id(session), audience=audience, anonymous=anonymous,
        respondent_id=respondent_id, given_on=given_on or date.today(),
    )
    db.session.add(response)
    for question, value in (answers or {}).items():
        make_feedback_answer(response, question, value)
    db.session.flush()
    return response


def make_feedback_answer(response, question, value=None, *, text=None, **fields):
    """``response``'s answer to ``question`` (a row or an id) under its current wording and
    kind (unless ``question_text``/``kind`` say otherwise): ``value`` is the text of a text
    question's answer, else the score (``text`` sets the text as well)."""
    from rec_portal.models.feedback import FeedbackAnswer, FeedbackQuestion

    question = question if isinstance(question, FeedbackQuestion) else db.session.get(FeedbackQuestion, question)
    fields.setdefault("question_text", question.text)
    fields.setdefault("kind", question.kind)
    if fields["kind"] == "text":
        value, text = None, value if text is None else text
    answer = FeedbackAnswer(question_id=question.id, value=value, text=text, **fields)
    response.answers.append(answer)
    db.session.flush()
    return answer


def invite_to_feedback(session_id: int, users: list, answered: int, audience: str = "student") -> None:
    """Invite ``users``; the first ``answered`` of them answered."""
    from rec_portal.models.feedback import FeedbackInvitation

    for i, user in enumerate(users):
        db.session.add(FeedbackInvitation(session_id=session_id, user_id=user.id, audience=audience,
                                          answered=i < answered))
    db.session.flush()


def make_feedback_invitation(session, user, *, audience: str = "student", answered: bool = False, **fields):
    from rec_portal.models.feedback import FeedbackInvitation

    invitation = FeedbackInvitation(session_id=session.id, user_id=user.id, audience=audience, answered=answered,
                                    **fields)
    return _added(invitation)


def make_content_review(course, *, held_on=None, version_before: int | None = None, **fields):
    """A review of ``course`` (a row or an id; a draft unless ``status`` says otherwise) held
    ``held_on`` (default today), of the version it has now unless ``version_before`` is given."""
    from datetime import date

    from rec_portal.models.feedback import ContentReview

    from rec_portal.models import Course

    if version_before is None:
        version_before = db.session.get(Course, _id(course)).content_version
    review = ContentReview(course_id=_id(course), held_on=held_on or date.today(), version_before=version_before,
                           **fields)
    return _added(review)


# --- Students: profiles, plans, safety plans, support guide, workshops ----------------------------------

def make_student_profile(user, **fields):
    """``user``'s (a row or an id) profile: the model's defaults for anything not given.
    The plan, goal, safety plan and trusted person factories below take rows or ids too."""
    from rec_portal.models import StudentProfile

    profile = StudentProfile(user_id=_id(user), **fields)
    return _added(profile)


def make_learning_plan(user, **fields):
    from rec_portal.models import LearningPlan

    plan = LearningPlan(user_id=_id(user), **fields)
    return _added(plan)


def make_goal(user, text: str = "Go to a course", **fields):
    """One of ``user``'s learning goals (not started unless ``status`` says otherwise)."""
    from rec_portal.models import LearningGoal

    goal = LearningGoal(user_id=_id(user), text=text, **fields)
    return _added(goal)


def make_safety_plan(user, **fields):
    from rec_portal.models import SafetyPlan

    plan = SafetyPlan(user_id=_id(user), **fields)
    return _added(plan)


def make_trusted_person(user, name: str = "Alex Morgan", **fields):
    """Someone ``user`` trusts, on their safety plan."""
    from rec_portal.models import TrustedPerson

    person = TrustedPerson(user_id=_id(user), name=name, **fields)
    return _added(person)


def add_service_to_safety_plan(user, service):
    """``service`` (a row or an id) from the guide, chosen for ``user``'s safety plan."""
    from rec_portal.models.safety import SafetyPlanService

    row = SafetyPlanService(user_id=_id(user), service_id=_id(service))
    return _added(row)


def make_support_service(name: str = "Anyshire Crisis Line", *, needs=(), **fields):
    """An entry in the support guide helping with ``needs`` (codes from models.support.NEEDS)."""
    from rec_portal.models import SupportService, SupportServiceNeed

    service = SupportService(name=name, **fields)
    service.needs = [SupportServiceNeed(need=n) for n in needs]
    return _added(service)


def make_workshop_request(student, course=None, **fields):
    """``student``'s request for an individual workshop of ``course`` (default: a new course)."""
    from rec_portal.models import WorkshopRequest

    request = WorkshopRequest(student_id=student.id, course_id=(course or make_course()).id, **fields)
    return _added(request)


# --- Accounts, audit, drafts and email: rows the retention and data rights tests look at -------------

def make_user_session(user, *, token_hash: str | None = None, **fields):
    """A signed-in session of ``user`` (a row or an id) with a random token (only its hash is
    stored); created and last seen now unless ``created_at``/``last_seen_at`` say otherwise."""
    import secrets

    from rec_portal.models import UserSession

    row = UserSession(token_hash=token_hash or secrets.token_hex(32), user_id=_id(user), **fields)
    return _added(row)


def make_reset_token(user, *, token_hash: str | None = None, created_at=None, expires_at=None, **fields):
    """A password reset link for ``user`` (a row or an id) made ``created_at`` (default now)
    and running out an hour later unless ``expires_at`` is given; unused unless ``used_at``."""
    import secrets
    from datetime import timedelta

    from rec_portal.models import PasswordResetToken

    created_at = created_at or utcnow()
    row = PasswordResetToken(token_hash=token_hash or secrets.token_hex(32), user_id=_id(user),
                             created_at=created_at, expires_at=expires_at or created_at + timedelta(hours=1),
                             **fields)
    return _added(row)


def make_audit_event(actor, event: str = "login.succeeded", *, subject=_UNSET, **fields):
    """An audit event by ``actor`` (a row, an id or None) about ``subject`` (default: the
    actor), at now unless ``at`` says otherwise."""
    from rec_portal.models import AuditEvent

    subject = actor if subject is _UNSET else subject
    row = AuditEvent(event=event, actor_id=None if actor is None else _id(actor),
                     subject_id=None if subject is None else _id(subject), **fields)
    return _added(row)


def make_saved_draft(user, form: str = "safety_plan", payload: str = "{}", **fields):
    """What ``user`` (a row or an id) had typed into ``form`` (JSON), kept after a timeout."""
    from rec_portal.models import SavedDraft

    row = SavedDraft(user_id=_id(user), form=form, payload=payload, **fields)
    return _added(row)


def make_outbox_message(user=None, *, to_address: str | None = None, subject: str = "A message from the REC",
                        body_text: str = "Hello", **fields):
    """An email in the outbox (pending unless ``status`` says otherwise) to ``to_address``
    (default: ``user``'s address), kept as ``user``'s (a row; None: nobody's) unless
    ``user_id`` says otherwise."""
    from rec_portal.models import OutboxMessage

    fields.setdefault("user_id", None if user is None else user.id)
    row = OutboxMessage(to_address=to_address or user.email, subject=subject, body_text=body_text, **fields)
    return _added(row)


# --- Contact preferences and the call list ---------------------------------------------------

def make_student_who_prefers(preference: str = "email", *, phone: str = "", email: bool = True,
                             show_course_titles: bool = False, **fields) -> User:
    """A student whose profile says ``preference`` (email, text, phone or letter) with
    ``phone``; ``email=False``: a person the REC team added, with no email address and no
    online account."""
    user = make_user(**fields)
    user.show_course_titles = show_course_titles
    if not email:
        user.email = None
        user.password_hash = None
    make_student_profile(user, phone=phone, contact_preference=preference)
    db.session.refresh(user)
    return user


def make_contact_task(person, *, message: str = "Their place is booked.", reason: str = "Prefers a phone call",
                      kind: str = "booking_confirmed", method: str = "phone", **fields):
    """A line on the staff call list for ``person`` (a row)."""
    from rec_portal.models.contact import ContactTask

    task = ContactTask(user_id=person.id, kind=kind, method=method, reason=reason, message=message, **fields)
    return _added(task)


def make_person_without_account(*, full_name: str = "Pat Jones", phone: str = "07700 900123",
                                contact_preference: str = "text", email: str | None = None,
                                added_by=None, **profile):
    """A student the REC team added (no password: no online account), with a profile."""
    from rec_portal.models import StudentProfile

    user = User(
        email=email, password_hash=None, full_name=full_name, preferred_name=full_name.split()[0],
        active=True, privacy_consent_at=utcnow(), consent_note="By phone",
        consent_taken_by_id=_id(added_by) if added_by else None,
        added_by_id=_id(added_by) if added_by else None,
    )
    user.roles = [UserRole(role="student")]
    _added(user)
    _added(StudentProfile(user=user, phone=phone, contact_preference=contact_preference, **profile))
    return user


# --- support_requests (issue 17)

def make_support_request(person, *, kind: str = "asked", status: str = "new", details: str = "I would like to talk.",
                         **fields):
    """A support request about ``person`` (asked by them unless ``raised_by`` is given)."""
    from rec_portal.models import SupportRequest

    if kind == "asked":
        fields.setdefault("how", "phone")
        fields.setdefault("contact_detail", "07700 900555")
        fields.setdefault("may_leave_message", False)
        fields.setdefault("came_from", "account")
    else:
        fields.setdefault("came_from", "reflection")
    request = SupportRequest(kind=kind, status=status, details=details, person_id=_id(person) if person else None,
                             raised_by_id=_id(fields.pop("raised_by", person)) if (person or "raised_by" in fields)
                             else None, **fields)
    return _added(request)


# --- referrals (issue 17)

def make_referral(*, status: str = "new", person_name: str = "Jordan Reeve", org_type: str = "police",
                  days_ago: float = 1, changed_days_ago: float | None = None, **fields):
    """A referral from a professional (a row), received ``days_ago`` and in ``status``
    since ``changed_days_ago`` (default: when it was received)."""
    from datetime import timedelta

    from rec_portal.models import Referral

    now = utcnow()
    fields.setdefault("referrer_name", "Casey Officer")
    fields.setdefault("referrer_organisation", "Anyshire Police")
    fields.setdefault("referrer_role", "Mental health co-ordinator")
    fields.setdefault("referrer_email", "casey.officer@example.org")
    fields.setdefault("person_phone", "07700 900456")
    fields.setdefault("person_contact_preference", "phone")
    fields.setdefault("reason", "Would like to learn ways to stay safe.")
    fields.setdefault("person_agreed", True)
    created = now - timedelta(days=days_ago)
    changed = now - timedelta(days=changed_days_ago) if changed_days_ago is not None else created
    return _added(Referral(status=status, person_name=person_name, org_type=org_type, created_at=created,
                           status_changed_at=changed, **fields))


# --- tutoring (issue 17)

def make_tutor(**kwargs):
    """Someone holding the personal tutor role (and no other unless ``roles`` says)."""
    kwargs.setdefault("roles", ("tutor",))
    return make_user(**kwargs)


def make_tutorship(student, tutor, *, review_every_months: int = 3, assigned_at=None, **fields):
    """``tutor`` is ``student``'s personal tutor (both rows or ids), assigned now unless
    ``assigned_at`` says otherwise."""
    from rec_portal.models.tutoring import Tutorship

    row = Tutorship(student_id=_id(student), tutor_id=_id(tutor), review_every_months=review_every_months,
                    assigned_at=assigned_at or utcnow(), **fields)
    return _added(row)


def make_tutored_student(tutor, **kwargs):
    """A new student whose personal tutor is ``tutor`` (returns the student)."""
    student = make_user(**kwargs)
    make_tutorship(student, tutor)
    return student


def make_plan_review(student, reviewer=None, *, review_date, next_review_date=None, notes: str = "We talked."):
    from rec_portal.models.plans import PlanReview

    row = PlanReview(user_id=_id(student), reviewer_id=_id(reviewer) if reviewer else None,
                     review_date=review_date, next_review_date=next_review_date, notes=notes)
    return _added(row)


def make_plan_conversation(student, tutor=None, *, way: str = "in_person", status: str = "requested", **fields):
    from rec_portal.models.tutoring import PlanConversation

    row = PlanConversation(student_id=_id(student), tutor_id=_id(tutor) if tutor else None, way=way,
                           status=status, **fields)
    return _added(row)


# --- pathways (issue 17)

def make_pathway(courses=(), *, title: str = "Keeping safe", rule: str = "in_order", required_count=None,
                 status: str = "published", summary: str = "Courses that build on each other.", **fields):
    """A pathway of ``courses`` (rows, in order), published unless ``status`` says otherwise."""
    from rec_portal.models import Pathway, PathwayCourse

    n = next(_seq)
    pathway = Pathway(title=title, slug=fields.pop("slug", f"pathway-{n}"), summary=summary, rule=rule,
                      required_count=required_count, status=status, **fields)
    pathway.steps = [PathwayCourse(course=course, position=i) for i, course in enumerate(courses)]
    return _added(pathway)


def complete_course(student, course, *, days_ago: float = 30, present: bool = True):
    """``student`` (a row or an id) had a confirmed place on a one-date session of ``course``
    that ended ``days_ago`` days ago, marked present (or absent). Returns the booking."""
    session = make_session(course=course, starts_in_days=-days_ago, hours=3, status="completed")
    booking = make_booking(session, student)
    make_attendance(booking, session.dates[0], "present" if present else "absent")
    return booking
