"""Demo data: accounts, courses, sessions and bookings for trying the portal out.

``flask --app wsgi rec demo-data`` calls :func:`load_demo_data` (never in production).
It is safe to run again: accounts are matched by email and courses by slug, and anything
that already exists is left alone. A course that exists is skipped with its sessions and
bookings, so nothing is ever duplicated. Like every operation it flushes and does not
commit: the command commits once.

Dates are relative to today (UK time), so the catalogue always has sessions over the next
three months. Everyone named here is made up; every email address is @example.org.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from rec_portal.stats.terms import Term, term_of
from rec_portal.auth.passwords import hash_password
from rec_portal.bookings.operations import book_place
from rec_portal.scheduling.operations import (
    DateRange,
    save_course,
    schedule_session,
    set_course_status,
)
from rec_portal.extensions import db
from rec_portal.models import Booking, Course, CourseSession, User, UserRole
from rec_portal.models.accounts import ADMIN, FACILITATOR, STUDENT
from rec_portal.models.bookings import CANCELLED as BOOKING_CANCELLED
from rec_portal.models.bookings import CONFIRMED
from rec_portal.models.bookings import SELF as MADE_BY_SELF
from rec_portal.models.courses import (
    ARCHIVED,
    COMPLETED,
    DRAFT,
    IN_PERSON,
    ONLINE,
    PUBLISHED,
)
from rec_portal.models.courses import CANCELLED as SESSION_CANCELLED
from rec_portal.timeutil import uk_to_utc, uk_today, utcnow

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
# rec_portal/feedback/demo.py), and are not booked on anything else. The first 24 came to
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
# Which run of Staying Safe each former student came to, in the order of the list above:
# (session key, how many).
FORMER_RUNS = (
    ("staying-safe-first", 12), ("staying-safe-second", 12),
    ("staying-safe-earlier-1", 13), ("staying-safe-earlier-2", 13),
)


def student_email(full_name: str) -> str:
    first, last = full_name.lower().replace("'", "").split(" ", 1)
    return f"{first}.{last.replace(' ', '')}@example.org"


# --- Courses ------------------------------------------------------------------------------

ROOM_1 = "Recovery Education Centre, 12 Station Road, Room 1 (ground floor, step-free access, hearing loop)"
ROOM_2 = "Recovery Education Centre, 12 Station Road, Room 2 (step-free access)"
LIBRARY = "Northgate Community Library, Market Street, Meeting Room (step-free access, accessible toilet)"
LEARNING_CENTRE = "Trust Learning Centre, Park House, Seminar Room 3 (step-free access, lift to all floors)"

ACCESS_STATION_ROAD = (
    "Our rooms at 12 Station Road have step-free access, an accessible toilet and a hearing "
    "loop. Handouts are available in large print and Easy Read: tell us when you book.\n\n"
    "You are welcome to bring a carer, support worker or friend. Assistance dogs are welcome. "
    "There is a quiet room you can use at any time."
)
ACCESS_ONLINE = (
    "The course runs on Microsoft Teams. You can join from a computer, tablet or phone, or "
    "by phone only, and keep your camera off if you prefer. Live captions are switched on.\n\n"
    "If you have not used Teams before, we can ring you before the first session for a "
    "practice call. We can post printed handouts to you."
)
EXPECT_IN_PERSON = (
    "A small, friendly group with breaks whenever you need them. Tea and coffee are provided.\n\n"
    "You do not have to talk about your own experiences: you can just listen. You will get a "
    "handout to take home with everything we cover."
)
EXPECT_ONLINE = (
    "A small group online, with a short break in each session. You can keep your camera and "
    "microphone off and use the chat instead.\n\n"
    "You do not have to talk about your own experiences: you can just listen. We email you "
    "the slides and a handout after each session."
)

STAYING_SAFE_DESCRIPTION = """\
Staying Safe is a one-day course for people with mental health problems who want to feel
safer in everyday life and know how to protect themselves from crime.

People living with mental health problems are more likely than most to be targeted by
crime, and it can be harder to be believed or to get the right help afterwards. This course
is a chance to talk about that openly, in a small and supportive group, and to leave with a
plan that is yours.

The day is **highly interactive**. We use:

- short quizzes (just for fun: nobody is marked)
- personal narrative: our trainers share their own stories, including our Peer
  Specialist's lived experience
- shared experience from the group, where you only share what you want to

We cover staying safe at home, when you are out and about, online and with money; how to
spot scams, "mate crime" and cuckooing; how to report a crime and what happens next; and
where to find support if something has happened to you.

