"""How staff figures are shown: the one home for the rules every report, dashboard, CSV
and PDF of the portal follows when it shows a figure to staff.

- :mod:`rec_portal.stats.small_numbers`: small numbers are held back. A count of people
  from 1 to 7 (:data:`SMALL_NUMBER` is 8) is never shown; 0 and 8 or more are. Whatever
  would let a held-back figure be worked out from totals or other shown figures is held
  back too (:func:`hold_more` for a table's rows against a shown total, :func:`suppress`
  for a table with several equations, :class:`Guard` for a table's rows and a figure over
  a chosen set of them), and :func:`count_text` reads a count ("Fewer than 8 answers").
- :mod:`rec_portal.stats.charts`: accessible SVG bar charts drawn on the server.
- :mod:`rec_portal.stats.figures`: one :func:`percent` (whole per cent, halves rounded up),
  one :func:`average` (to one decimal place, halves rounded up) and measured figures such
  as hours (:func:`to_places`, :func:`decimal_text`).
- :mod:`rec_portal.stats.terms`: UK academic terms (autumn, spring, summer), the periods
  reports count in, and their bounds in the database (:func:`~rec_portal.stats.terms.term_bounds`).

This package imports no feature: features import it.
"""

from rec_portal.stats.figures import (
    as_percent,
    average,
    decimal_text,
    half_up,
    percent,
    percent_text,
    to_places,
)
from rec_portal.stats.small_numbers import (
    FEWER,
    HELD_BACK,
    SMALL_NUMBER,
    Guard,
    count_text,
    enough,
    held_counts,
    hold_more,
    is_small,
    suppress,
)

__all__ = [
    "FEWER",
    "HELD_BACK",
    "SMALL_NUMBER",
    "Guard",
    "as_percent",
    "average",
    "count_text",
    "decimal_text",
    "enough",
    "half_up",
    "held_counts",
    "hold_more",
    "is_small",
    "percent",
    "percent_text",
    "suppress",
    "to_places",
]
