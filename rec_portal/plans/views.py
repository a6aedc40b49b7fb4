"""Views for /my/plan (the student) and /admin/students/<id>/plan (a learning advisor).

Thin: load and authorise, parse the form, call one operation, commit once, then redirect
(no JavaScript) or return a partial (htmx). A plan always belongs to the signed-in
student; a goal id that is not theirs is "not found".
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from rec_portal import audit, documents
from rec_portal.drafts import (
    field_limits,
    keeps_typing,
    login_required_keeping,
    owner_may,
    take_drafts,
    text_fields,
)
from rec_portal.extensions import db
from rec_portal.models import Course, SavedDraft, User
from rec_portal.models.accounts import ADMIN, STUDENT, TUTOR
from rec_portal.models.courses import PUBLISHED
from rec_portal.models.plans import GOAL_STATUSES, LearningGoal
from rec_portal.pathways import queries as pathway_queries
from rec_portal.plans import bp, operations, queries
from rec_portal.plans.forms import (
    ConfirmForm,
    CourseBackForm,
    EditGoalForm,
    GoalForm,
    GoalStatusForm,
    MoveForm,
    OwnWordsForm,
    PlanCourseForm,
    ReviewForm,
    TutorReviewForm,
)
from rec_portal.timeutil import uk_today, utcnow
from rec_portal.tutoring import queries as tutoring
from rec_portal.web.access import owner_only, role_required
from rec_portal.web.forms import done, page, run
from rec_portal.web.guards import current_person, get_course_or_404, get_goal_or_404, get_student_or_404

WORDS_DRAFT = "plan.own_words"
WORDS_FIELDS = ("hopes", "strengths", "support")
GOAL_DRAFT = "plan.new_goal"
GOAL_FIELDS = ("text", "steps", "target_date-day", "target_date-month", "target_date-year")


# --- Helpers -------------------------------------------------------------------------------

def _ids(form, prefix: str):
    """Give a form's fields ids that are unique on the page (several goal forms can be
    open at once); the field names stay the same."""
    for field in form:
        if field.type != "CSRFTokenField":
            field.id = f"{prefix}-{field.name}"
    return form


def _plan_url(anchor: str | None = None) -> str:
    return url_for("plans.index") + (f"#{anchor}" if anchor else "")


def _words_form(plan) -> OwnWordsForm:
    return OwnWordsForm(
        formdata=None,
        data={
            "hopes": plan.hopes if plan else "",
            "strengths": plan.strengths if plan else "",
            "support": plan.support if plan else "",
        },
    )


def _new_goal_form(from_request: bool = False, draft: MultiDict | None = None) -> GoalForm:
    if from_request:
        form = GoalForm()
    else:
        form = GoalForm(formdata=draft)  # None: an empty form
    return _ids(form, "new-goal")


def _edit_form(goal: LearningGoal, from_request: bool = False) -> EditGoalForm:
    if from_request:
        form = EditGoalForm()
    else:
        form = EditGoalForm(
            formdata=None,
            data={"text": goal.text, "steps": goal.steps, "target_date": goal.target_date, "status": goal.status},
        )
    return _ids(form, f"goal-{goal.id}")


def _plan_page(partial: str | None = None, **context):
    """The whole /my/plan page (or for htmx ``partial``, which it includes); ``context``
    replaces any form shown with errors."""
    view = queries.plan_view(current_person())
    context.setdefault("words_form", _words_form(view.plan))
    context.setdefault("new_form", None)
    tutorship, review_due = tutoring.next_review_for(view.student.id)
    return page("plans/index.html", partial, view=view, goals=view.goals, statuses=GOAL_STATUSES,
                tutorship=tutorship, review_due=review_due, conversations=tutoring.conversations_of(view.student.id),
                my_pathways=pathway_queries.my_pathways(view.student.id), **context)


def _goals_partial(oob: bool = False, **context) -> str:
    """The goal list (htmx), optionally swapped "out of band" beside another partial."""
    goals = queries.goals(current_person().id)
    return render_template("plans/_goals.html", goals=goals, statuses=GOAL_STATUSES, oob=oob, **context)


def _goal_partial(goal: LearningGoal, **context):
    count = len(queries.goals(goal.user_id))
    return render_template(
        "plans/_goal.html", goal=goal, goal_count=count, statuses=GOAL_STATUSES, **context
    )


def _first_draft(form_name: str) -> MultiDict | None:
    """What the person typed before their session expired, if anything (the newest), as
    form data."""
    drafts = take_drafts(current_person(), form_name)
    if not drafts:
        return None
    return MultiDict([(key, value) for key, values in drafts[-1].items() for value in values])


# --- The plan page -------------------------------------------------------------------------

def _has_drafts() -> bool:
    """One cheap look before handing drafts back (which also tidies old ones up)."""
    return db.session.execute(
        select(SavedDraft.id)
        .where(SavedDraft.user_id == current_person().id, SavedDraft.form.in_((WORDS_DRAFT, GOAL_DRAFT)))
        .limit(1)
    ).first() is not None


@bp.route("/my/plan")
@role_required(STUDENT)
def index():
    context = {}
    if not _has_drafts():
        return _plan_page()
    words = _first_draft(WORDS_DRAFT)
    goal = _first_draft(GOAL_DRAFT)
    if words or goal:
        db.session.commit()  # the drafts are handed back once
        flash("We kept what you typed before you were signed out. Check it, then choose Save.", "info")
    if words:
        context["words_form"] = OwnWordsForm(formdata=words)
    if goal:
        context["new_form"] = _new_goal_form(draft=goal)
    return _plan_page(**context)


@bp.route("/my/plan/words", methods=["GET", "POST"])
@login_required_keeping(WORDS_DRAFT, WORDS_FIELDS, limits=field_limits(OwnWordsForm), labels=text_fields(OwnWordsForm))
@role_required(STUDENT)
def save_words():
    if request.method in ("GET", "HEAD"):
        return redirect(_plan_url("plan-words"))
    form = OwnWordsForm()
    return run(
        form,
        # A part that was not sent is left as it is.
        lambda: operations.save_own_words(
            current_person(), **{name: (form[name].data if name in request.form else None) for name in WORDS_FIELDS}
        ),
        done=lambda plan: done(
            _plan_url("plan-words"), "Your words are saved.",
            partial=lambda: render_template("plans/_words.html", words_form=_words_form(plan), saved=True),
        ),
        page=lambda: _plan_page("plans/_words.html", words_form=form),
    )


# --- Goals ---------------------------------------------------------------------------------

@bp.route("/my/plan/goals/new", methods=["GET", "POST"])
@login_required_keeping(GOAL_DRAFT, GOAL_FIELDS, limits=field_limits(GoalForm), labels=text_fields(GoalForm))
@role_required(STUDENT)
def new_goal():
    if request.method in ("GET", "HEAD"):
        if request.args.get("cancel") == "1":
            # htmx: the form closes back to its "Add a goal" button.
            return done(_plan_url("goals"), partial=lambda: render_template(
                "plans/_goal_add.html", new_form=None, focus_add=True))
        draft = _first_draft(GOAL_DRAFT)
        if draft:
            db.session.commit()  # the draft is handed back once
        form = _new_goal_form(draft=draft)
        return page("plans/goal_new.html", "plans/_goal_add.html", form=form, new_form=form)
    form = _new_goal_form(from_request=True)
    return run(
        form,
        lambda: operations.add_goal(
            current_person(), text=form.text.data, steps=form.steps.data, target_date=form.target_date.data
        ),
        done=lambda goal: done(
            _plan_url(f"goal-{goal.id}"), "Your goal is added.",
            # The add form closes; the list (out of band) shows the new goal.
            partial=lambda: render_template("plans/_goal_add.html", new_form=None) + _goals_partial(
                oob=True, focus_goal_id=goal.id, focus_control="message", goal_message="Goal added."
            ),
        ),
        page=lambda: page("plans/goal_new.html", "plans/_goal_add.html", form=form, new_form=form),
    )


@bp.route("/my/plan/goals/<int:goal_id>")
@owner_only("goal")
@role_required(STUDENT)
def goal(goal_id: int):
    """One goal (htmx: Cancel puts it back after Edit or Delete; without JavaScript, the
    goal on the plan page)."""
    found = get_goal_or_404(goal_id, current_person())
    return done(_plan_url(f"goal-{found.id}"),
                partial=lambda: _goal_partial(found, focus_goal_id=found.id, focus_control="heading"))


def _own_goal(owner: User, goal_id: int) -> bool:
    goal = db.session.get(LearningGoal, goal_id)
    return goal is not None and goal.user_id == owner.id


@bp.route("/my/plan/goals/<int:goal_id>/edit", methods=["GET", "POST"])
@owner_only("goal")
@keeps_typing(EditGoalForm, keep_if=_own_goal)
@role_required(STUDENT)
def edit_goal(goal_id: int):
    found = get_goal_or_404(goal_id, current_person())
    if request.method in ("GET", "HEAD"):
        return page("plans/goal_edit.html", "plans/_goal_form.html", goal=found, form=_edit_form(found))
    form = _edit_form(found, from_request=True)
    return run(
        form,
        lambda: operations.edit_goal(
            found, text=form.text.data, steps=form.steps.data,
            target_date=form.target_date.data, status=form.status.data,
        ),
        done=lambda _: done(
            _plan_url(f"goal-{found.id}"), "Your goal is saved.",
            partial=lambda: _goal_partial(found, focus_goal_id=found.id, focus_control="message",
                                          goal_message="Goal saved."),
        ),
        page=lambda: page("plans/goal_edit.html", "plans/_goal_form.html", goal=found, form=form),
    )


@bp.route("/my/plan/goals/<int:goal_id>/delete", methods=["GET", "POST"])
@owner_only("goal")
@role_required(STUDENT)
def delete_goal(goal_id: int):
    found = get_goal_or_404(goal_id, current_person())
    form = ConfirmForm()
    if request.method in ("GET", "HEAD"):
        return page("plans/goal_delete.html", "plans/_goal_delete.html", goal=found, form=form)
    return run(
        form,
        lambda: operations.delete_goal(found),
        done=lambda _: done(_plan_url("goals"), "The goal is deleted.",
                            partial=lambda: _goals_partial(goals_message="Goal deleted.")),
    )


@bp.route("/my/plan/goals/<int:goal_id>/move", methods=["GET", "POST"])
@owner_only("goal")
@role_required(STUDENT)
def move_goal(goal_id: int):
    found = get_goal_or_404(goal_id, current_person())
    if request.method in ("GET", "HEAD"):
        return redirect(_plan_url(f"goal-{found.id}"))
    form = MoveForm()
    return run(
        form,
        lambda: operations.move_goal(found, form.direction.data),
        done=lambda _: done(
            _plan_url(f"goal-{found.id}"),
            f"Goal moved {form.direction.data}. It is now goal {found.position + 1}.",
            partial=lambda: _goals_partial(focus_goal_id=found.id, focus_control=form.direction.data),
        ),
    )


def _status_message(goal: LearningGoal) -> str:
    if goal.status == "achieved":
        return "Status saved: achieved. Well done."
    return f"Status saved: {goal.status_label.lower()}."


@bp.route("/my/plan/goals/<int:goal_id>/status", methods=["GET", "POST"])
@owner_only("goal")
@role_required(STUDENT)
def goal_status(goal_id: int):
    found = get_goal_or_404(goal_id, current_person())
    if request.method in ("GET", "HEAD"):
        return redirect(_plan_url(f"goal-{found.id}"))
    form = GoalStatusForm()
    return run(
        form,
        lambda: operations.set_goal_status(found, form.status.data),
        done=lambda _: done(
            _plan_url(f"goal-{found.id}"), _status_message(found),
            partial=lambda: _goals_partial(focus_goal_id=found.id, focus_control="message",
                                           goal_message=_status_message(found)),
        ),
    )


# --- Courses of interest -------------------------------------------------------------------

def _course_back(course: Course, form: CourseBackForm) -> str:
    if form.back.data == "course" and course.status == PUBLISHED:
        return url_for("catalogue.course", slug=course.slug)
    return _plan_url("plan-courses")


def _courses_partial(message: str) -> str:
    return render_template(
        "plans/_courses.html", courses=queries.courses_of_interest(current_person().id), courses_message=message
    )


def _course_control(course: Course, **context) -> str:
    return render_template("plans/_course_control.html", course=course, **context)


@bp.route("/my/plan/courses", methods=["GET", "POST"])
@role_required(STUDENT)
def add_course():
    if request.method in ("GET", "HEAD"):
        return redirect(_plan_url("plan-courses"))
    form = PlanCourseForm()
    # The course is named by the form (a hidden field): a post that is not a course id
    # is a bad request, a course that is not published is "not found".
    if not form.validate_on_submit():
        abort(400)
    course = get_course_or_404(form.course_id.data)
    if course.status != PUBLISHED:
        abort(404)
    return run(
        form,
        lambda: operations.add_course(current_person(), course),
        done=lambda _: done(
            _course_back(course, form), f"{course.title} is in your learning plan.",
            partial=lambda: _course_control(course, in_plan=True, changed=True),
        ),
        refused=lambda error: done(
            _course_back(course, form), error.message, category="error",
            partial=lambda: (_course_control(course, in_plan=False, plan_error=error.message), 400),
        ),
    )


@bp.route("/my/plan/courses/<int:course_id>/remove", methods=["GET", "POST"])
@role_required(STUDENT)
def remove_course(course_id: int):
    if request.method in ("GET", "HEAD"):
        return redirect(_plan_url("plan-courses"))
    course = get_course_or_404(course_id)
    form = CourseBackForm()

    def removed(was_there: bool):
        message = (f"{course.title} is no longer in your plan." if was_there
                   else f"{course.title} was not in your plan.")
        return done(_course_back(course, form), message, partial=lambda: (
            _course_control(course, in_plan=False, changed=True) if form.back.data == "course"
            else _courses_partial(message)
        ))

    return run(form, lambda: operations.remove_course(current_person(), course.id), done=removed)


# --- PDF -----------------------------------------------------------------------------------

@bp.route("/my/plan.pdf")
@role_required(STUDENT)
def pdf():
    me = current_person()
    data = documents.render_pdf(
        "learning_plan.html",
        title="My learning plan",
        view=queries.plan_view(me),
        made_on=utcnow(),
    )
    return documents.pdf_response(data, "my-learning-plan.pdf")


# --- Learning advisor (admin) --------------------------------------------------------------

def _advisor_page(student: User, form: ReviewForm | None = None):
    audit.record(audit.PLAN_VIEWED, actor=current_person(), subject=student)
    db.session.commit()
    form = form or _ids(ReviewForm(formdata=None), "review")
    return page("plans/advisor.html", student=student, view=queries.plan_view(student), form=form)


@bp.route("/admin/students/<int:user_id>/plan")
@role_required(ADMIN)
def advisor_view(user_id: int):
    return _advisor_page(get_student_or_404(user_id))


@bp.route("/admin/students/<int:user_id>/plan/reviews", methods=["GET", "POST"])
@keeps_typing(ReviewForm, keep_if=owner_may(ADMIN, User, 'user_id'))
@role_required(ADMIN)
def add_review(user_id: int):
    student = get_student_or_404(user_id)
    if request.method in ("GET", "HEAD"):
        return redirect(url_for("plans.advisor_view", user_id=student.id))
    form = _ids(ReviewForm(), "review")
    return run(
        form,
        lambda: operations.add_review(
            student, current_person(), review_date=form.review_date.data, notes=form.notes.data,
            next_review_date=form.next_review_date.data,
        ),
        done=lambda _: done(
            url_for("plans.advisor_view", user_id=student.id) + "#reviews",
            f"Review recorded. {student.display_name} can see it in their learning plan.",
        ),
        page=lambda: _advisor_page(student, form),
    )


# --- Personal tutor ------------------------------------------------------------------------

def _tutored_student_or_404(user_id: int) -> User:
    """One of the signed-in tutor's own students; anyone else's is "not found"."""
    student = get_student_or_404(user_id)
    if not tutoring.is_tutor_of(current_person().id, student.id):
        abort(404)
    return student


def _tutor_review_form(student: User, view, from_request: bool = False) -> TutorReviewForm:
    if from_request:
        return _ids(TutorReviewForm.for_goals(view.goals), "review")
    tutorship, _due = tutoring.next_review_for(student.id)
    today = uk_today()
    months = tutorship.review_every_months if tutorship else None
    return _ids(TutorReviewForm.for_goals(view.goals, formdata=None, data={
        "review_date": today,
        "next_review_date": tutoring.add_months(today, months) if months else None,
    }), "review")


def _tutor_page(student: User, form: TutorReviewForm | None = None):
    audit.record(audit.PLAN_VIEWED, actor=current_person(), subject=student, detail="personal tutor")
    db.session.commit()
    view = queries.plan_view(student)
    tutorship, due = tutoring.next_review_for(student.id)
    form = form or _tutor_review_form(student, view)
    return page("plans/tutor.html", student=student, view=view, form=form, tutorship=tutorship, due=due,
                overdue=tutoring.is_overdue(due), conversations=tutoring.conversations_of(student.id))


@bp.route("/tutor/students/<int:user_id>/plan")
@owner_only("tutored student")
@role_required(TUTOR)
def tutor_view(user_id: int):
    return _tutor_page(_tutored_student_or_404(user_id))


@bp.route("/tutor/students/<int:user_id>/plan/reviews", methods=["GET", "POST"])
@owner_only("tutored student")
@keeps_typing(TutorReviewForm, keep_if=lambda owner, user_id: tutoring.is_tutor_of(owner.id, user_id))
@role_required(TUTOR)
def tutor_review(user_id: int):
    student = _tutored_student_or_404(user_id)
    if request.method in ("GET", "HEAD"):
        return redirect(url_for("plans.tutor_view", user_id=student.id))
    view = queries.plan_view(student)
    form = _tutor_review_form(student, view, from_request=True)
    return run(
        form,
        lambda: operations.add_tutor_review(
            student, current_person(), review_date=form.review_date.data, notes=form.notes.data,
            next_review_date=form.next_review_date.data, goal_statuses=form.goal_statuses(),
        ),
        done=lambda _: done(
            url_for("plans.tutor_view", user_id=student.id) + "#reviews",
            f"Review recorded. {student.display_name} can see it in their learning plan.",
        ),
        page=lambda: _tutor_page(student, form),
    )
