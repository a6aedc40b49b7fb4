import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import case, func, select

from rec_portal.stats.terms import term_of
from rec_portal.passwords import verify_password
from rec_portal.extensions import db
from rec_portal.models import (
    Booking,
    Course,
    CourseSession,
    OutboxMessage,
    SessionDate,
    User,
)
from rec_portal.timeutil import to_uk, utcnow
from tests import factories

DEMO_LOGINS = ("admin@example.org", "facilitator@example.org", "student@example.org")


def _users(app):
    with app.app_context():
        return {u.email or u.full_name: u.role_names for u in db.session.execute(select(User)).scalars()}


def test_demo_data_creates_the_demo_logins(app, web, client):
    result = app.test_cli_runner().invoke(args=["rec", "demo-data"])
    assert result.exit_code == 0 and "Demo data loaded: 93 new accounts" in result.output
    users = _users(app)
    # The three demo logins, with their roles; everyone else is a demo student.
    assert {email: users[email] for email in DEMO_LOGINS} == {
        "admin@example.org": {"admin", "student"},
        "facilitator@example.org": {"facilitator", "student"},
        "student@example.org": {"student"},
    }
    others = {email: roles for email, roles in users.items() if email not in DEMO_LOGINS}
    students = {email for email, roles in others.items() if roles == {"student"}}
    facilitators = {email for email, roles in others.items() if roles == {"facilitator"}}
    # 40 current and 50 former students, and one added by staff with no email address;
    # co-delivery needs every role.
    tutors = {email: roles for email, roles in others.items() if "tutor" in roles}
    assert tutors == {"tutor@example.org": {"tutor"}, "peer.tutor@example.org": {"tutor", "student"}}
    assert len(students) == 91 and len(facilitators) == 7
    # Issue 17: staff demo logins of the new roles (support lead: demo/support_requests.py).
    new_roles = {email for email, roles in others.items() if roles & {"support_lead", "tutor"}}
    assert others["support-lead@example.org"] == {"support_lead", "admin"}
    assert students | facilitators | new_roles | set(tutors) == set(others)
    assert all(email.endswith("@example.org") for email in others if email != "Brenda Hale")
    with app.app_context():
        brenda = db.session.execute(select(User).where(User.full_name == "Brenda Hale")).scalar_one()
        assert brenda.email is None and not brenda.has_online_account
        assert brenda.profile.contact_preference == "text" and brenda.profile.phone.startswith("07")
        assert db.session.get(User, brenda.added_by_id).email == "admin@example.org"
        assert db.session.get(User, brenda.consent_taken_by_id).email == "admin@example.org"
        assert brenda.privacy_consent_at is not None and brenda.consent_note.startswith("By phone")
    logins = app.test_cli_runner().invoke(args=["rec", "demo-logins"]).output
    assert "Brenda Hale has no online account" in logins
    assert "tutor@example.org" in logins and "peer.tutor@example.org" in logins
    assert "support-lead@example.org" in logins
    web.login("admin@example.org", "demo-password")
    assert client.get("/admin").status_code == 200
    again = app.test_cli_runner().invoke(args=["rec", "demo-data", "--if-empty"])
    assert "already has accounts" in again.output and _users(app) == users


def test_demo_data_is_refused_in_production(app):
    app.config["REC_ENV"] = "production"
    try:
        result = app.test_cli_runner().invoke(args=["rec", "demo-data"])
    finally:
        app.config["REC_ENV"] = "testing"
    assert result.exit_code == 1 and "Refusing to load demo data" in result.output
    assert _users(app) == {}


def test_create_admin(app):
    result = app.test_cli_runner().invoke(
        args=["rec", "create-admin", "--email", "Boss@Example.org", "--name", "Pat Boss"],
        input="river-stone-lantern-9\nriver-stone-lantern-9\n",
    )
    assert result.exit_code == 0, result.output
    assert "Admin account created for boss@example.org" in result.output
    with app.app_context():
        user = db.session.execute(select(User)).scalar_one()
        assert user.role_names == {"admin", "student"}
        assert verify_password(user.password_hash, "river-stone-lantern-9")


def test_create_admin_refuses_a_weak_password(app):
    result = app.test_cli_runner().invoke(
        args=["rec", "create-admin", "--email", "b@example.org", "--name", "B", "--password", "password1"]
    )
    assert result.exit_code == 1 and "Password not accepted" in result.output
    assert _users(app) == {}


