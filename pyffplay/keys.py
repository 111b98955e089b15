"""SDL keys and mouse -> player commands (pyffplay.commands), ffplay's event_loop as tables."""

from __future__ import annotations

from pyffplay.commands import (
    QUIT,
    ChangeVolume,
    Command,
    CycleShowMode,
    CycleStream,
    Seek,
    SeekFraction,
    SeekPage,
    Step,
    ToggleFullScreen,
    ToggleMute,
    TogglePause,
)
from pyffplay.sdl_lib import sdl2


def seek_commands(seek_interval: float) -> dict[int, Command]:
    return {
        sdl2.SDLK_LEFT: Seek(-seek_interval),
        sdl2.SDLK_RIGHT: Seek(seek_interval),
        sdl2.SDLK_UP: Seek(60.0),
        sdl2.SDLK_DOWN: Seek(-60.0),
        sdl2.SDLK_PAGEUP: SeekPage(1),
        sdl2.SDLK_PAGEDOWN: SeekPage(-1),
    }


def sdl_key_table(seek_interval: float) -> dict[int, Command]:
    """ffplay's event_loop key switch, as a table."""
    table: dict[int, Command] = {
        sdl2.SDLK_ESCAPE: QUIT,
        sdl2.SDLK_q: QUIT,
        sdl2.SDLK_f: ToggleFullScreen(),
        sdl2.SDLK_p: TogglePause(),
        sdl2.SDLK_SPACE: TogglePause(),
        sdl2.SDLK_m: ToggleMute(),
        sdl2.SDLK_KP_MULTIPLY: ChangeVolume(1),
        sdl2.SDLK_0: ChangeVolume(1),
        sdl2.SDLK_KP_DIVIDE: ChangeVolume(-1),
        sdl2.SDLK_9: ChangeVolume(-1),
        sdl2.SDLK_s: Step(),
        sdl2.SDLK_a: CycleStream("audio"),
        sdl2.SDLK_v: CycleStream("video"),
        sdl2.SDLK_t: CycleStream("subtitle"),
        sdl2.SDLK_c: CycleStream("program"),
        sdl2.SDLK_w: CycleShowMode(),
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
                return ToggleFullScreen()
            self.last_left_click = now
            return None
        if button == sdl2.SDL_BUTTON_RIGHT and width > 0:
            return SeekFraction(min(max(x / width, 0.0), 1.0))
        return None

    def motion(self, right_held: bool, x: int, width: int) -> Command | None:
        if right_held and width > 0:
            return SeekFraction(min(max(x / width, 0.0), 1.0))
        return None
