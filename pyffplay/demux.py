"""The read thread: open the input, pick streams, demux into the packet queues.

ffplay's read_thread: it also executes seek requests, throttles itself when the queues
hold enough, and decides when playback has ended (loop / autoexit).
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

import av

from pyffplay import fflog, libav, streams
from pyffplay.clock import AV_TIME_BASE
from pyffplay.decoders import PTS_TOLERANCE
from pyffplay.errors import InputError, inject_fault, thread_failed
from pyffplay.external_subs import ExternalSubtitles
from pyffplay.net_avio import opens_itself, timeout_seconds
from pyffplay.packet_queue import MAX_QUEUE_SIZE
from pyffplay.sources import open_source
from pyffplay.stream_spec import SpecifierError, StreamInfo, matching_streams, stream_infos

if TYPE_CHECKING:
    from pyffplay.core import VideoState

# FFmpeg reads the custom AVIO in chunks of this size.
AVIO_BUFFER_SIZE = 64 * 1024
# How long the read thread sleeps at most while the queues hold enough (ffplay: 10 ms).
FULL_QUEUES_WAIT_MS = 100
# Demux errors in a row after which the input is treated as ended.
MAX_CONSECUTIVE_ERRORS = 100


def format_options(opts: Any) -> dict[str, str]:
    """What ffplay passes to avformat_open_input (and -genpts / -nofind_stream_info)."""
    # scan_all_pmts: every program's PMT while probing (as ffplay). merge_pmt_versions: when
    # a new PMT version moves a stream to another pid, it stays the same stream instead of
    # a new one that PyAV could not surface (see the IndexError in _read_loop).
    options = {"scan_all_pmts": "1", "merge_pmt_versions": "1"}
    if opts.genpts:
        options["fflags"] = "+genpts"
    if not opts.find_stream_info:
        # PyAV always runs avformat_find_stream_info; this keeps it to the first packets.
        options["analyzeduration"] = "0"
        options["fpsprobesize"] = "0"
    return options


def open_container(vs: VideoState) -> Any:
    """Open the memory AVIO and the container; InputError with one clear line on failure."""
    opts = vs.opts
    name = opts.input
    # Format and protocol options go to the open, as ffplay's format_opts (scan_all_pmts
    # unless given).
    format_opts = {**format_options(opts), **dict(opts.format_opts)}
    if isinstance(vs.source, str) and opens_itself(vs.source, opts.format):
        return _open_direct(vs, format_opts)
    # pipe_seek_end=False: FFmpeg asks a pipe for its size (SEEK_END); answering would
    # mean reading a live pipe to its end before playing anything.
    # on_warning: told once when FFmpeg seeks to bytes of a pipe that were dropped.
    avio = open_source(
        vs.source,
        opts.input or "",
        av_options=dict(opts.format_opts),
        interrupt=lambda: vs.abort_request,
        max_memory=opts.avio_mem,
        max_disk=opts.avio_disk,
        pipe_seek_end=False,
        on_warning=vs.warn,
    )
    vs.avio = avio
    try:
        return av.open(
            avio,
            mode="r",
            format=opts.format,
            container_options=format_opts,
            buffer_size=AVIO_BUFFER_SIZE,
            metadata_errors="replace",
        )
    except (av.error.FFmpegError, EOFError, OSError, ValueError) as e:
        if vs.abort_request:
            raise InputError("interrupted") from None
        if avio.size == 0:
            raise InputError(f"{name}: the input is empty") from None
        if avio.error:
            _input_failed(avio)
        raise InputError(f"{name}: {getattr(e, 'strerror', None) or e or 'cannot read input'}") from None


def _wanted_index(vs: VideoState, ic: Any, kind: str, infos: list[StreamInfo]) -> int | None:
    """-vst/-ast/-sst: the first stream of that type the specifier matches; -1 when it
    matches none (that type is then not played, as ffplay); None when not given."""
    spec = getattr(vs.opts, f"wanted_{kind}")
    if spec is None:
        return None
    try:
        matched = [s for s in matching_streams(spec, infos) if s.type == kind]
    except SpecifierError as e:
        raise InputError(str(e)) from None
    if not matched:
        vs.warn(f"Stream specifier {spec} does not match any {kind} stream")
        return -1
    return matched[0].index


def _open_direct(vs: VideoState, format_opts: dict[str, str]) -> Any:
    """rtsp://, rtp://, sap://, -f rtsp ...: FFmpeg's demuxer opens its own connections
    (packets, not a byte stream), with the format and protocol options."""
    # PyAV's own interrupt callback bounds the open and each read (-timeout, default 10 s):
    # a server that never answers is one line, not a hang.
    timeout = timeout_seconds(format_opts) or None
    t0 = time.monotonic()
    vs.in_direct_open = True
    try:
        return av.open(
            vs.source,
            mode="r",
            format=vs.opts.format,
            container_options=format_opts,
            timeout=timeout,
            metadata_errors="replace",
        )
    except (av.error.FFmpegError, OSError, ValueError) as e:
        if vs.abort_request:
            raise InputError("interrupted") from None
        if timeout and time.monotonic() - t0 >= 0.9 * timeout:
            raise InputError(f"{vs.opts.input}: no answer within {timeout:g} s (-timeout)") from None
        raise InputError(f"{vs.opts.input}: {getattr(e, 'strerror', None) or e}") from None
    finally:
        vs.in_direct_open = False


def pick_streams(vs: VideoState, ic: Any) -> tuple[Any, Any, Any]:
    """ffplay's stream choice: the wanted stream, else av_find_best_stream (related to the
    video for audio, to the audio or video for subtitles); cover pictures are not video."""
    opts = vs.opts
    infos = stream_infos(ic)
    wanted = {kind: _wanted_index(vs, ic, kind, infos) for kind in ("video", "audio", "subtitle")}

    def choose(kind: str, candidates: list[Any], related: Any = None) -> Any:
        w = wanted[kind]
        if w is not None:
            return ic.streams[w] if w >= 0 else None
        # Only streams with a decoder: a damaged header can name a codec FFmpeg lacks.
        candidates = [s for s in candidates if s.codec_context is not None]
        if not candidates:
            return None
        best = ic.streams.best(kind, related=related)
        return best if best in candidates else candidates[0]

    video = audio = subtitle = None
    if not opts.video_disable:
        # A cover picture (attached_pic) is shown when there is no real video, as ffplay.
        moving = [s for s in ic.streams.video if not s.disposition & av.stream.Disposition.attached_pic]
        video = choose("video", moving or list(ic.streams.video))
    if not opts.audio_disable:
        audio = choose("audio", [s for s in ic.streams.audio if _playable_audio(s)], video)
    if not opts.video_disable and not opts.subtitle_disable:
        subtitle = choose("subtitle", list(ic.streams.subtitles), audio or video)
    return video, audio, subtitle


def read_thread(vs: VideoState) -> None:
    try:
        _read_loop(vs)
    except Exception as e:  # one line for the user, the detail to the trace (errors.py)
        thread_failed(vs, "read", e)


def _read_loop(vs: VideoState) -> None:
    opts = vs.opts
    ic = open_container(vs)
    vs.ic = ic  # before the streams open: -vn / audio failure messages look at it
    if vs.abort_request:
        return
    if opts.show_status != 0:
        fflog.dump_format(ic, opts.input or "")  # ffplay's "Input #0, ..." (only when the CLI logs)
    if opts.start_time is not None:
        ts = opts.start_time + (ic.start_time or 0) / AV_TIME_BASE
        try:
            with vs.codec_locks():
                ic.seek(int(ts * AV_TIME_BASE))
        except av.error.FFmpegError:
            vs.warn(f"{opts.input}: could not seek to position {ts:.3f}")
    video, audio, subtitle = pick_streams(vs, ic)
    if video is None and audio is None:
        if _input_error(vs):  # the reader failed while FFmpeg probed: say so, not "no stream"
            _input_failed(vs.avio)
        wanted = {k for k, off in (("video", opts.video_disable), ("audio", opts.audio_disable)) if not off}
        if any(s.type in wanted for s in ic.streams):
            raise InputError(f"{opts.input}: no decoder for its audio or video streams")
        raise InputError(f"{opts.input}: no audio or video stream to play")
    if opts.subtitle_file is not None:
        start_time = (ic.start_time or 0) / AV_TIME_BASE
        vs.external_subs = ExternalSubtitles(
            opts.subtitle_file, len(ic.streams), start_time, interrupt=lambda: vs.abort_request
        )
        if video is not None and not opts.subtitle_disable and opts.wanted_subtitle is None:
            subtitle = vs.external_subs.stream  # given on the command line: shown by default
    if video is not None:
        cc = video.codec_context
        sar = video.sample_aspect_ratio or getattr(cc, "sample_aspect_ratio", None)
        vs.output.set_default_window_size(
            cc.width, cc.height, (sar.numerator, sar.denominator) if sar else (0, 1)
        )
    if audio is not None:
        streams.stream_component_open(vs, audio)
    if video is not None:
        streams.stream_component_open(vs, video)
    if subtitle is not None:
        streams.stream_component_open(vs, subtitle)
        start = math.nan if opts.start_time is None else opts.start_time + (ic.start_time or 0) / AV_TIME_BASE
        _queue_external(vs, start)
    if not vs.video.is_open and not vs.audio.is_open:
        raise InputError(_nothing_to_play(vs, video, audio))
    if opts.infinite_buffer < 0 and _is_realtime(ic, opts.input or ""):
        vs.infinite_buffer = True
    streams.opened(vs, ic)

    queue_of = _queues_by_stream(vs)
    packets = ic.demux(_demuxed(vs))
    by_bytes = vs.control.info.seek_by_bytes
    cover = vs.video.st if vs.video.is_open and _is_cover(vs.video.st) else None
    cover_packet: Any = None
    # Streams whose packets went past -t. When all have, the input is over even if it never
    # ends (a live source): ffplay waits for an EOF that never comes.
    past_end: set[int] = set()
    input_error_said = False
    errors = 0
    while not vs.abort_request:
        if vs.control.cycle_req:
            while vs.control.cycle_req:
                stream_cycle_channel(vs, ic, vs.control.cycle_req.popleft())
            queue_of = _queues_by_stream(vs)
            packets = ic.demux(_demuxed(vs))
        if vs.control.seek_req:
            _do_seek(vs, ic)
            past_end.clear()
            packets = ic.demux(_demuxed(vs))
            if cover_packet is not None:
                _queue_cover(vs, cover_packet)
        if _queues_full(vs):
            # Woken when a queue runs low (decoders.py), by a seek or a quit; the timeout
            # covers the byte limit, which no decoder watches.
            vs.wait_for_read_request(FULL_QUEUES_WAIT_MS)
            continue
        if _playback_ended(vs):
            if vs.loop_left != 1 and (not vs.loop_left or _dec_loop(vs)):
                vs.control.stream_seek(int((opts.start_time or 0) * AV_TIME_BASE), 0)
            elif opts.autoexit:
                if _input_error(vs):  # the connection broke: what arrived was played
                    _input_failed(vs.avio)
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
            packets = ic.demux(_demuxed(vs))
            vs.wait_for_read_request(10)
            continue
        except (av.error.FFmpegError, OSError, ValueError, IndexError) as e:
            if isinstance(e, IndexError):
                # PyAV's demux() (fact 12): a stream appeared after the input was opened (a
                # new program or PMT). PyAV cannot wrap it, so its packets are skipped; it
                # raises at the end of its iterator. A fresh iterator goes on.
                vs.trace.event("demux", note="a stream appeared after open: skipped")
            errors += 1
            packets = ic.demux(_demuxed(vs))
            if errors >= MAX_CONSECUTIVE_ERRORS:
                _signal_eof(vs)
                vs.wait_for_read_request(10)
            continue
        inject_fault("read")
        if packet.size == 0 and packet.pts is None:
            continue  # PyAV's own flush packets at EOF; we queue null packets ourselves
        vs.eof = False
        q = queue_of.get(packet.stream_index)
        if cover is not None and packet.stream_index == cover.index:
            # ffplay's queue_attachments_req: the cover picture once, then its end.
            if cover_packet is None and packet.size:
                cover_packet = packet
                _queue_cover(vs, cover_packet)
            continue
        if q is None:
            continue
        if _in_play_range(vs, packet):
            if by_bytes:
                packet.opaque = packet.pos  # frames carry it (copy_opaque): byte seeks start there
            q.put(packet)
        else:
            past_end.add(packet.stream_index)


def _input_error(vs: VideoState) -> str | None:
    """A read error of the input after it opened (a dropped or stalled connection)."""
    return getattr(vs.avio, "error", None) if vs.avio is not None else None


def _playable_audio(st: Any) -> bool:
    """A sample rate and channels: a damaged header can leave them out (as stream cycling)."""
    cc = st.codec_context
    return cc is None or bool(cc.sample_rate and cc.layout and cc.layout.nb_channels)


def _input_failed(avio: Any) -> None:
    """The input stopped on an error: what was read has played; end with its line (the
    reader's own exception, if any, goes to the trace through read_thread)."""
    err = InputError(avio.error)
    err.__cause__ = getattr(avio, "exception", None)
    err.__suppress_context__ = True  # not FFmpeg's error that it caused
    raise err


def _demuxed(vs: VideoState) -> list[Any]:
    """The open streams of the main input (an external subtitle file is queued apart)."""
    return [p.st for p in vs.pipelines if p.is_open and not streams.is_external(vs, p.st)]


def _is_cover(st: Any) -> bool:
    return bool(st.disposition & av.stream.Disposition.attached_pic)


def _queue_cover(vs: VideoState, packet: Any) -> None:
    vs.video.pktq.put(packet)
    vs.video.pktq.put_nullpacket()


def _queues_by_stream(vs: VideoState) -> dict[int, Any]:
    return {
        st.index: p.pktq for p in vs.pipelines if (st := p.st) is not None and not streams.is_external(vs, st)
    }


def stream_cycle_channel(vs: VideoState, ic: Any, kind: str) -> None:
    """ffplay's stream_cycle_channel: the next stream of ``kind`` (within the video's program
    for audio and subtitles); past the last subtitle stream, subtitles go off."""
    pipeline = {"video": vs.video, "audio": vs.audio, "subtitle": vs.subtitle}[kind]
    start_index = vs.last_stream[kind]
    if start_index < 0 and not pipeline.is_open and kind != "subtitle":
        return  # that type was never played (-an, -vn, or none in the input)
    old_index = streams.stream_number(vs, pipeline.st) if pipeline.is_open else -1
    order = list(range(len(ic.streams)))
    if kind != "video" and vs.video.is_open:
        program = libav.program_streams(ic, vs.video.st.index)
        if program is not None:
            order = sorted(program[1])
    if kind == "subtitle" and vs.external_subs is not None:
        order.append(vs.external_subs.index)  # -sub FILE: after the input's own streams
    start = order.index(start_index) if start_index in order else -1
    pos = start
    while True:
        pos += 1
        if pos >= len(order):
            if kind == "subtitle":
                new_index = -1
                vs.last_stream["subtitle"] = -1
                break
            if start == -1:
                return
            pos = 0
        if pos == start:
            return
        st = streams.stream_by_number(vs, order[pos])
        if st.type != kind:
            continue
        if kind == "audio":
            cc = st.codec_context
            if cc is None or not cc.sample_rate or not (cc.layout and cc.layout.nb_channels):
                continue
        new_index = order[pos]
        break
    if new_index == old_index:
        return
    position = vs.clocks.get_master_clock()
    if vs.video.is_open and not math.isnan(vs.clocks.vidclk.pts) and pipeline is not vs.video:
        # Not before the picture on screen: the next picture shown is a new one.
        position = max(position, vs.clocks.vidclk.pts + 2 * PTS_TOLERANCE)
    streams.stream_component_close(vs, pipeline)
    if new_index >= 0:
        streams.stream_component_open(vs, streams.stream_by_number(vs, new_index))
    streams.stream_switched(vs, kind, old_index, new_index)
    # The new stream's packets up to the demuxer's position were skipped: go back to where
    # playback is, without showing anything before it, so the switch is seamless (mpv does
    # the same; ffplay starts the new stream at the demuxer's position, ahead of the clock).
    if not math.isnan(position) and ic.format.name not in _NO_SEEK_FORMATS:
        vs.control.stream_seek(int(position * AV_TIME_BASE), 0, accurate=True, quiet=True)
    else:
        _queue_external(vs, position)
        if vs.eof and pipeline.is_open:
            pipeline.pktq.put_nullpacket()  # nothing more will come: let it finish


def _nothing_to_play(vs: VideoState, video: Any, audio: Any) -> str:
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


def _dec_loop(vs: VideoState) -> bool:
    vs.loop_left -= 1
    return vs.loop_left != 0


def _signal_eof(vs: VideoState) -> None:
    if vs.eof:
        return
    for p in vs.pipelines:
        if p.is_open:
            p.pktq.put_nullpacket()
    vs.eof = True


def _queues_full(vs: VideoState) -> bool:
    if vs.infinite_buffer:
        return False
    if sum(p.pktq.size for p in vs.pipelines) > MAX_QUEUE_SIZE:
        return True
    return all(p.has_enough_packets() for p in vs.pipelines)


def _playback_ended(vs: VideoState) -> bool:
    if vs.control.paused:
        return False
    return vs.audio.finished() and vs.video.finished()


def _in_play_range(vs: VideoState, packet: Any) -> bool:
    duration = vs.opts.duration
    if duration is None:
        return True
    ts = packet.pts if packet.pts is not None else packet.dts
    if ts is None:
        return True
    st = packet.stream
    stream_start = st.start_time or 0
    return (ts - stream_start) * float(st.time_base) - (vs.opts.start_time or 0) <= duration


def _do_seek(vs: VideoState, ic: Any) -> None:
    control = vs.control
    target = control.seek_pos
    dropped = vs.avio.dropped_seeks
    try:
        with vs.codec_locks():
            ic.seek(target, backward=True, unsupported_byte_offset=control.seek_bytes)
    except (av.error.FFmpegError, OSError, ValueError):
        if vs.avio.dropped_seeks == dropped:  # else the AVIO said why (once)
            vs.warn(f"{vs.opts.input}: error while seeking")
    else:
        for p in vs.pipelines:
            if p.is_open:
                p.pktq.flush()
        skip_to = target / AV_TIME_BASE
        shown = vs.clocks.vidclk.pts if vs.video.is_open else math.nan
        if control.seek_quiet and not math.isnan(shown):
            # A stream switch: pictures of the old serial went on showing until the flush
            # above; the new serial starts after the last of them, never before it.
            skip_to = max(skip_to, shown + 2 * PTS_TOLERANCE)
        for p in vs.pipelines:
            if p.is_open and p.decoder is not None:
                # Frames of the new serial before the target are decoded, not shown.
                p.decoder.skip_until = (p.pktq.serial, skip_to) if control.seek_accurate else None
        _queue_external(vs, math.nan if control.seek_bytes else target / AV_TIME_BASE)
        # A byte offset says nothing of the time: the clock is unknown until a frame comes.
        vs.clocks.extclk.set(math.nan if control.seek_bytes else target / AV_TIME_BASE, 0)
        vs.seek_done(math.nan if control.seek_bytes else target / AV_TIME_BASE)
    control.seek_req = False
    vs.eof = False
    if control.paused:
        control.step_to_next_frame()


def _queue_external(vs: VideoState, position: float) -> None:
    """-sub FILE playing: its packets from ``position`` on (after a flush: seek, switch, open)."""
    ext = vs.external_subs
    if ext is not None and vs.subtitle.is_open and ext.is_stream(vs.subtitle.st):
        ext.queue_from(vs.subtitle.pktq, position)


_NO_SEEK_FORMATS = ("rtp", "rtsp", "sdp")


def _is_realtime(ic: Any, name: str) -> bool:
    """ffplay's is_realtime: packet formats that arrive live, and rtp:/udp: URLs."""
    if ic.format.name in ("rtp", "rtsp", "sdp"):
        return True
    return name.startswith(("rtp:", "udp:"))
