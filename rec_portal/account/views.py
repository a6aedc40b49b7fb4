"""Views for /my/account."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from rec_portal.drafts import keeps_typing
from rec_portal.account import bp
from rec_portal.account import operations as settings
from rec_portal.account.forms import (
    AboutYouForm,
    CalendarForm,
    ChangePasswordForm,
    DetailsForm,
    SupportForm,
)
from rec_portal.auth import operations
from rec_portal.web.access import login_required
from rec_portal.web.ratelimit import limit
from rec_portal.errors import DomainError
from rec_portal.extensions import db
from rec_portal.models.students import PROFILE_FIELDS
from rec_portal.web.forms import add_error


@bp.route("")
@login_required
def index():
    from rec_portal.notifications.outbox import undelivered_since

    return render_template("account/index.html", user=current_user,
                           undelivered=undelivered_since(current_user))


@bp.route("/details", methods=["GET", "POST"])
@keeps_typing(DetailsForm)
@login_required
@limit("REC_LIMIT_ACCOUNT_CHANGES")
def details():
    user = current_user._get_current_object()
    form = DetailsForm(obj=user if request.method in ("GET", "HEAD") else None)
    if form.validate_on_submit():
        try:
            changed = operations.update_details(
                user,
                full_name=form.full_name.data,
                preferred_name=form.preferred_name.data,
                email=form.email.data,
                current_password=form.current_password.data or "",
            )
        except DomainError as error:
            db.session.rollback()
            add_error(form, error.field, error.message)
        else:
            db.session.commit()
            flash("Your details have been saved." if changed else "Nothing was changed.", "success")
            return redirect(url_for("account.index"))
    return render_template("account/details.html", form=form), (400 if form.errors else 200)


@bp.route("/password", methods=["GET", "POST"])
@login_required
@limit("REC_LIMIT_ACCOUNT_CHANGES")
def password():
    user = current_user._get_current_object()
    form = ChangePasswordForm(account_email=user.email)
    if form.validate_on_submit():
        try:
            operations.change_password(user, form.current_password.data, form.password.data)
        except DomainError as error:
            db.session.rollback()
            add_error(form, error.field, error.message)
        else:
            db.session.commit()
            flash("Your password has been changed. Any other devices have been signed out.", "success")
            return redirect(url_for("account.index"))
    return render_template("account/password.html", form=form), (400 if form.errors else 200)


@bp.route("/calendar", methods=["GET", "POST"])
@login_required
def calendar():
    user = current_user._get_current_object()
    form = CalendarForm(data={"show_course_titles": "yes" if user.show_course_titles else "no"})
    if request.method == "POST":
        form = CalendarForm()
        if form.validate_on_submit():
            action = request.form.get("action")
            if action == "new-link":
                settings.new_calendar_link(user)
                message = "Your new calendar link is ready. Any old link has stopped working."
            elif action == "stop-link":
                settings.stop_calendar_link(user)
                message = "Your calendar link has stopped working."
            else:
                settings.set_show_course_titles(user, form.show_course_titles.data == "yes")
                message = "Saved."
            db.session.commit()
            flash(message, "success")
            return redirect(url_for("account.calendar"))
    feed_url = (
        current_app.config["REC_BASE_URL"] + url_for("bookings.calendar_feed", token=user.calendar_token)
        if user.calendar_token else None
    )
    return render_template("account/calendar.html", form=form, feed_url=feed_url), (
        400 if form.errors else 200
    )


def _profile_data(user) -> dict:
    profile = user.profile
    return {name: getattr(profile, name) if profile else "" for name in PROFILE_FIELDS}


@bp.route("/support", methods=["GET", "POST"])
@keeps_typing(SupportForm)
@login_required
@limit("REC_LIMIT_ACCOUNT_CHANGES")
def support():
    """Phone, how to contact them, what would help them take part."""
    user = current_user._get_current_object()
    data = _profile_data(user)
    data["contact_preference"] = data["contact_preference"] or "email"
    form = SupportForm(data=data) if request.method in ("GET", "HEAD") else SupportForm()
    if form.validate_on_submit():
        settings.update_support_details(
            user, phone=form.phone.data, access_needs=form.access_needs.data,
            contact_preference=form.contact_preference.data,
        )
        db.session.commit()
        flash("Your contact and support details have been saved.", "success")
        return redirect(url_for("account.index"))
    return render_template("account/support.html", form=form), (400 if form.errors else 200)


@bp.route("/about", methods=["GET", "POST"])
@keeps_typing(AboutYouForm)
@login_required
@limit("REC_LIMIT_ACCOUNT_CHANGES")
def about():
    """Pronouns, relationship to services, team, how they heard about the REC."""
    user = current_user._get_current_object()
    form = AboutYouForm(data=_profile_data(user)) if request.method in ("GET", "HEAD") else AboutYouForm()
    if form.validate_on_submit():
        settings.update_profile(
            user, **{name: form[name].data or "" for name in
                     ("pronouns", "relationship_to_services", "team", "referral_source", "referral_detail")}
        )
        db.session.commit()
        flash("Your details have been saved.", "success")
        return redirect(url_for("account.index"))
    return render_template("account/about.html", form=form), (400 if form.errors else 200)