By the end of the day you will have written your own **personal safety plan**: the warning
signs to look out for, the things you do to keep safe, the people you trust and who to
call. You keep it, and you can change it whenever you like.
"""

STAYING_SAFE = {
    "slug": "staying-safe",
    "title": "Staying Safe",
    "summary": (
        "A one-day, interactive course to help you protect yourself from crime, know how to "
        "report it and where to get support, and write your own personal safety plan."
    ),
    "description": STAYING_SAFE_DESCRIPTION,
    "learning_outcomes": 'Recognise situations where you might be at risk of crime: at home, out and about, online and with money\nKnow practical steps that help you keep yourself and your belongings safe\nSpot the warning signs of scams, "mate crime" and cuckooing\nKnow the ways to report a crime, including 101, 999 and reporting through someone else, and what happens next\nKnow where to find support if you have been a victim of crime\nWrite your own personal safety plan',
    "for_service_users": True, "for_carers": True, "for_staff": False,
    "duration": "One day, 10am to 3pm",
    "delivery": IN_PERSON,
    "what_to_expect": (
        "The day runs from 10am to 3pm, with a break for lunch and plenty of short breaks. Tea, "
        "coffee and a light lunch are provided.\n\n"
        "Groups are small (up to 14 people). You do not need to talk about your own experiences "
        "unless you want to, and you can step out at any time. One of the trainers is always free "
        "to talk if something brings up difficult feelings.\n\n"
        "The police Mental Health Co-ordinator is here as a trainer. You can ask them general "
        "questions about reporting a crime without giving any details about yourself.\n\n"
        "You go home with your own personal safety plan and a list of local support services."
    ),
    "accessibility": (
        "Room 1 at 12 Station Road is on the ground floor, with step-free access, an accessible "
        "toilet and a hearing loop. Handouts are available in large print and Easy Read: tell us "
        "when you book, or ask for another format.\n\n"
        "You are welcome to bring a carer, support worker or friend. There is a quiet room you "
        "can use at any time.\n\n"
        "If a group course is not right for you, ask us about an individual Staying Safe workshop."
    ),
    "coproduction_note": (
        "Staying Safe was co-produced by people with lived experience of mental health problems "
        "and of crime, a police Mental Health Co-ordinator and social workers from the trust.\n\n"
        "Every date is co-delivered by a police Mental Health Co-ordinator, a social worker and a "
        "Peer Specialist who brings their own lived experience. After each date we read the "
        "feedback from students and trainers, and review the course before it runs again."
    ),
    "content_version": 2,
    "status": PUBLISHED,
    "roles": {"police_mh_coordinator": 1, "social_worker": 1, "peer_specialist": 1},
    "theme": "staying_safe",
}

# The prospectus theme of each demo course (models.courses.COURSE_THEMES).
DEMO_THEMES = {
    "introduction-to-recovery": "living_well",
    "understanding-anxiety": "understanding",
    "understanding-depression": "understanding",
    "hearing-voices": "understanding",
    "living-well-with-bipolar": "living_well",
    "wrap": "living_well",
    "managing-stress": "living_well",
    "sleep-and-wellbeing": "living_well",
    "caring-for-someone-with-a-mental-health-problem": "carers",
    "peer-support-skills": "skills",
    "mental-health-awareness-for-staff": "skills",
    "mindfulness-for-wellbeing": "living_well",
    "confidence-and-self-esteem": "skills",
    "understanding-personality-disorder": "understanding",
    "creative-writing-for-wellbeing": "living_well",
}


def _course(slug, title, summary, description, outcomes, *, audience="usc", delivery=IN_PERSON,
            duration, roles, coproduction, status=PUBLISHED, what_to_expect=None,
            accessibility=None, content_version=1) -> dict:
    """A course definition. ``audience``: letters for service users (u), staff (s), carers (c)."""
    online = delivery == ONLINE
    return {
        "slug": slug,
        "title": title,
        "summary": summary,
        "description": description,
        "learning_outcomes": "\n".join(outcomes),
        "for_service_users": "u" in audience,
        "for_carers": "c" in audience,
        "for_staff": "s" in audience,
        "duration": duration,
        "delivery": delivery,
        "what_to_expect": what_to_expect or (EXPECT_ONLINE if online else EXPECT_IN_PERSON),
        "accessibility": accessibility or (ACCESS_ONLINE if online else ACCESS_STATION_ROAD),
        "coproduction_note": coproduction,
        "content_version": content_version,
        "status": status,
        "roles": roles,
        "theme": DEMO_THEMES.get(slug, ""),
    }


PEER_AND_CLINICIAN = {"peer_specialist": 1, "clinician": 1}

COURSES = [
    STAYING_SAFE,
    _course(
        "introduction-to-recovery", "Introduction to Recovery",
        "A gentle four-week introduction to what recovery can mean, and a good first course if "
        "you are new to the Recovery Education Centre.",
        """\
Recovery means different things to different people. For many of us it is not about getting
rid of every symptom, but about building a life that feels meaningful and hopeful, with or
without ongoing mental health problems.

Over four weekly sessions we explore what recovery means to you, hear from peer trainers
about their own journeys, and look at the things that help people move forward: **hope,
control, opportunity and connection**.

It is a good place to start if you are new to the Recovery Education Centre, and it will
help you think about what to put in your personal learning plan.
""",
        [
            "What recovery can mean, and why it is different for everyone",
            "How hope, control and opportunity can help you move forward",
            "What helps you stay well, and what gets in the way",
            "How to set a small goal that matters to you",
            "Which other courses might suit you next",
        ],
        duration="Four weekly sessions, 10am to 12:30pm",
        roles=PEER_AND_CLINICIAN,
        coproduction=(
            "Written by peer trainers and a clinical psychologist, with ideas from students on "
            "earlier runs. Co-delivered by a peer trainer and a clinician."
        ),
        content_version=3,
    ),
    _course(
        "understanding-anxiety", "Understanding Anxiety",
        "A friendly one-day course about what anxiety is, why it happens and practical ways to "
        "live with it, shared by people who have been there.",
        """\
Everyone feels anxious sometimes. For some of us, anxiety becomes so strong or so constant
that it gets in the way of everyday life.

On this course we look at what anxiety is, what it does to our bodies and our thoughts, and
why it can be so hard to shake off. We share ideas that people have found helpful, from
breathing and grounding techniques to small, steady steps back towards the things anxiety
has taken away.

It is taught by a peer trainer who has lived with anxiety and a clinician from the trust.
""",
        [
            "What anxiety is and how it can affect your body, thoughts and behaviour",
            "Why anxiety can keep itself going, and ways to break the cycle",
            "Simple breathing and grounding techniques you can use anywhere",
            "How to take small steps towards things you have been avoiding",
            "Where to find more support if you need it",
        ],
        duration="One day, 10am to 3pm",
        roles=PEER_AND_CLINICIAN,
        coproduction=(
            "Co-produced with people who live with anxiety and the trust's talking therapies "
            "team. Co-delivered by a peer trainer and a clinician."
        ),
        content_version=2,
    ),
    _course(
        "understanding-depression", "Understanding Depression",
        "Four online sessions about depression: what it is, how it can affect your life, and "
        "the things that people find help.",
        """\
