"""Filter strings and autorotation, as pure functions (no graph is built here)."""

import pytest

from pyffplay.filters import FilterError, autorotate_filters, rotation_of, split_chain

ONE = 1 << 16


@pytest.mark.parametrize(
    "text, expected",
    [
        ("hflip", [("hflip", None)]),
        ("hflip,vflip", [("hflip", None), ("vflip", None)]),
        ("scale=320:-2, hflip", [("scale", "320:-2"), ("hflip", None)]),
        ("scale=w=iw/2:h=-2", [("scale", "w=iw/2:h=-2")]),
        ("drawbox=x=10:y=10:w=20:h=20:color=red@0.5", [("drawbox", "x=10:y=10:w=20:h=20:color=red@0.5")]),
        (r"eq=contrast=1.2\,x", [("eq", "contrast=1.2,x")]),
        ("crop='iw/2,ih/2'", [("crop", "iw/2,ih/2")]),
        ("hflip@first,scale=2*iw:ih", [("hflip", None), ("scale", "2*iw:ih")]),
    ],
)
def test_split_chain(text, expected):
    assert split_chain(text) == expected


@pytest.mark.parametrize("text", ["[in]hflip[out]", "hflip;vflip", "hflip,", ",hflip", "hflip[x]"])
def test_unsupported_or_invalid_chains_raise(text):
    with pytest.raises(FilterError):
        split_chain(text)


def _matrix(a, b, c, d):
    """A display matrix from its 2x2 part (16.16 fixed point), as stored in files."""
    return (a * ONE, b * ONE, 0, c * ONE, d * ONE, 0, 0, 0, 1 << 30)


@pytest.mark.parametrize(
    "matrix, theta, filters",
    [
        (None, 0.0, []),
        (_matrix(1, 0, 0, 1), 0.0, []),
        (_matrix(0, -1, 1, 0), 270.0, [("transpose", "cclock")]),  # PyAV's rotation=90 (counter-clockwise)
        (_matrix(0, 1, -1, 0), 90.0, [("transpose", "clock")]),
        (_matrix(0, 1, 1, 0), 90.0, [("transpose", "cclock_flip")]),  # turned and mirrored
        (_matrix(-1, 0, 0, -1), 180.0, [("hflip", None), ("vflip", None)]),
        (_matrix(-1, 0, 0, 1), 180.0, [("hflip", None)]),  # mirrored left-right
        (_matrix(1, 0, 0, -1), 0.0, [("vflip", None)]),  # mirrored top-bottom
    ],
)
def test_autorotate_filters_follow_ffplay(matrix, theta, filters):
    assert rotation_of(matrix) == theta
    assert autorotate_filters(matrix) == filters
