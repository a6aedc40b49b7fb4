"""The tables of the term report: one definition each, used by the page, the PDF and the
CSV downloads, so the three always show the same figures in the same words."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rec_portal.models.equality import QUESTIONS
from rec_portal.reports import queries
from rec_portal.stats import HELD_BACK, is_small, percent_text
from rec_portal.stats.terms import Term


def _share(part: int, whole: int) -> str:
    return f"{part} ({percent_text(part, whole) or '–'})"


@dataclass(frozen=True)
class Table:
    name: str  # in the CSV's address: /admin/reports/term/<name>.csv
    caption: str
    section: str  # the TermReport attribute (and queries function) it comes from
    header: tuple[str, ...]
    body: Callable  # section data -> (rows, total row or None)

    @property
    def total_caption(self) -> str:
        """The caption of the table's totals row alone (the PDF's per-course sections)."""
        return self.caption.removesuffix(" per course") + ": all courses"

    def rows(self, report: queries.TermReport) -> tuple[list[tuple], tuple | None]:
        return self.body(getattr(report, self.section))

    def build(self, term: Term) -> tuple[list[str], list[tuple]]:
        """Header and rows (total last) for the CSV: runs only this section's statements."""
        rows, total = self.body(SECTIONS[self.section](term))
        return list(self.header), [*rows, *([total] if total else [])]


def _enrolment(which: str):
    def body(e: queries.Enrolment):
        rows = e.by_relationship if which == "relationship" else e.by_referral
        return [(label, c.text) for label, c in rows], ("All students enrolled", e.total_text)
    return body


def _bookings(b: queries.Bookings):
    rows = [(r.label, r.by_self, r.by_admin, r.total) for r in b.rows]
    t = b.total
    return rows, (t.label, t.by_self, t.by_admin, t.total)


def _attendance_row(c):
    return (c.course_title, c.sessions, c.booked, c.attended, c.no_shows,
            percent_text(c.attended, c.booked), percent_text(c.no_shows, c.booked), c.not_taken)


def _attendance(a):
    return [_attendance_row(c) for c in a.courses], (_attendance_row(a.totals) if a.courses else None)


def _waiting(d: queries.Demand):
    rows = [(r.title, r.sessions, r.full, r.people.text, r.still_waiting.text, r.left.text) for r in d.rows]
    if not d.rows:
        return rows, None
    waiting = sum(r.still_waiting.value for r in d.rows)
    left = sum(r.left.value for r in d.rows)
    # Still waiting and left the list are parts of the people shown: if either total is
    # small, neither is shown, or people minus the other would give it away.
    if is_small(waiting) or is_small(left):
        waiting_text = left_text = HELD_BACK
    else:
        waiting_text, left_text = queries.total_text(waiting), queries.total_text(left)
    return rows, ("All courses", sum(r.sessions for r in d.rows), d.full, d.people_text, waiting_text, left_text)


def _fidelity_row(r):
    return (r.label, r.delivered, _share(r.all_roles, r.delivered), _share(r.with_peer, r.delivered),
            _share(r.both, r.delivered))


def _fidelity(f):
    if not f.total.delivered:
        return [], None
    return [_fidelity_row(r) for r in f.by_course], _fidelity_row(f.total)


def _feedback(rows: list[queries.FeedbackRow]):
    return [(r.title, r.sessions, r.responses_text, r.rate_text, r.rating_text) for r in rows], None


def _workshops(rows):
    return [(label, n.text) for _status, label, n in rows], (
        "All requests", queries.total_text(sum(n.value for *_, n in rows)))


def _referrals(r: queries.Referrals):
    # Enrolled and not enrolled are the parts of the received total: if either is small,
    # the enrolled total is not shown (the received total minus it would give it away).
    held = is_small(r.enrolled) or is_small(r.received - r.enrolled)
    return [(label, n.text, e.text) for label, n, e in r.rows], (
        "All referrals", queries.total_text(r.received), HELD_BACK if held else str(r.enrolled))


NONE_YET = "–"  # nothing to show yet: no such sessions so far, registers not taken, no ratings


