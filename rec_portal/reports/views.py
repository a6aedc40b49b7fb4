"""Views for the term report (thin: choose the term, ask queries.py, render)."""

from __future__ import annotations

from flask import Response, abort, make_response, render_template, request
from flask_login import current_user

from rec_portal import audit, documents
from rec_portal.web.access import role_required
from rec_portal.csvsafe import to_csv
from rec_portal.extensions import db
from rec_portal.models.accounts import ADMIN
from rec_portal.reports import bp, operations, queries, tables
from rec_portal.timeutil import uk_today
from rec_portal.reports.forms import TermForm


def _form() -> TermForm:
    form = TermForm(formdata=request.args, today=uk_today())
    form.validate()
    return form


@bp.route("/term")
@role_required(ADMIN)
def term():
    form = _form()
    if form.errors:
        return make_response(render_template("reports/term.html", form=form, report=None), 400)
    if operations.close_equality(form.chosen()):
        db.session.commit()
    report = queries.term_report(form.chosen())
    return render_template(
        "reports/term.html", form=form, report=report, tables=tables,
        pdf_ok=documents.pdf_available(),
    )


@bp.route("/term.pdf")
@role_required(ADMIN)
def term_pdf():
    form = _form()
    if form.errors:
        abort(400)
    operations.close_equality(form.chosen())
    report = queries.term_report(form.chosen())
    data = documents.render_pdf(
        "term_report.html", title=f"Term report: {report.term.label}", report=report, tables=tables,
    )
    audit.record(audit.EXPORTED, actor=current_user, detail=f"term report PDF ({report.term.key})")
    db.session.commit()
    return documents.pdf_response(data, f"term-report-{report.term.key}.pdf")


@bp.route("/term/<name>.csv")
@role_required(ADMIN)
def term_csv(name: str):
    table = tables.TABLES.get(name)
    if table is None:
        abort(404)
    form = _form()
    if form.errors:
        abort(400)
    term = form.chosen()
    if table.section == "equality":
        operations.close_equality(term)
    header, rows = table.build(term)
    audit.record(audit.EXPORTED, actor=current_user, detail=f"term report {name} CSV ({term.key})")
    db.session.commit()
    return Response(
        to_csv(header, rows), mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="term-report-{name}-{term.key}.csv"',
            "Cache-Control": "no-store",
        },
    )
