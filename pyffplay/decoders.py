"""Decoder threads: packets from a PacketQueue -> frames into a FrameQueue.

``Decoder.decode_frame`` is ffplay's decoder_decode_frame: it notices serial changes
(seeks) and flushes the codec itself, skips packets of stale serials, and marks
``finished`` with the serial whose end of stream it reached.
"""

from __future__ import annotations

import math
import threading
from typing import TYPE_CHECKING, Any, Callable

import av
import numpy as np

from pyffplay.clock import AV_NOSYNC_THRESHOLD
from pyffplay.errors import inject_fault
from pyffplay.packet_queue import PacketQueue
from pyffplay.video_output import displayed_size

if TYPE_CHECKING:
    from pyffplay.player import VideoState

# Pixel formats the SDL output uploads as they are; everything else is converted by
# swscale (in C, GIL released) on the decoder thread.
DIRECT_PIX_FMTS = frozenset({"yuv420p", "yuvj420p"})


class Decoder:
    def __init__(self, codec_context: Any, queue: PacketQueue, empty_queue_cond: Any, wait_mutex: Any) -> None:
        self.avctx = codec_context
        self.queue = queue
        self.empty_queue_cond = empty_queue_cond
        self.wait_mutex = wait_mutex
        self.pkt_serial = -1
        self.finished = 0
        self.pending: list[Any] = []  # frames decoded from the last packet, not yet returned
        # container.seek() flushes every stream's codec context from the read thread;
        # the read thread takes this lock so that no decode runs during that flush.
        self.codec_lock = threading.Lock()
        self.thread: threading.Thread | None = None
        self.errors = 0

    def start(self, target: Any, name: str, on_error: Callable[[BaseException], Any]) -> None:
        """Run ``target`` in a thread; an exception goes to ``on_error`` (errors.thread_failed),
        which drops the stream or ends playback: never a traceback, a frozen picture or a hang."""
        def run() -> None:
            try:
                target()
            except Exception as e:
                on_error(e)

        self.queue.start()
        self.thread = threading.Thread(target=run, name=name, daemon=True)
        self.thread.start()

    def abort(self, fq: Any) -> None:
        self.queue.abort()
        fq.signal()
        if self.thread is not None:
            self.thread.join(timeout=1.0)
        self.queue.flush()

    def decode_frame(self) -> tuple[int, Any]:
        """Return (1, frame), (0, None) at end of stream, or (-1, None) on abort."""
        while True:
            if self.queue.serial == self.pkt_serial and self.pending:
                frame = self.pending.pop(0)
                if frame is _END:
                    self.finished = self.pkt_serial
                    return 0, None
                return 1, frame
            status, packet = self._get_packet()
            if status < 0:
                return -1, None
            try:
                with self.codec_lock:
                    frames = self._decode(packet)
            except av.error.EOFError:
                frames = []
            except (av.error.FFmpegError, ValueError):
                # Corrupt data: FFmpeg conceals what it can; the rest is skipped.
                self.errors += 1
                frames = []
            self.pending = list(frames)
            if packet is None:
                # Drained: the codec stays at EOF until flushed, as in ffplay.
                with self.codec_lock:
                    self.avctx.flush_buffers()
                self.pending.append(_END)

    def frames(self) -> Any:
        """Decoded frames until the packet queue is aborted (end-of-stream marks skipped)."""
        while True:
            status, frame = self.decode_frame()
            if status < 0:
                return
            if status > 0:
                yield frame

    def _decode(self, packet: Any) -> list[Any]:
        if self.avctx.type != "subtitle":
            return self.avctx.decode(packet)
        # Subtitles: one AVSubtitle (with its pts and display times) per packet, if any.
        if packet is None:
            return []
        subs = self.avctx.decode2(packet)
        return [subs] if subs is not None and len(subs) else []

    def _get_packet(self) -> tuple[int, Any]:
        """A packet of the current serial; flush the codec when the serial changed."""
        while True:
            if self.queue.nb_packets == 0:
                with self.wait_mutex:
                    self.empty_queue_cond.signal()
            status, packet, serial = self.queue.get(block=True)
            if status < 0:
                return -1, None
            if serial != self.pkt_serial:
                with self.codec_lock:
                    self.avctx.flush_buffers()
                self.pending.clear()
                self.finished = 0
                self.pkt_serial = serial
            if serial == self.queue.serial:
                return 1, packet


_END = object()  # marks the end of a drained stream in Decoder.pending


