"""``/``: the public front page signed out; signed in, a section for each role held."""

from __future__ import annotations

from flask import render_template, url_for
from flask_login import current_user

from rec_portal.extensions import db
from rec_portal.home import bp, operations, queries
from rec_portal.models.accounts import ADMIN, FACILITATOR, STUDENT, SUPPORT_LEAD, TUTOR
from rec_portal.web.access import public, role_required
from rec_portal.web.guards import current_person
from rec_portal.web.forms import done


@bp.route("/")
@public
def index():
    if not current_user.is_authenticated:
        return render_template("home/front.html")
    me = current_person()
    return render_template(
        "home/index.html",
        me=me,
        student=queries.student_home(me) if me.has_role(STUDENT) else None,
        facilitator=queries.facilitator_home(me) if me.has_role(FACILITATOR) else None,
        todo=queries.admin_todo() if me.has_role(ADMIN) else None,
        support_requests=queries.support_requests_new() if me.has_role(SUPPORT_LEAD) else None,
        tutor=me.has_role(TUTOR),
        register_days=queries.REGISTER_DAYS,
    )


@bp.route("/my/optional-questions/not-now", methods=["POST"])
@role_required(STUDENT)
def not_now():
    """'Not now' on the home page's optional questions: they are not offered there again
    (they stay in My account)."""
    operations.not_now(current_person())
    db.session.commit()
    return done(url_for("home.index"), "We will not ask again here. You can answer the optional questions "
                "at any time from My account.", category="info")
