"""Keys and mouse -> player commands, shared by every input source.

A command is a small tuple: ``("seek", -10.0)``, ``("pause",)``. The player executes
commands from one queue whatever produced them (SDL window, terminal, signals).
"""

from __future__ import annotations

from typing import Any

import sdl2

Command = tuple[Any, ...]

QUIT: Command = ("quit",)


def seek_commands(seek_interval: float) -> dict[int, Command]:
    return {
        sdl2.SDLK_LEFT: ("seek", -seek_interval),
        sdl2.SDLK_RIGHT: ("seek", seek_interval),
        sdl2.SDLK_UP: ("seek", 60.0),
        sdl2.SDLK_DOWN: ("seek", -60.0),
        sdl2.SDLK_PAGEUP: ("seek_page", 1),
        sdl2.SDLK_PAGEDOWN: ("seek_page", -1),
    }


def sdl_key_table(seek_interval: float) -> dict[int, Command]:
    """ffplay's event_loop key switch, as a table."""
    table: dict[int, Command] = {
        sdl2.SDLK_ESCAPE: QUIT,
        sdl2.SDLK_q: QUIT,
        sdl2.SDLK_f: ("fullscreen",),
        sdl2.SDLK_p: ("pause",),
        sdl2.SDLK_SPACE: ("pause",),
        sdl2.SDLK_m: ("mute",),
        sdl2.SDLK_KP_MULTIPLY: ("volume", 1),
        sdl2.SDLK_0: ("volume", 1),
        sdl2.SDLK_KP_DIVIDE: ("volume", -1),
        sdl2.SDLK_9: ("volume", -1),
        sdl2.SDLK_s: ("step",),
        sdl2.SDLK_a: ("cycle", "audio"),
        sdl2.SDLK_v: ("cycle", "video"),
        sdl2.SDLK_t: ("cycle", "subtitle"),
        sdl2.SDLK_c: ("cycle", "program"),
        sdl2.SDLK_w: ("show_mode",),
    }
    table.update(seek_commands(seek_interval))
    return table


# Left double-click toggles fullscreen when the second press comes within this time.
DOUBLE_CLICK_TIME = 0.5


class MouseState:
    """Turns SDL mouse events into commands (fraction seeks, double-click fullscreen)."""

    def __init__(self) -> None:
        self.last_left_click = -1.0

    def button_down(self, button: int, x: int, width: int, now: float) -> Command | None:
        if button == sdl2.SDL_BUTTON_LEFT:
            if self.last_left_click >= 0 and now - self.last_left_click <= DOUBLE_CLICK_TIME:
                self.last_left_click = -1.0
                return ("fullscreen",)
            self.last_left_click = now
            return None
        if button == sdl2.SDL_BUTTON_RIGHT and width > 0:
            return ("seek_frac", min(max(x / width, 0.0), 1.0))
        return None

    def motion(self, right_held: bool, x: int, width: int) -> Command | None:
        if right_held and width > 0:
            return ("seek_frac", min(max(x / width, 0.0), 1.0))
        return None
