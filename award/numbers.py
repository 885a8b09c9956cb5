"""The one way a score is printed: rounded half up (四舍五入), on the web, in PDFs and in exports.

Python's ``round()`` and ``format(x, ".1f")`` round half to even on the binary value, so 797.25
prints as 797.2 and 2.675 as 2.67; a reader checking the figure by hand expects 797.3 and 2.68.
Here a float is taken at its shortest decimal form (``repr``), then rounded with
``Decimal.quantize(..., ROUND_HALF_UP)``: half away from zero, as 四舍五入 is for negatives too.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation

__all__ = ["format_score", "round_score"]


def _decimal(value: Decimal | float | int | str) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise TypeError("a score is a number, not a bool")
    if isinstance(value, float | int):
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    try:
        return Decimal(value.strip())
    except InvalidOperation:
        raise ValueError(f"not a number: {value!r}") from None


def round_score(value: Decimal | float | int | str, places: int = 2) -> Decimal:
    """``value`` rounded half up to ``places`` decimals (0 to 6)."""
    if not 0 <= places <= 6:
        raise ValueError(f"places must be 0 to 6, got {places!r}")
    number = _decimal(value)
    if not number.is_finite():
        raise ValueError(f"a score must be finite, got {value!r}")
    exponent = Decimal(1).scaleb(-places)
    # quantize needs enough precision for the digits before the point too
    precision = max(28, number.adjusted() + places + 2)
    return number.quantize(exponent, rounding=ROUND_HALF_UP, context=Context(prec=precision))


def format_score(value: Decimal | float | int | str | None, places: int = 2, *, trim: bool = False,
                 empty: str = "–") -> str:
    """The score as printed: ``places`` decimals, rounded half up; ``trim`` drops a useless ``.0``
    (``80.0`` → ``80``, ``797.25`` at 1 place → ``797.3``). ``None`` and NaN print as ``empty``."""
    if value is None or (isinstance(value, float) and value != value) or \
            (isinstance(value, Decimal) and not value.is_finite()):
        return empty  # nothing to show (NaN: no sheet counted)
    rounded = round_score(value, places)
    text = f"{rounded:f}"
    if rounded.is_zero() and text.startswith("-"):
        text = text[1:]  # -0.001 prints as 0.00, not -0.00
    if trim and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text
