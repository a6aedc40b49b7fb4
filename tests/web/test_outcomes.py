"""The outcome questionnaire (/my/outcomes), the offer after enrolment, follow-up
invitations, and the admin report (/admin/outcomes) with its CSV."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from rec_portal.extensions import db
from rec_portal.models import (
    AuditEvent,
    OutboxMessage,
    OutcomeCheck,
    OutcomeCrimeType,
    OutcomeInvitation,
    OutcomeReportedTo,
    User,
    UserSession,
)
from rec_portal.timeutil import uk_to_utc, utcnow
from tests import factories
from tests.conftest import Browserless, count_statements, csrf_from


def _checks(app, student_id=None):
    with app.app_context():
        query = select(OutcomeCheck)
        if student_id:
            query = query.where(OutcomeCheck.student_id == student_id)
        rows = db.session.execute(query.order_by(OutcomeCheck.id)).scalars().all()
        return [(c.stage, c.victim, c.times, c.reported, c.got_support,
                 [t.crime_type for t in c.crime_types], [r.body for r in c.reported_to]) for c in rows]


def _count(app, model) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(model)).scalar_one()


# --- The student's pages --------------------------------------------------------------------------

def test_the_overview_explains_why_and_that_it_is_optional(login_as, client):
    login_as("student")
    page = client.get("/my/outcomes").get_data(as_text=True)
    assert "Your experience of crime" in page
    assert "You do not have to answer" in page and "You can skip any question" in page
    assert "never your answers" in page and "fewer than 8 people" in page
    assert 'href="/support"' in page and 'href="tel:999"' in page
    # The baseline is open; the follow-ups wait for Staying Safe.
    assert 'href="/my/outcomes/baseline"' in page
    assert "We ask these questions 6 months after you come to Staying Safe." in page
    # Pages about crime offer the quick exit, like the safety plan.
    for path in ("/my/outcomes", "/my/outcomes/baseline"):
        html = client.get(path).get_data(as_text=True)
        assert "Leave this page quickly" in html and "data-rec-quick-exit" in html, path
    assert "no-store" in client.get("/my/outcomes").headers["Cache-Control"]


def test_answering_with_some_questions_skipped_keeps_only_what_was_answered(login_as, web, client, app):
    me = login_as("student")
    form = client.get("/my/outcomes/baseline").get_data(as_text=True)
    assert "In the last 12 months, has anyone committed a crime against you?" in form
    assert "Skip these questions" in form and "If you answered yes" in form
    response = web.submit("/my/outcomes/baseline", {
        "victim": "yes", "times": "", "crime_types": ["harassment", "theft"], "reported": "yes",
        "reported_to": ["police"], "got_support": "",
    })
    assert response.status_code == 302 and response.headers["Location"] == "/my/outcomes#stage-baseline"
    assert _checks(app, me.id) == [("baseline", True, None, True, None, ["harassment", "theft"], ["police"])]
    page = client.get("/my/outcomes").get_data(as_text=True)
    assert "Thank you. Your answers are saved." in page
    for shown in ("Theft or burglary, Harassment, threats or stalking", "The police", "Not answered",
                  "Delete my answers"):
        assert shown in page
    # The stage is answered: the form sends the person back to their answers.
    again = client.get("/my/outcomes/baseline")
    assert again.status_code == 303 and again.headers["Location"] == "/my/outcomes"


def test_no_with_follow_ups_ticked_keeps_the_no_only(login_as, web, app):
    me = login_as("student")
    web.submit("/my/outcomes/baseline", {"victim": "no", "times": "lots", "crime_types": ["theft"],
                                         "reported": "yes", "reported_to": ["police"], "got_support": "yes"})
    assert _checks(app, me.id) == [("baseline", False, None, None, None, [], [])]


@pytest.mark.parametrize("data", [{}, {"victim": "prefer_not", "times": "3"}, {"times": "2", "crime_types": "fraud"}])
def test_not_answering_the_first_question_saves_nothing(login_as, web, client, app, data):
    login_as("student")
    response = web.submit("/my/outcomes/baseline", data)
    assert response.status_code == 302
    assert _checks(app) == []
    assert "nothing was saved" in client.get("/my/outcomes").get_data(as_text=True)


def test_skipping_the_questionnaire_saves_nothing(login_as, web, client, app):
    login_as("student")
    response = web.submit("/my/outcomes/baseline", {"victim": "yes", "times": "2", "skip": "1"})
    assert response.headers["Location"] == "/my/outcomes"
    assert _checks(app) == [] and _count(app, OutcomeCheck) == 0
    page = client.get("/my/outcomes").get_data(as_text=True)
    assert "You skipped the questions. Nothing was saved." in page
    assert 'href="/my/outcomes/baseline"' in page  # still there to answer later


def test_a_wrong_number_of_times_is_explained_and_the_answers_kept(login_as, web, app):
    login_as("student")
    response = web.submit("/my/outcomes/baseline", {"victim": "yes", "times": "2.5", "crime_types": ["fraud"]})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in page and 'href="#times"' in page
    assert "Enter how many times as a whole number from 1 to 99, or leave it blank" in page
    assert 'value="2.5"' in page and 'value="fraud" checked' in page
    assert _checks(app) == []


def test_kinds_of_crime_must_come_from_the_list(login_as, web, app):
    login_as("student")
    response = web.submit("/my/outcomes/baseline", {"victim": "yes", "crime_types": ["theft", "<script>"]})
    assert response.status_code == 400
    assert "Choose kinds of crime from the list" in response.get_data(as_text=True)
    assert _checks(app) == []


def test_deleting_answers_asks_first_and_removes_them_and_only_them(login_as, web, client, app):
    with app.app_context():
        other = factories.make_user()
        factories.make_outcome_check(other, victim=True, times=2, crime_types=["fraud"])
        db.session.commit()
        other_id = other.id
    me = login_as("student")
    web.submit("/my/outcomes/baseline", {"victim": "yes", "times": "4", "crime_types": ["assault"],
                                         "reported": "yes", "reported_to": ["police", "care_team"]})
    confirm = client.get("/my/outcomes/baseline/delete").get_data(as_text=True)
    assert "Delete your answers" in confirm and "cannot be brought back" in confirm
    response = web.submit("/my/outcomes/baseline/delete", {}, page="/my/outcomes/baseline/delete")
    assert response.headers["Location"] == "/my/outcomes"
    assert _checks(app, me.id) == []
    assert _checks(app, other_id) == [("baseline", True, 2, None, None, ["fraud"], [])]
    assert _count(app, OutcomeCrimeType) == 1 and _count(app, OutcomeReportedTo) == 0
    page = client.get("/my/outcomes").get_data(as_text=True)
    assert "Your answers (at enrolment) are deleted." in page
    assert 'href="/my/outcomes/baseline"' in page  # may answer again
    # Nothing to delete: the confirmation page is not shown.
    assert client.get("/my/outcomes/baseline/delete").headers["Location"] == "/my/outcomes"


def test_a_student_sees_only_their_own_answers(login_as, client, app):
    with app.app_context():
        other = factories.make_user()
        factories.make_outcome_check(other, victim=True, times=7, crime_types=["hate_crime"])
        db.session.commit()
    login_as("student")
    page = client.get("/my/outcomes").get_data(as_text=True)
    assert "Hate crime" not in page and "You answered on" not in page
    assert client.get("/my/outcomes/nonsense").status_code == 404


def test_staff_without_the_student_role_and_students_cannot_open_the_wrong_pages(login_as, client, web):
    login_as("facilitator")
    assert client.get("/my/outcomes").status_code == 403
    assert client.get("/admin/outcomes").status_code == 403
    client.post("/logout", data={"csrf_token": web.token("/my/account")})
    login_as("student")
    response = client.get("/admin/outcomes")
    assert response.status_code == 403 and "You do not have access to this page" in response.get_data(as_text=True)
    assert client.get("/admin/outcomes.csv").status_code == 403


def test_posts_without_the_csrf_token_change_nothing(login_as, client, app):
    me = login_as("student")
    response = client.post("/my/outcomes/baseline", data={"victim": "yes"})
    assert response.status_code == 400
    with app.app_context():
        factories.make_outcome_check(db.session.get(User, me.id))
        db.session.commit()
    assert client.post("/my/outcomes/baseline/delete", data={}).status_code == 400
    assert _count(app, OutcomeCheck) == 1


def test_what_was_typed_is_kept_when_the_session_expires(app):
    with app.app_context():
        user = factories.make_user()
        db.session.commit()
        email = user.email
    client = app.test_client()
    Browserless(client).login(email)
    token = csrf_from(client.get("/my/outcomes/baseline").get_data(as_text=True))
    with app.app_context():
        idle = app.config["REC_IDLE_TIMEOUT"]
        db.session.execute(update(UserSession).values(last_seen_at=utcnow() - idle - timedelta(minutes=1)))
        db.session.commit()
    response = client.post("/my/outcomes/baseline", data={"csrf_token": token, "victim": "yes", "times": "3",
                                                          "crime_types": ["fraud"]})
    assert response.headers["Location"].startswith("/login")
    assert _checks(app) == []
    Browserless(client).login(email)
    page = client.get("/my/outcomes/baseline").get_data(as_text=True)
    assert "We kept what you typed" in page
    assert 'value="3"' in page and 'value="fraud" checked' in page and 'value="yes" checked' in page


# --- Enrolment -----------------------------------------------------------------------------------

def test_enrolment_offers_the_questions_answer_now_or_not_now(web, client):
    response = web.enrol({
        "full_name": "Ada Lovelace", "email": "ada@example.org", "password": "engine-analytical-1843",
        "confirm_password": "engine-analytical-1843", "consent": "y",
        "relationship_to_services": "service_user", "contact_preference": "email",
    })
    # Enrolment leads to the home page, which offers these questions (tests/web/test_home.py).
    assert response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "A few optional questions" in page
    assert 'href="/my/outcomes/baseline"' in page and ">Not now<" in page.replace("\n", "").replace("  ", "")
    # The page that used to follow enrolment still offers them, with the same words.
    assert "A few optional questions" in client.get("/my/outcomes/welcome").get_data(as_text=True)


# --- Follow-ups ----------------------------------------------------------------------------------

def _invite(app):
    result = app.test_cli_runner().invoke(args=["rec", "outcome-invitations"])
    assert result.exit_code == 0, result.output
    return result.output


def test_follow_ups_open_and_are_invited_once_when_due(app, web, client):
    with app.app_context():
        due6 = factories.make_user(email="six@example.org")
        due12 = factories.make_user(email="twelve@example.org")
        not_yet = factories.make_user(email="notyet@example.org")
        absent = factories.make_user(email="absent@example.org")
        answered = factories.make_user(email="answered@example.org")
        disabled = factories.make_user(email="disabled@example.org", active=False)
        gone = factories.make_user(email="gone@example.org")
        gone.anonymised_at = utcnow()
        factories.make_attended_session([due6, answered, disabled, gone], ended_days_ago=200)
        factories.make_attended_session([due12], ended_days_ago=380)
        factories.make_attended_session([not_yet], ended_days_ago=100)
        factories.make_attended_session([absent], ended_days_ago=200, present=False)
        other_course = factories.make_course(title="Introduction to Recovery", slug="intro")
        factories.make_attended_session([not_yet], course=other_course, ended_days_ago=300)
        factories.make_outcome_check(answered, stage="6_months")
        db.session.commit()
    assert "Sent 2 follow-up invitations" in _invite(app)
    with app.app_context():
        invites = {(i.student.email, i.stage) for i in db.session.execute(select(OutcomeInvitation)).scalars()}
        assert invites == {("six@example.org", "6_months"), ("twelve@example.org", "12_months")}
        mail = db.session.execute(select(OutboxMessage).order_by(OutboxMessage.to_address)).scalars().all()
        assert [m.to_address for m in mail] == ["six@example.org", "twelve@example.org"]
        assert "http://127.0.0.1:5000/my/outcomes/6-months" in mail[0].body_text
        assert "every question is optional" in mail[0].body_text.lower()
        assert "Staying Safe" not in mail[0].subject
    assert "Sent 0 follow-up invitations" in _invite(app)  # safe to repeat
    assert _count(app, OutboxMessage) == 2

    # The 6-month questions are open to the person who is due, and count from the session.
    web.login("six@example.org")
    page = client.get("/my/outcomes").get_data(as_text=True)
    assert "Your follow-up questions are ready" in page
    assert 'href="/my/outcomes/6-months"' in page
    assert client.get("/my/outcomes/12-months").status_code == 303  # not yet
    web.submit("/my/outcomes/6-months", {"victim": "no"})
    with app.app_context():
        check = db.session.execute(
            select(OutcomeCheck).join(User, User.id == OutcomeCheck.student_id).where(User.email == "six@example.org")
        ).scalar_one()
        assert (check.stage, check.victim, check.session_id is not None) == ("6_months", False, True)


def test_my_courses_mentions_a_due_follow_up_for_about_three_months(app, web, client):
    with app.app_context():
        people = {name: factories.make_user(email=f"{name}@example.org")
                  for name in ("six", "twelve", "stale", "early", "answered")}
        factories.make_attended_session([people["six"], people["answered"]], ended_days_ago=200)
        factories.make_attended_session([people["twelve"]], ended_days_ago=380)
        factories.make_attended_session([people["stale"]], ended_days_ago=300)  # 6 months was ~4 months ago
        factories.make_attended_session([people["early"]], ended_days_ago=100)
        factories.make_outcome_check(people["answered"], stage="6_months")
        db.session.commit()

    def my_courses(name):
        web.login(f"{name}@example.org")
        page = client.get("/my/courses").get_data(as_text=True)
        client.post("/logout", data={"csrf_token": csrf_from(page)})
        return page

    page = my_courses("six")
    assert "It is more than 6 months since your Staying Safe course" in page
    assert 'href="/my/outcomes/6-months">Answer the follow-up questions' in page
    page = my_courses("twelve")
    assert "It is more than 12 months since your Staying Safe course" in page and 'href="/my/outcomes/12-months"' in page
    for name in ("stale", "early", "answered"):
        assert 'id="outcomes-prompt"' not in my_courses(name), name
    # Past the three months, the questions are still open on the student's own page.
    web.login("stale@example.org")
    assert "Your follow-up questions are ready" in client.get("/my/outcomes").get_data(as_text=True)
    # Once answered, My courses stops mentioning them.
    web.submit("/my/outcomes/6-months", {"victim": "no"})
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/my/outcomes").get_data(as_text=True))})
    web.login("six@example.org")
    web.submit("/my/outcomes/6-months", {"victim": "no"})
    assert 'id="outcomes-prompt"' not in client.get("/my/courses").get_data(as_text=True)


def test_a_follow_up_that_is_not_due_cannot_be_answered(login_as, web, client, app):
    me = login_as("student")
    with app.app_context():
        factories.make_attended_session([db.session.get(User, me.id)], ended_days_ago=30)
        db.session.commit()
    page = client.get("/my/outcomes").get_data(as_text=True)
    assert "These questions open on" in page
    response = web.submit("/my/outcomes/6-months", {"victim": "yes"}, page="/my/outcomes")
    assert response.status_code == 303 and _checks(app) == []


# --- The report ------------------------------------------------------------------------------------

def _at(year, month, day=15):
    return uk_to_utc(datetime(year, month, day).date(), datetime.min.time().replace(hour=12))


def _fixture(app):
    """Hand-counted answers (the "now" of the report is the real now, so the quarters run
    from Jan to Mar 2026 to today's).

    Baseline, Jan to Mar 2026: 20 respondents; 8 victims, of whom 4 repeat victims (times
    2 or more), 2 with times not given; 8 victims said whether they reported: 5 yes, 3 no;
    kinds: theft 8 (every victim), fraud 3. Plus 2 people with victim skipped: not counted.
    Baseline, Apr to Jun 2026: 12 respondents, 0 victims.
    6 months, Jul to Sep 2026: 3 respondents (all victims, once each).
    """
    with app.app_context():
        people = [factories.make_user() for _ in range(37)]
        p = iter(people)
        for i in range(8):  # victims
            factories.make_outcome_check(
                next(p), answered_at=_at(2026, 2), victim=True,
                times=[2, 3, 5, 9, 1, 1, None, None][i], reported=i < 5,
                crime_types=["theft", "fraud"] if i < 3 else ["theft"],
            )
        for _ in range(12):
            factories.make_outcome_check(next(p), answered_at=_at(2026, 3), victim=False)
        for _ in range(12):
            factories.make_outcome_check(next(p), answered_at=_at(2026, 5), victim=False)
        for _ in range(3):
            factories.make_outcome_check(next(p), stage="6_months", answered_at=_at(2026, 8), victim=True, times=1)
        for _ in range(2):
            factories.make_outcome_check(next(p), answered_at=_at(2026, 2), victim=None)
        db.session.commit()


def _row(page: str, row_id: str) -> str:
    start = page.index(f'id="{row_id}"')
    return page[start:page.index("</tr>", start)]


def _cells(row_html: str) -> list[str]:
    import re

    return [re.sub(r"<[^>]+>", "", c).replace("Respondents ", "", 0).strip()
            for c in re.findall(r'<td[^>]*>.*?</span>(.*?)</td>', row_html, re.S)]


def test_the_report_matches_the_hand_counted_answers(login_as, client, app):
    _fixture(app)
    login_as("admin")
    page = client.get("/admin/outcomes").get_data(as_text=True)
    assert "Outcomes" in page and "Experience of crime" in page
    # Baseline, Jan to Mar 2026: 20 respondents, 8 victims (40%), 4 repeat (20%),
    # 5 of 8 reported (63%, rounded half up from 62.5).
    assert _cells(_row(page, "baseline-2026-1")) == ["20", "8", "40%", "not shown", "not shown", "not shown", "not shown"]
    # 4 repeat victims and 5 who reported it are small numbers, so their shares go too. The Apr to Jun row: 12 respondents, no victims.
    assert _cells(_row(page, "baseline-2026-2")) == ["12", "0", "0%", "0", "0%", "0", "No answers"]
    # All quarters: 32 respondents, 8 victims: shown, the column's only other quarter is 0.
    total = _cells(_row(page, "baseline-total"))
    assert total[:3] == ["32", "8", "25%"]
    # 6 months: 3 respondents, all victims: held back, and no share.
    assert _cells(_row(page, "6_months-2026-3"))[:3] == ["not shown", "not shown", "not shown"]
    # The chart and its description.
    assert 'role="img"' in page and "Jan to Mar 2026: 40%." in page
    with app.app_context():
        assert db.session.execute(select(AuditEvent.event).order_by(AuditEvent.id.desc())).scalars().first() == \
            "outcomes.report_viewed"


def test_kinds_of_crime_are_counted_and_small_ones_held_back(login_as, client, app):
    _fixture(app)
    login_as("admin")
    page = client.get("/admin/outcomes?stage=baseline").get_data(as_text=True)
    kinds = page[page.index('id="outcomes-baseline-kinds"'):]
    first = kinds[kinds.index("Jan to Mar 2026"):kinds.index("</tr>", kinds.index("Jan to Mar 2026"))]
    # Theft 8 (shown), fraud 3 (held back), the rest 0.
    import re

    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r'</span>(.*?)</td>', first, re.S)]
    assert cells == ["8", "0", "0", "0", "not shown", "0", "0", "0"]
    assert 'id="outcomes-6_months"' not in page  # the stage filter


def test_a_quarter_filter_shows_no_total_row(login_as, client, app):
    _fixture(app)
    login_as("admin")
    page = client.get("/admin/outcomes?from=2026-2&to=2026-2&stage=baseline").get_data(as_text=True)
    assert 'id="baseline-2026-2"' in page and 'id="baseline-2026-1"' not in page
    assert 'id="baseline-total"' not in page
    bad = client.get("/admin/outcomes?from=1999-9")
    assert bad.status_code == 400 and "Choose a quarter from the list" in bad.get_data(as_text=True)


def test_the_report_before_any_quarter_ends_says_the_same_whether_or_not_anyone_answered(login_as, client, app):
    """Before the first quarter with answers ends there are no figures, and the page reads
    the same with no answers as with one given this quarter (so it gives nobody away)."""
    login_as("admin")

    def empty_page():
        page = client.get("/admin/outcomes").get_data(as_text=True)
        return page[page.index('<div id="outcomes-report">'):page.index("</main>")]

    before = empty_page()
    assert "There are no figures yet. Figures for a quarter appear once it has ended." in before
    with app.app_context():
        factories.make_outcome_check(factories.make_user(), answered_at=utcnow(), victim=True, times=2)
        db.session.commit()
    assert empty_page() == before
    assert client.get("/admin/outcomes.csv").get_data(as_text=True).splitlines()[1:] == []


def test_the_csv_has_the_suppressed_figures_and_is_audited(login_as, client, app):
    _fixture(app)
    login_as("admin")
    response = client.get("/admin/outcomes.csv?stage=baseline")
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:5] == ["Stage", "Quarter", "Respondents", "Victims of crime", "Share who were victims"]
    first = next(r for r in rows if r[1] == "Jan to Mar 2026")
    assert first[:9] == ["At enrolment", "Jan to Mar 2026", "20", "8", "40%", "not shown", "not shown",
                         "not shown", "not shown"]
    assert [r[1] for r in rows[1:]][-1] == "All quarters"
    with app.app_context():
        detail = db.session.execute(select(AuditEvent.detail).where(AuditEvent.event == "export")).scalar_one()
        assert detail == "outcomes report CSV"


def test_the_csv_cannot_carry_a_formula(login_as, client, app, monkeypatch):
    from rec_portal.models import outcomes as models

    _fixture(app)
    login_as("admin")
    monkeypatch.setitem(models.STAGE_LABELS, "baseline", "=HYPERLINK(\"http://x\")")
    monkeypatch.setitem(models.CRIME_TYPES, "theft", "@SUM(A1)")
    text = client.get("/admin/outcomes.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text)))
    assert "Kind of crime: @SUM(A1)" in rows[0]
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows[1:] for cell in row)
    assert any(row[0] == "'=HYPERLINK(\"http://x\")" for row in rows[1:])


def _statements(app, client, url) -> int:
    with count_statements(app) as statements:
        response = client.get(url)
    assert response.status_code == 200
    return len(statements)


def _clock(monkeypatch, moment: datetime) -> None:
    """The outcomes' "now" (what the student's answer is dated, and which quarters have
    ended). ``raising=False``: the same test runs on code without the views' clock."""
    for module in ("rec_portal.outcomes.operations", "rec_portal.outcomes.queries", "rec_portal.outcomes.views"):
        monkeypatch.setattr(f"{module}.utcnow", lambda: moment, raising=False)


