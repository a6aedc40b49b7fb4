"""Demo people: the three demo logins, the demo students and the former students, their
enrolment details, and the one way the demo makes an account (:func:`make_person`), with
the demo password hashed once.

Everyone named here is made up; every email address is @example.org.
"""

from __future__ import annotations

from sqlalchemy import select

from rec_portal.passwords import hash_password, needs_rehash
from rec_portal.extensions import db
from rec_portal.models import StudentProfile, User, UserRole
from rec_portal.models.accounts import ADMIN, FACILITATOR, STUDENT
from rec_portal.timeutil import utcnow

DEMO_PASSWORD = "demo-password"

# The three demo logins (README, ``rec demo-logins``).
DEMO_ACCOUNTS = [
    ("admin@example.org", "Alex Morgan", "Alex", (ADMIN, STUDENT)),
    ("facilitator@example.org", "Sam Patel", "Sam", (FACILITATOR, STUDENT)),
    ("student@example.org", "Jo Williams", "Jo", (STUDENT,)),
]
DEMO_STUDENT = "student@example.org"
DEMO_FACILITATOR = "facilitator@example.org"
DEMO_ADMIN = "admin@example.org"

# Other students, so that sessions fill up and waiting lists form: (full name, preferred name).
# Email: first.last@example.org.
DEMO_STUDENTS = [
    ("Aisha Khan", "Aisha"), ("Ben Carter", "Ben"), ("Chloe Evans", "Chloe"),
    ("Daniel Okafor", "Dan"), ("Emily Hughes", "Emily"), ("Fatima Begum", "Fatima"),
    ("George Wilson", "George"), ("Hannah Price", "Hannah"), ("Imran Hussain", "Imran"),
    ("Jade Robinson", "Jade"), ("Kieran Doyle", "Kieran"), ("Laura Bennett", "Laura"),
    ("Mohammed Ali", "Mo"), ("Natalie Brooks", "Nat"), ("Owen Jenkins", "Owen"),
    ("Priya Sharma", "Priya"), ("Rebecca Shaw", "Becky"), ("Samuel Adeyemi", "Samuel"),
    ("Tom Fletcher", "Tom"), ("Usha Patel", "Usha"), ("Victoria Lloyd", "Vicky"),
    ("William Grant", "Will"), ("Yasmin Ahmed", "Yasmin"), ("Zoe Mitchell", "Zoe"),
    ("Andrew Campbell", "Andy"), ("Bethany Walsh", "Beth"), ("Callum Reid", "Callum"),
    ("Deborah Clarke", "Debbie"), ("Ewan Fraser", "Ewan"), ("Grace Thompson", "Grace"),
    ("Harry Morris", "Harry"), ("Isla Murphy", "Isla"), ("Jamal Thomas", "Jamal"),
    ("Karen Stewart", "Karen"), ("Liam O'Connor", "Liam"), ("Megan Davies", "Megan"),
    ("Nathan Cole", "Nathan"), ("Olivia Turner", "Liv"), ("Patrick Byrne", "Pat"),
    ("Ruth Ellis", "Ruth"),
]


# Former students: they came to the earlier runs of Staying Safe (the feedback demo,
# demo/feedback.py), and are not booked on anything else. The first 24 came to
# the two runs of this term (twelve each); the others to the two runs of an earlier term
# whose anonymous feedback has closed (thirteen each).
DEMO_FORMER_STUDENTS = [
    ("Adam Lewis", "Adam"), ("Bethany Cole", "Beth"), ("Craig Dunn", "Craig"),
    ("Deborah Quinn", "Debbie"), ("Ellis Ward", "Ellis"), ("Farah Siddiqui", "Farah"),
    ("Gareth Powell", "Gareth"), ("Helen Marsh", "Helen"), ("Isaac Mensah", "Isaac"),
    ("Joanne Hart", "Jo"), ("Karim Haddad", "Karim"), ("Lucy Fraser", "Lucy"),
    ("Martin Cross", "Martin"), ("Nadia Rahman", "Nadia"), ("Oliver Stone", "Ollie"),
    ("Paula Green", "Paula"), ("Rory Walsh", "Rory"), ("Sophie Turner", "Sophie"),
    ("Theo Banks", "Theo"), ("Wendy Clarke", "Wendy"), ("Una Byrne", "Una"),
    ("Victor Hale", "Vic"), ("Yusuf Osman", "Yusuf"), ("Zara Nolan", "Zara"),
    ("Alan Pearce", "Alan"), ("Brenda Hooper", "Brenda"), ("Carl Jennings", "Carl"),
    ("Diane Fox", "Diane"), ("Edward Nash", "Ed"), ("Fiona Gallagher", "Fiona"),
    ("Gavin Rees", "Gav"), ("Hazel Whitmore", "Hazel"), ("Ian Sutherland", "Ian"),
    ("Jasmine Kaur", "Jas"), ("Keith Barlow", "Keith"), ("Lorraine Fenton", "Lorraine"),
    ("Malcolm Webb", "Malc"), ("Nina Kowalski", "Nina"), ("Omar Farouk", "Omar"),
    ("Pauline Day", "Pauline"), ("Quentin Ashby", "Quentin"), ("Rachel Dunmore", "Rachel"),
    ("Stuart Kerr", "Stu"), ("Tanya Beck", "Tanya"), ("Uma Desai", "Uma"),
    ("Vincent Lowe", "Vince"), ("Winifred Oakes", "Winnie"), ("Xavier Dunne", "Xavier"),
    ("Yvonne Bristow", "Yvonne"), ("Zac Holloway", "Zac"),
]
def student_email(full_name: str) -> str:
    first, last = full_name.lower().replace("'", "").split(" ", 1)
    return f"{first}.{last.replace(' ', '')}@example.org"



