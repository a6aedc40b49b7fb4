"""Equality monitoring (issue 17 part 6): optional answers to the NHS equality questions,
"prefer not to say" on each, removable at any time, offered after enrolment with a skip;
counted by group in the term report with small numbers held back, never shown per person
and never to facilitators or tutors."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
from datetime import timedelta

import pytest
from sqlalchemy import select

from rec_portal.extensions import db
from rec_portal.models import AuditEvent
from rec_portal.models.equality import EqualityAnswers
from rec_portal.stats.terms import term_of
from rec_portal.timeutil import uk_today
from tests import factories
from tests.conftest import Browserless, login
from tests.scenarios import TERM, equality_answer, equality_report_world, term_csv

ENROL = {
    "full_name": "Nadia Rahman", "email": "nadia@example.org", "password": "lantern-harbour-1962",
    "confirm_password": "lantern-harbour-1962", "consent": "y",
    "relationship_to_services": "service_user", "contact_preference": "email",
}


def _row(app, uid):
    with app.app_context():
        row = db.session.get(EqualityAnswers, uid)
        return None if row is None else {c: getattr(row, c) for c in ("age_band", "sex", "ethnicity", "religion")}


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _events(app, uid):
    with app.app_context():
        return [(e.event, e.detail) for e in db.session.execute(
            select(AuditEvent).where(AuditEvent.subject_id == uid, AuditEvent.event.like("equality.%"))
            .order_by(AuditEvent.id)).scalars()]


# --- The person's own answers -----------------------------------------------------------------


def test_answering_some_questions_and_preferring_not_to_say(app, client, web, login_as):
    me = login_as("student")
    assert 'href="/my/account/equality"' in client.get("/my/account").get_data(as_text=True)
    page = client.get("/my/account/equality").get_data(as_text=True)
    for words in ("Why we ask", "Every question is optional", "Nobody sees your answers",
                  "Not REC staff, not facilitators, not a personal tutor", "remove them at any time"):
        assert words in page, words
    assert page.count('value="prefer_not"') == 7 and "Prefer not to say" in page
    assert "Remove my answers" not in page  # nothing to remove yet
    response = web.submit("/my/account/equality", {"age_band": "25_34", "religion": "prefer_not"})
    assert response.headers["Location"] == "/my/account/equality"
    assert _row(app, me.id) == {"age_band": "25_34", "sex": "", "ethnicity": "", "religion": "prefer_not"}
    page = client.get("/my/account/equality").get_data(as_text=True)
    assert "Your answers are saved" in page and 'value="25_34" checked' in page
    assert 'value="prefer_not" checked' in page and "Remove my answers" in page
    # Changing one answer keeps the others; the audit log says it happened, never what.
    web.submit("/my/account/equality", {"age_band": "25_34", "religion": "buddhist", "sex": "female"})
    assert _row(app, me.id) == {"age_band": "25_34", "sex": "female", "ethnicity": "", "religion": "buddhist"}
    assert _events(app, me.id) == [("equality.answers_saved", None)] * 2


def test_an_answer_not_in_the_list_saves_nothing_and_keeps_the_others(app, client, web, login_as):
    me = login_as("student")
    response = web.submit("/my/account/equality", {"age_band": "18_24", "ethnicity": "martian"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "There is a problem" in page and 'href="#ethnicity"' in page
    assert "Choose one of the answers, or leave this question out" in page
    assert 'value="18_24" checked' in page  # the other answer is kept on the page
    assert _row(app, me.id) is None and _events(app, me.id) == []


def test_choosing_nothing_keeps_nothing(app, client, web, login_as):
    me = login_as("student")
    response = web.submit("/my/account/equality", {})
    assert response.headers["Location"] == "/my/account/equality"
    assert "nothing is kept" in client.get("/my/account/equality").get_data(as_text=True)
    assert _row(app, me.id) is None


def test_saving_with_htmx_answers_with_the_form_alone(app, client, web, login_as):
    me = login_as("student")
    response = web.submit("/my/account/equality", {"sex": "male"}, headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith('<section id="equality-answers"')
    assert "Your answers are saved" in html and 'value="male" checked' in html and "Remove my answers" in html
    assert _row(app, me.id)["sex"] == "male"


def test_removing_my_answers_asks_first_then_deletes_them(app, client, web, login_as):
    me = login_as("student")
    web.submit("/my/account/equality", {"ethnicity": "asian_bangladeshi", "religion": "muslim"})
    page = client.get("/my/account/equality/remove").get_data(as_text=True)
    assert "Remove your equality answers" in page and "Yes, remove my answers" in page
    assert _row(app, me.id) is not None  # opening the page changes nothing
    assert client.post("/my/account/equality/remove").status_code == 400  # no CSRF token
    assert _row(app, me.id) is not None
    response = web.submit("/my/account/equality/remove", {})
    assert response.headers["Location"] == "/my/account/equality"
    page = client.get("/my/account/equality").get_data(as_text=True)
    assert "Your answers are removed" in page and "checked" not in page
    assert _row(app, me.id) is None
    assert _events(app, me.id) == [("equality.answers_saved", None), ("equality.answers_removed", None)]
    # Nothing left to remove: the page says so instead of asking.
    response = client.get("/my/account/equality/remove")
    assert response.headers["Location"] == "/my/account/equality"


def test_enrolment_offers_the_questions_with_a_skip_and_blocks_nobody(app, client, web):
    # Enrolment leads to the home page; the optional questions are offered there, not first.
    response = web.enrol(ENROL)
    assert response.headers["Location"] == "/"
    home = client.get("/").get_data(as_text=True)
    assert "your account has been created" in home and 'href="/my/account/equality"' in home
    # The offer page itself still works, and skipping it goes home: nothing is kept.
    page = client.get("/my/account/equality/welcome").get_data(as_text=True)
    assert "Equality questions (optional)" in page
    assert page.count('href="/"') >= 2 and "Skip these questions" in page
    with app.app_context():
        assert db.session.execute(select(EqualityAnswers)).first() is None
    # Answering from the offer goes home too.
    response = web.submit("/my/account/equality/welcome", {"disability": "yes", "age_band": "prefer_not"})
    assert response.headers["Location"] == "/"
    with app.app_context():
        row = db.session.execute(select(EqualityAnswers)).scalar_one()
        assert (row.disability, row.age_band, row.sex) == ("yes", "prefer_not", "")
    # Once answered, the offer is not made again.
    assert client.get("/my/account/equality/welcome").headers["Location"] == "/my/account/equality"


# --- The term report ----------------------------------------------------------------------------


def test_the_term_report_counts_groups_with_small_numbers_held_back(app, client, login_as):
    equality_report_world(app)
    login_as("admin")
    text = _text(client.get(f"/admin/reports/term?term={TERM}").get_data(as_text=True))
    assert "Equality monitoring" in text and "25 students active in the term" in text
    age = term_csv(client, "equality-age-band")
    assert age[0] == ["Age", "Students"]
    assert dict(age[1:]) == {
        "18 to 24": "9", "25 to 34": "8", "35 to 44": "0", "45 to 54": "0", "55 to 64": "0",
        "65 to 74": "0",  # the four not active in the term are not counted
        "75 or over": "0", "Under 18": "0", "Prefer not to say": "not shown", "Not answered": "not shown",
        "All students counted": "25",
    }
    ethnicity = dict(term_csv(client, "equality-ethnicity")[1:])
    # 3 Indian held back; with them the next smallest (5 not answered) comes to 8.
    assert ethnicity["Asian or Asian British: Indian"] == "not shown"
    assert ethnicity["Not answered"] == "not shown"
    assert ethnicity["White: English, Welsh, Scottish, Northern Irish or British"] == "17"
    assert ethnicity["Black or Black British: African"] == "0"
    religion = dict(term_csv(client, "equality-religion")[1:])
    assert religion["Christian"] == "12" and religion["Not answered"] == "13"
    # Every question has its table on the page, with the held-back words, and no names.
    for caption in ("How old are you?", "What is your sex?", "What is your ethnic group?",
                    "What is your religion or belief?", "sexual orientation"):
        assert caption in text
    assert "not shown" in text


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils (pdftotext)")
def test_the_term_report_pdf_has_the_equality_section(app, client, login_as):
    equality_report_world(app)
    login_as("admin")
    response = client.get(f"/admin/reports/term.pdf?term={TERM}")
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=response.data, capture_output=True,
                          check=True).stdout.decode()
    assert "Equality monitoring" in text and "25 students active in the term" in text
    assert re.search(r"18 to 24\s+9", text) and re.search(r"Prefer not to say\s+not shown", text)


@pytest.mark.parametrize("role", ["facilitator", "tutor", "support_lead", "student"])
def test_facilitators_and_tutors_never_see_the_counts(client, login_as, role):
    login_as(role)
    for url in (f"/admin/reports/term?term={TERM}", f"/admin/reports/term/equality-ethnicity.csv?term={TERM}",
                f"/admin/reports/term.pdf?term={TERM}"):
        response = client.get(url)
        assert response.status_code == 403 and b"Equality monitoring" not in response.data


def test_nobody_sees_a_persons_answers(app, client, web, login_as):
    """Not an admin on the person's record, not a facilitator on their class list."""
    with app.app_context():
        student = factories.make_user(full_name="Quentin Answers", preferred_name="Quentin")
        equality_answer(student, ethnicity="other_arab", religion="sikh", sexual_orientation="bisexual")
        facilitator = factories.make_user(roles=("facilitator", "admin"))
        session = factories.make_session(course=factories.make_course(title="Staying Safe"))
        factories.make_booking(session, student)
        factories.add_to_roster(session, facilitator)
        db.session.commit()
        sid, session_id, email = student.id, session.id, facilitator.email
    web.login(email)
    pages = [client.get(f"/admin/people/{sid}"), client.get(f"/facilitate/sessions/{session_id}"),
             client.get("/admin/people?q=Quentin")]
    for response in pages:
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and "Quentin" in html  # the person is on each page
        for words in ("Arab", "Sikh", "Bisexual", "Equality"):
            assert words not in html, (response.request.path, words)