def test_create_admin_promotes_an_existing_account(app):
    with app.app_context():
        factories.make_user(email="jo@example.org")
        db.session.commit()
    result = app.test_cli_runner().invoke(
        args=["rec", "create-admin", "--email", "jo@example.org", "--name", "Jo", "--password", "unused-password-1"]
    )
    assert "Gave the admin role" in result.output
    assert _users(app)["jo@example.org"] == {"admin", "student"}


# --- Demo courses, sessions and bookings -----------------------------------------------------

def _load_demo(app):
    result = app.test_cli_runner().invoke(args=["rec", "demo-data"])
    assert result.exit_code == 0, result.output
    return result.output


def _table_counts(app) -> dict[str, int]:
    with app.app_context():
        return {
            model.__name__: db.session.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (User, Course, CourseSession, SessionDate, Booking, OutboxMessage)
        }


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_demo_staying_safe_is_published_with_its_three_co_delivery_roles(app, client):
    _load_demo(app)
    with app.app_context():
        course = db.session.execute(select(Course).where(Course.slug == "staying-safe")).scalar_one()
        assert course.title == "Staying Safe" and course.status == "published"
        assert {n.role: n.count for n in course.roles_needed} == {
            "police_mh_coordinator": 1, "social_worker": 1, "peer_specialist": 1,
        }
        assert course.content_version == 2 and course.for_staff  # open to service users, carers and staff
        assert "personal safety plan" in course.description
        assert course.learning_outcomes and course.what_to_expect and course.accessibility
        assert "co-delivered" in course.coproduction_note
    page = _text(client.get("/courses/staying-safe").get_data(as_text=True))
    assert "Police mental health co-ordinator" in page and "Social worker" in page
    assert "Booking opens on" in page  # its last date is not open for booking yet


def test_demo_courses_cover_every_audience_and_both_kinds_of_delivery(app):
    _load_demo(app)
    with app.app_context():
        courses = db.session.execute(select(Course)).scalars().all()
        by_status = {s: [c for c in courses if c.status == s] for s in ("published", "draft", "archived")}
        assert len(by_status["published"]) >= 11
        assert len(by_status["draft"]) == 1 and len(by_status["archived"]) == 1
        published = by_status["published"]
        assert {c.delivery for c in published} == {"in_person", "online"}
        assert any(c.for_carers and not c.for_service_users and not c.for_staff for c in published)
        assert any(c.for_staff and not c.for_service_users and not c.for_carers for c in published)
        for course in courses:
            assert course.summary and course.description and course.learning_outcomes, course.slug
            assert course.roles_needed, course.slug
        # Group sessions (the individual workshops' one-to-one sessions have capacity 1).
        individual = db.session.execute(select(CourseSession).where(CourseSession.individual.is_(True))).scalars().all()
        assert sorted((s.capacity, s.status) for s in individual) == [(1, "completed"), (1, "scheduled")]
        sessions = db.session.execute(select(CourseSession).where(CourseSession.individual.is_(False))).scalars().all()
        assert {len(s.dates) for s in sessions} == {1, 4}
        assert all(8 <= s.capacity <= 16 for s in sessions)
        assert all(s.course.status == "published" for s in sessions)
        now = utcnow()
        upcoming = [s for s in sessions if s.starts_at > now]
        assert all((s.starts_at - now).days <= 100 for s in upcoming)
        assert all(s.venue or "meet.example.org" in s.online_details for s in sessions)
        assert [s.status for s in sessions if s.starts_at <= now] == ["completed"] * 6  # Introduction to Recovery; Staying Safe twice this term and twice in a closed one (feedback demo); Managing Stress (pathways demo)


def test_demo_student_has_a_place_a_waiting_list_and_a_past_course(app, web, client):
    _load_demo(app)
    with app.app_context():
        rows = db.session.execute(
            select(Booking.status, Course.slug, CourseSession.starts_at, CourseSession.status)
            .join(User, User.id == Booking.student_id)
            .join(CourseSession, CourseSession.id == Booking.session_id)
            .join(Course, Course.id == CourseSession.course_id)
            .where(User.email == "student@example.org")
        ).all()
        facilitator_bookings = db.session.execute(
            select(func.count()).select_from(Booking).join(User, User.id == Booking.student_id)
            .where(User.email == "facilitator@example.org", Booking.status == "confirmed")
        ).scalar_one()
    now = utcnow()
    assert ("confirmed", "staying-safe") in {(st, slug) for st, slug, start, _ in rows if start > now}
    assert any(st == "waitlisted" and start > now for st, _, start, _ in rows)
    assert any(st == "confirmed" and start < now and ss == "completed" for st, _, start, ss in rows)
    assert facilitator_bookings >= 1

    web.login("student@example.org", "demo-password")
    page = _text(client.get("/my/courses").get_data(as_text=True))
    booked, rest = page.split("Waiting lists", 1)
    waiting, past = rest.split("Past sessions", 1)
    assert "Staying Safe" in booked
    assert "Understanding Anxiety" in waiting and "number 3 in line" in waiting
    assert "Introduction to Recovery" in past


