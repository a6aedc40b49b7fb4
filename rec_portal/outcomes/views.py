"""Views (thin): the student's own questionnaire pages under /my/outcomes, the offer
shown after enrolment, and the admin report at /admin/outcomes (with CSV).

A student only ever reaches their own answers (there is no id in the URL). What was
typed is kept when the person's session expires (``login_required_keeping``). Nothing a
student answers is audited, logged or emailed; staff see totals only, and opening the
report and downloading its CSV are audited."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from rec_portal.web.guards import current_person
from rec_portal import audit
from rec_portal.web.access import role_required
from rec_portal.csvsafe import to_csv
from rec_portal.drafts import login_required_keeping, take_drafts
from rec_portal.extensions import db
from rec_portal.web.htmx import render
from rec_portal.models.accounts import ADMIN, STUDENT
from rec_portal.models.outcomes import CRIME_TYPES, STAGE_LABELS
from rec_portal.outcomes import bp, operations, queries
from rec_portal.stats import FEWER
from rec_portal.outcomes.forms import OutcomeForm, ReportFilterForm, is_answer_field
from rec_portal.web.forms import add_error, done, page, run
from rec_portal.timeutil import format_uk, utcnow

KEPT = "We kept what you typed before you were signed out. Check it, then choose Save my answers."




def _stage_or_404(slug: str) -> str:
    stage = operations.SLUG_STAGES.get(slug)
    if stage is None:
        abort(404)
    return stage


def _draft_name(slug: str) -> str:
    return f"outcomes.{slug}"


# --- Students ------------------------------------------------------------------------------------


@bp.route("/my/outcomes")
@role_required(STUDENT)
def index():
    return render_template(
        "outcomes/index.html", states=operations.stages_for(current_person()), describe=operations.describe,
    )


@bp.route("/my/outcomes/welcome")
@role_required(STUDENT)
def offer():
    """The optional questions about crime, answer now or not now (the home page offers
    them too, with the same words; this page stays for links to it)."""
    state = operations.stages_for(current_person())[operations.BASELINE]
    if state.answered:
        return redirect(url_for("outcomes.index"))
    return render_template("outcomes/offer.html")


@bp.route("/my/outcomes/<slug>", methods=["GET", "POST"])
@login_required_keeping(
    lambda slug: _draft_name(slug), is_answer_field,
    keep_if=lambda owner, slug: slug in operations.SLUG_STAGES and owner.has_role(STUDENT),
)
@role_required(STUDENT)
def answer(slug: str):
    stage = _stage_or_404(slug)
    me = current_person()
    state = operations.stages_for(me)[stage]
    if request.method == "POST" and request.form.get("skip"):
        take_drafts(me, _draft_name(slug))
        db.session.commit()
        flash("You skipped the questions. Nothing was saved. You can answer them here at any time.", "info")
        return redirect(url_for("outcomes.index"))
    if not state.open:
        if take_drafts(me, _draft_name(slug)):
            db.session.commit()
        if state.answered:
            flash("You have already answered these questions. Your answers are below.", "info")
        elif state.due_at:
            flash(f"These questions open on {queries.format_day(state.due_at)}.", "info")
        else:
            flash("These questions open 6 and 12 months after you come to Staying Safe.", "info")
        return redirect(url_for("outcomes.index"), 303)

    if request.method in ("GET", "HEAD"):
        drafts = take_drafts(me, _draft_name(slug))
        if drafts:
            db.session.commit()
            flash(KEPT, "info")
            form = OutcomeForm(formdata=MultiDict([(k, v) for k, vs in drafts[-1].items() for v in vs]))
        else:
            form = OutcomeForm(formdata=None)
        return _form_page(form, state)

    form = OutcomeForm()

    def save():
        check = operations.save_answers(
            me, stage, {name: request.form.getlist(name) for name in operations.ANSWER_FIELDS}
        )
        take_drafts(me, _draft_name(slug))
        return check

    def saved(check):
        url = url_for("outcomes.index") + f"#stage-{slug}"
        if check is None:
            return done(url, "You did not answer the first question, so nothing was saved. That is fine.",
                        category="info")
        return done(url, "Thank you. Your answers are saved. You can delete them at any time.")

    def refused(error):
        if isinstance(error, operations.AnswersRefused):
            for name, message in error.errors.items():
                add_error(form, name, message)
            return _form_page(form, state)
        flash(error.message, "info")  # StageClosed: no longer (or not yet) open
        return redirect(url_for("outcomes.index"), 303)

    # Nothing here for the form itself to refuse but a forged or stale post: a bad request.
    return run(form, save, done=saved, refused=refused)


def _form_page(form, state):
    return page("outcomes/form.html", form=form, state=state)


@bp.route("/my/outcomes/<slug>/delete", methods=["GET", "POST"])
@role_required(STUDENT)
def delete(slug: str):
    stage = _stage_or_404(slug)
    me = current_person()
    if request.method == "POST":
        return run(
            OutcomeForm(),
            lambda: operations.delete_answers(me, stage),
            done=lambda deleted: done(
                url_for("outcomes.index"),
                f"Your answers ({STAGE_LABELS[stage].lower()}) are deleted." if deleted else None,
            ),
        )
    state = operations.stages_for(me)[stage]
    if not state.answered:
        return redirect(url_for("outcomes.index"))
    return render_template("outcomes/delete.html", state=state)


# --- Admins ------------------------------------------------------------------------------------


def _report_from_filters():
    """Stores the figures of any quarter that has just ended (once), then reads the
    stored figures: staff only ever see quarters that have ended."""
    operations.close_quarters()
    quarters = queries.report_quarters()
    form = ReportFilterForm(formdata=request.args, quarters=quarters)
    if not form.validate():
        return form, None
    report = queries.build_report(
        stage=form.stage.data or None,
        first=queries.Quarter.parse(form.start.data), last=queries.Quarter.parse(form.end.data),
    )
    return form, report


def _open_quarter() -> dict[str, str]:
    """The quarter whose answers nobody sees yet: its first and last day, in words."""
    current = queries.Quarter.of(utcnow())
    return {"starts": queries.format_day(current.starts_at()), "ends": format_uk(current.last_day())}


@bp.route("/admin/outcomes")
@role_required(ADMIN)
def report():
    form, found = _report_from_filters()
    audit.record(audit.OUTCOMES_REPORT_VIEWED, actor=current_user)
    db.session.commit()
    context = {
        "form": form, "report": found, "page_has_errors": found is None, "private_page": True,
        "crime_types": CRIME_TYPES, "chart": queries.victim_chart, "fewer": FEWER,
        "held_back": queries.HELD_BACK, "open_quarter": _open_quarter(),
        "csv_url": url_for("outcomes.report_csv", **{k: v for k, v in request.args.items() if v}),
    }
    return render("outcomes/report.html", "outcomes/_report.html", status=200 if found else 400, **context)


@bp.route("/admin/outcomes.csv")
@role_required(ADMIN)
def report_csv():
    _form, found = _report_from_filters()
    if found is None:
        abort(400)
    audit.record(audit.EXPORTED, actor=current_user, detail="outcomes report CSV")
    db.session.commit()
    return Response(
        to_csv(queries.csv_header(), queries.csv_rows(found)),
        mimetype="text/csv",
        headers={
            "Content-Disposition": 'attachment; filename="outcomes-report.csv"',
            "Cache-Control": "no-store",
        },
    )

