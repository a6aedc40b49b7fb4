"""Issue 14, item 6: every form that takes free text keeps it across a timeout, and the
person gets it back. For every route of the inventory in test_drafts_everywhere.py (the
app's own POST rules with a free-text form), a person with the right role and a real
object the form belongs to signs in, lets the session time out, sends the form with a
distinctive text in each free-text field (most in non-Latin scripts), signs in again and
follows where the portal sends them: the text must be back in that form's field on the
page they land on. A draft kept where no page shows it waits unseen and expires: lost."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from wtforms.fields import FieldList, FormField

from rec_portal.drafts import field_limits, text_fields
from rec_portal.extensions import db
from rec_portal.models import SavedDraft
from tests import factories
from tests.conftest import Browserless, csrf_from
from tests.conftest import time_out_sessions as _timed_out
from tests.drafts import EXCLUDED, free_text_post_routes

# Distinctive text per field: mostly non-Latin scripts, and one Latin with markup-like text.
SCRIPTS = (
    "میں محفوظ محسوس کرتا ہوں",  # Urdu
    "我想慢慢来，一步一步",  # Chinese
    "Σήμερα νιώθω καλύτερα",  # Greek
    "मुझे शांत जगह चाहिए",  # Hindi
    "Мне помогает прогулка",  # Russian
    "أحتاج إلى استراحة قصيرة",  # Arabic
    "ছোট ছোট পদক্ষেপ",  # Bengali
    "Walk <b>slowly</b> & breathe",
)


@dataclass
class Case:
    roles: tuple[str, ...]
    setup: Callable[[object], dict]  # (signer) -> {"url": ..., "extra": {...}, "fields": [...]}
    form: type | None = None  # the WTForms form (its free-text fields are typed in)
    fields: tuple[str, ...] = ()  # or the fields, for forms named by login_required_keeping
    extra: dict = field(default_factory=dict)


# --- Set-up of the object each form belongs to (inside an app context) ----------------------

def _course(**kw):
    return factories.make_course(**kw)


def _review():
    from tests.factories import make_comments, make_session_delivered
    from tests.factories import make_feedback_question as make_question

    from rec_portal.content_reviews import operations as ops
    from rec_portal.timeutil import uk_today

    course = _course()
    session = make_session_delivered(course)
    answer = make_comments(course, ["More breaks, please"], session=session, question=make_question())[0]
    review = ops.start_review(course, held_on=uk_today(), participants="Sam, REC manager", by=None)
    ops.consider(review, course, [answer.id], [], by=None)
    db.session.flush()
    return review


def _question():
    return factories.make_feedback_question("What would you change?", position=10)


def _service():
    return factories.make_support_service("Victim Support", description="About it.", phone="0808 168 9111",
                                          website="https://www.example.org", opening_hours="24 hours",
                                          area="England")


def _workshop_request():
    from rec_portal.workshops import operations as ops

    student = factories.make_user()
    return ops.request_workshop(student, _course(), contact_method="email")


def _attended(me):
    """A completed session ``me`` (student) attended, a facilitator on its roster, questions."""
    from tests.factories import add_to_roster as roster
    from tests.factories import make_booking as book
    from tests.factories import make_past_session as past_session
    from tests.factories import mark_attendance as mark
    from tests.factories import make_feedback_questions as make_questions

    from rec_portal.feedback.operations import invite_for_session

    session = past_session("Staying Safe", slug=f"staying-safe-{me.id}")
    session.completed_at = session.ends_at + timedelta(minutes=20)
    student = me if me.has_role("student") and not me.has_role("facilitator") else factories.make_user()
    booking = book(session, student)
    mark(booking, session, ["present"])
    facilitator = me if me.has_role("facilitator") else factories.make_user(roles=("facilitator",))
    roster(session, facilitator, "peer_specialist")
    q = make_questions(session.course_id)
    invite_for_session(session)
    return session, booking, q


def _feedback(me):
    _session, booking, q = _attended(me)
    return {"url": f"/my/courses/{booking.id}/feedback", "fields": [f"q-{q['helpful']}", f"q-{q['change']}"]}


def _reflection(me):
    session, _booking, q = _attended(me)
    return {"url": f"/facilitate/sessions/{session.id}/reflection",
            "fields": [f"q-{q['worked']}", f"q-{q['venue']}"]}


def _goal(me):
    from rec_portal.plans import operations as plan_ops

    goal = plan_ops.add_goal(me, text="Walk to the park", steps="Shoes on", target_date=None)
    db.session.flush()
    return {"url": f"/my/plan/goals/{goal.id}/edit", "page": "/my/plan"}


def _workshop_note(me):
    found = _workshop_request()
    return {"url": f"/admin/workshops/{found.id}/notes", "page": f"/admin/workshops/{found.id}"}


def _referral_outcome(me):
    found = factories.make_referral()
    return {"url": f"/admin/referrals/{found.id}/outcome", "page": f"/admin/referrals/{found.id}"}


def _own_profile(me):
    factories.make_facilitator_profile(me, "peer_specialist", organisation="Peer Forum")
    return {"url": "/facilitate/profile"}


def _person_without_account(me):
    person = factories.make_person_without_account(added_by=me)
    return {"url": f"/admin/people/{person.id}/contact"}


def _class(me, *, as_facilitator: bool):
    """An upcoming session with someone booked (``me`` on its roster, if a facilitator)."""
    session = factories.make_session()
    factories.make_booking(session, factories.make_user())
    if as_facilitator:
        factories.add_to_roster(session, me)
        return {"url": f"/facilitate/sessions/{session.id}/message"}
    return {"url": f"/admin/courses/sessions/{session.id}/message"}


def _support_note(me):
    found = factories.make_support_request(factories.make_user())
    db.session.flush()
    return {"url": f"/support-requests/{found.id}/notes", "page": f"/support-requests/{found.id}"}


def _concern(me):
    session = factories.make_session()
    factories.make_booking(session, factories.make_user())
    factories.add_to_roster(session, me)
    # Sent from the reflection page (htmx) or its own page; given back on its own page.
    return {"url": f"/facilitate/sessions/{session.id}/concerns",
            "page": f"/facilitate/sessions/{session.id}/reflection"}
def _tutored(me):
    student = factories.make_tutored_student(me)
    factories.make_goal(student, "Take the bus on my own")
    return {"url": f"/tutor/students/{student.id}/plan/reviews"}


def _conversation_to_arrange(me):
    conversation = factories.make_plan_conversation(factories.make_tutored_student(me), me)
    return {"url": f"/tutor/conversations/{conversation.id}/arrange"}


def _case_forms():
    from rec_portal.account.forms import AboutYouForm, DetailsForm, SupportForm
    from rec_portal.admin.forms import AddPersonForm, ContactDetailsForm
    from rec_portal.class_messages.forms import MessageForm
    from rec_portal.content_reviews import forms as review_forms
    from rec_portal.scheduling.forms import CopySessionForm, CourseForm, SessionForm
    from rec_portal.facilitation.forms import BioForm, UnavailableForm
    from rec_portal.feedback.bank_forms import QuestionForm
    from rec_portal.plans.forms import EditGoalForm, GoalForm, OwnWordsForm, ReviewForm as PlanReviewForm
    from rec_portal.rosters.forms import ProfileForm
    from rec_portal.safety_plans.forms import PERSON_FIELDS
    from rec_portal.models.safety import SECTIONS
    from rec_portal.support.forms import ServiceForm
    from rec_portal.workshops import forms as workshop_forms
    from rec_portal.support_requests import forms as support_forms
    from rec_portal.referrals import forms as referral_forms
    from rec_portal.plans.forms import TutorReviewForm
    from rec_portal.tutoring import forms as tutoring_forms
    from rec_portal.pathways.forms import PathwayForm

    def at(url, page=None):
        return lambda me: {"url": url, "page": page or url}

    admin, student, facilitator = ("admin",), ("student",), ("facilitator",)
    return {
        "account.about": Case(student, at("/my/account/about"), AboutYouForm),
        "account.details": Case(student, at("/my/account/details"), DetailsForm),
        "account.support": Case(student, at("/my/account/support"), SupportForm),
        "admin.person_new": Case(admin, at("/admin/people/new"), AddPersonForm),
        "admin.person_contact": Case(admin, _person_without_account, ContactDetailsForm),
        "class_messages.admin_message": Case(
            admin, lambda me: _class(me, as_facilitator=False), MessageForm),
        "class_messages.facilitator_message": Case(
            facilitator, lambda me: _class(me, as_facilitator=True), MessageForm),
        "content_reviews.start": Case(
            admin, lambda me: {"url": f"/admin/feedback/courses/{_course().id}/reviews/new"},
            review_forms.ReviewForm),
        "content_reviews.edit": Case(
            admin, lambda me: {"url": f"/admin/feedback/reviews/{_review().id}/edit"}, review_forms.EditReviewForm),
        "content_reviews.note": Case(
            admin, lambda me: (lambda r: {"url": f"/admin/feedback/reviews/{r.id}/items/{r.items[0].id}/note"})(
                _review()), review_forms.NoteForm),
        "content_reviews.add_action": Case(
            admin, lambda me: {"url": f"/admin/feedback/reviews/{_review().id}/actions/new"},
            review_forms.ActionForm),
        "content_reviews.summary": Case(
            admin, lambda me: {"url": f"/admin/feedback/reviews/{_review().id}/summary"}, review_forms.SummaryForm),
        "scheduling.new": Case(admin, at("/admin/courses/new"), CourseForm),
        "scheduling.edit": Case(admin, lambda me: {"url": f"/admin/courses/{_course().id}/edit"}, CourseForm),
        "scheduling.new_session": Case(
            admin, lambda me: {"url": f"/admin/courses/{_course().id}/sessions/new"}, SessionForm),
        "scheduling.edit_session": Case(
            admin, lambda me: {"url": f"/admin/courses/sessions/{factories.make_session().id}/edit"}, SessionForm),
        "scheduling.copy_session": Case(
            admin, lambda me: {"url": f"/admin/courses/sessions/{factories.make_session().id}/copy"},
            CopySessionForm),
        "facilitation.availability": Case(facilitator, at("/facilitate/availability"), UnavailableForm),
        "facilitation.profile": Case(facilitator, _own_profile, BioForm),
        "feedback.bank_new": Case(admin, at("/admin/feedback/questions/new"), QuestionForm),
        "feedback.bank_edit": Case(
            admin, lambda me: {"url": f"/admin/feedback/questions/{_question().id}/edit"}, QuestionForm),
        "feedback.bank_replace": Case(
            admin, lambda me: {"url": f"/admin/feedback/questions/{_question().id}/replace"}, QuestionForm),
        "feedback.give": Case(student, _feedback),
        "feedback.reflection": Case(facilitator, _reflection),
        "outcomes.answer": Case(student, at("/my/outcomes/baseline"), fields=("times",),
                                extra={"victim": "yes"}),
        "pathways.admin_new": Case(admin, at("/admin/pathways/new"), PathwayForm, extra={"rule": "in_order"}),
        "pathways.admin_edit": Case(
            admin, lambda me: {"url": f"/admin/pathways/{factories.make_pathway().id}/edit"}, PathwayForm,
            extra={"rule": "in_order"}),
        "plans.add_review": Case(
            admin, lambda me: {"url": f"/admin/students/{factories.make_user().id}/plan/reviews"}, PlanReviewForm),
        "plans.edit_goal": Case(student, _goal, EditGoalForm),
        "plans.tutor_review": Case(("tutor",), _tutored, TutorReviewForm),
        "tutoring.arrange": Case(("tutor",), _conversation_to_arrange, tutoring_forms.ArrangeForm),
        "tutoring.ask": Case(student, at("/my/plan/conversations/new"), tutoring_forms.AskForm,
                             extra={"way": "phone"}),
        "plans.new_goal": Case(student, at("/my/plan/goals/new", "/my/plan"), GoalForm),
        "plans.save_words": Case(student, at("/my/plan/words", "/my/plan"), OwnWordsForm),
        "rosters.facilitator": Case(
            admin, lambda me: {"url": f"/admin/facilitators/{factories.make_user(roles=facilitator).id}"},
            ProfileForm),
        "safety_plans.add_person": Case(student, at("/my/safety-plan/people", "/my/safety-plan"), fields=PERSON_FIELDS),
        "safety_plans.save": Case(student, at("/my/safety-plan"), fields=tuple(SECTIONS),
                                  extra={"save": "warning_signs"}),
        "safety_plans.save_section": Case(student, at("/my/safety-plan/sections/safe_places", "/my/safety-plan"),
                                          fields=("safe_places",)),
        "support.admin_new": Case(admin, at("/admin/support/new"), ServiceForm),
        "support.admin_edit": Case(
            admin, lambda me: {"url": f"/admin/support/{_service().id}/edit"}, ServiceForm),
        "referrals.outcome": Case(admin, _referral_outcome, referral_forms.OutcomeForm,
                                  extra={"status": "contacted"}),
        "referrals.create_record": Case(
            admin, lambda me: {"url": f"/admin/referrals/{factories.make_referral().id}/record"},
            referral_forms.CreateRecordForm),
        "workshops.add_note": Case(admin, _workshop_note, workshop_forms.NoteForm),
        "workshops.arrange": Case(
            admin, lambda me: {"url": f"/admin/workshops/{_workshop_request().id}/arrange"},
            workshop_forms.ArrangeForm),
        "workshops.ask": Case(
            student, lambda me: {"url": f"/courses/{_course().slug}/individual-workshop"}, workshop_forms.RequestForm),
        "workshops.close": Case(
            admin, lambda me: {"url": f"/admin/workshops/{_workshop_request().id}/close"}, workshop_forms.CloseForm),
        # --- support_requests (issue 17)
        "support_requests.ask": Case(student, at("/ask-for-help"), support_forms.AskForm,
                                     extra={"how": "phone", "may_leave_message": "no"}),
        "support_requests.add_note": Case(("support_lead",), _support_note, support_forms.NoteForm),
        "support_requests.concern": Case(facilitator, _concern, support_forms.ConcernForm),
    }


ROUTES = sorted(_case_forms())
TEMPLATES = Path(__file__).resolve().parents[2] / "rec_portal" / "templates"
HX_POST = re.compile(r"""hx-post["']?\s*[=:]\s*["']?\{?\{?\s*url_for\(\s*["']([\w.]+)["']""")