def test_demo_sessions_include_full_ones_with_waiting_lists(app):
    _load_demo(app)
    with app.app_context():
        counts = db.session.execute(
            select(
                CourseSession.id,
                CourseSession.capacity,
                func.sum(case((Booking.status == "confirmed", 1), else_=0)),
                func.sum(case((Booking.status == "waitlisted", 1), else_=0)),
            )
            .join(Booking, Booking.session_id == CourseSession.id)
            .group_by(CourseSession.id)
        ).all()
    assert all(confirmed <= capacity for _, capacity, confirmed, _ in counts)
    full_with_waiting = [sid for sid, capacity, confirmed, waiting in counts if confirmed == capacity and waiting]
    assert len(full_with_waiting) >= 2


def test_demo_bookings_include_cancelled_places_and_people_who_left_a_waiting_list(app):
    _load_demo(app)
    with app.app_context():
        cancelled = db.session.execute(
            select(Booking.confirmed_at.is_(None), Booking.cancelled_at >= Booking.queued_at)
            .where(Booking.status == "cancelled")
        ).all()
        people = db.session.execute(
            select(func.count(func.distinct(Booking.student_id))).where(Booking.status == "cancelled")
        ).scalar_one()
    left_list = [never_placed for never_placed, _ in cancelled if never_placed]
    assert len(cancelled) >= 10 and 1 <= len(left_list) < len(cancelled)
    assert all(later for _, later in cancelled)  # cancelled after (or when) asking
    assert people >= 10  # not the same few people every time


def test_demo_data_is_safe_to_run_twice(app):
    first = _load_demo(app)
    after_first = _table_counts(app)
    # The individual workshops' sessions and bookings, and the phone-only student's bookings
    # (made by staff in demo/reaching.py), are counted with the features' "other records".
    with app.app_context():
        individual = db.session.execute(select(CourseSession.id).where(CourseSession.individual.is_(True))).scalars().all()
        on_them = db.session.execute(select(func.count()).select_from(Booking).where(Booking.session_id.in_(individual))).scalar_one()
        by_phone = db.session.execute(
            select(func.count()).select_from(Booking).join(User, User.id == Booking.student_id)
            .where(User.email.is_(None))
        ).scalar_one()
        # The pathways demo's past Managing Stress morning, with its places (demo/pathways.py).
        pathway_session = db.session.execute(
            select(CourseSession.id).where(CourseSession.online_details.contains("managing-stress-past"))).scalar_one()
        pathway_places = db.session.execute(
            select(func.count()).select_from(Booking).where(Booking.session_id == pathway_session)).scalar_one()
    assert len(individual) == on_them == 2
    assert by_phone == 2
    assert f"{after_first['Course']} courses, {after_first['CourseSession'] - 2 - 1} sessions, " \
        f"{after_first['Booking'] - 2 - by_phone - pathway_places} bookings" in first
    assert after_first["OutboxMessage"] == 0  # nobody is emailed about demo bookings
    second = _load_demo(app)
    assert "nothing new to add" in second
    assert _table_counts(app) == after_first


def test_demo_data_adds_courses_to_a_database_with_only_the_demo_logins(app):
    """A database from before the demo courses existed gets them, with the bookings of the
    demo logins that are already there."""
    with app.app_context():
        factories.make_user(email="student@example.org")
        db.session.commit()
    output = _load_demo(app)
    assert "92 new accounts" in output
    with app.app_context():
        mine = db.session.execute(
            select(func.count()).select_from(Booking).join(User, User.id == Booking.student_id)
            .where(User.email == "student@example.org")
        ).scalar_one()
    # a place, a waiting list, a past course, an individual workshop (workshops demo) and a
    # past Managing Stress morning (pathways demo)
    assert mine == 5


def test_catalogue_and_course_page_show_the_demo_courses(app, client):
    _load_demo(app)
    with app.app_context():
        published = set(db.session.execute(select(Course.title).where(Course.status == "published")).scalars())
    listing = ""
    for page in (1, 2):
        response = client.get(f"/courses?page={page}")
        assert response.status_code == 200
        listing += response.get_data(as_text=True)
    shown = set(re.findall(r'class="nhsuk-card__link" href="/courses/[^"]+">([^<]+)</a>', listing))
    assert shown == published and "Staying Safe" in shown
    assert "Understanding Personality Disorder" not in listing  # draft
    assert "Creative Writing for Wellbeing" not in listing  # archived
    assert "Full – waiting list" in _text(listing)  # Understanding Anxiety's next date

    response = client.get("/courses/staying-safe")
    assert response.status_code == 200
    page = _text(response.get_data(as_text=True))
    assert "Staying Safe" in page and "personal safety plan" in page
    assert "Recovery Education Centre, 12 Station Road" in page


