"""Audio output: ffplay's sdl_audio_callback, fed to a driver chosen from a table.

``AudioOutput.callback`` pulls from sampq and sets the audio clock. Drivers: ``sounddevice``
(PortAudio; instead of assuming two device periods of latency, the clock uses PortAudio's
``outputBufferDacTime``, the moment the first sample of a buffer will be heard) and
``null`` (a thread that consumes samples in real time, as mpv's ao_null, so the audio
clock still leads when there is no sound device).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import numpy as np

from pyffplay import portaudio
from pyffplay.clock import AV_SYNC_AUDIO_MASTER, SDL_MIX_MAXVOLUME, AudioSync
from pyffplay.control import PlaybackControl
from pyffplay.errors import inject_fault
from pyffplay.pipeline import StreamPipeline
from pyffplay.sync import Clocks
from pyffplay.trace import Trace

# ffplay's SDL_AUDIO_MIN_BUFFER_SIZE and SDL_AUDIO_MAX_CALLBACKS_PER_SEC.
AUDIO_MIN_BLOCK_SIZE = 512
AUDIO_MAX_CALLBACKS_PER_SEC = 30


def audio_block_size(rate: int) -> int:
    """ffplay's audio buffer in samples: 2048 at 44.1 and 48 kHz. Each block wakes ALSA,
    PulseAudio's client and the Python callback; half of that (1024) cost twice the CPU
    (an empty callback: 0.018 against 0.009 CPU-s/s) for no sync gain, since the clock comes
    from the DAC timestamps."""
    return max(AUDIO_MIN_BLOCK_SIZE, 2 << (max(rate // AUDIO_MAX_CALLBACKS_PER_SEC, 1).bit_length() - 1))


class Preroll:
    """At the start the sound, which is the master clock, waits in silence until the
    pictures are ready, as mpv does and ffplay does not: otherwise the clock runs from the
    device's first buffer while the video decoder still fills its pipeline, and the first
    pictures come late and are dropped (1-5 at 2160p30 here). ``ready`` says the pictures
    are ready; after ``max_wait`` s the sound starts anyway (a video that never comes)."""

    MAX_WAIT = 0.5

    def __init__(self, ready: Callable[[], bool], max_wait: float = MAX_WAIT) -> None:
        self.ready = ready
        self.max_wait = max_wait
        self.started: float | None = None  # the first ask
        self.done = False

    def over(self, now: float) -> bool:
        """Whether the sound may start (and from then on, always)."""
        if not self.done:
            if self.started is None:
                self.started = now
            self.done = now - self.started >= self.max_wait or self.ready()
        return self.done


class AudioUnavailable(Exception):
    """No PortAudio library, no device, or the device would not open."""


def _open_sounddevice(out: AudioOutput, wanted_channels: int) -> None:
    try:
        sd = portaudio.load()
    except OSError as e:
        raise AudioUnavailable(str(e)) from None
    try:
        info = sd.query_devices(kind="output")
        out.channels = max(1, min(wanted_channels, int(info["max_output_channels"]) or wanted_channels, 8))
        stream = sd.OutputStream(
            samplerate=out.rate,
            channels=out.channels,
            dtype="float32",
            blocksize=audio_block_size(out.rate),
            callback=out.callback,
        )
        stream.start()
    except Exception as e:  # PortAudioError, ValueError on odd devices
        raise AudioUnavailable(str(e).splitlines()[0] if str(e) else type(e).__name__) from None
    out.latency = float(stream.latency)

    def close() -> None:
        try:
            stream.abort()
            stream.close()
        except Exception:
            pass

    out.driver_close = close


class _NullDevice:
    """A device that plays nothing, in real time: one block every block's duration."""

    def __init__(self, out: AudioOutput) -> None:
        self.out = out
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="audio_null", daemon=True)

    def _run(self) -> None:
        out = self.out
        block = audio_block_size(out.rate)
        buf = np.zeros((block, out.channels), dtype=np.float32)
        period = block / out.rate
        t = time.monotonic()
        info = SimpleNamespace(outputBufferDacTime=0.0, currentTime=0.0)
        while not self.stop.is_set():
            info.currentTime = time.monotonic()
            info.outputBufferDacTime = max(info.currentTime, t)
            out.callback(buf, block, info, None)
            t += period
            delay = t - time.monotonic()
            if delay < -0.2:
                t = time.monotonic()  # fell far behind (suspended): do not catch up in a burst
            self.stop.wait(max(delay, 0.0))

    def close(self) -> None:
        self.stop.set()
        if self.thread is not threading.current_thread():
            self.thread.join(1.0)


