"""Views for the staff call list (/admin/calls). Admins only. Thin: load, call one
operation through ``run`` (one commit), then redirect, or for htmx return the line.
Showing the list is audited: it shows people's phone numbers."""

from __future__ import annotations

from flask import make_response, render_template, url_for

from rec_portal import audit
from rec_portal.calls import bp, operations, queries
from rec_portal.calls.forms import outcome_form
from rec_portal.extensions import db
from rec_portal.models.accounts import ADMIN
from rec_portal.models.contact import OUTCOMES, ContactTask
from rec_portal.timeutil import utcnow
from rec_portal.web.access import role_required
from rec_portal.web.forms import done, run
from rec_portal.web.guards import current_person, get_or_404
from rec_portal.web.htmx import is_htmx
from rec_portal.web.paging import Page, page_number

PER_PAGE = 25


def _shared() -> dict:
    return {"outcome_labels": OUTCOMES}


def _page(failed=None, status: int = 200):
    """The whole list (``failed``: a line's form with errors, shown in its place); audited."""
    now = utcnow()
    number = page_number()
    lines = queries.open_lines(now, page=number, per_page=PER_PAGE)
    page = Page(items=lines, page=number, per_page=PER_PAGE, total=queries.open_count(now))
    forms = {t.id: outcome_form(t) for t in lines}
    if failed is not None:
        forms[failed[0]] = failed[1]
    expired, finished = queries.no_longer_needed(now), queries.recently_done(now)
    html = render_template(
        "calls/index.html", page=page, forms=forms, expired=expired, finished=finished,
        page_has_errors=failed is not None, failed_form=failed[1] if failed else None, **_shared(),
    )
    # Rendered first: committing expires what the page reads.
    shown = [t.id for t in [*lines, *expired, *finished]]
    audit.record(audit.CALL_LIST_VIEWED, actor=current_person(),
                 detail=f"call list page {number}: " + ",".join(map(str, shown)))
    db.session.commit()
    return make_response(html, status)


@bp.route("/admin/calls")
@role_required(ADMIN)
def index():
    return _page()


def _line(task_id: int, form=None, message: str | None = None, status: int = 200):
    task = queries.line(task_id)
    return make_response(render_template(
        "calls/_line.html", task=task, form=form or outcome_form(task), message=message, alone=True,
        **_shared(),
    ), status)


def _said(task: ContactTask) -> str:
    name = task.person.full_name
    if task.closed_at is None:
        return f"No answer from {name} recorded (attempt {task.attempts}). The line stays open: try again later."
    return f"{OUTCOMES[task.outcome]}: recorded for {name}. The line is done."


@bp.route("/admin/calls/<int:task_id>/outcome", methods=["POST"])
@role_required(ADMIN)
def outcome(task_id: int):
    task = get_or_404(ContactTask, task_id, load=queries.line)
    form = outcome_form(task, posted=True)

    def again():
        if is_htmx():
            return _line(task_id, form, status=400)
        return _page(failed=(task_id, form), status=400)

    return run(
        form,
        lambda: operations.record_outcome(task_id, current_person(), form.outcome.data, form.note.data),
        done=lambda t: done(url_for("calls.index") + ("" if t.closed_at else f"#line-{t.id}"), _said(t),
                            partial=lambda: _line(t.id, message=_said(t))),
        page=again,
    )
