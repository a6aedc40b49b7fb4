"""Routes of tutoring (issue 17): the admins' overview and assigning a tutor, a tutor's
caseload, and learning-plan conversations (asked for by the student, arranged by their
tutor or the REC team). The tutor's view of a student's plan is in plans/views.py.

Thin: load and authorise, parse the form, call one operation, commit once, redirect."""

from __future__ import annotations

from flask import abort, make_response, render_template, request, url_for
from werkzeug.exceptions import NotFound

from rec_portal.drafts import keeps_typing
from rec_portal.extensions import db
from rec_portal.models import User
from rec_portal.models.accounts import ADMIN, STUDENT, TUTOR
from rec_portal.models.tutoring import PlanConversation
from rec_portal.timeutil import to_uk
from rec_portal.tutoring import bp, operations, queries
from rec_portal.tutoring.forms import AskForm, ArrangeForm, AssignForm, ButtonForm, months_label
from rec_portal.web.access import owner_only, role_required
from rec_portal.web.forms import done, page, run
from rec_portal.web.guards import current_person, get_person_or_404

MAX_ID = 2**31 - 1


# --- Admins: the overview and a student's tutor ---------------------------------------------

@bp.route("/admin/tutors")
@role_required(ADMIN)
def overview():
    return page("tutoring/overview.html", view=queries.overview(), form=ButtonForm())


def _posted() -> bool:
    return request.method == "POST"


def _student_or_404(person_id: int) -> User:
    person = get_person_or_404(person_id)
    if not person.has_role(STUDENT) or person.anonymised_at is not None:
        abort(404)
    return person


def _assign_page(student: User, form: AssignForm | None = None):
    tutorship, due = queries.next_review_for(student.id)
    if form is None:
        data = ({"tutor_id": str(tutorship.tutor_id), "review_every_months": str(tutorship.review_every_months)}
                if tutorship else None)
        form = AssignForm.for_tutors(queries.tutors(), formdata=None, data=data)
    return page("tutoring/assign.html", student=student, tutorship=tutorship, due=due, form=form,
                button_form=ButtonForm(), conversations=queries.conversations_of(student.id),
                months_label=months_label, overdue=queries.is_overdue(due))


@bp.route("/admin/people/<int:person_id>/tutor", methods=["GET", "POST"])
@role_required(ADMIN)
def assign(person_id: int):
    student = _student_or_404(person_id)
    tutors = queries.tutors()
    if not _posted():
        return _assign_page(student)
    form = AssignForm.for_tutors(tutors)

    def chosen() -> User | None:
        value = int(form.tutor_id.data) if (form.tutor_id.data or "").isdigit() else 0
        return db.session.get(User, value) if 0 < value <= MAX_ID else None

    return run(
        form,
        lambda: operations.assign_tutor(student, chosen(), int(form.review_every_months.data), current_person()),
        done=lambda t: done(url_for("tutoring.assign", person_id=student.id),
                            f"{t.tutor.full_name} is {student.display_name}’s personal tutor. "
                            f"Their plan is reviewed {months_label(t.review_every_months).lower()}."),
        page=lambda: _assign_page(student, form),
    )


@bp.route("/admin/people/<int:person_id>/tutor/remove", methods=["POST"])
@role_required(ADMIN)
def remove(person_id: int):
    student = _student_or_404(person_id)
    return run(
        ButtonForm(),
        lambda: operations.remove_tutor(student, current_person()),
        done=lambda had: done(
            url_for("tutoring.assign", person_id=student.id),
            f"{student.display_name} no longer has a personal tutor. Any conversation they asked for "
            "is now with the REC team." if had else f"{student.display_name} had no personal tutor.",
        ),
    )


# --- Tutors: the caseload ---------------------------------------------------------------------

@bp.route("/tutor")
@role_required(TUTOR)
def caseload():
    me = current_person()
    return page("tutoring/caseload.html", rows=queries.caseload(me.id), form=ButtonForm())


# --- Conversations: the tutor or the REC team -----------------------------------------------

def _conversation_or_404(conversation_id: int) -> PlanConversation:
    found = queries.conversation_for_staff(conversation_id, current_person()) if conversation_id <= MAX_ID else None
    if found is None:
        if conversation_id <= MAX_ID and db.session.get(PlanConversation, conversation_id) is not None:
            abort(_not_yours())
        raise NotFound()
    return found


def _not_yours():
    """A tutor opens (or sends) a conversation that is not theirs, e.g. the arrange form
    they had open when the student was given another tutor: a calm page (403) saying so,
    naming nobody, with what they had typed shown back to copy (nothing is saved)."""
    typed = []
    if _posted():
        date_typed = "/".join(request.form.get(f"day-{part}", "").strip() for part in ("day", "month", "year"))
        for label, value in (("Date", date_typed if date_typed.strip("/") else ""),
                             ("Time", request.form.get("time", "")),
                             ("Where, or how to join", request.form.get("details", ""))):
            if value.strip():
                typed.append((label, value.strip()))
    response = make_response(render_template("tutoring/not_yours.html", typed=typed), 403)
    response.headers["Cache-Control"] = "no-store"
    return response