Depression is more than feeling sad. It can drain your energy, change how you sleep and eat,
and make everyday things feel impossible.

This online course looks at what depression is and what can help: the link between what we
do and how we feel, noticing unhelpful thinking patterns, and being kinder to ourselves. We
share what has helped people, including the small things.

Each session lasts two hours, with a break. You can join from home, with your camera on or off.
""",
        [
            "What depression is and the different ways it can affect people",
            "How activity, mood and energy are linked, and how small steps can lift your mood",
            "How to notice and question unhelpful thoughts",
            "Ways to look after yourself on difficult days",
            "How to talk to the people around you about how you feel",
            "Where to get support, including in a crisis",
        ],
        audience="uc", delivery=ONLINE,
        duration="Four weekly online sessions, 10am to midday",
        roles=PEER_AND_CLINICIAN,
        coproduction=(
            "Co-produced with people who have lived with depression and a mental health nurse. "
            "Co-delivered by a peer trainer and a clinician."
        ),
    ),
    _course(
        "hearing-voices", "Hearing Voices",
        "A one-day course for people who hear voices or see visions, the people who support "
        "them and staff, led by trainers who hear voices themselves.",
        """\
Many people hear voices, see visions or have other experiences that the people around them
do not share. For some these experiences are comforting; for others they can be frightening
or overwhelming.

This course offers a respectful, curious and hopeful way of understanding them. It draws on
the ideas of the Hearing Voices movement: that voices are real experiences, that they often
make sense in the context of a person's life, and that people can learn to live well with
them.

You do not need to share anything about your own experiences. Carers, family, friends and
staff are very welcome.
""",
        [
            "Different ways of understanding voices and visions",
            "Why voices can make sense in the context of someone's life",
            "Coping strategies that voice hearers have found helpful",
            "How to talk about voices with someone you support, or with your own care team",
            "Where to find hearing voices groups and other support",
        ],
        duration="One day, 10am to 3pm",
        roles={"peer_specialist": 2},
        coproduction=(
            "Co-produced with members of a local hearing voices group. Co-delivered by two peer "
            "trainers who hear voices themselves."
        ),
    ),
    _course(
        "living-well-with-bipolar", "Living Well with Bipolar",
        "Four weekly afternoon sessions sharing practical ways to understand your moods, spot "
        "early warning signs and stay well with bipolar.",
        """\
Living with bipolar can mean big changes in mood, energy and activity, and it can touch
every part of life: work, relationships, money and sleep.

This course brings together people with lived experience of bipolar and a clinician from the
trust to share what helps. We look at understanding your own patterns, noticing early
warning signs, routines that support wellbeing, and planning ahead with the people close
to you.

Family members and carers are welcome, with the person they support or on their own.
""",
        [
            "How bipolar can affect mood, energy, thinking and sleep",
            "How to keep track of your moods and notice your own patterns",
            "Early warning signs of highs and lows, and what to do about them",
            "Routines and habits that help many people stay well",
            "How to make a plan with the people who support you",
        ],
        audience="uc",
        duration="Four weekly sessions, 1:30pm to 3:30pm",
        roles=PEER_AND_CLINICIAN,
        coproduction=(
            "Co-produced with people who live with bipolar, their families and a consultant "
            "psychiatrist. Co-delivered by a peer trainer and a clinician."
        ),
    ),
    _course(
        "wrap", "Wellness Recovery Action Planning (WRAP)",
        "Write your own Wellness Recovery Action Plan over four weekly sessions, with peer "
        "trainers who use WRAP themselves.",
        """\
A Wellness Recovery Action Plan (WRAP) is a plan you write for yourself: what keeps you well,
and what to do when things get difficult. It was developed by people with lived experience of
mental health problems and is used all over the world.

Over four sessions, two WRAP facilitators with lived experience guide you through each part
of the plan: your wellness toolbox, daily maintenance, triggers, early warning signs, when
things are breaking down, and a crisis plan.

Your WRAP belongs to you. Nobody else needs to see it unless you choose to share it.
""",
        [
            "The key ideas behind WRAP: hope, personal responsibility, education, self-advocacy and support",
            "How to build a wellness toolbox of things that help you",
            "How to recognise your triggers and early warning signs, and plan how to respond",
            "How to write a crisis plan that tells others how to help you",
            "How to keep your WRAP up to date",
        ],
        duration="Four weekly sessions, 10am to 12:30pm",
        roles={"peer_specialist": 2},
        coproduction="Co-delivered by two trained WRAP facilitators, both with lived experience.",
    ),
    _course(
        "managing-stress", "Managing Stress",
        "An online morning about where stress comes from, how it affects us, and simple ways "
        "to manage it day to day.",
        """\
A bit of stress can help us get things done, but too much for too long wears us down and
can affect our mental and physical health.

In this online session we look at what stress is, how to spot the signs in yourself, and
practical ways to manage it: breathing and relaxation, planning, saying no, and looking
after the basics like sleep and food.

It is relaxed and practical, and you will leave with your own stress plan.
""",
        [
            "What stress is and how it affects the body and mind",
            "How to recognise your own signs of stress",
            "Quick techniques to calm down in the moment",
            "Ways to reduce pressure over time, including setting boundaries",
            "How to write a simple personal stress plan",
        ],
        delivery=ONLINE,
        duration="One morning online, 10am to 12:30pm",
        roles=PEER_AND_CLINICIAN,
        coproduction=(
            "Co-produced with students and the trust's staff wellbeing team. Co-delivered by a "
            "peer trainer and a clinician."
        ),
    ),
    _course(
        "sleep-and-wellbeing", "Sleep and Wellbeing",
        "An online session about why sleep matters for mental health, and realistic ways to "
        "sleep a little better.",
        """\
