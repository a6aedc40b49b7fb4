"""Views for certificates and attendance reports (thin)."""

from __future__ import annotations

from flask import (
    Response,
    abort,
    current_app,
    make_response,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from rec_portal import audit, documents
from rec_portal.attendance import bp
from rec_portal.attendance.certificates import certificate_for
from rec_portal.attendance.forms import AttendanceReportForm, FacilitatorHoursForm
from rec_portal.attendance.queries import attendance_report, facilitator_hours
from rec_portal.web.access import owner_only, role_required
from rec_portal.web.guards import current_person, get_booking_or_404
from rec_portal.csvsafe import to_csv
from rec_portal.extensions import db
from rec_portal.models.accounts import ADMIN, STUDENT
from rec_portal.stats import as_percent, decimal_text
from rec_portal.timeutil import format_uk, uk_today, utcnow

# --- Certificate of attendance (students) ------------------------------------------------------


@bp.route("/my/courses/<int:booking_id>/certificate.pdf")
@owner_only("booking")
@role_required(STUDENT)
def certificate(booking_id: int):
    """Only the booking's own student, only for a confirmed place on a session that is
    over (completed or ended), and only if they were marked present at least once;
    anything else is "not found" (staff included: this is the student's route)."""
    booking = get_booking_or_404(booking_id, for_user=current_person())
    found = certificate_for(booking, issued_on=utcnow())
    if found is None:
        abort(404)
    data = documents.render_pdf("certificate.html", title="Certificate of attendance", cert=found)
    return documents.pdf_response(data, f"certificate-of-attendance-{booking.session.course.slug}.pdf")


@bp.route("/admin/bookings/<int:booking_id>/certificate.pdf")
@role_required(ADMIN)
def certificate_for_staff(booking_id: int):
    """The same certificate, printed by staff for the student (someone without an online
    account cannot download it themselves). The same rules: "not found" if there is none."""
    booking = get_booking_or_404(booking_id)
    found = certificate_for(booking, issued_on=utcnow())
    if found is None:
        abort(404)
    audit.record(audit.EXPORTED, actor=current_user, subject=booking.student,
                 detail=f"certificate for booking {booking.id}")
    db.session.commit()
    data = documents.render_pdf("certificate.html", title="Certificate of attendance", cert=found)
    return documents.pdf_response(data, f"certificate-of-attendance-{booking.session.course.slug}.pdf")


# --- Reports (admins) -----------------------------------------------------------------------------


def _csv(filename: str, header: list[str], rows, what: str) -> Response:
    audit.record(audit.EXPORTED, actor=current_user, detail=what)
    db.session.commit()
    return Response(
        to_csv(header, rows), mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


@bp.route("/admin/reports")
@role_required(ADMIN)
def reports():
    # The co-delivery fidelity report belongs to the rosters feature; listed here too.
    fidelity = "rosters.fidelity" in current_app.view_functions
    return render_template(
        "attendance/reports.html", fidelity_url=url_for("rosters.fidelity") if fidelity else None
    )


def _attendance_form() -> AttendanceReportForm:
    form = AttendanceReportForm(formdata=request.args, today=uk_today())
    form.check()
    return form


@bp.route("/admin/reports/attendance")
@role_required(ADMIN)
def attendance():
    form = _attendance_form()
    if form.errors:
        return make_response(render_template("attendance/attendance_report.html", form=form, report=None), 400)
    report = attendance_report(form.start_day, form.end_day)
    return render_template("attendance/attendance_report.html", form=form, report=report)


def _period(form: AttendanceReportForm) -> str:
    return f"{form.start_day:%Y-%m-%d}-to-{form.end_day:%Y-%m-%d}"


@bp.route("/admin/reports/attendance/courses.csv")
@role_required(ADMIN)
def attendance_courses_csv():
    form = _attendance_form()
    if form.errors:
        abort(400)
    report = attendance_report(form.start_day, form.end_day)
    rows = [
        (c.course_title, c.sessions, c.booked, c.attended, c.no_shows, as_percent(c.rate), c.not_taken)
        for c in [*report.courses, report.totals]
    ]
    return _csv(
        f"attendance-by-course-{_period(form)}.csv",
        ["Course", "Sessions", "Booked", "Attended", "No-shows", "Attendance rate", "Registers not taken"],
        rows, f"attendance report by course CSV ({_period(form)})",
    )


@bp.route("/admin/reports/attendance/sessions.csv")
@role_required(ADMIN)
def attendance_sessions_csv():
    form = _attendance_form()
    if form.errors:
        abort(400)
    report = attendance_report(form.start_day, form.end_day)
    # A session whose registers are not taken has no attended, no-shows or rate yet.
    rows = [
        (s.course_title, format_uk(s.starts_at), s.dates, s.dates_recorded, s.booked,
         s.attended if s.counted else "", s.no_shows if s.counted else "", as_percent(s.rate),
         "" if s.counted else "Yes")
        for s in report.sessions
    ]
    return _csv(
        f"attendance-by-session-{_period(form)}.csv",
        ["Course", "Starts", "Dates", "Dates with a register", "Booked", "Attended", "No-shows",
         "Attendance rate", "Registers not taken"],
        rows, f"attendance report by session CSV ({_period(form)})",
    )


def _hours_form() -> FacilitatorHoursForm:
    form = FacilitatorHoursForm(formdata=request.args, today=uk_today())
    form.validate()
    return form


@bp.route("/admin/reports/facilitator-hours")
@role_required(ADMIN)
def facilitator_hours_report():
    form = _hours_form()
    if form.errors:
        return make_response(
            render_template("attendance/facilitator_hours.html", form=form, term=None, rows=None), 400
        )
    term = form.chosen()
    rows = facilitator_hours(term)
    return render_template(
        "attendance/facilitator_hours.html", form=form, term=term, rows=rows,
        total=sum(r.hours for r in rows), hours_text=decimal_text,
    )


@bp.route("/admin/reports/facilitator-hours.csv")
@role_required(ADMIN)
def facilitator_hours_csv():
    form = _hours_form()
    if form.errors:
        abort(400)
    term = form.chosen()
    rows = [
        (r.name, r.organisation, r.sessions, r.dates, decimal_text(r.hours))
        for r in facilitator_hours(term)
    ]
    return _csv(
        f"facilitator-hours-{term.key}.csv",
        ["Facilitator", "Organisation", "Sessions", "Dates", "Hours"],
        rows, f"facilitator hours CSV ({term.key})",
    )
