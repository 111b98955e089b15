"""Decoder threads: packets from a PacketQueue -> frames into a FrameQueue.

``Decoder.decode_frame`` is ffplay's decoder_decode_frame: it notices serial changes
(seeks) and flushes the codec itself, skips packets of stale serials, and marks
``finished`` with the serial whose end of stream it reached.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import av
import numpy as np

from pyffplay import libav
from pyffplay.clock import AV_NOSYNC_THRESHOLD
from pyffplay.errors import inject_fault
from pyffplay.filters import AudioFilters, FilterError, VideoFilters
from pyffplay.packet_queue import PacketQueue, stream_needs_packets
from pyffplay.subtitles import from_subtitle_set
from pyffplay.video_output import displayed_size

if TYPE_CHECKING:
    from pyffplay.control import PlaybackControl
    from pyffplay.frame_queue import FrameQueue
    from pyffplay.pipeline import StreamPipeline
    from pyffplay.refresh import VideoRefresh
    from pyffplay.sync import Clocks
    from pyffplay.trace import Trace

# Pixel formats the SDL output uploads as they are; everything else is converted by
# swscale (in C, GIL released) on the decoder thread.
DIRECT_PIX_FMTS = frozenset({"yuv420p", "yuvj420p"})
# A picture this close to an accurate seek's target counts as at the target (rounding).
PTS_TOLERANCE = 0.002


class Decoder:
    def __init__(
        self, codec_context: Any, queue: PacketQueue, empty_queue_cond: Any, wait_mutex: Any
    ) -> None:
        self.avctx = codec_context
        self.queue = queue
        self.empty_queue_cond = empty_queue_cond
        self.wait_mutex = wait_mutex
        self.pkt_serial = -1
        self.finished = 0
        self.time_base = 0.0  # the stream's, in seconds: when to wake the read thread
        self.pending: list[Any] = []  # frames decoded from the last packet, not yet returned
        # container.seek() flushes every stream's codec context from the read thread;
        # the read thread takes this lock so that no decode runs during that flush.
        self.codec_lock = threading.Lock()
        self.thread: threading.Thread | None = None
        self.errors = 0
        # (serial, seconds): an accurate seek's target; frames of that serial ending before
        # it are dropped (set by the read thread after the flush).
        self.skip_until: tuple[int, float] | None = None

    def before_target(self, serial: int, pts: float, duration: float) -> float | None:
        """For an accurate seek: None when the frame is to be shown whole, else the seconds
        of its start that lie before the target (the whole duration: drop it)."""
        target = self.skip_until
        if target is None or target[0] != serial or math.isnan(pts):
            return None
        if pts + duration <= target[1] + 1e-6:
            return duration
        if pts < target[1]:
            return target[1] - pts
        self.skip_until = None  # reached: the rest of this serial plays as it comes
        return None

    def start(self, target: Any, name: str, on_error: Callable[[BaseException], Any]) -> None:
        """Run ``target`` in a thread; an exception goes to ``on_error`` (errors.thread_failed:
        a PlayerError such as a bad -vf keeps its message; any other drops the stream or ends
        playback): never a traceback, a frozen picture or a hang."""

        def run() -> None:
            try:
                target()
            except Exception as e:
                on_error(e)

        self.queue.start()
        self.thread = threading.Thread(target=run, name=name, daemon=True)
        self.thread.start()

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
        # An empty set counts: PGS clears the screen with one (the previous one expires).
        return [subs] if subs is not None else []

    def _get_packet(self) -> tuple[int, Any]:
        """A packet of the current serial; flush the codec when the serial changed."""
        while True:
            if stream_needs_packets(self.queue, self.time_base):
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


def video_thread(
    video: StreamPipeline,
    refresh: VideoRefresh,
    clocks: Clocks,
    control: PlaybackControl,
    trace: Trace,
    autorotate: bool,
    on_shape: Callable[[int, int, tuple[int, int]], None],
    reorder_pts: int = -1,
    vfilters: tuple[str, ...] = (),
    filter_threads: int = 0,
) -> None:
    """Decode pictures, drop the ones already late (early drop), filter (-vf, autorotation)
    and queue the rest."""
    d = video.decoder
    st = video.st
    assert d is not None
    tb = float(st.time_base)
    rate = st.guessed_rate or st.average_rate
    frame_duration = 1.0 / float(rate) if rate else 0.0
    sar = st.sample_aspect_ratio or getattr(st.codec_context, "sample_aspect_ratio", None)
    sar_pair = (sar.numerator, sar.denominator) if sar else (0, 1)
    last_shape: tuple[int, int, tuple[int, int]] | None = None
    filters = VideoFilters(list(vfilters), autorotate, filter_threads)
    for frame in d.frames():
        inject_fault("video")
        ts = frame_timestamp(frame, reorder_pts)
        dpts = ts * tb if ts is not None else math.nan
        skip = d.before_target(d.pkt_serial, dpts, frame_duration)
        if skip is not None and skip > PTS_TOLERANCE:
            continue  # before an accurate seek's target
        if refresh.framedrop_active() and ts is not None and not (control.step or control.paused):
            diff = dpts - clocks.get_master_clock()
            if (
                not math.isnan(diff)
                and abs(diff) < AV_NOSYNC_THRESHOLD
                and diff - refresh.frame_last_filter_delay < 0
                and d.pkt_serial == clocks.vidclk.serial
                and video.pktq.nb_packets
            ):
                refresh.frame_drops_early += 1
                trace.event("drop", pts=dpts, serial=d.pkt_serial, kind="early")
                continue
        filters.index = control.vfilter_idx
        for out in filters.process(frame, sar_pair, st.time_base):
            pic_sar = sar_pair
            if out is not frame:
                dpts = float(out.pts * out.time_base) if out.pts is not None and out.time_base else dpts
                if (out.width, out.height) == (frame.height, frame.width) != (frame.width, frame.height):
                    pic_sar = (sar_pair[1], sar_pair[0]) if sar_pair[0] > 0 else sar_pair  # transposed
            if out.format.name not in DIRECT_PIX_FMTS:
                out = out.reformat(format="yuv420p")
            vp = queue_picture(video.frameq, out, dpts, frame_duration, d.pkt_serial, pic_sar)
            if vp is None:
                return
            # As ffplay: the window's default size follows the pictures (filtered ones).
            shape = displayed_size(vp)[:3]
            if shape != last_shape:
                last_shape = shape
                on_shape(*shape)
            video.frameq.push()


def frame_timestamp(frame: Any, reorder_pts: int) -> int | None:
    """-drp: the decoder's reordered pts (1), the packet's dts (0), or the best guess (-1)."""
    if reorder_pts == 0:
        return frame.dts
    if reorder_pts == 1:
        return frame.pts
    return frame.pts if frame.pts is not None else frame.dts


def queue_picture(
    pictq: FrameQueue, frame: Any, pts: float, duration: float, serial: int, sar: tuple[int, int]
) -> Any:
    """Fill the next writable slot of pictq (the caller pushes it); None on abort."""
    vp = pictq.peek_writable()
    if vp is None:
        return None
    vp.sar = sar
    vp.uploaded = False
    vp.width = frame.width
    vp.height = frame.height
    vp.format = frame.format.name
    vp.pts = pts
    vp.duration = duration
    vp.pos = frame.opaque if isinstance(frame.opaque, int) else -1
    vp.serial = serial
    vp.rotation = 0  # autorotation is done by the filters
    vp.frame = frame
    return vp


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
        if (
            frame.sample_rate == self.rate
            and frame.format.name in ("fltp", "flt")
            and frame.layout.nb_channels == self.channels
        ):
            # The common case (AAC, Opus, Vorbis decode to float): only the interleave is
            # left, one strided copy per channel into a packed buffer (to_ndarray's vstack
            # cost five times as much), which the callback then copies whole.
            n = frame.samples
            if not frame.format.is_planar:
                return [np.frombuffer(frame.planes[0], np.float32, n * self.channels).reshape(n, -1)]
            packed = np.empty((n, self.channels), np.float32)
            for c, plane in enumerate(frame.planes):
                packed[:, c] = np.frombuffer(plane, np.float32, n)
            return [packed]
        src = (frame.format.name, frame.layout.name, frame.sample_rate)
        if src != self._src:
            self._src = src
            self._resampler = av.AudioResampler(format="flt", layout=self.layout, rate=self.rate)
        return [out.to_ndarray().reshape(-1, self.channels) for out in self._resampler.resample(frame)]


def audio_thread(
    audio: StreamPipeline, rate: int, channels: int, afilter: str | None = None, filter_threads: int = 0
) -> None:
    """Decode, convert to the device's float32 layout and rate (through -af when given),
    and queue into sampq."""
    d = audio.decoder
    assert d is not None
    sampq = audio.frameq
    tb = float(audio.st.time_base)
    conv = AudioConverter(rate, channels)
    filters = AudioFilters(afilter, rate, conv.layout, filter_threads) if afilter else None
    last_serial = -1
    next_pts = math.nan
    for frame in d.frames():
        inject_fault("audio")
        if d.pkt_serial != last_serial:
            conv.reset()  # drop samples the resampler (or the filters) held before the seek
            if filters is not None:
                filters.reset()
            last_serial = d.pkt_serial
            next_pts = math.nan
        pts = frame.pts * tb if frame.pts is not None else next_pts
        try:
            if filters is not None:
                blocks = filters.process(frame)
            else:
                blocks = [(samples, None) for samples in conv.convert(frame)]
        except FilterError:
            raise
        except (av.error.FFmpegError, ValueError):
            conv.reset()
            continue
        # The resampler may hold back a few samples; later output keeps its own timing.
        offset = 0.0
        for samples, block_pts in blocks:
            start = (
                block_pts if block_pts is not None else (pts + offset if not math.isnan(pts) else math.nan)
            )
            offset += samples.shape[0] / rate
            skip = d.before_target(d.pkt_serial, start, samples.shape[0] / rate)
            if skip is not None:
                # Before an accurate seek's target: drop it, or the part that lies before.
                cut = min(int(round(skip * rate)), samples.shape[0])
                start += cut / rate
                samples = samples[cut:]
                if not samples.shape[0]:
                    continue
            af = sampq.peek_writable()
            if af is None:
                return
            af.frame = samples
            af.pts = start
            af.duration = samples.shape[0] / rate
            af.serial = d.pkt_serial
            af.pos = frame.opaque if isinstance(frame.opaque, int) else -1
            sampq.push()
            if audio.pktq.serial != d.pkt_serial:
                break
        next_pts = (pts + frame.samples / frame.sample_rate) if not math.isnan(pts) else math.nan


def subtitle_thread(subtitle: StreamPipeline, canvas: tuple[int, int], pts_offset: float = 0.0) -> None:
    """Queue subtitles, bitmap and text (ffplay queues bitmaps only), ready to draw, with
    their display times. ``canvas`` is the bitmaps' coordinate space ((0, 0): the video's);
    ``pts_offset`` puts an external file's times on the main input's clock."""
    d = subtitle.decoder
    assert d is not None
    subpq = subtitle.frameq
    for subs in d.frames():
        inject_fault("subtitle")
        # ffplay's sp->width/height: what the decoder says now (PGS composition, DVB display
        # definition), else the stream's parameters, else (0, 0): the video's size.
        now = libav.codec_dimensions(d.avctx)
        if now[0] > 0 and now[1] > 0:
            canvas = now
        sub = from_subtitle_set(subs, canvas)  # NumPy palette lookups here, not on the loop thread
        sp = subpq.peek_writable()
        if sp is None:
            return
        sp.pts = (subs.pts / 1_000_000 if subs.pts is not None else 0.0) + pts_offset
        sp.sub = subs
        sp.frame = sub
        sp.serial = d.pkt_serial
        sp.width, sp.height = canvas
        sp.uploaded = False
        subpq.push()
