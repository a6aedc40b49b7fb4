"""Routes of equality monitoring (issue 17), thin: the person's own optional answers under
/my/account/equality (no id in any URL: a person only ever reaches their own), the offer
straight after enrolment, and removing them. Staff see counts in the term report only."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from rec_portal.equality import bp, operations, queries
from rec_portal.equality.forms import ConfirmForm, EqualityForm
from rec_portal.models.accounts import STUDENT
from rec_portal.models.equality import FIELDS
from rec_portal.web.access import role_required
from rec_portal.web.forms import add_error, done, page, run
from rec_portal.web.guards import current_person

SAVED = "Thank you. Your answers are saved. You can change or remove them at any time."
NOTHING = "You did not choose any answers, so nothing is kept. That is fine."
# After answering (or not) the equality questions: the home page and its next step.
NEXT_AFTER_ENROLMENT = "home.index"


def _saved_form(me) -> EqualityForm:
    """The form showing the person's saved answers (not what was posted)."""
    row = queries.answers_of(me)
    return EqualityForm(formdata=MultiDict({n: getattr(row, n) for n in FIELDS if row and getattr(row, n)}))


def _answers() -> dict[str, str | None]:
    return {name: request.form.get(name) for name in FIELDS}


def _refused(form, show):
    def refused(error):
        for name, message in getattr(error, "errors", {error.field: error.message}).items():
            add_error(form, name, message)
        return show()
    return refused


@bp.route("/my/account/equality", methods=["GET", "POST"])
@role_required(STUDENT)
def index():
    me = current_person()
    if request.method != "POST":
        return page("equality/index.html", "equality/_form.html", form=_saved_form(me),
                    answered=queries.answers_of(me) is not None)
    form = EqualityForm()
    show = lambda: page("equality/index.html", "equality/_form.html", form=form,  # noqa: E731
                        answered=queries.answers_of(me) is not None)
    return run(
        form,
        lambda: operations.save_answers(me, _answers()),
        done=lambda row: done(
            url_for("equality.index"), SAVED if row else NOTHING, category="success" if row else "info",
            partial=lambda: render_template("equality/_form.html", form=_saved_form(me), answered=row is not None,
                                            saved=SAVED if row else NOTHING),
        ),
        page=show,
        refused=_refused(form, show),
    )


@bp.route("/my/account/equality/welcome", methods=["GET", "POST"])
@role_required(STUDENT)
def welcome():
    """Offered straight after enrolment: answer, or skip to the next step. Nothing is
    needed to carry on."""
    me = current_person()
    if request.method != "POST":
        if queries.answers_of(me) is not None:
            return redirect(url_for("equality.index"))
        return page("equality/welcome.html", form=EqualityForm(formdata=None))
    form = EqualityForm()
    show = lambda: page("equality/welcome.html", form=form)  # noqa: E731
    return run(
        form,
        lambda: operations.save_answers(me, _answers()),
        done=lambda row: done(url_for(NEXT_AFTER_ENROLMENT), SAVED if row else NOTHING,
                              category="success" if row else "info"),
        page=show,
        refused=_refused(form, show),
    )


@bp.route("/my/account/equality/remove", methods=["GET", "POST"])
@role_required(STUDENT)
def remove():
    """Confirm, then delete every answer (the whole row)."""
    me = current_person()
    if request.method == "POST":
        return run(
            ConfirmForm(),
            lambda: operations.remove_answers(me),
            done=lambda removed: done(
                url_for("equality.index"),
                "Your answers are removed. Nothing you answered is kept." if removed
                else "You have no answers to remove.",
                category="success" if removed else "info",
            ),
        )
    if queries.answers_of(me) is None:
        return done(url_for("equality.index"), "You have no answers to remove.", category="info")
    return render_template("equality/remove.html")
