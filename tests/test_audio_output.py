"""The audio output's pure parts: the device block size."""

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
