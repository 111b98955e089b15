"""Choosing the video output and the terminal's colour mode."""

import os

import pytest

from pyffplay.errors import PlayerError
from pyffplay.options import parse_args
from pyffplay.video_output import NullOutput
from pyffplay.video_output.select import make_output
from pyffplay.video_output.terminal import choose_colors


@pytest.mark.parametrize(
    "setting, env, expected",
    [
        ("auto", {"COLORTERM": "truecolor", "TERM": "xterm"}, "truecolor"),
        ("auto", {"COLORTERM": "24bit"}, "truecolor"),
        ("auto", {"TERM": "xterm-256color"}, "256"),
        ("auto", {"TERM": "tmux-256color"}, "256"),
        ("auto", {"TERM": "xterm-direct"}, "truecolor"),
        ("auto", {}, "256"),
        ("256", {"COLORTERM": "truecolor"}, "256"),
        ("truecolor", {"TERM": "vt100"}, "truecolor"),
    ],
)
def test_choose_colors(setting, env, expected):
    assert choose_colors(setting, env) == expected


def _warnings():
    seen = []
    return seen, seen.append


def test_nodisp_and_vo_null_draw_nothing():
    seen, warn = _warnings()
    assert isinstance(make_output(parse_args(["-nodisp", "x"]), "x", warn), NullOutput)
    assert isinstance(make_output(parse_args(["-vo", "null", "x"]), "x", warn), NullOutput)
    assert seen == []


def test_vo_terminal_needs_a_terminal_on_stdout(monkeypatch):
    monkeypatch.setattr(os, "isatty", lambda fd: False)
    with pytest.raises(PlayerError, match="-vo terminal needs a terminal"):
        make_output(parse_args(["-vo", "terminal", "x"]), "x", print)


def test_no_display_and_no_terminal_plays_without_video(monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr(os, "isatty", lambda fd: False)
    seen, warn = _warnings()
    assert isinstance(make_output(parse_args(["x"]), "x", warn), NullOutput)
    assert len(seen) == 1 and "no display" in seen[0]
