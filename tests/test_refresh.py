"""video_refresh decisions with an injected clock and a fake output (no threads, no devices).

The real queues (PacketQueue, FrameQueue), clocks and playback control are used; only time
and the screen are fakes: the test moves time and reads which picture was displayed.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest

from pyffplay.control import PlaybackControl
from pyffplay.frame_queue import SAMPLE_QUEUE_SIZE, SUBPICTURE_QUEUE_SIZE, VIDEO_PICTURE_QUEUE_SIZE
from pyffplay.pipeline import StreamPipeline
from pyffplay.refresh import START_AUDIO_WAIT, VideoRefresh
from pyffplay.sync import Clocks
from pyffplay.trace import Trace

FRAME = 1 / 30


class FakeTime:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


class FakeOutput:
    shows_pictures = True

    def __init__(self) -> None:
        self.shown: list[float] = []
        self.subs: list = []

    def display(self, vp, sub=None) -> None:
        self.shown.append(vp.pts if vp is not None else math.nan)
        self.subs.append(sub)


class Rig:
    """A player's refresh side: video (and optionally audio) pipelines, clocks, control."""

    def __init__(self, sync: str = "video", audio: bool = False, framedrop: int = -1) -> None:
        self.now = FakeTime()
        self.video = StreamPipeline("video", VIDEO_PICTURE_QUEUE_SIZE, True)
        self.audio = StreamPipeline("audio", SAMPLE_QUEUE_SIZE, True)
        self.subtitle = StreamPipeline("subtitle", SUBPICTURE_QUEUE_SIZE, False)
        self.video.st = SimpleNamespace(index=0)
        self.video.pktq.start()
        self.clocks = Clocks(
            sync, lambda: self.video.pktq.serial, lambda: self.audio.pktq.serial, now=self.now
        )
        self.clocks.has_video = True
        if audio:
            self.audio.st = SimpleNamespace(index=1)
            self.audio.decoder = SimpleNamespace(finished=0)
            self.audio.pktq.start()
            self.clocks.has_audio = True
        self.control = PlaybackControl(self.clocks, 100, lambda: None, now=self.now)
        self.output = FakeOutput()
        self.refresh = VideoRefresh(
            self.video,
            self.audio,
            self.subtitle,
            self.clocks,
            self.control,
            self.output,
            Trace(None),
            framedrop=framedrop,
            untimed=False,
            now=self.now,
        )
        self.audio_running = True
        self.refresh.audio_running = lambda: self.audio_running
        self.pictures: list[float] = []
        self.refresh.on_picture = lambda vp: self.pictures.append(vp.pts)

    def queue(self, pts: float, serial: int | None = None) -> bool:
        """Queue a picture if there is room (as the decoder would)."""
        pictq = self.video.frameq
        if pictq.size >= pictq.max_size:
            return False
        vp = pictq.peek_writable()
        assert vp is not None
        vp.pts, vp.duration, vp.frame = pts, FRAME, object()
        vp.serial = self.video.pktq.serial if serial is None else serial
        pictq.push()
        return True

    def tick(self, dt: float = 0.0) -> float:
        self.now.t += dt
        return self.refresh.video_refresh(0.01, is_open=True)


def test_first_picture_is_shown_at_once_and_the_next_when_due():
    rig = Rig()
    rig.queue(0.0)
    rig.queue(FRAME)
    rig.tick()
    assert rig.output.shown == [0.0]
    remaining = rig.tick(0.01)
    assert rig.output.shown == [0.0]  # not due yet: no redraw
    assert 0 < remaining <= 0.01
    rig.tick(FRAME)
    assert rig.output.shown[-1] == pytest.approx(FRAME)
    assert rig.pictures == [0.0, pytest.approx(FRAME)]


def test_pictures_of_a_stale_serial_are_skipped():
    rig = Rig()
    old = rig.video.pktq.serial
    rig.queue(5.0, serial=old)
    rig.video.pktq.flush()  # a seek: serial + 1
    rig.queue(20.0)
    rig.tick()
    assert rig.output.shown == [20.0]


