"""Small statistics over per-run values; None and NaN mean "no value" and are skipped."""

from __future__ import annotations

import math

import numpy as np


def finite(values) -> list[float]:
    return [float(v) for v in values if v is not None and math.isfinite(v)]


def pct(values, q: float) -> float:
    v = finite(values)
    return float(np.percentile(v, q)) if v else math.nan


def median(values) -> float:
    return pct(values, 50)


def mmm(values) -> tuple[float, float, float]:
    """(min, median, max), NaNs when there is no value."""
    v = finite(values)
    if not v:
        return (math.nan, math.nan, math.nan)
    return (min(v), median(v), max(v))


def ratios(num: list, den: list) -> list[float | None]:
    """Per-pair num/den (None when either is missing or den is 0)."""
    out = []
    for a, b in zip(num, den):
        ok = a is not None and b is not None and math.isfinite(a) and math.isfinite(b) and b
        out.append(a / b if ok else None)
    return out


def abs_av_ms(status, duration: float, skip: float = 1.0) -> list[float]:
    """|A-V| in ms of the status lines whose clock lies in [skip, duration - skip]."""
    out = []
    for s in status:
        if s.label != "A-V" or not math.isfinite(s.clock) or not math.isfinite(s.diff):
            continue
        if skip <= s.clock <= duration - skip:
            out.append(abs(s.diff) * 1000.0)
    return out


def fmt(value, spec: str = ".2f", none: str = "–") -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return none
    return format(value, spec)


def fmt_mmm(values, spec: str = ".2f") -> str:
    lo, mid, hi = mmm(values)
    if not math.isfinite(mid):
        return "–"
    return f"{fmt(lo, spec)} / **{fmt(mid, spec)}** / {fmt(hi, spec)}"
