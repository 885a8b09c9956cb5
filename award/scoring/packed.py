"""A submitted sheet's points in one value, written at submit: the ranking reads it instead of the item rows.

A round holds hundreds of thousands of item rows; the ranking needs only their points, and turning
each row into Python values cost several times the bare SQL (docs/performance.md). So `submit_sheet`
also stores the sheet's points as one little-endian int32 per rubric item, in the frozen rubric's
order, in hundredths of a point (`NO_POINTS` where an item has none). Any write to a sheet clears the
value, and reopening it does too, so a stored value always matches the item rows of a submitted sheet.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal

POINTS_DTYPE = "<i4"  # numpy's name for the layout below (read by award/ranking/services.py)
NO_POINTS = -1
_HUNDREDTHS = Decimal("0.01")


def pack_points(item_ids: Sequence[str], points: Mapping[str, Decimal | None]) -> bytes:
    """The points of `item_ids`, in that order, as int32 hundredths (as Numeric(6, 2) stores them)."""
    values = []
    for item_id in item_ids:
        value = points.get(item_id)
        values.append(NO_POINTS if value is None
                      else int(value.quantize(_HUNDREDTHS, rounding=ROUND_HALF_UP).scaleb(2)))
    return struct.pack(f"<{len(values)}i", *values)


def unpack_points(packed: bytes) -> list[Decimal | None]:
    """The points of a packed value, None where an item has none (for tests and inspection)."""
    count = len(packed) // 4
    return [None if v == NO_POINTS else Decimal(v).scaleb(-2) for v in struct.unpack(f"<{count}i", packed)]