Poor sleep and mental health problems often go together. Worry, low mood and some medicines
can all disturb sleep, and poor sleep can make everything else harder.

This session explains how sleep works, what can get in the way, and small changes that many
people find helpful. We also talk about what to do on the nights when sleep just will not
come.

There are no rules you must follow: take away the ideas that suit your life.
""",
        [
            "How sleep works and why it matters for mental health",
            "Common things that disturb sleep, including worry, screens and shift work",
            "Changes to your routine and bedroom that can help",
            "What to do when you cannot sleep",
            "When and where to ask for more help with sleep",
        ],
        delivery=ONLINE,
        duration="One afternoon online, 1:30pm to 3:30pm",
        roles=PEER_AND_CLINICIAN,
        coproduction=(
            "Co-produced with students who have struggled with sleep and an occupational "
            "therapist. Co-delivered by a peer trainer and a clinician."
        ),
    ),
    _course(
        "caring-for-someone-with-a-mental-health-problem",
        "Caring for Someone with a Mental Health Problem",
        "Four online evening sessions for family, friends and carers: understanding mental "
        "health problems, coping together, and looking after yourself too.",
        """\
Supporting someone you care about through mental health problems can be rewarding, but it
can also be confusing, tiring and lonely.

This course is for carers, family members and friends. It is co-delivered by a carer peer
trainer, who has cared for a family member, and a social worker who knows how services work.
We look at:

- understanding common mental health problems and treatments
- talking and listening when things are difficult
- what to do in a crisis
- your rights as a carer, and how confidentiality and information sharing work
- just as importantly, looking after your own wellbeing

Sessions are in the evening, so you can join after work. You do not need to be a registered
carer.
""",
        [
            "A better understanding of common mental health problems and treatments",
            "Ways to talk and listen that can help when things are difficult",
            "What to do, and who to call, in a mental health crisis",
            "Your rights as a carer, including a carer's assessment",
            "How confidentiality and information sharing work",
            "How to look after your own wellbeing and find support for yourself",
        ],
        audience="c", delivery=ONLINE,
        duration="Four weekly online sessions, 6pm to 8pm",
        roles={"carer_peer": 1, "social_worker": 1},
        coproduction=(
            "Co-produced with the trust's carers' forum. Co-delivered by a carer peer trainer "
            "and a social worker."
        ),
    ),
    _course(
        "peer-support-skills", "Peer Support Skills",
        "Four weekly days for people with lived experience who want to use it to support "
        "others: as volunteers, peer workers or in everyday life.",
        """\
Peer support is support from someone who has been there. It is built on shared experience,
mutual respect and hope.

This course is for people with lived experience of mental health problems, as someone who
uses services or as a carer, who are thinking about using that experience to help others. We
cover listening skills, sharing your story safely and with purpose, boundaries, looking
after yourself, and the peer roles that exist in the trust and in the community.

Many of our own peer trainers started out on this course. It is a step towards peer work,
not a qualification, and there is no test.
""",
        [
            "What peer support is, and how it differs from other kinds of support",
            "Active listening skills and how to use them",
            "How to decide which parts of your story to share, when and why",
            "How to keep healthy boundaries and look after your own wellbeing",
            "The volunteer and paid peer roles available, and how to apply",
        ],
        audience="uc",
        duration="Four weekly days, 10am to 3pm",
        roles={"peer_specialist": 2},
        coproduction="Written and co-delivered by two peer specialists who work in the trust.",
    ),
    _course(
        "mental-health-awareness-for-staff", "Mental Health Awareness for Staff",
        "A one-day course for staff in any role, about mental health, recovery and stigma, and "
        "how to support the public and colleagues.",
        """\
This course is for staff in any role, clinical or not, in the trust and in partner
organisations such as the council, housing services and the police.

Taught by a peer trainer and a clinician together, it covers what mental health problems
are, the recovery approach, the effect of stigma and the words we use, and how to respond
with kindness when someone is struggling, whether a member of the public or a colleague.
You will hear first-hand what helped and what did not.

It also covers looking after your own mental health at work.
""",
        [
            "What common mental health problems are and how they can affect people",
            "What the recovery approach means and how it can shape your work",
            "How stigma and language affect people, and how to challenge stigma",
            "How to start a supportive conversation and where to signpost people",
            "How to look after your own wellbeing at work",
        ],
        audience="s",
        duration="One day, 9:30am to 4pm",
        roles=PEER_AND_CLINICIAN,
        accessibility=(
            "The Trust Learning Centre has step-free access, a lift to all floors, accessible "
            "toilets and a hearing loop. Tell us about any adjustments you need when you book.\n\n"
            "Time on this course counts as protected learning time: check with your manager."
        ),
        coproduction=(
            "Co-produced with peer trainers and the trust's learning and development team. "
            "Co-delivered by a peer trainer and a clinician."
        ),
    ),
    _course(
        "mindfulness-for-wellbeing", "Mindfulness for Wellbeing",
        "Four short online sessions introducing mindfulness: simple ways to notice the present "
        "moment and be a little kinder to yourself.",
        """\
Mindfulness means paying attention to what is happening right now, in your body, mind and
surroundings, with curiosity and without judging yourself.

Over four online sessions of an hour and a half, we try short, gentle practices together,
such as mindful breathing, a body scan and mindful walking, and talk about how to fit them
into everyday life. Each week you get a recording to practise with at home, if you want to.

