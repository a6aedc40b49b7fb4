"""Small numbers are held back: the one rule, used by every staff figure.

1. Primary: a count of people (or of responses, or of answers) from 1 to 7 is held back,
   and so is every figure worked out from one (a rate, an average, a distribution).
   0 is shown: it singles nobody out. 8 or more (:data:`SMALL_NUMBER`) is shown.
2. Complementary: whatever would let a held-back figure be worked out from totals or from
   the other shown figures is held back as well.
   - :func:`hold_more`: a table's rows against a total shown elsewhere: while the held-back
     rows add up to 1 to 7, the next smallest shown row is held back too.
   - :func:`suppress`: a table with several equations (``total = part + part + ...``, in
     rows, columns and across time): no equation has exactly one held-back member, and
     when its total is shown its held-back parts never add up to 1 to 7.
   - :class:`Guard`: a table's rows against a shown total (as :func:`hold_more`), and a
     figure over a chosen set of rows compared with the total and with the rows.

Each feature describes its own tables (which figures add up to which); this module decides
what is held back.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

SMALL_NUMBER = 8  # counts from 1 to SMALL_NUMBER - 1 are held back; 0 and SMALL_NUMBER or more are shown

FEWER = f"fewer than {SMALL_NUMBER}"  # a count of 1 to 7, where its reason may be given
HELD_BACK = "not shown"  # a figure held back for either reason (telling which could give it away)


def is_small(count: int) -> bool:
    """Rule 1: a count of 1 to 7, held back."""
    return 0 < count < SMALL_NUMBER


def enough(count: int) -> bool:
    """Rule 1, for a figure worked out from ``count`` people (a rate, an average): shown
    only from at least ``SMALL_NUMBER``."""
    return count >= SMALL_NUMBER


def count_text(count: int, noun: str, none: str) -> str:
    """A count as staff read it: ``none`` for 0, 'Fewer than 8 <noun>' from 1 to 7 (rule 1),
    otherwise '1,234 <noun>'."""
    if not count:
        return none
    if is_small(count):
        return f"{FEWER[:1].upper()}{FEWER[1:]} {noun}"
    return f"{count:,} {noun}"


def held_counts(counts: Mapping[Hashable, int]) -> set:
    """Rule 1 over a table's rows: the keys whose count is 1 to 7."""
    return {k for k, n in counts.items() if is_small(n)}


def hold_more(counts: Mapping[Hashable, int], held: Iterable[Hashable]) -> set:
    """Rule 2 for a table's rows against a shown total: ``counts`` gives each row its
    count (in table order) and ``held`` the rows already held back. While the held-back
    rows come to 1 to 7, hold back the next smallest shown row (the earliest of equal ones)
    as well. Rows with no count are never added: they would not help."""
    held = set(held)
    total = sum(counts[k] for k in held)
    for key in sorted((k for k in counts if k not in held and counts[k] > 0), key=lambda k: counts[k]):
        if not is_small(total):
            break
        held.add(key)
        total += counts[key]
    return held


@dataclass(frozen=True)
class Guard:
    """One figure's rules over a table's rows (sessions, say) whose total is shown: ``counts``
    gives every row (in table order) its count for the figure (responses, or answers to one
    question)."""

    counts: Mapping[Hashable, int]
    held: frozenset  # the rows held back in the table (rules 1 and 2: :func:`hold_more`)

    @classmethod
    def over(cls, counts: Mapping[Hashable, int]) -> Guard:
        return cls(counts, frozenset(hold_more(counts, held_counts(counts))))

    def row(self, key: Hashable) -> bool:
        """Whether the row may show this figure."""
        return key not in self.held

    def selection(self, keys: set) -> bool:
        """Whether a figure over these rows together (a filtered view) may be shown, when the
        total and the rows are shown elsewhere: the selection counts at least
        ``SMALL_NUMBER``, the rest none or at least ``SMALL_NUMBER``, and it holds none or all
        of the held-back rows (so the selection minus its shown rows never gives a part of
        the held-back ones)."""
        n = sum(self.counts.get(k, 0) for k in keys)
        rest = sum(self.counts.values()) - n
        inside = self.held & keys
        return enough(n) and (rest == 0 or enough(rest)) and (not inside or inside == self.held)


Group = tuple[Hashable, Sequence[Hashable]]  # (total, parts): total = part + part + ...


def _violation(values: Mapping, hidden: set, total, parts) -> bool:
    members = [total, *parts]
    held = [m for m in members if m in hidden]
    if len(held) == 1:
        return True
    if total not in hidden:
        held_sum = sum(values[p] for p in parts if p in hidden)
        if is_small(held_sum):
            return True
    return False


def _next_to_hold(values: Mapping, hidden: set, total, parts, order: Mapping, decided: Mapping):
    candidates = [p for p in parts if p not in hidden and p not in decided and values[p] > 0]
    if candidates:
        return min(candidates, key=lambda p: (values[p], order.get(p, 0)))
    if total not in hidden and total not in decided and values[total] > 0:
        return total
    return None


def suppress(values: Mapping[Hashable, int], groups: Iterable[Group],
             decided: Mapping[Hashable, bool] | None = None) -> set:
    """The cells to hold back of a table described by its cells (``values``: cell ->
    count, every cell named in ``groups`` included) and its **groups**, the equations
    ``total = part + part + ...`` anyone reading it knows.

    Rule 1 holds back every count from 1 to 7. Then, per group, repeated until nothing
    changes: a group never has exactly one held-back cell, and when its total is shown its
    held-back parts never add up to 1 to 7. Either way the smallest shown part with a count
    above 0 is held back as well (the earliest of equal ones); only when no part is left,
    the total. So no held-back cell can be worked out from a total or from the other cells.

    ``decided`` maps cells that staff have already seen (shown, False) or not (held back,
    True) to that: they keep it, and only the other cells are held back to keep the rules."""
    decided = decided or {}
    groups = [(total, list(parts)) for total, parts in groups]
    order = {key: i for i, key in enumerate(values)}
    hidden = {key for key, count in values.items() if decided.get(key, is_small(count))}
    changed = True
    while changed:
        changed = False
        for total, parts in groups:
            while _violation(values, hidden, total, parts):
                extra = _next_to_hold(values, hidden, total, parts, order, decided)
                if extra is None:
                    break
                hidden.add(extra)
                changed = True
    return hidden
