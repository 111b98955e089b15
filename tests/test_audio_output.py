"""The audio output's pure parts: the device block size, the conversion, the preroll."""

from __future__ import annotations

import pytest

from pyffplay.audio_output import audio_block_size


@pytest.mark.parametrize(
    ("rate", "block"),
    [(8000, 512), (22050, 1024), (44100, 2048), (48000, 2048), (96000, 4096)],
)
def test_block_size_is_ffplays(rate: int, block: int) -> None:
    # ffplay: FFMAX(SDL_AUDIO_MIN_BUFFER_SIZE, 2 << av_log2(freq / SDL_AUDIO_MAX_CALLBACKS_PER_SEC))
    assert audio_block_size(rate) == block


@pytest.mark.parametrize("fmt", ["fltp", "flt"])
def test_float_frames_at_the_device_rate_come_out_packed(fmt: str) -> None:
    import av
    import numpy as np

    from pyffplay.decoders import AudioConverter

    left = np.arange(1024, dtype=np.float32) / 1024
    right = -left
    planar = np.stack([left, right])
    data = planar if fmt == "fltp" else planar.T.reshape(1, -1).copy()
    frame = av.AudioFrame.from_ndarray(data, format=fmt, layout="stereo")
    frame.sample_rate = 48000
    (out,) = AudioConverter(48000, 2).convert(frame)
    assert out.shape == (1024, 2) and out.dtype == np.float32
    assert np.array_equal(out[:, 0], left) and np.array_equal(out[:, 1], right)


def test_other_rates_go_through_swresample() -> None:
    import av
    import numpy as np

    from pyffplay.decoders import AudioConverter

    frame = av.AudioFrame.from_ndarray(np.zeros((1, 2048), np.int16), format="s16", layout="stereo")
    frame.sample_rate = 44100
    blocks = AudioConverter(48000, 2).convert(frame)
    assert all(b.dtype == np.float32 and b.shape[1] == 2 for b in blocks)


def test_preroll_waits_for_the_pictures_then_never_again() -> None:
    from pyffplay.audio_output import Preroll

    ready = [False]
    p = Preroll(lambda: ready[0], max_wait=0.5)
    assert not p.over(10.0)  # the first ask starts the wait
    assert not p.over(10.2)
    ready[0] = True
    assert p.over(10.25)
    ready[0] = False  # a later gap in the pictures does not stop the sound
    assert p.over(10.3)
    assert p.started == 10.0


def test_preroll_gives_up_after_its_longest_wait() -> None:
    from pyffplay.audio_output import Preroll

    p = Preroll(lambda: False, max_wait=0.5)
    assert not p.over(3.0)
    assert not p.over(3.49)
    assert p.over(3.5)  # a video that never comes does not keep the sound off


def test_pictures_ready_means_shown_and_queued_or_video_over() -> None:
    from types import SimpleNamespace

    from pyffplay.streams import _pictures_ready

    decoder = SimpleNamespace(finished=0)
    video = SimpleNamespace(
        is_open=True,
        decoder=decoder,
        pktq=SimpleNamespace(serial=1),
        frameq=SimpleNamespace(size=3, max_size=3),
    )
    vs = SimpleNamespace(is_open=False, video=video, refresh=SimpleNamespace(shown_serial=-1))
    assert not _pictures_ready(vs)  # streams still opening: a video may come
    vs.is_open = True
    assert not _pictures_ready(vs)  # queued, but the first picture is not on screen yet
    vs.refresh.shown_serial = 1
    assert _pictures_ready(vs)
    video.frameq.size = 1
    assert not _pictures_ready(vs)  # on screen, but the decoder has not caught up
    decoder.finished = 1
    assert _pictures_ready(vs)  # the video ended (a cover picture, a short clip)
    video.is_open = False
    decoder.finished = 0
    assert _pictures_ready(vs)  # no video playing: nothing to wait for
