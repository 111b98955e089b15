"""The library API end to end: pyffplay.Player in this process, real decoding, real devices.

Sources from a path, from bytes in memory and from file objects; play, pause, seek, step,
volume, on_frame, on_event, wait and close; threads joined after close; two players in turn
and two at once. The pictures handed to on_frame are checked by the index each test frame
carries, so the tests know which frame was shown.
"""

from __future__ import annotations

import io
import threading
import time

import pytest

import pyffplay
from tests.media import decode_frame_index
from tests.observe import _wait_until

# Generous bounds: the machine is shared and has two cores.
WAIT = 20.0


def _indices(frames):
    return [decode_frame_index(f.to_ndarray(format="rgb24")) for f, _ in frames]


class Recorder:
    """on_frame and on_event targets (called from the player's thread)."""

    def __init__(self, keep_frames: bool = False) -> None:
        self.keep_frames = keep_frames
        self.frames: list = []
        self.pts: list[float] = []
        self.events: list[tuple[str, dict]] = []
        self.lock = threading.Lock()

    def on_frame(self, frame, pts):
        with self.lock:
            self.pts.append(pts)
            if self.keep_frames:
                self.frames.append((frame, pts))

    def on_event(self, name, data):
        with self.lock:
            self.events.append((name, data))

    def names(self):
        with self.lock:
            return [n for n, _ in self.events]


@pytest.fixture
def quiet_threads():
    """The threads alive before the test; the test checks none of its own are left."""
    before = set(threading.enumerate())
    yield before


def _leftover(before):
    return [t for t in threading.enumerate() if t not in before and t.is_alive()]


def test_plays_a_path_to_the_end_and_reports_it(pulse_server, clip_short, quiet_threads):
    rec = Recorder()
    with pyffplay.Player(
        str(clip_short), vo="null", autoexit=True, on_frame=rec.on_frame, on_event=rec.on_event
    ) as p:
        assert p.position is None and p.duration is None and not p.paused
        p.play()
        assert p.wait(WAIT) == "eof"
        assert p.duration == pytest.approx(4.0, abs=0.1)
        assert [s["type"] for s in p.streams] == ["video", "audio"]
        assert all(s["selected"] for s in p.streams)
    # Every picture of the 4 s clip was handed over, in order.
    assert len(rec.pts) >= 100, len(rec.pts)
    assert rec.pts == sorted(rec.pts) and rec.pts[-1] >= 3.9
    assert rec.names()[0] == "open" and rec.names()[-1] == "end"
    assert rec.events[-1][1] == {"reason": "eof"}
    _wait_until(lambda: not _leftover(quiet_threads), 2, what="threads joined")


def test_bytes_from_memory_play_and_frames_are_the_right_ones(clip_short, quiet_threads):
    data = clip_short.read_bytes()
    rec = Recorder(keep_frames=True)
    p = pyffplay.Player(data, vo="null", ao="null", autoexit=True, t=1, on_frame=rec.on_frame)
    p.play()
    assert p.wait(WAIT) == "eof"
    p.close()
    idx = _indices(rec.frames)
    # 30 fps: the first second is frames 0..29 (the last may be cut by -t).
    assert idx[0] == 0 and idx == sorted(idx) and 27 <= idx[-1] <= 30, idx
    assert not _leftover(quiet_threads)


def test_file_objects_with_and_without_a_descriptor(clip_short):
    with open(clip_short, "rb") as f:
        with pyffplay.Player(f, vo="null", ao="null", autoexit=True, t=0.5) as p:
            p.play()
            assert p.wait(WAIT) == "eof", p.error
    rec = Recorder()
    buf = io.BytesIO(clip_short.read_bytes())
    with pyffplay.Player(buf, vo="null", ao="null", autoexit=True, t=0.5, on_frame=rec.on_frame) as p:
        p.play()
        assert p.wait(WAIT) == "eof", p.error
    assert len(rec.pts) >= 10


def test_seek_pause_step_volume_mute(pulse_server, clip_long):
    rec = Recorder(keep_frames=True)
    with pyffplay.Player(
        str(clip_long), vo="null", volume=40, on_frame=rec.on_frame, on_event=rec.on_event
    ) as p:
        assert p.volume == 40
        p.play()
        _wait_until(lambda: p.position is not None and p.position > 0.3, WAIT, what="playing")
        p.seek(20.0)
        _wait_until(lambda: "seek" in rec.names(), WAIT, what="seek event")
        _wait_until(lambda: p.position is not None and p.position >= 20.0, WAIT, what="position after seek")
        # The pictures after the seek come from 20 s on (keyframe every second).
        with rec.lock:
            after = [f for f in rec.frames if f[1] >= 19.0]
        assert after, rec.pts[-5:]
        assert decode_frame_index(after[0][0].to_ndarray(format="rgb24")) >= 19 * 30
        p.pause()
        _wait_until(lambda: p.paused, WAIT, what="paused")
        time.sleep(0.2)  # let a picture already on its way land
        n = len(rec.pts)
        pos = p.position
        time.sleep(0.5)
        assert len(rec.pts) == n and p.position == pytest.approx(pos, abs=0.05)
        p.step()
        _wait_until(lambda: len(rec.pts) == n + 1, WAIT, what="one stepped picture")
        _wait_until(lambda: p.paused, WAIT, what="paused again after the step")
        p.volume = 75
        p.muted = True
        _wait_until(lambda: p.volume == pytest.approx(75, abs=2) and p.muted, WAIT, what="volume and mute")
        p.resume()
        _wait_until(lambda: len(rec.pts) > n + 10, WAIT, what="playing again")
        stats = p.stats
        assert stats["frame_drops"] >= 0 and stats["videoq"] >= 0
        p.seek(-5.0, relative=True)
        _wait_until(lambda: p.position is not None and p.position < 20.0, WAIT, what="relative seek")