def _posted_with_htmx() -> set[str]:
    """Endpoints a template posts to with htmx (``hx-post``): the same form, sent from the
    page it sits on; signing in again must lead back to that form too."""
    return {m[1] for path in TEMPLATES.rglob("*.html") for m in HX_POST.finditer(path.read_text())}


HTMX_ROUTES = sorted(set(ROUTES) & _posted_with_htmx())


def test_every_route_of_the_inventory_is_tried(app):
    """The inventory (test_drafts_everywhere.py) is the app's own list: a new free-text
    form needs a case here too."""
    inventory = {endpoint for endpoint in free_text_post_routes(app) if endpoint not in EXCLUDED}
    assert sorted(inventory - set(ROUTES)) == [] and sorted(set(ROUTES) - inventory) == []
    # The finder finds the forms sent with htmx (the goal edit, the safety plan's autosave ...).
    assert {"plans.edit_goal", "safety_plans.save_section", "workshops.add_note"} <= set(HTMX_ROUTES)


# --- What a person sees in a form field -------------------------------------------------------

class _Fields(HTMLParser):
    """Each text input's value and each textarea's text, by field name (all of them)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.values: dict[str, list[str]] = {}
        self._in: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type", "text") not in ("hidden", "submit", "radio", "checkbox"):
            self.values.setdefault(name, []).append(attrs.get("value") or "")
        elif tag == "textarea" and name:
            self._in, self._text = name, []

    def handle_data(self, data):
        if self._in:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "textarea" and self._in:
            text = "".join(self._text)
            self.values.setdefault(self._in, []).append(text[1:] if text.startswith("\n") else text)
            self._in = None


def fields_on(page: str) -> dict[str, list[str]]:
    parser = _Fields()
    parser.feed(page)
    return parser.values


# --- The journey ------------------------------------------------------------------------------

def _free_text_names(form_class) -> list[str]:
    """The form's free-text fields, and those of the first two rows of a list of sub-forms
    (a session's dates: ``dates-0-day`` ...), as the page names them."""
    names = list(text_fields(form_class))
    for klass in form_class.__mro__:
        for name, unbound in vars(klass).items():
            if getattr(unbound, "field_class", None) is FieldList:
                inner = unbound.args[0]
                if getattr(inner, "field_class", None) is FormField:
                    names += [f"{name}-{row}-{sub}" for row in (0, 1) for sub in text_fields(inner.args[0])]
    return names


def _typed(endpoint: str, names, limits: dict[str, int]) -> dict[str, str]:
    base = ROUTES.index(endpoint)
    out = {}
    for i, name in enumerate(names):
        text = f"{SCRIPTS[(base + i) % len(SCRIPTS)]} {base}.{i}"
        out[name] = text[: limits.get(name, len(text))]
    return out


@pytest.mark.parametrize(
    ("endpoint", "htmx"), [(e, False) for e in ROUTES] + [(e, True) for e in HTMX_ROUTES],
    ids=[e for e in ROUTES] + [f"{e}-htmx" for e in HTMX_ROUTES],
)
def test_what_was_typed_comes_back_after_signing_in_again(app, endpoint, htmx):
    case = _case_forms()[endpoint]
    with app.app_context():
        me = factories.make_user(roles=case.roles)
        made = case.setup(me)
        db.session.commit()
        email = me.email
    url = made["url"]
    names = made.get("fields") or case.fields or _free_text_names(case.form)
    limits = field_limits(case.form) if case.form else {}
    typed = _typed(endpoint, names, limits)

    client = app.test_client()
    Browserless(client).login(email)
    token = csrf_from(client.get("/my/account").get_data(as_text=True))
    _timed_out(app, client)
    # With htmx the form is sent from the page it sits on, and the answer tells htmx where
    # to go (HX-Redirect) instead of redirecting.
    headers = {"HX-Request": "true", "HX-Current-URL": "http://localhost" + made["page"]} if htmx else {}
    sent = client.post(url, data={"csrf_token": token, **case.extra, **made.get("extra", {}), **typed},
                       headers=headers)
    if htmx:
        assert sent.status_code == 200 and "HX-Redirect" in sent.headers, f"{endpoint}: not kept"
        login = sent.headers["HX-Redirect"]
    else:
        assert sent.status_code == 302, f"{endpoint}: not kept ({sent.status_code})"
        login = sent.headers["Location"]
    assert login.startswith("/login?next="), login
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(SavedDraft)).scalar_one() == 1, endpoint

    signed_in = Browserless(client).submit(login, {"email": email, "password": factories.PASSWORD})
    assert signed_in.status_code == 302, signed_in.get_data(as_text=True)[:500]
    where = signed_in.headers["Location"]
    seen = [where]
    page = client.get(where)
    while page.status_code in (301, 302, 303) and len(seen) < 5:
        where = page.headers["Location"]
        seen.append(where)
        page = client.get(where)
    html = page.get_data(as_text=True)
    assert page.status_code == 200, f"{endpoint}: landed on {seen} with {page.status_code}"
    shown = fields_on(html)
    lost = {name: text for name, text in typed.items() if text not in shown.get(name, [])}
    assert lost == {}, (
        f"{endpoint}: posted to {url}, landed on {' -> '.join(urlsplit(u).path for u in seen)}; "
        f"not back in its field: {sorted(lost)}; fields there: "
        + str({name: values for name, values in shown.items() if name in typed})
    )
