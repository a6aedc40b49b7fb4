"""Data rights: everything held about a person (export), and removing it (deletion and
retention). Operations flush, never commit.

``EXPORTED_TABLES`` names every table that holds a person's data and how it is found. A
test fails when a table with a link to ``users`` is added and is neither here nor in
``NOT_PERSONAL`` (with the reason), so a new feature cannot be forgotten.
"""

from __future__ import annotations

import json
from datetime import datetime

from flask import current_app
from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import selectinload

from rec_portal import audit
from rec_portal.errors import DomainError
from rec_portal.extensions import db
from rec_portal.models import (
    AccountInvitation,
    Attendance,
    AuditEvent,
    Booking,
    ContactTask,
    ContentReview,
    CourseSession,
    FacilitatorProfile,
    FeedbackAnswer,
    FeedbackInvitation,
    FeedbackQuestion,
    FeedbackResponse,
    LearningGoal,
    LearningPlan,
    OutboxMessage,
    OutcomeCheck,
    OutcomeInvitation,
    PasswordResetToken,
    PlanCourse,
    PlanReview,
    RosterAssignment,
    RosterOffer,
    SafetyPlan,
    SafetyPlanService,
    SavedDraft,
    StudentProfile,
    TrustedPerson,
    Unavailability,
    User,
    UserRole,
    UserSession,
    WorkshopRequest,
    WorkshopRequestNote,
)
from rec_portal.equality import queries as equality_queries
from rec_portal.referrals import operations as referral_operations
from rec_portal.support_requests import operations as support_request_operations
from rec_portal.models import EqualityAnswers, PlanConversation, Referral, SupportRequest, SupportRequestNote, Tutorship
from rec_portal.models.accounts import ADMIN, SUPPORT_LEAD
from rec_portal.models.referrals import ORG_TYPES
from rec_portal.models.students import CONTACT_PREFERENCES
from rec_portal.models.support_requests import CONCERN
from rec_portal.models.bookings import CANCELLED, WAITLISTED
from rec_portal.models.contact import LETTER as CONTACT_LETTER
from rec_portal.models.contact import OUTCOMES as CONTACT_OUTCOMES
from rec_portal.models.feedback import CHOICES, FOR_FACILITATORS, FREE_TEXT
from rec_portal.models.outbox import TEXT as OUTBOX_TEXT
from rec_portal.models.outcomes import CRIME_TYPES, REPORTED_TO, STAGE_LABELS
from rec_portal.models.workshops import WORKSHOP_CONTACT_METHODS
from rec_portal.models.safety import SECTIONS
from rec_portal.models.students import PROFILE_FIELDS
from rec_portal.timeutil import utcnow

# Table -> what the export calls it. Every one is filled in by ``collect``.
EXPORTED_TABLES = {
    "users": "account",
    "user_roles": "account",
    "student_profiles": "enrolment",
    "learning_plans": "learning_plan",
    "learning_goals": "learning_plan",
    "plan_courses": "learning_plan",
    "plan_reviews": "learning_plan",
    "safety_plans": "safety_plan",
    "trusted_people": "safety_plan",
    "safety_plan_services": "safety_plan",
    "bookings": "bookings",
    "user_sessions": "sign_ins",
    "password_reset_tokens": "password_resets",
    "audit_events": "activity",
    "outbox_messages": "emails",  # found by address, not by a foreign key
    "saved_drafts": "kept_while_signed_out",
    "facilitator_profiles": "facilitating",
    "facilitator_unavailability": "facilitating",
    "roster_assignments": "facilitating",
    "roster_offers": "facilitating",
    "attendance": "bookings",  # each booking lists the dates attended
    "feedback_responses": "feedback",  # named responses only: anonymous ones have no link
    "feedback_invitations": "feedback",  # the sessions you were asked about, and whether you answered
    "workshop_requests": "individual_workshops",
    "workshop_request_notes": "individual_workshops",  # staff notes on your requests
    "outcome_checks": "crime_questionnaires",
    "outcome_invitations": "crime_questionnaires",
    "contact_tasks": "calls_and_letters",  # lines on the staff call list about you
    "account_invitations": "account_invitations",
    # Issue 17 (each section is filled in by ``collect``):
    "tutorships": "personal_tutor",  # your tutor (as a student) or your students (as a tutor)
    "plan_conversations": "personal_tutor",  # conversations about your plan you asked for
    "referrals": "referral",  # a referral that became your record (found by student_id)
    "support_requests": "support_requests",  # requests you made, and concerns about you
    "support_request_notes": "support_requests",  # support leads' notes on them
    "equality_answers": "equality_monitoring",
}

