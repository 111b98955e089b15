"""Audio output: a sounddevice stream whose callback pulls from sampq and sets the audio clock.

The callback is ffplay's sdl_audio_callback. Instead of assuming two device periods of
latency, it uses PortAudio's ``outputBufferDacTime``: the moment the first sample of
this buffer will be heard.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

import numpy as np

from pyffplay.clock import AV_SYNC_AUDIO_MASTER, SDL_MIX_MAXVOLUME, AudioSync
from pyffplay.errors import inject_fault, thread_failed

if TYPE_CHECKING:
    from pyffplay.player import VideoState


AUDIO_BLOCK_SIZE = 1024


class AudioUnavailable(Exception):
    """No PortAudio library, no device, or the device would not open."""


_ALSA_ERROR_HANDLER: Any = None


def _silence_alsa() -> None:
    """ALSA prints recoverable errors ("underrun occurred") straight to stderr, which
    would scribble over the terminal output and the status line: route them nowhere."""
    global _ALSA_ERROR_HANDLER
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("asound")
    if not name or _ALSA_ERROR_HANDLER is not None:
        return
    try:
        lib = ctypes.CDLL(name)
        handler_type = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                                        ctypes.c_int, ctypes.c_char_p)
        _ALSA_ERROR_HANDLER = handler_type(lambda *args: None)  # kept alive for ALSA
        lib.snd_lib_error_set_handler(_ALSA_ERROR_HANDLER)
    except (OSError, AttributeError):
        pass


def open_audio(vs: "VideoState", wanted_rate: int, wanted_channels: int) -> "AudioOutput":
    try:
        import sounddevice as sd  # raises OSError without the PortAudio library
    except OSError as e:
        raise AudioUnavailable(str(e)) from None
    _silence_alsa()
    try:
        info = sd.query_devices(kind="output")
        channels = max(1, min(wanted_channels, int(info["max_output_channels"]) or wanted_channels, 8))
        out = AudioOutput(vs, wanted_rate, channels)
        # ~21 ms blocks: each callback costs Python time, and the clock comes from the
        # DAC timestamps, so bigger blocks cost no sync accuracy (ffplay's SDL buffer is 2048).
        out.stream = sd.OutputStream(samplerate=wanted_rate, channels=channels, dtype="float32",
                                     blocksize=AUDIO_BLOCK_SIZE, callback=out.callback)
        out.stream.start()
        out.latency = float(out.stream.latency)
        return out
    except Exception as e:  # PortAudioError, ValueError on odd devices
        raise AudioUnavailable(str(e).splitlines()[0] if str(e) else type(e).__name__) from None


class AudioOutput:
    def __init__(self, vs: "VideoState", rate: int, channels: int) -> None:
        self.vs = vs
        self.rate = rate
        self.channels = channels
        self.stream: Any = None
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
        self._first_callback_time: float | None = None
        self._paused_seen = False
        self.failed = False  # the callback raised: it plays silence until closed

    def close(self) -> None:
        if self.stream is not None:
            try:
                self.stream.abort()
                self.stream.close()
            except Exception:
                pass
            self.stream = None

    # -- ffplay's audio_decode_frame ---------------------------------------------------
    def audio_decode_frame(self) -> bool:
        """Take the next frame of the current serial from sampq; False if none is ready."""
        vs = self.vs
        if vs.paused:
            return False
        return self._next_frame()

    def _next_frame(self) -> bool:
        vs = self.vs
        sampq = vs.sampq
        while True:
            if sampq.nb_remaining() <= 0 or sampq.pktq.abort_request:
                return False
            af = sampq.peek()
            sampq.next()
            if af.serial == vs.audioq.serial:
                break
        data = af.frame
        if vs.get_master_sync_type() != AV_SYNC_AUDIO_MASTER:
            data = self._compensate(data, vs.audclk.get() - vs.get_master_clock())
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
        return np.stack([np.interp(src, idx, data[:, c]) for c in range(data.shape[1])], axis=1).astype(np.float32)

    def _pause(self, outdata: np.ndarray, dac_time: float) -> None:
        """Silence at once; on the first paused callback, rewind the buffer to the paused
        clock so that what was still in flight is played again after resuming."""
        outdata.fill(0)
        if self.audio_buf is None:
            return
        clock = self.vs.audclk
        if self.audio_buf_serial != self.vs.audioq.serial:
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
            thread_failed(self.vs, "audio_output", e)

    def _fill(self, outdata: np.ndarray, frames: int, time_info: Any) -> None:
        vs = self.vs
        now = time.monotonic()
        dac = time_info.outputBufferDacTime
        cur = time_info.currentTime
        # Map PortAudio's stream time onto our monotonic clock.
        dac_time = now + (dac - cur) if dac > 0 and cur > 0 and dac >= cur else now + self.latency
        if not self.running and not self._device_running(cur if cur > 0 else now, frames):
            outdata.fill(0)
            return
        if vs.paused:
            self._pause(outdata, dac_time)
            return
        self._paused_seen = False
        filled = 0
        first_pts = math.nan
        first_serial = -1
        while filled < frames:
            buf = self.audio_buf
            if buf is None or self.audio_buf_index >= buf.shape[0]:
                if not self.audio_decode_frame():
                    break
                buf = self.audio_buf
            n = min(buf.shape[0] - self.audio_buf_index, frames - filled)
            if filled == 0:
                first_pts = self.audio_buf_pts + self.audio_buf_index / self.rate
                first_serial = self.audio_buf_serial
            outdata[filled:filled + n] = buf[self.audio_buf_index:self.audio_buf_index + n]
            filled += n
            self.audio_buf_index += n
        if filled < frames:
            outdata[filled:] = 0
        if vs.muted:
            outdata.fill(0)
        elif vs.audio_volume != SDL_MIX_MAXVOLUME:
            outdata *= vs.audio_volume / SDL_MIX_MAXVOLUME
        if not math.isnan(first_pts):
            vs.audclk.set_at(first_pts, first_serial, dac_time)
            vs.extclk.sync_to_slave(vs.audclk)
        if vs.trace.enabled:
            vs.trace.event("audio", t=now, frames=frames, dac=dac_time, clock=first_pts, filled=filled)
