"""Roster rules: who may cover which role on which session, completeness, offers, the
emails that go with them, roster alerts and the co-delivery fidelity figures."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from rec_portal.scheduling.operations import DateRange, cancel_session, update_session
from rec_portal.stats.terms import Term, term_of
from rec_portal.errors import DomainError
from rec_portal.extensions import db
from rec_portal.models import (
    AuditEvent,

    CourseSession,
    OutboxMessage,
    RosterAssignment,
    RosterOffer,
)
from rec_portal.rosters import operations, queries
from rec_portal.rosters.operations import (
    accept_offer,
    assign_facilitator,
    decline_offer,
    eligible_facilitators,
    offer_to_cover,
    remove_assignment,
    roster_status,
    send_roster_alerts,
)
from rec_portal.timeutil import to_uk, utcnow
from tests import factories

STAYING_SAFE_ROLES = factories.STAYING_SAFE_ROLES


# --- Helpers ---------------------------------------------------------------------------------

make_course = factories.make_course_needing
make_session_at = factories.make_session_at
soon = factories.soon
make_facilitator = factories.make_facilitator
staying_safe_team = factories.staying_safe_team


def outbox():
    return [(m.to_address, m.subject, m.body_text)
            for m in db.session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars()]


def refused(fn, *args) -> str:
    """The refusal message (the rules refuse before changing anything, so the test's
    unsaved rows stay as they are)."""
    with pytest.raises(DomainError) as caught:
        fn(*args)
    return caught.value.message


# --- Assigning -------------------------------------------------------------------------------

def test_assigning_every_role_makes_the_roster_complete_and_tells_each_person(app_ctx):
    admin = factories.make_user(roles=("admin",))
    police, social, peer = staying_safe_team()
    session = make_session_at(make_course(), soon())
    status = roster_status(session)
    assert not status.complete
    assert status.missing_text == "Peer specialist or peer trainer, Police mental health co-ordinator, Social worker"
    assign_facilitator(session, police, "police_mh_coordinator", admin)
    assign_facilitator(session, social, "social_worker", admin)
    assert roster_status(session).missing_text == "Peer specialist or peer trainer"
    assign_facilitator(session, peer, "peer_specialist", admin)
    db.session.commit()
    assert roster_status(session).complete
    sent = outbox()
    assert [(to, subject) for to, subject, _ in sent] == [
        (p.email, "Recovery Education Centre session: you are on the roster") for p in (police, social, peer)
    ]
    assert "Your role: Police mental health co-ordinator." in sent[0][2] and "Staying Safe" in sent[0][2]
    row = db.session.execute(select(RosterAssignment).where(RosterAssignment.user_id == peer.id)).scalar_one()
    assert (row.role, row.assigned_by_id) == ("peer_specialist", admin.id)


def test_a_role_the_person_does_not_hold_is_refused(app_ctx):
    social = make_facilitator("social_worker", name="Marcus Bell")
    session = make_session_at(make_course(), soon())
    assert refused(assign_facilitator, session, social, "peer_specialist", None) == (
        "Marcus Bell does not hold the role “Peer specialist or peer trainer”."
    )
    assert db.session.execute(select(RosterAssignment)).first() is None


def test_a_role_the_course_does_not_need_is_refused(app_ctx):
    clinician = make_facilitator("clinician", name="Ravi Menon")
    session = make_session_at(make_course(), soon())
    assert refused(assign_facilitator, session, clinician, "clinician", None) == (
        "Staying Safe does not need anyone in the role “Clinician”."
    )
    assert refused(assign_facilitator, session, clinician, "juggler", None) == "Choose a facilitator role from the list."


def test_a_role_already_covered_is_refused_and_counts_above_one_are_respected(app_ctx):
    course = make_course("Hearing Voices", roles={"peer_specialist": 2})
    a, b, c = (make_facilitator("peer_specialist", name=n) for n in ("Leah Okoro", "Tariq Aziz", "Sam Patel"))
    session = make_session_at(course, soon())
    assign_facilitator(session, a, "peer_specialist", None)
    assert roster_status(session).missing == [("peer_specialist", "Peer specialist or peer trainer", 1)]
    assign_facilitator(session, b, "peer_specialist", None)
    assert roster_status(session).complete
    assert refused(assign_facilitator, session, c, "peer_specialist", None) == (
        "The role “Peer specialist or peer trainer” already has the 2 people this session needs."
    )
    single = make_session_at(make_course(), soon(30))
    other_peer = make_facilitator("peer_specialist", name="Nadia Rahman")
    assign_facilitator(single, a, "peer_specialist", None)
    assert refused(assign_facilitator, single, other_peer, "peer_specialist", None) == (
        "The role “Peer specialist or peer trainer” is already covered on this session."
    )


def test_someone_already_on_the_session_cannot_take_a_second_role(app_ctx):
    both = make_facilitator("police_mh_coordinator", "peer_specialist", name="Pat Jones")
    session = make_session_at(make_course(), soon())
    assign_facilitator(session, both, "police_mh_coordinator", None)
    assert refused(assign_facilitator, session, both, "peer_specialist", None) == (
        "Pat Jones is already on this session’s roster, as Police mental health co-ordinator."
    )


def test_no_profile_or_an_inactive_profile_is_refused(app_ctx):
    session = make_session_at(make_course(), soon())
    nobody = factories.make_user(full_name="Jo Williams")
    resting = make_facilitator("peer_specialist", name="Rest Ing", active=False)
    assert refused(assign_facilitator, session, nobody, "peer_specialist", None) == (
        "Jo Williams does not have a facilitator profile. Add one on the Facilitators page first."
    )
    assert refused(assign_facilitator, session, resting, "peer_specialist", None) == (
        "Rest Ing’s facilitator profile is not active."
    )


@pytest.mark.parametrize("status, message", [
    ("cancelled", "This session has been cancelled, so it needs no facilitators."),
    ("completed", "This session has already been delivered, so its roster cannot change."),
])
def test_cancelled_and_completed_sessions_take_no_one(app_ctx, status, message):
    peer = make_facilitator("peer_specialist")
    session = make_session_at(make_course(), soon(), status=status)
    assert refused(assign_facilitator, session, peer, "peer_specialist", None) == message
    assert eligible_facilitators(session, "peer_specialist") == []


def test_a_day_marked_unavailable_is_any_date_of_the_session_in_uk_time(app_ctx):
    peer = make_facilitator("peer_specialist", name="Sam Patel")
    course = make_course()
    # Three weekly dates; Sam cannot work on the (UK) day of the third.
    session = make_session_at(course, soon(20), weeks=3)
    third_day = to_uk(session.dates[2].starts_at).date()
    factories.make_unavailability(peer, third_day, note="Annual leave")
    message = refused(assign_facilitator, session, peer, "peer_specialist", None)
    assert message == f"Sam Patel marked {third_day.day} {third_day:%B %Y} as a day they cannot work."
    assert eligible_facilitators(session, "peer_specialist") == []
    # A day off that touches none of the dates does not matter.
    other = make_session_at(course, soon(21))
    assert eligible_facilitators(other, "peer_specialist") == [peer]


def test_unavailable_days_use_the_uk_calendar_day_not_the_utc_one(app_ctx):
    """23:30 UTC on 14 July is 00:30 on 15 July in London (summer time)."""
    peer = make_facilitator("peer_specialist", name="Sam Patel")
    year = to_uk(utcnow()).year + 1
    late = make_session_at(make_course(), datetime(year, 7, 14, 23, 30), hours=1)
    factories.make_unavailability(peer, date(year, 7, 14))
    assert eligible_facilitators(late, "peer_specialist") == [peer]
    factories.make_unavailability(peer, date(year, 7, 15))
    assert eligible_facilitators(late, "peer_specialist") == []


def test_overlap_with_any_date_of_another_multi_date_session_is_refused(app_ctx):
    peer = make_facilitator("peer_specialist", name="Leah Okoro")
    recovery = make_course("Introduction to Recovery", roles={"peer_specialist": 1, "clinician": 1})
    # Four weekly mornings from day 10; Leah is on them.
    four_weeks = make_session_at(recovery, soon(10, hour=10), hours=2.5, weeks=4)
    assign_facilitator(four_weeks, peer, "peer_specialist", None)
    # A one-day session on the third of those mornings overlaps...
    clash = make_session_at(make_course(), soon(24, hour=11), hours=4)
    message = refused(assign_facilitator, clash, peer, "peer_specialist", None)
    assert message.startswith("Leah Okoro is already on the roster of Introduction to Recovery at that time (")
    # ... a session later the same day does not.
    afternoon = make_session_at(make_course("Afternoon Course"), soon(24, hour=13), hours=2)
    assign_facilitator(afternoon, peer, "peer_specialist", None)
    # And a two-date session whose second date (only) overlaps the fourth morning is refused too.
    two_dates = make_session_at(make_course("Two Dates"), soon(3, hour=11), weeks=2, every_days=28)
    assert two_dates.dates[1].starts_at == four_weeks.dates[3].starts_at + timedelta(hours=1)
    assert "already on the roster of Introduction to Recovery" in refused(
        assign_facilitator, two_dates, peer, "peer_specialist", None
    )


def test_cancelled_sessions_do_not_count_as_overlaps(app_ctx):
    peer = make_facilitator("peer_specialist", name="Leah Okoro")
    first = make_session_at(make_course("First"), soon(10))
    assign_facilitator(first, peer, "peer_specialist", None)
    same_time = make_session_at(make_course("Second"), soon(10))
    assert eligible_facilitators(same_time, "peer_specialist") == []
    first.status = "cancelled"
    db.session.flush()
    assert eligible_facilitators(same_time, "peer_specialist") == [peer]
    assign_facilitator(same_time, peer, "peer_specialist", None)


def test_eligible_facilitators_are_only_those_who_pass_every_rule(app_ctx):
    course = make_course()
    session = make_session_at(course, soon(12))
    free = make_facilitator("peer_specialist", name="Free Person")
    make_facilitator("social_worker", name="Wrong Role")
    make_facilitator("peer_specialist", name="Not Active", active=False)
    away = make_facilitator("peer_specialist", name="Day Off")
    factories.make_unavailability(away, to_uk(session.starts_at).date())
    busy = make_facilitator("peer_specialist", name="Busy Elsewhere")
    elsewhere = make_session_at(make_course("Elsewhere"), session.starts_at + timedelta(hours=1))
    assign_facilitator(elsewhere, busy, "peer_specialist", None)
    assert eligible_facilitators(session, "peer_specialist") == [free]
    # The roster page says why the others holding the role are not offered.
    slot = next(s for s in queries.session_roster(session).slots if s.role == "peer_specialist")
    assert [u.full_name for u in slot.eligible] == ["Free Person"]
    reasons = {u.full_name: why for u, why in slot.not_offered}
    assert set(reasons) == {"Day Off", "Busy Elsewhere"}
    assert "cannot work" in reasons["Day Off"] and "Elsewhere" in reasons["Busy Elsewhere"]


# --- Removing, offers ----------------------------------------------------------------------

def test_removing_someone_leaves_a_gap_and_tells_them(app_ctx):
    police, social, peer = staying_safe_team()
    session = make_session_at(make_course(), soon())
    for person, role in ((police, "police_mh_coordinator"), (social, "social_worker"), (peer, "peer_specialist")):
        assign_facilitator(session, person, role, None)
    assignment = db.session.execute(select(RosterAssignment).where(RosterAssignment.user_id == social.id)).scalar_one()
    remove_assignment(assignment, None)
    db.session.commit()
    assert roster_status(session).missing_text == "Social worker"
    assert outbox()[-1][:2] == (social.email, "Recovery Education Centre session: you are no longer on the roster")


def test_an_offer_follows_the_same_rules_and_speaks_to_the_facilitator(app_ctx):
    session = make_session_at(make_course(), soon())
    social = make_facilitator("social_worker", name="Marcus Bell")
    with pytest.raises(DomainError) as caught:
        offer_to_cover(session, social, "peer_specialist")
    assert caught.value.message == "You do not hold the role “Peer specialist or peer trainer”."
    offer = offer_to_cover(session, social, "social_worker")
    assert offer.status == "pending"
    with pytest.raises(DomainError) as caught:
        offer_to_cover(session, social, "social_worker")
    assert "already offered" in caught.value.message
    factories.make_unavailability(social, to_uk(session.starts_at).date())
    other = make_session_at(make_course("Other"), session.starts_at)
    with pytest.raises(DomainError) as caught:
        offer_to_cover(other, social, "social_worker")
    assert caught.value.message.startswith("You marked ") and "a day you cannot work" in caught.value.message


def test_accepting_an_offer_checks_the_rules_again_then_assigns_and_tells_them(app_ctx):
    admin = factories.make_user(roles=("admin",))
    session = make_session_at(make_course(), soon())
    marcus = make_facilitator("social_worker", name="Marcus Bell")
    other = make_facilitator("social_worker", name="Amy Collins")
    first = offer_to_cover(session, marcus, "social_worker")
    second = offer_to_cover(session, other, "social_worker")
    accept_offer(first, admin)
    db.session.commit()
    assert (first.status, first.decided_by_id) == ("accepted", admin.id) and first.decided_at
    assert "Social worker" not in roster_status(session).missing_text
    # The role is now covered: Amy's offer is withdrawn at once and she is told, calmly.
    assert [m[:2] for m in outbox()] == [
        (marcus.email, "Recovery Education Centre session: your offer to cover is confirmed"),
        (other.email, "Recovery Education Centre session: about your offer to cover"),
    ]
    assert "you are not on the roster for it" in outbox()[-1][2]
    second = db.session.get(RosterOffer, second.id)
    assert (second.status, second.decided_by_id) == ("withdrawn", admin.id)
    assert queries.session_roster(session).offers == []
    assert refused(accept_offer, second, admin) == "This offer has already been withdrawn."
    assert refused(decline_offer, second, admin) == "This offer has already been withdrawn."
    assert len(outbox()) == 2


def test_declining_an_offer_tells_the_person(app_ctx):
    admin = factories.make_user(roles=("admin",))
    session = make_session_at(make_course(), soon())
    marcus = make_facilitator("social_worker", name="Marcus Bell")
    offer = offer_to_cover(session, marcus, "social_worker")
    decline_offer(offer, admin)
    db.session.commit()
    assert offer.status == "declined"
    assert outbox()[-1][:2] == (marcus.email, "Recovery Education Centre session: about your offer to cover")
    assert refused(decline_offer, offer, admin) == "This offer has already been declined."


def test_other_offers_for_a_role_are_withdrawn_only_once_it_is_fully_covered(app_ctx):
    """Assigning directly: with two places, the first assignment leaves the offers waiting;
    the second fills the role, so the offers left are withdrawn and those people told.
    Offers for another role, or on another session, are not touched."""
    admin = factories.make_user(roles=("admin",))
    course = make_course("Hearing Voices", roles={"peer_specialist": 2, "social_worker": 1})
    session = make_session_at(course, soon())
    elsewhere = make_session_at(course, soon(30))
    a, b, c = (make_facilitator("peer_specialist", name=n) for n in ("Leah Okoro", "Tariq Aziz", "Nadia Rahman"))
    social = make_facilitator("social_worker", name="Marcus Bell")
    waiting = offer_to_cover(session, c, "peer_specialist")
    other_role = offer_to_cover(session, social, "social_worker")
    other_session = offer_to_cover(elsewhere, c, "peer_specialist")
    db.session.execute(OutboxMessage.__table__.delete())
    assign_facilitator(session, a, "peer_specialist", admin)
    assert waiting.status == "pending"
    assign_facilitator(session, b, "peer_specialist", admin)
    db.session.commit()
    assert (waiting.status, waiting.decided_by_id) == ("withdrawn", admin.id)
    assert (other_role.status, other_session.status) == ("pending", "pending")
    assert [m[:2] for m in outbox()] == [
        (a.email, "Recovery Education Centre session: you are on the roster"),
        (b.email, "Recovery Education Centre session: you are on the roster"),
        (c.email, "Recovery Education Centre session: about your offer to cover"),
    ]
    assert "Hearing Voices" in outbox()[-1][2] and "Peer specialist or peer trainer" in outbox()[-1][2]


# --- Sessions that have started or ended ----------------------------------------------------

def test_an_offer_to_cover_a_session_that_has_started_is_refused(app_ctx):
    peer = make_facilitator("peer_specialist", name="Sam Patel")
    started = make_session_at(make_course(), utcnow().replace(microsecond=0) - timedelta(hours=1), hours=3)
    with pytest.raises(DomainError) as caught:
        offer_to_cover(started, peer, "peer_specialist")
    assert caught.value.message.startswith("This session has already started")
    assert caught.value.field == "role"
    assert db.session.execute(select(RosterOffer)).first() is None
    # An admin can still put someone on it until it ends.
    assign_facilitator(started, peer, "peer_specialist", None)


def test_a_session_that_is_over_takes_no_one_unless_recording_history(app_ctx):
    peer, other = make_facilitator("peer_specialist", name="Sam Patel"), make_facilitator("social_worker")
    over = make_session_at(make_course(), utcnow().replace(microsecond=0) - timedelta(days=2), hours=3)
    assert refused(assign_facilitator, over, peer, "peer_specialist", None) == (
        "This session is over, so its roster cannot change."
    )
    assert eligible_facilitators(over, "peer_specialist") == []
    assert queries.session_roster(over).editable is False
    # The demo records who delivered past sessions: history=True allows it.
    assign_facilitator(over, peer, "peer_specialist", None, history=True)
    delivered = make_session_at(make_course("Delivered"), utcnow().replace(microsecond=0) - timedelta(days=9),
                                status="completed")
    assign_facilitator(delivered, other, "social_worker", None, history=True)
    assert {a.session_id for a in db.session.execute(select(RosterAssignment)).scalars()} == {over.id, delivered.id}


def test_assigning_someone_directly_settles_their_pending_offer(app_ctx):
    session = make_session_at(make_course(), soon())
    marcus = make_facilitator("social_worker", name="Marcus Bell")
    offer = offer_to_cover(session, marcus, "social_worker")
    assign_facilitator(session, marcus, "social_worker", None)
    assert offer.status == "accepted"
    assert queries.session_roster(session).offers == []


# --- Session changes ------------------------------------------------------------------------

def test_changing_or_cancelling_a_session_tells_its_roster(app_ctx):
    police, social, peer = staying_safe_team()
    session = make_session_at(make_course(), soon(20))
    assign_facilitator(session, peer, "peer_specialist", None)
    assign_facilitator(session, police, "police_mh_coordinator", None)
    offer = offer_to_cover(session, social, "social_worker")
    db.session.commit()
    start = session.starts_at + timedelta(days=1)
    update_session(session.id, dates=[DateRange(start, start + timedelta(hours=5))], capacity=12,
                   venue="Northgate Library")
    db.session.commit()
    changed = [(to, subject) for to, subject, _ in outbox()[-2:]]
    assert sorted(changed) == sorted([(p.email, "Recovery Education Centre session: details changed")
                                      for p in (peer, police)])
    assert "dates and times, venue" in outbox()[-1][2] and "Northgate Library" in outbox()[-1][2]
    cancel_session(session.id)
    db.session.commit()
    cancelled = [(to, subject) for to, subject, _ in outbox()[-2:]]
    assert sorted(cancelled) == sorted([(p.email, "Recovery Education Centre session: cancelled")
                                        for p in (peer, police)])
    assert db.session.get(RosterOffer, offer.id).status == "withdrawn"


# --- Clashes of people already on a roster ---------------------------------------------------

def _full_roster(session, police, social, peer):
    for person, role in ((police, "police_mh_coordinator"), (social, "social_worker"), (peer, "peer_specialist")):
        assign_facilitator(session, person, role, None)


def test_a_day_off_added_after_assigning_makes_the_roster_a_clash_not_complete(app_ctx):
    police, social, peer = staying_safe_team()
    session = make_session_at(make_course(), soon(12), weeks=2)
    _full_roster(session, police, social, peer)
    assert roster_status(session).complete
    second_day = to_uk(session.dates[1].starts_at).date()
    factories.make_unavailability(peer, second_day, note="Hospital")
    status = roster_status(session)
    assert not status.complete and status.missing == [] and status.label == "Check"
    assert [(c.assignment.user_id, c.reason) for c in status.clashes] == [
        (peer.id, f"Sam Patel marked {second_day.day} {second_day:%B %Y} as a day they cannot work.")
    ]
    assert status.missing_text == "Peer specialist or peer trainer (Sam Patel has a clash)"
    roster = queries.session_roster(session)
    assert not roster.status.complete and set(roster.clashes) == {status.clashes[0].assignment.id}
    # The PDF's roster (no choices) sees the same clash.
    assert queries.build_rosters([session], with_choices=False)[0].status.label == "Check"


def test_two_overlapping_places_are_both_flagged_and_a_gap_still_says_gaps(app_ctx):
    police, social, peer = staying_safe_team()
    first = make_session_at(make_course(), soon(15, hour=10), hours=3)
    second = make_session_at(make_course("Sleep Well", roles={"peer_specialist": 1}), soon(15, hour=12), hours=2)
    _full_roster(first, police, social, peer)
    # Put there before the rules existed (or by hand): Sam is on both at noon.
    factories.add_to_roster(second, peer)
    rosters = {r.session.id: r for r in queries.build_rosters([first, second])}
    for session_id, other in ((first.id, "Sleep Well"), (second.id, "Staying Safe")):
        status = rosters[session_id].status
        assert status.label == "Check", session_id
        assert status.clashes[0].reason.startswith(f"Sam Patel is already on the roster of {other} at that time")
    # A gap as well: the label is Gaps, and the clash is listed with what is missing.
    social_place = db.session.execute(select(RosterAssignment).where(RosterAssignment.user_id == social.id)).scalar_one()
    remove_assignment(social_place, None)
    assert roster_status(first).label == "Gaps"
    assert roster_status(first).missing_text == "Social worker, Peer specialist or peer trainer (Sam Patel has a clash)"
    # A cancelled session is no clash.
    second.status = "cancelled"
    db.session.flush()
    assert roster_status(first).clashes == []


def test_roster_alerts_count_a_covered_session_whose_person_has_a_clash(app_ctx):
    factories.make_user(roles=("admin",), email="office@example.org")
    police, social, peer = staying_safe_team()
    session = make_session_at(make_course(), soon(3))
    _full_roster(session, police, social, peer)
    db.session.execute(OutboxMessage.__table__.delete())
    db.session.commit()
    assert send_roster_alerts() == (0, 0)
    factories.make_unavailability(police, to_uk(session.starts_at).date())
    db.session.commit()
    assert send_roster_alerts() == (1, 1)
    assert "Missing: Police mental health co-ordinator (Claire Donovan has a clash)" in outbox()[-1][2]


def test_an_admin_cannot_save_a_bio_longer_than_a_facilitator_can(app_ctx):
    from rec_portal.facilitation.operations import BIO_MAX, update_bio

    admin = factories.make_user(roles=("admin",))
    person = factories.make_user(full_name="Long Bio")
    with pytest.raises(DomainError) as caught:
        operations.save_profile(admin, person, organisation="Forum", roles=["peer_specialist"],
                                bio="b" * (BIO_MAX + 1), active=True)
    assert caught.value.message.startswith("The bio must be 1,000 characters or fewer")
    assert caught.value.field == "bio"
    operations.save_profile(admin, person, organisation="Forum", roles=["peer_specialist"], bio="b" * BIO_MAX,
                            active=True)
    assert update_bio(person, "b" * BIO_MAX).bio == "b" * BIO_MAX


# --- Alerts ---------------------------------------------------------------------------------

def test_roster_alerts_go_once_to_each_active_admin(app_ctx):
    admins = [factories.make_user(roles=("admin",)) for _ in range(2)]
    factories.make_user(roles=("admin",), active=False)
    police, social, peer = staying_safe_team()
    course = make_course()
    gap_soon = make_session_at(course, soon(3))
    assign_facilitator(gap_soon, peer, "peer_specialist", None)
    complete_soon = make_session_at(make_course("Complete One"), soon(4))
    for person, role in ((police, "police_mh_coordinator"), (social, "social_worker"), (peer, "peer_specialist")):
        assign_facilitator(complete_soon, person, role, None)
    make_session_at(course, soon(10))  # gaps, but more than 7 days away
    make_session_at(course, soon(2), status="cancelled")  # cancelled: needs nobody
    db.session.execute(OutboxMessage.__table__.delete())
    db.session.commit()

    assert send_roster_alerts() == (1, 2)
    db.session.commit()
    sent = outbox()
    assert sorted(to for to, _, _ in sent) == sorted(a.email for a in admins)
    assert all(subject == "Recovery Education Centre rosters: 1 session needs facilitators" for _, subject, _ in sent)
    assert "Staying Safe" in sent[0][2] and "Missing: Police mental health co-ordinator, Social worker" in sent[0][2]
    assert db.session.get(CourseSession, gap_soon.id).roster_alert_sent_at is not None
    assert send_roster_alerts() == (0, 0)
    db.session.commit()
    assert len(outbox()) == 2


# --- Fidelity -------------------------------------------------------------------------------

def test_fidelity_figures_match_a_hand_counted_fixture(app_ctx):
    """Hand count (delivered = completed, or scheduled and over; cancelled never counts):

    Staying Safe (police, social worker, peer specialist):
      S1 Oct 2025 completed, all three        -> every role yes, peer yes: co-delivered
      S2 Nov 2025 scheduled and over, no SW   -> every role no,  peer yes
      S3 Feb 2026 completed, all three        -> co-delivered
      S4 Mar 2026 cancelled, all three        -> not counted
      S5 Dec 2026 (after "now")               -> not counted
    Sleep (clinician, other):
      S6 Jun 2026 over, clinician + other     -> every role yes, peer no
      S7 Jul 2026 over, + a carer peer        -> co-delivered (carer peer is a peer role)
    Delivered 5; every role 4; peer 4; both 3 (60%).
    Autumn 2025: 2 delivered, 1 both (50%). Spring 2026: 1, 1 (100%). Summer 2026: 2, 1 (50%).
    Staying Safe: 3 delivered, 2 both (67%). Sleep: 2 delivered, 1 both (50%).
    """
    police, social, peer = staying_safe_team()
    clinician = make_facilitator("clinician", name="Ravi Menon")
    other = make_facilitator("other", name="Ella Marsh")
    carer = make_facilitator("carer_peer", name="Janet Moss")
    safe = make_course()
    sleep = make_course("Sleep", roles={"clinician": 1, "other": 1})

    def roster(session, *people_roles):
        for person, role in people_roles:
            factories.add_to_roster(session, person, role)

    team = ((police, "police_mh_coordinator"), (social, "social_worker"), (peer, "peer_specialist"))
    roster(make_session_at(safe, datetime(2025, 10, 7, 9), status="completed"), *team)
    roster(make_session_at(safe, datetime(2025, 11, 4, 10)), team[0], team[2])
    roster(make_session_at(safe, datetime(2026, 2, 3, 10), status="completed"), *team)
    roster(make_session_at(safe, datetime(2026, 3, 3, 10), status="cancelled"), *team)
    roster(make_session_at(safe, datetime(2026, 12, 1, 10)), *team)
    roster(make_session_at(sleep, datetime(2026, 6, 4, 12)), (clinician, "clinician"), (other, "other"))
    roster(make_session_at(sleep, datetime(2026, 7, 2, 12)), (clinician, "clinician"), (other, "other"),
           (carer, "carer_peer"))
    db.session.commit()

    report = queries.fidelity_report(now=datetime(2026, 11, 1))

    def figures(row):
        return (row.label, row.delivered, row.all_roles, row.with_peer, row.both, row.share)

    assert figures(report.total) == ("All delivered sessions", 5, 4, 4, 3, "60%")
    assert [figures(r) for r in report.by_term] == [
        ("Summer 2026", 2, 2, 1, 1, "50%"),
        ("Spring 2026", 1, 1, 1, 1, "100%"),
        ("Autumn 2025", 2, 1, 2, 1, "50%"),
    ]
    assert [figures(r) for r in report.by_course] == [
        ("Sleep", 2, 2, 1, 1, "50%"),
        ("Staying Safe", 3, 2, 3, 2, "67%"),
    ]
    assert [(term.label, [figures(r) for r in rows]) for term, rows in report.by_term_and_course] == [
        ("Summer 2026", [("Sleep", 2, 2, 1, 1, "50%")]),
        ("Spring 2026", [("Staying Safe", 1, 1, 1, 1, "100%")]),
        ("Autumn 2025", [("Staying Safe", 2, 1, 2, 1, "50%")]),
    ]


@pytest.mark.parametrize("day, expected", [
    (date(2026, 1, 1), (2026, "spring")), (date(2026, 4, 30), (2026, "spring")),
    (date(2026, 5, 1), (2026, "summer")), (date(2026, 8, 31), (2026, "summer")),
    (date(2026, 9, 1), (2026, "autumn")), (date(2026, 12, 31), (2026, "autumn")),
])
def test_uk_academic_terms(day, expected):
    assert term_of(day) == Term(*expected)


def test_a_session_late_on_31_august_utc_is_in_the_autumn_term(app_ctx):
    """23:30 UTC on 31 August is 00:30 on 1 September in London."""
    peer = make_facilitator("peer_specialist")
    course = make_course("Late", roles={"peer_specialist": 1})
    session = make_session_at(course, datetime(2025, 8, 31, 23, 30), hours=1, status="completed")
    factories.add_to_roster(session, peer)
    db.session.commit()
    report = queries.fidelity_report(now=datetime(2026, 1, 1))
    assert [(r.label, r.both) for r in report.by_term] == [("Autumn 2025", 1)]


# --- Profiles -------------------------------------------------------------------------------

def test_creating_a_profile_grants_the_facilitator_role_and_audits_without_content(app_ctx):
    admin = factories.make_user(roles=("admin",))
    person = factories.make_user(full_name="New Trainer")
    profile, created = operations.save_profile(
        admin, person, organisation="Secret Org Name", roles=["peer_specialist", "carer_peer"],
        bio="Private words about me", active=True,
    )
    db.session.commit()
    assert created and profile.role_codes == ["carer_peer", "peer_specialist"]
    assert person.has_role("facilitator")
    details = [e.detail or "" for e in db.session.execute(select(AuditEvent)).scalars()]
    assert any("facilitator profile created" in d for d in details)
    assert "facilitator" in details
    assert not any("Secret" in d or "Private" in d for d in details)
    with pytest.raises(DomainError) as caught:
        operations.save_profile(admin, person, organisation="X", roles=[], bio="", active=True)
    assert caught.value.message == "Choose at least one facilitator role from the list"


def test_load_facts_for_many_sessions_agrees_with_one_at_a_time(app_ctx):
    """The roster page's batch check and the single-session check give the same answers."""
    people = [make_facilitator("peer_specialist", name=f"Peer {n}") for n in range(4)]
    course = make_course("Peer Course", roles={"peer_specialist": 1})
    sessions = [make_session_at(course, soon(8 + n, hour=10 + n % 3)) for n in range(6)]
    assign_facilitator(sessions[0], people[0], "peer_specialist", None)
    factories.make_unavailability(people[1], to_uk(sessions[2].starts_at).date())
    facts = operations.load_facts(sessions)
    for session in sessions:
        assert operations.eligible_in(session, "peer_specialist", facts) == eligible_facilitators(
            session, "peer_specialist"
        )