# Tables that link to users but hold nothing about the person themselves.
NOT_PERSONAL: dict[str, str] = {
    "feedback_questions": "created_by_id only says which admin added a question to the bank",
    "content_reviews": "created_by_id only says which admin opened a course's content review",
    "class_messages": "sender_id only says who wrote to a class; each person's copy is in their own "
                      "emails, texts or call-list lines",
    "equality_terms": "only which terms' equality counts are stored, and when",
    "equality_term_figures": "counts by group of an ended term's equality answers, stored once; no "
                             "link to any person",
}
# (attendance.recorded_by_id only says which facilitator took a register; the register
# itself is about the students and is exported with their bookings.)


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _enrolment(profile: StudentProfile | None) -> dict:
    """Enrolment answers in words (codes such as "care_team" mean nothing to a reader)."""
    if profile is None:
        return {}
    answers = {name: getattr(profile, name) for name in PROFILE_FIELDS}
    answers["relationship_to_services"] = profile.relationship_label
    answers["referral_source"] = profile.referral_label
    answers["contact_preference"] = profile.contact_label
    return answers


def _own_emails(uid: int, address: str):
    """The person's emails: those queued for their account (at any address they used),
    and those to their address that belong to no account (a sign-up link). Not emails
    another account had sent to this address before this person took it on."""
    return or_(
        OutboxMessage.user_id == uid,
        and_(OutboxMessage.user_id.is_(None), OutboxMessage.to_address == address),
    )


