"""Errors that end playback with one clear line and a non-zero exit."""


class PlayerError(Exception):
    """A problem the user can act on; main() prints ``pyffplay: <message>`` and exits 1."""


class UsageError(PlayerError, ValueError):
    """A bad command line (or API keyword): unknown option, missing or malformed value."""


class InputError(PlayerError):
    """The input cannot be opened or read: missing, a directory, not media, too large."""
