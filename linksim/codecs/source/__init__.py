"""Source codecs: one image <-> one byte string, behind :class:`~linksim.codecs.source.base.SourceCodec`.

Importing this package registers every source codec in
:data:`~linksim.codecs.source.base.SOURCES`: ``bpg`` (PyAV's x265) and
``qmap`` (the learned Qmap codec, :mod:`linksim.codecs.source.learned`).
"""
from . import bpg, learned  # noqa: F401  (registration side effect)