def video_thread(vs: "VideoState") -> None:
    """Decode pictures, drop the ones already late (early drop) and queue the rest."""
    d = vs.viddec
    st = vs.video_st
    tb = float(st.time_base)
    rate = st.guessed_rate or st.average_rate
    frame_duration = 1.0 / float(rate) if rate else 0.0
    sar = st.sample_aspect_ratio or getattr(st.codec_context, "sample_aspect_ratio", None)
    sar_pair = (sar.numerator, sar.denominator) if sar else (0, 1)
    for frame in d.frames():
        inject_fault("video")
        dpts = frame.pts * tb if frame.pts is not None else math.nan
        if vs.framedrop_active() and frame.pts is not None and not (vs.step or vs.paused):
            diff = dpts - vs.get_master_clock()
            if (not math.isnan(diff) and abs(diff) < AV_NOSYNC_THRESHOLD
                    and diff - vs.frame_last_filter_delay < 0
                    and d.pkt_serial == vs.vidclk.serial and vs.videoq.nb_packets):
                vs.frame_drops_early += 1
                vs.trace.event("drop", pts=dpts, serial=d.pkt_serial, kind="early")
                continue
        if frame.format.name not in DIRECT_PIX_FMTS:
            frame = frame.reformat(format="yuv420p")
        if not queue_picture(vs, frame, dpts, frame_duration, frame.opaque, d.pkt_serial, sar_pair):
            return


def queue_picture(vs: "VideoState", frame: Any, pts: float, duration: float, pos: Any,
                  serial: int, sar: tuple[int, int]) -> bool:
    vp = vs.pictq.peek_writable()
    if vp is None:
        return False
    vp.sar = sar
    vp.uploaded = False
    vp.width = frame.width
    vp.height = frame.height
    vp.format = frame.format.name
    vp.pts = pts
    vp.duration = duration
    vp.pos = pos if isinstance(pos, int) else -1
    vp.serial = serial
    vp.rotation = frame.rotation if vs.opts.autorotate else 0
    vp.frame = frame
    # As ffplay: the window's default size follows the pictures (rotated ones included).
    shape = displayed_size(vp)[:3]
    if shape != vs.last_picture_shape:
        vs.last_picture_shape = shape
        vs.output.set_default_window_size(*shape)
    vs.pictq.push()
    return True


class AudioConverter:
    """Decoded frames -> packed float32 NumPy buffers in the device's layout and rate."""

    def __init__(self, rate: int, channels: int) -> None:
        self.rate = rate
        self.channels = channels
        self.layout = {1: "mono", 2: "stereo"}.get(channels, f"{channels}c")
        self._resampler: Any = None
        self._src: tuple | None = None

    def reset(self) -> None:
        self._resampler = None
        self._src = None

    def convert(self, frame: Any) -> list[np.ndarray]:
        """(samples, channels) float32 arrays; several, or none, when resampling buffers."""
        if (frame.sample_rate == self.rate and frame.format.name in ("fltp", "flt")
                and frame.layout.nb_channels == self.channels):
            # The common case (AAC, Opus, Vorbis decode to float): only the interleave is
            # left, one strided view; the callback's copy into the device buffer does it.
            planes = frame.to_ndarray()
            return [planes.T if frame.format.is_planar else planes.reshape(-1, self.channels)]
        src = (frame.format.name, frame.layout.name, frame.sample_rate)
        if src != self._src:
            self._src = src
            self._resampler = av.AudioResampler(format="flt", layout=self.layout, rate=self.rate)
        return [out.to_ndarray().reshape(-1, self.channels) for out in self._resampler.resample(frame)]


def audio_thread(vs: "VideoState") -> None:
    d = vs.auddec
    tb = float(vs.audio_st.time_base)
    conv = AudioConverter(vs.audio_tgt_rate, vs.audio_tgt_channels)
    last_serial = -1
    next_pts = math.nan
    for frame in d.frames():
        inject_fault("audio")
        if d.pkt_serial != last_serial:
            conv.reset()  # drop samples the resampler buffered before the seek
            last_serial = d.pkt_serial
            next_pts = math.nan
        if frame.pts is not None:
            pts = frame.pts * tb
        else:
            pts = next_pts
        src_rate = frame.sample_rate
        try:
            out_frames = conv.convert(frame)
        except (av.error.FFmpegError, ValueError):
            conv.reset()
            continue
        # The resampler may hold back a few samples; later output keeps its own timing.
        offset = 0.0
        for samples in out_frames:
            af = vs.sampq.peek_writable()
            if af is None:
                return
            af.frame = samples
            af.pts = pts + offset if not math.isnan(pts) else math.nan
            af.duration = samples.shape[0] / conv.rate
            af.serial = d.pkt_serial
            af.pos = frame.opaque if isinstance(frame.opaque, int) else -1
            vs.sampq.push()
            offset += af.duration
            if vs.audioq.serial != d.pkt_serial:
                break
        next_pts = (pts + frame.samples / src_rate) if not math.isnan(pts) else math.nan


def subtitle_thread(vs: "VideoState") -> None:
    """Queue bitmap subtitles (ffplay renders only those) with their display times."""
    d = vs.subdec
    for subs in d.frames():
        inject_fault("subtitle")
        if subs.format != 0:
            continue  # text subtitles: ffplay shows only bitmap ones (text needs -vf subtitles)
        sp = vs.subpq.peek_writable()
        if sp is None:
            return
        sp.pts = subs.pts / 1_000_000 if subs.pts is not None else 0.0
        sp.sub = subs
        sp.serial = d.pkt_serial
        sp.width = d.avctx.width
        sp.height = d.avctx.height
        sp.uploaded = False
        vs.subpq.push()
