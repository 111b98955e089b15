"""Keys and mouse -> player commands (ffplay-internals.md section 7)."""

from __future__ import annotations

import pytest
import sdl2

from pyffplay.commands import SeekFraction, ToggleFullScreen, trace_form
from pyffplay.keys import DOUBLE_CLICK_TIME, QUIT, MouseState, sdl_key_table


@pytest.fixture
def table():
    return sdl_key_table(10.0)


@pytest.mark.parametrize(
    "key, command",
    [
        (sdl2.SDLK_q, ("quit",)),
        (sdl2.SDLK_ESCAPE, ("quit",)),
        (sdl2.SDLK_SPACE, ("pause",)),
        (sdl2.SDLK_p, ("pause",)),
        (sdl2.SDLK_f, ("fullscreen",)),
        (sdl2.SDLK_m, ("mute",)),
        (sdl2.SDLK_0, ("volume", 1)),
        (sdl2.SDLK_KP_MULTIPLY, ("volume", 1)),
        (sdl2.SDLK_9, ("volume", -1)),
        (sdl2.SDLK_KP_DIVIDE, ("volume", -1)),
        (sdl2.SDLK_s, ("step",)),
        (sdl2.SDLK_LEFT, ("seek", -10.0)),
        (sdl2.SDLK_RIGHT, ("seek", 10.0)),
        (sdl2.SDLK_UP, ("seek", 60.0)),
        (sdl2.SDLK_DOWN, ("seek", -60.0)),
        (sdl2.SDLK_PAGEUP, ("seek_page", 1)),
        (sdl2.SDLK_PAGEDOWN, ("seek_page", -1)),
    ],
)
def test_key_table(table, key, command):
    assert tuple(trace_form(table[key])) == command


def test_quit_constant():
    assert trace_form(QUIT) == ["quit"]


def test_left_right_follow_seek_interval_up_down_do_not():
    t = sdl_key_table(2.5)
    assert tuple(trace_form(t[sdl2.SDLK_LEFT])) == ("seek", -2.5)
    assert tuple(trace_form(t[sdl2.SDLK_RIGHT])) == ("seek", 2.5)
    assert tuple(trace_form(t[sdl2.SDLK_UP])) == ("seek", 60.0)
    assert tuple(trace_form(t[sdl2.SDLK_DOWN])) == ("seek", -60.0)


def test_unmapped_keys_do_nothing(table):
    for key in (
        sdl2.SDLK_b,
        sdl2.SDLK_x,
        sdl2.SDLK_1,
        sdl2.SDLK_RETURN,
        sdl2.SDLK_KP_PLUS,
        sdl2.SDLK_KP_MINUS,
    ):
        assert key not in table


# --- mouse ------------------------------------------------------------------------------

LEFT, RIGHT, MIDDLE = sdl2.SDL_BUTTON_LEFT, sdl2.SDL_BUTTON_RIGHT, sdl2.SDL_BUTTON_MIDDLE


def test_double_click_within_half_a_second_toggles_fullscreen():
    assert DOUBLE_CLICK_TIME == 0.5
    m = MouseState()
    assert m.button_down(LEFT, 10, 640, now=100.0) is None
    assert m.button_down(LEFT, 10, 640, now=100.3) == ToggleFullScreen()


def test_double_click_at_exactly_half_a_second_counts():
    m = MouseState()
    m.button_down(LEFT, 0, 640, now=100.0)
    assert m.button_down(LEFT, 0, 640, now=100.5) == ToggleFullScreen()  # <= 500000 us


def test_slow_clicks_do_not_toggle():
    m = MouseState()
    assert m.button_down(LEFT, 0, 640, now=100.0) is None
    assert m.button_down(LEFT, 0, 640, now=100.75) is None
    # ...but the slow second click starts a new pair
    assert m.button_down(LEFT, 0, 640, now=101.0) == ToggleFullScreen()


def test_double_click_resets_the_timer():
    m = MouseState()
    m.button_down(LEFT, 0, 640, now=1.0)
    assert m.button_down(LEFT, 0, 640, now=1.1) == ToggleFullScreen()
    assert m.button_down(LEFT, 0, 640, now=1.2) is None  # a third click starts over
    assert m.button_down(LEFT, 0, 640, now=1.3) == ToggleFullScreen()


def test_first_click_ever_does_not_toggle_even_at_time_zero():
    m = MouseState()
    assert m.button_down(LEFT, 0, 640, now=0.0) is None
    assert m.button_down(LEFT, 0, 640, now=0.2) == ToggleFullScreen()


def test_other_buttons_do_not_count_as_clicks():
    m = MouseState()
    m.button_down(LEFT, 0, 640, now=5.0)
    assert m.button_down(MIDDLE, 0, 640, now=5.1) is None
    assert m.button_down(LEFT, 0, 640, now=5.2) == ToggleFullScreen()


@pytest.mark.parametrize(
    "x, width, frac",
    [(0, 640, 0.0), (320, 640, 0.5), (160, 640, 0.25), (640, 640, 1.0), (-15, 640, 0.0), (700, 640, 1.0)],
)
def test_right_click_seeks_to_the_fraction_of_the_width(x, width, frac):
    m = MouseState()
    cmd = m.button_down(RIGHT, x, width, now=1.0)
    assert isinstance(cmd, SeekFraction)
    assert cmd.fraction == pytest.approx(frac)
    assert 0.0 <= cmd.fraction <= 1.0


def test_right_click_without_a_window_width_does_nothing():
    assert MouseState().button_down(RIGHT, 10, 0, now=1.0) is None


def test_right_button_drag_seeks_and_plain_motion_does_not():
    m = MouseState()
    assert m.motion(True, 480, 640).fraction == pytest.approx(0.75)
    assert m.motion(True, 1000, 640) == SeekFraction(1.0)
    assert m.motion(True, -1, 640) == SeekFraction(0.0)
    assert m.motion(False, 480, 640) is None
    assert m.motion(True, 480, 0) is None