Mindfulness is not for everyone, and it is fine to stop any practice or simply listen. If
you are going through a very difficult time, talk to us first and we will help you decide
whether now is the right time.
""",
        [
            "What mindfulness is, and what it is not",
            "Short breathing and body-based practices you can use any time",
            "How to notice thoughts and feelings without being carried away by them",
            "Ways to bring mindfulness into everyday activities",
            "How to build a practice that suits you",
        ],
        delivery=ONLINE,
        duration="Four weekly online sessions, 10am to 11:30am",
        roles={"peer_specialist": 1, "other": 1},
        coproduction=(
            "Co-delivered by a peer trainer and a qualified mindfulness teacher, and adapted "
            "with students for people living with mental health problems."
        ),
    ),
    _course(
        "confidence-and-self-esteem", "Confidence and Self-esteem",
        "A warm, practical one-day course about where low confidence comes from, and small "
        "steps to feel better about yourself.",
        """\
Many of us struggle with confidence or have a harsh inner critic, especially after a
difficult time or a period of poor mental health.

This course looks at how self-esteem develops, how it can be knocked, and practical ways to
build it back up: noticing your strengths, answering the inner critic, being assertive and
setting small goals you can reach.

It is a friendly group and nobody will be put on the spot.
""",
        [
            "What self-esteem and confidence are, and what affects them",
            "How to recognise and answer your inner critic",
            "How to notice and value your own strengths",
            "Simple assertiveness skills for everyday situations",
            "How to set small goals and build confidence step by step",
        ],
        audience="uc",
        duration="One day, 10am to 3pm",
        roles=PEER_AND_CLINICIAN,
        accessibility=(
            "The library meeting room is on the ground floor, with step-free access and an "
            "accessible toilet. There is a bus stop outside and free parking nearby.\n\n"
            "Handouts are available in large print and Easy Read: tell us when you book. You are "
            "welcome to bring a carer, support worker or friend."
        ),
        coproduction=(
            "Co-produced with students and an occupational therapist. Co-delivered by a peer "
            "trainer and a clinician."
        ),
    ),
    _course(
        "understanding-personality-disorder", "Understanding Personality Disorder",
        "A one-day course about the diagnosis of personality disorder: what it means, why it is "
        "debated, and what helps people live well.",
        """\
This course is being written with people who have been given a diagnosis of personality
disorder, carers and staff.

It will look at what the diagnosis means, why some people find it helpful and others do not,
and the things that help: understanding strong emotions, relationships, and getting the
right support.

We will add dates when the course is ready.
""",
        [
            "What a diagnosis of personality disorder means, and the debates around it",
            "Ways to understand and manage strong emotions",
            "What helps in relationships and in getting support",
        ],
        duration="One day, 10am to 3pm",
        roles=PEER_AND_CLINICIAN,
        coproduction="Being co-produced now with people with lived experience, carers and staff.",
        status=DRAFT,
    ),
    _course(
        "creative-writing-for-wellbeing", "Creative Writing for Wellbeing",
        "Four weekly workshops using poetry, short stories and journaling to express yourself "
        "and support your wellbeing. No writing experience needed.",
        """\
Writing can be a way to make sense of experiences, express feelings and simply enjoy being
creative. In these workshops we tried poetry, short stories and journaling together.

