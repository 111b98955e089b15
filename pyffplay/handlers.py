"""One handler per command (pyffplay.commands), run on the player's loop thread.

Keys, terminal keys, signals and API calls all arrive here as the same commands; each
handler turns one into calls on the player's parts (control.py, refresh.py, the output).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pyffplay import commands as cmd
from pyffplay.visualize import SHOW_MODE_VIDEO, next_show_mode

if TYPE_CHECKING:
    from pyffplay.core import VideoState


def execute(vs: VideoState, command: cmd.Command) -> None:
    _HANDLERS[type(command)](vs, command)


def _quit(vs: VideoState, c: cmd.Quit) -> None:
    vs.request_quit(c.reason)


def _refresh(vs: VideoState, c: cmd.Refresh) -> None:
    vs.refresh.force_refresh = True


def _toggle_pause(vs: VideoState, c: cmd.TogglePause) -> None:
    vs.control.toggle_pause()
    vs.trace.event("pause", paused=vs.control.paused)


def _set_pause(vs: VideoState, c: cmd.SetPause) -> None:
    if c.paused != vs.control.paused:
        _toggle_pause(vs, cmd.TogglePause())


def _step(vs: VideoState, c: cmd.Step) -> None:
    vs.control.step_to_next_frame()


def _toggle_mute(vs: VideoState, c: cmd.ToggleMute) -> None:
    vs.control.muted = not vs.control.muted


def _set_mute(vs: VideoState, c: cmd.SetMute) -> None:
    vs.control.muted = c.muted


def _change_volume(vs: VideoState, c: cmd.ChangeVolume) -> None:
    vs.control.change_volume(c.sign)


def _set_volume(vs: VideoState, c: cmd.SetVolume) -> None:
    vs.control.set_volume_percent(c.percent)


def _toggle_full_screen(vs: VideoState, c: cmd.ToggleFullScreen) -> None:
    vs.output.toggle_full_screen()
    vs.refresh.force_refresh = True


def _seek(vs: VideoState, c: cmd.Seek) -> None:
    accurate = True if c.accurate else None  # else -accurate_seek decides
    if c.relative:
        vs.control.seek_relative(c.seconds, accurate)
    else:
        vs.control.seek_to(c.seconds, accurate)


def _seek_page(vs: VideoState, c: cmd.SeekPage) -> None:
    vs.control.seek_page(c.direction)


def _seek_fraction(vs: VideoState, c: cmd.SeekFraction) -> None:
    vs.control.seek_fraction(c.fraction)


def _cycle_stream(vs: VideoState, c: cmd.CycleStream) -> None:
    vs.control.cycle_stream(c.kind)


def _cycle_show_mode(vs: VideoState, c: cmd.CycleShowMode) -> None:
    """ffplay's w: the next -vf while showing video, else toggle_audio_display."""
    control = vs.control
    if control.show_mode == SHOW_MODE_VIDEO and control.cycle_vfilter():
        return
    mode = next_show_mode(control.show_mode, vs.video.is_open, vs.audio.is_open)
    if mode != control.show_mode:
        control.show_mode = mode
        vs.refresh.force_refresh = True
        vs.trace.event("show_mode", mode=mode)


_HANDLERS: dict[type, Callable[[Any, Any], None]] = {
    cmd.Quit: _quit,
    cmd.Refresh: _refresh,
    cmd.TogglePause: _toggle_pause,
    cmd.SetPause: _set_pause,
    cmd.Step: _step,
    cmd.ToggleMute: _toggle_mute,
    cmd.SetMute: _set_mute,
    cmd.ChangeVolume: _change_volume,
    cmd.SetVolume: _set_volume,
    cmd.ToggleFullScreen: _toggle_full_screen,
    cmd.Seek: _seek,
    cmd.SeekPage: _seek_page,
    cmd.SeekFraction: _seek_fraction,
    cmd.CycleStream: _cycle_stream,
    cmd.CycleShowMode: _cycle_show_mode,
}
