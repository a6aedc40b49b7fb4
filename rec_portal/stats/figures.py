"""Percentages, averages and measured figures for staff: one rounding rule, halves rounded up.

So 1 of 8 (12.5 %) reads 13 % wherever it is shown (Python's ``round()`` would round
halves to even and give 12 %: never use it for a figure)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def half_up(value: Decimal, places: str = "1") -> Decimal:
    """``value`` to ``places`` ("1": whole numbers, "0.1": one decimal place), halves up."""
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def percent(part: int, whole: int) -> int | None:
    """``part`` as a whole per cent of ``whole``, halves rounded up; None when ``whole``
    is 0 (nothing to divide by)."""
    if whole <= 0:
        return None
    return (200 * part + whole) // (2 * whole)


def as_percent(value: int | None, empty: str = "") -> str:
    """A per cent from :func:`percent` as text: '13%', or ``empty`` for None."""
    return empty if value is None else f"{value}%"


def percent_text(part: int, whole: int, empty: str = "") -> str:
    """'13%', or ``empty`` when ``whole`` is 0."""
    return as_percent(percent(part, whole), empty)


def to_places(value: float, places: str = "0.01") -> float:
    """A measured figure (hours, say, added up in SQL as a float) to ``places``, halves up:
    1.3333 -> 1.33, 7.4999999999 -> 7.5."""
    return float(half_up(Decimal(repr(float(value))), places))


def decimal_text(value: float | Decimal, places: str = "0.01") -> str:
    """A measured figure as text, to ``places`` (halves up) without trailing zeros:
    7.5 -> '7.5', 6.0 -> '6', 1.3333 -> '1.33'."""
    value = value if isinstance(value, Decimal) else Decimal(repr(float(value)))
    text = f"{half_up(value, places):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def average(total: int, count: int, places: str = "0.1") -> Decimal | None:
    """``total / count`` to one decimal place (halves up); None when ``count`` is 0."""
    if not count:
        return None
    return half_up(Decimal(total) / Decimal(count), places)