This course is no longer running. Students asked for a drop-in format instead.
""",
        [
            "Simple writing exercises to get started",
            "How to use journaling to support your wellbeing",
            "How to share your writing, if you want to",
        ],
        duration="Four weekly workshops, 1:30pm to 3:30pm",
        roles={"peer_specialist": 1, "other": 1},
        coproduction="Co-delivered by a peer trainer and a local writer.",
        status=ARCHIVED,
    ),
]


# --- Sessions -----------------------------------------------------------------------------

MON, TUE, WED, THU, FRI = range(5)


@dataclass(frozen=True)
class DemoSession:
    slug: str                    # the course
    week: int                    # weeks from this week: 1 is next week; < 0: in the past
    weekday: int                 # MON to FRI: each course has its own day, time and room
    start: time = time(10)
    end: time = time(15)
    weeks: int = 1               # weekly dates
    capacity: int = 12
    venue: str = ROOM_2          # "" for online sessions
    taken: int = 0               # demo students booked, in order; more than capacity: a waiting list
    opens_in_days: int | None = None  # booking opens later than today
    key: str = ""                # name used by DEMO_BOOKINGS
    # Set: the session is in the last term whose anonymous feedback has closed, this many
    # weeks after the term's first Monday (``week`` is then worked out: _closed_term_week).
    closed_term_week: int | None = None


HALF_DAY = {"start": time(10), "end": time(12, 30)}
AFTERNOON = {"start": time(13, 30), "end": time(15, 30)}
ONLINE_SESSION = {"venue": ""}

# A timetable over the next three months in which no room is double-booked.
SESSIONS = [
    # Staying Safe: one with places (the demo student has one), one full with a waiting list,
    # and one whose booking has not opened yet.
    DemoSession("staying-safe", 1, TUE, venue=ROOM_1, capacity=14, taken=9, key="staying-safe"),
    DemoSession("staying-safe", 6, TUE, venue=ROOM_1, capacity=14, taken=17),
    DemoSession("staying-safe", 11, TUE, venue=ROOM_1, capacity=14, opens_in_days=28),
    # A four-week course that has already run (the demo student came), and two more runs.
    DemoSession("introduction-to-recovery", -5, MON, weeks=4, taken=10, key="recovery-past", **HALF_DAY),
    DemoSession("introduction-to-recovery", 2, MON, weeks=4, taken=7, **HALF_DAY),
    DemoSession("introduction-to-recovery", 7, MON, weeks=4, taken=3, **HALF_DAY),
    # Full, and the demo student joins the waiting list (number 3 in line).
    DemoSession("understanding-anxiety", 1, THU, taken=14, key="anxiety-full"),
    DemoSession("understanding-anxiety", 6, THU, taken=6),
    DemoSession("understanding-anxiety", 11, THU, taken=1),
    DemoSession("understanding-depression", 2, WED, weeks=4, end=time(12), capacity=16, taken=9, **ONLINE_SESSION),
    DemoSession("understanding-depression", 8, WED, weeks=4, end=time(12), capacity=16, taken=2, **ONLINE_SESSION),
    DemoSession("hearing-voices", 3, THU, venue=ROOM_1, capacity=10, taken=10),  # full, nobody waiting
    DemoSession("hearing-voices", 9, THU, venue=ROOM_1, capacity=10, taken=2),
    DemoSession("living-well-with-bipolar", 3, WED, weeks=4, taken=8, **AFTERNOON),
    DemoSession("living-well-with-bipolar", 8, WED, weeks=4, **AFTERNOON),
    DemoSession("wrap", 2, MON, weeks=4, venue=ROOM_1, capacity=10, taken=12, **HALF_DAY),  # full, 2 waiting
    DemoSession("wrap", 7, MON, weeks=4, venue=ROOM_1, capacity=10, taken=4, **HALF_DAY),
    DemoSession("managing-stress", 1, FRI, capacity=16, taken=11, **HALF_DAY, **ONLINE_SESSION),
    DemoSession("managing-stress", 5, FRI, capacity=16, taken=5, **HALF_DAY, **ONLINE_SESSION),
    DemoSession("managing-stress", 10, FRI, capacity=16, **HALF_DAY, **ONLINE_SESSION),
    DemoSession("sleep-and-wellbeing", 2, THU, capacity=16, taken=6, **AFTERNOON, **ONLINE_SESSION),
    DemoSession("sleep-and-wellbeing", 7, THU, capacity=16, taken=1, **AFTERNOON, **ONLINE_SESSION),
    DemoSession("caring-for-someone-with-a-mental-health-problem", 1, TUE, weeks=4, start=time(18), end=time(20),
                taken=8, **ONLINE_SESSION),
    DemoSession("caring-for-someone-with-a-mental-health-problem", 7, TUE, weeks=4, start=time(18), end=time(20),
                taken=3, **ONLINE_SESSION),
    DemoSession("peer-support-skills", 3, FRI, weeks=4, taken=9),
    DemoSession("peer-support-skills", 9, FRI, weeks=4),
    DemoSession("mental-health-awareness-for-staff", 2, TUE, start=time(9, 30), end=time(16), venue=LEARNING_CENTRE,
                capacity=16, taken=6),
    DemoSession("mental-health-awareness-for-staff", 8, TUE, start=time(9, 30), end=time(16),
                venue=LEARNING_CENTRE, capacity=16, taken=2),
    DemoSession("mindfulness-for-wellbeing", 2, FRI, weeks=4, start=time(13, 30), end=time(15), capacity=14,
                taken=7, key="mindfulness", **ONLINE_SESSION),
    DemoSession("mindfulness-for-wellbeing", 8, FRI, weeks=4, start=time(13, 30), end=time(15), capacity=14,
                taken=1, **ONLINE_SESSION),
    DemoSession("confidence-and-self-esteem", 4, WED, venue=LIBRARY, taken=13),  # full, 1 waiting
    DemoSession("confidence-and-self-esteem", 10, WED, venue=LIBRARY, taken=2),
    # Staying Safe ran twice recently, for former students (FORMER_RUNS), and was reviewed
    # between the two runs (rec_portal/feedback/demo.py).
    DemoSession("staying-safe", -10, TUE, venue=ROOM_1, capacity=14, key="staying-safe-first"),
    DemoSession("staying-safe", -3, TUE, venue=ROOM_1, capacity=14, key="staying-safe-second"),
    # And twice in an earlier term whose feedback has closed, whatever the day the demo is
    # loaded, so that the feedback dashboard shows that term's pool of anonymous answers.
    DemoSession("staying-safe", 0, TUE, venue=ROOM_1, capacity=14, key="staying-safe-earlier-1",
                closed_term_week=5),
    DemoSession("staying-safe", 0, TUE, venue=ROOM_1, capacity=14, key="staying-safe-earlier-2",
                closed_term_week=9),
]

# Bookings for the demo logins, made after the other students': (email, session key).
DEMO_BOOKINGS = [
    (DEMO_STUDENT, "staying-safe"),       # a confirmed place
    (DEMO_STUDENT, "anxiety-full"),       # the waiting list of a full session
    (DEMO_STUDENT, "recovery-past"),      # a past course they came to
    (DEMO_FACILITATOR, "mindfulness"),    # facilitators are students too
]


def closed_term(now: datetime) -> Term:
    """The last term whose anonymous feedback pools have closed at ``now``: the term has
    ended and feedback on a session in it can no longer be given (feedback/window.py; the
    pools of feedback/queries.py close then). The term before this one once feedback
    has closed on it (``REC_FEEDBACK_OPEN_DAYS`` after it ended), else the one before that."""
    from rec_portal.feedback import window

    term = term_of(uk_today(now)).previous()
    while now < window.closes_at(term.end - timedelta(days=1)):
        term = term.previous()
    return term


def _closed_term_week(today: date, now: datetime, weeks_in: int) -> int:
    """The week (from this week) that is ``weeks_in`` weeks after the first Monday of
    :func:`closed_term`: well inside the term (terms are four months long)."""
    start = closed_term(now).start
    first_monday = start + timedelta(days=(7 - start.weekday()) % 7)
    this_monday = today - timedelta(days=today.weekday())
    return (first_monday - this_monday).days // 7 + weeks_in


def _course_days(today: date, spec: DemoSession) -> list[date]:
    """The weekly dates of a session. The centre is closed from Christmas Eve to New Year's
    Day: a date that falls then moves on a week."""
    day = today - timedelta(days=today.weekday()) + timedelta(weeks=spec.week, days=spec.weekday)
    days = []
    while len(days) < spec.weeks:
        if not ((day.month == 12 and day.day >= 24) or (day.month == 1 and day.day == 1)):
            days.append(day)
        day += timedelta(weeks=1)
    return days


def _online_details(slug: str, n: int) -> str:
    code = f"{(n * 7919) % 1000:03d} {(n * 104729) % 1000:03d}"
    return (
        f"Online on Microsoft Teams. Join with this link: https://meet.example.org/rec/{slug}-{n}\n"
        "You can join from a computer, tablet or phone, with your camera on or off. To join by "
        f"phone only, call 0113 496 0000 and enter the code {code}."
    )


# --- Loading ------------------------------------------------------------------------------

@dataclass
class DemoReport:
    """What one run added."""

    accounts: int = 0
    courses: int = 0
    sessions: int = 0
    bookings: int = 0
    other: int = 0  # plans, safety plans, support guide entries ...

    def summary(self) -> str:
        if not (self.accounts or self.courses or self.sessions or self.bookings or self.other):
            return "Demo data already loaded: nothing new to add."
        return (
            f"Demo data loaded: {self.accounts} new accounts, {self.courses} courses, "
            f"{self.sessions} sessions, {self.bookings} bookings, {self.other} other records."
        )


def load_demo_data(now: datetime | None = None) -> DemoReport:
    """Add whatever demo data is missing. Flushes; the caller commits."""
    now = now or utcnow()
    report = DemoReport()
    users = _ensure_accounts(report)
    _ensure_profiles(users, report)
    courses = _ensure_courses(report)
    sessions = _schedule_sessions(courses, now, report)
    _book(sessions, users, now, report)
    _feature_demos(users, report)
    return report


def _feature_demos(users: dict[str, User], report: DemoReport) -> None:
    """Each feature's own demo data (support guide first: safety plans pick from it)."""
    from rec_portal.attendance.demo import load_demo as attendance_demo
    from rec_portal.facilitation.demo import load_demo as facilitation_demo
    from rec_portal.feedback.demo import load_demo as feedback_demo
    from rec_portal.outcomes.demo import load_demo as outcomes_demo
    from rec_portal.plans.demo import load_demo as plans_demo
    from rec_portal.reports.demo import load_demo as reports_demo
    from rec_portal.rosters.demo import load_demo as rosters_demo
    from rec_portal.safety_plans.demo import load_demo as safety_demo
    from rec_portal.support.demo import load_demo as support_demo
    from rec_portal.workshops.demo import load_demo as workshops_demo

    courses = {c.slug: c for c in db.session.execute(select(Course)).scalars()}
    # Rosters before attendance (registers are taken by the rostered facilitators).
    # Feedback last: it is given on sessions whose registers are taken.
    for load in (support_demo, plans_demo, safety_demo, rosters_demo, facilitation_demo,
                 attendance_demo, feedback_demo, reports_demo, outcomes_demo,
                 workshops_demo):
        report.other += load(users, courses)


