"""Views for /my/plan (the student) and /admin/students/<id>/plan (a learning advisor).

Thin: load and authorise, parse the form, call one operation, commit once, then redirect
(no JavaScript) or return a partial (htmx). A plan always belongs to the signed-in
student; a goal id that is not theirs is "not found".
"""

from __future__ import annotations

from flask import (
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from rec_portal.web.guards import current_person, get_goal_or_404, get_student_or_404
from rec_portal import audit, documents
from rec_portal.web.access import owner_only, role_required
from rec_portal.drafts import (
    owner_may,
    field_limits,
    keeps_typing,
    login_required_keeping,
    take_drafts,
    text_fields,
)
from rec_portal.errors import DomainError
from rec_portal.extensions import db
from rec_portal.web.htmx import is_htmx
from rec_portal.models import Course, SavedDraft, User
from rec_portal.models.accounts import ADMIN, STUDENT
from rec_portal.models.plans import GOAL_STATUSES, LearningGoal
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
)
from rec_portal.web.forms import add_error, done, page, run
from rec_portal.timeutil import utcnow

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


def _full_page(status: int = 200, **context):
    """The whole /my/plan page; ``context`` replaces any form shown with errors."""
    me = current_person()
    view = queries.plan_view(me)
    context.setdefault("words_form", _words_form(view.plan))
    context.setdefault("new_form", None)
    return make_response(
        render_template("plans/index.html", view=view, goals=view.goals, statuses=GOAL_STATUSES, **context),
        status,
    )


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
        return _full_page()
    words = _first_draft(WORDS_DRAFT)
    goal = _first_draft(GOAL_DRAFT)
    if words or goal:
        db.session.commit()  # the drafts are handed back once
        flash("We kept what you typed before you were signed out. Check it, then choose Save.", "info")
    if words:
        context["words_form"] = OwnWordsForm(formdata=words)
    if goal:
        context["new_form"] = _new_goal_form(draft=goal)
    return _full_page(**context)


@bp.route("/my/plan/words", methods=["GET", "POST"])
@login_required_keeping(WORDS_DRAFT, WORDS_FIELDS, limits=field_limits(OwnWordsForm), labels=text_fields(OwnWordsForm))
@role_required(STUDENT)
def save_words():
    if request.method in ("GET", "HEAD"):
        return redirect(_plan_url("plan-words"))
    form = OwnWordsForm()
    if form.validate_on_submit():
        plan = operations.save_own_words(
            current_person(), **{name: (form[name].data if name in request.form else None)
                      for name in ("hopes", "strengths", "support")}
        )
        db.session.commit()
        if is_htmx():
            return render_template("plans/_words.html", words_form=_words_form(plan), saved=True)
        flash("Your words are saved.", "success")
        return redirect(_plan_url("plan-words"))
    if is_htmx():
        return render_template("plans/_words.html", words_form=form), 400
    return _full_page(400, words_form=form, page_has_errors=True)


# --- Goals ---------------------------------------------------------------------------------

@bp.route("/my/plan/goals/new", methods=["GET", "POST"])
@login_required_keeping(GOAL_DRAFT, GOAL_FIELDS, limits=field_limits(GoalForm), labels=text_fields(GoalForm))
@role_required(STUDENT)
def new_goal():
    if request.method in ("GET", "HEAD"):
        if is_htmx():
            if request.args.get("cancel") == "1":
                return render_template("plans/_goal_add.html", new_form=None, focus_add=True)
            return render_template("plans/_goal_add.html", new_form=_new_goal_form())
        if request.args.get("cancel") == "1":
            return redirect(_plan_url("goals"))
        draft = _first_draft(GOAL_DRAFT)
        if draft:
            db.session.commit()
        return render_template("plans/goal_new.html", form=_new_goal_form(draft=draft))
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
    """One goal (htmx: Cancel puts it back after Edit or Delete)."""
    found = get_goal_or_404(goal_id, current_person())
    if not is_htmx():
        return redirect(_plan_url(f"goal-{found.id}"))
    return _goal_partial(found, focus_goal_id=found.id, focus_control="heading")


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
        form = _edit_form(found)
        template = "plans/_goal_form.html" if is_htmx() else "plans/goal_edit.html"
        return render_template(template, goal=found, form=form)
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
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        operations.delete_goal(found)
        db.session.commit()
        if is_htmx():
            return _goals_partial(goals_message="Goal deleted.")
        flash("The goal is deleted.", "success")
        return redirect(_plan_url("goals"))
    if is_htmx():
        return render_template("plans/_goal_delete.html", goal=found)
    return render_template("plans/goal_delete.html", goal=found, form=form)


