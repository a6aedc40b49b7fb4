"""Plain words for the specialist terms course pages use (issue 19): "What these words
mean" on a course page lists each term its text uses, explained for a reading age of
about 9 to 11 (short sentences, everyday words). A test keeps every meaning at that level."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Word:
    term: str  # as the list shows it
    forms: tuple[str, ...]  # the ways a page may write it (matched as whole words, any case)
    meaning: str


WORDS = (
    Word("Mate crime", ("mate crime",),
         "When someone acts like your friend, but only to use you. They may take your money, "
         "use your home or make you do things you do not want to do."),
    Word("Cuckooing", ("cuckooing",),
         "When someone takes over your home without asking you. It is often to sell drugs from it. "
         "They may be kind to you at first."),
    Word("Scam", ("scam", "scams"),
         "A trick to get your money or your details. It can come by phone, letter, text or email."),
    Word("Co-produced", ("co-produced", "coproduced", "co-production", "coproduction"),
         "Made together. People who use services, carers and staff planned and wrote the course "
         "as one team."),
    Word("Co-delivered", ("co-delivered", "codelivered"),
         "Taught together. Two or more trainers run each session side by side."),
    Word("Peer trainer", ("peer trainer", "peer trainers", "peer specialist", "peer specialists"),
         "A trainer who has lived with mental health problems. They use what they learned to "
         "help other people."),
    Word("Carer peer", ("carer peer", "carer peers"),
         "A trainer who has looked after someone close to them, like a parent or a friend. "
         "That person has or had mental health problems."),
    Word("Lived experience", ("lived experience",),
         "What you learn from your own life. It may be from having mental health problems, or "
         "from caring for someone who has them."),
    Word("Personal narrative", ("personal narrative", "personal narratives"),
         "A true story a trainer tells about their own life."),
    Word("Police mental health co-ordinator", ("mental health co-ordinator", "mental health coordinator"),
         "A police officer whose job is to help people with mental health problems. They know how "
         "the police can help you."),
)

_PATTERNS = [(w, re.compile(r"(?<![\w-])(" + "|".join(re.escape(f) for f in w.forms) + r")(?![\w-])",
                            re.IGNORECASE)) for w in WORDS]


def words_used(*texts: str) -> list[Word]:
    """The words of WORDS that any of ``texts`` uses, in WORDS' order."""
    text = "\n".join(t for t in texts if t)
    return [word for word, pattern in _PATTERNS if pattern.search(text)]


def course_words(course, role_labels: list[str]) -> list[Word]:
    """The words a course page uses: its own texts and the facilitator roles it lists."""
    return words_used(course.title, course.summary, course.description, course.learning_outcomes,
                      course.what_to_expect, course.accessibility, course.coproduction_note,
                      "co-delivered" if role_labels else "", *role_labels)
