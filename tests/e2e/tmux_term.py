"""tmux as a test terminal: a private server with one pane, its screen parsed into cells.

Used by test_e2e_terminal.py (see its docstring for how the pane is driven)."""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import REPO
from tests.media import decode_frame_index
from tests.observe import STATUS_RE, _wait_until, read_trace

COLS, ROWS = 160, 50
PS1 = "PYFFTEST$ "
HALF_BLOCK = "\u2584"  # ▄: foreground = lower half, background = upper half
QUIT_BUDGET = 1.0  # q -> exit event: 200 ms is the aim (scripts/bench); generous here
# A 16:9 picture in the 160 x 49 cells above the status row: 160 wide, 160 / (16/9) / 2 =
# 45 rows (cells are 1 pixel across, 2 down), 4 rows left over: 2 above, 2 below.
WIDE_RECT = (0, 2, 160, 45)
CMD_TIMEOUT = 10.0
_server_numbers = itertools.count(1)


# ---------------------------------------------------------------------------------------
# the screen: capture-pane -e parsed into cells
# ---------------------------------------------------------------------------------------

_XTERM16 = [
    (0, 0, 0),
    (205, 0, 0),
    (0, 205, 0),
    (205, 205, 0),
    (0, 0, 238),
    (205, 0, 205),
    (0, 205, 205),
    (229, 229, 229),
    (127, 127, 127),
    (255, 0, 0),
    (0, 255, 0),
    (255, 255, 0),
    (92, 92, 255),
    (255, 0, 255),
    (0, 255, 255),
    (255, 255, 255),
]
_CUBE = (0, 95, 135, 175, 215, 255)


