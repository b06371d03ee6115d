"""Codecs: every way of getting an image across the channel, one module each.

Importing this package registers every codec in :data:`linksim.registry.CODECS`.
"""
from . import identity, jscc, separate  # noqa: F401  (registration side effect)
