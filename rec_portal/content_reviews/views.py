"""Views for content reviews (admins only). Thin: load, authorise, call one operation
through ``run`` (one commit), then redirect (or, for htmx, return the actions partial)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.routing import BuildError

from rec_portal.web import picks
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
from rec_portal.extensions import db
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
from rec_portal.timeutil import uk_today, utcnow
from rec_portal.web.forms import done, page, run


def _review_url(review: ContentReview, anchor: str = "") -> str:
    return url_for("content_reviews.review", review_id=review.id) + (f"#{anchor}" if anchor else "")


def dashboard_url(course_id: int) -> str:
    """The course's feedback dashboard, or its reviews if there is no dashboard."""
    try:
        return url_for("feedback_review.course", course_id=course_id)
    except BuildError:
        return url_for("content_reviews.course_reviews", course_id=course_id)


def _refused(review: ContentReview, anchor: str = ""):
    """A button the rules refused: back to the review with the reason."""
    return lambda error: done(_review_url(review, anchor), error.message, category="error")


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
    return run(
        form,
        lambda: operations.start_review(course, held_on=form.held_on.data,
                                        participants=form.participants.data, by=current_person()),
        done=lambda review: done(_review_url(review),
                                 "Review started. Add the feedback it considers, the decisions and the actions."),
        page=lambda: page("content_reviews/start.html", form=form, course=course),
    )


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
    return run(
        ButtonForm(),  # nothing typed: the selection is read above, the form checks the CSRF token
        lambda: operations.consider(review, course, answer_ids, question_ids, by=current_person(),
                                    pooled_refs=pooled),
        done=lambda result: _considered(course.id, result),
        refused=lambda error: done(dashboard_url(course.id), error.message, category="error"),
    )


def _considered(course_id: int, result):
    """Added to the review: the selection kept across the dashboard's pages is used up."""
    picks.clear(picks.course_feedback(course_id))
    return done(_review_url(result.review, "feedback"), result.message)


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
    return run(
        form,
        lambda: operations.edit_review(found, held_on=form.held_on.data, participants=form.participants.data,
                                       decisions=form.decisions.data, by=current_person()),
        done=lambda _: done(_review_url(found), "Review details saved."),
        page=lambda: page("content_reviews/edit.html", form=form, review=found, course=found.course),
    )


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
    item_id = item.id
    return run(
        form,
        lambda: operations.set_item_note(found, item_id, form.note.data, by=current_person()),
        done=lambda _: done(_review_url(found, f"item-{item_id}"), "Note saved."),
        page=lambda: page(
            "content_reviews/note.html", form=form, review=found, item=item, small_number=SMALL_NUMBER,
            answer_counts=queries.answer_counts(found.course_id, [item.question_id] if item.question_id else []),
        ),
    )


@bp.route("/admin/feedback/reviews/<int:review_id>/items/<int:item_id>/remove", methods=["POST"])
@role_required(ADMIN)
def remove_item(review_id: int, item_id: int):
    found = get_review_or_404(review_id, load=queries.review_with_feedback)
    what = next(("comment" if i.answer_id else "question" for i in found.items if i.id == item_id), None)
    return run(
        ButtonForm(),
        lambda: operations.remove_item(found, item_id, by=current_person()),
        done=lambda _: done(_review_url(found, "feedback"), f"The {what} was taken out of the review."),
        refused=_refused(found, "feedback"),
    )


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
    return run(
        form,
        lambda: operations.add_action(found, description=form.description.data, owner=form.owner.data,
                                      due_on=form.due_on.data, by=current_person()),
        done=lambda _: done(_review_url(found, "actions"), "Action added."),
        page=lambda: page("content_reviews/action_new.html", form=form, review=found, course=found.course),
    )


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

    def marked(action):
        message = f"Marked “{_short(action.description)}” as {'done' if form.is_done else 'not done'}."
        return done(_review_url(found, "actions"), message, partial=lambda: _actions_partial(found, message=message))

    return run(
        form,
        lambda: operations.mark_action(found, action_id, form.is_done, by=current_person()),
        done=marked,
        # Rolled back: the section is read again, as it now stands, with the reason.
        refused=lambda error: done(
            _review_url(found, "actions"), error.message, category="error",
            partial=lambda: _actions_partial(get_review_or_404(review_id, load=queries.review_with_feedback),
                                             error=error.message, status=400),
        ),
    )


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@bp.route("/admin/feedback/reviews/<int:review_id>/actions/<int:action_id>/remove", methods=["POST"])
@role_required(ADMIN)
def remove_action(review_id: int, action_id: int):
    found = get_review_or_404(review_id, load=queries.review_with_feedback)
    return run(
        ButtonForm(),
        lambda: operations.remove_action(found, action_id, by=current_person()),
        done=lambda _: done(_review_url(found, "actions"), "Action removed."),
        refused=_refused(found, "actions"),
    )


