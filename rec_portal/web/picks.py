"""What a person has ticked on a list that spans several pages, kept in their session
while they move between the pages, so the ticks make one selection (the feedback
dashboard's "Add to a review": comments on page 1 and page 3 go into one review).

One list at a time (keeping a list drops any other: the session is a cookie, about 4 KB at
most), only ids (never text), at most ``LIMIT`` values; dropped once the selection has been
used (``clear``) or when the person signs out (the session ends)."""

from __future__ import annotations

from flask import session

KEY = "picks"
LIMIT = 50


def kept(name: str) -> dict[str, list[str]]:
    """{field name: [values]} kept for the list ``name`` (empty when nothing is)."""
    return dict(session.get(KEY, {}).get(name, {}))


def keep(name: str, chosen: dict[str, list[str]]) -> bool:
    """Keep ``chosen`` as the list ``name`` (empty values dropped, each value kept once), in
    place of whatever was kept before. False if some were left out (over LIMIT)."""
    room, clean = LIMIT, {}
    for field, values in chosen.items():
        unique = list(dict.fromkeys(v.strip()[:40] for v in values if v and v.strip()))[:room]
        room -= len(unique)
        if unique:
            clean[field] = unique
    session[KEY] = {name: clean} if clean else {}
    return sum(len(set(v for v in values if v and v.strip())) for values in chosen.values()) <= LIMIT


def clear(name: str) -> None:
    everything = dict(session.get(KEY, {}))
    if everything.pop(name, None) is not None:
        session[KEY] = everything


def course_feedback(course_id: int) -> str:
    """The name of a course's feedback dashboard selection (kept by feedback_review, used
    and cleared by content_reviews)."""
    return f"course-feedback-{course_id}"
