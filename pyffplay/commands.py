"""The one command set shared by window keys, terminal keys, signals and the API.

Each command is a small frozen dataclass; the player executes them from one queue on its
loop thread, with one handler per class (``VideoState.execute``), whatever produced them.
"""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Quit:
    reason: str = "quit"  # "quit" (q, ESC, close, API), "signal" (SIGINT/SIGTERM)


@dataclass(frozen=True)
class TogglePause:
    pass


@dataclass(frozen=True)
class SetPause:
    """The API's pause() / resume(): a state, not a toggle."""

    paused: bool


@dataclass(frozen=True)
class Step:
    """ffplay's step_to_next_frame: show one more picture, then stay paused."""


@dataclass(frozen=True)
class ToggleMute:
    pass


@dataclass(frozen=True)
class SetMute:
    muted: bool


@dataclass(frozen=True)
class ChangeVolume:
    """9/0 and keypad / *: one 0.75 dB step down (-1) or up (+1)."""

    sign: int


@dataclass(frozen=True)
class SetVolume:
    percent: float  # 0..100, as -volume


@dataclass(frozen=True)
class ToggleFullScreen:
    pass


@dataclass(frozen=True)
class Seek:
    """Arrows (relative) and the API's seek(); seconds on the master clock."""

    seconds: float
    relative: bool = True
    accurate: bool = False  # decode up to the time asked, show nothing before it


@dataclass(frozen=True)
class SeekPage:
    """Page Up (+1) / Page Down (-1): the next or previous chapter, else ±600 s."""

    direction: int


@dataclass(frozen=True)
class SeekFraction:
    """Right click or drag: that fraction of the input's duration."""

    fraction: float


@dataclass(frozen=True)
class CycleStream:
    """a / v / t: the next audio, video or subtitle stream; c ("program"): all three."""

    kind: str  # "audio", "video", "subtitle" or "program"


@dataclass(frozen=True)
class CycleShowMode:
    """w: the next -vf while showing video, else video -> waves -> RDFT."""


@dataclass(frozen=True)
class Refresh:
    """Redraw the current picture (expose, resize, fg after Ctrl-Z)."""


Command = (
    Quit
    | TogglePause
    | SetPause
    | Step
    | ToggleMute
    | SetMute
    | ChangeVolume
    | SetVolume
    | ToggleFullScreen
    | Seek
    | SeekPage
    | SeekFraction
    | CycleStream
    | CycleShowMode
    | Refresh
)

QUIT = Quit()

# How a command is written in the trace (ffplay's names for what the key does).
_TRACE_NAMES = {
    TogglePause: "pause",
    SetPause: "set_pause",
    Step: "step",
    ToggleMute: "mute",
    SetMute: "set_mute",
    ChangeVolume: "volume",
    SetVolume: "set_volume",
    ToggleFullScreen: "fullscreen",
    Seek: "seek",
    SeekPage: "seek_page",
    SeekFraction: "seek_frac",
    CycleStream: "cycle",
    CycleShowMode: "show_mode",
    Refresh: "refresh",
    Quit: "quit",
}


def trace_form(cmd: Command) -> list[object]:
    """``Seek(-10.0)`` -> ``["seek", -10.0]``: the name, then the fields not at their default."""
    values = [getattr(cmd, f.name) for f in fields(cmd) if getattr(cmd, f.name) != f.default]
    return [_TRACE_NAMES[type(cmd)], *values]