# --- Completing ---------------------------------------------------------------------------

@bp.route("/admin/feedback/reviews/<int:review_id>/complete", methods=["GET", "POST"])
@role_required(ADMIN)
def complete(review_id: int):
    found = get_review_or_404(review_id, load=queries.review_with_feedback)
    if found.status != REVIEW_DRAFT:
        flash("This review is already completed.", "info")
        return redirect(_review_url(found))
    form = CompleteForm(version=found.course.content_version)
    return run(
        form,
        lambda: operations.complete_review(found, form.change.data, by=current_person()),
        done=lambda _: done(_review_url(found), _completed_message(found)),
        page=lambda: page("content_reviews/complete.html", form=form, review=found, course=found.course,
                          missing=operations.completion_missing(found),
                          sessions_to_come=operations.sessions_to_come(found.course_id),
                          comments=sum(1 for i in found.items if i.answer_id),
                          questions=sum(1 for i in found.items if i.question_id)),
    )


def _completed_message(review: ContentReview) -> str:
    if review.version_after != review.version_before:
        return f"Review completed. {review.course.title} is now at content version {review.version_after}."
    return f"Review completed. The content of {review.course.title} stays at version {review.version_after}."


# --- "You said, we did" -------------------------------------------------------------------

@bp.route("/admin/feedback/reviews/<int:review_id>/summary", methods=["GET", "POST"])
@keeps_typing(SummaryForm, keep_if=owner_may(ADMIN, ContentReview, 'review_id'))
@role_required(ADMIN)
def summary(review_id: int):
    found = get_review_or_404(review_id, load=queries.review_with_feedback)
    form = SummaryForm(data={"summary": found.you_said_we_did} if request.method in ("GET", "HEAD") else None)
    return run(
        form,
        lambda: operations.set_summary(found, form.summary.data, by=current_person()),
        done=lambda _: done(
            _review_url(found, "you-said-we-did"),
            "“You said, we did” summary saved." + (" The course page shows the new wording." if found.published_at else ""),
        ),
        page=lambda: page("content_reviews/summary.html", form=form, review=found, course=found.course,
                          limit=operations.SUMMARY_MAX),
    )


@bp.route("/admin/feedback/reviews/<int:review_id>/publish", methods=["POST"])
@role_required(ADMIN)
def publish(review_id: int):
    found = get_review_or_404(review_id, load=queries.review_with_feedback)
    return run(
        ButtonForm(),
        lambda: operations.publish_summary(found, by=current_person()),
        done=lambda _: done(_review_url(found, "you-said-we-did"),
                            f"“You said, we did” is now shown on the {found.course.title} course page."),
        refused=_refused(found, "you-said-we-did"),
    )


@bp.route("/admin/feedback/reviews/<int:review_id>/unpublish", methods=["POST"])
@role_required(ADMIN)
def unpublish(review_id: int):
    found = get_review_or_404(review_id, load=queries.review_with_feedback)
    return run(
        ButtonForm(),
        lambda: operations.unpublish_summary(found, by=current_person()),
        done=lambda _: done(_review_url(found, "you-said-we-did"),
                            f"“You said, we did” is no longer shown on the {found.course.title} course page."),
    )


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
