"""Helpers of scripts/bench: services (X, sound), player runs, statistics, the report."""


class BenchError(Exception):
    """A fatal problem, reported as one line: ``bench: <message>``."""
