"""Views (thin): the list of courses and each course's feedback dashboard, for admins at
/admin/feedback and, students' feedback only and without names, for facilitators at
/facilitate/feedback; the responses as CSV for admins."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from rec_portal.web import picks
from rec_portal.web.guards import get_course_or_404
from rec_portal import audit
from rec_portal.web.access import owner_only, role_required
from rec_portal.content_reviews.operations import open_reviews
from rec_portal.csvsafe import to_csv
from rec_portal.extensions import db
from rec_portal.feedback_review import bp, charts
from rec_portal.feedback_review import dashboard as figures
from rec_portal.feedback_review.forms import DashboardFilterForm
from rec_portal.web.htmx import render
from rec_portal.models import Course
from rec_portal.models.accounts import ADMIN, FACILITATOR
from rec_portal.models.feedback import AUDIENCE_LABELS, AUDIENCES, FOR_STUDENTS
from rec_portal.stats.terms import session_term
from rec_portal.timeutil import format_uk
from rec_portal.web.paging import page_number

POOLED_RESPONDENT = "Anonymous (pooled for the term)"


def _endpoint_url(endpoint: str, **values) -> str | None:
    """A link to another feature's page, or None while that page does not exist yet."""
    return url_for(endpoint, **values) if endpoint in current_app.view_functions else None


def _filter_form(course: Course, *, admin: bool):
    """The filter form, checked against the course's sessions and answered questions."""
    audience = request.args.get("audience") if admin else FOR_STUDENTS
    audience = audience if audience in AUDIENCES else FOR_STUDENTS
    questions = figures.answered_questions(course.id, audience)
    form = DashboardFilterForm(
        formdata=request.args,
        sessions=figures.completed_sessions(course.id),
        questions=[q for q in questions if q.kind == "text"],
        choose_audience=admin,
    )
    valid = form.validate()
    return form, valid, questions


def _dashboard_page(course: Course, *, admin: bool, endpoint: str):
    form, valid, questions = _filter_form(course, admin=admin)
    context = {
        "course": course,
        "form": form,
        "admin": admin,
        "endpoint": endpoint,
        "board": None,
        "page_has_errors": not valid,
        "private_page": True,
        "chart": charts,
        "suppressed_text": figures.SUPPRESSED,
        "held_text": figures.HELD_BACK,
    }
    if not valid:
        return render("feedback_review/course.html", "feedback_review/_dashboard.html", status=400, **context)
    board = figures.course_dashboard(
        course, form.filters(page=page_number()), questions=questions, with_names=admin
    )
    if admin:
        consider = _endpoint_url("content_reviews.consider", course_id=course.id)
        kept = picks.kept(picks.course_feedback(course.id))
        on_page = {str(c.answer_id) for c in board.comments.items}
        context.update(
            kept={field: set(kept.get(field, [])) for field in PICKED},
            # Comments ticked on other pages: carried in the form so one press adds them all.
            carried=[v for v in kept.get("answer_id", []) if v not in on_page],
            consider_url=consider,
            open_reviews=open_reviews(course.id) if consider else [],
            reviews_url=_endpoint_url("content_reviews.course_reviews", course_id=course.id),
            csv_url=url_for("feedback_review.responses_csv", course_id=course.id, **board.filters.as_args()),
        )
    context["board"] = board
    return render("feedback_review/course.html", "feedback_review/_dashboard.html", **context)


# --- Admins -----------------------------------------------------------------------------------

PICKED = ("answer_id", "question_id", "pooled_comment")
# The dashboard's filters (DashboardFilters.as_args), carried as keep-<name> by the paging buttons.
KEPT_FILTERS = ("session", "from", "to", "question", "audience")