def collect(user: User) -> dict:
    """Everything held about ``user``, as plain JSON-ready data."""
    uid = user.id
    profile = user.profile
    plan = db.session.get(LearningPlan, uid)
    safety = db.session.get(SafetyPlan, uid)
    rows = lambda stmt: db.session.execute(stmt).scalars().all()

    goals = rows(select(LearningGoal).where(LearningGoal.user_id == uid).order_by(LearningGoal.position, LearningGoal.id))
    interests = rows(select(PlanCourse).where(PlanCourse.user_id == uid).order_by(PlanCourse.added_at))
    reviews = rows(select(PlanReview).where(PlanReview.user_id == uid).order_by(PlanReview.review_date))
    people = rows(select(TrustedPerson).where(TrustedPerson.user_id == uid).order_by(TrustedPerson.position, TrustedPerson.id))
    services = rows(select(SafetyPlanService).where(SafetyPlanService.user_id == uid).order_by(SafetyPlanService.added_at))
    # Each booking's session and course (and each mark's date) loaded with the list, in a
    # fixed number of statements, not one by one per row.
    of_session = selectinload(Booking.session).selectinload(CourseSession.course)
    bookings = rows(select(Booking).where(Booking.student_id == uid).order_by(Booking.queued_at)
                    .options(of_session))
    sessions = rows(select(UserSession).where(UserSession.user_id == uid).order_by(UserSession.created_at))
    resets = rows(select(PasswordResetToken).where(PasswordResetToken.user_id == uid).order_by(PasswordResetToken.created_at))
    events = rows(
        select(AuditEvent)
        .where(or_(AuditEvent.actor_id == uid, AuditEvent.subject_id == uid))
        .order_by(AuditEvent.at, AuditEvent.id)
    )
    emails = rows(
        select(OutboxMessage)
        .where(_own_emails(uid, user.email))
        .order_by(OutboxMessage.created_at)
    )
    drafts = rows(select(SavedDraft).where(SavedDraft.user_id == uid).order_by(SavedDraft.created_at))
    attended = {}
    for mark in rows(select(Attendance).join(Booking, Booking.id == Attendance.booking_id)
                     .where(Booking.student_id == uid).options(selectinload(Attendance.session_date))):
        attended.setdefault(mark.booking_id, []).append(
            {"date": _iso(mark.session_date.starts_at), "attendance": mark.status}
        )
    facilitator = db.session.get(FacilitatorProfile, uid)
    days_off = rows(select(Unavailability).where(Unavailability.user_id == uid).order_by(Unavailability.day))
    assignments = rows(select(RosterAssignment).where(RosterAssignment.user_id == uid)
                       .order_by(RosterAssignment.assigned_at))
    offers = rows(select(RosterOffer).where(RosterOffer.user_id == uid).order_by(RosterOffer.created_at))
    invitations = rows(select(FeedbackInvitation).where(FeedbackInvitation.user_id == uid)
                       .order_by(FeedbackInvitation.created_at, FeedbackInvitation.id))
    responses = rows(select(FeedbackResponse).where(FeedbackResponse.respondent_id == uid)
                     .order_by(FeedbackResponse.given_on, FeedbackResponse.id))
    workshops = rows(select(WorkshopRequest).where(WorkshopRequest.student_id == uid)
                     .order_by(WorkshopRequest.created_at, WorkshopRequest.id))
    checks = rows(select(OutcomeCheck).where(OutcomeCheck.student_id == uid)
                  .order_by(OutcomeCheck.answered_at, OutcomeCheck.id))
    outcome_invitations = rows(select(OutcomeInvitation).where(OutcomeInvitation.student_id == uid)
                               .order_by(OutcomeInvitation.sent_at, OutcomeInvitation.id))
    calls = rows(select(ContactTask).where(ContactTask.user_id == uid)
                 .order_by(ContactTask.created_at, ContactTask.id))
    account_invitations = rows(select(AccountInvitation).where(AccountInvitation.user_id == uid)
                               .order_by(AccountInvitation.created_at, AccountInvitation.id))
    issue_17 = _issue_17_sections(user)

    return {
        "exported_at": _iso(utcnow()),
        "account": {
            "student_number": user.student_number,
            "full_name": user.full_name,
            "preferred_name": user.preferred_name,
            "email": user.email,
            "roles": sorted(user.role_names),
            "enrolled_at": _iso(user.created_at),
            "privacy_notice_agreed_at": _iso(user.privacy_consent_at),
            "last_signed_in_at": _iso(user.last_login_at),
            "optional_questions_not_now_at": _iso(user.optional_questions_not_now_at),
            "calendar_feed_switched_on": bool(user.calendar_token),
            "emails_show_course_titles": user.show_course_titles,
            # A person the REC team added agreed to the privacy notice by telling a member
            # of staff: when, how, and who.
            "consent_told_to_staff": {
                "when": _iso(user.privacy_consent_at), "how": user.consent_way,
                "taken_by": user.consent_taken_by.full_name if user.consent_taken_by else None,
            } if user.consent_taken_by_id or user.consent_note else None,
        },
        "enrolment": _enrolment(profile),
        "learning_plan": {
            "hopes": plan.hopes if plan else "",
            "strengths": plan.strengths if plan else "",
            "support": plan.support if plan else "",
            "goals": [
                {"goal": g.text, "steps": g.step_list, "target_date": _iso(g.target_date),
                 "status": g.status_label, "added_at": _iso(g.created_at)}
                for g in goals
            ],
            "courses_of_interest": [
                {"course": c.course.title, "added_at": _iso(c.added_at)} for c in interests
            ],
            "reviews": [
                {"review_date": _iso(r.review_date), "notes": r.notes,
                 "next_review_date": _iso(r.next_review_date),
                 "reviewer": r.reviewer.full_name if r.reviewer else None}
                for r in reviews
            ],
        },
        "safety_plan": {
            **{name: (getattr(safety, name) if safety else "") for name in SECTIONS},
            "trusted_people": [
                {"name": p.name, "relationship": p.relationship_to_me, "phone": p.phone} for p in people
            ],
            "support_services": [
                {"name": s.service.name, "phone": s.service.phone, "added_at": _iso(s.added_at)}
                for s in services
            ],
        },
        "bookings": [
            {"course": b.session.course.title, "starts_at": _iso(b.session.starts_at),
             "status": b.status, "booked_by": b.made_by, "booked_at": _iso(b.queued_at),
             "confirmed_at": _iso(b.confirmed_at), "cancelled_at": _iso(b.cancelled_at),
             "supporter": b.supporter_label or None,
             "offered_at": _iso(b.offered_at), "offer_held_until": _iso(b.offer_expires_at),
             "offer_lapsed_at": _iso(b.offer_lapsed_at),
             "attendance": attended.get(b.id, [])}
            for b in bookings
        ],
        "facilitating": {
            "organisation": facilitator.organisation if facilitator else None,
            "roles": facilitator.role_labels if facilitator else [],
            "bio": facilitator.bio if facilitator else None,
            "days_unavailable": [{"day": _iso(d.day), "note": d.note} for d in days_off],
            "sessions": [
                {"course": a.session.course.title, "starts_at": _iso(a.session.starts_at), "role": a.role_label}
                for a in assignments
            ],
            "offers_to_cover": [
                {"course": o.session.course.title, "starts_at": _iso(o.session.starts_at),
                 "role": o.role_label, "status": o.status}
                for o in offers
            ],
        },
        "sign_ins": [
            {"started_at": _iso(s.created_at), "last_used_at": _iso(s.last_seen_at),
             "ended_at": _iso(s.ended_at), "ended_because": s.ended_reason}
            for s in sessions
        ],
        "password_resets": [
            {"requested_at": _iso(t.created_at), "used_at": _iso(t.used_at)} for t in resets
        ],
        "activity": [
            {"when": _iso(e.at), "what": audit.EVENT_LABELS.get(e.event, e.event),
             "by_you": e.actor_id == uid,
             # Only the person's own IP addresses: never that of the staff member who
             # viewed their record, nor of whoever typed their address at the sign-in page.
             "from_ip_address": e.ip_address if e.actor_id == uid else None}
            for e in events
        ],
        "emails": [
            {"to": m.to_address, "subject": m.subject, "created_at": _iso(m.created_at), "status": m.status,
             "body": None if m.contains_secret else m.body_text}
            for m in emails if m.channel != OUTBOX_TEXT
        ],
        "text_messages": [
            {"to": m.to_address, "created_at": _iso(m.created_at), "status": m.status, "text": m.body_text}
            for m in emails if m.channel == OUTBOX_TEXT
        ],
        # Messages that went to the staff call list instead (a phone call or a letter).
        "calls_and_letters": [
            {"created_at": _iso(t.created_at), "by": "letter" if t.method == CONTACT_LETTER else "phone call",
             "why": t.reason, "what_to_tell_you": t.message,
             "outcome": CONTACT_OUTCOMES.get(t.outcome) if t.outcome else None,
             "outcome_note": t.outcome_note or None,
             "outcome_at": _iso(t.outcome_at), "attempts": t.attempts}
            for t in calls
        ],
        "account_invitations": [
            {"sent_to": i.email, "sent_at": _iso(i.created_at), "used_at": _iso(i.used_at)}
            for i in account_invitations
        ],
        "kept_while_signed_out": [
            {"form": d.form, "kept_at": _iso(d.created_at), "what_you_typed": json.loads(d.payload)}
            for d in drafts
        ],
        # Feedback given with a name. Anonymous feedback is not linked to anyone, so it
        # cannot be found (or deleted) for a person; only that they answered is kept.
        "feedback": {
            "asked_for": [
                {"course": i.session.course.title, "starts_at": _iso(i.session.starts_at),
                 "as": "facilitator" if i.audience == FOR_FACILITATORS else "student",
                 "answered": i.answered}
                for i in invitations
            ],
            "given_with_your_name": [
                {"course": r.session.course.title, "starts_at": _iso(r.session.starts_at),
                 "given_on": _iso(r.given_on),
                 "answers": [
                     {"question": a.question_text, "answer": _answer_words(a)} for a in r.answers
                 ]}
                for r in responses
            ],
        },
        "individual_workshops": [
            {"course": w.course.title, "asked_at": _iso(w.created_at), "status": w.status_label,
             "why_a_group_does_not_work": w.why_not_group, "what_would_help": w.what_would_help,
             "when_you_are_available": w.availability,
             "contact_by": WORKSHOP_CONTACT_METHODS.get(w.contact_method, w.contact_method),
             "contact_detail": w.contact_detail,
             "arranged_for": _iso(w.session.starts_at) if w.session else None,
             "notes_by_staff": [{"written_at": _iso(n.created_at), "note": n.text} for n in w.notes]}
            for w in workshops
        ],
        "crime_questionnaires": {
            "answers": [
                {"stage": STAGE_LABELS.get(c.stage, c.stage), "answered_at": _iso(c.answered_at),
                 "victim_of_crime_in_last_12_months": c.victim, "how_many_times": c.times,
                 "kinds_of_crime": [CRIME_TYPES.get(t.crime_type, t.crime_type) for t in c.crime_types],
                 "reported": c.reported,
                 "reported_to": [REPORTED_TO.get(b.body, b.body) for b in c.reported_to],
                 "got_support": c.got_support}
                for c in checks
            ],
            "invitations": [
                {"stage": STAGE_LABELS.get(i.stage, i.stage), "sent_at": _iso(i.sent_at)}
                for i in outcome_invitations
            ],
        },
        **issue_17,
    }


