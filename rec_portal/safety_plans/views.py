"""Views for /my/safety-plan (thin: parse, call one operation, commit, render or redirect).

Only the signed-in person ever reaches their own plan: no route takes a user id, so
there is nothing for anyone else to address. Anything else (another person's trusted
person, a service not in the plan, an unknown section) is "not found". Nothing here
writes an audit row or a log line about the plan.

Without JavaScript every change is a POST and a redirect back to the part of the page it
came from (``?saved=`` / ``?people=`` / ``?services=`` say what happened, with no content
in the URL or the session cookie). With htmx, sections save as the person types and the
lists update in place.
"""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for

from rec_portal import documents
from rec_portal.drafts import login_required_keeping, take_drafts, text_fields
from rec_portal.extensions import db
from rec_portal.ids import parse_id
from rec_portal.models.safety import SECTIONS
from rec_portal.safety_plans import bp, operations, queries
from rec_portal.safety_plans.forms import PERSON_FIELDS, PersonForm, PlanForm
from rec_portal.security import safe_next
from rec_portal.timeutil import utcnow
from rec_portal.web.access import login_required, owner_only
from rec_portal.web.forms import add_error, done, page, run
from rec_portal.web.guards import current_person, get_service_or_404

DRAFTS = "safety_plan"  # the name text is kept under when a session expires
# Each field's own maximum length, in characters (a draft longer than this is not kept:
# the person is shown it to copy instead).
LIMITS = {
    **{name: operations.SECTION_MAX for name in SECTIONS},
    "person_name": operations.NAME_MAX,
    "person_relationship": operations.RELATIONSHIP_MAX,
    "person_phone": operations.PHONE_MAX,
}
LABELS = {**text_fields(PlanForm), **text_fields(PersonForm)}
NOTICES = {
    "people": {"added": "The person has been added.", "removed": "The person has been removed."},
    "services": {"removed": "The service has been taken out of your plan."},
}
SAVE_STATUS = "safety_plans/_save_status.html"


def _plan_form(plan, posted: dict | None = None) -> PlanForm:
    """The five sections as stored, with any ``posted`` text on top (kept on errors)."""
    data = {name: getattr(plan, name) if plan else "" for name in SECTIONS}
    data.update(posted or {})
    return PlanForm(formdata=None, data=data)


def _page(partial: str | None = None, *, form: PlanForm | None = None,
          person_form: PersonForm | None = None, **context):
    """The whole page (or for htmx ``partial``, which it includes); 400 when a form shows
    errors."""
    user = current_person()
    return page(
        "safety_plans/index.html",
        partial,
        form=form or _plan_form(queries.plan_of(user)),
        person_form=person_form or PersonForm(formdata=None),
        people=queries.trusted_people(user),
        services=queries.chosen_services(user),
        sections=SECTIONS,
        **context,
    )


def _people(**context) -> str:
    return render_template(
        "safety_plans/_people.html",
        people=queries.trusted_people(current_person()),
        person_form=PersonForm(formdata=None),
        **context,
    )


def _section_url(name: str, **args) -> str:
    return url_for(".index", **args) + f"#section-{name}"


@bp.route("/safety-plan")
@login_required
def index():
    user = current_person()
    drafts = take_drafts(user, DRAFTS)
    if not drafts:
        notices = {
            "saved": request.args.get("saved") if request.args.get("saved") in SECTIONS else None,
            "people_notice": NOTICES["people"].get(request.args.get("people", "")),
            "services_notice": NOTICES["services"].get(request.args.get("services", "")),
        }
        return _page(**notices)
    # Text typed before the session expired: save it, and show anything that breaks a
    # rule (too long) in its field with the problem, so nothing is lost.
    outcome = operations.apply_drafts(user, drafts)
    db.session.commit()
    form = _plan_form(queries.plan_of(user), outcome.sections)
    form.validate_sections(outcome.sections)
    person_form = PersonForm(formdata=None)
    if outcome.person:
        person_form = PersonForm(
            formdata=None, data={f"person_{key}": value for key, value in outcome.person.items()}
        )
        person_form.validate()
    returned = outcome.applied or bool(outcome.sections) or outcome.person is not None
    # What was saved is saved: the problems shown are the kept text's, not this request's.
    return _page(form=form, person_form=person_form, drafts_returned=returned, status=200)


