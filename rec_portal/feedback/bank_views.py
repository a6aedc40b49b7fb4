"""The question bank at /admin/feedback/questions (admins only). Thin: load, authorise,
call one operation in rec_portal.feedback.bank through ``run`` (one commit), redirect (or,
for htmx, the reordered list)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from rec_portal.web.guards import current_person, get_question_or_404
from rec_portal.drafts import keeps_typing, owner_may
from rec_portal.web.access import role_required
from rec_portal.extensions import db
from rec_portal.feedback import bank, bp
from rec_portal.feedback.bank_forms import (
    ConfirmForm,
    MoveForm,
    QuestionForm,
    audience_choice,
)
from rec_portal.ids import parse_id
from rec_portal.models import Course
from rec_portal.models.accounts import ADMIN
from rec_portal.models.feedback import AUDIENCES, FOR_STUDENTS, FeedbackQuestion
from rec_portal.web.forms import done, page, run

SECTION_HEADINGS = {"student": "Questions for students", "facilitator": "Facilitator reflection"}


def _course_arg(name: str = "course") -> Course | None:
    """The course picked in a GET filter (anything unknown means no filter)."""
    wanted = parse_id(request.args.get(name))
    return db.session.get(Course, wanted) if wanted else None


def _bank_url(course_id: int | None = None, anchor: str | None = None) -> str:
    url = url_for("feedback.bank_index", course=course_id) if course_id else url_for("feedback.bank_index")
    return url + (f"#{anchor}" if anchor else "")


def _question_url(question: FeedbackQuestion) -> str:
    return _bank_url(anchor=f"question-{question.id}")


def _refused(url: str):
    """A button the rules refused: back to the bank with the reason."""
    return lambda error: done(url, error.message, category="error")


def _short(question: FeedbackQuestion) -> str:
    text = question.text
    return text if len(text) <= 60 else text[:57].rstrip() + "…"


@bp.route("/admin/feedback/questions")
@role_required(ADMIN)
def bank_index():
    course = _course_arg()
    return render_template(
        "feedback/bank/index.html",
        bank=bank.load_bank(course.id if course else None),
        course=course,
        courses=bank.courses_in_filter(),
        audiences=AUDIENCES,
        headings=SECTION_HEADINGS,
    )


def _section(audience: str, course: Course | None, **extra):
    """One audience's list alone (htmx after a move)."""
    return render_template(
        "feedback/bank/_questions.html",
        bank=bank.load_bank(course.id if course else None),
        course=course,
        audience=audience,
        heading=SECTION_HEADINGS[audience],
        **extra,
    )


@bp.route("/admin/feedback/questions/new", methods=["GET", "POST"])
@keeps_typing(QuestionForm, keep_if=owner_may(ADMIN))
@role_required(ADMIN)
def bank_new():
    courses = bank.courses_to_choose()
    if request.method == "POST":
        form = QuestionForm(courses=courses)
    else:
        form = QuestionForm(courses=courses, data={
            "audience": audience_choice(request.args.get("audience")),
            "course_id": request.args.get("course", ""),
        })
    return run(
        form,
        lambda: bank.add_question(current_person(), audience=form.audience.data, **form.question_fields()),
        done=lambda added: done(_question_url(added), f"Question added: “{_short(added)}”. It is last in its list."),
        page=lambda: page("feedback/bank/form.html", form=form, question=None, answers=0),
    )


@bp.route("/admin/feedback/questions/<int:question_id>/edit", methods=["GET", "POST"])
@keeps_typing(QuestionForm, keep_if=owner_may(ADMIN, FeedbackQuestion, 'question_id'))
@role_required(ADMIN)
def bank_edit(question_id: int):
    question = get_question_or_404(question_id)
    if question.retired_at is not None:
        flash("This question is retired. Reinstate it before changing it.", "info")
        return redirect(_bank_url(anchor=f"question-{question.id}"))
    answers = bank.shown_answer_count(question)
    courses = bank.courses_to_choose()
    options = {
        "courses": courses + ([question.course] if question.course and question.course not in courses else []),
        "ask_audience": False,
        "fixed": (question.text, question.kind) if bank.has_been_asked(question) else None,
        "course_was": question.course_id,
    }
    form = QuestionForm(**options) if request.method == "POST" else QuestionForm.for_question(question, **options)
    return run(
        form,
        lambda: bank.update_question(current_person(), question, **form.question_fields()),
        done=lambda _: done(_question_url(question), f"Question saved: “{_short(question)}”."),
        page=lambda: page("feedback/bank/form.html", form=form, question=question, answers=answers),
    )