def test_demo_feedback_is_varied_reviewed_and_keeps_anonymous_answers_unlinkable(app, client):
    from rec_portal.models import ContentReview, FeedbackAnswer, FeedbackInvitation, FeedbackResponse
    from rec_portal.timeutil import to_uk

    _load_demo(app)
    with app.app_context():
        staying_safe = db.session.execute(select(Course).where(Course.slug == "staying-safe")).scalar_one()
        responses = db.session.execute(
            select(FeedbackResponse).join(CourseSession, CourseSession.id == FeedbackResponse.session_id)
            .where(CourseSession.course_id == staying_safe.id, FeedbackResponse.audience == "student")
        ).scalars().all()
        assert len({r.session_id for r in responses}) == 4
        anonymous = [r for r in responses if r.anonymous]
        assert anonymous and len(anonymous) < len(responses)
        comments = db.session.execute(
            select(FeedbackAnswer.text).join(FeedbackResponse).join(CourseSession)
            .where(CourseSession.course_id == staying_safe.id, FeedbackAnswer.kind == "text")
        ).scalars().all()
        assert len(set(comments)) >= 8  # varied comments, not one repeated
        ratings = {a.value for r in responses for a in r.answers if a.kind == "rating"}
        assert len(ratings) >= 3
        # Nothing stored points at the author of an anonymous response: it has no
        # respondent, it is dated by its session's last day (not the day it was given) ...
        for r in anonymous:
            assert r.respondent_id is None
            assert r.given_on == to_uk(r.session.ends_at).date()
        # ... and each session's invitations are in the order of the people's ids.
        invitations = db.session.execute(
            select(FeedbackInvitation.session_id, FeedbackInvitation.user_id)
            .where(FeedbackInvitation.audience == "student").order_by(FeedbackInvitation.id)
        ).all()
        for session_id in {s for s, _ in invitations}:
            users = [u for s, u in invitations if s == session_id]
            assert users == sorted(users)
        # One completed review of Staying Safe raised its content version, with what it
        # considered and its actions, and its "You said, we did" is on the course page.
        [review] = db.session.execute(select(ContentReview).where(ContentReview.course_id == staying_safe.id)).scalars()
        assert (review.status, review.version_before, review.version_after) == ("completed", 1, 2)
        assert staying_safe.content_version == 2 and review.items and review.actions
        assert review.published_at is not None
        # It considered comments given with a name only: an anonymous comment is never
        # chosen by its id (that would tie it to its session and to when it was written).
        considered = [item.answer for item in review.items if item.answer_id]
        assert considered and not any(a.response.anonymous for a in considered)
        # Every run before it delivered version 1 (the earlier term's too), the runs after it 2.
        runs = db.session.execute(
            select(CourseSession).where(CourseSession.course_id == staying_safe.id, CourseSession.status == "completed",
                                        CourseSession.individual.is_(False))
        ).scalars().all()
        assert sorted((to_uk(s.starts_at).date() < review.held_on, s.content_version) for s in runs) == [
            (False, 2), (True, 1), (True, 1), (True, 1),
        ]
        summary_start = review.you_said_we_did.split()[:4]
    page = _text(client.get("/courses/staying-safe").get_data(as_text=True))
    assert "You said, we did" in page and " ".join(summary_start) in page


# --- The demo's anonymous feedback pools -------------------------------------------------------

def _clock(monkeypatch, moment):
    """Every part of the portal's "now" (the demo's "today" and the feedback dashboard's), at
    ``moment`` (naive UTC). Every module is imported first, so that none imported later keeps
    the stand-in after the test."""
    import importlib
    import pkgutil
    import sys

    import rec_portal
    from rec_portal import timeutil

    for info in pkgutil.walk_packages(rec_portal.__path__, "rec_portal."):
        importlib.import_module(info.name)
    real = timeutil.utcnow
    for name, module in list(sys.modules.items()):
        if name.startswith("rec_portal") and getattr(module, "utcnow", None) is real:
            monkeypatch.setattr(module, "utcnow", lambda: moment)


def _anonymous_section(client, course_id: int) -> str:
    html = client.get(f"/admin/feedback/courses/{course_id}").get_data(as_text=True)
    return _text(html[html.index('id="anonymous"'):])


