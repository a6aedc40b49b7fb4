"""Routes of learning pathways (issue 17): admins manage them at /admin/pathways; everyone
sees the published ones at /pathways; a student downloads the certificate of a pathway
they completed. Thin: parse, call one operation, commit once, answer."""

from __future__ import annotations

from flask import abort, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from rec_portal import documents
from rec_portal.drafts import keeps_typing, owner_may
from rec_portal.extensions import db
from rec_portal.models import Course
from rec_portal.models.accounts import ADMIN, STUDENT
from rec_portal.models.courses import PUBLISHED as COURSE_PUBLISHED
from rec_portal.models.pathways import ARCHIVED, DRAFT, PUBLISHED, Pathway
from rec_portal.pathways import bp, operations, queries
from rec_portal.pathways.forms import AddCourseForm, ButtonForm, MoveForm, PathwayForm
from rec_portal.timeutil import utcnow
from rec_portal.web.access import public, role_required
from rec_portal.web.forms import done, page, run
from rec_portal.web.guards import current_person, get_or_404
from rec_portal.web.htmx import is_htmx

# --- Students and everyone -------------------------------------------------------------------


@bp.route("/pathways")
@public
def index():
    """Every published pathway with its courses; a signed-in student also sees their
    progress through each."""
    student_id = current_user.id if current_user.is_authenticated and current_user.has_role(STUDENT) else None
    return render_template("pathways/index.html", progress=queries.everyone_progress(student_id),
                           signed_in_student=student_id is not None)


@bp.route("/my/pathways/<int:pathway_id>/certificate.pdf")
@role_required(STUDENT)
def certificate(pathway_id: int):
    """The signed-in student's own certificate, only once they have completed the
    pathway; anything else (not complete, a draft, no such pathway) is "not found". The id
    names the pathway, never a person: nobody can open someone else's."""
    found = queries.certificate_for(current_person(), pathway_id, issued_on=utcnow())
    if found is None:
        abort(404)
    data = documents.render_pdf("pathway_certificate.html", title="Pathway certificate", cert=found)
    return documents.pdf_response(data, f"pathway-certificate-{found.pathway.slug}.pdf")


# --- Admins ------------------------------------------------------------------------------------

STATUS_MESSAGES = {
    PUBLISHED: "is published: students see it on the courses pages and their progress through it.",
    DRAFT: "is back to draft: students no longer see it.",
    ARCHIVED: "is archived: students no longer see it. Anyone who completed it keeps their certificate.",
}


def _get(pathway_id: int) -> Pathway:
    return get_or_404(Pathway, pathway_id, load=queries.pathway)


def _detail_url(pathway: Pathway) -> str:
    return url_for("pathways.admin_detail", pathway_id=pathway.id)


def _add_form(pathway: Pathway, form: AddCourseForm | None = None) -> AddCourseForm:
    """The "add a course" form, offering the published courses not in the pathway yet."""
    form = form or AddCourseForm(formdata=None)
    taken = {step.course_id for step in pathway.steps}
    courses = db.session.execute(
        select(Course.id, Course.title).where(Course.status == COURSE_PUBLISHED).order_by(func.lower(Course.title))
    ).all()
    form.course_id.choices = [(0, "Choose a course")] + [(cid, title) for cid, title in courses if cid not in taken]
    return form


def _detail(pathway: Pathway, *, add_form: AddCourseForm | None = None, problem: str | None = None,
            message: str | None = None, focus: str | None = None):
    """The pathway's page, or for htmx its courses section (which the page includes)."""
    return page("pathways/admin_detail.html", "pathways/_steps.html", pathway=pathway,
                add_form=_add_form(pathway, add_form), button=ButtonForm(), problem=problem,
                message=message, focus=focus, status=400 if (problem or (add_form and add_form.errors)) else None)


@bp.route("/admin/pathways")
@role_required(ADMIN)
def admin_index():
    return render_template("pathways/admin_index.html", pathways=queries.pathways())


