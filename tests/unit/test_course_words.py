"""The plain words on course pages (catalogue/words.py): found as whole words in any case,
and each meaning written for a reading age of about 9 to 11."""

from __future__ import annotations

import re

from rec_portal.catalogue.words import WORDS, words_used


def _syllables(word: str) -> int:
    word = word.lower().strip(".,;:'\"()")
    groups = re.findall(r"[aeiouy]+", word)
    count = len(groups) - (1 if word.endswith("e") and not word.endswith(("le", "ee")) and len(groups) > 1 else 0)
    return max(count, 1)


def _grade(text: str) -> float:
    """Flesch-Kincaid grade level (US school grade; add 5 for the reading age)."""
    sentences = max(len(re.findall(r"[.!?]", text)), 1)
    words = text.split()
    syllables = sum(_syllables(w) for w in words)
    return 0.39 * len(words) / sentences + 11.8 * syllables / len(words) - 15.59


def test_each_meaning_is_for_a_reading_age_of_about_9_to_11():
    for word in WORDS:
        grade = _grade(word.meaning)
        assert grade <= 6.0, (word.term, round(grade, 1))  # reading age 11 or under
        assert all(len(s.split()) <= 20 for s in re.split(r"[.!?]", word.meaning)), word.term


def test_words_are_found_as_words_in_any_case():
    found = words_used("Spot the warning signs of scams, \"Mate crime\" and CUCKOOING.",
                       "Staying Safe was co-produced by people with lived experience.")
    assert [w.term for w in found] == ["Mate crime", "Cuckooing", "Scam", "Co-produced", "Lived experience"]
    assert words_used("A roommate crime drama", "scampi", "not-co-produced-here") == []