def test_late_pictures_are_dropped_when_video_is_not_the_master():
    rig = Rig(sync="ext")
    rig.clocks.extclk.set(0.0, 0)
    rig.queue(0.0)
    rig.tick()
    for i in (1, 2):
        rig.queue(i * FRAME)
    # Picture 1's time has passed by more than its duration (less than 0.1 s, after which
    # ffplay resets its frame timer instead): it is dropped and picture 2 shown.
    rig.tick(2 * FRAME + 0.005)
    assert rig.refresh.frame_drops_late >= 1
    assert rig.output.shown[-1] == pytest.approx(2 * FRAME)


def test_late_pictures_are_kept_when_framedrop_is_off():
    rig = Rig(sync="ext", framedrop=0)
    rig.queue(0.0)
    rig.tick()
    for i in (1, 2):
        rig.queue(i * FRAME)
    rig.tick(2 * FRAME + 0.005)
    assert rig.refresh.frame_drops_late == 0
    assert rig.output.shown[-1] == pytest.approx(FRAME)


def test_pause_freezes_the_picture_and_resume_goes_on():
    rig = Rig()
    rig.queue(0.0)
    rig.queue(FRAME)
    rig.tick()
    rig.control.toggle_pause()
    rig.tick(1.0)
    assert rig.output.shown == [0.0]
    rig.control.toggle_pause()
    rig.tick(FRAME + 0.001)
    assert rig.output.shown[-1] == pytest.approx(FRAME)


def test_step_shows_one_picture_then_pauses():
    rig = Rig()
    for i in range(3):
        rig.queue(i * FRAME)
    rig.tick()
    rig.control.toggle_pause()
    rig.control.step_to_next_frame()
    assert not rig.control.paused
    rig.tick(FRAME + 0.001)
    assert rig.output.shown[-1] == pytest.approx(FRAME)
    assert rig.control.paused  # paused again after the one picture
    rig.tick(1.0)
    assert rig.output.shown[-1] == pytest.approx(FRAME)


def test_first_picture_waits_for_the_audio_clock_bounded():
    rig = Rig(sync="audio", audio=True)
    rig.audio_running = False
    rig.queue(0.0)
    rig.queue(FRAME)
    rig.tick()
    assert rig.output.shown == [0.0]
    rig.tick(1.0)  # audio clock unset: the first picture holds
    assert rig.output.shown == [0.0]
    rig.tick(START_AUDIO_WAIT)  # but not forever
    assert rig.output.shown[-1] == pytest.approx(FRAME)


def test_audio_clock_running_releases_the_first_picture():
    rig = Rig(sync="audio", audio=True)
    rig.queue(0.0)
    rig.queue(FRAME)
    rig.tick()
    rig.clocks.audclk.set(FRAME, rig.audio.pktq.serial)
    rig.tick(FRAME + 0.001)
    assert rig.output.shown[-1] == pytest.approx(FRAME)


def test_at_the_end_the_last_picture_stays():
    rig = Rig()
    rig.queue(0.0)
    rig.tick()
    for _ in range(5):
        rig.tick(1.0)
    assert rig.output.shown == [0.0]
    rig.refresh.force_refresh = True  # an expose redraws it
    rig.tick()
    assert rig.output.shown == [0.0, 0.0]
    assert rig.pictures == [0.0]  # a redraw is not a new picture


def test_seek_is_reported_when_its_first_picture_shows():
    rig = Rig()
    seen = []
    rig.refresh.on_seek_shown = lambda t_req, target: seen.append(target)
    rig.queue(0.0)
    rig.tick()
    rig.video.pktq.flush()
    rig.refresh.pending_seeks[rig.video.pktq.serial] = (rig.now(), 10.0)
    rig.tick(0.05)
    assert seen == []
    rig.queue(10.0)
    rig.tick(0.01)
    assert seen == [10.0]
    assert rig.output.shown[-1] == 10.0


