"""Opening and closing streams: ffplay's stream_component_open/close and what the player
knows of an opened input. Called by the read thread (demux.py), which owns the container.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from pyffplay import commands as cmd
from pyffplay import libav
from pyffplay.audio_output import AudioOutput, AudioUnavailable, Preroll, open_audio
from pyffplay.av_options import codec_options
from pyffplay.clock import AV_TIME_BASE
from pyffplay.codec_setup import decoder_context
from pyffplay.control import choose_seek_by_bytes
from pyffplay.decoders import audio_thread, subtitle_thread, video_thread
from pyffplay.errors import thread_failed
from pyffplay.pipeline import StreamPipeline
from pyffplay.visualize import SHOW_MODE_RDFT, SHOW_MODE_VIDEO, SampleTap

if TYPE_CHECKING:
    from pyffplay.core import VideoState

AVFMT_TS_DISCONT = 0x0200


def stream_component_open(vs: VideoState, st: Any) -> None:
    cc = decoder_context(st, vs.opts, vs.warn)
    if cc is None:
        vs.warn(f"no decoder for stream #{st.index} ({st.type})")
        return
    cc.copy_opaque = True
    if st.type in vs.last_stream:
        vs.last_stream[st.type] = stream_number(vs, st)
    if vs.opts.codec_opts and not cc.is_open:  # ffplay's filter_codec_opts: -threads, -threads:v 2
        cc.options = {**dict(cc.options or {}), **codec_options(vs.opts.codec_opts, st)}
    if st.type == "audio":
        _open_audio(vs, st, cc)
    elif st.type == "video":
        if not cc.is_open:  # a stream played before (a switch back) keeps its open context
            cc.thread_type = "AUTO"
        vs.video.open(st, cc, vs.continue_read_thread, vs.wait_mutex)
        vs.clocks.has_video = True
        refresh, opts = vs.refresh, vs.opts
        vs.video.start(
            lambda: video_thread(
                vs.video,
                refresh,
                vs.clocks,
                vs.control,
                vs.trace,
                opts.autorotate,
                vs.output.set_default_window_size,
                opts.decoder_reorder_pts,
                opts.vfilters,
                opts.filter_threads,
            ),
            partial(thread_failed, vs, "video"),
        )
    elif st.type == "subtitle":
        vs.subtitle.open(st, cc, vs.continue_read_thread, vs.wait_mutex)
        canvas = libav.stream_dimensions(st.container, st.index)
        ext = vs.external_subs
        offset = ext.pts_offset if ext is not None and ext.is_stream(st) else 0.0
        vs.subtitle.start(
            lambda: subtitle_thread(vs.subtitle, canvas, offset),
            partial(thread_failed, vs, "subtitle"),
        )


def is_external(vs: VideoState, st: Any) -> bool:
    return vs.external_subs is not None and vs.external_subs.is_stream(st)


def stream_number(vs: VideoState, st: Any) -> int:
    """The index the user sees (trace, API, t): an external file's comes after the input's."""
    assert st is not None
    ext = vs.external_subs
    return ext.index if ext is not None and ext.is_stream(st) else st.index


def stream_by_number(vs: VideoState, index: int) -> Any:
    if vs.external_subs is not None and index == vs.external_subs.index:
        return vs.external_subs.stream
    return vs.ic.streams[index]


def stream_component_close(vs: VideoState, pipeline: StreamPipeline) -> None:
    """Stop a stream's decoder and drop what it queued (a stream switch). The audio
    device stays open: the next audio stream is resampled to its format."""
    if not pipeline.is_open:
        return
    pipeline.abort()
    pipeline.join(1.0)
    pipeline.pktq.flush()  # a new serial: whatever is left in the frame queue is stale
    pipeline.st = None
    pipeline.decoder = None
    if pipeline is vs.video:
        vs.clocks.has_video = False
    elif pipeline is vs.audio:
        vs.clocks.has_audio = False


def stream_switched(vs: VideoState, kind: str, old: int, new: int) -> None:
    if kind == "subtitle":
        vs.post(cmd.Refresh())  # a subtitle on screen goes (or changes) at once, paused too
    vs.trace.event("stream", type=kind, **{"from": old, "to": new})
    vs.reporter.event("stream", type=kind, old=old, new=new)
    vs.streams = [
        dict(s, selected=(s["index"] == new) if s["type"] == kind else s["selected"]) for s in vs.streams
    ]


def _open_audio(vs: VideoState, st: Any, cc: Any) -> None:
    channels = cc.layout.nb_channels if cc.layout else 2
    if vs.audio_out is not None:  # a switch: the device is already open
        _start_audio(vs, st, cc, vs.audio_out)
        return
    if vs.opts.ao:
        drivers = [vs.opts.ao]
    else:
        # Without a sound device the picture still plays, timed by a null device so the
        # audio clock leads as it would (mpv's ao_null); with no picture it is an error.
        drivers = ["sounddevice", "null"] if _video_wanted(vs) else ["sounddevice"]
    for driver in drivers:
        try:
            vs.audio_out = open_audio(
                driver, vs.audio, vs.clocks, vs.control, vs.trace, cc.sample_rate, channels
            )
            break
        except AudioUnavailable as e:
            vs.audio_failure = vs.audio_failure or f"audio output unavailable ({e})"
    if vs.audio_out is None:
        return
    vs.audio_out.on_error = partial(thread_failed, vs, "audio_output")
    if _video_wanted(vs) and vs.opts.sync == "audio" and not vs.opts.untimed:
        vs.audio_out.preroll = Preroll(partial(_pictures_ready, vs))
    if vs.audio_failure:
        vs.warn(f"{vs.audio_failure}; playing without sound")
    _start_audio(vs, st, cc, vs.audio_out)


def _start_audio(vs: VideoState, st: Any, cc: Any, out: AudioOutput) -> None:
    vs.audio.open(st, cc, vs.continue_read_thread, vs.wait_mutex)
    vs.clocks.has_audio = True
    vs.audio.start(
        lambda: audio_thread(vs.audio, out.rate, out.channels, vs.opts.afilters, vs.opts.filter_threads),
        partial(thread_failed, vs, "audio"),
    )


def _pictures_ready(vs: VideoState) -> bool:
    """Whether the sound may start (audio_output.Preroll): every stream is open, the first
    picture is on screen (the first display of a large picture takes tens of ms) and the
    picture queue is full, or the video ended or was not opened (any thread: int reads)."""
    if not vs.is_open:
        return False
    video = vs.video
    if not video.is_open or video.decoder is None:
        return True
    serial = video.pktq.serial
    if video.decoder.finished == serial:
        return True
    return vs.refresh.shown_serial == serial and video.frameq.size >= video.frameq.max_size


def _video_wanted(vs: VideoState) -> bool:
    return not vs.opts.video_disable and vs.ic is not None and any(True for _ in vs.ic.streams.video)


def opened(vs: VideoState, ic: Any) -> None:
    vs.ic = ic
    vs.refresh.max_frame_duration = 10.0 if ic.format.flags & AVFMT_TS_DISCONT else 3600.0
    if ic.duration and ic.duration > 0:
        # No picture lasts longer than the whole file: a longer gap between two pictures
        # is a damaged timestamp, timed by the frame rate instead (ffplay freezes on it).
        vs.refresh.max_frame_duration = min(
            vs.refresh.max_frame_duration, max(1.0, ic.duration / AV_TIME_BASE)
        )
    chapters = ic.chapters() if callable(ic.chapters) else ic.chapters
    starts = tuple(sorted(float(c["start"] * c["time_base"]) for c in chapters)) if chapters else ()
    vs.control.info.start_time = ic.start_time or 0
    vs.control.info.duration = ic.duration or 0
    vs.control.info.chapter_starts = starts
    vs.control.info.bit_rate = ic.bit_rate or 0
    vs.control.info.size = (vs.avio.size if vs.avio is not None else None) or 0
    vs.control.info.seek_by_bytes = choose_seek_by_bytes(
        vs.opts.seek_by_bytes, ic.format, vs.control.info.size
    )
    vs.refresh.infinite_buffer = vs.infinite_buffer
    # ffplay: the picture when there is one, else the spectrum; -showmode when given.
    mode = vs.opts.show_mode or (SHOW_MODE_VIDEO if vs.video.is_open else SHOW_MODE_RDFT)
    if mode != SHOW_MODE_VIDEO and not vs.audio.is_open:
        mode = SHOW_MODE_VIDEO
    vs.control.show_mode = mode
    if vs.audio_out is not None and vs.audio.is_open and vs.output.shows_pictures:
        tap = SampleTap(vs.audio_out.channels, vs.audio_out.rate)
        vs.audio_out.tap = tap
        vs.refresh.sample_tap = tap
    # Kept for the API: the container itself is closed on exit.
    vs.duration = ic.duration / AV_TIME_BASE if ic.duration else None
    vs.metadata = dict(ic.metadata)
    if not vs.opts.window_title:
        # ffplay: "<title> - <input>" when the input has a title, else the input's name.
        title = vs.metadata.get("title")
        name = vs.opts.input or ""
        vs.output.set_title(f"{title} - {name}" if title else name)
    playing = {stream_number(vs, p.st) for p in vs.pipelines if p.is_open}
    all_streams = list(ic.streams)
    if vs.external_subs is not None:
        all_streams.append(vs.external_subs.stream)
    vs.streams = [
        {
            "index": stream_number(vs, s),
            "type": s.type,
            "codec": s.codec_context.name if s.codec_context else None,
            "language": s.metadata.get("language"),
            "selected": stream_number(vs, s) in playing,
        }
        for s in all_streams
    ]
    vs.is_open = True
    vs.wake_loop()  # commands queued before the open run now, not when the loop next wakes
    vs.trace.event(
        "open",
        duration=ic.duration / AV_TIME_BASE if ic.duration else None,
        video=vs.video.is_open,
        audio=vs.audio.is_open,
        ao=vs.audio_out.driver if vs.audio_out is not None else None,
    )
    vs.reporter.event("open", duration=ic.duration / AV_TIME_BASE if ic.duration else None)