def test_the_demo_data_shows_some_groups_and_holds_others_back(app, client):
    from rec_portal.demo.people import DEMO_STUDENT

    result = app.test_cli_runner().invoke(args=["rec", "demo-data"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        answered = db.session.execute(select(EqualityAnswers)).scalars().all()
        assert len(answered) >= 40
        assert DEMO_STUDENT not in {a.user.email for a in answered}  # free to try the questions
    Browserless(client).login("admin@example.org", "demo-password")
    # Counts are shown for ended terms only: the demo's are in the term before this one.
    last_term = term_of(uk_today()).previous().key
    cells = []
    for name in ("age-band", "ethnicity", "religion"):
        response = client.get(f"/admin/reports/term/equality-{name}.csv?term={last_term}")
        cells += [row[1] for row in csv.reader(io.StringIO(response.get_data(as_text=True)))][1:-1]
    assert "not shown" in cells and any(c.isdigit() and int(c) >= 8 for c in cells), cells


def test_the_privacy_notice_says_what_issue_17_keeps_who_sees_it_and_for_how_long(client):
    text = _text(client.get("/privacy").get_data(as_text=True))
    for words in ("Article 9(2)(a)", "explicit consent", "Nobody sees your own answers",
                  "Your tutor never sees your safety plan", "deleted after 180 days",
                  "deleted 730 days after it is closed", "not the facilitator’s words",
                  "Only the REC team sees referrals", "only to the REC’s support leads",
                  "worked out from the courses you have attended"):
        assert words in text, words


# --- Counts that do not change under your eyes --------------------------------------------------
# The term report shows a term's counts only once the term has ended, worked out once and
# stored: an admin who downloads it before and after one person (named in the audit log)
# saves or removes answers must not learn that person's answers by subtraction.


def _section(html: str) -> str:
    start = html.index('<section aria-labelledby="equality">')
    return html[start:html.index("</section>", start)]


def _equality_downloads(client, term: str = TERM) -> dict[str, object]:
    """The equality section of the page and every equality CSV, as an admin sees them."""
    from rec_portal.reports.tables import EQUALITY_TABLES

    got: dict[str, object] = {"page": _section(client.get(f"/admin/reports/term?term={term}").get_data(as_text=True))}
    for name in EQUALITY_TABLES:
        response = client.get(f"/admin/reports/term/{name}.csv?term={term}")
        assert response.status_code == 200
        got[name] = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    return got


def test_an_ended_terms_counts_do_not_change_when_students_save_change_or_remove_answers(app, client, login_as):
    active = equality_report_world(app)
    login_as("admin")
    before = _equality_downloads(client)
    assert "25 students active in the term" in _text(before["page"])
    assert dict(before["equality-age-band"][1:])["18 to 24"] == "9"
    # Then, one at a time (each one named in the audit log): a student who had not answered
    # answers, one changes an answer, one removes theirs, one deletes their account.
    (new_id, new_email), (changed_id, changed_email), (removed_id, removed_email) = active[20], active[0], active[5]
    Browserless(login(app, new_email)).submit("/my/account/equality", {"age_band": "18_24", "religion": "christian"})
    Browserless(login(app, changed_email)).submit("/my/account/equality", {"age_band": "25_34"})
    Browserless(login(app, removed_email)).submit("/my/account/equality/remove", {})
    assert _row(app, new_id)["age_band"] == "18_24" and _row(app, changed_id)["age_band"] == "25_34"
    assert _row(app, removed_id) is None
    after_answers = _equality_downloads(client)
    with app.app_context():
        from rec_portal.data_rights.operations import delete_account
        from rec_portal.models import User

        delete_account(db.session.get(User, active[10][0]))
        db.session.commit()
        assert db.session.get(EqualityAnswers, active[10][0]) is None
    # The whole section and every CSV, word for word, as they were.
    assert after_answers == before
    assert _equality_downloads(client) == before


def test_the_current_term_shows_no_equality_counts_whatever_the_data(app, client, login_as):
    from rec_portal.timeutil import utcnow

    login_as("admin")
    this_term = term_of(uk_today())
    empty = _equality_downloads(client, this_term.key)
    with app.app_context():
        for i in range(12):  # enrolled this term, most with answers: enough to show a group
            user = factories.make_user()
            user.created_at = utcnow() - timedelta(minutes=5)
            if i < 10:
                equality_answer(user, age_band="35_44", sex="female")
        db.session.commit()
    assert _equality_downloads(client, this_term.key) == empty  # nothing to subtract, day after day
    text = _text(empty["page"])
    assert "The equality counts of a term appear here once the term has ended" in text
    assert "students active in the term" not in text and "35 to 44" not in text and "csv" not in empty["page"]
    assert empty["equality-age-band"] == [["Age", "Students"]]  # the CSV: its heading alone
    # A term still to come says the same; neither is stored.
    later = _section(client.get(f"/admin/reports/term?term={this_term.next().key}").get_data(as_text=True))
    assert "appear here once the term has ended" in _text(later) and "students active" not in later
    from rec_portal.models.equality import EqualityTerm

    with app.app_context():
        assert db.session.execute(select(EqualityTerm)).first() is None


def test_an_ended_terms_counts_are_stored_once(app, client, login_as):
    from rec_portal.models.equality import QUESTIONS, EqualityTerm, EqualityTermFigure, choices

    equality_report_world(app)
    login_as("admin")
    client.get(f"/admin/reports/term/equality-age-band.csv?term={TERM}")  # a CSV alone stores them too

    def stored():
        with app.app_context():
            terms = [(t.term_key, t.closed_at) for t in db.session.execute(select(EqualityTerm)).scalars()]
            figures = {(f.question, f.code): (f.count, f.held)
                       for f in db.session.execute(select(EqualityTermFigure)).scalars()}
            return terms, figures

    terms, figures = stored()
    assert [key for key, _ in terms] == [TERM]
    assert len(figures) == sum(len(choices(name)) + 1 for name, *_ in QUESTIONS)  # every group, 0 included
    assert figures[("age_band", "18_24")] == (9, False) and figures[("age_band", "prefer_not")] == (3, True)
    assert figures[("age_band", "")] == (5, True) and figures[("age_band", "65_74")] == (0, False)
    # Another report run (page, CSV) stores nothing more and changes nothing.
    client.get(f"/admin/reports/term?term={TERM}")
    client.get(f"/admin/reports/term/equality-religion.csv?term={TERM}")
    assert stored() == (terms, figures)
    with app.app_context():
        from rec_portal.equality.operations import close_term
        from rec_portal.reports.queries import active_students
        from rec_portal.stats.terms import parse_term

        assert close_term(TERM, active_students(parse_term(TERM))) is False
    assert stored() == (terms, figures)


def test_a_group_held_back_when_the_term_ended_stays_held_back(app, client, login_as):
    """3 said Asian Indian when the term's counts were stored (held back, with the 5 who
    did not answer); 5 White British saying Asian Indian later changes no figure."""
    active = equality_report_world(app)
    login_as("admin")
    ethnicity = dict(term_csv(client, "equality-ethnicity")[1:])
    assert ethnicity["Asian or Asian British: Indian"] == "not shown" and ethnicity["Not answered"] == "not shown"
    with app.app_context():
        for uid, _email in active[3:8]:
            db.session.get(EqualityAnswers, uid).ethnicity = "asian_indian"
        db.session.commit()
    ethnicity = dict(term_csv(client, "equality-ethnicity")[1:])
    assert ethnicity["Asian or Asian British: Indian"] == "not shown" and ethnicity["Not answered"] == "not shown"
    assert ethnicity["White: English, Welsh, Scottish, Northern Irish or British"] == "17"
    text = _text(client.get(f"/admin/reports/term?term={TERM}").get_data(as_text=True))
    assert "worked out once" in text and "never change" in text


def test_under_18_is_the_first_age_band(app, client, login_as):
    active = equality_report_world(app)
    page = login(app, active[0][1]).get("/my/account/equality").get_data(as_text=True)
    assert page.index('value="under_18"') < page.index('value="18_24"') < page.index('value="75_plus"')
    login_as("admin")
    age = term_csv(client, "equality-age-band")
    assert [row[0] for row in age[1:4]] == ["Under 18", "18 to 24", "25 to 34"]
