"""The read thread: open the input, pick streams, demux into the packet queues.

ffplay's read_thread: it also executes seek requests, throttles itself when the queues
hold enough, and decides when playback has ended (loop / autoexit).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import av

from pyffplay.errors import InputError, inject_fault, thread_failed
from pyffplay.memory_avio import open_input
from pyffplay.packet_queue import MAX_QUEUE_SIZE, stream_has_enough_packets

if TYPE_CHECKING:
    from pyffplay.player import VideoState

AV_TIME_BASE = 1_000_000
# FFmpeg reads the custom AVIO in chunks of this size.
AVIO_BUFFER_SIZE = 64 * 1024
# Demux errors in a row after which the input is treated as ended.
MAX_CONSECUTIVE_ERRORS = 100
# MPEG-TS: read every program's PMT while probing (as ffplay), and when a new PMT version
# moves a stream to another pid, keep it on the same stream instead of starting a new one
# that PyAV could not surface (below).
OPEN_OPTIONS = {"scan_all_pmts": "1", "merge_pmt_versions": "1"}


def open_container(vs: "VideoState") -> Any:
    """Open the memory AVIO and the container; InputError with one clear line on failure."""
    opts = vs.opts
    # pipe_seek_end=False: FFmpeg asks a pipe for its size (SEEK_END); answering would
    # mean reading a live pipe to its end before playing anything.
    avio = open_input(opts.input, max_memory=opts.avio_mem, spill=opts.avio_spill, pipe_seek_end=False)
    vs.avio = avio
    name = opts.input
    try:
        return av.open(avio, mode="r", format=opts.format, options=OPEN_OPTIONS,
                       buffer_size=AVIO_BUFFER_SIZE, metadata_errors="replace")
    except (av.error.FFmpegError, EOFError, OSError, ValueError) as e:
        if vs.abort_request:
            raise InputError("interrupted") from None
        if avio.size == 0:
            raise InputError(f"{name}: the input is empty") from None
        if avio.error:
            _input_failed(avio)
        raise InputError(f"{name}: {getattr(e, 'strerror', None) or e or 'cannot read input'}") from None


def pick_streams(vs: "VideoState", ic: Any) -> tuple[Any, Any, Any]:
    opts = vs.opts
    video = audio = subtitle = None
    if not opts.video_disable:
        video = _best(ic, "video", [s for s in ic.streams.video
                                    if not s.disposition & av.stream.Disposition.attached_pic])
    if not opts.audio_disable:
        audio = _best(ic, "audio", ic.streams.audio, related=video)
    if not opts.video_disable and not opts.subtitle_disable:
        subtitle = _best(ic, "subtitle", ic.streams.subtitles, related=audio or video)
    return video, audio, subtitle


def _best(ic: Any, kind: str, streams: Any, related: Any = None) -> Any:
    """FFmpeg's best stream of ``kind`` among ``streams`` that have a decoder (a damaged
    header can name a codec FFmpeg lacks), or None."""
    candidates = [s for s in streams if s.codec_context is not None]
    if not candidates:
        return None
    best = ic.streams.best(kind, related=related)
    return best if best in candidates else candidates[0]


def read_thread(vs: "VideoState") -> None:
    try:
        _read_loop(vs)
    except Exception as e:  # one line for the user, the detail to the trace (errors.py)
        thread_failed(vs, "read", e)


def _read_loop(vs: "VideoState") -> None:
    opts = vs.opts
    ic = open_container(vs)
    vs.ic = ic
    if vs.abort_request:
        return
    if opts.start_time is not None:
        ts = opts.start_time + (ic.start_time or 0) / AV_TIME_BASE
        try:
            with vs.codec_locks():
                ic.seek(int(ts * AV_TIME_BASE))
        except av.error.FFmpegError:
            vs.warn(f"{opts.input}: could not seek to position {ts:.3f}")
    video, audio, subtitle = pick_streams(vs, ic)
    if video is None and audio is None:
        if vs.avio.error:  # the reader failed while FFmpeg probed: say so, not "no stream"
            _input_failed(vs.avio)
        wanted = {k for k, off in (("video", opts.video_disable), ("audio", opts.audio_disable)) if not off}
        if any(s.type in wanted for s in ic.streams):
            raise InputError(f"{opts.input}: no decoder for its audio or video streams")
        raise InputError(f"{opts.input}: no audio or video stream to play")
    if video is not None:
        cc = video.codec_context
        sar = video.sample_aspect_ratio or getattr(cc, "sample_aspect_ratio", None)
        vs.output.set_default_window_size(cc.width, cc.height, (sar.numerator, sar.denominator) if sar else (0, 1))
    if audio is not None:
        vs.stream_component_open(audio)
    if video is not None:
        vs.stream_component_open(video)
    if subtitle is not None:
        vs.stream_component_open(subtitle)
    if vs.video_st is None and vs.audio_st is None:
        raise InputError(f"Failed to open file '{opts.input}'")
    if opts.infinite_buffer < 0 and _is_realtime(ic):
        opts.infinite_buffer = 1
    vs.opened(ic)

    streams = [s for s in (vs.audio_st, vs.video_st, vs.subtitle_st) if s is not None]
    queue_of = {s.index: q for s, q in ((vs.audio_st, vs.audioq), (vs.video_st, vs.videoq),
                                         (vs.subtitle_st, vs.subtitleq)) if s is not None}
    packets = ic.demux(streams)
    errors = 0
    while not vs.abort_request:
        if vs.seek_req:
            _do_seek(vs, ic)
            packets = ic.demux(streams)
        if _queues_full(vs):
            vs.wait_for_read_request(10)
            continue
        if _playback_ended(vs):
            if vs.avio.error:
                _input_failed(vs.avio)
            if opts.loop != 1 and (not opts.loop or _dec_loop(vs)):
                vs.stream_seek(int((opts.start_time or 0) * AV_TIME_BASE), 0)
            elif opts.autoexit:
                vs.request_quit("eof")
                return
        try:
            packet = next(packets)
            errors = 0
        except StopIteration:
            _signal_eof(vs)
            packets = ic.demux(streams)
            vs.wait_for_read_request(10)
            continue
        except (av.error.FFmpegError, OSError, ValueError, IndexError) as e:
            if isinstance(e, IndexError):
                # PyAV's demux() (fact 12): a stream appeared after the input was opened (a
                # new program or PMT). PyAV cannot wrap it, so its packets are skipped; it
                # raises at the end of its iterator. A fresh iterator goes on.
                vs.trace.event("demux", note="a stream appeared after open: skipped")
            errors += 1
            packets = ic.demux(streams)
            if errors >= MAX_CONSECUTIVE_ERRORS:
                _signal_eof(vs)
                vs.wait_for_read_request(10)
            continue
        inject_fault("read")
        if packet.size == 0 and packet.pts is None:
            continue  # PyAV's own flush packets at EOF; we queue null packets ourselves
        vs.eof = False
        q = queue_of.get(packet.stream_index)
        if q is not None and _in_play_range(vs, packet):
            q.put(packet)


def _input_failed(avio: Any) -> None:
    """The input stopped on an error after open: what was read has played; end with its line."""
    err = InputError(avio.error)
    err.__cause__ = avio.exception  # the reader's own exception, if any: for the trace
    err.__suppress_context__ = True  # not FFmpeg's error that it caused
    raise err


def _dec_loop(vs: "VideoState") -> bool:
    vs.opts.loop -= 1
    return vs.opts.loop != 0


def _signal_eof(vs: "VideoState") -> None:
    if vs.eof:
        return
    for st, q in ((vs.video_st, vs.videoq), (vs.audio_st, vs.audioq), (vs.subtitle_st, vs.subtitleq)):
        if st is not None:
            q.put_nullpacket()
    vs.eof = True


def _queues_full(vs: "VideoState") -> bool:
    if vs.opts.infinite_buffer >= 1:
        return False
    if vs.audioq.size + vs.videoq.size + vs.subtitleq.size > MAX_QUEUE_SIZE:
        return True
    return all(
        st is None or stream_has_enough_packets(q, float(st.time_base),
                                                bool(st.disposition & av.stream.Disposition.attached_pic))
        for st, q in ((vs.audio_st, vs.audioq), (vs.video_st, vs.videoq), (vs.subtitle_st, vs.subtitleq)))


def _playback_ended(vs: "VideoState") -> bool:
    if vs.paused:
        return False
    audio_done = vs.audio_st is None or (vs.auddec.finished == vs.audioq.serial and vs.sampq.nb_remaining() == 0)
    video_done = vs.video_st is None or (vs.viddec.finished == vs.videoq.serial and vs.pictq.nb_remaining() == 0)
    return audio_done and video_done


def _in_play_range(vs: "VideoState", packet: Any) -> bool:
    duration = vs.opts.duration
    if duration is None:
        return True
    ts = packet.pts if packet.pts is not None else packet.dts
    if ts is None:
        return True
    st = packet.stream
    stream_start = st.start_time or 0
    return (ts - stream_start) * float(st.time_base) - (vs.opts.start_time or 0) <= duration


def _do_seek(vs: "VideoState", ic: Any) -> None:
    target = vs.seek_pos
    try:
        with vs.codec_locks():
            ic.seek(target, backward=True)
    except (av.error.FFmpegError, OSError, ValueError):
        vs.warn(f"{vs.opts.input}: error while seeking")
    else:
        for st, q in ((vs.audio_st, vs.audioq), (vs.subtitle_st, vs.subtitleq), (vs.video_st, vs.videoq)):
            if st is not None:
                q.flush()
        vs.extclk.set(target / AV_TIME_BASE, 0)
        vs.seek_done(target / AV_TIME_BASE)
    vs.seek_req = False
    vs.eof = False
    if vs.paused:
        vs.step_to_next_frame()


def _is_realtime(ic: Any) -> bool:
    return ic.format.name in ("rtp", "rtsp", "sdp")

