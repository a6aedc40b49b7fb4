"""The one form runner, and the two answers a view gives.

A view that changes something has one shape::

    form = GoalForm()
    return run(
        form,
        lambda: operations.add_goal(current_person(), text=form.text.data, ...),
        done=lambda goal: done(url_for("plans.index"), "Your goal is added.",
                               partial=lambda: render_template("plans/_goals.html", ...)),
        page=lambda: page("plans/goal_new.html", "plans/_goal_add.html", form=form),
    )

``run`` validates the form; calls the operation; if the operation refuses (a
``DomainError``) rolls back, so nothing is half-saved, and puts the message next to its
field; commits once; and answers with ``done(result)``. ``page`` shows the form again
(the full page, or the partial for htmx) with status 400 when it shows errors, so the NHS
error summary and the person's other answers are kept.

``page`` and ``done`` are also used on their own: a GET shows ``page(...)``; a button that
needs no form page answers ``done(...)``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, abort, flash, make_response, redirect, render_template
from flask_wtf import FlaskForm

from rec_portal.errors import DomainError
from rec_portal.extensions import db
from rec_portal.web.htmx import is_htmx

Result = TypeVar("Result")


def form_errors(*forms) -> list[dict]:
    """The NHS error summary list for one or more WTForms forms, in field order."""
    items = []
    for form in forms:
        if form is None:
            continue
        for field in _leaf_fields(form):
            if field.errors:
                items.append({"text": field.errors[0], "href": f"#{field.id}"})
    return items


def _leaf_fields(form):
    """Every plain field, looking inside FieldList and FormField."""
    for field in form:
        if hasattr(field, "entries"):  # FieldList
            for entry in field.entries:
                yield from (_leaf_fields(entry.form) if hasattr(entry, "form") else [entry])
        elif hasattr(field, "form") and field.type == "FormField":
            yield from _leaf_fields(field.form)
        else:
            yield field


def add_error(form, field_name: str | None, message: str) -> None:
    """Attach an error raised by an operation to a form field (or the first field)."""
    field = form[field_name] if field_name and field_name in form else next(iter(form))
    errors = list(field.errors)
    errors.append(message)
    field.errors = errors


def _has_errors(context: dict[str, Any]) -> bool:
    return any(isinstance(value, FlaskForm) and value.errors for value in context.values())


def page(full: str, partial: str | None = None, *, status: int | None = None, **context) -> Response:
    """The full page, or for htmx the ``partial`` that the full page includes.

    Status 400 (and ``page_has_errors`` for the title's "Error:") when a form in the
    context shows errors, unless ``status`` says otherwise."""
    errors = _has_errors(context)
    if errors:
        context.setdefault("page_has_errors", True)
    template = partial if (partial and is_htmx()) else full
    return make_response(render_template(template, **context), status or (400 if errors else 200))


def done(url: str, message: str | None = None, *, partial: Callable[[], Any] | None = None,
         category: str = "success") -> Response:
    """After a change: htmx gets ``partial()`` (the fragment that shows the result); any
    other request gets ``message`` as a banner and a redirect to ``url`` (post/redirect/get),
    so reloading the page sends nothing twice."""
    if partial is not None and is_htmx():
        return make_response(partial())
    if message:
        flash(message, category)
    return redirect(url)


def run(
    form: FlaskForm,
    operation: Callable[[], Result],
    *,
    done: Callable[[Result], Any],
    page: Callable[[], Any] | None = None,
    refused: Callable[[DomainError], Any] | None = None,
):
    """Validate ``form``, call ``operation``, commit once, answer ``done(result)``.

    - The form does not validate (or was not posted): ``page()``, which shows it with its
      errors; without ``page``, a bad request (400) (a button whose form has no fields
      the person types in, so only a forged or stale post can fail).
    - The operation refuses with a ``DomainError``: everything it did is rolled back; the
      message goes next to ``error.field`` and ``page()`` shows it, or ``refused(error)``
      answers instead (for a refusal shown as a banner).
    """
    if not form.validate_on_submit():
        if page is None:
            abort(400)
        return page()
    try:
        result = operation()
    except DomainError as error:
        db.session.rollback()
        if refused is not None:
            return refused(error)
        if page is None:
            raise
        add_error(form, error.field, error.message)
        return page()
    db.session.commit()
    return done(result)
