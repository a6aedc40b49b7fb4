"""Demo data for the support guide (loaded by rec_portal/demo/__init__.py). Idempotent: adds only
what is missing (matched by name). Flushes; the caller commits.

The national services are real, with their well-known public contact details; each
description asks people to check the details on the organisation's website. The local
ones are made up: their names end with "(example)", their phone numbers are in Ofcom's
range for drama (01632 960000 to 960999) and their websites are on example.org.
"""

from __future__ import annotations

from sqlalchemy import func, select

from rec_portal.extensions import db
from rec_portal.models import SupportService, SupportServiceNeed
from rec_portal.timeutil import utcnow

CHECK = "Details can change, so please check them on their website."
MADE_UP = "This is a made-up example, to show how a local service appears in the guide."

SERVICES: list[dict] = [
    {
        "name": "Police: emergency (999)",
        "needs": ["victims_of_crime", "hate_crime", "domestic_abuse", "sexual_violence"],
        "description": (
            "Call 999 if someone is in danger or hurt, or a crime is happening now. Ask for the "
            "police, or for an ambulance if someone is hurt.\n\n"
            "If you are deaf, hard of hearing or cannot speak on the phone, you can text 999 once "
            "you have registered for the emergency SMS service. To register, text the word "
            f"register to 999.\n\n{CHECK}"
        ),
        "phone": "999",
        "website": "https://www.police.uk",
        "opening_hours": "24 hours a day, every day",
        "area": "UK",
        "emergency": True,
    },
    {
        "name": "Police: non-emergency (101)",
        "needs": ["victims_of_crime", "hate_crime"],
        "description": (
            "Call 101 to report a crime or get advice from the police when it is not an "
            "emergency, for example if something was stolen, or to tell the police about "
            "something that has already happened. Many crimes can also be reported online "
            f"through your local police force’s website.\n\n{CHECK}"
        ),
        "phone": "101",
        "website": "https://www.police.uk",
        "opening_hours": "24 hours a day, every day",
        "area": "UK",
    },
    {
        "name": "Victim Support Supportline",
        "needs": ["victims_of_crime", "hate_crime", "domestic_abuse"],
        "description": (
            "Free, confidential support for anyone affected by crime, whether or not it was "
            "reported to the police and however long ago it happened. You can also talk to "
            f"them by live chat on their website.\n\n{CHECK}"
        ),
        "phone": "08 08 16 89 111",
        "website": "https://www.victimsupport.org.uk",
        "opening_hours": "Free, 24 hours a day, 7 days a week",
        "area": "England and Wales",
    },
    {
        "name": "Samaritans",
        "needs": ["mental_health_crisis"],
        "description": (
            "Talk to someone about anything that is troubling you, whatever you are going "
            "through. Calls are free, and you do not have to be suicidal to call. You can also "
            f"email jo@samaritans.org.\n\n{CHECK}"
        ),
        "phone": "116 123",
        "website": "https://www.samaritans.org",
        "opening_hours": "Free, 24 hours a day, every day of the year",
        "area": "UK and Ireland",
        "emergency": True,
    },
    {
        "name": "NHS 111: mental health option",
        "needs": ["mental_health_crisis"],
        "description": (
            "If you need urgent help for your mental health, or you are worried about someone "
            "else, call 111 and choose the mental health option to be put through to your local "
            "NHS mental health crisis service. It is free. If someone’s life is at risk, call "
            f"999.\n\n{CHECK}"
        ),
        "phone": "111",
        "website": "https://111.nhs.uk",
        "opening_hours": "24 hours a day, 7 days a week",
        "area": "England",
        "emergency": True,
    },
    {
        "name": "Mind Infoline",
        "needs": ["advocacy"],
        "description": (
            "Information about mental health problems, treatments, your rights and where to "
            "get help near you, including advocacy. It is not a crisis line: if you need help "
            f"now, call Samaritans on 116\u00a0123 or NHS\u00a0111.\n\n{CHECK}"
        ),
        "phone": "0300 123 3393",
        "website": "https://www.mind.org.uk",
        "opening_hours": "Monday to Friday, 9am to 6pm (not bank holidays)",
        "area": "England and Wales",
    },
    {
        "name": "National Domestic Abuse Helpline",
        "needs": ["domestic_abuse"],
        "description": (
            "Free, confidential support for anyone experiencing domestic abuse, and for "
            "friends, family and others who are worried about someone. Run by Refuge. Their "
            f"website also explains other safe ways to get in touch.\n\n{CHECK}"
        ),
        "phone": "0808 2000 247",
        "website": "https://www.nationaldahelpline.org.uk",
        "opening_hours": "Free, 24 hours a day, 7 days a week",
        "area": "England",
    },
    {
        "name": "Rape Crisis 24/7 Support Line",
        "needs": ["sexual_violence"],
        "description": (
            "Free, confidential support for anyone aged 16 or over who has been affected by "
            "rape, sexual assault, sexual abuse or any kind of sexual violence, however long "
            f"ago it happened. You can also use online chat on their website.\n\n{CHECK}"
        ),
        "phone": "0808 500 2222",
        "website": "https://rapecrisis.org.uk",
        "opening_hours": "Free, 24 hours a day, 7 days a week",
        "area": "England and Wales",
    },
    {
        "name": "Crimestoppers",
        "needs": ["victims_of_crime"],
        "description": (
            "Tell them what you know about a crime without giving your name, by phone or with "
            "the form on their website. They never ask for your name. It is not for "
            f"emergencies: in an emergency, call 999.\n\n{CHECK}"
        ),
        "phone": "0800 555 111",
        "website": "https://crimestoppers-uk.org",
        "opening_hours": "24 hours a day, every day of the year",
        "area": "UK",
    },
    {
        "name": "True Vision: report hate crime online",
        "needs": ["hate_crime"],
        "description": (
            "Report hate crime to the police online, without going to a police station. A "
            "hate crime is a crime against someone because of hostility or prejudice towards "
            "their disability, race, religion, sexual orientation or transgender identity. The "
            f"website also explains where to get support.\n\n{CHECK}"
        ),
        "phone": "",
        "website": "https://www.report-it.org.uk",
        "opening_hours": "Report online at any time",
        "area": "England, Wales and Northern Ireland",
    },
    {
        "name": "Shelter helpline",
        "needs": ["housing"],
        "description": (
            "Free advice if you are homeless, might lose your home, or have a problem with "
            "your housing. Their website has advice about your housing rights and the times "
            f"the helpline is open.\n\n{CHECK}"
        ),
        "phone": "0808 800 4444",
        "website": "https://www.shelter.org.uk",
        "opening_hours": "See the website for opening times",
        "area": "England",
    },
    # Made-up local services.
    {
        "name": "Anytown Advocacy Hub (example)",
        "needs": ["advocacy", "victims_of_crime"],
        "description": (
            f"{MADE_UP}\n\nAn independent advocate can help you say what you want, understand "
            "your rights and be heard, for example in meetings about your care, or if you are "
            "going to court as a witness."
        ),
        "phone": "01632 960 100",
        "website": "https://advocacy.example.org",
        "opening_hours": "Monday to Friday, 10am to 4pm",
        "area": "Anytown",
    },
    {
        "name": "Anytown Hate Crime Reporting Centre (example)",
        "needs": ["hate_crime", "victims_of_crime"],
        "description": (
            f"{MADE_UP}\n\nA third-party reporting centre at the community library: trained "
            "volunteers help you report a hate crime to the police, or record what happened "
            "without your name if you prefer."
        ),
        "phone": "01632 960 200",
        "website": "https://hatecrime.example.org",
        "opening_hours": "Wednesdays, 11am to 3pm",
        "area": "Anytown",
    },
    {
        "name": "Anytown Crisis Café (example)",
        "needs": ["mental_health_crisis"],
        "description": (
            f"{MADE_UP}\n\nA calm, welcoming place to go in the evening when you are "
            "struggling, instead of A&E. No appointment needed. Peer workers and mental "
            "health staff are there to listen and help you plan the next steps."
        ),
        "phone": "01632 960 300",
        "website": "https://crisiscafe.example.org",
        "opening_hours": "Every evening, 6pm to 11pm",
        "area": "Anytown",
    },
    {
        "name": "Anytown Housing Advice Drop-in (example)",
        "needs": ["housing"],
        "description": (
            f"{MADE_UP}\n\nFree advice about renting, repairs, and what to do if you might lose "
            "your home."
        ),
        "phone": "01632 960 400",
        "website": "https://housing.example.org",
        "opening_hours": "Tuesdays and Thursdays, 1pm to 4pm",
        "area": "Anytown",
        "retired": True,
    },
]


def load(users: dict, courses: dict) -> int:
    """Returns how many rows it added. `users` maps email -> User for every demo account;
    `courses` maps slug -> Course for every demo course."""
    have = set(db.session.execute(select(func.lower(SupportService.name))).scalars())
    added = 0
    for spec in SERVICES:
        if spec["name"].lower() in have:
            continue
        fields = {k: v for k, v in spec.items() if k not in ("needs", "retired")}
        service = SupportService(**fields)
        service.needs = [SupportServiceNeed(need=code) for code in spec["needs"]]
        if spec.get("retired"):
            service.retired_at = utcnow()
        db.session.add(service)
        added += 1
    db.session.flush()
    return added
