"""Learning pathways through the web (issue 17, part 5): admins make them (errors shown the NHS
way, answers kept, nothing half-saved), students see them on the courses pages, My courses
and their learning plan, and download a certificate only once complete."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from rec_portal.documents import pdf_available
from rec_portal.extensions import db
from rec_portal.models import Pathway
from tests import factories
from tests.conftest import count_statements, csrf_from


def _ids(app, make):
    with app.app_context():
        rows = make()
        db.session.commit()
        return [r.id for r in rows]


def _stored(app, pathway_id=None):
    with app.app_context():
        if pathway_id is None:
            return db.session.execute(select(Pathway)).scalars().all()
        p = db.session.get(Pathway, pathway_id)
        return p and (p.title, p.status, p.rule, p.required_count, [s.course.title for s in p.steps])


# --- Admins -----------------------------------------------------------------------------------

def test_an_admin_creates_a_pathway_and_mistakes_are_shown_with_the_answers_kept(app, login_as, web, client):
    login_as("admin")
    response = web.submit("/admin/pathways/new", {"title": "Keeping safe", "summary": "", "rule": "any_of",
                                                  "required_count": "two"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in html and "<title>Error: " in html
    assert "Enter a summary" in html and "Enter the number of courses as a whole number from 1 to 20" in html
    assert 'value="Keeping safe"' in html and 'value="two"' in html
    assert _stored(app) == []  # nothing saved

    response = web.submit("/admin/pathways/new", {"title": "Keeping safe", "summary": "Three courses.",
                                                  "rule": "any_of", "required_count": "2"})
    [pathway] = _stored(app)
    assert response.headers["Location"] == f"/admin/pathways/{pathway.id}"
    assert _stored(app, pathway.id) == ("Keeping safe", "draft", "any_of", 2, [])
    assert "has been created as a draft" in client.get(response.headers["Location"]).get_data(as_text=True)

    # A second pathway with the same name: told at the field, nothing saved.
    response = web.submit("/admin/pathways/new", {"title": "Keeping Safe", "summary": "Again.", "rule": "in_order"})
    assert response.status_code == 400
    assert "Another pathway already uses the name keeping-safe" in response.get_data(as_text=True)
    assert len(_stored(app)) == 1


def test_an_admin_adds_orders_and_removes_courses_then_publishes(app, login_as, web, client):
    login_as("admin")
    a, b, c, draft = _ids(app, lambda: [factories.make_course(title="Staying Safe"),
                                        factories.make_course(title="Managing Stress"),
                                        factories.make_course(title="WRAP"),
                                        factories.make_course(title="Secret draft", status="draft")])
    [pid] = _ids(app, lambda: [factories.make_pathway(status="draft")])
    page = client.get(f"/admin/pathways/{pid}").get_data(as_text=True)
    assert "Staying Safe" in page and "Secret draft" not in page  # only published courses are offered
    url = f"/admin/pathways/{pid}"

    # Publishing with no courses is refused, and says why.
    refused = web.submit(f"{url}/status/published", {}, page=url)
    assert "Add at least two courses before publishing" in client.get(refused.headers["Location"]).get_data(as_text=True)

    for course_id in (a, b, c):
        web.submit(f"{url}/courses", {"course_id": str(course_id)}, page=url)
    # A draft course's id posted anyway: refused at the field, nothing added.
    response = web.submit(f"{url}/courses", {"course_id": str(draft)}, page=url)
    assert response.status_code == 400 and "Choose a course from the list" in response.get_data(as_text=True)
    # With htmx: only the courses section comes back.
    response = web.submit(f"{url}/courses/{c}/move", {"direction": "up"}, page=url, headers={"HX-Request": "true"})
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith("<section id=\"pathway-courses\"") and "<html" not in fragment
    assert "has moved up" in fragment
    web.submit(f"{url}/courses/{a}/remove", {}, page=url)
    assert _stored(app, pid)[4] == ["WRAP", "Managing Stress"]

    web.submit(f"{url}/status/published", {}, page=url)
    assert _stored(app, pid)[1] == "published"
    # Published: it keeps at least two courses (the refusal changes nothing).
    response = web.submit(f"{url}/courses/{b}/remove", {}, page=url, headers={"HX-Request": "true"})
    assert "A published pathway needs at least two courses" in response.get_data(as_text=True)
    assert _stored(app, pid)[4] == ["WRAP", "Managing Stress"]


def test_changing_the_details_keeps_what_was_typed_when_there_is_a_mistake(app, login_as, web, client):
    login_as("admin")
    [a, b, c] = _ids(app, lambda: [factories.make_course(title=t) for t in "ABC"])
    with app.app_context():
        from rec_portal.models import Course
        p = factories.make_pathway([db.session.get(Course, i) for i in (a, b, c)], title="Old title")
        db.session.commit()
        pid = p.id
    assert 'value="Old title"' in client.get(f"/admin/pathways/{pid}/edit").get_data(as_text=True)
    response = web.submit(f"/admin/pathways/{pid}/edit", {"title": "New title", "summary": "S", "rule": "any_of",
                                                          "required_count": "5"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "The pathway has 3 courses: the number needed must be 3 or fewer" in html
    assert 'value="New title"' in html
    assert _stored(app, pid)[0] == "Old title"


def test_students_and_facilitators_cannot_manage_pathways(app, login_as, client):
    login_as("student", "facilitator")
    response = client.get("/admin/pathways")
    assert response.status_code == 403 and "You do not have access to this page" in response.get_data(as_text=True)


# --- What students see ------------------------------------------------------------------------

def _student_on_keeping_safe(app):
    """A student who completed the first of three courses of a published "Keeping safe",
    and the ids (student, pathway, courses)."""
    with app.app_context():
        courses = [factories.make_course(title=t, slug=s) for t, s in
                   (("Introduction to Recovery", "intro"), ("Staying Safe", "staying-safe"), ("WRAP", "wrap"))]
        pathway = factories.make_pathway(courses, title="Keeping safe", slug="keeping-safe")
        factories.make_pathway(courses[:2], title="Hidden draft", status="draft")
        student = factories.make_user()
        factories.complete_course(student, courses[0])
        db.session.commit()
        return student.email, pathway.id, [c.id for c in courses]


def test_everyone_sees_published_pathways_and_the_course_page_names_them(app, client):
    _student_on_keeping_safe(app)
    html = client.get("/pathways").get_data(as_text=True)
    assert "Keeping safe" in html and "Hidden draft" not in html
    assert "Take all 3 courses. We suggest this order" in html
    assert html.index("Introduction to Recovery") < html.index("Staying Safe") < html.index("WRAP")
    assert "courses done" not in html  # signed out: no progress
    course = client.get("/courses/staying-safe").get_data(as_text=True)
    assert "This course is part of a learning pathway" in course and "/pathways#keeping-safe" in course
    assert 'href="/pathways"' in client.get("/courses").get_data(as_text=True)


def test_a_student_sees_their_progress_on_my_courses_and_their_plan(app, client, web):
    email, pid, courses = _student_on_keeping_safe(app)
    web.login(email)
    for url in ("/my/courses", "/my/plan", "/pathways"):
        html = client.get(url).get_data(as_text=True)
        assert "1 of 3 courses done" in html, url
        assert "Next: Staying Safe." in html, url
        assert f"/my/pathways/{pid}/certificate.pdf" not in html
    # Another student sees no progress of theirs.
    with app.app_context():
        other = factories.make_user()
        db.session.commit()
        other_email = other.email
    web.client.post("/logout", data={"csrf_token": csrf_from(client.get("/my/courses").get_data(as_text=True))})
    web.login(other_email)
    html = client.get("/my/courses").get_data(as_text=True)
    assert "You have not started a learning pathway yet" in html and "1 of 3" not in html


@pytest.mark.skipif(not pdf_available(), reason="WeasyPrint is not installed")
def test_the_certificate_is_only_for_a_student_who_completed_the_pathway(app, client, web):
    email, pid, courses = _student_on_keeping_safe(app)
    with app.app_context():
        from rec_portal.models import Course, User
        student = db.session.execute(select(User).where(User.email == email)).scalar_one()
        factories.complete_course(student, db.session.get(Course, courses[2]), days_ago=10)  # out of order
        db.session.commit()
        student_id = student.id
    web.login(email)
    html = client.get("/my/courses").get_data(as_text=True)
    assert "2 of 3 courses done" in html and "different order from the one suggested" in html
    assert client.get(f"/my/pathways/{pid}/certificate.pdf").status_code == 404  # not complete yet
    with app.app_context():
        factories.complete_course(student_id, db.session.get(Course, courses[1]), days_ago=5)
        db.session.commit()
    html = client.get("/my/courses").get_data(as_text=True)
    assert "You completed this pathway on" in html and f"/my/pathways/{pid}/certificate.pdf" in html
    response = client.get(f"/my/pathways/{pid}/certificate.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert response.headers["Cache-Control"] == "no-store"
    assert 'filename="pathway-certificate-keeping-safe.pdf"' in response.headers["Content-Disposition"]

    # The same address for another student: theirs, so "not found" (nothing of the first).
    with app.app_context():
        other = factories.make_user()
        db.session.commit()
        other_email = other.email
    web.client.post("/logout", data={"csrf_token": csrf_from(client.get("/my/courses").get_data(as_text=True))})
    web.login(other_email)
    assert client.get(f"/my/pathways/{pid}/certificate.pdf").status_code == 404


def test_pathway_pages_run_the_same_statements_whatever_the_number_of_pathways(app, client, web):
    email, _, courses = _student_on_keeping_safe(app)
    web.login(email)

    def counted(url):
        client.get(url)
        with count_statements(app) as statements:
            assert client.get(url).status_code == 200
        return len(statements)

    urls = ("/pathways", "/my/courses", "/my/plan", "/courses/staying-safe")
    before = {url: counted(url) for url in urls}
    with app.app_context():
        from rec_portal.models import Course
        for n in range(6):
            more = [factories.make_course(title=f"Extra {n}-{i}") for i in range(3)]
            factories.make_pathway([db.session.get(Course, courses[1]), *more], title=f"More {n}")
        db.session.commit()
    after = {url: counted(url) for url in urls}
    assert after == before
    assert "More 5" in client.get("/pathways").get_data(as_text=True)
