"""The public catalogue: /courses and /courses/<slug>, signed in or not."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from rec_portal.timeutil import uk_date_and_time, uk_date_span, uk_weekday_date
from rec_portal.catalogue.queries import month_choices
from rec_portal.extensions import db
from rec_portal.models import Booking, Course, CourseRoleNeed, CourseSession
from rec_portal.timeutil import format_uk, to_uk, utcnow
from tests.conftest import count_statements
from tests.factories import fill_places as fill
from tests.factories import make_booking, make_course, make_session
from tests.catalogue import _get, _text, _titles, data


def _selected(html: str, name: str) -> str:
    """The value of the option chosen in the select called ``name``."""
    select = re.search(rf'<select[^>]*name="{name}".*?</select>', html, re.DOTALL).group(0)
    return re.search(r'<option value="([^"]*)"\s*selected', select).group(1)


# --- /courses: listing ----------------------------------------------------------------------

def test_listing_shows_what_each_course_is_and_its_next_date(app, client):
    with data(app):
        course = make_course(
            title="Staying Safe", slug="staying-safe", summary="Protect yourself from crime.",
            duration="One day", for_staff=False, delivery="in_person",
        )
        later = make_session(course=course, starts_in_days=30)
        sooner = make_session(course=course, starts_in_days=9, capacity=5)
        fill(sooner, 2)
        next_date, later_day = uk_date_and_time(sooner.starts_at), uk_weekday_date(later.starts_at)
    html = _get(client, "/courses")
    text = _text(html)
    assert "1 course found." in text
    assert 'href="/courses/staying-safe">Staying Safe</a>' in html
    assert "Protect yourself from crime." in text
    assert "Who it is for People who use services and carers" in text
    assert "How it is delivered In person" in text
    assert "How long it takes One day" in text
    # The next date is the sooner session, in UK time, with its places left.
    assert f"Next date {next_date}" in text
    assert later_day not in text
    assert "Places 3 places left" in text


def test_courses_are_sorted_by_next_date_then_title_and_undated_ones_come_last(app, client):
    with data(app):
        make_session(course=make_course(title="Later course"), starts_in_days=20)
        make_session(course=make_course(title="Sooner course"), starts_in_days=3)
        make_course(title="Zebra crossings")  # no dates
        make_course(title="Art for wellbeing")  # no dates
    html = _get(client, "/courses")
    assert _titles(html) == ["Sooner course", "Later course", "Art for wellbeing", "Zebra crossings"]
    assert _text(html).count("Next date No dates yet") == 2


def test_courses_on_the_same_date_are_in_title_order(app, client):
    with data(app):
        b = make_session(course=make_course(title="Budgeting"), starts_in_days=5)
        a = make_session(course=make_course(title="anxiety and you"), starts_in_days=5)
        a.starts_at = b.starts_at
    assert _titles(_get(client, "/courses")) == ["anxiety and you", "Budgeting"]


def test_places_left_and_full(app, client):
    with data(app):
        roomy = make_session(course=make_course(title="Roomy"), capacity=3, starts_in_days=2)
        fill(roomy, 2)
        fill(roomy, 2, status="cancelled")  # cancelled bookings hold no place
        full = make_session(course=make_course(title="Popular"), capacity=2, starts_in_days=3)
        fill(full, 2)
        fill(full, 3, status="waitlisted")
    text = _text(_get(client, "/courses"))
    assert "Roomy" in text and "Places 1 place left" in text
    assert "Popular" in text and "Places Full – waiting list" in text


def test_cancelled_and_past_sessions_are_not_listed(app, client):
    with data(app):
        course = make_course(title="Hearing Voices")
        make_session(course=course, starts_in_days=-0.01)  # started a few minutes ago
        make_session(course=course, starts_in_days=4, status="cancelled")
        make_session(course=course, starts_in_days=-20, status="completed")
    text = _text(_get(client, "/courses"))
    assert "Hearing Voices" in text and "Next date No dates yet" in text
    assert "Places" not in text


def test_drafts_and_archived_courses_are_hidden_and_their_pages_are_404(app, client):
    with data(app):
        make_session(course=make_course(title="Draft course", slug="draft-course", status="draft"))
        make_session(course=make_course(title="Old course", slug="old-course", status="archived"))
        make_course(title="Live course", slug="live-course")
    html = _get(client, "/courses")
    assert _titles(html) == ["Live course"]
    assert "Draft course" not in html and "Old course" not in html
    assert "Draft course" not in _get(client, "/courses?q=draft")
    for slug in ("draft-course", "old-course", "no-such-course"):
        response = client.get(f"/courses/{slug}")
        assert response.status_code == 404
        assert "Draft course" not in response.get_data(as_text=True)
    assert "<h1>Live course</h1>" in _get(client, "/courses/live-course")


def test_no_courses_at_all_says_so(client):
    text = _text(_get(client, "/courses"))
    assert "0 courses found." in text
    assert "There are no courses to show at the moment" in text


# --- filters ----------------------------------------------------------------------------------

def test_text_search_looks_in_title_summary_and_description(app, client):
    with data(app):
        make_course(title="Staying Safe", summary="Personal safety plan.", description="Run with the police.")
        make_course(title="Sleep Well", summary="Rest and routine.", description="Tips for better SLEEP.")
        make_course(title="Money Matters", summary="Budgeting on benefits.", description="A SAFE space to talk.")
    assert _titles(_get(client, "/courses?q=staying")) == ["Staying Safe"]
    assert _titles(_get(client, "/courses?q=BUDGET")) == ["Money Matters"]  # summary
    assert _titles(_get(client, "/courses?q=Police")) == ["Staying Safe"]  # description
    assert sorted(_titles(_get(client, "/courses?q=safe"))) == ["Money Matters", "Staying Safe"]
    # Every word must match somewhere, in any order.
    assert _titles(_get(client, "/courses?q=safety+staying")) == ["Staying Safe"]
    html = _get(client, "/courses?q=safe")
    assert "2 courses found for “safe”." in _text(html)
    assert 'value="safe"' in html  # the box keeps what was typed
    # Wildcards are just characters.
    html = _get(client, "/courses?q=%25")
    assert _titles(html) == [] and "No courses match your search." in _text(html)
    assert _titles(_get(client, "/courses?q=_")) == []


def test_filter_by_audience(app, client):
    with data(app):
        make_course(title="For carers", for_service_users=False, for_carers=True, for_staff=False)
        make_course(title="For staff", for_service_users=False, for_carers=False, for_staff=True)
        make_course(title="For everyone")
        make_course(title="Carers and staff", for_service_users=False, for_carers=True, for_staff=True)
    # A course is shown to every audience it is for (issue 19).
    assert sorted(_titles(_get(client, "/courses?audience=carers"))) == ["Carers and staff", "For carers",
                                                                          "For everyone"]
    assert sorted(_titles(_get(client, "/courses?audience=staff"))) == ["Carers and staff", "For everyone",
                                                                         "For staff"]
    assert _titles(_get(client, "/courses?audience=service_users")) == ["For everyone"]
    html = _get(client, "/courses?audience=carers")
    assert _selected(html, "audience") == "carers"
    assert "Who it is for Carers " in _text(html)


def test_filter_by_delivery(app, client):
    with data(app):
        make_course(title="Online course", delivery="online")
        make_course(title="Room course", delivery="in_person")
    assert _titles(_get(client, "/courses?delivery=online")) == ["Online course"]
    assert _titles(_get(client, "/courses?delivery=in_person")) == ["Room course"]
    assert "How it is delivered Online" in _text(_get(client, "/courses?delivery=online"))


def test_filter_by_month_uses_sessions_starting_that_month(app, client):
    with data(app):
        both = make_course(title="Two dates")
        soon = make_session(course=both, starts_in_days=1)
        later = make_session(course=both, starts_in_days=70)
        make_session(course=make_course(title="Later only"), starts_in_days=70)
        make_session(course=make_course(title="Cancelled that month"), starts_in_days=70, status="cancelled")
        make_course(title="No dates")
        month, soon_month = f"{to_uk(later.starts_at):%Y-%m}", f"{to_uk(soon.starts_at):%Y-%m}"
        later_date, soon_day = uk_date_and_time(later.starts_at), uk_weekday_date(soon.starts_at)
    assert month != soon_month
    html = _get(client, f"/courses?month={month}")
    assert sorted(_titles(html)) == ["Later only", "Two dates"]
    assert "2 courses found." in _text(html)
    # Without a month: every course once, with or without a date to come.
    assert "4 courses found." in _text(_get(client, "/courses"))
    # The date shown is the one in the chosen month.
    text = _text(html)
    assert f"Next date {later_date}" in text
    assert soon_day not in text
    assert _selected(html, "month") == month
    # The next six months are offered, starting with this one.
    options = re.findall(r'<option value="(\d{4}-\d{2})"', _get(client, "/courses"))
    assert len(options) == 6 and options[0] == f"{to_uk(utcnow()):%Y-%m}"


def test_filters_combine(app, client):
    with data(app):
        make_course(title="Online carers", delivery="online", for_service_users=False, for_staff=False)
        make_course(title="Online for all", delivery="online")
        make_course(title="Room carers", for_service_users=False, for_staff=False)
    html = _get(client, "/courses?q=carers&audience=carers&delivery=online&month=")
    assert _titles(html) == ["Online carers"]


@pytest.mark.parametrize(
    "query",
    [
        "audience=everyone", "audience=", "month=2026-13", "month=soon", "month=1999-01",
        "month=2026-1", "delivery=by-post", "page=abc", "page=-3", "page=0",
        "q=" + "x" * 500, "audience=nope&audience=staff",
    ],
)
def test_bad_filter_values_are_ignored(app, client, query):
    with data(app):
        make_course(title="Listed course", for_staff=False)
    response = client.get(f"/courses?{query}")
    assert response.status_code == 200
    if not query.startswith("q="):
        assert _titles(response.get_data(as_text=True)) == ["Listed course"]


def test_results_are_paginated_ten_at_a_time_keeping_the_filters(app, client):
    with data(app):
        for n in range(23):
            make_course(title=f"Course {n:02d}", delivery="online")
        make_course(title="Course in person")
    first = _get(client, "/courses?delivery=online")
    assert "23 courses found." in _text(first)
    assert _titles(first) == [f"Course {n:02d}" for n in range(10)]
    assert 'href="/courses?delivery=online&amp;page=2"' in first
    assert 'href="/courses?delivery=online&amp;page=3"' in first
    third = _get(client, "/courses?delivery=online&page=3")
    assert _titles(third) == ["Course 20", "Course 21", "Course 22"]
    assert 'href="/courses?delivery=online&amp;page=2"' in third  # previous
    assert "Course in person" not in first + third
    # Past the end: no results, but still a page, and a way back.
    past_the_end = _get(client, "/courses?delivery=online&page=9")
    assert _titles(past_the_end) == [] and "There are no more courses to show." in _text(past_the_end)
    assert 'href="/courses?delivery=online">Go back to the first page' in past_the_end


# --- htmx ----------------------------------------------------------------------------------

def test_the_form_works_without_javascript_and_updates_live_with_htmx(app, client):
    with data(app):
        make_course(title="Staying Safe")
    html = _get(client, "/courses")
    form = re.search(r"<form[^>]*>", html).group(0)
    assert 'method="get"' in form and 'action="/courses"' in form
    assert 'hx-get="/courses"' in form and 'hx-push-url="true"' in form
    assert 'hx-target="#catalogue-results"' in form
    assert "input changed delay:300ms from:#q" in form
    assert '<p class="nhsuk-body-s" id="catalogue-count" role="status">1 course found.' in html
    assert '<div id="catalogue-results">' in html
    assert "hx-swap-oob" not in html  # only htmx responses update the count out of band


def test_htmx_gets_only_the_results_and_the_count_out_of_band(app, client):
    with data(app):
        make_course(title="Staying Safe")
        make_course(title="Sleep Well")
    response = client.get("/courses?q=sleep", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert "<html" not in html and "<form" not in html
    assert '<p id="catalogue-count" hx-swap-oob="innerHTML">1 course found for “sleep”.' in html
    assert '<div id="catalogue-results">' in html
    assert _titles(html) == ["Sleep Well"]
    assert "HX-Request" in response.headers["Vary"]
    # A history restore gets the whole page.
    restore = client.get(
        "/courses?q=sleep", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in restore.get_data(as_text=True)


# --- /courses/<slug> ------------------------------------------------------------------------

def test_course_page_shows_everything_about_the_course(app, client):
    with data(app):
        course = make_course(
            title="Staying Safe", slug="staying-safe", summary="Protect yourself from crime.",
            description="A **one-day** course.\n\n<script>alert('x')</script>\n\n[Police](javascript:alert(1))",
            learning_outcomes="Spot risky situations\n\nWrite a personal safety plan\n",
            duration="One day", delivery="in_person", for_carers=False,
            what_to_expect="Quizzes and shared stories.\n\nBreaks when you need them.",
            accessibility="Step-free access & a quiet room.",
            coproduction_note="Written with people who have been victims of crime.",
        )
        course.roles_needed = [
            CourseRoleNeed(role="social_worker"),
            CourseRoleNeed(role="police_mh_coordinator"),
            CourseRoleNeed(role="peer_specialist", count=2),
        ]
    html = _get(client, "/courses/staying-safe")
    text = _text(html)
    assert "<h1>Staying Safe</h1>" in html
    assert "Protect yourself from crime." in text
    assert "A <strong>one-day</strong> course." in html
    assert "<script>" not in html.split("</header>")[1].split("<footer")[0]
    assert "alert(" not in html and "javascript:" not in html
    assert "<li>Spot risky situations</li><li>Write a personal safety plan</li>" in html
    assert "Who it is for People who use services and staff" in text
    assert "How long it takes One day" in text and "How it is delivered In person" in text
    assert "<p>Quizzes and shared stories.</p>" in html and "<p>Breaks when you need them.</p>" in html
    assert "Step-free access &amp; a quiet room." in html
    assert "Written with people who have been victims of crime." in text
    assert (
        "It is co-delivered by: Peer specialist or peer trainer Police mental health co-ordinator "
        "Social worker" in text
    )


def test_course_page_lists_upcoming_sessions_with_dates_places_and_booking_notes(app, client):
    with data(app):
        course = make_course(title="Recovery Steps", slug="recovery-steps")
        four_weeks = make_session(course=course, starts_in_days=10, dates=4, hours=2, capacity=8,
                                  at_hour=13, venue="Hope Centre, 1 High Street")
        fill(four_weeks, 3)
        online = make_session(course=course, starts_in_days=20, venue="",
                              online_details="https://meet.example/secret-room", capacity=2)
        fill(online, 2)
        not_open = make_session(course=course, starts_in_days=40,
                                booking_opens_at=utcnow() + timedelta(days=7))
        make_session(course=course, starts_in_days=50, booking_closes_at=utcnow() - timedelta(hours=1))
        make_session(course=course, starts_in_days=15, status="cancelled", venue="Cancelled Hall")
        make_session(course=course, starts_in_days=-1, venue="Yesterday Hall")
        date_lines = [uk_date_span(d.starts_at, d.ends_at) for d in four_weeks.dates]
        four_weeks_id, online_id = four_weeks.id, online.id
        opens = format_uk(not_open.booking_opens_at)
    html = _get(client, "/courses/recovery-steps")
    text = _text(html)
    # Each of the four dates, with its day, date and start and end time in UK time.
    assert len(date_lines) == 4
    for line in date_lines:
        assert re.fullmatch(r"\w+day \d+ \w+ \d{4}, \d+(:\d\d)?[ap]m to \d+(:\d\d)?[ap]m", line), line
        assert f"<li>{line}</li>" in html
    assert "4 dates. Come to all of them" in text
    assert "Where Hope Centre, 1 High Street" in text
    assert "Where Online" in text
    assert "secret-room" not in html  # joining details are never public
    assert f"Booking opens on {opens}" in text
    assert "Booking closed" in text
    assert "Cancelled Hall" not in text and "Yesterday Hall" not in text
    # The booking panel, once per upcoming session, with places left.
    assert html.count('id="booking-panel-') == 4
    panel = re.search(rf'id="booking-panel-{four_weeks_id}".*?</div>', html, re.DOTALL).group(0)
    assert "5 places left" in _text(panel)
    panel = re.search(rf'id="booking-panel-{online_id}".*?</div>', html, re.DOTALL).group(0)
    assert "Full" in panel
    # Sessions come in date order.
    assert text.index("Hope Centre") < text.index("Where Online") < text.index("Booking opens on")


def test_course_with_no_upcoming_sessions_says_so_kindly(app, client):
    with data(app):
        course = make_course(title="Coming Soon", slug="coming-soon")
        make_session(course=course, starts_in_days=-7)
    text = _text(_get(client, "/courses/coming-soon"))
    assert "There are no dates for this course at the moment" in text
    assert app.config["REC_CONTACT_PHONE"] in text and app.config["REC_CONTACT_EMAIL"] in text
    assert "See the dates and book a place" not in text


@pytest.mark.parametrize("signed_in", [False, True])
def test_signed_out_and_signed_in_visitors_both_see_the_catalogue(app, client, login_as, signed_in):
    with data(app):
        session_id = make_session(course=make_course(title="Staying Safe", slug="staying-safe")).id
    if signed_in:
        login_as("student", preferred_name="Robin")
    listing = _get(client, "/courses")
    assert _titles(listing) == ["Staying Safe"]
    page = _get(client, "/courses/staying-safe")
    assert "<h1>Staying Safe</h1>" in page
    assert f'id="booking-panel-{session_id}"' in page
    assert ("Robin" in page) is signed_in
    assert ("Sign in to book" in page) is not signed_in


# --- a fixed number of SQL statements -------------------------------------------------------



def _build(app, courses: int, sessions: int, bookings: int, student_id: int | None = None) -> None:
    """Published courses, each with upcoming sessions holding bookings and a waiting list,
    a past session, facilitator roles; and a draft. The student, if any, has a place on the
    first session of the first course and waits for the second."""
    with data(app):
        for c in range(courses):
            course = make_course(title=f"Course {c:02d}", slug=f"course-{c:02d}", for_carers=True)
            course.roles_needed = [CourseRoleNeed(role="peer_specialist"), CourseRoleNeed(role="social_worker")]
            for s in range(sessions):
                session = make_session(course=course, starts_in_days=3 + c + s * 7, dates=1 + s % 3)
                fill(session, bookings)
                fill(session, 1, status="waitlisted")
                fill(session, 1, status="cancelled")
            make_session(course=course, starts_in_days=-30, status="completed")
        make_course(title="A draft", status="draft")
        if student_id is not None:
            first, second = db.session.execute(
                select(CourseSession).join(Course)
                .where(Course.slug == "course-00", CourseSession.status == "scheduled")
                .order_by(CourseSession.starts_at).limit(2)
            ).scalars()
            make_booking(first, student_id, "confirmed")
            make_booking(second, student_id, "waitlisted")


def _wipe_courses(app) -> None:
    with data(app):
        for table in ("bookings", "session_dates", "course_sessions", "course_role_needs", "courses"):
            db.session.execute(text(f"DELETE FROM {table}"))


URLS = [
    "/courses",
    "/courses?q=course&audience=carers&delivery=in_person",
    "/courses?month={month}",
    "/courses?page=2",
    "/courses/course-00",
]


def _statements_per_page(app, client) -> dict[str, int]:
    month = f"{to_uk(utcnow() + timedelta(days=10)):%Y-%m}"
    counts = {}
    for url in (u.format(month=month) for u in URLS):
        client.get(url)  # warm up (first connection, caches)
        with count_statements(app) as statements:
            assert client.get(url).status_code == 200
        counts[url] = len(statements)
    return counts


@pytest.mark.parametrize("signed_in", [False, True])
def test_pages_run_the_same_number_of_queries_whatever_the_data(app, client, login_as, signed_in):
    student_id = login_as("student").id if signed_in else None
    _build(app, courses=3, sessions=2, bookings=1, student_id=student_id)
    small = _statements_per_page(app, client)
    assert _get(client, "/courses/course-00").count('id="booking-panel-') == 2

    _wipe_courses(app)
    _build(app, courses=15, sessions=4, bookings=3, student_id=student_id)
    large = _statements_per_page(app, client)
    # The pages really show the bigger data set...
    assert "15 courses found." in _text(_get(client, "/courses"))
    assert len(_titles(_get(client, "/courses?page=2"))) == 5
    course_page = _get(client, "/courses/course-00")
    assert course_page.count('id="booking-panel-') == 4
    if signed_in:  # the student's own place and waiting-list entry show in the panels
        assert "Booked" in course_page and "Waiting list" in course_page
    # ...with the same number of statements.
    assert small == large, (small, large)
    print(f"SQL statements per page (signed in: {signed_in}): {large}")


@pytest.mark.pg
def test_catalogue_on_postgresql(pg_app, pg_client):
    _build(pg_app, courses=3, sessions=2, bookings=1)
    small = _statements_per_page(pg_app, pg_client)
    _wipe_courses(pg_app)
    _build(pg_app, courses=15, sessions=4, bookings=3)
    large = _statements_per_page(pg_app, pg_client)
    assert small == large, (small, large)

    html = _get(pg_client, "/courses")
    assert _titles(html) == [f"Course {n:02d}" for n in range(10)]
    assert "15 courses found." in _text(html) and "Places 9 places left" in _text(html)
    assert _titles(_get(pg_client, "/courses?q=COURSE+1")) == ["Course 01"] + [f"Course {n}" for n in range(10, 15)]
    assert _titles(_get(pg_client, "/courses?q=%25")) == []
    assert _titles(_get(pg_client, "/courses?audience=staff&delivery=online")) == []
    last_month_offered = month_choices()[-1][0]  # months after every session
    assert _titles(_get(pg_client, f"/courses?month={last_month_offered}")) == []
    page = _get(pg_client, "/courses/course-00")
    assert page.count('id="booking-panel-') == 4 and "9 places left" in _text(page)


def test_the_demo_staying_safe_is_for_service_users_carers_and_staff(app, client):
    from rec_portal.demo import load_demo_data

    with app.app_context():
        load_demo_data()
        db.session.commit()
    for audience in ("service_users", "carers", "staff"):
        assert "Staying Safe" in _titles(_get(client, f"/courses?audience={audience}&q=staying")), audience


def test_the_course_page_says_what_its_specialist_words_mean(app, client):
    from rec_portal.demo import load_demo_data

    with app.app_context():
        load_demo_data()
        db.session.commit()
    html = _get(client, "/courses/staying-safe")
    start = html.index('id="what-words-mean"')
    words = _text(html[start:html.index("</details>", start)])
    for term in ("Mate crime", "Cuckooing", "Co-produced", "Co-delivered", "Peer trainer", "Personal narrative"):
        assert term in words, term
    assert "acts like your friend, but only to use you" in words
    # A course that uses none of them has no list.
    with data(app):
        make_course(title="Gentle Walking", slug="gentle-walking", description="A walk in the park.",
                    learning_outcomes="Enjoy a walk", what_to_expect="Good shoes help.", coproduction_note="")
    assert 'id="what-words-mean"' not in _get(client, "/courses/gentle-walking")
