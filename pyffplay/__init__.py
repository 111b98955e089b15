"""pyffplay: ffplay's threads, queues and clocks in Python."""

__version__ = "0.1.0"