def test_the_report_runs_the_same_number_of_queries_whatever_the_data_size(login_as, client, app, monkeypatch):
    login_as("admin")
    with app.app_context():
        factories.make_outcome_check(factories.make_user(), answered_at=_at(2025, 11), victim=True)
        db.session.commit()
    _clock(monkeypatch, _at(2026, 1))
    _statements(app, client, "/admin/outcomes")  # closes Oct to Dec 2025
    with app.app_context():
        people = [factories.make_user() for _ in range(5)]
        for i, person in enumerate(people):
            factories.make_outcome_check(person, answered_at=_at(2026, 1 + i % 3), victim=bool(i % 2), times=2,
                                         crime_types=["theft"])
        db.session.commit()
    _clock(monkeypatch, _at(2026, 4))
    small_closing = _statements(app, client, "/admin/outcomes")  # closes Jan to Mar 2026
    small = _statements(app, client, "/admin/outcomes")
    small_csv = _statements(app, client, "/admin/outcomes.csv")
    with app.app_context():
        people = [factories.make_user() for _ in range(60)]
        for i, person in enumerate(people):
            for stage in ("baseline", "6_months", "12_months"):
                factories.make_outcome_check(person, stage=stage, answered_at=_at(2026, 4 + i % 3), victim=bool(i % 3),
                                             times=1 + i % 4, reported=bool(i % 2), crime_types=["theft", "fraud"][: 1 + i % 2])
        db.session.commit()
    _clock(monkeypatch, _at(2026, 7))
    assert _statements(app, client, "/admin/outcomes") == small_closing  # closes Apr to Jun 2026
    assert _statements(app, client, "/admin/outcomes") == small
    assert _statements(app, client, "/admin/outcomes.csv") == small_csv


