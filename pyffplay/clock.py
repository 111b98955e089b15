"""Clocks and the pure A/V sync arithmetic of ffplay.

Nothing here touches threads or devices: time comes in as a function (``now``) or a
value, so everything is unit-tested with an injected clock.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

AV_SYNC_THRESHOLD_MIN = 0.04
AV_SYNC_THRESHOLD_MAX = 0.1
AV_SYNC_FRAMEDUP_THRESHOLD = 0.1
AV_NOSYNC_THRESHOLD = 10.0
SAMPLE_CORRECTION_PERCENT_MAX = 10
AUDIO_DIFF_AVG_NB = 20
EXTERNAL_CLOCK_SPEED_MIN = 0.900
EXTERNAL_CLOCK_SPEED_MAX = 1.010
EXTERNAL_CLOCK_SPEED_STEP = 0.001

AV_SYNC_AUDIO_MASTER = "audio"
AV_SYNC_VIDEO_MASTER = "video"
AV_SYNC_EXTERNAL_CLOCK = "ext"

AV_TIME_BASE = 1_000_000  # FFmpeg's internal time unit (microseconds)
SDL_MIX_MAXVOLUME = 128
SDL_VOLUME_STEP = 0.75  # dB

TimeSource = Callable[[], float]


class Clock:
    """ffplay's Clock: a pts that advances with time from the moment it was set.

    ``queue_serial`` is a callable returning the serial of the packet queue the clock
    follows; when it differs from the clock's serial the clock is obsolete (NaN).
    """

    __slots__ = ("pts", "pts_drift", "last_updated", "speed", "serial", "paused", "queue_serial", "now")

    def __init__(
        self, queue_serial: Callable[[], int] | None = None, now: TimeSource = time.monotonic
    ) -> None:
        self.now = now
        self.speed = 1.0
        self.paused = False
        self.serial = -1
        self.queue_serial = queue_serial if queue_serial is not None else (lambda: self.serial)
        self.pts = math.nan
        self.pts_drift = math.nan
        self.last_updated = 0.0
        self.serial = -1
        self.set(math.nan, -1)

    def get(self) -> float:
        if self.queue_serial() != self.serial:
            return math.nan
        if self.paused:
            return self.pts
        t = self.now()
        return self.pts_drift + t - (t - self.last_updated) * (1.0 - self.speed)

    def set_at(self, pts: float, serial: int, t: float) -> None:
        self.pts = pts
        self.last_updated = t
        self.pts_drift = pts - t
        self.serial = serial

    def set(self, pts: float, serial: int) -> None:
        self.set_at(pts, serial, self.now())

    def set_speed(self, speed: float) -> None:
        self.set(self.get(), self.serial)
        self.speed = speed

    def sync_to_slave(self, slave: Clock) -> None:
        """Follow ``slave`` when this clock is unset or more than 10 s away from it."""
        clock = self.get()
        slave_clock = slave.get()
        if not math.isnan(slave_clock) and (
            math.isnan(clock) or abs(clock - slave_clock) > AV_NOSYNC_THRESHOLD
        ):
            self.set(slave_clock, slave.serial)


def master_sync_type(wanted: str, has_video: bool, has_audio: bool) -> str:
    """ffplay's get_master_sync_type: fall back when the wanted master's stream is missing."""
    if wanted == AV_SYNC_VIDEO_MASTER:
        return AV_SYNC_VIDEO_MASTER if has_video else AV_SYNC_AUDIO_MASTER
    if wanted == AV_SYNC_AUDIO_MASTER:
        return AV_SYNC_AUDIO_MASTER if has_audio else AV_SYNC_EXTERNAL_CLOCK
    return AV_SYNC_EXTERNAL_CLOCK


def vp_duration(
    last_pts: float,
    last_serial: int,
    last_duration: float,
    pts: float,
    serial: int,
    max_frame_duration: float,
) -> float:
    """Time between two queued pictures, falling back to the frame's nominal duration."""
    if last_serial == serial:
        d = pts - last_pts
        if math.isnan(d) or d <= 0 or d > max_frame_duration:
            return last_duration
        return d
    return 0.0


