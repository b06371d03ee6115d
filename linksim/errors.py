"""Typed exceptions of linksim.

Library code raises these; only :mod:`linksim.cli` turns them into one line on
stderr and exit code 2.
"""


class LinksimError(Exception):
    """Base class of every error a user can cause and fix."""


class ConfigError(LinksimError):
    """A scenario or option is invalid (unknown key, wrong type, out of range)."""


class DataError(LinksimError):
    """A data set path is missing, empty, malformed or too small for the request."""


class WeightsError(LinksimError):
    """Shipped or user weights are missing or fail their sha256 check."""


class BitstreamError(LinksimError):
    """A source-codec byte string cannot be decoded (corrupt or truncated)."""


class LinksimWarning(UserWarning):
    """Something on disk was damaged and is being rebuilt or recomputed; numbers are unaffected.

    The CLI prints each as one ``linksim: warning: ...`` line.
    """


class OutputError(LinksimError):
    """An output or cache folder cannot be used: not creatable or writable, or another run holds it."""
