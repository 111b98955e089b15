"""ffplay's audio show modes: the waveform and the RDFT spectrogram, as RGB pictures.

The audio callback copies what it plays into a SampleTap (a ring of recent samples, with the
time each block is heard). The refresh loop asks for the samples heard now and turns them
into an RGB picture with NumPy, which any video output can show (a texture in the window,
cells in the terminal). Nothing here loops over pixels or samples in Python.
"""

from __future__ import annotations

import threading

import numpy as np

SHOW_MODE_VIDEO = "video"
SHOW_MODE_WAVES = "waves"
SHOW_MODE_RDFT = "rdft"
SHOW_MODES = (SHOW_MODE_VIDEO, SHOW_MODE_WAVES, SHOW_MODE_RDFT)

RING_FRAMES = 1 << 16  # ffplay's SAMPLE_ARRAY_SIZE is 8 * 65536 int16 values, interleaved


class SampleTap:
    """The last RING_FRAMES sample frames played, and when the newest is heard."""

    def __init__(self, channels: int, rate: int) -> None:
        self.channels = channels
        self.rate = rate
        self.ring = np.zeros((RING_FRAMES, channels), dtype=np.float32)
        self.index = 0  # where the next block goes
        self.end_time = 0.0  # when the sample before `index` is heard
        self._lock = threading.Lock()

    def write(self, block: np.ndarray, dac_time: float) -> None:
        """From the audio callback: ``block`` (n, channels) starts being heard at dac_time."""
        n = min(block.shape[0], RING_FRAMES)
        block = block[-n:]
        with self._lock:
            i = self.index
            first = min(n, RING_FRAMES - i)
            self.ring[i : i + first] = block[:first]
            self.ring[: n - first] = block[first:]
            self.index = (i + n) % RING_FRAMES
            self.end_time = dac_time + block.shape[0] / self.rate

    def recent(self, count: int, now: float) -> np.ndarray:
        """(channels, count): the ``count`` samples ending with the one heard at ``now``."""
        count = min(count, RING_FRAMES)
        with self._lock:
            not_yet = int(round((self.end_time - now) * self.rate))
            end = (self.index - max(0, min(not_yet, RING_FRAMES - count))) % RING_FRAMES
            idx = (np.arange(end - count, end)) % RING_FRAMES
            return self.ring[idx].T.copy()


def next_show_mode(mode: str, has_video: bool, has_audio: bool) -> str:
    """ffplay's toggle_audio_display: video -> waves -> RDFT, skipping what cannot show."""
    i = SHOW_MODES.index(mode)
    for step in range(1, len(SHOW_MODES) + 1):
        candidate = SHOW_MODES[(i + step) % len(SHOW_MODES)]
        if candidate == SHOW_MODE_VIDEO and has_video:
            return candidate
        if candidate != SHOW_MODE_VIDEO and has_audio:
            return candidate
    return mode


def waves_picture(samples: np.ndarray, width: int, height: int) -> np.ndarray:
    """ffplay's SHOW_MODE_WAVES: each channel's last ``width`` samples as white vertical
    bars from its centre line, channels stacked, blue lines between them."""
    channels = samples.shape[0]
    img = np.zeros((height, width, 3), dtype=np.uint8)
    if channels == 0 or width <= 0 or height <= 0:
        return img
    h = height // channels
    h2 = (h * 9) // 20
    rows = np.arange(height)[:, None]
    for ch in range(channels):
        data = samples[ch, -width:]
        if data.shape[0] < width:
            data = np.concatenate([np.zeros(width - data.shape[0], np.float32), data])
        y = (np.clip(data, -1.0, 1.0) * h2).astype(np.int64)
        centre = ch * h + h // 2
        top = np.where(y < 0, centre + y, centre)[None, :]
        length = np.abs(y)[None, :]
        mask = (rows >= top) & (rows < top + length)
        img[mask] = 255
    for ch in range(1, channels):
        img[ch * h, :] = (0, 0, 255)
    return img


def rdft_bits_for(height: int) -> int:
    bits = 1
    while (1 << bits) < 2 * height:
        bits += 1
    return bits


def spectrum_column(samples: np.ndarray, height: int) -> np.ndarray:
    """ffplay's SHOW_MODE_RDFT column: (height, 3) uint8, lowest frequency at the bottom;
    red from the first channel, green from the second, blue their mean."""
    nb_freq = 1 << (rdft_bits_for(height) - 1)
    chans = samples[:2, -2 * nb_freq :]
    if chans.shape[1] < 2 * nb_freq:
        chans = np.pad(chans, ((0, 0), (2 * nb_freq - chans.shape[1], 0)))
    w = (np.arange(2 * nb_freq) - nb_freq) / nb_freq
    spectra = np.abs(np.fft.rfft(chans * 32768.0 * (1.0 - w * w), axis=1))[:, :height]
    levels = np.minimum(np.sqrt(spectra / np.sqrt(nb_freq)), 255).astype(np.int64)
    a = levels[0]
    b = levels[1] if levels.shape[0] > 1 else a
    col = np.stack([a, b, (a + b) >> 1], axis=1).astype(np.uint8)
    if col.shape[0] < height:
        col = np.pad(col, ((0, height - col.shape[0]), (0, 0)))
    return col[::-1]


class Spectrogram:
    """The scrolling RDFT picture: one new column per refresh at ``xpos``, as ffplay."""

    def __init__(self) -> None:
        self.picture = np.zeros((0, 0, 3), dtype=np.uint8)
        self.xpos = 0

    def update(self, samples: np.ndarray, width: int, height: int, advance: bool) -> np.ndarray:
        if self.picture.shape[:2] != (height, width):
            self.picture = np.zeros((height, width, 3), dtype=np.uint8)
            self.xpos = 0
        if width and height:
            if self.xpos >= width:
                self.xpos = 0
            self.picture[:, self.xpos] = spectrum_column(samples, height)
            if advance:
                self.xpos += 1
        return self.picture

    @staticmethod
    def samples_needed(height: int) -> int:
        return 1 << rdft_bits_for(height)