@bp.route("/admin/pathways/new", methods=["GET", "POST"])
@keeps_typing(PathwayForm, keep_if=owner_may(ADMIN))
@role_required(ADMIN)
def admin_new():
    form = PathwayForm()
    return run(
        form,
        lambda: operations.save_pathway(None, **form.pathway_fields()),
        done=lambda pathway: done(_detail_url(pathway),
                                  f"“{pathway.title}” has been created as a draft. Add its courses, then publish it."),
        page=lambda: page("pathways/admin_form.html", form=form, pathway=None),
    )


@bp.route("/admin/pathways/<int:pathway_id>")
@role_required(ADMIN)
def admin_detail(pathway_id: int):
    return _detail(_get(pathway_id))


@bp.route("/admin/pathways/<int:pathway_id>/edit", methods=["GET", "POST"])
@keeps_typing(PathwayForm, keep_if=owner_may(ADMIN, Pathway, "pathway_id"))
@role_required(ADMIN)
def admin_edit(pathway_id: int):
    pathway = _get(pathway_id)
    form = PathwayForm() if request.method == "POST" else PathwayForm.for_pathway(pathway)
    return run(
        form,
        lambda: operations.save_pathway(pathway, **form.pathway_fields()),
        done=lambda _: done(_detail_url(pathway), "The pathway has been saved."),
        page=lambda: page("pathways/admin_form.html", form=form, pathway=pathway),
    )


def _refused(pathway_id: int):
    """A refusal: nothing was changed (rolled back); the page (or section) says why."""

    def answer(error):
        pathway = _get(pathway_id)
        if is_htmx():
            return _detail(pathway, problem=error.message)
        return done(_detail_url(pathway), error.message, category="error")

    return answer


def _changed(pathway: Pathway, message: str, focus: str | None = None):
    return lambda _: done(_detail_url(pathway), message,
                          partial=lambda: _detail(pathway, message=message, focus=focus))


@bp.route("/admin/pathways/<int:pathway_id>/courses", methods=["POST"])
@role_required(ADMIN)
def admin_add_course(pathway_id: int):
    pathway = _get(pathway_id)
    form = _add_form(pathway, AddCourseForm())
    return run(
        form,
        lambda: operations.add_course(pathway, form.course_id.data),
        done=lambda step: done(_detail_url(pathway), f"“{step.course.title}” has been added to the pathway.",
                               partial=lambda: _detail(pathway, message=f"“{step.course.title}” has been added.")),
        page=lambda: _detail(pathway, add_form=form),
        refused=_refused(pathway_id),
    )


@bp.route("/admin/pathways/<int:pathway_id>/courses/<int:course_id>/remove", methods=["POST"])
@role_required(ADMIN)
def admin_remove_course(pathway_id: int, course_id: int):
    pathway = _get(pathway_id)
    return run(
        ButtonForm(),
        lambda: operations.remove_course(pathway, course_id),
        done=lambda course: _changed(pathway, f"“{course.title}” has been taken out of the pathway.")(course),
        refused=_refused(pathway_id),
    )


@bp.route("/admin/pathways/<int:pathway_id>/courses/<int:course_id>/move", methods=["POST"])
@role_required(ADMIN)
def admin_move_course(pathway_id: int, course_id: int):
    pathway = _get(pathway_id)
    form = MoveForm()
    return run(
        form,
        lambda: operations.move_course(pathway, course_id, form.direction.data),
        done=lambda course: _changed(pathway, f"“{course.title}” has moved {form.direction.data}.",
                                     focus=f"{form.direction.data}-{course.id}")(course),
        refused=_refused(pathway_id),
    )


@bp.route("/admin/pathways/<int:pathway_id>/status/<status>", methods=["POST"])
@role_required(ADMIN)
def admin_status(pathway_id: int, status: str):
    pathway = _get(pathway_id)
    if status not in STATUS_MESSAGES:
        abort(404)
    back = _detail_url(pathway)
    return run(
        ButtonForm(),
        lambda: operations.set_status(pathway, status),
        done=lambda _: done(back, f"“{pathway.title}” {STATUS_MESSAGES[status]}"),
        refused=lambda error: done(back, error.message, category="error"),
    )