def _ensure_accounts(report: DemoReport) -> dict[str, User]:
    """Every demo account by email, creating the ones that are missing."""
    wanted = [(email, name, preferred, roles) for email, name, preferred, roles in DEMO_ACCOUNTS]
    wanted += [(student_email(name), name, preferred, (STUDENT,)) for name, preferred in DEMO_STUDENTS]
    wanted += [(student_email(name), name, preferred, (STUDENT,)) for name, preferred in DEMO_FORMER_STUDENTS]
    emails = [email for email, *_ in wanted]
    users = {
        u.email: u for u in db.session.execute(select(User).where(User.email.in_(emails))).scalars()
    }
    # One hash for every new demo account: the password is the same (and public), and
    # Argon2 at its real cost takes a quarter of a second per hash.
    password_hash = None
    for email, full_name, preferred, roles in wanted:
        if email in users:
            continue
        password_hash = password_hash or hash_password(DEMO_PASSWORD)
        user = User(
            email=email,
            full_name=full_name,
            preferred_name=preferred,
            # Deliberately weak, well-known demo password: not checked against the rules.
            password_hash=password_hash,
            privacy_consent_at=utcnow(),
        )
        user.roles = [UserRole(role=r) for r in roles]
        db.session.add(user)
        users[email] = user
        report.accounts += 1
    db.session.flush()
    return users


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


def _ensure_profiles(users: dict[str, User], report: DemoReport) -> None:
    """Enrolment details for demo accounts that have none (the demo student's are fuller)."""
    from rec_portal.models import StudentProfile

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
        report.other += 1
    db.session.flush()


def _ensure_courses(report: DemoReport) -> dict[str, Course]:
    """The demo courses created by this run, by slug (existing slugs are left alone)."""
    slugs = [spec["slug"] for spec in COURSES]
    existing = set(db.session.execute(select(Course.slug).where(Course.slug.in_(slugs))).scalars())
    created = {}
    for spec in COURSES:
        if spec["slug"] in existing:
            continue
        fields = dict(spec)
        slug, roles, status = fields.pop("slug"), fields.pop("roles"), fields.pop("status")
        course = save_course(None, slug=slug, roles=roles, **fields)
        if status != DRAFT:
            set_course_status(course, status)
        created[slug] = course
        report.courses += 1
    return created