# --- Figures fixed when a quarter closes (issue 13) ----------------------------------------------


def _report_part(client, url="/admin/outcomes") -> str:
    page = client.get(url).get_data(as_text=True)
    return page[page.index('<div id="outcomes-report">'):page.index("</main>")]


def _csv(client) -> list[list[str]]:
    return list(csv.reader(io.StringIO(client.get("/admin/outcomes.csv").get_data(as_text=True))))


def test_downloading_before_and_after_an_answer_shows_nothing_until_the_quarter_closes(
        app, client, web, monkeypatch):
    """The attack: download the CSV, a student answers, download it again. Nothing may
    change until the quarter the answer was given in has ended; then its figures are fixed,
    and the student deleting their answers changes nothing staff see."""
    _clock(monkeypatch, _at(2026, 11, 20))  # Oct to Dec 2026 is still open
    with app.app_context():
        admin = factories.make_user(roles=("admin",))
        student = factories.make_user()
        for i in range(40):  # Jul to Sep 2026: 40 respondents, 16 victims
            factories.make_outcome_check(factories.make_user(), answered_at=_at(2026, 8), victim=i < 16,
                                         times=2 if i < 8 else 1, reported=i < 10, crime_types=["theft"])
        for i in range(16):  # Oct to Dec 2026 so far: 16 respondents, 8 victims
            factories.make_outcome_check(factories.make_user(), answered_at=_at(2026, 10), victim=i < 8,
                                         times=2, reported=True, crime_types=["fraud"])
        db.session.commit()
        admin_email, student_email = admin.email, student.email

    web.login(admin_email)
    before_csv, before_page = _csv(client), _report_part(client)

    client.post("/logout", data={"csrf_token": web.token("/admin/outcomes")})
    web.login(student_email)
    web.submit("/my/outcomes/baseline", {"victim": "yes", "times": "1", "crime_types": ["fraud"], "reported": "no"})
    assert _count(app, OutcomeCheck) == 57
    client.post("/logout", data={"csrf_token": web.token("/my/outcomes")})

    web.login(admin_email)
    assert _csv(client) == before_csv  # not 56 -> 57 respondents, 24 -> 25 victims
    assert _report_part(client) == before_page
    # Only the quarter that has ended is shown, with its total.
    assert [row[1] for row in before_csv[1:4]] == ["Jul to Sep 2026", "All quarters", "Jul to Sep 2026"]
    assert before_csv[1][2:4] == ["40", "16"] and before_csv[2][2:4] == ["40", "16"]
    assert "Oct to Dec 2026" not in before_page
    assert "Answers given since 1 October 2026 will be counted after 31 December 2026." in \
        client.get("/admin/outcomes").get_data(as_text=True)

    _clock(monkeypatch, _at(2027, 1, 5))  # the quarter has ended: its figures appear, fixed
    from rec_portal.models import OutcomeQuarterFigure

    closed_csv, closed_page = _csv(client), _report_part(client)
    baseline = {row[1]: row for row in closed_csv[1:] if row[0] == "At enrolment"}
    assert baseline["Oct to Dec 2026"][2:4] == ["17", "9"]
    assert baseline["All quarters"][2:4] == ["57", "25"]
    with app.app_context():
        stored = _count(app, OutcomeQuarterFigure)
    assert stored > 0

    client.post("/logout", data={"csrf_token": web.token("/admin/outcomes")})
    web.login(student_email)
    web.submit("/my/outcomes/baseline/delete", {}, page="/my/outcomes/baseline/delete")
    assert _count(app, OutcomeCheck) == 56  # their answers are gone
    client.post("/logout", data={"csrf_token": web.token("/my/outcomes")})

    web.login(admin_email)
    assert _csv(client) == closed_csv  # the closed figures, anonymous counts, stay
    assert _report_part(client) == closed_page
    assert _count(app, OutcomeQuarterFigure) == stored