def xterm256_rgb(n: int) -> tuple[int, int, int]:
    if n < 16:
        return _XTERM16[n]
    if n < 232:
        n -= 16
        return _CUBE[n // 36], _CUBE[n // 6 % 6], _CUBE[n % 6]
    v = 8 + 10 * (n - 232)
    return v, v, v


_SGR_RE = re.compile(r"\x1b\[([0-9;:]*)m")
_OTHER_ESC_RE = re.compile(r"\x1b(?:\[[0-9;:?]*[A-Za-z]|\][^\x07\x1b]*(?:\x07|\x1b\\)|.)")


@dataclass
class Screen:
    """One capture of the pane: characters and colours of every cell."""

    chars: list[list[str]]
    fg: np.ndarray  # (rows, cols, 3) int, -1 = default colour
    bg: np.ndarray
    sgr_modes: set  # colour forms seen: "rgb", "256", "16"
    raw: str

    @property
    def rows(self) -> int:
        return len(self.chars)

    def row_text(self, r: int) -> str:
        return "".join(self.chars[r]).rstrip()

    def picture_rect(self) -> tuple[int, int, int, int] | None:
        """(x, y, w, h) of the bounding box of the half-block cells."""
        cells = [(r, c) for r, row in enumerate(self.chars) for c, ch in enumerate(row) if ch == HALF_BLOCK]
        if not cells:
            return None
        rs = [r for r, _ in cells]
        cs = [c for _, c in cells]
        x0, x1, y0, y1 = min(cs), max(cs), min(rs), max(rs)
        return x0, y0, x1 - x0 + 1, y1 - y0 + 1

    def picture_rgb(self) -> np.ndarray:
        """The picture as pixels: each cell is its background (top) over foreground."""
        rect = self.picture_rect()
        assert rect is not None, "no picture on the screen"
        x, y, w, h = rect
        out = np.zeros((2 * h, w, 3), dtype=np.uint8)
        out[0::2] = np.clip(self.bg[y : y + h, x : x + w], 0, 255)
        out[1::2] = np.clip(self.fg[y : y + h, x : x + w], 0, 255)
        return out

    def frame_index(self) -> int:
        return decode_frame_index(self.picture_rgb())


def parse_capture(raw: str, cols: int) -> Screen:
    lines = raw.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    rows = len(lines)
    chars = [[" "] * cols for _ in range(rows)]
    fg = np.full((rows, cols, 3), -1, dtype=np.int32)
    bg = np.full((rows, cols, 3), -1, dtype=np.int32)
    modes: set = set()
    cur_fg: tuple = (-1, -1, -1)
    cur_bg: tuple = (-1, -1, -1)

    def apply(params: str):
        nonlocal cur_fg, cur_bg
        ps = [int(p) if p else 0 for p in re.split("[;:]", params)] if params else [0]
        i = 0
        while i < len(ps):
            p = ps[i]
            if p == 0:
                cur_fg = cur_bg = (-1, -1, -1)
            elif p in (38, 48) and i + 1 < len(ps):
                if ps[i + 1] == 2 and i + 4 < len(ps):
                    colour = tuple(ps[i + 2 : i + 5])
                    modes.add("rgb")
                    i += 4
                elif ps[i + 1] == 5 and i + 2 < len(ps):
                    colour = xterm256_rgb(ps[i + 2])
                    modes.add("256")
                    i += 2
                else:
                    colour = (-1, -1, -1)
                if p == 38:
                    cur_fg = colour
                else:
                    cur_bg = colour
            elif p == 39:
                cur_fg = (-1, -1, -1)
            elif p == 49:
                cur_bg = (-1, -1, -1)
            elif 30 <= p <= 37 or 90 <= p <= 97:
                modes.add("16")
                cur_fg = _XTERM16[p - 30 if p < 90 else p - 82]
            elif 40 <= p <= 47 or 100 <= p <= 107:
                modes.add("16")
                cur_bg = _XTERM16[p - 40 if p < 100 else p - 92]
            i += 1

    for r, line in enumerate(lines):
        c = 0
        i = 0
        while i < len(line):
            ch = line[i]
            if ch == "\x1b":
                m = _SGR_RE.match(line, i)
                if m:
                    apply(m.group(1))
                    i = m.end()
                    continue
                m = _OTHER_ESC_RE.match(line, i)
                i = m.end() if m else i + 1
                continue
            if c < cols:
                chars[r][c] = ch
                fg[r, c] = cur_fg
                bg[r, c] = cur_bg
            c += 1
            i += 1
    return Screen(chars, fg, bg, modes, raw)


def parse_status(text: str):
    m = STATUS_RE.match(text)
    if not m:
        return None
    return float(m.group(1)), m.group(2).upper(), float(m.group(3))


# ---------------------------------------------------------------------------------------
# tmux
# ---------------------------------------------------------------------------------------


def _poll(pred, timeout: float, what: str, interval: float = 0.01):
    """observe._wait_until, failing the test (AssertionError) when time runs out."""
    try:
        return _wait_until(pred, timeout, interval=interval, what=what)
    except TimeoutError as e:
        raise AssertionError(str(e)) from None


def _proc_stat(pid: int) -> tuple[str, int] | None:
    """(state letter, parent pid) from /proc/PID/stat, None when gone."""
    try:
        data = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    rest = data[data.rindex(")") + 2 :].split()
    return rest[0], int(rest[1])


def _children(ppid: int) -> list[int]:
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = _proc_stat(int(name))
            if st is not None and st[1] == ppid:
                out.append(int(name))
    return out


def _cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


class Term:
    """A tmux server of our own with one shell pane."""

    def __init__(self, workdir: Path, pulse: str, colorterm: str | None):
        self.workdir = workdir
        self.socket = f"pyffplay-test-{os.getpid()}-{next(_server_numbers)}"
        self.prompts_path = workdir / "prompts"
        self._n = 0
        env = {
            k: v
            for k, v in os.environ.items()
            if k
            not in (
                "DISPLAY",
                "WAYLAND_DISPLAY",
                "TMUX",
                "TMUX_PANE",
                "COLORTERM",
                "LC_ALL",
                "LC_CTYPE",
                "PROMPT_COMMAND",
                "TERM",
            )
        }
        if pulse:
            env["PULSE_SERVER"] = pulse
        if colorterm:
            env["COLORTERM"] = colorterm
        env.update(
            LANG="C.UTF-8",
            LC_ALL="C.UTF-8",
            PYTHONPATH=str(REPO),
            HISTFILE="/dev/null",
            PROMPT_COMMAND=f"echo $? >> {shlex.quote(str(self.prompts_path))}",
        )
        self.env = env
        # tmux starts the command with `sh -c`; dash does not pass an inherited PS1 on
        self.tmux(
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "t",
            "-x",
            str(COLS),
            "-y",
            str(ROWS),
            f"PS1={shlex.quote(PS1)} exec bash --norc --noprofile",
        )
        self.pane_pid = int(self.fmt("#{pane_pid}"))
        self.socket_path = self.fmt("#{socket_path}")
        if os.environ.get("PYFFPLAY_TEST_PANE_LOG") == "1":
            # everything the pane receives, in order, for a post-mortem (changes timing)
            self.tmux("pipe-pane", "-t", "t", "-o", f"cat > {shlex.quote(str(workdir / 'pane-output.bin'))}")
        _poll(lambda: len(self.prompts()) >= 1, CMD_TIMEOUT, "the first shell prompt")
        size = self.fmt("#{pane_width}x#{pane_height}")
        assert size == f"{COLS}x{ROWS}", f"pane is {size}"

    # --- tmux ------------------------------------------------------------------------------
    def tmux(self, *args: str) -> str:
        r = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, env=self.env, timeout=10
        )
        if r.returncode != 0:
            raise AssertionError(f"tmux {' '.join(args)} failed: {r.stderr.strip()}")
        return r.stdout

    def fmt(self, fmt: str) -> str:
        return self.tmux("display-message", "-p", "-t", "t", fmt).strip()

    def keys(self, *keys: str) -> float:
        """Press keys (tmux key names); returns time.monotonic() just before."""
        t0 = time.monotonic()
        self.tmux("send-keys", "-t", "t", *keys)
        return t0

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", "t", "-l", text)
        self.tmux("send-keys", "-t", "t", "Enter")

    def text(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "t")

    def screen(self) -> Screen:
        return parse_capture(self.tmux("capture-pane", "-p", "-e", "-t", "t"), COLS)

    def bottom_row(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "t", "-S", str(ROWS - 1), "-E", str(ROWS - 1)).rstrip(
            "\n"
        )

    def alternate_on(self) -> bool:
        return self.fmt("#{alternate_on}") == "1"

    def cursor_visible(self) -> bool:
        return self.fmt("#{cursor_flag}") == "1"

    # --- the shell -------------------------------------------------------------------------
    def prompts(self) -> list[str]:
        try:
            return self.prompts_path.read_text().split()
        except FileNotFoundError:
            return []

    def wait_prompt(self, after: int, timeout: float = CMD_TIMEOUT) -> tuple[int, float]:
        """Wait for prompt number ``after + 1``; returns (the command's $?, when seen)."""
        p = _poll(lambda: self.prompts()[after:], timeout, f"shell prompt #{after + 1}", interval=0.002)
        return int(p[0]), time.monotonic()

    def shell(self, command: str, timeout: float = CMD_TIMEOUT) -> int:
        n = len(self.prompts())
        self.type(command)
        return self.wait_prompt(n, timeout)[0]

    def stty(self) -> str:
        self._n += 1
        out = self.workdir / f"stty.{self._n}"
        rc = self.shell(f"stty -g > {shlex.quote(str(out))}")
        assert rc == 0
        return out.read_text().strip()

    def assert_main_screen(self, when: str):
        """Main screen, cursor shown, the prompt on the last used line, no cells left."""
        assert not self.alternate_on(), f"{when}: still on the alternate screen"
        assert self.cursor_visible(), f"{when}: cursor still hidden"
        text = self.text()
        assert HALF_BLOCK not in text, f"{when}: picture cells left on the main screen:\n" + text.rstrip("\n")
        lines = [ln for ln in text.split("\n") if ln.strip()]
        assert lines and lines[-1].rstrip() == PS1.rstrip(), (
            f"{when}: the shell prompt is not the last line:\n" + text.rstrip("\n")
        )

    # --- the player ------------------------------------------------------------------------
    def start_player(
        self, *args, pipe_from: Path | None = None, prefix: str = "", redirect: str = ""
    ) -> PaneRun:
        """Type the player's command; ``redirect`` (shell redirections, e.g.
        ``2>err.txt``) applies to the player itself."""
        self._n += 1
        trace = self.workdir / f"run{self._n}.trace.jsonl"
        argv = [sys.executable, "-m", "pyffplay", "-trace_file", str(trace), *map(str, args)]
        cmd = " ".join(shlex.quote(a) for a in argv)
        if redirect:
            cmd = f"{cmd} {redirect}"
        if pipe_from is not None:
            cmd = f"cat {shlex.quote(str(pipe_from))} | {cmd}"
        if prefix:
            cmd = f"{prefix} {cmd}"
        n = len(self.prompts())
        self.type(cmd)
        return PaneRun(self, trace, n)

    def player_pids(self) -> list[int]:
        return [p for p in _children(self.pane_pid) if "pyffplay" in _cmdline(p)]

    def close(self):
        for pid in self.player_pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(AssertionError, subprocess.TimeoutExpired):
            self.tmux("kill-server")
        with contextlib.suppress(OSError):  # tmux 3.3 leaves its socket file behind
            os.unlink(self.socket_path)