@bp.route("/safety-plan", methods=["POST"])
@login_required_keeping(DRAFTS, tuple(SECTIONS), limits=LIMITS, labels=LABELS)
def save():
    """The whole form (every Save button): all five sections at once. With htmx the
    answer goes into the status region of the section whose button was pressed (the page
    stays, and nothing is added to the browser's history)."""
    form = PlanForm()
    section = request.form.get("save")
    section = section if section in SECTIONS else "reporting"

    def problems():
        # htmx: every section's own problem is also shown by its autosave and character count.
        error = next((field.errors[0] for field in form if field.errors), "Your plan could not be saved. Try again.")
        return _page(SAVE_STATUS, form=form, error=error)

    if not form.validate_sections():  # every section's problem at once
        return problems()
    return run(
        form,
        lambda: operations.save_sections(current_person(), form.values()),
        done=lambda _: done(_section_url(section, saved=section), partial=lambda: render_template(
            SAVE_STATUS, saved_at=utcnow(), whole_plan=True)),
        page=problems,
    )


@bp.route("/safety-plan/sections/<name>", methods=["GET", "POST"])
@login_required_keeping(DRAFTS, tuple(SECTIONS), limits=LIMITS, labels=LABELS)
def save_section(name: str):
    """Autosave of one section (htmx posts just that textarea)."""
    if name not in SECTIONS:
        abort(404)
    if request.method in ("GET", "HEAD"):  # e.g. after signing in again
        return redirect(_section_url(name))
    form = PlanForm()

    def problem(message: str):
        # Without JavaScript: the plan as stored, with this section's text and its problem.
        shown = _plan_form(queries.plan_of(current_person()), {name: form[name].data})
        add_error(shown, name, message)
        return _page(SAVE_STATUS, form=shown, error=message)

    if not form.validate_sections([name]):
        return problem(form[name].errors[0])
    return run(
        form,
        lambda: operations.save_sections(current_person(), form.values([name])),
        done=lambda _: done(_section_url(name, saved=name), partial=lambda: render_template(
            SAVE_STATUS, saved_at=utcnow())),
        refused=lambda error: problem(error.message),
    )


@bp.route("/safety-plan/people", methods=["GET", "POST"])
@login_required_keeping(DRAFTS, PERSON_FIELDS, limits=LIMITS, labels=LABELS)
def add_person():
    if request.method in ("GET", "HEAD"):
        return redirect(url_for(".index") + "#trusted-people")
    form = PersonForm()

    def refused(error):
        add_error(form, f"person_{error.field}", error.message)
        return _page("safety_plans/_people.html", person_form=form)

    return run(
        form,
        lambda: operations.add_trusted_person(
            current_person(), form.person_name.data, form.person_relationship.data, form.person_phone.data
        ),
        done=lambda person: done(url_for(".index", people="added") + "#trusted-people",
                                 partial=lambda: _people(people_notice=f"{person.name} has been added.")),
        page=lambda: _page("safety_plans/_people.html", person_form=form),
        refused=refused,
    )


@bp.route("/safety-plan/people/<int:person_id>/remove", methods=["GET", "POST"])
@owner_only("trusted person")
@login_required
def remove_person(person_id: int):
    person = queries.person_of(current_person(), person_id)
    if person is None:
        abort(404)
    if request.method in ("GET", "HEAD"):
        return redirect(url_for(".index") + "#trusted-people")
    name = person.name
    operations.remove_trusted_person(person)
    db.session.commit()
    return done(url_for(".index", people="removed") + "#trusted-people",
                partial=lambda: _people(people_notice=f"{name} has been removed."))


@bp.route("/safety-plan/services", methods=["POST"])
@login_required
def add_service():
    """"Add to my safety plan" from the support guide."""
    service = get_service_or_404(parse_id(request.form.get("service_id")) or 0)
    if service.retired_at is not None:
        abort(404)
    operations.add_service(current_person(), service)
    db.session.commit()
    back = safe_next(request.form.get("next"), default=url_for("support.index"))
    return done(back, partial=lambda: render_template(
        "safety_plans/_service_button.html", service=service, in_plan=True, back=back))


@bp.route("/safety-plan/services/<int:service_id>/remove", methods=["GET", "POST"])
@login_required
def remove_service(service_id: int):
    service = get_service_or_404(service_id)
    if service_id not in queries.chosen_service_ids(current_person()):
        abort(404)
    if request.method in ("GET", "HEAD"):
        return redirect(url_for(".index") + "#services")
    operations.remove_service(current_person(), service_id)
    db.session.commit()
    return done(url_for(".index", services="removed") + "#services", partial=lambda: render_template(
        "safety_plans/_services.html", services=queries.chosen_services(current_person()),
        services_notice=f"{service.name} has been taken out of your plan."))


@bp.route("/safety-plan.pdf")
@login_required
def pdf():
    user = current_person()
    data = documents.render_pdf(
        "safety_plan.html",
        title="My safety plan",
        plan=queries.plan_of(user),
        sections=SECTIONS,
        people=queries.trusted_people(user),
        services=queries.chosen_services(user),
        made_on=utcnow(),
    )
    return documents.pdf_response(data, "my-safety-plan.pdf")
