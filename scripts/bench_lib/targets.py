"""Issue 11's targets, judged on per-pair figures. Pure: no runs, no files.

``data`` is ``Bench.data``: measure -> configuration -> [one dict (or None) per pair].
Ratios are taken within each pair (the runs of one pair ran minutes apart at most) and
judged on their median; levels (drops, A-V, latency) on the median run unless said.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bench_lib.stats import finite, fmt, median, ratios


def values(data: dict, measure: str, config: str, field: str) -> list:
    """Per-pair values of one field of one configuration."""
    return [(rec or {}).get(field) for rec in data.get(measure, {}).get(config, [])]


def diffs(a: list, b: list) -> list[float | None]:
    """Per-pair a − b (None when either is missing)."""
    out = []
    for x, y in zip(a, b):
        ok = x is not None and y is not None and math.isfinite(x) and math.isfinite(y)
        out.append(x - y if ok else None)
    return out


def fewest(*series: list) -> list[float | None]:
    """Per pair, the smallest value among the series that have one."""
    n = max((len(s) for s in series), default=0)
    out = []
    for i in range(n):
        vals = finite(s[i] for s in series if i < len(s))
        out.append(min(vals) if vals else None)
    return out


@dataclass
class Target:
    name: str
    goal: str  # e.g. "≤ 1.05"
    op: str  # "<=", ">=" or "==" against bound
    bound: float
    value: float | None  # the median (or the figure judged)
    per_pair: list  # the per-pair figures behind it, for the table
    spec: str = ".2f"
    unit: str = ""
    note: str = ""

    @property
    def known(self) -> bool:
        return self.value is not None and math.isfinite(self.value)

    @property
    def met(self) -> bool | None:
        if not self.known:
            return None
        v = self.value
        if self.op == "<=":
            return v <= self.bound + 1e-12
        if self.op == ">=":
            return v >= self.bound - 1e-12
        return v == self.bound

    def row(self) -> list[str]:
        verdict = {None: "–", True: "met", False: "**not met**"}[self.met]
        shown = fmt(self.value, self.spec) + self.unit if self.known else "–"
        per = ", ".join(fmt(v, self.spec) for v in self.per_pair) if self.per_pair else "–"
        return [self.name + (f" ({self.note})" if self.note else ""), self.goal, shown, per, verdict]


def ratio_target(name: str, bound: float, num: list, den: list, note: str = "") -> Target:
    r = ratios(num, den)
    return Target(name, f"≤ {bound}", "<=", bound, median(r), r, ".3f", note=note)


def evaluate(data: dict, extra: dict) -> list[Target]:
    """The targets table. ``extra``: figures from outside ``data`` — ``seek95`` (ms, ±10 s),
    ``terminal`` (per-pair CPU ratios to mpv tct, 160×50, every cell changing)."""

    def v(measure, config, field):
        return values(data, measure, config, field)

    out = [
        ratio_target(
            "CPU per playback s, 720p30, pyffplay / mpv `--vo=x11`",
            1.0,
            v("720p30", "pyffplay", "cpu"),
            v("720p30", "mpv-x11", "cpu"),
        ),
        ratio_target(
            "CPU per playback s, 720p30, pyffplay / ffplay, defaults",
            0.4,
            v("720p30", "pyffplay", "cpu"),
            v("720p30", "ffplay", "cpu"),
        ),
        ratio_target(
            "CPU per playback s, 720p30, same renderer: software",
            1.05,
            v("720p30", "pyffplay-sw", "cpu"),
            v("720p30", "ffplay-sw", "cpu"),
        ),
        ratio_target(
            "CPU per playback s, 720p30, same renderer: OpenGL",
            1.05,
            v("720p30", "pyffplay-gpu", "cpu"),
            v("720p30", "ffplay", "cpu"),
        ),
    ]
    fd720 = v("720p30", "pyffplay", "fd")
    worst = max(finite(fd720), default=None)
    out.append(Target("frames dropped, 720p30, pyffplay (every run)", "0", "==", 0, worst, fd720, ".0f"))
    for key in ("1080p60", "2160p30"):
        d = diffs(v(key, "pyffplay", "fd"), fewest(v(key, "ffplay", "fd"), v(key, "mpv-x11", "fd")))
        out.append(
            Target(
                f"frames dropped, {key}, pyffplay − the fewest of ffplay and mpv `--vo=x11` (same pair)",
                "≤ 0",
                "<=",
                0,
                median(d),
                d,
                "+.0f",
            )
        )
    out.append(
        ratio_target(
            "CPU per playback s, audio only, pyffplay / ffplay",
            1.5,
            v("audio", "pyffplay", "cpu"),
            v("audio", "ffplay", "cpu"),
        )
    )
    out.append(
        ratio_target(
            "start-up wall (`-autoexit -t 0.5`), pyffplay / ffplay",
            1.0,
            v("startup", "pyffplay", "wall"),
            v("startup", "ffplay", "wall"),
        )
    )
    d = diffs(v("720p30", "pyffplay-sw", "rss"), v("720p30", "ffplay-sw", "rss"))
    out.append(
        Target(
            "peak memory, 720p30, pyffplay − ffplay, same renderer (software)",
            "≤ +10 MiB",
            "<=",
            10,
            median(d),
            d,
            "+.0f",
            " MiB",
        )
    )
    r = ratios(v("untimed-720p30-null", "pyffplay", "fps"), v("untimed-720p30", "pyav", "fps"))
    name = "untimed fps `-vo null` / bare PyAV decode, 720p30"
    out.append(Target(name, "≥ 0.9", ">=", 0.9, median(r), r, ".3f"))
    term = extra.get("terminal") or []
    out.append(
        Target(
            "terminal CPU / mpv `--vo=tct`, 160×50, every cell changing",
            "≤ 0.7",
            "<=",
            0.7,
            median(term),
            term,
            ".3f",
            note="scripts/bench_terminal" if term else "not measured: run scripts/bench_terminal",
        )
    )
    av = v("720p30", "pyffplay", "av95")
    out.append(
        Target(
            "\\|A-V\\| p95, 720p30, pyffplay (median run)", "≤ 20 ms", "<=", 20, median(av), av, ".1f", " ms"
        )
    )
    seek = extra.get("seek95")
    out.append(Target("seek latency p95, ±10 s, pyffplay", "≤ 150 ms", "<=", 150, seek, [], ".0f", " ms"))
    return out
