"""The public prospectus (/prospectus and /prospectus.pdf): courses by theme, the chosen
term's group dates only, no sign-in, a fixed number of statements."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import timedelta

import pytest

from rec_portal.stats.terms import term_of
from rec_portal.extensions import db
from rec_portal.timeutil import to_uk, utcnow
from tests import factories
from tests.conftest import count_statements
from tests.scenarios import build_prospectus as _build
from tests.scenarios import next_term_from_today as _next
from tests.scenarios import prospectus_session as _session



def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_courses_by_theme_with_the_terms_group_dates(app, client):
    term, when = _build(app)
    response = client.get(f"/prospectus?term={term.key}")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")
    html = response.get_data(as_text=True)
    text = _text(html)
    # Themes in COURSE_THEMES order, then "Other courses"; drafts never.
    order = [text.rindex(h) for h in ("Understanding mental health", "Staying safe", "Other courses")]
    assert order == sorted(order) and "Draft Course" not in text
    assert term.label in text
    # Staying Safe: its one group date (not the cancelled one, not the one-to-one workshop).
    assert when in text and re.search(r"\d+(am|pm) to 3pm", when)
    safe = _text(html.split('id="course-staying-safe"')[1].split('id="course-')[0])
    assert safe.count("Station Road") == 1 and when in safe
    assert "4 dates:" in text  # Understanding Anxiety
    assert "No dates this term yet" in text  # Creative Writing's date is next term
    assert 'href="/courses/staying-safe"' in html
    assert f'href="/prospectus.pdf?term={term.key}"' in html
    assert "0300 123 4567" in text and "rec@example.org" in text


def test_the_default_term_is_the_next_one_when_this_term_has_no_dates_left(app, client):
    term, _ = _build(app)  # nothing in this term
    text = _text(client.get("/prospectus").get_data(as_text=True))
    assert term.label in text and "Staying Safe" in text


def test_the_default_term_is_this_one_while_it_has_dates(app, client):
    now = to_uk(utcnow())
    current = term_of(now.date())
    day = now.date() + timedelta(days=1)
    if day >= current.end:
        pytest.skip("the term ends today")
    with app.app_context():
        _session(factories.make_course(title="Managing Stress", theme="living_well"), day)
        db.session.commit()
    text = _text(client.get("/prospectus").get_data(as_text=True))
    assert current.label in text and "Living well and recovery" in text


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils (pdftotext)")
def test_the_pdf_lists_the_themes_courses_and_dates(app, client):
    term, when = _build(app)
    response = client.get(f"/prospectus.pdf?term={term.key}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = subprocess.run(["pdftotext", "-", "-"], input=response.data, capture_output=True, check=True).stdout.decode()
    flat = re.sub(r"\s+", " ", text)
    for words in (term.label, "Contents", "How to book", "Understanding mental health", "Staying safe",
                  "Other courses", "Staying Safe", "Understanding Anxiety", when, "12 Station Road"):
        assert words in flat, words
    assert "Draft Course" not in flat
    assert flat.count(when.split(",")[0]) >= 1


def _grow(app, n: int):
    term = _next()
    with app.app_context():
        for i in range(n):
            course = factories.make_course(title=f"Course {i} {factories._seq.__next__()}", theme="skills")
            _session(course, term.start + timedelta(days=10 + i % 30), weeks=2)
        db.session.commit()
    return term


def test_a_fixed_number_of_statements_whatever_the_data_size(app, client):
    term = _grow(app, 2)
    url = f"/prospectus?term={term.key}"
    client.get(url)
    with count_statements(app) as small:
        assert client.get(url).status_code == 200
    _grow(app, 15)
    with count_statements(app) as large:
        assert client.get(url).status_code == 200
    assert len(large) == len(small) and len(small) <= 6
    with count_statements(app) as default:
        client.get("/prospectus")
    assert len(default) == len(small) + 1  # choosing the default term


def test_admins_choose_a_courses_theme_in_the_course_form(app, login_as, web):
    from sqlalchemy import select

    from rec_portal.models import Course
    from tests.scenarios import COURSE

    login_as("admin")
    form = web.client.get("/admin/courses/new").get_data(as_text=True)
    assert '<option value="" selected>Choose a theme</option>' in form or ">Choose a theme</option>" in form
    assert web.submit("/admin/courses/new", {**COURSE, "theme": "carers"}).status_code == 302
    wrong = web.submit("/admin/courses/new", {**COURSE, "slug": "other", "theme": "nonsense"})
    assert wrong.status_code == 400 and "Choose a theme from the list" in wrong.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(Course.theme)).scalars().all() == ["carers"]


def test_the_public_pdf_is_rate_limited_and_made_only_for_the_terms_offered(app, client, monkeypatch):
    term, _ = _build(app)
    monkeypatch.setitem(app.config, "REC_LIMIT_PROSPECTUS_PDF", "2 per minute")
    from rec_portal.stats.terms import parse_term

    far = parse_term(f"{term.start.year + 5}-spring")
    response = client.get(f"/prospectus.pdf?term={far.key}")  # years ahead: the default term instead
    assert response.status_code == 200 and far.key not in response.headers["Content-Disposition"]
    assert client.get(f"/prospectus.pdf?term={term.key}").status_code == 200
    third = client.get(f"/prospectus.pdf?term={term.key}")
    assert third.status_code == 429 and "application/pdf" not in third.headers["Content-Type"]


def _pdf_text(data: bytes) -> str:
    text = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()
    return re.sub(r"\s+", " ", text)


def _count_pdfs_made(monkeypatch) -> list:
    from rec_portal import documents

    made, real = [], documents.render_pdf

    def counting(template, **kwargs):
        made.append(template)
        return real(template, **kwargs)

    monkeypatch.setattr(documents, "render_pdf", counting)
    return made


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils (pdftotext)")
def test_the_pdf_is_made_once_and_made_again_as_soon_as_what_it_shows_changes(app, client, monkeypatch):
    from rec_portal.models import Course, CourseSession

    term, _ = _build(app)
    made = _count_pdfs_made(monkeypatch)
    url = f"/prospectus.pdf?term={term.key}"
    first = client.get(url)
    second = client.get(url)
    assert made == ["prospectus.html"]  # the second visitor gets the same PDF, not a new one
    assert second.data == first.data and "Staying Safe" in _pdf_text(second.data)

    with app.app_context():  # an admin renames a course: the very next request shows it
        course = db.session.query(Course).filter_by(slug="staying-safe").one()
        course.title = "Staying Safe Together"
        db.session.commit()
        course_id = course.id
    renamed = client.get(url)
    assert len(made) == 2 and "Staying Safe Together" in _pdf_text(renamed.data)

    with app.app_context():  # a date is cancelled: gone from the next PDF
        session = db.session.query(CourseSession).filter_by(course_id=course_id, status="scheduled",
                                                            individual=False).one()
        session.status = "cancelled"
        db.session.commit()
    cancelled = client.get(url)
    before, after = _pdf_text(renamed.data), _pdf_text(cancelled.data)
    assert len(made) == 3 and after.count("No dates this term yet") == before.count("No dates this term yet") + 1
    assert client.get(url).data == cancelled.data and len(made) == 3


def test_the_pages_courses_are_made_once_and_again_as_soon_as_they_change(app, client, monkeypatch):
    import flask

    from rec_portal.models import Course
    from rec_portal.prospectus import views

    term, _ = _build(app)
    made, real = [], flask.render_template

    def counting(name, **context):
        made.append(name)
        return real(name, **context)

    monkeypatch.setattr(views, "render_template", counting)
    url = f"/prospectus?term={term.key}"
    first = client.get(url).get_data(as_text=True)
    second = client.get(url).get_data(as_text=True)
    assert made.count("prospectus/_themes.html") == 1 and "Staying Safe" in _text(second)
    courses = lambda html: html.split('id="contents-heading"')[1].split("</main>")[0]  # noqa: E731
    assert courses(second) == courses(first)
    with app.app_context():
        db.session.query(Course).filter_by(slug="staying-safe").one().summary = "A new summary of the course."
        db.session.commit()
    changed = _text(client.get(url).get_data(as_text=True))
    assert made.count("prospectus/_themes.html") == 2 and "A new summary of the course." in changed