def test_closing_twice_stores_once_and_later_answers_never_change_a_closed_quarter(app):
    from rec_portal.models import OutcomeQuarter, OutcomeQuarterFigure
    from rec_portal.outcomes.operations import close_quarters
    from rec_portal.outcomes.queries import build_report

    with app.app_context():
        for i in range(20):
            factories.make_outcome_check(factories.make_user(), answered_at=_at(2026, 2), victim=i < 10, times=2)
        db.session.commit()
        assert close_quarters(_at(2026, 3)) == 0  # Jan to Mar has not ended
        assert build_report().quarters == []
        assert close_quarters(_at(2026, 7)) == 2  # Jan to Mar and Apr to Jun
        db.session.commit()
        figures = _count(app, OutcomeQuarterFigure)
        assert close_quarters(_at(2026, 7)) == 0
        db.session.commit()
        assert _count(app, OutcomeQuarter) == 2 and _count(app, OutcomeQuarterFigure) == figures
        # An answer dated in a closed quarter (only backdated data can be) is never counted.
        factories.make_outcome_check(factories.make_user(), answered_at=_at(2026, 2), victim=True)
        db.session.commit()
        assert close_quarters(_at(2026, 8)) == 0
        table = build_report(stage="baseline").tables[0]
        assert [(r.label, r["respondents"].text, r["victims"].text) for r in table.rows] == [
            ("Jan to Mar 2026", "20", "10"), ("Apr to Jun 2026", "0", "0")]


