"""rec_portal/web/: the form runner, the two answers, paging and typed times, on their own
(every view relies on them; the views' own tests show them in use)."""

from __future__ import annotations

import pytest
from flask_wtf import FlaskForm
from jinja2 import ChoiceLoader, DictLoader
from sqlalchemy import func, select
from wtforms import StringField
from werkzeug.exceptions import BadRequest
from wtforms.validators import InputRequired

from rec_portal.errors import DomainError
from rec_portal.extensions import db
from rec_portal.models import Course
from rec_portal.web.fields import parse_time
from rec_portal.web.forms import done, page, run
from rec_portal.web.paging import MAX_PAGE, page_number, status_filter
from tests.factories import make_course


class TitleForm(FlaskForm):
    class Meta:
        csrf = False

    title = StringField("Title", validators=[InputRequired("Enter a title")])


def _courses() -> int:
    return db.session.execute(select(func.count(Course.id))).scalar_one()


def _post(app, data, headers=None):
    return app.test_request_context("/x", method="POST", data=data, headers=headers or {})


def _add_then(refusal: DomainError | None):
    """An operation that writes a course, then refuses (or not)."""
    def operation():
        course = make_course(title="Half saved", slug="half-saved")
        if refusal:
            raise refusal
        return course
    return operation


def test_run_commits_once_and_answers_done_with_the_result(app):
    with _post(app, {"title": "Staying Safe"}):
        form = TitleForm()
        answer = run(form, _add_then(None), done=lambda course: f"done {course.slug}",
                     page=lambda: "page")
        assert answer == "done half-saved"
        db.session.rollback()  # nothing left to roll back: it was committed
        assert _courses() == 1


def test_a_refusal_is_rolled_back_and_shown_next_to_its_field(app):
    with _post(app, {"title": "Staying Safe"}):
        form = TitleForm()
        answer = run(form, _add_then(DomainError("That title is taken", field="title")),
                     done=lambda _: "done", page=lambda: "page")
        assert answer == "page"
        assert form.title.errors == ["That title is taken"]
        assert _courses() == 0  # nothing half-saved


def test_a_refusal_can_be_answered_as_a_banner_instead(app):
    with _post(app, {"title": "Staying Safe"}):
        answer = run(TitleForm(), _add_then(DomainError("Closed")), done=lambda _: "done",
                     refused=lambda error: f"banner: {error.message}")
        assert answer == "banner: Closed"
        assert _courses() == 0


def test_an_invalid_form_never_calls_the_operation(app):
    called = []
    with _post(app, {"title": ""}):
        form = TitleForm()
        answer = run(form, lambda: called.append(1), done=lambda _: "done", page=lambda: "page")
        assert answer == "page" and called == []
        assert form.title.errors == ["Enter a title"]


def test_a_button_form_that_does_not_validate_is_a_bad_request(app):
    with _post(app, {"title": ""}):
        with pytest.raises(BadRequest):
            run(TitleForm(), lambda: None, done=lambda _: "done")


def test_page_is_400_with_errors_and_gives_htmx_the_partial(app, monkeypatch):
    templates = DictLoader({
        "test-web/full.html": "FULL {{ page_has_errors|default(false) }} {% include 'test-web/_part.html' %}",
        "test-web/_part.html": "PART {{ form.title.errors|join }}",
    })
    monkeypatch.setattr(app.jinja_env, "loader", ChoiceLoader([templates, app.jinja_env.loader]))
    with _post(app, {"title": ""}, headers={"HX-Request": "true"}):
        form = TitleForm()
        form.validate()
        response = page("test-web/full.html", "test-web/_part.html", form=form)
        assert (response.status_code, response.get_data(as_text=True)) == (400, "PART Enter a title")
    with _post(app, {"title": ""}):
        form = TitleForm()
        form.validate()
        response = page("test-web/full.html", "test-web/_part.html", form=form)
        assert (response.status_code, response.get_data(as_text=True)) == (400, "FULL True PART Enter a title")
    with _post(app, {"title": "ok"}):
        form = TitleForm()
        form.validate()
        response = page("test-web/full.html", "test-web/_part.html", form=form)
        assert (response.status_code, response.get_data(as_text=True)) == (200, "FULL False PART ")


def test_done_redirects_with_a_banner_or_gives_htmx_the_partial(app):
    with _post(app, {}):
        response = done("/my/plan", "Saved.", partial=lambda: "<p>partial</p>")
        assert response.status_code == 302 and response.location == "/my/plan"
    with _post(app, {}, headers={"HX-Request": "true"}):
        response = done("/my/plan", "Saved.", partial=lambda: "<p>partial</p>")
        assert response.status_code == 200 and response.get_data(as_text=True) == "<p>partial</p>"
    with _post(app, {}, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}):
        assert done("/my/plan", partial=lambda: "x").status_code == 302  # a history restore wants the page


def test_page_number_is_clamped(app):
    for query, expected in (("", 1), ("?page=3", 3), ("?page=0", 1), ("?page=-4", 1),
                            ("?page=x", 1), (f"?page={10 ** 12}", MAX_PAGE)):
        with app.test_request_context("/list" + query):
            assert page_number() == expected


def test_a_queue_shows_a_known_status_or_its_default(app):
    for query, expected in (("", "new"), ("?status=closed", "closed"), ("?status=<script>", "new"),
                            ("?status=", "new"), ("?status=CLOSED", "new")):
        with app.test_request_context("/queue" + query):
            assert status_filter(("new", "contacted", "closed"), "new") == expected


def test_typed_times():
    assert [parse_time(t) and parse_time(t).strftime("%H:%M") for t in
            ("14:30", " 9.05 ", "0930", "123", "25:00", "", None)] == \
        ["14:30", "09:05", "09:30", None, None, None, None]
