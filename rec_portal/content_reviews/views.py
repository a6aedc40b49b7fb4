"""Views for content reviews (admins only). Thin: load, authorise, call one operation,
commit once, then redirect (or, for htmx, return the actions partial)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.routing import BuildError

from rec_portal.web.guards import current_person, get_course_or_404, get_review_or_404
from rec_portal import audit, documents
from rec_portal.drafts import keeps_typing, owner_may
from rec_portal.web.access import role_required
from rec_portal.content_reviews import bp, operations, queries
from rec_portal.content_reviews.forms import (
    ActionForm,
    ButtonForm,
    CompleteForm,
    DoneForm,
    EditReviewForm,
    NoteForm,
    ReviewForm,
    SummaryForm,
)
from rec_portal.errors import DomainError
from rec_portal.extensions import db
from rec_portal.web.htmx import is_htmx
from rec_portal.ids import parse_id
from rec_portal.models import Course
from rec_portal.models.accounts import ADMIN
from rec_portal.models.feedback import (
    AUDIENCE_LABELS,
    REVIEW_DRAFT,
    ContentReview,
    ContentReviewItem,
)
from rec_portal.stats import SMALL_NUMBER
from rec_portal.web.forms import add_error, form_errors
from rec_portal.timeutil import uk_today, utcnow








def _review_url(review: ContentReview, anchor: str = "") -> str:
    return url_for("content_reviews.review", review_id=review.id) + (f"#{anchor}" if anchor else "")


def dashboard_url(course_id: int) -> str:
    """The course's feedback dashboard, or its reviews if there is no dashboard."""
    try:
        return url_for("feedback_review.course", course_id=course_id)
    except BuildError:
        return url_for("content_reviews.course_reviews", course_id=course_id)


def _page(template: str, form, **context):
    """A form page: 400 when the form shows errors."""
    errors = bool(form_errors(form))
    return render_template(template, form=form, page_has_errors=errors, **context), 400 if errors else 200


def _refused(review: ContentReview, error: DomainError, anchor: str = ""):
    """A button the rules refused: back to the review with the reason."""
    db.session.rollback()
    flash(error.message, "error")
    return redirect(_review_url(review, anchor))


# --- A course's reviews -------------------------------------------------------------------

@bp.route("/admin/feedback/courses/<int:course_id>/reviews")
@role_required(ADMIN)
def course_reviews(course_id: int):
    course = get_course_or_404(course_id)
    return render_template("content_reviews/course_reviews.html", course=course,
                           reviews=queries.course_reviews(course.id), dashboard_url=dashboard_url(course.id))


@bp.route("/admin/feedback/courses/<int:course_id>/reviews/new", methods=["GET", "POST"])
@keeps_typing(ReviewForm, keep_if=owner_may(ADMIN, Course, 'course_id'))
@role_required(ADMIN)
def start(course_id: int):
    course = get_course_or_404(course_id)
    form = ReviewForm(held_on=uk_today())
    if form.validate_on_submit():
        try:
            review = operations.start_review(course, held_on=form.held_on.data,
                                             participants=form.participants.data, by=current_person())
        except DomainError as error:
            db.session.rollback()
            add_error(form, error.field, error.message)
        else:
            db.session.commit()
            flash("Review started. Add the feedback it considers, the decisions and the actions.", "success")
            return redirect(_review_url(review))
    return _page("content_reviews/start.html", form, course=course)