def test_deleting_an_account_leaves_the_closed_figures(app):
    from rec_portal.data_rights.operations import delete_account
    from rec_portal.outcomes.operations import close_quarters
    from rec_portal.outcomes.queries import build_report

    with app.app_context():
        people = [factories.make_user() for _ in range(20)]
        for i, person in enumerate(people):
            factories.make_outcome_check(person, answered_at=_at(2026, 2), victim=i < 9, times=2)
        close_quarters(_at(2026, 4))
        db.session.commit()
        before = [(r.label, r["respondents"].text, r["victims"].text) for r in build_report().tables[0].rows]
        delete_account(people[0])
        db.session.commit()
        assert _count(app, OutcomeCheck) == 19
        after = [(r.label, r["respondents"].text, r["victims"].text) for r in build_report().tables[0].rows]
        assert after == before == [("Jan to Mar 2026", "20", "9")]


def test_the_term_report_has_no_figures_from_the_questions_about_crime(login_as, client, app):
    """The term report, its CSVs and PDF show nothing from the questions about crime, so
    an answer given this term changes none of them (the figures are only in the crime
    report, quarter by quarter once each has ended)."""
    from rec_portal.reports import tables

    login_as("admin")
    urls = ["/admin/reports/term", *[f"/admin/reports/term/{name}.csv" for name in tables.TABLES]]

    def pages():
        out = {}
        for url in urls:
            text = client.get(url).get_data(as_text=True)
            if "<main" in text:
                text = text[text.index("<main"):text.index("</main>")]
            out[url] = text
        return out

    with app.app_context():
        people = [factories.make_user() for _ in range(9)]
        db.session.commit()
    client.get("/admin/reports/term")  # the "signed in" message goes
    before = pages()
    assert all(" crime" not in text.lower() for text in before.values())
    with app.app_context():
        for person in people:
            factories.make_outcome_check(db.session.merge(person), answered_at=utcnow(), victim=True, times=2,
                                         crime_types=["theft"])
        db.session.commit()
    after = pages()
    assert after == before