# --- Issue 17: personal tutors, referrals, support requests, equality monitoring -------------


def _issue_17_sections(user: User) -> dict:
    """The export's sections for the issue-17 tables, a fixed number of statements."""
    uid = user.id
    rows = lambda stmt: db.session.execute(stmt).scalars().all()  # noqa: E731
    my_tutor = db.session.get(Tutorship, uid)
    my_students = rows(select(Tutorship).where(Tutorship.tutor_id == uid)
                       .options(selectinload(Tutorship.student)).order_by(Tutorship.assigned_at))
    conversations = rows(select(PlanConversation).where(PlanConversation.student_id == uid)
                         .order_by(PlanConversation.created_at, PlanConversation.id))
    referrals = rows(select(Referral).where(Referral.student_id == uid).order_by(Referral.created_at, Referral.id))
    requests = rows(select(SupportRequest).where(SupportRequest.person_id == uid)
                    .options(selectinload(SupportRequest.notes)).order_by(SupportRequest.created_at, SupportRequest.id))
    raised = rows(select(SupportRequest).where(SupportRequest.raised_by_id == uid, SupportRequest.kind == CONCERN)
                  .options(selectinload(SupportRequest.session).selectinload(CourseSession.course))
                  .order_by(SupportRequest.created_at, SupportRequest.id))
    equality = equality_queries.answers_of(user)
    yes_no = {True: "Yes", False: "No", None: "Not said"}
    return {
        "personal_tutor": {
            "your_tutor": {
                "name": my_tutor.tutor.full_name, "since": _iso(my_tutor.assigned_at),
                "plan_reviewed_every_months": my_tutor.review_every_months,
            } if my_tutor else None,
            "conversations_you_asked_for": [
                {"asked_at": _iso(c.created_at), "how": c.way_label, "when_suits_you": c.when_suits,
                 "what_about": c.note, "status": c.status_label, "arranged_for": _iso(c.arranged_for),
                 "where_or_how": c.arranged_details or None,
                 "with": c.tutor.full_name if c.tutor else "the REC team"}
                for c in conversations
            ],
            # A tutor's caseload: only who their students are. The students' plans and
            # reviews are the students' own data, in their own downloads.
            "your_students_as_a_tutor": [
                {"name": t.student.full_name, "since": _iso(t.assigned_at)} for t in my_students
            ],
        },
        # The referral is about the person, so a subject access request gets all of it,
        # including who referred them and that professional's work contact details.
        "referral": [
            {"referred_at": _iso(r.created_at), "organisation_type": ORG_TYPES.get(r.org_type, r.org_type),
             "organisation": r.referrer_organisation, "referred_by": r.referrer_name,
             "their_role": r.referrer_role, "their_email": r.referrer_email, "their_phone": r.referrer_phone,
             "your_name_as_given": r.person_name, "your_email_as_given": r.person_email,
             "your_phone_as_given": r.person_phone,
             "contact_by": CONTACT_PREFERENCES.get(r.person_contact_preference, r.person_contact_preference),
             "your_postal_address_as_given": r.person_postal_address, "contact_notes": r.contact_notes,
             "why": r.reason, "you_agreed_to_be_referred": r.person_agreed, "status": r.status_label,
             "outcome_note": r.outcome_note}
            for r in referrals
        ],
        "support_requests": {
            # Requests the person made themselves: all of it, with the support leads' notes.
            "you_asked_to_be_contacted": [
                {"asked_at": _iso(r.created_at), "from": r.came_from_label, "how": r.how_label,
                 "contact_detail": r.contact_detail, "safe_times": r.safe_times,
                 "may_leave_a_message": yes_no[r.may_leave_message], "your_words": r.details,
                 "status": r.status_label, "closed_at": _iso(r.closed_at),
                 "notes_by_the_support_lead": [{"written_at": _iso(n.created_at), "note": n.body} for n in r.notes]}
                for r in requests if r.kind != CONCERN
            ],
            # A facilitator's concern about the person's safety is their personal data, but
            # disclosing what was written (and the support leads' notes on it) could put
            # them or the facilitator at risk or stop concerns being raised (UK GDPR
            # Article 23, DPA 2018 Schedule 3: serious harm). So the download says that a
            # concern exists, when, and its state; the words are given only if the support
            # lead decides, on a request to the REC, that it is safe (privacy notice).
            "concerns_about_your_safety": [
                {"raised_at": _iso(r.created_at), "status": r.status_label, "closed_at": _iso(r.closed_at)}
                for r in requests if r.kind == CONCERN
            ],
            # As a facilitator: the concerns they raised, in their own words (not whom
            # about, nor what the support lead did: that is the student's data).
            "concerns_you_raised": [
                {"raised_at": _iso(r.created_at),
                 "session": (f"{r.session.course.title}, {_iso(r.session.starts_at)}") if r.session else None,
                 "your_words": r.details}
                for r in raised
            ],
        },
        "equality_monitoring": equality_queries.in_words(equality) if equality else [],
    }