@bp.route("/admin/feedback/courses/<int:course_id>/reviews/consider", methods=["POST"])
@role_required(ADMIN)
def consider(course_id: int):
    """Add comments and questions selected on the dashboard to a draft review (or to a
    new one when ``review_id`` is empty)."""
    course = get_course_or_404(course_id)
    answer_ids, question_ids = request.form.getlist("answer_id"), request.form.getlist("question_id")
    pooled = request.form.getlist("pooled_comment")
    if not any(v.strip() for v in answer_ids + question_ids + pooled):
        flash("Nothing was added to a review: select at least one comment or question first.", "info")
        return redirect(dashboard_url(course.id))
    review = None
    chosen = (request.form.get("review_id") or "").strip()
    if chosen:
        wanted = parse_id(chosen)
        review = db.session.get(ContentReview, wanted) if wanted else None
        if review is None or review.course_id != course.id:
            flash("That review could not be found. Choose one of this course's draft reviews.", "error")
            return redirect(dashboard_url(course.id))
    try:
        result = operations.consider(review, course, answer_ids, question_ids, by=current_person(), pooled_refs=pooled)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(dashboard_url(course.id))
    db.session.commit()
    flash(result.message, "success")
    return redirect(_review_url(result.review, "feedback"))


# --- One review ---------------------------------------------------------------------------

def _review_context(review: ContentReview) -> dict:
    questions = [item.question_id for item in review.items if item.question_id]
    return {
        "review": review,
        "course": review.course,
        "comments": [item for item in review.items if item.answer_id],
        "questions": [item for item in review.items if item.question_id],
        "answer_counts": queries.answer_counts(review.course_id, questions),
        "small_number": SMALL_NUMBER,
        "audience_labels": AUDIENCE_LABELS,
        "draft": review.status == REVIEW_DRAFT,
    }


@bp.route("/admin/feedback/reviews/<int:review_id>")
@role_required(ADMIN)
def review(review_id: int):
    found = get_review_or_404(review_id, load=queries.review_with_feedback)
    return render_template("content_reviews/review.html", dashboard_url=dashboard_url(found.course_id),
                           **_review_context(found))


@bp.route("/admin/feedback/reviews/<int:review_id>/edit", methods=["GET", "POST"])
@keeps_typing(EditReviewForm, keep_if=owner_may(ADMIN, ContentReview, 'review_id'))
@role_required(ADMIN)
def edit(review_id: int):
    found = get_review_or_404(review_id, load=queries.review_with_feedback)
    if found.status != REVIEW_DRAFT:
        flash("This review is completed, so its details cannot be changed.", "info")
        return redirect(_review_url(found))
    form = EditReviewForm(obj=found)
    if form.validate_on_submit():
        try:
            operations.edit_review(found, held_on=form.held_on.data, participants=form.participants.data,
                                   decisions=form.decisions.data, by=current_person())
        except DomainError as error:
            db.session.rollback()
            add_error(form, error.field, error.message)
        else:
            db.session.commit()
            flash("Review details saved.", "success")
            return redirect(_review_url(found))
    return _page("content_reviews/edit.html", form, review=found, course=found.course)


def _review_item(owner, review_id: int, item_id: int) -> bool:
    """A ``keep_if``: the owner is an admin and the item is one of that review's."""
    item = db.session.get(ContentReviewItem, item_id)
    return owner.has_role(ADMIN) and item is not None and item.review_id == review_id


@bp.route("/admin/feedback/reviews/<int:review_id>/items/<int:item_id>/note", methods=["GET", "POST"])
@keeps_typing(NoteForm, keep_if=lambda owner, review_id, item_id: _review_item(owner, review_id, item_id))
@role_required(ADMIN)
def note(review_id: int, item_id: int):
    found = get_review_or_404(review_id, load=queries.review_with_feedback)
    item = next((i for i in found.items if i.id == item_id), None)
    if item is None:
        abort(404)
    if found.status != REVIEW_DRAFT:
        flash("This review is completed, so its notes cannot be changed.", "info")
        return redirect(_review_url(found, f"item-{item.id}"))
    form = NoteForm(obj=item)
    if form.validate_on_submit():
        try:
            operations.set_item_note(found, item.id, form.note.data, by=current_person())
        except DomainError as error:
            db.session.rollback()
            add_error(form, "note", error.message)
        else:
            db.session.commit()
            flash("Note saved.", "success")
            return redirect(_review_url(found, f"item-{item.id}"))
    return _page("content_reviews/note.html", form, review=found, item=item,
                 answer_counts=queries.answer_counts(found.course_id, [item.question_id] if item.question_id else []),
                 small_number=SMALL_NUMBER)


