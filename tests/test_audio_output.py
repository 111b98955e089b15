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