def _schedule_sessions(
    courses: dict[str, Course], now: datetime, report: DemoReport
) -> list[tuple[DemoSession, CourseSession]]:
    """Sessions of the courses created by this run."""
    today = uk_today(now)
    scheduled = []
    for n, spec in enumerate(SESSIONS, start=1):
        course = courses.get(spec.slug)
        if course is None:
            continue
        if spec.closed_term_week is not None:
            spec = replace(spec, week=_closed_term_week(today, now, spec.closed_term_week))
        days = _course_days(today, spec)
        opens = (
            uk_to_utc(today + timedelta(days=spec.opens_in_days), time(9))
            if spec.opens_in_days is not None else None
        )
        session = schedule_session(
            course,
            dates=[DateRange(uk_to_utc(d, spec.start), uk_to_utc(d, spec.end)) for d in days],
            capacity=spec.capacity,
            venue=spec.venue,
            online_details="" if spec.venue else _online_details(spec.slug, n),
            booking_opens_at=opens,
            # Booking closes at 5pm the day before the first date.
            booking_closes_at=uk_to_utc(days[0] - timedelta(days=1), time(17)),
            allow_past=True,  # the demo's history: sessions that ran before today
        )
        if spec.week < 0:
            session.status = COMPLETED
        scheduled.append((spec, session))
        report.sessions += 1
    db.session.flush()
    return scheduled


def _book(
    sessions: list[tuple[DemoSession, CourseSession]],
    users: dict[str, User],
    now: datetime,
    report: DemoReport,
) -> None:
    crowd = [
        users[student_email(name)] for name, _ in DEMO_STUDENTS
        if users[student_email(name)].active
    ]
    admin = users[DEMO_ADMIN]
    rotation = itertools.cycle(crowd)
    # Nobody books two runs of one course, or two sessions at the same time.
    on_course: dict[str, set[int]] = defaultdict(set)
    busy: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    phone_booking = itertools.count(1)

    def free(student: User, session: CourseSession) -> bool:
        return not any(
            start < d.ends_at and d.starts_at < end
            for start, end in busy[student.id] for d in session.dates
        )

    for spec, session in sessions:
        picked: list[User] = []
        for _ in range(2 * len(crowd)):  # at most twice round everyone
            if len(picked) >= spec.taken:
                break
            student = next(rotation)
            if student.id not in on_course[spec.slug] and free(student, session):
                picked.append(student)
                on_course[spec.slug].add(student.id)
                busy[student.id] += [(d.starts_at, d.ends_at) for d in session.dates]
        for student in picked:
            if session.starts_at <= now:
                _add_past_booking(session, student)
            else:
                # Every fifth place was booked by the REC team over the phone.
                made_by = admin if next(phone_booking) % 5 == 0 else None
                book_place(session.id, student, made_by=made_by, confirm_overlap=True, now=now)
            report.bookings += 1

    by_key = {spec.key: session for spec, session in sessions if spec.key}
    for email, key in DEMO_BOOKINGS:
        session, user = by_key.get(key), users.get(email)
        if session is None or user is None or not user.active:
            continue
        if session.starts_at <= now:
            _add_past_booking(session, user)
        else:
            book_place(session.id, user, confirm_overlap=True, now=now)
        report.bookings += 1

    came_to = [key for key, count in FORMER_RUNS for _ in range(count)]
    for (name, _), key in zip(DEMO_FORMER_STUDENTS, came_to, strict=True):
        session, user = by_key.get(key), users.get(student_email(name))
        if session is not None and user is not None and session.starts_at <= now:
            _add_past_booking(session, user)
            report.bookings += 1

    # People change their plans: on every third session someone else booked a place and
    # cancelled it, and on sessions with a waiting list one more person joined it and left.
    for n, (spec, session) in enumerate(sessions):
        if session.status == SESSION_CANCELLED or (session.booking_opens_at and session.booking_opens_at > now):
            continue
        on_it = set(db.session.execute(select(Booking.student_id).where(Booking.session_id == session.id)).scalars())
        changes = ([True] if n % 3 == 0 else []) + ([False] if spec.taken > session.capacity else [])
        for had_place in changes:
            student = next((s for s in itertools.islice(rotation, len(crowd)) if s.id not in on_it), None)
            if student is None:
                break
            on_it.add(student.id)
            _add_cancelled_booking(session, student, now, had_place=had_place)
            report.bookings += 1


def _add_booking_row(session: CourseSession, student: User, status: str, queued_at: datetime,
                     confirmed_at: datetime | None, cancelled_at: datetime | None = None) -> None:
    """A booking the student made themselves, written directly (``book_place`` would email
    them, and rightly refuses past sessions)."""
    db.session.add(
        Booking(
            session_id=session.id, student_id=student.id, status=status, made_by=MADE_BY_SELF,
            made_by_user_id=student.id, queued_at=queued_at, confirmed_at=confirmed_at,
            cancelled_at=cancelled_at,
        )
    )
    db.session.flush()


def _add_cancelled_booking(session: CourseSession, student: User, now: datetime, *, had_place: bool) -> None:
    """A place (or a waiting-list place) the student asked for and cancelled: two weeks
    before a past session and four days later; on an upcoming session (scheduled just now,
    by the demo), just now. Nobody is emailed and no waiting list moves."""
    if session.starts_at <= now:
        asked = session.starts_at - timedelta(days=14)
        cancelled = asked + timedelta(days=4)
    else:
        asked = cancelled = now
    _add_booking_row(session, student, BOOKING_CANCELLED, asked, asked if had_place else None, cancelled)


def _add_past_booking(session: CourseSession, student: User) -> None:
    """A place on a session that has already run, booked three weeks before it started."""
    booked_at = session.starts_at - timedelta(days=21)
    _add_booking_row(session, student, CONFIRMED, booked_at, booked_at)