@bp.route("/admin/feedback/reviews/<int:review_id>/items/<int:item_id>/remove", methods=["POST"])
@role_required(ADMIN)
def remove_item(review_id: int, item_id: int):
    found = get_review_or_404(review_id, load=queries.review_with_feedback)
    if not ButtonForm().validate_on_submit():
        abort(400)
    what = next(("comment" if i.answer_id else "question" for i in found.items if i.id == item_id), None)
    try:
        operations.remove_item(found, item_id, by=current_person())
    except DomainError as error:
        return _refused(found, error, "feedback")
    db.session.commit()
    flash(f"The {what} was taken out of the review.", "success")
    return redirect(_review_url(found, "feedback"))


# --- Actions ------------------------------------------------------------------------------

@bp.route("/admin/feedback/reviews/<int:review_id>/actions/new", methods=["GET", "POST"])
@keeps_typing(ActionForm, keep_if=owner_may(ADMIN, ContentReview, 'review_id'))
@role_required(ADMIN)
def add_action(review_id: int):
    found = get_review_or_404(review_id, load=queries.review_with_feedback)
    if found.status != REVIEW_DRAFT:
        flash("This review is completed, so no actions can be added.", "info")
        return redirect(_review_url(found, "actions"))
    form = ActionForm()
    if form.validate_on_submit():
        try:
            operations.add_action(found, description=form.description.data, owner=form.owner.data,
                                  due_on=form.due_on.data, by=current_person())
        except DomainError as error:
            db.session.rollback()
            add_error(form, error.field, error.message)
        else:
            db.session.commit()
            flash("Action added.", "success")
            return redirect(_review_url(found, "actions"))
    return _page("content_reviews/action_new.html", form, review=found, course=found.course)


def _actions_partial(found: ContentReview, message: str | None = None, error: str | None = None,
                     status: int = 200):
    html = render_template("content_reviews/_actions.html", review=found,
                           draft=found.status == REVIEW_DRAFT, actions_message=message, actions_error=error)
    return html, status


@bp.route("/admin/feedback/reviews/<int:review_id>/actions/<int:action_id>/done", methods=["POST"])
@role_required(ADMIN)
def mark_action(review_id: int, action_id: int):
    """Done or not done (``done`` = "yes" or "no"); htmx gets the actions section back."""
    found = get_review_or_404(review_id, load=queries.review_with_feedback)
    form = DoneForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        action = operations.mark_action(found, action_id, form.is_done, by=current_person())
    except DomainError as error:
        db.session.rollback()
        if is_htmx():
            return _actions_partial(get_review_or_404(review_id, load=queries.review_with_feedback), error=error.message, status=400)
        return _refused(found, error, "actions")
    db.session.commit()
    message = f"Marked “{_short(action.description)}” as {'done' if form.is_done else 'not done'}."
    if is_htmx():
        return _actions_partial(found, message=message)
    flash(message, "success")
    return redirect(_review_url(found, "actions"))


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@bp.route("/admin/feedback/reviews/<int:review_id>/actions/<int:action_id>/remove", methods=["POST"])
@role_required(ADMIN)
def remove_action(review_id: int, action_id: int):
    found = get_review_or_404(review_id, load=queries.review_with_feedback)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        operations.remove_action(found, action_id, by=current_person())
    except DomainError as error:
        return _refused(found, error, "actions")
    db.session.commit()
    flash("Action removed.", "success")
    return redirect(_review_url(found, "actions"))


# --- Completing ---------------------------------------------------------------------------

