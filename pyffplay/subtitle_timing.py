"""When a queued subtitle is shown and when it goes: ffplay's checks in video_refresh
(expiry against the video clock) and video_image_display (the first one, once due)."""

from __future__ import annotations

from pyffplay.frame_queue import Frame
from pyffplay.pipeline import StreamPipeline
from pyffplay.subtitles import Subtitle


def _start(sp: Frame) -> float:
    return sp.pts + (getattr(sp.sub, "start_display_time", 0) or 0) / 1000


def _end(sp: Frame) -> float:
    return sp.pts + (getattr(sp.sub, "end_display_time", 0) or 0) / 1000


def due_subtitle(subtitle: StreamPipeline, vp: Frame) -> Subtitle | None:
    """The first queued subtitle, once the picture ``vp`` reached its start; None when
    none is due or subtitles are off (t, -sn)."""
    if not subtitle.is_open:
        return None
    subpq = subtitle.frameq
    if subpq.nb_remaining() == 0:
        return None
    sp = subpq.peek()
    if sp.serial != subtitle.pktq.serial or not isinstance(sp.frame, Subtitle):
        return None
    return sp.frame if vp.pts >= _start(sp) else None


def expire_subtitles(subtitle: StreamPipeline, vidpts: float) -> None:
    """Drop queued subtitles of an old serial, past their end, or overtaken by the next."""
    if not subtitle.is_open:
        return
    subpq = subtitle.frameq
    while subpq.nb_remaining() > 0:
        sp = subpq.peek()
        sp2 = subpq.peek_next() if subpq.nb_remaining() > 1 else None
        if (
            sp.serial != subtitle.pktq.serial
            or vidpts > _end(sp)
            or (sp2 is not None and vidpts > _start(sp2))
        ):
            subpq.next()
        else:
            break
