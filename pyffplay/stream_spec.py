"""FFmpeg stream specifiers (``-ast a:1``, ``-vst 2``, ``-sst p:1:s``, ``m:language:eng``).

Pure: streams are described by StreamInfo, so the matcher is tested without media. The
forms are FFmpeg's: a stream index, a type (v, V = video that is not a cover picture,
a, s, d, t) optionally followed by further parts, ``p:PROGRAM_ID``, ``#ID`` / ``i:ID``,
``m:KEY[:VALUE]``, ``u`` (usable); a trailing number picks the N-th of what is left.
"""

from __future__ import annotations

from dataclasses import dataclass, field

_TYPES = {"v": "video", "V": "video", "a": "audio", "s": "subtitle", "d": "data", "t": "attachment"}


@dataclass(frozen=True)
class StreamInfo:
    index: int
    type: str  # "video", "audio", "subtitle", "data", "attachment"
    id: int = 0
    metadata: dict[str, str] = field(default_factory=dict)
    programs: tuple[int, ...] = ()
    attached_pic: bool = False
    usable: bool = True


class SpecifierError(ValueError):
    pass


def _int(text: str, spec: str) -> int:
    try:
        return int(text, 0)
    except ValueError:
        raise SpecifierError(f"Invalid stream specifier: {spec}") from None


def matching_streams(spec: str, streams: list[StreamInfo]) -> list[StreamInfo]:
    """Every stream ``spec`` selects, in index order."""
    cands = sorted(streams, key=lambda s: s.index)
    rest = spec
    while rest:
        head, _, tail = rest.partition(":")
        if head in _TYPES:
            cands = [s for s in cands if s.type == _TYPES[head] and not (head == "V" and s.attached_pic)]
            rest = tail
        elif head == "p":
            pid_text, _, rest = tail.partition(":")
            pid = _int(pid_text, spec)
            cands = [s for s in cands if pid in s.programs]
        elif head.startswith("#") or head == "i":
            sid = _int(head[1:] if head.startswith("#") else tail.partition(":")[0], spec)
            return [s for s in cands if s.id == sid]
        elif head == "m":
            key, _, value = tail.partition(":")
            if not key:
                raise SpecifierError(f"Invalid stream specifier: {spec}")
            return [s for s in cands if key in s.metadata and (not value or s.metadata[key] == value)]
        elif head == "u" and not tail:
            return [s for s in cands if s.usable]
        elif head.isdigit() and not tail:
            n = int(head)
            return [cands[n]] if n < len(cands) else []
        else:
            raise SpecifierError(f"Invalid stream specifier: {spec}")
    return cands


def stream_infos(container: object) -> list[StreamInfo]:
    """StreamInfo for each stream of an open PyAV container (programs through libav)."""
    import av

    from pyffplay import libav

    out = []
    for s in container.streams:  # type: ignore[attr-defined]
        cc = s.codec_context
        usable = cc is not None and (s.type != "audio" or bool(cc.sample_rate))
        out.append(
            StreamInfo(
                index=s.index,
                type=s.type,
                id=s.id or 0,
                metadata=dict(s.metadata),
                programs=tuple(libav.stream_programs(container, s.index)),
                attached_pic=bool(s.disposition & av.stream.Disposition.attached_pic),
                usable=usable,
            )
        )
    return out