def _answer_words(answer: FeedbackAnswer) -> str | None:
    if answer.kind == FREE_TEXT:
        return answer.text
    return dict(CHOICES.get(answer.kind, [])).get(answer.value)


def record_download(user: User, what: str) -> None:
    audit.record(audit.OWN_DATA_DOWNLOADED, actor=user, subject=user, detail=what)


def anonymise(user: User, *, now: datetime | None = None) -> None:
    """Remove or anonymise everything personal about ``user``. What stays: the row (so
    bookings and attendance still count), with no name, email or password; bookings with
    their dates and status. Future places are given up (and offered to the waiting list)."""
    from rec_portal.bookings.operations import cancel_booking

    now = now or utcnow()
    uid = user.id
    old_email = user.email

    # Give up places and waiting-list spots in sessions that have not finished (a
    # session of several dates may have started), so nobody offers this account a place.
    # Waiting lists go first: giving up a place serves the person's own other waiting
    # lists for the course, which must not offer the account being deleted a place.
    upcoming = db.session.execute(
        select(Booking.id)
        .join(CourseSession, CourseSession.id == Booking.session_id)
        .where(
            Booking.student_id == uid, Booking.status != CANCELLED,
            or_(CourseSession.ends_at > now, Booking.status == WAITLISTED),
        )
        .order_by(Booking.status != WAITLISTED, Booking.id)
    ).scalars().all()
    # A place with attendance recorded is kept (it cannot be cancelled): it still counts.
    from rec_portal.bookings.operations import marked_bookings

    kept = marked_bookings(list(upcoming))
    for booking_id in upcoming:
        if booking_id in kept:
            continue
        cancel_booking(booking_id, now=now)  # tells anyone given the place freed

    # A facilitator leaves the rosters of sessions still to come (they show as gaps);
    # past assignments stay, for delivery and fidelity counts, under the anonymous row.
    db.session.execute(
        delete(RosterAssignment).where(
            RosterAssignment.user_id == uid,
            RosterAssignment.session_id.in_(select(CourseSession.id).where(CourseSession.ends_at > now)),
        )
    )
    for model in (LearningGoal, PlanCourse, PlanReview, TrustedPerson, SafetyPlanService, SavedDraft,
                  UserSession, PasswordResetToken, UserRole, Unavailability, RosterOffer, ContactTask,
                  AccountInvitation):
        db.session.execute(delete(model).where(model.user_id == uid))
    # Feedback invitations stay, under the anonymous row: they hold only a session and
    # whether it was answered. Deleting them would change the response rate of a term
    # whose figures are shown, and by how much would tell whether the person had answered
    # anonymously.
    # Feedback given with a name goes (its comments may say who wrote them); anonymous
    # feedback was never linked to the person and stays in the figures.
    db.session.execute(delete(FeedbackResponse).where(FeedbackResponse.respondent_id == uid))
    # Answers about crime are sensitive: they go, with their invitations. Workshop requests
    # stay as counts (status and course) with nothing the person wrote and no staff notes.
    db.session.execute(delete(OutcomeCheck).where(OutcomeCheck.student_id == uid))
    db.session.execute(delete(OutcomeInvitation).where(OutcomeInvitation.student_id == uid))
    own_requests = select(WorkshopRequest.id).where(WorkshopRequest.student_id == uid)
    db.session.execute(delete(WorkshopRequestNote).where(WorkshopRequestNote.request_id.in_(own_requests)))
    db.session.execute(
        update(WorkshopRequest).where(WorkshopRequest.student_id == uid)
        .values(why_not_group="", what_would_help="", availability="", contact_detail="")
    )
    db.session.execute(update(WorkshopRequestNote).where(WorkshopRequestNote.author_id == uid).values(author_id=None))
    # Bookings stay as counts, without who came with the person. (Call-list lines about
    # them, with staff's notes of each call, went above with ContactTask.)
    db.session.execute(update(Booking).where(Booking.student_id == uid).values(supporter=""))
    for model in (LearningPlan, SafetyPlan, StudentProfile, FacilitatorProfile):
        db.session.execute(delete(model).where(model.user_id == uid))
    _anonymise_issue_17(uid, now)
    db.session.execute(update(PlanReview).where(PlanReview.reviewer_id == uid).values(reviewer_id=None))
    for model in (FeedbackQuestion, ContentReview):
        db.session.execute(update(model).where(model.created_by_id == uid).values(created_by_id=None))
    db.session.execute(
        delete(OutboxMessage).where(
            _own_emails(uid, old_email)
        )
    )
    # Audit rows keep what happened and when, not where from.
    db.session.execute(
        update(AuditEvent)
        .where(or_(AuditEvent.actor_id == uid, AuditEvent.subject_id == uid))
        .values(ip_address=None)
    )
    db.session.expire(user, ["roles", "profile"])

    user.email = f"deleted-{uid}@deleted.invalid"
    user.full_name = "Deleted account"
    user.preferred_name = ""
    user.password_hash = "!"  # matches no password
    user.active = False
    user.privacy_consent_at = None
    user.consent_note = ""
    user.last_login_at = None
    user.optional_questions_not_now_at = None
    user.calendar_token = None
    user.show_course_titles = False
    user.anonymised_at = now
    db.session.flush()