def _open_null(out: AudioOutput, wanted_channels: int) -> None:
    out.channels = max(1, min(wanted_channels, 8))
    out.running = True  # nothing to wait for
    device = _NullDevice(out)
    out.driver_close = device.close
    device.thread.start()


# -ao: name -> opener. The opener sets the output's channels, latency and driver_close.
AUDIO_DRIVERS: dict[str, Callable[[AudioOutput, int], None]] = {
    "sounddevice": _open_sounddevice,
    "null": _open_null,
}


def open_audio(
    driver: str,
    pipeline: StreamPipeline,
    clocks: Clocks,
    control: PlaybackControl,
    trace: Trace,
    wanted_rate: int,
    wanted_channels: int,
) -> AudioOutput:
    if wanted_rate <= 0:  # a damaged header: no device (and no null clock) runs at 0 Hz
        raise AudioUnavailable(f"no sample rate ({wanted_rate})")
    out = AudioOutput(pipeline, clocks, control, trace, wanted_rate, wanted_channels)
    AUDIO_DRIVERS[driver](out, wanted_channels)
    out.driver = driver
    return out


class AudioOutput:
    def __init__(
        self,
        pipeline: StreamPipeline,
        clocks: Clocks,
        control: PlaybackControl,
        trace: Trace,
        rate: int,
        channels: int,
    ) -> None:
        self.sampq = pipeline.frameq
        self.audioq = pipeline.pktq
        self.clocks = clocks
        self.control = control
        self.trace = trace
        self.rate = rate
        self.channels = channels
        self.driver = ""
        self.tap: Any = None  # a visualize.SampleTap when the show modes may need samples
        self.driver_close: Callable[[], None] = lambda: None
        self.latency = 0.0
        self.audio_buf: np.ndarray | None = None
        self.audio_buf_index = 0
        self.audio_buf_pts = math.nan  # pts of audio_buf[0]
        self.audio_buf_serial = -1
        self.sync = AudioSync(threshold=0.05)
        # Some devices (PulseAudio's null sink among them) take the first buffers and then
        # stall for up to two seconds before they play. Samples given during that stall
        # would be heard late, so play silence until the device is seen to consume.
        self.running = False
        self.preroll: Preroll | None = None  # set when there are pictures to wait for
        self._first_callback_time: float | None = None
        self._paused_seen = False
        self.failed = False  # the callback raised: it plays silence until closed
        self.on_error: Callable[[BaseException], Any] | None = None  # errors.thread_failed

    def close(self) -> None:
        close, self.driver_close = self.driver_close, lambda: None
        close()

    # -- ffplay's audio_decode_frame ---------------------------------------------------
    def audio_decode_frame(self) -> bool:
        """Take the next frame of the current serial from sampq; False if none is ready."""
        if self.control.paused:
            return False
        return self._next_frame()

    def _next_frame(self) -> bool:
        sampq = self.sampq
        while True:
            if sampq.nb_remaining() <= 0 or sampq.pktq.abort_request:
                return False
            af = sampq.peek()
            sampq.next()
            if af.serial == self.audioq.serial:
                break
        data = af.frame
        clocks = self.clocks
        if clocks.master_sync_type() != AV_SYNC_AUDIO_MASTER:
            data = self._compensate(data, clocks.audclk.get() - clocks.get_master_clock())
        self.audio_buf = data
        self.audio_buf_index = 0
        self.audio_buf_pts = af.pts
        self.audio_buf_serial = af.serial
        return True

    def _compensate(self, data: np.ndarray, diff: float) -> np.ndarray:
        """Stretch or squeeze a buffer by at most 10 % so audio follows the master."""
        n = data.shape[0]
        wanted = self.sync.wanted_samples(n, diff, self.rate)
        if wanted == n or n < 2:
            return data
        src = np.linspace(0.0, n - 1, wanted)
        idx = np.arange(n)
        return np.stack([np.interp(src, idx, data[:, c]) for c in range(data.shape[1])], axis=1).astype(
            np.float32
        )

    def _pause(self, outdata: np.ndarray, dac_time: float) -> None:
        """Silence at once; on the first paused callback, rewind the buffer to the paused
        clock so that what was still in flight is played again after resuming."""
        outdata.fill(0)
        if self.audio_buf is None:
            return
        clock = self.clocks.audclk
        if self.audio_buf_serial != self.audioq.serial:
            # Seeked while paused: anchor the clock on the first frame of the new serial.
            if not self._next_frame():
                return
        elif not self._paused_seen:
            self._paused_seen = True
            if clock.serial == self.audio_buf_serial and not math.isnan(clock.pts):
                index = round((clock.pts - self.audio_buf_pts) * self.rate)
                self.audio_buf_index = min(max(index, 0), self.audio_buf.shape[0])
        # Keep the clock anchored while paused (ffplay does too), so that on resume it
        # does not jump by the time spent paused before the next callback re-sets it.
        clock.set_at(self.audio_buf_pts + self.audio_buf_index / self.rate, self.audio_buf_serial, dac_time)

    def _device_running(self, t: float, frames: int) -> bool:
        """True once a callback comes later than the priming burst: the device consumes."""
        if self._first_callback_time is None:
            self._first_callback_time = t
            return False
        self.running = t - self._first_callback_time >= 0.5 * frames / self.rate
        return self.running

    # -- ffplay's sdl_audio_callback --------------------------------------------------
    def callback(self, outdata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        if self.failed:
            outdata.fill(0)
            return
        try:
            inject_fault("audio_output")
            self._fill(outdata, frames, time_info)
        except Exception as e:  # silence from now on; errors.py drops audio or ends playback
            self.failed = True
            outdata.fill(0)
            if self.on_error is not None:
                self.on_error(e)

    def _fill(self, outdata: np.ndarray, frames: int, time_info: Any) -> None:
        control = self.control
        now = time.monotonic()
        dac = time_info.outputBufferDacTime
        cur = time_info.currentTime
        # Map PortAudio's stream time onto our monotonic clock.
        dac_time = now + (dac - cur) if dac > 0 and cur > 0 and dac >= cur else now + self.latency
        if not self.running and not self._device_running(cur if cur > 0 else now, frames):
            outdata.fill(0)
            return
        if self.preroll is not None:
            if not self.preroll.over(now):
                outdata.fill(0)
                return
            self.trace.event("preroll", waited=now - (self.preroll.started or now))
            self.preroll = None
        if control.paused:
            self._pause(outdata, dac_time)
            return
        self._paused_seen = False
        filled = 0
        first_pts = math.nan
        first_serial = -1
        while filled < frames:
            buf = self.audio_buf
            if buf is None or self.audio_buf_index >= buf.shape[0]:
                if not self.audio_decode_frame() or self.audio_buf is None:
                    break
                buf = self.audio_buf
            n = min(buf.shape[0] - self.audio_buf_index, frames - filled)
            if filled == 0:
                first_pts = self.audio_buf_pts + self.audio_buf_index / self.rate
                first_serial = self.audio_buf_serial
            outdata[filled : filled + n] = buf[self.audio_buf_index : self.audio_buf_index + n]
            filled += n
            self.audio_buf_index += n
        if filled < frames:
            outdata[filled:] = 0
        if self.tap is not None and control.show_mode != "video":
            self.tap.write(outdata, dac_time)  # before the volume, as ffplay's sample display
        if control.muted:
            outdata.fill(0)
        elif control.audio_volume != SDL_MIX_MAXVOLUME:
            outdata *= control.audio_volume / SDL_MIX_MAXVOLUME
        if not math.isnan(first_pts):
            self.clocks.audclk.set_at(first_pts, first_serial, dac_time)
            self.clocks.extclk.sync_to_slave(self.clocks.audclk)
        if self.trace.enabled:
            self.trace.event("audio", t=now, frames=frames, dac=dac_time, clock=first_pts, filled=filled)
