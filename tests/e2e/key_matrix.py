"""What the key matrix's two halves share (test_e2e_key_matrix_window.py and
test_e2e_key_matrix_terminal.py): the inputs, the states, the key sequences, and the checks
that the player executed every command, still answers a seek and quits promptly.

One real player per (input, state): the state is set up, then every key of the table
(and the mouse) is sent in sequence; the player must stay alive after each one (no
traceback on stderr), must have executed every command in order (its -trace_file), must
still answer a seek afterwards, and must quit promptly and cleanly. The quit method (q,
ESC, SIGINT, SIGTERM, a window close request) rotates over the matrix so that every
state and every input meets each of them once.

Inputs: an MKV with chapters, an MP4 without, audio only (M4A), video only, and an
MPEG-TS from a pipe. States: playing, paused, just after a frame step, in the middle of a
seek, at the end without -autoexit, and (pipe only) waiting on a pipe that has sent
nothing yet.

"In the middle of a seek": the keys go in one burst (a few ms apart), each one right
behind a seek key (Right, Left alternately), so that each finds a seek still in flight.

Keys are sent in an order that keeps the state for as long as possible: keys that change
nothing for playback first (mute, volume, stream cycling, show mode, fullscreen and the
double-click in pairs), then the pause pair (p, SPACE: back to the state), then the seeks
(each one finds the previous still in flight: mid-seek), then the step.

Quit latencies (request -> exit) are printed at the end of each module (pytest -s) and
asserted < 1.5 s only: the 200 ms target is measured, not a pass/fail bound on a shared
machine.
"""

from __future__ import annotations

import contextlib
import math
import os
import platform
import struct
import time
from pathlib import Path

import pytest

DURATION = 12.0
CHAPTERS = (0.0, 4.0, 8.0)
QUIT_BOUND = 1.5  # asserted; the measured figures are printed
KEYINT = 1.0

INPUTS = ("chapters", "nochapters", "audio", "video", "pipe")
STATES = ("playing", "paused", "stepped", "seeking", "end")

# (xdotool key, the command the player executes); "<double-click>" and "<right-click>"
# are mouse actions.
NEUTRAL_KEYS = [
    ("m", ["mute"]),
    ("9", ["volume", -1]),
    ("0", ["volume", 1]),
    ("KP_Divide", ["volume", -1]),
    ("KP_Multiply", ["volume", 1]),
    ("m", ["mute"]),
    ("a", ["cycle", "audio"]),
    ("v", ["cycle", "video"]),
    ("t", ["cycle", "subtitle"]),
    ("c", ["cycle", "program"]),
    ("w", ["show_mode"]),
    ("f", ["fullscreen"]),
    ("f", ["fullscreen"]),
    ("<double-click>", ["fullscreen"]),
    ("<double-click>", ["fullscreen"]),
]
PAUSE_KEYS = [("p", ["pause"]), ("space", ["pause"])]
SEEK_KEYS = [
    ("Left", ["seek", -10.0]),
    ("Right", ["seek", 10.0]),
    ("Up", ["seek", 60.0]),
    ("Down", ["seek", -60.0]),
    ("Prior", ["seek_page", 1]),
    ("Next", ["seek_page", -1]),
    ("<right-click>", ["seek_frac"]),
]
STEP_KEYS = [("s", ["step"])]
WINDOW_SEQUENCE = NEUTRAL_KEYS + PAUSE_KEYS + SEEK_KEYS + STEP_KEYS
RIGHT_CLICK_AT = 0.3  # of the window width

# the same in the terminal (tmux key names); f does nothing there but is still a command
TERM_SEQUENCE = [
    ("m", ["mute"]),
    ("9", ["volume", -1]),
    ("0", ["volume", 1]),
    ("KP/", ["volume", -1]),
    ("KP*", ["volume", 1]),
    ("m", ["mute"]),
    ("a", ["cycle", "audio"]),
    ("v", ["cycle", "video"]),
    ("t", ["cycle", "subtitle"]),
    ("c", ["cycle", "program"]),
    ("w", ["show_mode"]),
    ("f", ["fullscreen"]),
    ("f", ["fullscreen"]),
    ("p", ["pause"]),
    ("Space", ["pause"]),
    ("Left", ["seek", -10.0]),
    ("Right", ["seek", 10.0]),
    ("Up", ["seek", 60.0]),
    ("Down", ["seek", -60.0]),
    ("PPage", ["seek_page", 1]),
    ("NPage", ["seek_page", -1]),
    ("s", ["step"]),
]

Q_LATENCIES: list[tuple[str, str, float]] = []  # (where, quit method, seconds)


@pytest.fixture(scope="module")
def clips(media):
    """name -> (path, has_video, has_audio); the pipe plays the MPEG-TS through cat."""
    small = {"duration": DURATION, "width": 320, "height": 180, "fps": 30, "keyint": 30}
    return {
        "chapters": (media.clip("matrix-chapters.mkv", chapters=CHAPTERS, **small), True, True),
        "nochapters": (media.clip("matrix-plain.mp4", **small), True, True),
        "audio": (media.audio_only("matrix-audio.m4a", duration=DURATION), False, True),
        "video": (media.clip("matrix-video.mp4", audio=False, **small), True, False),
        "pipe": (media.clip("matrix-pipe.ts", container="mpegts", **small), True, True),
    }