def _anonymise_issue_17(uid: int, now: datetime) -> None:
    """Personal tutors, plan conversations, referrals, support requests and equality
    answers: what is about the person goes; counts stay (a referral's organisation type
    and status, for the term report). The one exception: a request for help or a concern
    about them that is still open stays (with a note saying the account was deleted) until
    the support lead closes it, then goes with the other closed requests."""
    db.session.execute(delete(Tutorship).where(or_(Tutorship.student_id == uid, Tutorship.tutor_id == uid)))
    db.session.execute(update(Tutorship).where(Tutorship.assigned_by_id == uid).values(assigned_by_id=None))
    db.session.execute(delete(PlanConversation).where(PlanConversation.student_id == uid))
    # Conversations a tutor was to hold go to the REC team (no tutor), as when reassigned.
    db.session.execute(update(PlanConversation).where(PlanConversation.tutor_id == uid).values(tutor_id=None))
    db.session.execute(update(PlanConversation).where(PlanConversation.arranged_by_id == uid)
                       .values(arranged_by_id=None))
    db.session.execute(
        update(Referral).where(Referral.student_id == uid).values(**referral_operations.MINIMISED)
    )
    db.session.execute(update(Referral).where(Referral.handled_by_id == uid).values(handled_by_id=None))
    support_request_operations.account_deleted(
        uid, now, days=current_app.config["REC_SUPPORT_REQUEST_RETENTION_DAYS"])
    # A concern a facilitator raised stays with the student it is about, without them.
    db.session.execute(update(SupportRequest).where(SupportRequest.raised_by_id == uid).values(raised_by_id=None))
    db.session.execute(update(SupportRequestNote).where(SupportRequestNote.author_id == uid).values(author_id=None))
    db.session.execute(delete(EqualityAnswers).where(EqualityAnswers.user_id == uid))