def _back(conversation: PlanConversation) -> str:
    me = current_person()
    if conversation.tutor_id == me.id and me.has_role(TUTOR):
        return url_for("tutoring.caseload") + f"#conversation-{conversation.id}"
    return url_for("tutoring.overview") + "#rec-team"


def _may_arrange(owner: User, conversation_id: int) -> bool:
    found = db.session.get(PlanConversation, conversation_id)
    return found is not None and (found.tutor_id == owner.id or owner.has_role(ADMIN))


def _arrange_form(conversation: PlanConversation, from_request: bool = False) -> ArrangeForm:
    if from_request:
        return ArrangeForm()
    if conversation.arranged_for is not None:
        local = to_uk(conversation.arranged_for)
        return ArrangeForm(formdata=None, data={"day": local.date(), "time": local.strftime("%H:%M"),
                                                "details": conversation.arranged_details})
    return ArrangeForm(formdata=None)


@bp.route("/tutor/conversations/<int:conversation_id>/arrange", methods=["GET", "POST"])
@owner_only("plan conversation")
@keeps_typing(ArrangeForm, keep_if=_may_arrange)
@role_required(TUTOR, ADMIN)
def arrange(conversation_id: int):
    found = _conversation_or_404(conversation_id)
    if not found.is_open:
        return done(_back(found), f"This conversation is {found.status_label.lower()}, so it cannot be arranged.",
                    category="info")
    show = lambda form: page("tutoring/arrange.html", conversation=found, form=form, back=_back(found))  # noqa: E731
    if not _posted():
        return show(_arrange_form(found))
    form = _arrange_form(found, from_request=True)
    return run(
        form,
        lambda: operations.arrange_conversation(found, current_person(), when=form.when(), details=form.details.data),
        done=lambda c: done(_back(c), f"The conversation with {c.student.full_name} is arranged. "
                                      f"{c.student.display_name} has been told."),
        page=lambda: show(form),
    )


@bp.route("/tutor/conversations/<int:conversation_id>/held", methods=["POST"])
@owner_only("plan conversation")
@role_required(TUTOR, ADMIN)
def held(conversation_id: int):
    found = _conversation_or_404(conversation_id)
    return run(
        ButtonForm(),
        lambda: operations.mark_held(found, current_person()),
        done=lambda _: done(_back(found), f"The conversation with {found.student.full_name} is marked as held."),
        refused=lambda error: done(_back(found), error.message, category="error"),
    )


@bp.route("/tutor/conversations/<int:conversation_id>/cancel", methods=["POST"])
@owner_only("plan conversation")
@role_required(TUTOR, ADMIN)
def cancel(conversation_id: int):
    found = _conversation_or_404(conversation_id)
    return run(
        ButtonForm(),
        lambda: operations.cancel_by_staff(found, current_person()),
        done=lambda _: done(_back(found), f"The conversation with {found.student.full_name} is cancelled. "
                                          f"{found.student.display_name} has been told."),
        refused=lambda error: done(_back(found), error.message, category="error"),
    )


# --- The student ------------------------------------------------------------------------------

def _plan_url() -> str:
    return url_for("plans.index") + "#plan-conversations"


@bp.route("/my/plan/conversations/new", methods=["GET", "POST"])
@keeps_typing(AskForm)
@role_required(STUDENT)
def ask():
    me = current_person()
    tutorship = queries.tutorship_of(me.id)
    show = lambda form: page("tutoring/ask.html", form=form, tutorship=tutorship)  # noqa: E731
    if not _posted():
        if queries.open_conversation_of(me.id) is not None:
            return done(_plan_url(), "You have already asked for a conversation about your plan. "
                                     "It is below, with what happens next.", category="info")
        return show(AskForm(formdata=None))
    form = AskForm()
    return run(
        form,
        lambda: operations.ask_for_conversation(me, way=form.way.data, when_suits=form.when_suits.data,
                                                note=form.note.data),
        done=lambda c: done(_plan_url(), (
            f"Your request is sent to {c.tutor.full_name}, your personal tutor. They will be in touch to arrange it."
            if c.tutor else "Your request is sent to the REC team. Someone will be in touch to arrange it.")),
        page=lambda: show(form),
    )


@bp.route("/my/plan/conversations/<int:conversation_id>/cancel", methods=["POST"])
@owner_only("conversation request")
@role_required(STUDENT)
def student_cancel(conversation_id: int):
    me = current_person()
    found = db.session.get(PlanConversation, conversation_id) if conversation_id <= MAX_ID else None
    if found is None or found.student_id != me.id:
        abort(404)
    return run(
        ButtonForm(),
        lambda: operations.cancel_by_student(found, me),
        done=lambda _: done(_plan_url(), "Your conversation is cancelled. You can ask for another at any time."),
        refused=lambda error: done(_plan_url(), error.message, category="error"),
    )
