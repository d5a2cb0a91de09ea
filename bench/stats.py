"""The small statistics of the harness: a figure is the median of R runs, with their min and max."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable


def percentile(values: Iterable[float], fraction: float) -> float:
    """Linear interpolation between closest ranks (numpy's default); ``fraction`` in [0, 1]."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("percentile of no values")
    if not 0 <= fraction <= 1:
        raise ValueError("fraction must be within [0, 1]")
    position = (len(ordered) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summarize(values: Iterable[float | None], *, digits: int = 3) -> dict:
    """``{"median", "min", "max", "runs"}`` over the runs that produced a value (None: a failed run)."""
    runs = list(values)
    present = [value for value in runs if value is not None]
    if not present:
        return {"median": None, "min": None, "max": None, "runs": runs}
    return {
        "median": round(statistics.median(present), digits),
        "min": round(min(present), digits),
        "max": round(max(present), digits),
        "runs": [None if value is None else round(value, digits) for value in runs],
    }