LAST_ADMIN_MESSAGE = (
    "You are the only admin. Give another person the admin role before you delete your account"
)


def delete_account(user: User) -> None:
    """The person deletes their own account (the caller then signs them out). Raises
    DomainError for the last active admin (nobody could run the REC afterwards)."""
    if user.has_role(ADMIN):
        other_admins = db.session.execute(
            select(func.count()).select_from(UserRole).join(User, User.id == UserRole.user_id)
            .where(UserRole.role == ADMIN, User.id != user.id, User.active.is_(True))
        ).scalar_one()
        if not other_admins:
            raise DomainError(LAST_ADMIN_MESSAGE, field="password")
    anonymise(user)
    event = audit.record(audit.ACCOUNT_DELETED, subject=user)
    event.ip_address = None  # nothing that points back at the person


# --- For a person without an online account, done by staff -------------------------------
# A person the REC team added cannot sign in, so cannot download or delete their data
# themselves: an admin prints it for them, or deletes their record when they ask.


def _not_for_staff(person: User, what: str) -> str | None:
    if person.anonymised_at is not None:
        return "This record has already been deleted. Nothing personal is kept"
    if person.has_online_account:
        return (f"{person.full_name} has an online account, so they can {what} themselves, "
                "from “My account”. Staff cannot do it for them")
    return None