def test_close_is_prompt_idempotent_and_joins_every_thread(pulse_server, clip_long, quiet_threads):
    p = pyffplay.Player(str(clip_long), vo="null")
    p.play()
    _wait_until(lambda: p.position is not None, WAIT, what="playing")
    t0 = time.monotonic()
    p.close()
    took = time.monotonic() - t0
    assert took < 1.0, took  # 200 ms is the aim; the bound is generous for a loaded machine
    p.close()
    assert p.wait(0) == "quit"
    assert not _leftover(quiet_threads), _leftover(quiet_threads)


def test_two_players_in_turn_and_two_at_once(pulse_server, clip_short, quiet_threads):
    for _ in range(2):
        with pyffplay.Player(str(clip_short), vo="null", autoexit=True, t=0.5) as p:
            p.play()
            assert p.wait(WAIT) == "eof", p.error
    recs = [Recorder(), Recorder()]
    players = [
        pyffplay.Player(str(clip_short), vo="null", ao="null", autoexit=True, t=1, on_frame=r.on_frame)
        for r in recs
    ]
    for p in players:
        p.play()
    assert [p.wait(WAIT) for p in players] == ["eof", "eof"]
    for p in players:
        p.close()
    assert all(len(r.pts) >= 25 for r in recs), [len(r.pts) for r in recs]
    _wait_until(lambda: not _leftover(quiet_threads), 2, what="threads joined")


def test_options_are_checked_as_on_the_command_line():
    with pytest.raises(ValueError, match="Unrecognized option 'nosuch'"):
        pyffplay.Player("x.mp4", nosuch=1)
    with pytest.raises(ValueError, match="Invalid value 'loud' for option 'volume'"):
        pyffplay.Player("x.mp4", volume="loud")
    with pytest.raises(ValueError, match="Invalid value 'tv' for option 'vo'"):
        pyffplay.Player("x.mp4", vo="tv")


def test_errors_end_with_one_line_and_the_error_reason(tmp_path):
    rec = Recorder()
    p = pyffplay.Player(str(tmp_path / "missing.mp4"), vo="null", on_event=rec.on_event)
    p.play()
    assert p.wait(WAIT) == "error"
    assert p.error == f"{tmp_path / 'missing.mp4'}: No such file or directory"
    assert ("error", {"message": p.error}) in rec.events
    p.close()
    p = pyffplay.Player(b"this is not media" * 100, vo="null")
    p.play()
    assert p.wait(WAIT) == "error"
    assert p.error and "\n" not in p.error and "Traceback" not in p.error
    p.close()


def test_window_output_shows_the_pictures(x_display, pulse_server, clip_short):
    rec = Recorder()
    with pyffplay.Player(
        str(clip_short), vo="sdl", autoexit=True, t=1, window_title="api window", on_frame=rec.on_frame
    ) as p:
        p.play()
        assert p.wait(WAIT) == "eof", p.error
        assert p.video_output is not None
    assert len(rec.pts) >= 25


@pytest.mark.parametrize("accurate, first_index", [(True, 375), (False, 360)])
def test_accurate_seek_lands_on_the_frame_asked_for(clip_long, accurate, first_index):
    """A keyframe every second: a plain seek to 12.5 s shows from the keyframe at 12 s,
    an accurate one decodes up to 12.5 s and shows nothing before it."""
    rec = Recorder(keep_frames=True)
    with pyffplay.Player(
        str(clip_long), vo="null", ao="null", on_frame=rec.on_frame, on_event=rec.on_event
    ) as p:
        p.play()
        _wait_until(lambda: p.position is not None and p.position > 0.3, WAIT, what="playing")
        p.pause()
        _wait_until(lambda: p.paused, WAIT, what="paused")
        p.seek(12.5, accurate=accurate)
        _wait_until(lambda: "seek" in rec.names(), WAIT, what="the seek's first picture")
        with rec.lock:
            after = [f for f, pts in rec.frames if pts >= 11.0]
        assert after, rec.pts[-3:]
        assert decode_frame_index(after[0].to_ndarray(format="rgb24")) == first_index
