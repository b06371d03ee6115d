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
