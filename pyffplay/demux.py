"""The read thread: open the input, pick streams, demux into the packet queues.

ffplay's read_thread: it also executes seek requests, throttles itself when the queues
hold enough, and decides when playback has ended (loop / autoexit).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import av

from pyffplay.clock import AV_TIME_BASE
from pyffplay.errors import InputError, PlayerError
from pyffplay.net_avio import opens_itself, timeout_seconds
from pyffplay.sources import open_source
from pyffplay.packet_queue import MAX_QUEUE_SIZE

if TYPE_CHECKING:
    from pyffplay.core import VideoState

# FFmpeg reads the custom AVIO in chunks of this size.
AVIO_BUFFER_SIZE = 64 * 1024
# Demux errors in a row after which the input is treated as ended.
MAX_CONSECUTIVE_ERRORS = 100


def open_container(vs: "VideoState") -> Any:
    """Open the memory AVIO and the container; InputError with one clear line on failure."""
    opts = vs.opts
    name = opts.input
    # Format and protocol options go to the open, as ffplay's format_opts (scan_all_pmts
    # unless given).
    format_opts = {"scan_all_pmts": "1", **dict(opts.format_opts)}
    if isinstance(vs.source, str) and opens_itself(vs.source, opts.format):
        return _open_direct(vs, format_opts)
    # pipe_seek_end=False: FFmpeg asks a pipe for its size (SEEK_END); answering would
    # mean reading a live pipe to its end before playing anything.
    avio = open_source(vs.source, opts.input or "", av_options=dict(opts.format_opts),
                       interrupt=lambda: vs.abort_request, max_memory=opts.avio_mem,
                       spill=opts.avio_spill, pipe_seek_end=False)
    vs.avio = avio
    try:
        return av.open(avio, mode="r", format=opts.format, container_options=format_opts,
                       buffer_size=AVIO_BUFFER_SIZE)
    except (av.error.FFmpegError, EOFError, OSError, ValueError) as e:
        if vs.abort_request:
            raise InputError("interrupted") from None
        if avio.size == 0:
            raise InputError(f"{name}: the input is empty") from None
        if avio.error:
            raise InputError(avio.error) from None
        raise InputError(f"{name}: {getattr(e, 'strerror', None) or e or 'cannot read input'}") from None


def _open_direct(vs: "VideoState", format_opts: dict[str, str]) -> Any:
    """rtsp://, rtp://, sap://, -f rtsp ...: FFmpeg's demuxer opens its own connections
    (packets, not a byte stream), with the format and protocol options."""
    # PyAV's own interrupt callback bounds the open and each read (-timeout, default 10 s):
    # a server that never answers is one line, not a hang.
    timeout = timeout_seconds(format_opts) or None
    t0 = time.monotonic()
    try:
        return av.open(vs.source, mode="r", format=vs.opts.format, container_options=format_opts,
                       timeout=timeout)
    except (av.error.FFmpegError, OSError, ValueError) as e:
        if vs.abort_request:
            raise InputError("interrupted") from None
        if timeout and time.monotonic() - t0 >= 0.9 * timeout:
            raise InputError(f"{vs.opts.input}: no answer within {timeout:g} s (-timeout)") from None
        raise InputError(f"{vs.opts.input}: {getattr(e, 'strerror', None) or e}") from None


def pick_streams(vs: "VideoState", ic: Any) -> tuple[Any, Any, Any]:
    opts = vs.opts
    video = audio = subtitle = None
    if not opts.video_disable:
        candidates = [s for s in ic.streams.video if not s.disposition & av.stream.Disposition.attached_pic]
        video = ic.streams.best("video") if candidates else None
        if video is not None and video not in candidates:
            video = candidates[0]
    if not opts.audio_disable:
        audio = ic.streams.best("audio", related=video) if ic.streams.audio else None
    if not opts.video_disable and not opts.subtitle_disable and ic.streams.subtitles:
        subtitle = ic.streams.best("subtitle", related=audio or video)
    return video, audio, subtitle


def read_thread(vs: "VideoState") -> None:
    try:
        _read_loop(vs)
    except PlayerError as e:
        vs.fail(str(e))
    except Exception as e:  # never let a bug leave the player hanging
        vs.fail(f"read thread: {type(e).__name__}: {e}")


def _read_loop(vs: "VideoState") -> None:
    opts = vs.opts
    ic = open_container(vs)
    vs.ic = ic  # before the streams open: -vn / audio failure messages look at it
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
    if not vs.video.is_open and not vs.audio.is_open:
        raise InputError(_nothing_to_play(vs, video, audio))
    if opts.infinite_buffer < 0 and _is_realtime(ic, opts.input or ""):
        vs.infinite_buffer = True
    vs.opened(ic)

    open_pipelines = [p for p in vs.pipelines if p.is_open]
    streams = [p.st for p in open_pipelines]
    queue_of = {p.st.index: p.pktq for p in open_pipelines}
    # Streams whose packets went past -t. When all have, the input is over even if it never
    # ends (a live source): ffplay waits for an EOF that never comes.
    past_end: set[int] = set()
    input_error_said = False
    packets = ic.demux(streams)
    errors = 0
    while not vs.abort_request:
        if vs.control.seek_req:
            _do_seek(vs, ic)
            past_end.clear()
            packets = ic.demux(streams)
        if _queues_full(vs):
            vs.wait_for_read_request(10)
            continue
        if _playback_ended(vs):
            if vs.loop_left != 1 and (not vs.loop_left or _dec_loop(vs)):
                vs.control.stream_seek(int((opts.start_time or 0) * AV_TIME_BASE), 0)
            elif opts.autoexit:
                if _input_error(vs):  # the connection broke: what arrived was played
                    vs.fail(_input_error(vs) or "")
                else:
                    vs.request_quit("eof")
                return
        if len(past_end) == len(queue_of):
            _signal_eof(vs)
            vs.wait_for_read_request(10)
            continue
        try:
            packet = next(packets)
            errors = 0
        except StopIteration:
            _signal_eof(vs)
            if _input_error(vs) and not opts.autoexit and not input_error_said:
                input_error_said = True  # with -autoexit it is the exit's one line
                vs.warn(_input_error(vs) or "")
            packets = ic.demux(streams)
            vs.wait_for_read_request(10)
            continue
        except (av.error.FFmpegError, OSError, ValueError):
            errors += 1
            packets = ic.demux(streams)
            if errors >= MAX_CONSECUTIVE_ERRORS:
                _signal_eof(vs)
                vs.wait_for_read_request(10)
            continue
        if packet.size == 0 and packet.pts is None:
            continue  # PyAV's own flush packets at EOF; we queue null packets ourselves
        vs.eof = False
        q = queue_of.get(packet.stream_index)
        if q is None:
            continue
        if _in_play_range(vs, packet):
            q.put(packet)
        else:
            past_end.add(packet.stream_index)


def _input_error(vs: "VideoState") -> str | None:
    """A read error of the input after it opened (a dropped or stalled connection)."""
    return getattr(vs.avio, "error", None) if vs.avio is not None else None


def _nothing_to_play(vs: "VideoState", video: Any, audio: Any) -> str:
    """Say why no stream could be played, naming the reason, not "failed to open"."""
    opts = vs.opts
    reasons = []
    if vs.audio_failure:
        reasons.append(vs.audio_failure)
    elif audio is None:
        reasons.append("audio disabled (-an)" if opts.audio_disable else "no audio stream")
    if video is None:
        if opts.display_disable:
            reasons.append("video disabled (-nodisp)")
        elif opts.video_disable:
            reasons.append("video disabled (-vn)")
        else:
            reasons.append("no video stream")
    return f"{opts.input}: nothing to play: " + " and ".join(reasons)


def _dec_loop(vs: "VideoState") -> bool:
    vs.loop_left -= 1
    return vs.loop_left != 0


def _signal_eof(vs: "VideoState") -> None:
    if vs.eof:
        return
    for p in vs.pipelines:
        if p.is_open:
            p.pktq.put_nullpacket()
    vs.eof = True


def _queues_full(vs: "VideoState") -> bool:
    if vs.infinite_buffer:
        return False
    if sum(p.pktq.size for p in vs.pipelines) > MAX_QUEUE_SIZE:
        return True
    return all(p.has_enough_packets() for p in vs.pipelines)


def _playback_ended(vs: "VideoState") -> bool:
    if vs.control.paused:
        return False
    return vs.audio.finished() and vs.video.finished()


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
    control = vs.control
    target = control.seek_pos
    try:
        with vs.codec_locks():
            ic.seek(target, backward=True)
    except (av.error.FFmpegError, OSError, ValueError):
        vs.warn(f"{vs.opts.input}: error while seeking")
    else:
        for p in vs.pipelines:
            if p.is_open:
                p.pktq.flush()
        vs.clocks.extclk.set(target / AV_TIME_BASE, 0)
        vs.seek_done(target / AV_TIME_BASE)
    control.seek_req = False
    vs.eof = False
    if control.paused:
        control.step_to_next_frame()


def _is_realtime(ic: Any, name: str) -> bool:
    """ffplay's is_realtime: packet formats that arrive live, and rtp:/udp: URLs."""
    if ic.format.name in ("rtp", "rtsp", "sdp"):
        return True
    return name.startswith(("rtp:", "udp:"))