def test_the_outcome_quarters_command_stores_each_ended_quarter_once(app):
    from rec_portal.models import OutcomeQuarter

    with app.app_context():
        for i in range(20):
            factories.make_outcome_check(factories.make_user(), answered_at=_at(2026, 2), victim=i < 10)
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["rec", "outcome-quarters"])
    # Jan to Mar 2026 up to the quarter before today's: stored once.
    with app.app_context():
        from rec_portal.outcomes.queries import Quarter, quarters_between

        ended = len(quarters_between(Quarter(2026, 1), Quarter.of(utcnow()).previous()))
    assert result.exit_code == 0 and f"Stored the figures of {ended} quarters that ended." in result.output
    again = app.test_cli_runner().invoke(args=["rec", "outcome-quarters"])
    assert "Stored the figures of 0 quarters that ended." in again.output
    assert _count(app, OutcomeQuarter) == ended


def test_the_demo_data_has_closed_quarters_to_show(app, web, client):
    assert app.test_cli_runner().invoke(args=["rec", "demo-data"]).exit_code == 0
    web.login("admin@example.org", "demo-password")
    page = _report_part(client)
    assert "There are no figures yet" not in page
    with app.app_context():
        from rec_portal.outcomes.queries import Quarter

        current = Quarter.of(utcnow())
    assert current.label not in page and current.previous().label in page
    assert 'id="baseline-total"' in page and 'id="12_months-total"' in page