@bp.route("/admin/feedback/questions/<int:question_id>/replace", methods=["GET", "POST"])
@keeps_typing(QuestionForm, keep_if=owner_may(ADMIN, FeedbackQuestion, 'question_id'))
@role_required(ADMIN)
def bank_replace(question_id: int):
    question = get_question_or_404(question_id)
    if question.retired_at is not None:
        flash("This question is retired, so it cannot be replaced.", "info")
        return redirect(_bank_url(anchor=f"question-{question.id}"))
    courses = bank.courses_to_choose()
    options = {
        "courses": courses + ([question.course] if question.course and question.course not in courses else []),
        "ask_audience": False,
        "course_was": question.course_id,
    }
    form = QuestionForm(**options) if request.method == "POST" else QuestionForm.for_question(question, **options)
    return run(
        form,
        lambda: bank.replace_question(current_person(), question, **form.question_fields()),
        done=lambda new: done(_question_url(new), f"New wording saved: “{_short(new)}”. The old wording is "
                                                  "retired; answers already given keep it."),
        page=lambda: page("feedback/bank/replace.html", form=form, question=question,
                          answers=bank.shown_answer_count(question)),
    )


@bp.route("/admin/feedback/questions/<int:question_id>/retire", methods=["GET", "POST"])
@role_required(ADMIN)
def bank_retire(question_id: int):
    question = get_question_or_404(question_id)
    form = ConfirmForm()

    def confirm():
        if question.retired_at is not None:
            flash("This question is already retired.", "info")
            return redirect(_question_url(question))
        return page("feedback/bank/retire.html", question=question, form=form,
                    answers=bank.shown_answer_count(question),
                    deletable=bank.deletion_refusal(question) is None)

    return run(
        form,
        lambda: bank.retire_question(current_person(), question),
        done=lambda _: done(_question_url(question), f"Question retired: “{_short(question)}”. It is no longer "
                                                     "asked; its answers are kept."),
        refused=_refused(_question_url(question)),
        page=confirm,
    )


@bp.route("/admin/feedback/questions/<int:question_id>/reinstate", methods=["POST"])
@role_required(ADMIN)
def bank_reinstate(question_id: int):
    question = get_question_or_404(question_id)
    return run(
        ConfirmForm(),
        lambda: bank.reinstate_question(current_person(), question),
        done=lambda _: done(_question_url(question), f"Question reinstated: “{_short(question)}”. It is asked "
                                                     "again, last in its list."),
        refused=_refused(_question_url(question)),
    )


@bp.route("/admin/feedback/questions/<int:question_id>/delete", methods=["GET", "POST"])
@role_required(ADMIN)
def bank_delete(question_id: int):
    question = get_question_or_404(question_id)
    refusal = bank.deletion_refusal(question)
    if refusal:
        flash(refusal, "error")
        return redirect(_bank_url(anchor=f"question-{question.id}"))
    form = ConfirmForm()
    short = _short(question)  # read before it is gone
    return run(
        form,
        lambda: bank.delete_question(current_person(), question),
        done=lambda _: done(_bank_url(), f"Question deleted: “{short}”."),
        refused=_refused(_bank_url()),
        page=lambda: page("feedback/bank/delete.html", question=question, form=form),
    )


@bp.route("/admin/feedback/questions/<int:question_id>/move", methods=["GET", "POST"])
@role_required(ADMIN)
def bank_move(question_id: int):
    question = get_question_or_404(question_id)
    if request.method in ("GET", "HEAD"):
        return redirect(_bank_url(anchor=f"question-{question.id}"))
    form = MoveForm()
    course_id = form.course_filter()
    course = db.session.get(Course, course_id) if course_id else None
    url = _bank_url(course.id if course else None, anchor=f"question-{question.id}")

    def moved(did_move: bool):
        direction = form.direction.data
        message = (f"Moved {direction}: “{_short(question)}”." if did_move
                   else f"“{_short(question)}” is already {'first' if direction == 'up' else 'last'}.")
        return done(url, message, partial=lambda: _section(question.audience, course, section_message=message,
                                                           focus_id=question.id, focus_direction=direction))

    return run(
        form,
        lambda: bank.move_question(current_person(), question, form.direction.data, course.id if course else None),
        done=moved,
        refused=lambda error: done(url, error.message, category="error",
                                   partial=lambda: (_section(question.audience, course, section_error=error.message),
                                                    400)),
    )


@bp.route("/admin/feedback/questions/preview")
@role_required(ADMIN)
def bank_preview():
    course = _course_arg()
    audience = request.args.get("audience", FOR_STUDENTS)
    if audience not in AUDIENCES:
        audience = FOR_STUDENTS
    if course is not None:
        questions = bank.questions_for(course.id, audience)
    else:
        questions = [q for q in bank.questions_for(0, audience) if q.course_id is None]
    return render_template(
        "feedback/bank/preview.html",
        course=course,
        audience=audience,
        questions=questions,
        courses=bank.courses_to_choose(),
    )
