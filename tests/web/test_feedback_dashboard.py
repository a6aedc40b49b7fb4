"""The feedback dashboard: /admin/feedback (courses), each course's dashboard with filters,
small-number suppression, charts and tables, trends, comments and the CSV; facilitators'
view of students' feedback on the courses they deliver, without names."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from rec_portal.extensions import db
from rec_portal.models import AuditEvent
from tests.conftest import csrf_from
from rec_portal.models.feedback import (
    FeedbackAnswer,
    FeedbackQuestion,
)
from rec_portal.timeutil import format_uk, to_uk, utcnow
from tests import factories
from tests.conftest import count_statements
from tests.feedback import Bank
from tests.feedback import page as _page
from tests.feedback import question as _question
from tests.feedback import question_bank as _bank
from tests.feedback import words as _text

# --- Building feedback ----------------------------------------------------------------------------


@pytest.fixture
def feedback_closed(monkeypatch):
    """A year on: feedback on every session made here has closed, so the terms' pools are
    closed and the response rate (which counts anonymous answers) may be shown. (Issue 13:
    while a pool is open, nothing that includes anonymous answers is shown.)"""
    later = utcnow() + timedelta(days=365)
    monkeypatch.setattr("rec_portal.feedback.queries.utcnow", lambda: later)
    return later


@dataclass
class World:
    course_id: int
    bank: Bank
    sessions: list[int] = field(default_factory=list)


_respond = factories.make_feedback_response
_invite = factories.invite_to_feedback


def _completed(course, days_ago: float, version: int | None = None):
    return factories.make_session(
        course=course, starts_in_days=-days_ago, status="completed",
        completed_at=utcnow() - timedelta(days=days_ago - 1), content_version=version,
    )


def _world(app, *, ratings_per_session: list[list[int]], title="Staying Safe", versions=None,
           invited_extra: int = 2, comment=True, anonymous=False) -> World:
    """A course with a completed session per list of ratings (oldest first, 30 days apart),
    each rating a response that also answers the agreement, yes/no and comment questions.
    Responses are given with a name (per-session figures count only those) unless
    ``anonymous``."""
    with app.app_context():
        course = factories.make_course(title=title)
        bank = _bank()
        world = World(course.id, bank)
        people = [factories.make_user() for _ in range(max(len(r) for r in ratings_per_session) + invited_extra)]
        count = len(ratings_per_session)
        for n, ratings in enumerate(ratings_per_session):
            version = versions[n] if versions else None
            session = _completed(course, days_ago=30 * (count - n) + 1, version=version)
            world.sessions.append(session.id)
            for i, rating in enumerate(ratings):
                answers = {bank.rating: rating, bank.agree: rating, bank.yes: 1 if rating >= 3 else 0}
                if comment:
                    answers[bank.change] = f"Comment {i + 1} on session {n + 1}"
                _respond(session.id, answers, respondent_id=people[i].id, anonymous=anonymous)
            _invite(session.id, people[: len(ratings) + invited_extra], answered=len(ratings))
        db.session.commit()
        return world


def _roster(app, session_id: int, user_id: int) -> None:
    with app.app_context():
        factories.add_to_roster(session_id, user_id)
        db.session.commit()



# --- Access -------------------------------------------------------------------------------------


def test_signed_out_people_are_sent_to_sign_in(client, app):
    world = _world(app, ratings_per_session=[[5]])
    cid = world.course_id
    for url in ["/admin/feedback", f"/admin/feedback/courses/{cid}", f"/admin/feedback/courses/{cid}/responses.csv",
                "/facilitate/feedback", f"/facilitate/feedback/courses/{cid}"]:
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login?next="), url
    htmx = client.get(f"/admin/feedback/courses/{cid}", headers={"HX-Request": "true"})
    assert htmx.headers["HX-Redirect"].startswith("/login?next=")


def test_students_are_refused_everywhere(login_as, client, app):
    world = _world(app, ratings_per_session=[[5]])
    login_as("student")
    cid = world.course_id
    for url in ["/admin/feedback", f"/admin/feedback/courses/{cid}", f"/admin/feedback/courses/{cid}/responses.csv",
                "/facilitate/feedback", f"/facilitate/feedback/courses/{cid}"]:
        response = client.get(url)
        assert response.status_code == 403, url
        assert "Comment 1" not in response.get_data(as_text=True)


def test_a_facilitator_not_on_the_course_sees_nothing_of_it(login_as, client, app):
    world = _world(app, ratings_per_session=[[5]])
    login_as("facilitator")
    cid = world.course_id
    mine = _text(_page(client, "/facilitate/feedback"))
    assert "Staying Safe" not in mine and "You are not rostered on any sessions yet" in mine
    response = client.get(f"/facilitate/feedback/courses/{cid}")
    assert response.status_code == 404 and "Comment 1" not in response.get_data(as_text=True)
    assert client.get(f"/facilitate/feedback/courses/{cid + 1000}").status_code == 404
    # Not an admin: the admin pages are refused.
    assert client.get(f"/admin/feedback/courses/{cid}").status_code == 403
    assert client.get("/admin/feedback").status_code == 403


def test_a_rostered_facilitator_sees_the_course_and_a_link_from_facilitate(login_as, client, app):
    world = _world(app, ratings_per_session=[[5, 4]])
    me = login_as("facilitator")
    _roster(app, world.sessions[0], me.id)
    assert 'href="/facilitate/feedback">Feedback on my courses</a>' in _page(client, "/facilitate")
    listing = _page(client, "/facilitate/feedback")
    assert f'href="/facilitate/feedback/courses/{world.course_id}"' in listing
    row = _text(re.search(r'<tr[^>]*id="course-\d+".*?</tr>', listing, re.DOTALL).group(0))
    assert "Staying Safe" in row
    assert "Completed sessions 1 Students invited 4 Responses fewer than 8 Response rate fewer than 8 responses" in row
    page = _text(_page(client, f"/facilitate/feedback/courses/{world.course_id}"))
    assert "Comment 1 on session 1" in page and "Comment 2 on session 1" in page
    # Not an admin: no CSV, no review form, no choice of facilitators' reflections.
    html = _page(client, f"/facilitate/feedback/courses/{world.course_id}")
    assert "responses.csv" not in html and 'name="answer_id"' not in html and 'name="audience"' not in html
    assert client.get(f"/admin/feedback/courses/{world.course_id}/responses.csv").status_code == 403


def test_admins_see_every_page_and_an_admin_without_the_facilitator_role_not_the_facilitator_ones(login_as, client, app):
    world = _world(app, ratings_per_session=[[5]])
    login_as("admin")
    assert "Staying Safe" in _text(_page(client, "/admin/feedback"))
    assert "Comment 1 on session 1" in _text(_page(client, f"/admin/feedback/courses/{world.course_id}"))
    assert client.get(f"/admin/feedback/courses/{world.course_id + 1000}").status_code == 404
    assert client.get("/admin/feedback/courses/99999999999999").status_code == 404
    assert client.get("/facilitate/feedback").status_code == 403
    assert client.get(f"/facilitate/feedback/courses/{world.course_id}").status_code == 403


# --- The list of courses ------------------------------------------------------------------------


def test_the_course_list_counts_sessions_invitations_and_responses_and_the_last_review(login_as, client, app, feedback_closed):
    world = _world(app, ratings_per_session=[[5, 4, 4, 3], [5, 5, 4, 4]], invited_extra=1)  # 8 of 10
    small = _world(app, ratings_per_session=[[5, 4]], title="Sleep and Wellbeing")
    with app.app_context():
        course = factories.make_course(title="Old Course", status="archived")  # no feedback: left out
        gone = factories.make_course(title="Archived With Feedback", status="archived")
        s = _completed(gone, days_ago=3)
        _respond(s.id, {small.bank.rating: 4})
        for held_on, status in ((date(2026, 3, 2), "completed"), (date(2026, 5, 9), "completed"), (date(2026, 7, 1), "draft")):
            factories.make_content_review(world.course_id, held_on=held_on, status=status, version_before=1)
        db.session.commit()
        assert course.id
    login_as("admin")
    html = _page(client, "/admin/feedback")
    assert "Old Course" not in html and "Archived With Feedback" in html

    def row(course_id):
        return _text(re.search(rf'<tr[^>]*id="course-{course_id}".*?</tr>', html, re.DOTALL).group(0))

    # Completed sessions, students invited, responses, rate, version, last completed review.
    staying = row(world.course_id)
    assert re.search(r"Completed sessions 2 Students invited 10 Responses 8 Response rate 80% Content version 1 "
                     r"Last content review 9 May 2026", staying), staying
    sleep = row(small.course_id)
    assert re.search(r"Responses fewer than 8 Response rate fewer than 8 responses", sleep), sleep
    assert "None yet" in sleep


# --- Small numbers ---------------------------------------------------------------------------


def test_seven_responses_show_no_figures(login_as, client, app):
    world = _world(app, ratings_per_session=[[5, 5, 4, 4, 3, 2, 1]])
    login_as("admin")
    html = _page(client, f"/admin/feedback/courses/{world.course_id}")
    page = _text(html)
    # 9 invited may be shown, but not the 7 responses (they would give the rate away).
    assert "Invited 9 Responses given with a name fewer than 8 Response rate fewer than 8 responses" in page
    assert "Responses 7" not in page and "7 responses" not in page
    assert page.count("Not shown: fewer than 8 responses") == 3  # rating, agreement, yes / no
    assert 'class="rec-fbr-chart"' not in html and "Average:" not in page and "said yes" not in page
    assert "Show the figures as a table" not in page
    assert ("Figures are not shown when they come from fewer than 8 responses, or when they would let "
            "someone work out figures from fewer than 8") in page
    # The trend tables hold back every figure too, the number of responses included.
    trend = _text(re.search(r'id="trend-sessions".*?</table>', html, re.DOTALL).group(0))
    assert ("Responses not shown Overall, how would you rate the course? not shown The course met my "
            "expectations. not shown Would you recommend the course? not shown") in trend
    assert "3.4" not in page and "%" not in page.split("Comments")[0].replace("100%", "")
    # Comments are not figures: they are all listed.
    assert "Comment 7 on session 1" in page


def test_eight_responses_show_hand_counted_figures(login_as, client, app, feedback_closed):
    ratings = [5, 5, 4, 4, 4, 3, 2, 1]  # sum 28: mean 3.5; yes (3 or more) 6 of 8 = 75%
    world = _world(app, ratings_per_session=[ratings], invited_extra=2)  # 8 of 10 invited answered
    login_as("admin")
    html = _page(client, f"/admin/feedback/courses/{world.course_id}")
    page = _text(html)
    assert "Invited 10 Responses given with a name 8 Response rate 80%" in page
    assert "Average: 3.5 out of 5, from 8 answers" in page
    assert "75% said yes, from 8 answers" in page
    # Distribution of the rating, in the SVG and in the table (37.5% rounds up to 38%).
    svg = re.search(rf'<svg[^>]*id="chart-question-{world.bank.rating}".*?</svg>', html, re.DOTALL).group(0)
    assert 'role="img"' in svg and f'aria-labelledby="chart-question-{world.bank.rating}-title chart-question-{world.bank.rating}-desc"' in svg
    assert "<title" in svg and "How people answered: Overall, how would you rate the course?" in svg
    desc = re.search(r"<desc[^>]*>(.*?)</desc>", svg).group(1)
    assert desc == ("8 answers. 5 - Excellent: 2 (25%). 4 - Good: 3 (38%). 3 - Okay: 1 (13%). "
                    "2 - Poor: 1 (13%). 1 - Very poor: 1 (13%).")
    table = _text(re.search(rf'<table[^>]*id="table-question-{world.bank.rating}".*?</table>', html, re.DOTALL).group(0))
    assert "5 - Excellent 2 25% 4 - Good 3 38% 3 - Okay 1 13% 2 - Poor 1 13% 1 - Very poor 1 13% All answers 8 100%" in table
    yes_table = _text(re.search(rf'<table[^>]*id="table-question-{world.bank.yes}".*?</table>', html, re.DOTALL).group(0))
    assert "Yes 6 75% No 2 25%" in yes_table
    assert "fewer than 8 responses" not in page


def test_a_question_answered_by_fewer_than_8_is_held_back_even_when_there_are_8_responses(login_as, client, app):
    world = _world(app, ratings_per_session=[[5, 5, 4, 4, 4, 3, 2, 1]])
    with app.app_context():
        extra = _question("agreement", "I know where to get support.", 9)
        for value in (5, 4, 4):
            _respond(world.sessions[0], {extra.id: value})
        db.session.commit()
        extra_id = extra.id
    login_as("admin")
    html = _page(client, f"/admin/feedback/courses/{world.course_id}")
    section = _text(re.search(rf'id="question-{extra_id}".*?</section>', html, re.DOTALL).group(0))
    assert "Not shown: fewer than 8 responses" in section and "Average" not in section
    assert f'id="chart-question-{extra_id}"' not in html


# --- Trends ---------------------------------------------------------------------------------------


def _trend_rows(html: str, table: str = "trend-sessions") -> list[tuple[str, str, str]]:
    """(content version, responses, overall rating) for each row of the by-session table."""
    text = _text(re.search(rf'id="{table}".*?</table>', html, re.DOTALL).group(0))
    return [(v, n, avg) for _d, v, n, avg in re.findall(
        r"Session (\d+ \w+ \d{4}) Content version (\d) Responses ([\w ]+?) "
        r"Overall, how would you rate the course\? ([\w .]+?) The course", text)]


def test_trends_by_session_and_by_content_version(login_as, client, app):
    world = _world(
        app,
        ratings_per_session=[[3] * 10, [4] * 4 + [5] * 4, [5, 5]],  # means 3.0, 4.5, (2 responses)
        versions=[1, 2, 2],
    )
    login_as("admin")
    html = _page(client, f"/admin/feedback/courses/{world.course_id}")
    # The third session (2) is held back, and so is the next smallest (the second, 8): the
    # course's 20 minus the first's 10 would otherwise give the third's figures.
    assert _trend_rows(html) == [("1", "10", "3.0"), ("2", "not shown", "not shown"), ("2", "not shown", "not shown")]
    versions = _text(re.search(r'id="trend-versions".*?</table>', html, re.DOTALL).group(0))
    # Version 2 holds both held-back sessions: 10 answers (4, 4, 4, 4, 5, 5, 5, 5, 5, 5) = 46 / 10 = 4.6.
    assert "Version 1 Sessions 1 Responses 10 Overall, how would you rate the course? 3.0" in versions
    assert "Version 2 Sessions 2 Responses 10 Overall, how would you rate the course? 4.6" in versions
    # The overall rating per session as a chart: a bar for the first, words for the others.
    chart = re.search(r'<svg[^>]*id="chart-sessions".*?</svg>', html, re.DOTALL).group(0)
    assert chart.count('class="rec-fbr-chart__bar"') == 1 and chart.count(">not shown</text>") == 2
    assert "4.5" not in _text(html).split("Comments")[0]


def test_a_version_row_is_held_back_when_it_would_give_a_held_back_session_away(login_as, client, app):
    # Sessions of 8 (version 1), 8 and 2 (version 2): the 2 and the earliest 8 are held back.
    # Version 1 is that 8 alone, and version 2 minus the shown session would give the 2.
    world = _world(app, ratings_per_session=[[3] * 8, [4] * 4 + [5] * 4, [5, 5]], versions=[1, 2, 2])
    login_as("admin")
    html = _page(client, f"/admin/feedback/courses/{world.course_id}")
    assert _trend_rows(html) == [("1", "not shown", "not shown"), ("2", "8", "4.5"), ("2", "not shown", "not shown")]
    versions = _text(re.search(r'id="trend-versions".*?</table>', html, re.DOTALL).group(0))
    assert ("Version 1 Sessions 1 Responses not shown Overall, how would you rate the course? not shown" in versions)
    assert ("Version 2 Sessions 2 Responses not shown Overall, how would you rate the course? not shown" in versions)
    # The whole course (18 answers) is still shown: (24 + 36 + 10) / 18 = 3.9.
    assert "Average: 3.9 out of 5, from 18 answers" in _text(html)


def test_secondary_suppression_9_9_3_and_9_9_8_3(login_as, client, app, feedback_closed):
    # 9, 9, 3: the 3 is held back, and the 3 alone would be the total (21) minus the two 9s,
    # so the next smallest (the earlier 9) is held back as well: 12 held back together.
    world = _world(app, ratings_per_session=[[4] * 9, [2] * 9, [5] * 3])
    login_as("admin")
    html = _page(client, f"/admin/feedback/courses/{world.course_id}")
    assert _trend_rows(html) == [("1", "not shown", "not shown"), ("1", "9", "2.0"), ("1", "not shown", "not shown")]
    page = _text(html)
    # 27 invited (11 + 11 + 5), 21 answered: 78%. (36 + 18 + 15) / 21 = 3.3.
    assert "Invited 27 Responses given with a name 21 Response rate 78%" in page and "Average: 3.3 out of 5, from 21 answers" in page
    assert "4.0" not in page.split("Comments")[0]

    # 9, 9, 8, 3: the next smallest is the 8 (11 held back together); both 9s are shown.
    other = _world(app, ratings_per_session=[[4] * 9, [2] * 9, [3] * 8, [5] * 3], title="Other")
    html = _page(client, f"/admin/feedback/courses/{other.course_id}")
    assert _trend_rows(html) == [("1", "9", "4.0"), ("1", "9", "2.0"), ("1", "not shown", "not shown"),
                                 ("1", "not shown", "not shown")]
    # (36 + 18 + 24 + 15) / 29 = 3.2
    assert "Average: 3.2 out of 5, from 29 answers" in _text(html)
    # The same rules in the filtered views: a shown session shows its figures; the held-back
    # 8 does not, though it has 8 responses (it and the total minus the rest would give the 3).
    base = f"/admin/feedback/courses/{other.course_id}"
    first = _text(_page(client, f"{base}?session={other.sessions[0]}"))
    assert "Responses 9" in first and "Average: 4.0 out of 5, from 9 answers" in first
    eight = _text(_page(client, f"{base}?session={other.sessions[2]}"))
    assert "Responses given with a name not shown Response rate not shown" in eight and "Average:" not in eight
    assert "3.0" not in eight.split("Comments")[0]


# --- Differencing between views ------------------------------------------------------------------


def _days(app, session_ids: list[int]) -> list[date]:
    with app.app_context():
        from rec_portal.models import CourseSession

        return [to_uk(db.session.get(CourseSession, sid).starts_at).date() for sid in session_ids]


def test_a_filtered_view_is_held_back_when_the_rest_of_the_course_has_fewer_than_8(login_as, client, app, web):
    # The demo's case: 10 answers over sessions of 8 and 2. Showing the 8 would give the 2
    # away (the course's 4, 5, 1, 0, 0 minus the 8's 3, 4, 1, 0, 0).
    world = _world(app, ratings_per_session=[[5, 5, 5, 4, 4, 4, 4, 3], [5, 4]], invited_extra=1)
    login_as("admin")
    base = f"/admin/feedback/courses/{world.course_id}"
    html = _page(client, base)
    table = _text(re.search(rf'<table[^>]*id="table-question-{world.bank.rating}".*?</table>', html, re.DOTALL).group(0))
    assert "5 - Excellent 4 40% 4 - Good 5 50% 3 - Okay 1 10%" in table and "All answers 10" in table
    first_day, _second_day = _days(app, world.sessions)
    for url in (f"{base}?session={world.sessions[0]}", f"{base}?session={world.sessions[1]}",
                f"{base}?to={first_day.isoformat()}"):
        html = _page(client, url)
        page = _text(html)
        assert "Responses given with a name not shown Response rate not shown" in page, url
        assert page.count("Not shown: these figures come from fewer than 8 responses, or would let someone "
                          "work out figures from fewer than 8") == 3, url
        assert "Average:" not in page and "said yes" not in page and 'class="rec-fbr-chart"' not in html
        assert f'id="table-question-{world.bank.rating}"' not in html
        assert "Responses 8" not in page and "Responses 2" not in page and "4.3" not in page
        # Comments are not figures: they are still listed.
        assert "Comment 1 on session" in page
    # The same rules for facilitators.
    with app.app_context():
        user = factories.make_facilitator(profile=False)
        db.session.commit()
        facilitator = factories.Ref(user.id, user.email)
    for sid in world.sessions:
        _roster(app, sid, facilitator.id)
    client.post("/logout", data={"csrf_token": web.token("/my/account")})
    web.login(facilitator.email)
    mine = _text(_page(client, f"/facilitate/feedback/courses/{world.course_id}?session={world.sessions[0]}"))
    assert "Responses not shown" in mine and "Average:" not in mine
    everything = _text(_page(client, f"/facilitate/feedback/courses/{world.course_id}"))
    # (15 + 16 + 3 + 9) / 10 = 4.3
    assert "Responses 10" in everything and "Average: 4.3 out of 5, from 10 answers" in everything


def test_filtered_views_show_figures_when_the_rest_has_8_or_more(login_as, client, app, feedback_closed):
    world = _world(app, ratings_per_session=[[4] * 8, [2] * 9])
    login_as("admin")
    base = f"/admin/feedback/courses/{world.course_id}"
    one = _text(_page(client, f"{base}?session={world.sessions[0]}"))
    assert "Invited 10 Responses given with a name 8 Response rate 80%" in one and "Average: 4.0 out of 5, from 8 answers" in one
    two = _text(_page(client, f"{base}?session={world.sessions[1]}"))
    assert "Invited 11 Responses given with a name 9 Response rate 82%" in two and "Average: 2.0 out of 5, from 9 answers" in two
    assert "not shown" not in one and "not shown" not in two


def test_each_question_is_checked_with_its_own_answers_in_the_rest(login_as, client, app):
    world = _world(app, ratings_per_session=[[4] * 9, [2] * 9])
    with app.app_context():
        extra = _question("agreement", "I know where to get support.", 9)
        for sid, values in ((world.sessions[0], [5] * 9), (world.sessions[1], [1, 1])):
            for value in values:
                _respond(sid, {extra.id: value})
        db.session.commit()
        extra_id = extra.id
    login_as("admin")
    html = _page(client, f"/admin/feedback/courses/{world.course_id}?session={world.sessions[0]}")
    # The rating: 9 here and 9 in the rest. The new question: 9 here but 2 in the rest.
    assert "Average: 4.0 out of 5, from 9 answers" in _text(html)
    section = _text(re.search(rf'id="question-{extra_id}".*?</section>', html, re.DOTALL).group(0))
    assert "Not shown: these figures come from fewer than 8 responses" in section and "Average" not in section
    # Responses: 18 here (9 + 9 who answered only the new question), 11 in the rest.
    assert "Responses 18" in _text(html)
    # In the session table, the 2 answers and the next smallest (the first session's 9) are
    # held back for that question's column only.
    trend = _text(re.search(r'id="trend-sessions".*?</table>', html, re.DOTALL).group(0))
    assert "I know where to get support. not shown" in trend and "Overall, how would you rate the course? 4.0" in trend


def test_date_ranges_show_figures_only_with_all_or_none_of_the_held_back_sessions(login_as, client, app):
    # 9, 3, 9: the 3 and the earlier 9 are held back (12 together); the last 9 is shown.
    world = _world(app, ratings_per_session=[[4] * 9, [1] * 3, [2] * 9])
    first, second, third = _days(app, world.sessions)
    login_as("admin")
    base = f"/admin/feedback/courses/{world.course_id}"
    # The first two: both held-back sessions (12 answers), the rest 9: shown, (36 + 3) / 12 = 3.3.
    both = _text(_page(client, f"{base}?from={first.isoformat()}&to={second.isoformat()}"))
    assert "Responses 12" in both and "Average: 3.3 out of 5, from 12 answers" in both
    # The last two: one of the held-back sessions only, which with the third's row would give it away.
    last = _text(_page(client, f"{base}?from={second.isoformat()}&to={third.isoformat()}"))
    assert "Responses not shown" in last and "Average:" not in last
    # The first alone is held back too (the course's 21 minus it minus the third gives the 3).
    alone = _text(_page(client, f"{base}?session={world.sessions[0]}"))
    assert "Average:" not in alone and "Responses not shown" in alone
    shown = _text(_page(client, f"{base}?session={world.sessions[2]}"))
    assert "Responses 9" in shown and "Average: 2.0 out of 5, from 9 answers" in shown


# --- Filters ------------------------------------------------------------------------------------


def test_filter_by_session_dates_and_question(login_as, client, app):
    world = _world(app, ratings_per_session=[[3] * 8, [5] * 8])
    with app.app_context():
        _respond(world.sessions[1], {world.bank.helpful: "The quiz was fun"})
        db.session.commit()
        from rec_portal.models import CourseSession

        first, second = (db.session.get(CourseSession, sid) for sid in world.sessions)
        first_day, second_day = to_uk(first.starts_at).date(), to_uk(second.starts_at).date()
    login_as("admin")
    base = f"/admin/feedback/courses/{world.course_id}"
    everything = _text(_page(client, base))
    assert "Average: 4.0 out of 5, from 16 answers" in everything
    assert "17 comments" in everything

    one = _text(_page(client, f"{base}?session={world.sessions[0]}"))
    assert "Completed sessions 1" in one and "Average: 3.0 out of 5, from 8 answers" in one
    assert "Comment 1 on session 1" in one and "on session 2" not in one and "The quiz was fun" not in one

    later = _text(_page(client, f"{base}?from={second_day.isoformat()}"))
    assert "Average: 5.0 out of 5, from 8 answers" in later and "on session 1" not in later
    earlier = _text(_page(client, f"{base}?from={first_day:%d/%m/%Y}&to={first_day:%d/%m/%Y}"))
    assert "Average: 3.0 out of 5" in earlier and "on session 2" not in earlier
    none = _text(_page(client, f"{base}?from={(second_day + timedelta(days=1)).isoformat()}"))
    assert "No completed sessions match these filters" in none

    helpful = _text(_page(client, f"{base}?question={world.bank.helpful}"))
    assert "1 comment given with a name, newest session first" in helpful and "The quiz was fun" in helpful
    assert "Comment 1 on session" not in helpful
    # The question filter is for comments: the figures still show every scored question.
    assert "Average: 4.0 out of 5, from 16 answers" in helpful


def test_comments_are_newest_session_first_with_the_wording_they_were_answered_under(login_as, client, app):
    world = _world(app, ratings_per_session=[[5], [4]], comment=False)
    with app.app_context():
        _respond(world.sessions[0], {world.bank.change: "Older comment"})
        new = _respond(world.sessions[1], {world.bank.change: "Newer comment"})
        # The question is reworded and retired later: the answer keeps its wording.
        new.answers[0].question_text = "What would you change about the course?"
        question = db.session.get(FeedbackQuestion, world.bank.rating)
        question.retired_at = utcnow()
        db.session.commit()
    login_as("admin")
    html = _page(client, f"/admin/feedback/courses/{world.course_id}")
    page = _text(html)
    assert page.index("Newer comment") < page.index("Older comment")
    assert "What would you change about the course? Newer comment" in page
    assert "What would you change? Older comment" in page
    assert "Overall, how would you rate the course? (retired)" in page


def _fifty_five_comments(app, login_as):
    """A course with 55 named comments (two pages), an admin signed in: (world, its page)."""
    world = _world(app, ratings_per_session=[[5]], comment=False)
    with app.app_context():
        for i in range(55):
            _respond(world.sessions[0], {world.bank.change: f"Remark number {i + 1:02d}."})
        db.session.commit()
    login_as("admin")
    return world, f"/admin/feedback/courses/{world.course_id}"


def test_comments_are_paginated_50_to_a_page(login_as, client, app):
    world, base = _fifty_five_comments(app, login_as)
    first = _text(_page(client, base))
    assert "55 comments given with a name, newest session first. Showing 1 to 50." in first
    # Newest first: the last remark given is first.
    assert first.index("Remark number 55.") < first.index("Remark number 06.") and "Remark number 05." not in first
    html = _page(client, f"{base}?page=2&question={world.bank.change}")
    assert "Showing 51 to 55." in _text(html) and "Remark number 01." in html and "Remark number 06." not in html
    # For an admin the pages are turned by the review form's buttons, so ticks are kept.
    assert f'formaction="{base}/turn-page" name="page" value="1">Previous comments' in html
    assert f'name="keep-question" value="{world.bank.change}"' in html


def test_ticks_are_kept_across_pages_and_added_to_one_review(login_as, client, app):
    from rec_portal.models import ContentReview

    _, base = _fifty_five_comments(app, login_as)
    first = _page(client, base)
    ids = re.findall(r'id="pick-answer-(\d+)"', first)
    assert len(ids) == 50 and 'id="add-to-review-first"' in first  # the action is at the top too
    # Tick one on page 1 and turn the page: it is kept.
    token = csrf_from(first)
    turned = client.post(f"{base}/turn-page", data={"csrf_token": token, "answer_id": ids[0], "page": "2"})
    assert turned.status_code == 303 and turned.headers["Location"] == f"{base}?page=2#comments"
    second = _page(client, f"{base}?page=2")
    assert f'<input type="hidden" name="answer_id" value="{ids[0]}">' in second and "1 ticked so far." in second
    on_two = re.findall(r'id="pick-answer-(\d+)"', second)[0]
    # Back on page 1 it is still ticked.
    assert f'value="{ids[0]}" checked' in _page(client, base)
    # One press adds page 1's and page 2's comments to one new review, and the ticks are used up.
    response = client.post(f"{base}/reviews/consider",
                           data={"csrf_token": token, "answer_id": [ids[0], on_two], "review_id": ""})
    assert response.status_code == 302
    with app.app_context():
        review = db.session.execute(select(ContentReview)).scalar_one()
        assert sorted(str(item.answer_id) for item in review.items if item.answer_id) == sorted([ids[0], on_two])
    assert "ticked so far" not in _page(client, base)
    # Turning a page needs the form's token.
    assert client.post(f"{base}/turn-page", data={"page": "2"}).status_code == 400


def test_a_wrong_date_is_an_error_next_to_the_field_with_the_other_choices_kept(login_as, client, app):
    world = _world(app, ratings_per_session=[[5]])
    login_as("admin")
    url = f"/admin/feedback/courses/{world.course_id}?session={world.sessions[0]}&from=31/02/2026&to=&audience=student"
    html = _page(client, url, status=400)
    assert "<title>Error: " in html and "There is a problem" in html
    assert re.search(r'href="#from"\s*>\s*From must be a real date, for example 1 September 2026\s*</a>', html)
    assert re.search(r'id="from-error"[^>]*>.*?From must be a real date', html, re.DOTALL)
    assert re.search(rf'<option value="{world.sessions[0]}"\s*selected', html)
    assert "Comment 1" not in html  # nothing shown for filters that do not make sense
    backwards = _page(client, f"/admin/feedback/courses/{world.course_id}?from=2026-05-02&to=2026-05-01", status=400)
    assert "To must be the same as or after From" in backwards
    other = _page(client, f"/admin/feedback/courses/{world.course_id}?session=999999", status=400)
    assert "Choose a session from the list" in other
    assert client.get(f"/admin/feedback/courses/{world.course_id}/responses.csv?from=nonsense").status_code == 400


def test_htmx_gets_the_dashboard_region_and_others_the_full_page(login_as, client, app):
    world = _world(app, ratings_per_session=[[5] * 8])
    login_as("admin")
    url = f"/admin/feedback/courses/{world.course_id}?session={world.sessions[0]}"
    full = client.get(url)
    assert "<html" in full.get_data(as_text=True) and "HX-Request" in full.headers["Vary"]
    partial = client.get(url, headers={"HX-Request": "true"})
    html = partial.get_data(as_text=True)
    assert partial.status_code == 200 and html.lstrip().startswith('<div id="feedback-dashboard"')
    assert "<html" not in html and "Average: 5.0 out of 5" in _text(html) and 'data-rec-focus' in html
    # The filter form works without JavaScript (a plain GET) and with htmx (the same URL).
    assert f'<form method="get" action="/admin/feedback/courses/{world.course_id}"' in html
    assert f'hx-get="/admin/feedback/courses/{world.course_id}" hx-target="#feedback-dashboard"' in html
    bad = client.get(f"{url}&to=32/13/2026", headers={"HX-Request": "true"})
    body = bad.get_data(as_text=True)
    assert bad.status_code == 400 and body.lstrip().startswith('<div id="feedback-dashboard"')
    assert "There is a problem" in body and "To must be a real date" in body
    restore = client.get(url, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restore.get_data(as_text=True)


# --- Names -----------------------------------------------------------------------------------------


def test_admins_see_who_said_what_and_facilitators_never_do(login_as, client, app, web, feedback_closed):
    world = _world(app, ratings_per_session=[[5] * 8], comment=False)
    with app.app_context():
        named = factories.make_user(full_name="Zebedee Quill")
        _respond(world.sessions[0], {world.bank.change: "Named comment"}, respondent_id=named.id)
        _respond(world.sessions[0], {world.bank.change: "Anonymous comment"}, anonymous=True)
        facilitator = factories.make_user(roles=("facilitator",), full_name="Fran Facilitator")
        _respond(world.sessions[0], {world.bank.reflection: "Reflection text"}, respondent_id=facilitator.id,
                 audience="facilitator")
        factories.add_to_roster(world.sessions[0], facilitator)
        db.session.commit()
        fac_email = facilitator.email
    login_as("admin")
    admin_page = _text(_page(client, f"/admin/feedback/courses/{world.course_id}"))
    assert "Named comment Session on" in admin_page and ", Zebedee Quill" in admin_page
    # One anonymous response this term: held back, not shown with the session (issue 13).
    assert "Anonymous comment" not in admin_page and "Held back: fewer than 8 people answered anonymously about this course this term" in admin_page
    assert "Reflection text" not in admin_page  # students' feedback unless asked
    reflections = _text(_page(client, f"/admin/feedback/courses/{world.course_id}?audience=facilitator"))
    assert "Facilitators' reflections" in reflections and "Reflection text" in reflections
    assert "Fran Facilitator" in reflections and "Named comment" not in reflections

    client.post("/logout", data={"csrf_token": web.token("/my/account")})
    web.login(fac_email)
    html = _page(client, f"/facilitate/feedback/courses/{world.course_id}")
    page = _text(html)
    assert "Named comment" in page and "Anonymous comment" not in page
    assert "Zebedee" not in html and "Quill" not in html and "Named comment Session on" in page
    assert ", Anonymous" not in page and "rec-fbr-comment__who" not in html
    # Asking for facilitators' reflections is ignored: students' feedback only.
    other = _page(client, f"/facilitate/feedback/courses/{world.course_id}?audience=facilitator")
    assert "Reflection text" not in other and "Named comment" in other


# --- The review form ----------------------------------------------------------------------------


def test_admins_can_pick_comments_and_questions_for_a_content_review(login_as, client, app):
    world = _world(app, ratings_per_session=[[5] * 8])
    with app.app_context():
        factories.make_content_review(world.course_id, held_on=date(2026, 6, 3), status="draft", version_before=1)
        answer_id = db.session.execute(
            select(FeedbackAnswer.id).where(FeedbackAnswer.question_id == world.bank.change).order_by(FeedbackAnswer.id)
        ).scalars().first()
        db.session.commit()
    login_as("admin")
    html = _page(client, f"/admin/feedback/courses/{world.course_id}")
    if "content_reviews.consider" not in app.view_functions:
        assert 'name="answer_id"' not in html
        pytest.skip("the content reviews feature is not there yet")
    form = re.search(r'<form method="post" action="([^"]+)" id="review-form".*?</form>', html, re.DOTALL)
    assert form and form.group(1) == f"/admin/feedback/courses/{world.course_id}/reviews/consider"
    body = form.group(0)
    assert 'name="csrf_token"' in body
    assert f'<input class="nhsuk-checkboxes__input" id="pick-answer-{answer_id}" name="answer_id" type="checkbox" value="{answer_id}">' in body
    assert re.search(rf'<label[^>]*for="pick-answer-{answer_id}">Add to a review<span class="nhsuk-u-visually-hidden">: '
                     r"the comment “Comment 1 on session 1” from the session on", body)
    assert f'name="question_id" type="checkbox" value="{world.bank.rating}"' in body
    assert f'name="question_id" type="checkbox" value="{world.bank.change}"' not in body  # comments, not questions
    assert re.search(r'<option value=""\s*>\s*Start a new review\s*</option>', body)
    assert "Add to the draft review of 3 June 2026" in body
    assert 'id="add-to-review"' in body and "Add selected feedback to a review" in body


# --- CSV ------------------------------------------------------------------------------------------


def test_csv_has_one_row_per_answer_is_formula_safe_and_is_audited(login_as, client, app):
    # The world's one response is anonymous: alone in its term's pool, it is left out.
    world = _world(app, ratings_per_session=[[4]], comment=False, anonymous=True)
    with app.app_context():
        named = factories.make_user(full_name="Zebedee Quill")
        _respond(world.sessions[0], {world.bank.yes: 0, world.bank.change: '=HYPERLINK("http://evil.example","x")'},
                 respondent_id=named.id)
        for i, nasty in enumerate(("+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR")):
            _respond(world.sessions[0], {world.bank.change: nasty},
                     respondent_id=factories.make_user(full_name=f"Person {i}").id)
        db.session.commit()
    admin = login_as("admin")
    response = client.get(f"/admin/feedback/courses/{world.course_id}/responses.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="feedback-')
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["Response", "Session starts", "Content version", "Audience", "Term", "Given on", "Respondent",
                       "Question (as answered)", "Answer"]
    body = rows[1:]
    # Named responses only: the anonymous one is held back with its pool (fewer than 8).
    assert [(r[0], r[6], r[7], r[8]) for r in body] == [
        ("1", "Zebedee Quill", "Would you recommend the course?", "No"),
        ("1", "Zebedee Quill", "What would you change?", "'=HYPERLINK(\"http://evil.example\",\"x\")"),
        ("2", "Person 0", "What would you change?", "'+1+1"),
        ("3", "Person 1", "What would you change?", "'-2+3"),
        ("4", "Person 2", "What would you change?", "'@SUM(A1)"),
        ("5", "Person 3", "What would you change?", "'\tTAB"),
        ("6", "Person 4", "What would you change?", "'\rCR"),
    ]
    assert body[0][3] == "Students" and body[0][2] == "1" and re.fullmatch(r"(Autumn|Spring|Summer) term \d{4} \(.*\)", body[0][4])
    assert body[0][5] == format_uk(date.today())
    with app.app_context():
        event = db.session.execute(select(AuditEvent).where(AuditEvent.event == "export")).scalar_one()
        assert event.actor_id == admin.id and event.detail == f"feedback responses CSV (course {world.course_id})"
    # The same filters as the page: a question.
    only = client.get(f"/admin/feedback/courses/{world.course_id}/responses.csv?question={world.bank.change}")
    assert len(list(csv.reader(io.StringIO(only.get_data(as_text=True))))) == 7
    page = _page(client, f"/admin/feedback/courses/{world.course_id}?question={world.bank.change}")
    assert f'href="/admin/feedback/courses/{world.course_id}/responses.csv?question={world.bank.change}"' in page
    assert "Download responses (CSV)" in page


# --- Performance --------------------------------------------------------------------------------


def _statements_for(app, client, url) -> int:
    with count_statements(app) as statements:
        response = client.get(url)
    assert response.status_code == 200
    return len(statements)


def test_the_dashboard_runs_the_same_number_of_queries_whatever_the_data_size(login_as, client, app, web):
    small = _world(app, ratings_per_session=[[5, 4, 3, 4, 5]] * 2, title="Small")  # 10 responses, 2 sessions
    large = _world(app, ratings_per_session=[[5, 4, 3, 4, 5, 2, 1, 5, 4, 3]] * 6, title="Large")  # 60, 6
    me = login_as("admin", "facilitator")
    for world in (small, large):
        for sid in world.sessions:
            _roster(app, sid, me.id)
    counts = {}
    for name, world in (("small", small), ("large", large)):
        counts[name] = (
            _statements_for(app, client, f"/admin/feedback/courses/{world.course_id}"),
            _statements_for(app, client, f"/admin/feedback/courses/{world.course_id}?session={world.sessions[0]}"
                                         f"&question={world.bank.change}"),
            _statements_for(app, client, f"/facilitate/feedback/courses/{world.course_id}"),
            _statements_for(app, client, f"/admin/feedback/courses/{world.course_id}/responses.csv"),
        )
    assert counts["small"] == counts["large"], counts
    assert _statements_for(app, client, "/admin/feedback") == _statements_for(app, client, "/facilitate/feedback")


@pytest.mark.parametrize("role", ["student", "facilitator", "tutor", "support_lead"])
def test_only_rec_staff_can_turn_the_pages_with_ticks(login_as, client, app, role):
    world = _world(app, ratings_per_session=[[5]])
    login_as(role)
    token = csrf_from(client.get("/my/account").get_data(as_text=True))
    response = client.post(f"/admin/feedback/courses/{world.course_id}/turn-page",
                           data={"csrf_token": token, "answer_id": "1", "page": "2"})
    assert response.status_code == 403
    with client.session_transaction() as session:
        assert "picks" not in session  # nothing was kept
