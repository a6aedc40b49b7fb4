"""Demo courses: Staying Safe and 14 others (one draft, one archived), each with its
description, learning outcomes, co-delivery roles and prospectus theme, made by the
scheduling feature's own ``save_course``."""

from __future__ import annotations

from sqlalchemy import select

from rec_portal.extensions import db
from rec_portal.models import Course
from rec_portal.models.courses import ARCHIVED, DRAFT, IN_PERSON, ONLINE, PUBLISHED
from rec_portal.scheduling.operations import save_course, set_course_status

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
    "for_service_users": True, "for_carers": True, "for_staff": True,  # REC courses are open to all three
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


def ensure_courses() -> dict[str, Course]:
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
    return created