@bp.route("/my/plan/goals/<int:goal_id>/move", methods=["GET", "POST"])
@owner_only("goal")
@role_required(STUDENT)
def move_goal(goal_id: int):
    found = get_goal_or_404(goal_id, current_person())
    if request.method in ("GET", "HEAD"):
        return redirect(_plan_url(f"goal-{found.id}"))
    form = MoveForm()
    if not form.validate_on_submit():
        abort(400)
    operations.move_goal(found, form.direction.data)
    db.session.commit()
    if is_htmx():
        return _goals_partial(focus_goal_id=found.id, focus_control=form.direction.data)
    flash(f"Goal moved {form.direction.data}. It is now goal {found.position + 1}.", "success")
    return redirect(_plan_url(f"goal-{found.id}"))


@bp.route("/my/plan/goals/<int:goal_id>/status", methods=["GET", "POST"])
@owner_only("goal")
@role_required(STUDENT)
def goal_status(goal_id: int):
    found = get_goal_or_404(goal_id, current_person())
    if request.method in ("GET", "HEAD"):
        return redirect(_plan_url(f"goal-{found.id}"))
    form = GoalStatusForm()
    if not form.validate_on_submit():
        abort(400)
    operations.set_goal_status(found, form.status.data)
    db.session.commit()
    message = f"Status saved: {found.status_label.lower()}."
    if found.status == "achieved":
        message = "Status saved: achieved. Well done."
    if is_htmx():
        return _goals_partial(focus_goal_id=found.id, focus_control="message", goal_message=message)
    flash(message, "success")
    return redirect(_plan_url(f"goal-{found.id}"))


# --- Courses of interest -------------------------------------------------------------------

def _course_back(course: Course, form: CourseBackForm) -> str:
    if form.back.data == "course":
        return url_for("catalogue.course", slug=course.slug)
    return _plan_url("plan-courses")


def _courses_partial(message: str | None = None):
    return render_template(
        "plans/_courses.html", courses=queries.courses_of_interest(current_person().id), courses_message=message
    )


@bp.route("/my/plan/courses", methods=["GET", "POST"])
@role_required(STUDENT)
def add_course():
    if request.method in ("GET", "HEAD"):
        return redirect(_plan_url("plan-courses"))
    form = PlanCourseForm()
    if not form.validate_on_submit():
        abort(400)
    course = db.session.get(Course, form.course_id.data) if 0 < form.course_id.data < 2**31 else None
    if course is None or course.status != "published":
        abort(404)
    try:
        operations.add_course(current_person(), course)
    except DomainError as error:
        db.session.rollback()
        if is_htmx():
            return render_template("plans/_course_control.html", course=course, in_plan=False,
                                   plan_error=error.message), 400
        flash(error.message, "error")
        return redirect(_course_back(course, form))
    db.session.commit()
    if is_htmx():
        return render_template("plans/_course_control.html", course=course, in_plan=True, changed=True)
    flash(f"{course.title} is in your learning plan.", "success")
    return redirect(_course_back(course, form))


@bp.route("/my/plan/courses/<int:course_id>/remove", methods=["GET", "POST"])
@role_required(STUDENT)
def remove_course(course_id: int):
    if request.method in ("GET", "HEAD"):
        return redirect(_plan_url("plan-courses"))
    form = CourseBackForm()
    if not form.validate_on_submit():
        abort(400)
    course = db.session.get(Course, course_id)
    if course is None:
        abort(404)
    removed = operations.remove_course(current_person(), course.id)
    db.session.commit()
    message = (f"{course.title} is no longer in your plan." if removed
               else f"{course.title} was not in your plan.")
    if is_htmx():
        if form.back.data == "course":
            return render_template("plans/_course_control.html", course=course, in_plan=False, changed=True)
        return _courses_partial(message)
    flash(message, "success")
    return redirect(_course_back(course, form) if course.status == "published" else _plan_url("plan-courses"))


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

def _advisor_page(student: User, form: ReviewForm | None = None, status: int = 200):
    audit.record(audit.PLAN_VIEWED, actor=current_person(), subject=student)
    db.session.commit()
    form = form or _ids(ReviewForm(formdata=None), "review")
    return make_response(
        render_template(
            "plans/advisor.html", student=student, view=queries.plan_view(student), form=form,
            page_has_errors=bool(form.errors),
        ),
        status,
    )


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
    if form.validate_on_submit():
        try:
            operations.add_review(
                student, current_person(), review_date=form.review_date.data, notes=form.notes.data,
                next_review_date=form.next_review_date.data,
            )
        except DomainError as error:
            db.session.rollback()
            add_error(form, error.field, error.message)
        else:
            db.session.commit()
            flash(f"Review recorded. {student.display_name} can see it in their learning plan.", "success")
            return redirect(url_for("plans.advisor_view", user_id=student.id) + "#reviews")
    return _advisor_page(student, form, 400)