@bp.route("/admin/feedback/courses/<int:course_id>/turn-page", methods=["POST"])
@role_required(ADMIN)
def turn_page(course_id: int):
    """Another page of comments, keeping what was ticked (the review form's paging
    buttons post here): one selection across the pages, added to a review at once."""
    course = get_course_or_404(course_id)
    if not picks.keep(picks.course_feedback(course.id), {f: request.form.getlist(f) for f in PICKED}):
        flash(f"Only {picks.LIMIT} ticks can be kept at once. Add what you have ticked to a review, "
              "then tick more.", "info")
    filters = {name: value[:20] for name in KEPT_FILTERS if (value := request.form.get(f"keep-{name}"))}
    number = request.form.get("page", type=int) or 1
    return redirect(url_for("feedback_review.course", course_id=course.id, page=max(number, 1), **filters)
                    + "#comments", 303)


@bp.route("/admin/feedback")
@role_required(ADMIN)
def index():
    return render_template(
        "feedback_review/index.html",
        rows=figures.course_overview(),
        admin=True,
        questions_url=_endpoint_url("feedback.questions"),
        reviews_endpoint="content_reviews.course_reviews"
        if "content_reviews.course_reviews" in current_app.view_functions else None,
    )


@bp.route("/admin/feedback/courses/<int:course_id>")
@role_required(ADMIN)
def course(course_id: int):
    return _dashboard_page(get_course_or_404(course_id), admin=True, endpoint="feedback_review.course")


@bp.route("/admin/feedback/courses/<int:course_id>/responses.csv")
@role_required(ADMIN)
def responses_csv(course_id: int):
    """Every answer in the filter, one row each: named responses with the person's name,
    then the anonymous pools of the terms the filter touches (see pools.py)."""
    found = get_course_or_404(course_id)
    form, valid, _questions = _filter_form(found, admin=True)
    if not valid:
        abort(400)
    filters = form.filters()
    numbers: dict[int, int] = {}  # response id -> its number in this file
    rows = []
    for r in figures.responses_for_export(found.id, filters):
        number = numbers.setdefault(r.response_id, len(numbers) + 1)
        rows.append((
            number, format_uk(r.starts_at), r.version, AUDIENCE_LABELS[r.audience],
            session_term(r.starts_at).label, format_uk(r.given_on),
            r.full_name or "Not known (account deleted)",
            r.question_text, figures.answer_words(r.kind, r.value, r.text),
        ))
    # Anonymous answers: whole pools of 8 or more per term, one answer a row, with no
    # session, date, number or order of their own (choices in the form's order, comments
    # by their words), and not linked to the other answers of the same person.
    for pool in figures.pooled_for_export(found, filters):
        pooled = ("", "", "", AUDIENCE_LABELS[FOR_STUDENTS], pool.term.label, "", POOLED_RESPONDENT)
        for score in pool.scores:
            if filters.question_id and score.question.id != filters.question_id:
                continue
            if not score.shown:  # fewer than 8 answers to the question: held back, as on the page
                continue
            for words, n in score.rows:
                rows.extend([(*pooled, score.question.text, words)] * n)
        rows.extend((*pooled, c.question_text, c.text) for c in pool.comments)
    audit.record(audit.EXPORTED, actor=current_user, detail=f"feedback responses CSV (course {found.id})")
    db.session.commit()
    return Response(
        to_csv(
            ["Response", "Session starts", "Content version", "Audience", "Term", "Given on", "Respondent",
             "Question (as answered)", "Answer"],
            rows,
        ),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="feedback-{found.slug}.csv"',
            "Cache-Control": "no-store",
        },
    )


# --- Facilitators ------------------------------------------------------------------------------


@bp.route("/facilitate/feedback")
@role_required(FACILITATOR)
def my_courses():
    return render_template(
        "feedback_review/my_courses.html", rows=figures.course_overview(facilitator_id=current_user.id)
    )


@bp.route("/facilitate/feedback/courses/<int:course_id>")
@owner_only("course")
@role_required(FACILITATOR)
def my_course(course_id: int):
    """Students' feedback on a course the facilitator delivers, without anyone's name."""
    found = get_course_or_404(course_id)
    if not figures.delivers(current_user.id, found.id):
        abort(404)
    return _dashboard_page(found, admin=False, endpoint="feedback_review.my_course")