def _demo_pool_shown(app, client, web) -> str:
    """Loads the demo and checks what the admin sees in the anonymous feedback of Staying
    Safe and of Introduction to Recovery; returns the key of the term whose pool of
    Staying Safe is shown."""
    _load_demo(app)
    with app.app_context():
        ids = dict(db.session.execute(select(Course.slug, Course.id)).all())
    web.login("admin@example.org", "demo-password")
    staying_safe = _anonymous_section(client, ids["staying-safe"])
    recovery = _anonymous_section(client, ids["introduction-to-recovery"])
    # One of Staying Safe's pools is shown: how many, the scores and the comments, each
    # dated only by the term.
    shown = re.findall(r"(\w+) term (\d{4}) \([A-Za-z ]+\) (\d+) anonymous responses this term\.", staying_safe)
    assert len(shown) == 1, staying_safe[:1500]
    [(season, year, count)] = shown
    label = f"{season} term {year}"
    assert int(count) >= 8
    closed = staying_safe.split(f"{label} (", 1)[1]
    assert f"Anonymous, {label}" in closed and "Add to a review" in closed
    assert re.search(r"“Overall, how would you rate the course\?” \d\.\d out of 5, from \d+ answers", closed)
    # Its current term's pool is still open, and Introduction to Recovery's is open or
    # held back: nothing of theirs is shown.
    assert "Not shown yet" in staying_safe
    assert "anonymous responses this term" not in recovery and "Anonymous, " not in recovery
    assert "Not shown yet" in recovery or "Held back" in recovery
    return f"{year}-{season.lower()}"


def test_demo_feedback_dashboard_shows_a_closed_pool_of_anonymous_answers(app, client, web):
    _demo_pool_shown(app, client, web)


# Days when the pool of the term before is about to close or has just closed, a term has
# just started or is about to end, and the centre is closed for Christmas (UTC, with the
# term whose pool the demo shows then; feedback on autumn 2025 closes at the end of 11
# February 2026, 42 days after the term).
DAYS = [
    (datetime(2026, 1, 1, 9), "2025-summer"), (datetime(2026, 2, 11, 23, 30), "2025-summer"),
    (datetime(2026, 2, 12, 0, 30), "2025-autumn"), (datetime(2026, 8, 31, 18), "2026-spring"),
    (datetime(2025, 12, 29, 12), "2025-summer"),
]


@pytest.mark.parametrize("moment,expected", DAYS, ids=[d.strftime("%Y-%m-%d-%H%M") for d, _ in DAYS])
def test_demo_shows_a_closed_anonymous_pool_whatever_the_day(app, client, web, monkeypatch, moment, expected):
    _clock(monkeypatch, moment)
    assert _demo_pool_shown(app, client, web) == expected


def test_closed_term_is_the_last_term_whose_feedback_has_closed(app):
    """Every day of two years: the demo's earlier term has closed, and the term after it
    has not (so the demo's history is as recent as it can be)."""
    from rec_portal.demo import closed_term
    from rec_portal.feedback import window

    with app.app_context():
        day = datetime(2026, 1, 1, 0, 30)
        while day < datetime(2028, 1, 1):
            term = closed_term(day)
            assert day >= window.closes_at(term.end - timedelta(days=1)), day
            assert day < window.closes_at(term_of(term.end).end - timedelta(days=1)), day
            day += timedelta(hours=23)


def test_demo_has_a_phone_only_student_booked_a_held_place_and_a_call_list(app):
    """Issue 16: the demo shows staff what reaching everyone looks like."""
    from rec_portal.models import ContactTask
    from rec_portal.models.bookings import OFFERED

    _load_demo(app)
    with app.app_context():
        brenda = db.session.execute(select(User).where(User.full_name == "Brenda Hale")).scalar_one()
        theirs = db.session.execute(select(Booking).where(Booking.student_id == brenda.id)).scalars().all()
        assert sorted(b.status for b in theirs) == ["confirmed", "waitlisted"]
        assert all(b.made_by == "admin" for b in theirs)
        held = db.session.execute(select(Booking).where(Booking.status == OFFERED)).scalars().all()
        assert len(held) == 1 and held[0].offer_expires_at > held[0].offered_at
        lines = db.session.execute(select(ContactTask).order_by(ContactTask.id)).scalars().all()
        assert [(t.kind, t.method) for t in lines] == [("offer_made", "phone"), ("booking_reminder", "letter")]
        assert lines[0].user_id == held[0].student_id
        # The demo tells nobody: nothing is left in the outbox.
        assert db.session.execute(select(func.count()).select_from(OutboxMessage)).scalar_one() == 0