def compute_target_delay(
    delay: float, diff: float, max_frame_duration: float, smoothing: float = 0.0
) -> float:
    """Stretch or shrink a frame's delay so video follows the master clock.

    ``diff`` is video clock minus master clock (NaN when unknown; pass 0 when video is
    the master). ffplay ignores errors below the sync threshold; with ``smoothing`` > 0
    that fraction of such a small error is corrected on each frame instead.
    """
    sync_threshold = max(AV_SYNC_THRESHOLD_MIN, min(AV_SYNC_THRESHOLD_MAX, delay))
    if not math.isnan(diff) and abs(diff) < max_frame_duration:
        if diff <= -sync_threshold:
            delay = max(0.0, delay + diff)
        elif diff >= sync_threshold and delay > AV_SYNC_FRAMEDUP_THRESHOLD:
            delay = delay + diff
        elif diff >= sync_threshold:
            delay = 2 * delay
        else:
            delay = max(0.0, delay + smoothing * diff)
    return delay


class AudioSync:
    """synchronize_audio: how many samples to play so audio follows a non-audio master."""

    def __init__(self, threshold: float) -> None:
        self.avg_coef = math.exp(math.log(0.01) / AUDIO_DIFF_AVG_NB)
        self.threshold = threshold
        self.cum = 0.0
        self.avg_count = 0

    def reset(self) -> None:
        self.cum = 0.0
        self.avg_count = 0

    def wanted_samples(self, nb_samples: int, diff: float, sample_rate: int) -> int:
        """``diff`` = audio clock − master clock (NaN if unknown)."""
        if math.isnan(diff) or abs(diff) >= AV_NOSYNC_THRESHOLD:
            self.reset()
            return nb_samples
        self.cum = diff + self.avg_coef * self.cum
        if self.avg_count < AUDIO_DIFF_AVG_NB:
            self.avg_count += 1
            return nb_samples
        avg_diff = self.cum * (1.0 - self.avg_coef)
        if abs(avg_diff) < self.threshold:
            return nb_samples
        wanted = nb_samples + int(diff * sample_rate)
        lo = nb_samples * (100 - SAMPLE_CORRECTION_PERCENT_MAX) // 100
        hi = nb_samples * (100 + SAMPLE_CORRECTION_PERCENT_MAX) // 100
        return min(max(wanted, lo), hi)


def external_clock_speed(speed: float, video_packets: int | None, audio_packets: int | None) -> float:
    """check_external_clock_speed for realtime inputs; None means the stream is absent."""
    if (video_packets is not None and video_packets <= 2) or (
        audio_packets is not None and audio_packets <= 2
    ):
        return max(EXTERNAL_CLOCK_SPEED_MIN, speed - EXTERNAL_CLOCK_SPEED_STEP)
    if (video_packets is None or video_packets > 10) and (audio_packets is None or audio_packets > 10):
        return min(EXTERNAL_CLOCK_SPEED_MAX, speed + EXTERNAL_CLOCK_SPEED_STEP)
    if speed != 1.0:
        return speed + EXTERNAL_CLOCK_SPEED_STEP * (1.0 - speed) / abs(1.0 - speed)
    return speed


def startup_volume(volume: int) -> int:
    """-volume 0..100 -> SDL mixer volume 0..128 (integer math, as ffplay)."""
    volume = min(max(volume, 0), 100)
    return min(max(SDL_MIX_MAXVOLUME * volume // 100, 0), SDL_MIX_MAXVOLUME)


def update_volume(volume: int, sign: int, step: float = SDL_VOLUME_STEP) -> int:
    """One 9/0 key press: ±0.75 dB, and at least ±1 so low volumes still move."""
    level = 20 * math.log10(volume / SDL_MIX_MAXVOLUME) if volume else -1000.0
    new_volume = _lrint(SDL_MIX_MAXVOLUME * 10.0 ** ((level + sign * step) / 20.0))
    if new_volume == volume:
        new_volume = volume + sign
    return min(max(new_volume, 0), SDL_MIX_MAXVOLUME)


def _lrint(x: float) -> int:
    return int(round(x))  # Python rounds half to even, like lrint in the default FP mode