class PaneRun:
    """One player command typed into the pane."""

    def __init__(self, term: Term, trace_path: Path, prompt_index: int):
        self.term = term
        self.trace_path = trace_path
        self.prompt_index = prompt_index
        self.rc: int | None = None
        self.t_prompt: float | None = None

    def _check_running(self, what: str):
        if self.term.prompts()[self.prompt_index :]:
            raise AssertionError(f"the player ended while waiting for {what}:\n" + self.term.text())

    @property
    def pid(self) -> int:
        def find():
            self._check_running("its process")
            return self.term.player_pids()

        pids = _poll(find, CMD_TIMEOUT, "the player process")
        # for `cat | python -m pyffplay`, only python's cmdline names pyffplay
        assert len(pids) == 1, pids
        return pids[0]

    def status(self):
        return parse_status(self.term.bottom_row())

    def wait_status(self, pred, timeout: float, what: str):
        """Poll the bottom row until its status line satisfies pred(clock)."""

        def look():
            s = self.status()
            if s is not None and s[0] == s[0] and pred(s[0]):  # not NaN
                return s
            self._check_running(what)
            return None

        try:
            return _poll(look, timeout, what)
        except AssertionError as e:
            raise AssertionError(f"{e}; bottom row: {self.term.bottom_row()!r}") from None

    def wait_clock(self, at_least: float, timeout: float = 15.0):
        return self.wait_status(lambda c: c >= at_least, timeout, f"status clock >= {at_least}")

    def wait_playing(self, at_least: float = 1.0):
        """Playing on the alternate screen with the status clock past ``at_least``."""
        s = self.wait_clock(at_least)
        assert self.term.alternate_on(), "playing but not on the alternate screen"
        return s

    def wait_exit(self, timeout: float = CMD_TIMEOUT) -> int:
        self.rc, self.t_prompt = self.term.wait_prompt(self.prompt_index, timeout)
        return self.rc

    def trace(self) -> list[dict]:
        assert self.trace_path.exists(), f"no trace at {self.trace_path}"
        return read_trace(self.trace_path)

    def events(self, kind: str) -> list[dict]:
        return [e for e in self.trace() if e["ev"] == kind]

    def exit_event(self) -> dict:
        tr = self.trace()
        assert tr and tr[-1]["ev"] == "exit", f"the trace does not end with exit: {tr[-3:]}"
        return tr[-1]


@pytest.fixture
def make_term(tmp_path, pulse_server):
    if not shutil.which("tmux"):
        raise RuntimeError("tmux is not installed")
    terms = []

    def make(colorterm: str | None = "truecolor") -> Term:
        d = tmp_path / f"term{len(terms)}"
        d.mkdir()
        t = Term(d, pulse_server, colorterm)
        terms.append(t)
        return t

    yield make
    for t in terms:
        t.close()


@pytest.fixture
def term(make_term) -> Term:
    return make_term("truecolor")