@pytest.fixture(scope="module", autouse=True)
def report_latencies():
    yield
    if not Q_LATENCIES:
        return
    for label, kinds in (("q / ESC", ("q", "Escape")), ("signals and close", ("SIGINT", "SIGTERM", "close"))):
        ms = sorted(1000 * t for _, how, t in Q_LATENCIES if how in kinds)
        if ms:
            print(
                f"\n{label}: request -> exit over {len(ms)} runs: min {ms[0]:.0f} ms, "
                f"median {ms[len(ms) // 2]:.0f} ms, max {ms[-1]:.0f} ms"
            )
    for where, how, t in Q_LATENCIES:
        print(f"  {where:32s} {how:8s} {1000 * t:6.0f} ms")
    Q_LATENCIES.clear()  # each module reports its own


def behind_seeks(sequence, forward: str, back: str) -> list:
    """Each key right behind a seek key (alternately forward and back, to stay inside the
    clip), for one burst: every key arrives while a seek is still in flight."""
    out = []
    for i, item in enumerate(sequence):
        out += [(forward if i % 2 == 0 else back, None), item]
    return out


def cmd_matches(got: list, want: list) -> bool:
    if want[0] == "seek_frac":
        return got[0] == "seek_frac"
    return got == want


def assert_commands_executed(trace: list[dict], sequence, before_quit: list):
    """Every command of the sequence, in order, then the quit, was handled by the player."""
    cmds = [e["command"] for e in trace if e["ev"] == "command"]

    def find(want: list, start: int) -> int:
        j = start
        while j < len(cmds) and not cmd_matches(cmds[j], want):
            j += 1
        return j

    i = 0
    for k, (what, want) in enumerate(sequence):
        j = find(want, i)
        if what == "<double-click>":
            # Two clicks more than 0.5 s apart are two single clicks (ffplay's rule): on a
            # loaded machine xdotool's 80 ms gap can stretch that far. Nothing to execute,
            # and a toggle found only after the next command that must be there is another
            # (the one that takes the player back to windowed before the last check).
            required = next((w for x, w in sequence[k + 1 :] if x != "<double-click>"), None)
            if j == len(cmds) or (required is not None and find(required, i) < j):
                continue
        assert j < len(cmds), f"command {want} not executed (in order); commands: {cmds}"
        i = j + 1
    assert cmds and cmds[-1] == before_quit, f"last command {cmds[-1:]}, want {before_quit}"


def status_clock(run) -> float:
    lines = run.status_lines()
    return lines[-1].clock if lines else math.nan


RESPOND_TRIES = 3
RESPOND_WAIT = 3.0


def events_tail(trace: list[dict], n: int = 25) -> list[dict]:
    """The last events other than frames, drops and audio callbacks: what the player did."""
    return [e for e in trace if e["ev"] not in ("frame", "drop", "audio")][-n:]


def seek_check(c: float) -> tuple[str, float, float]:
    """(direction, lo, hi) for a seek that proves the player answered: far enough from the
    clock ``c`` that playing on for RESPOND_WAIT cannot get there by itself."""
    if math.isnan(c) or c < DURATION / 2:
        return "forward", DURATION - KEYINT - 1.0, math.inf
    return "back", -math.inf, 2.5


def wait_commands_settled(run, quiet: float = 0.5, timeout: float = 10.0) -> None:
    """Until no new command has reached the trace for ``quiet`` seconds."""
    deadline = time.monotonic() + timeout
    seen, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        n = len([e for e in run.trace() if e["ev"] == "command"])
        if n != seen:
            seen, since = n, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return
        time.sleep(0.05)


# read(2), poll(2), ppoll(2) syscall numbers
_SYSCALLS = {"x86_64": (0, 7, 271), "aarch64": (63, None, 73)}


def blocked_reading_stdin(pid: int) -> bool:
    """True when a thread of ``pid`` sits in read(2) on its stdin pipe, or in poll(2)
    with that pipe among the descriptors (the memory AVIO's reader polls it). Reading
    the pollfd array from /proc/PID/mem needs ptrace rights (root, as the tests run)."""
    nrs = _SYSCALLS.get(platform.machine())
    assert nrs is not None, f"syscall numbers unknown on {platform.machine()}"
    read_nr, poll_nr, ppoll_nr = (str(n) for n in nrs)
    try:
        stdin = os.readlink(f"/proc/{pid}/fd/0")
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return False

    def is_stdin(fd: int) -> bool:
        try:
            return os.readlink(f"/proc/{pid}/fd/{fd}") == stdin
        except OSError:
            return False

    for tid in tasks:
        try:
            fields = Path(f"/proc/{pid}/task/{tid}/syscall").read_text().split()
            if len(fields) < 3:
                continue
            if fields[0] == read_nr and is_stdin(int(fields[1], 16)):
                return True
            if fields[0] in (poll_nr, ppoll_nr):
                addr, nfds = int(fields[1], 16), int(fields[2], 16)
                with open(f"/proc/{pid}/mem", "rb") as mem:  # struct pollfd[nfds]
                    mem.seek(addr)
                    raw = mem.read(8 * nfds)
                fds = [struct.unpack_from("i", raw, 8 * i)[0] for i in range(len(raw) // 8)]
                if any(is_stdin(fd) for fd in fds):
                    return True
        except (OSError, ValueError):
            continue
    return False


@contextlib.contextmanager
def silent_pipe(tmp_path):
    """A FIFO with a writer that never writes: the reader blocks, never sees EOF."""
    fifo = tmp_path / "silent.fifo"
    os.mkfifo(fifo)
    fd = os.open(fifo, os.O_RDWR)
    try:
        yield fifo, fd
    finally:
        os.close(fd)