def why_staff_cannot_print(person: User) -> str | None:
    """Why an admin may not print this person's data for them, or None if they may."""
    return _not_for_staff(person, "download their data")


def why_staff_cannot_delete(person: User) -> str | None:
    """Why an admin may not delete this person's record, or None if they may."""
    if reason := _not_for_staff(person, "delete their account"):
        return reason
    if person.has_role(ADMIN):
        return "An admin’s record cannot be deleted here. Remove their admin role first"
    return None


SUPPORT_REQUESTS_NOT_PRINTED = ("Requests for help and safety concerns are not printed here: "
                                "ask the REC’s support lead.")


def data_for_staff(staff: User, person: User) -> dict:
    """Everything held about ``person`` (the same as their own download), for an admin to
    print for them; requests for help and concerns only if ``staff`` is a support lead.
    Audited as staff exporting it (the caller commits once the document is made)."""
    if reason := why_staff_cannot_print(person):
        raise DomainError(reason)
    data = collect(person)
    if not staff.has_role(SUPPORT_LEAD):
        # Only support leads may know that someone asked for help or that a facilitator is
        # worried about them: for any other admin the print leaves every part of it out,
        # and says so whether or not there is anything (so it tells them nothing).
        data["support_requests"] = {"not_printed": SUPPORT_REQUESTS_NOT_PRINTED}
    audit.record(audit.EXPORTED, actor=staff, subject=person,
                 detail="everything held about them (PDF), printed by staff")
    return data


def delete_for_staff(staff: User, person: User) -> None:
    """An admin deletes the record of a person without an online account at their request:
    the same as deleting one's own account (``anonymise``). Refused for someone with an
    online account (they do it themselves) and for an admin."""
    if reason := why_staff_cannot_delete(person):
        raise DomainError(reason)
    anonymise(person)
    audit.record(audit.ACCOUNT_DELETED_BY_STAFF, actor=staff, subject=person)


MIN_RETENTION_MONTHS = 12


def _months_ago(now: datetime, months: int) -> datetime:
    year, month = divmod(now.month - 1 - months, 12)
    year += now.year
    month += 1
    day = min(now.day, 28)
    return now.replace(year=year, month=month, day=day)


def apply_retention(months: int, *, now: datetime | None = None) -> int:
    """Anonymise accounts with no sign-in (or, never signed in, no enrolment) for more than
    ``months`` months. Admin accounts are left alone. Safe to repeat. Returns how many.
    The other steps of ``rec apply-retention`` are in ``retention.py``."""
    if months < MIN_RETENTION_MONTHS:
        raise ValueError(f"the retention period must be at least {MIN_RETENTION_MONTHS} months")
    now = now or utcnow()
    cutoff = _months_ago(now, months)
    last_active = func.coalesce(User.last_login_at, User.created_at)
    admins = select(UserRole.user_id).where(UserRole.role == ADMIN)
    # Someone booked by phone may never sign in: a booking (made or attended) since the
    # cutoff counts as activity too.
    recent_bookings = (
        select(Booking.student_id)
        .join(CourseSession, CourseSession.id == Booking.session_id)
        .where(or_(Booking.queued_at >= cutoff, CourseSession.ends_at >= cutoff))
    )
    users = db.session.execute(
        select(User).where(
            User.anonymised_at.is_(None), last_active < cutoff, User.id.not_in(admins),
            User.id.not_in(recent_bookings),
        )
    ).scalars().all()
    for user in users:
        anonymise(user, now=now)
        event = audit.record(audit.ACCOUNT_ANONYMISED, subject=user)
        event.ip_address = None
    return len(users)