@bp.route("/admin/feedback/reviews/<int:review_id>/complete", methods=["GET", "POST"])
@role_required(ADMIN)
def complete(review_id: int):
    found = get_review_or_404(review_id, load=queries.review_with_feedback)
    if found.status != REVIEW_DRAFT:
        flash("This review is already completed.", "info")
        return redirect(_review_url(found))
    form = CompleteForm(version=found.course.content_version)
    if form.validate_on_submit():
        try:
            operations.complete_review(found, form.change.data, by=current_person())
        except DomainError as error:
            db.session.rollback()
            add_error(form, "change", error.message)
        else:
            db.session.commit()
            if found.version_after != found.version_before:
                message = (f"Review completed. {found.course.title} is now at content version "
                           f"{found.version_after}.")
            else:
                message = f"Review completed. The content of {found.course.title} stays at version {found.version_after}."
            flash(message, "success")
            return redirect(_review_url(found))
    return _page("content_reviews/complete.html", form, review=found, course=found.course,
                 missing=operations.completion_missing(found),
                 sessions_to_come=operations.sessions_to_come(found.course_id),
                 comments=sum(1 for i in found.items if i.answer_id),
                 questions=sum(1 for i in found.items if i.question_id))


# --- "You said, we did" -------------------------------------------------------------------

@bp.route("/admin/feedback/reviews/<int:review_id>/summary", methods=["GET", "POST"])
@keeps_typing(SummaryForm, keep_if=owner_may(ADMIN, ContentReview, 'review_id'))
@role_required(ADMIN)
def summary(review_id: int):
    found = get_review_or_404(review_id, load=queries.review_with_feedback)
    form = SummaryForm(data={"summary": found.you_said_we_did} if request.method in ("GET", "HEAD") else None)
    if form.validate_on_submit():
        try:
            operations.set_summary(found, form.summary.data, by=current_person())
        except DomainError as error:
            db.session.rollback()
            add_error(form, "summary", error.message)
        else:
            db.session.commit()
            flash("“You said, we did” summary saved." + (" The course page shows the new wording." if found.published_at else ""),
                  "success")
            return redirect(_review_url(found, "you-said-we-did"))
    return _page("content_reviews/summary.html", form, review=found, course=found.course,
                 limit=operations.SUMMARY_MAX)


@bp.route("/admin/feedback/reviews/<int:review_id>/publish", methods=["POST"])
@role_required(ADMIN)
def publish(review_id: int):
    found = get_review_or_404(review_id, load=queries.review_with_feedback)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        operations.publish_summary(found, by=current_person())
    except DomainError as error:
        return _refused(found, error, "you-said-we-did")
    db.session.commit()
    flash(f"“You said, we did” is now shown on the {found.course.title} course page.", "success")
    return redirect(_review_url(found, "you-said-we-did"))


@bp.route("/admin/feedback/reviews/<int:review_id>/unpublish", methods=["POST"])
@role_required(ADMIN)
def unpublish(review_id: int):
    found = get_review_or_404(review_id, load=queries.review_with_feedback)
    if not ButtonForm().validate_on_submit():
        abort(400)
    operations.unpublish_summary(found, by=current_person())
    db.session.commit()
    flash(f"“You said, we did” is no longer shown on the {found.course.title} course page.", "success")
    return redirect(_review_url(found, "you-said-we-did"))


# --- Report -------------------------------------------------------------------------------

@bp.route("/admin/feedback/reviews/<int:review_id>/report.pdf")
@role_required(ADMIN)
def report(review_id: int):
    found = get_review_or_404(review_id, load=queries.review_with_feedback)
    context = _review_context(found)
    data = documents.render_pdf(
        "content_review.html",
        title=f"Content review: {found.course.title}",
        printed_at=utcnow(),
        **context,
    )
    audit.record(audit.EXPORTED, actor=current_person(), detail=f"content review {found.id} report PDF")
    db.session.commit()
    return documents.pdf_response(data, f"content-review-{found.id}.pdf")