def test_show_modes_cycle_as_ffplay():
    from pyffplay.visualize import next_show_mode

    assert next_show_mode("video", True, True) == "waves"
    assert next_show_mode("waves", True, True) == "rdft"
    assert next_show_mode("rdft", True, True) == "video"
    assert next_show_mode("rdft", False, True) == "waves"  # no picture: waves <-> rdft
    assert next_show_mode("video", True, False) == "video"  # no sound: nothing else to show


def test_waves_and_spectrum_pictures():
    import numpy as np

    from pyffplay.visualize import Spectrogram, waves_picture

    t = np.arange(4096) / 48000
    tone = np.stack([0.5 * np.sin(2 * np.pi * 1000 * t), np.zeros_like(t)]).astype(np.float32)
    img = waves_picture(tone, 320, 200)
    assert img.shape == (200, 320, 3)
    top = img[:100].min(axis=2) == 255
    assert top.any() and not (img[100:].min(axis=2) == 255).any()  # silent second channel
    assert tuple(img[100, 0]) == (0, 0, 255)  # the line between the channels
    spec = Spectrogram()
    pic = spec.update(tone, 64, 200, advance=True)
    assert spec.xpos == 1 and pic[:, 1:].max() == 0
    column = pic[:, 0, 0].astype(int)  # red: the first channel
    peak_row = 199 - int(np.argmax(column))  # rows count down from the top
    bins = Spectrogram.samples_needed(200)
    assert abs(peak_row - round(1000 * bins / 48000)) <= 1


def test_a_subtitle_is_drawn_from_its_start_until_it_expires_or_subtitles_go_off():
    from pyffplay.subtitles import Subtitle

    rig = Rig()
    rig.subtitle.st = SimpleNamespace(index=2)
    rig.subtitle.pktq.start()
    subs = []
    for start, end in ((2 * FRAME, 3.5 * FRAME), (5 * FRAME, 6.5 * FRAME)):
        sp = rig.subtitle.frameq.peek_writable()
        assert sp is not None
        sp.pts, sp.serial = start, rig.subtitle.pktq.serial
        sp.sub = SimpleNamespace(start_display_time=0, end_display_time=round((end - start) * 1000))
        sp.frame = Subtitle(lines=[f"at {start:.3f}"])
        subs.append(sp.frame)
        rig.subtitle.frameq.push()
    for i in range(8):
        rig.queue(i * FRAME)
        rig.tick(FRAME)
    assert rig.output.shown == [pytest.approx(i * FRAME) for i in range(8)]
    assert rig.output.subs == [None, None, subs[0], subs[0], None, subs[1], subs[1], None]
    # t turns subtitles off: the stream closes, the next display has none.
    rig.subtitle.st = None
    rig.refresh.force_refresh = True
    rig.tick()
    assert rig.output.subs[-1] is None


def test_the_loop_sleeps_until_the_next_picture_is_due():
    rig = Rig()
    rig.queue(0.0)
    rig.queue(FRAME)
    remaining = rig.refresh.video_refresh(1.0, is_open=True)  # shows 0.0
    assert rig.output.shown == [0.0]
    assert remaining == pytest.approx(FRAME)  # not REFRESH_RATE steps: one wake per picture
    rig.now.t += remaining
    rig.refresh.video_refresh(1.0, is_open=True)
    assert rig.output.shown[-1] == pytest.approx(FRAME)


def test_with_no_picture_queued_the_loop_looks_again_every_refresh_rate():
    from pyffplay.refresh import REFRESH_RATE

    rig = Rig()
    assert rig.refresh.video_refresh(1.0, is_open=True) == REFRESH_RATE
    rig.queue(0.0)
    assert rig.refresh.video_refresh(1.0, is_open=True) == REFRESH_RATE  # shown; none after it
