"""The term report (/admin/reports/term): figures against a hand-counted term, small
numbers, access, CSV (formula-safe, audited), the PDF and a fixed number of statements."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
from datetime import timedelta

import pytest
from sqlalchemy import select

from rec_portal.stats.terms import parse_term
from rec_portal.extensions import db
from rec_portal.models import AuditEvent, FeedbackQuestion
from rec_portal.reports import queries, tables
from tests import factories
from tests.conftest import count_statements
from tests.scenarios import IN_TERM, TERM
from tests.scenarios import build_term as _build_term
from tests.scenarios import enrol as _enrol
from tests.scenarios import term_booking as _book
from tests.scenarios import term_session as _session


def _csv(client, name):
    response = client.get(f"/admin/reports/term/{name}.csv?term={TERM}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_figures_match_the_hand_counted_term(app, client, login_as):
    # The rosters report counts a session as delivered only once it is over: the term is past.
    _build_term(app)
    login_as("admin")
    page = client.get(f"/admin/reports/term?term={TERM}")
    assert page.status_code == 200
    text = _text(page.get_data(as_text=True))
    assert "Spring term 2026 (January to April)" in text
    assert "20 new students enrolled" in text

    assert _csv(client, "enrolment-by-relationship") == [
        ["Relationship to services", "Students"],
        ["Service user", "10"], ["Carer", "not shown"], ["Staff", "not shown"], ["Other", "0"],
        ["Not given", "0"], ["All students enrolled", "20"],
    ]
    referral = dict(_csv(client, "enrolment-by-referral")[1:])
    assert referral["Care team or key worker"] == "10" and referral["GP"] == "10"
    assert referral["Found the REC themselves"] == "0" and referral["All students enrolled"] == "20"

    assert _csv(client, "bookings") == [
        ["Status today", "Booked online by the student", "Booked by the REC team", "All"],
        ["Place confirmed", "1", "2", "3"], ["Place held, waiting for their answer", "0", "0", "0"],
        ["On the waiting list", "8", "0", "8"],
        ["Cancelled", "2", "0", "2"], ["All bookings", "11", "2", "13"],
    ]
    attendance = _csv(client, "attendance")
    assert attendance[0][:8] == ["Course", "Sessions", "Booked", "Attended", "No-shows", "Attendance rate",
                                 "No-show rate", "Registers not taken"]
    rows = {r[0]: r[1:] for r in attendance[1:]}
    assert rows["'=cmd|' /C calc'!A0"] == ["1", "3", "2", "1", "67%", "33%", "0"]
    assert rows["Managing Stress"] == ["2", "0", "0", "0", "", "", "0"]  # S2 and the one-to-one
    assert rows["All courses"] == ["3", "3", "2", "1", "67%", "33%", "0"]

    waiting = {r[0]: r[1:] for r in _csv(client, "waiting-lists")[1:]}
    # 9 people never got a place on S1 (8 waiting, 1 left); the one who cancelled a place is not counted.
    # The 1 who left is held back, and so is the 8 still waiting (9 minus 8 would give it away).
    assert waiting["'=cmd|' /C calc'!A0"] == ["1", "1", "9", "not shown", "not shown"]
    assert waiting["Managing Stress"] == ["1", "0", "0", "0", "0"]  # the one-to-one is left out
    assert waiting["All courses"] == ["2", "1", "9", "not shown", "not shown"]

    fidelity = {r[0]: r[1:] for r in _csv(client, "co-delivery")[1:]}
    assert fidelity["'=cmd|' /C calc'!A0"] == ["1", "1 (100%)", "1 (100%)", "1 (100%)"]
    assert fidelity["All delivered sessions"][0] == "3" and fidelity["All delivered sessions"][3] == "1 (33%)"

    feedback = {r[0]: r[1:] for r in _csv(client, "feedback")[1:]}
    assert feedback["'=cmd|' /C calc'!A0"] == ["1", "fewer than 8", "not shown", "not shown"]
    # 34 / 8 = 4.25, shown to one place as 4.3; 8 of 10 invitations answered.
    assert feedback["Managing Stress"][1:] == ["8", "80%", "4.3"]

    # 2 new and 1 arranged: each is a person, so held back, and the total reads as small.
    assert _csv(client, "workshop-requests") == [
        ["Status today", "Requests"], ["New", "not shown"], ["Arranged", "not shown"], ["Completed", "0"],
        ["Closed", "0"], ["All requests", "fewer than 8"],
    ]
    # The page says the same, with links to each figure's detail.
    assert "9 people could not get a place; 1 full session" in text
    html = page.get_data(as_text=True)
    assert 'href="/admin/reports/attendance?from=2026-01-01&amp;to=2026-04-30"' in html
    assert 'href="/admin/rosters/fidelity"' in html and 'href="/admin/feedback"' in html
    assert 'href="/admin/workshops?status=new"' in html and 'href="/admin/people?role=student"' in html


def test_csv_cells_cannot_become_formulas_and_downloads_are_audited(app, client, login_as):
    _build_term(app)
    login_as("admin")
    body = client.get(f"/admin/reports/term/waiting-lists.csv?term={TERM}").get_data(as_text=True)
    assert "\r\n'=cmd" in body and "\r\n=cmd" not in body
    with app.app_context():
        details = list(db.session.execute(select(AuditEvent.detail).where(AuditEvent.event == "export")).scalars())
    assert details == [f"term report waiting-lists CSV ({TERM})"]
    assert client.get(f"/admin/reports/term/nothing.csv?term={TERM}").status_code == 404
    assert client.get("/admin/reports/term/bookings.csv?term=2026-winter").status_code == 400


def test_small_numbers_hold_back_a_lone_group(app, client, login_as):
    with app.app_context():
        for _ in range(3):
            _enrol("carer", "gp", IN_TERM)
        db.session.commit()
    login_as("admin")
    text = _text(client.get(f"/admin/reports/term?term={TERM}").get_data(as_text=True))
    assert "fewer than 8 new students enrolled" in text
    rows = dict(_csv(client, "enrolment-by-relationship")[1:])
    assert rows["Carer"] == "not shown" and rows["All students enrolled"] == "fewer than 8"


def test_one_of_eight_co_delivered_reads_13_per_cent_in_the_headline_and_the_table(app, client, login_as):
    # 12.5 % rounds half up everywhere (rec_portal/stats): the headline used to say 12 %.
    with app.app_context():
        course = factories.make_course(title="Hope and Recovery")  # needs no particular role
        sessions = [_session(course, IN_TERM + timedelta(days=n)) for n in range(8)]
        peer = factories.make_user(roles=("facilitator",))
        factories.add_to_roster(sessions[0], peer)
        db.session.commit()
    login_as("admin")
    html = client.get(f"/admin/reports/term?term={TERM}").get_data(as_text=True)
    headline = _text(re.search(r'<a id="figure-co-delivery".*?</a>', html, re.S).group(0))
    assert "13% of 8 delivered sessions fully co-delivered" in headline
    rows = {r[0]: r[1:] for r in _csv(client, "co-delivery")[1:]}
    assert rows["All delivered sessions"] == ["8", "8 (100%)", "1 (13%)", "1 (13%)"]
    assert rows["Hope and Recovery"][3] == "1 (13%)"


def test_a_held_part_of_the_waiting_list_cannot_be_worked_out_from_a_shown_zero():
    """Course A: 12 people never got a place, 4 still waiting, 8 left; course B: 20, 20, 0.
    The 4 is held back, so B's 20 still waiting is too (rule 2 on the column). If B's 0 who
    left were shown, B's still waiting would be 20 - 0 = 20, and A's 24 - 20 = 4."""
    people, waiting, left = queries._guarded_together([{"A": 12, "B": 20}, {"A": 4, "B": 20}, {"A": 8, "B": 0}])
    assert [people["A"].text, waiting["A"].text, left["A"].text] == ["12", "not shown", "not shown"]
    assert [people["B"].text, waiting["B"].text, left["B"].text] == ["20", "not shown", "not shown"]
    # A row with nothing held keeps its zeros.
    people, waiting, left = queries._guarded_together([{"A": 9, "B": 30}, {"A": 9, "B": 30}, {"A": 0, "B": 0}])
    assert [waiting["A"].text, left["A"].text, waiting["B"].text, left["B"].text] == ["9", "0", "30", "0"]


def test_a_wrong_term_is_an_error_with_the_choices_kept(app, client, login_as):
    login_as("admin")
    response = client.get("/admin/reports/term?term=1999-easter")
    assert response.status_code == 400
    assert "Choose a term from the list" in response.get_data(as_text=True)


ADMIN_URLS = ["/admin/reports/term", "/admin/reports/term.pdf", "/admin/reports/term/bookings.csv"]


@pytest.mark.parametrize("url", ADMIN_URLS)
def test_signed_out_people_are_asked_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["student", "facilitator"])
def test_students_and_facilitators_are_refused(client, login_as, role):
    login_as(role)
    for url in ADMIN_URLS:
        assert client.get(url).status_code == 403, url


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils (pdftotext)")
def test_the_pdf_has_every_section(app, client, login_as):
    _build_term(app)
    login_as("admin")
    response = client.get(f"/admin/reports/term.pdf?term={TERM}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=response.data, capture_output=True,
                          check=True).stdout.decode()
    for heading in ("Term report: Spring term 2026", "Students enrolled", "Bookings", "Attendance and no-shows",
                    "Waiting lists", "Co-delivery", "Feedback", "Individual workshop requests",
                    "How these figures are worked out", "Each course at a glance"):
        assert heading in text, heading
    assert "20 new students enrolled" in text
    # The per-course sections print their totals; the courses are in one table at the end.
    lines = [re.split(r"\s{2,}", line.strip()) for line in text.splitlines()]
    assert ["All courses", "3", "3", "2", "1", "67%", "33%", "0"] in lines  # attendance
    assert ["All courses", "2", "1", "9", "not shown", "not shown"] in lines  # waiting lists
    assert ["Managing Stress", "1", "0", "–", "–", "0", "0 of 2", "8", "4.3"] in lines
    assert "2 courses with sessions in the term" in text


def test_the_pdf_table_of_courses_matches_the_hand_counted_term(app):
    """One row per course with the key figures of the four per-course tables."""
    _build_term(app)
    with app.app_context():
        report = queries.term_report(parse_term(TERM))
        rows, total = tables.COURSE_SUMMARY.rows(report)
    assert total is None
    assert rows == [
        # Course A: S1 (the old session is outside the term); 3 booked, 2 came; 9 never got a
        # place; its peer specialist was there; 2 responses, too few to show.
        ("=cmd|' /C calc'!A0", 1, 3, "67%", "33%", "9", "1 of 1", "fewer than 8", "not shown"),
        # Managing Stress: S2 (the one-to-one is not a group session), nobody booked on it;
        # S2 and the one-to-one delivered without a peer; 8 responses averaging 4.25.
        ("Managing Stress", 1, 0, "–", "–", "0", "0 of 2", "8", "4.3"),
    ]


def _grow(app, n: int):
    """``n`` more courses, each with a completed session in the term, bookings, a waiting
    list, a register, a roster, feedback and a workshop request."""
    with app.app_context():
        question = db.session.execute(select(FeedbackQuestion)).scalars().first()
        if question is None:
            question = factories.make_feedback_question("Overall?", kind="rating", position=0)
        for _ in range(n):
            course = factories.make_course(title=f"Course {factories._seq.__next__()}")
            s = _session(course, IN_TERM, capacity=2)
            for _ in range(2):
                b = _book(s, "confirmed", confirmed=IN_TERM - timedelta(days=3))
                factories.make_attendance(b, s.dates[0])
            _book(s, "waitlisted")
            student = _enrol("service_user", "gp", IN_TERM)
            factories.add_to_roster(s, student)
            factories.make_feedback_invitation(s, student, answered=True)
            r = factories.make_feedback_response(s, respondent_id=None, given_on=IN_TERM.date())
            factories.make_feedback_answer(r, question, 4, question_text="Overall?", kind="rating")
            factories.make_workshop_request(student, course, contact_method="email", created_at=IN_TERM)
        db.session.commit()


URLS = [f"/admin/reports/term?term={TERM}", f"/admin/reports/term.pdf?term={TERM}"] + [
    f"/admin/reports/term/{name}.csv?term={TERM}"
    for name in ("enrolment-by-relationship", "enrolment-by-referral", "bookings", "attendance",
                 "waiting-lists", "co-delivery", "feedback", "workshop-requests")
]


def test_a_fixed_number_of_statements_whatever_the_data_size(app, client, login_as):
    login_as("admin")
    _grow(app, 2)
    small = {}
    for url in URLS:
        client.get(url)  # warm up (session loading)
        with count_statements(app) as statements:
            assert client.get(url).status_code == 200
        small[url] = len(statements)
    _grow(app, 12)
    for url in URLS:
        with count_statements(app) as statements:
            assert client.get(url).status_code == 200
        assert len(statements) == small[url], url
    assert small[URLS[0]] <= 20


def test_people_without_email_and_held_places_are_counted_like_anyone_else(app, client, login_as):
    """Issue 16: someone the REC team added (no email, no online account) is enrolled and
    booked by staff like anyone else, and a place held for someone is a booking too."""
    with app.app_context():
        staff = factories.make_user(roles=("admin",))
        pat = factories.make_person_without_account(added_by=staff, relationship_to_services="carer")
        pat.created_at = IN_TERM
        course = factories.make_course(title="Staying Safe")
        session = _session(course, IN_TERM + timedelta(days=30), status="scheduled")
        _book(session, "confirmed", made_by="admin", student=pat)
        _book(session, "offered")
        db.session.commit()
    with app.app_context():
        assert queries.enrolment(parse_term(TERM)).total == 1  # Pat, enrolled by staff in the term
    login_as("admin")
    rows = {r[0]: r[1:] for r in _csv(client, "bookings")[1:]}
    assert rows["Place confirmed"] == ["0", "1", "1"]
    assert rows["Place held, waiting for their answer"] == ["1", "0", "1"]
    assert rows["All bookings"] == ["1", "1", "2"]