def _summary_row(c: queries.CourseSummary) -> tuple:
    a, w, f, fb = c.attendance, c.waiting, c.fidelity, c.feedback
    return (
        c.title,
        w.sessions if w else 0,
        a.booked if a else NONE_YET,
        (percent_text(a.attended, a.booked) or NONE_YET) if a else NONE_YET,
        (percent_text(a.no_shows, a.booked) or NONE_YET) if a else NONE_YET,
        w.people.text if w else NONE_YET,
        f"{f.both} of {f.delivered}" if f else NONE_YET,
        fb.responses_text if fb else NONE_YET,
        (fb.rating_text or NONE_YET) if fb else NONE_YET,
    )


def _summary(courses: list[queries.CourseSummary]):
    return [_summary_row(c) for c in courses], None


# The first column of each equality question's table (the caption is the question).
EQUALITY_HEADINGS = {
    "age_band": "Age", "sex": "Sex", "gender_identity": "Gender same as sex registered at birth",
    "ethnicity": "Ethnic group", "disability": "Disability or long-term condition",
    "sexual_orientation": "Sexual orientation", "religion": "Religion or belief",
}


# What the equality section says for a term that has not ended (the same whatever the data).
EQUALITY_LATER = ("The equality counts of a term appear here once the term has ended. They are worked out "
                  "once then and never change, so nobody’s answers can be worked out by comparing one "
                  "report with another.")


def _equality(index: int):
    def body(e: queries.Equality):
        if not e.total:
            return [], None
        question = e.questions[index]
        return [(g.label, g.text) for g in question.rows], ("All students counted", e.total_text)
    return body


SECTIONS: dict[str, Callable] = {
    "enrolment": queries.enrolment,
    "bookings": queries.bookings,
    "attendance": queries.attendance,
    "waiting": queries.waiting_lists,
    "fidelity": queries.fidelity,
    "feedback": queries.feedback,
    "workshops": queries.workshop_requests,
    "referrals": queries.referrals,
    "equality": queries.equality_monitoring,
}

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table("enrolment-by-relationship", "Students enrolled, by relationship to services", "enrolment",
              ("Relationship to services", "Students"), _enrolment("relationship")),
        Table("enrolment-by-referral", "Students enrolled, by how they heard of the REC", "enrolment",
              ("Referral route", "Students"), _enrolment("referral")),
        Table("bookings", "Bookings made in the term, by status today and who made them", "bookings",
              ("Status today", "Booked online by the student", "Booked by the REC team", "All"), _bookings),
        Table("attendance", "Attendance and no-shows per course", "attendance",
              ("Course", "Sessions", "Booked", "Attended", "No-shows", "Attendance rate", "No-show rate",
               "Registers not taken"), _attendance),
        Table("waiting-lists", "Waiting-list demand per course", "waiting",
              ("Course", "Sessions", "Full sessions", "People who never got a place", "Still waiting",
               "Left the waiting list"), _waiting),
        Table("co-delivery", "Co-delivery per course", "fidelity",
              ("Course", "Sessions delivered", "Every role covered", "Included a peer", "Co-delivered (both)"),
              _fidelity),
        Table("feedback", "Students' feedback per course", "feedback",
              ("Course", "Completed sessions", "Responses", "Response rate", "Average rating (out of 5)"),
              _feedback),
        Table("workshop-requests", "Requests for an individual workshop, by status today", "workshops",
              ("Status today", "Requests"), _workshops),
        Table("referrals-by-organisation", "Referrals from professionals, by kind of organisation", "referrals",
              ("Kind of organisation", "Referrals received", "Led to enrolment so far"), _referrals),
        *(Table(f"equality-{name.replace('_', '-')}", f"Equality monitoring: {question}", "equality",
                (EQUALITY_HEADINGS[name], "Students"), _equality(i))
          for i, (name, question, *_rest) in enumerate(QUESTIONS)),
    )
}
EQUALITY_TABLES = [name for name, t in TABLES.items() if t.section == "equality"]

# The PDF's one table per course (the page has the four full tables above instead).
COURSE_SUMMARY = Table(
    "courses", "The key figures of each course", "courses",
    ("Course", "Group sessions in the term", "Places booked so far", "Attendance rate", "No-show rate",
     "Could not get a place", "Delivered sessions fully co-delivered", "Feedback responses",
     "Average rating (out of 5)"),
    _summary,
)