_password_hash: str | None = None


def password_hash() -> str:
    """The hash of the demo password, worked out once: the password is the same for every
    demo account (and public), and Argon2 at its real cost takes a quarter of a second per
    hash. Hashed again only if the hasher's settings changed (tests use a faster one)."""
    global _password_hash
    if _password_hash is None or needs_rehash(_password_hash):
        _password_hash = hash_password(DEMO_PASSWORD)
    return _password_hash


def make_person(email: str, full_name: str, preferred: str, roles) -> User:
    """A new demo account (added to the session, not flushed) with the demo password:
    deliberately weak and well known, so not checked against the password rules."""
    user = User(
        email=email, full_name=full_name, preferred_name=preferred,
        password_hash=password_hash(), privacy_consent_at=utcnow(),
    )
    user.roles = [UserRole(role=r) for r in roles]
    db.session.add(user)
    return user


def ensure_accounts() -> tuple[dict[str, User], int]:
    """Every demo account by email, creating the ones that are missing; and how many it
    created."""
    wanted = [(email, name, preferred, roles) for email, name, preferred, roles in DEMO_ACCOUNTS]
    wanted += [(student_email(name), name, preferred, (STUDENT,)) for name, preferred in DEMO_STUDENTS]
    wanted += [(student_email(name), name, preferred, (STUDENT,)) for name, preferred in DEMO_FORMER_STUDENTS]
    emails = [email for email, *_ in wanted]
    users = {
        u.email: u for u in db.session.execute(select(User).where(User.email.in_(emails))).scalars()
    }
    created = 0
    for email, full_name, preferred, roles in wanted:
        if email in users:
            continue
        users[email] = make_person(email, full_name, preferred, roles)
        created += 1
    db.session.flush()
    return users, created


# Enrolment answers for the demo students, cycled (relationship, referral, contact).
_PROFILE_CYCLE = [
    ("service_user", "care_team", "email"), ("service_user", "self", "text"),
    ("carer", "friend", "email"), ("service_user", "gp", "phone"),
    ("staff", "other", "email"), ("service_user", "police", "email"),
    ("other", "voluntary", "email"), ("service_user", "care_team", "text"),
]
_PRONOUNS = ["she/her", "he/him", "they/them", "", ""]
_NEEDS = ["", "Large print handouts, please.", "", "I may need to step out for short breaks.",
          "Step-free access (I use a wheelchair).", ""]


def ensure_profiles(users: dict[str, User]) -> int:
    """Enrolment details for demo accounts that have none (the demo student's are fuller).
    Returns how many it added."""
    added = 0
    have = set(db.session.execute(select(StudentProfile.user_id)).scalars())
    former = {student_email(name) for name, _ in DEMO_FORMER_STUDENTS}
    # Former students last, so everyone else keeps the answers they always had.
    for n, user in enumerate(sorted(users.values(), key=lambda u: (u.email in former, u.email))):
        if user.id in have:
            continue
        relationship, referral, contact = _PROFILE_CYCLE[n % len(_PROFILE_CYCLE)]
        profile = StudentProfile(
            user_id=user.id, relationship_to_services=relationship, referral_source=referral,
            contact_preference=contact,
            phone=f"07700 900{n:03d}", pronouns=_PRONOUNS[n % len(_PRONOUNS)],
            access_needs=_NEEDS[n % len(_NEEDS)],
            team="Community Mental Health Team South" if relationship == "staff" else "",
        )
        if user.email == DEMO_STUDENT:
            profile.relationship_to_services, profile.pronouns, profile.team = "service_user", "she/her", ""
            profile.referral_source, profile.referral_detail = "care_team", "My care co-ordinator"
            profile.access_needs = "Large print handouts, and a seat near the door if possible."
            profile.contact_preference = "email"
        elif user.email in (DEMO_ADMIN, DEMO_FACILITATOR):
            profile.relationship_to_services, profile.team = "staff", "Recovery Education Centre"
            profile.referral_source = "other"
        db.session.add(profile)
        added += 1
    db.session.flush()
    return added


# A student the REC team added on the phone: no email address, no online account (cannot
# sign in); prefers text messages. Added by the demo admin, with consent as told to them.
DEMO_PHONE_ONLY = ("Brenda Hale", "Brenda", "07700 900999")


def ensure_phone_only_student(users: dict[str, User]) -> int:
    """The phone-only demo student, if missing. Returns how many it added (0 or 1)."""
    full_name, preferred, phone = DEMO_PHONE_ONLY
    existing = db.session.execute(
        select(User).where(User.full_name == full_name, User.email.is_(None))
    ).scalars().first()
    if existing is not None:
        return 0
    admin = users[DEMO_ADMIN]
    person = User(
        email=None, password_hash=None, full_name=full_name, preferred_name=preferred,
        active=True, privacy_consent_at=utcnow(), consent_taken_by_id=admin.id,
        consent_note=f"By phone, as told to {admin.full_name}", added_by_id=admin.id,
    )
    person.roles = [UserRole(role=STUDENT)]
    db.session.add(person)
    db.session.flush()
    db.session.add(StudentProfile(
        user_id=person.id, phone=phone, contact_preference="text",
        relationship_to_services="service_user", referral_source="care_team",
        access_needs="Prefers a printed timetable.",
    ))
    db.session.flush()
    return 1
