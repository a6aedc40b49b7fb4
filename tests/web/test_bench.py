"""The benchmark (bench/, `make bench`) still builds its data set and every page it times
answers as it should, so it keeps working as the models change. A tiny scale on SQLite,
through the test client; the timings are not checked (bench/run.py measures them through
gunicorn and wrk)."""

from __future__ import annotations

import re
from datetime import date, timedelta

from bench.generate import ADMIN_EMAIL, EIGHT_DATES_SLUG, PASSWORD, STUDENT_EMAIL, generate, make_app


def _signed_in(app, email):
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    response = client.post("/login", data={"csrf_token": token, "email": email, "password": PASSWORD})
    assert response.status_code == 302 and "/login" not in response.headers["Location"]
    return client


def test_the_benchmark_builds_its_data_and_every_page_it_times_answers(tmp_path):
    path = tmp_path / "bench.sqlite3"
    generate(path, scale=0.005)
    app = make_app(path)
    anonymous, student, admin = app.test_client(), _signed_in(app, STUDENT_EMAIL), _signed_in(app, ADMIN_EMAIL)
    course = anonymous.get(f"/courses/{EIGHT_DATES_SLUG}").get_data(as_text=True)
    assert "Sign in" in course and "csrf_token" not in course
    signed_in = student.get(f"/courses/{EIGHT_DATES_SLUG}").get_data(as_text=True)
    assert len(set(re.findall(r'action="/sessions/(\d+)/book"', signed_in))) == 8
    assert "Course" in anonymous.get("/courses").get_data(as_text=True)
    mine = student.get("/my/courses")
    assert mine.status_code == 200 and "Sign out" in mine.get_data(as_text=True)
    today = date.today()
    for client, url in ((anonymous, "/prospectus.pdf"), (admin, "/admin/reports/term.pdf"),
                        (admin, f"/admin/rosters.pdf?from={today - timedelta(days=365)}&to={today}"),
                        (student, "/my/account/data.pdf")):
        response = client.get(url)
        assert response.status_code == 200 and response.data.startswith(b"%PDF"), url


def test_what_the_stack_allows_is_measured_on_pages_that_do_what_they_say(tmp_path, monkeypatch):
    """bench/floor.py: the Flask-Login app signs in and reads the user; the portal's
    layout-only page is the NHS.UK layout, signed in; the WeasyPrint table has its rows."""
    from bench.floor import portal_app, stack_app, table_document

    path = tmp_path / "bench.sqlite3"
    generate(path, scale=0.005)
    url = f"sqlite:///{path}"
    stack = stack_app(url).test_client()
    assert stack.get("/signed-in").status_code == 403
    stack.get("/sign-in?id=2")
    for page in ("/signed-in", "/signed-in/5"):
        response = stack.get(page)
        assert response.status_code == 200 and "<p>Student 2</p>" in response.get_data(as_text=True), page

    monkeypatch.setenv("DATABASE_URL", url)
    layout = portal_app()
    layout.config.update(TESTING=True, REC_RATELIMIT_ENABLED=False)
    signed_out = layout.test_client().get("/floor").get_data(as_text=True)
    assert "Nothing else on this page." in signed_out and "Sign in" in signed_out
    assert "Sign out" in _signed_in(layout, STUDENT_EMAIL).get("/floor").get_data(as_text=True)

    document = table_document(3, 5)
    assert document.count("<tr>") == 3 and document.count("<td>") == 15
