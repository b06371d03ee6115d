"""The source-codec interface every digital link takes, its registry, and the quality ladder.

A source codec turns one image into one byte string at a *quality* and back.
Qualities form an ordered grid (:attr:`SourceCodec.grid`), best first: BPG's
QPs 0..51, a learned codec's mapping levels from highest to lowest rate.
Stream sizes fall along the grid (as far as the codec can make them; a rare
one-byte inversion only makes a choice one step more cautious, never larger
than the budget, since every chosen stream is checked against it).

The link asks a :class:`QualityLadder` -- the streams of a batch of images at
every quality, encoded lazily, batched and cached -- for "the best quality
whose stream fits N bytes" (a bisection over the grid, all images in
lockstep so that every step is one batched encode), for streams, and for the
distortion of a decoded stream.

Bits sent = bits decoded: the bytes a ladder returns are exactly what
crosses the channel, and :meth:`SourceCodec.decode` consumes exactly them.
A stream is self-delimiting: :meth:`SourceCodec.stream_length` reads its
length from the start of a received frame, so padding after it is ignored
and the bit pipe assumes nothing about a stream's bytes.
"""
from __future__ import annotations

import abc
import math
from typing import Optional, Sequence

import numpy as np

from ...errors import BitstreamError
from ...registry import Registry
from .cache import EncodingCache, image_key

SOURCES = Registry("source codec", "linksim.codecs.source")


class SourceCodec(abc.ABC):
    """One image <-> one byte string at a quality of :attr:`grid`.

    Subclasses set :attr:`id` (it must change whenever the bytes could: encoder
    version, weights' sha256, Qmap strategy), :attr:`label` (short name used in
    codec labels, e.g. ``bpg``) and :attr:`grid`.
    """

    id: str
    label: str
    #: Qualities in order of falling rate (best quality first).
    grid: Sequence
    #: Grid positions below a bisection's boundary that :meth:`QualityLadder.best` also tries
    #: (for codecs whose sizes jitter along a fine grid; 0 keeps the plain bisection).
    search_window: int = 0

    def quality_key(self, quality) -> str:
        """The full quality as the encoding cache stores it (no rounding)."""
        return repr(quality)

    def check_quality(self, quality) -> None:
        """Raise :class:`~linksim.errors.ConfigError` unless ``quality`` is one this source codes (default: on its grid)."""
        from ...errors import ConfigError
        if quality not in self.grid:
            raise ConfigError(f"source {self.label}: quality {quality!r} is not one of its qualities "
                              f"({min(self.grid)}..{max(self.grid)} in steps of its grid)")

    def encode_batch(self, images: np.ndarray, qualities: Sequence, context: "SourceContext") -> list:
        """Streams of ``images[k]`` at ``qualities[k]`` (one per image); batched where the codec can.

        ``context`` carries per-image data the codec computed once for the
        batch (e.g. a learned codec's importance maps).
        """
        return [self.encode(im, q, context.at(k)) for k, (im, q) in enumerate(zip(images, qualities))]

    def prepare(self, images: np.ndarray) -> "SourceContext":
        """Per-batch data computed once (default: nothing)."""
        return SourceContext(len(images))

    @abc.abstractmethod
    def encode(self, image: np.ndarray, quality, context=None) -> bytes:
        """uint8 ``[H, W, 3]`` at ``quality`` -> bytes."""

    @abc.abstractmethod
    def decode(self, data: bytes) -> np.ndarray:
        """Exactly one stream -> uint8 ``[H, W, 3]``; raises :class:`BitstreamError` if it cannot."""

    def decode_batch(self, streams: Sequence[bytes]) -> list:
        """Decoded images (None where undecodable), in order."""
        out = []
        for data in streams:
            try:
                out.append(self.decode(data))
            except BitstreamError:
                out.append(None)
        return out

    @abc.abstractmethod
    def picture_size(self, data: bytes) -> tuple:
        """``(height, width)`` a stream's header announces; raises :class:`BitstreamError` if unreadable.

        Read before decoding, so that a corrupt header announcing a huge
        picture is refused instead of decoded.
        """

    @abc.abstractmethod
    def stream_length(self, frame: bytes) -> int:
        """Length of the stream at the start of ``frame`` (what follows is padding).

        Raises:
            BitstreamError: the frame does not start with a readable stream header.
        """


class SourceContext:
    """Per-batch, per-image data a source codec computes once (:meth:`SourceCodec.prepare`)."""

    def __init__(self, n: int, **per_image):
        self.n, self.per_image = n, per_image

    def at(self, k: int) -> "SourceContext":
        return SourceContext(1, **{name: v[k:k + 1] for name, v in self.per_image.items()})

    def subset(self, index) -> "SourceContext":
        index = np.asarray(index)
        return SourceContext(len(index), **{name: v[index] for name, v in self.per_image.items()})


_DECODED = {}
_DECODED_LIMIT = 20000


def _announces(source: SourceCodec, data: bytes, shape) -> bool:
    try:
        return tuple(source.picture_size(data)) == tuple(shape[:2])
    except BitstreamError:
        return False


def decode_many(source: SourceCodec, streams: Sequence[bytes], shape) -> list:
    """Read-only decoded images of ``streams`` (None where undecodable), memoised by (source id, bytes).

    The transmitter's distortion estimate and every run's receiver decode a
    given stream once (a CRC-checked stream is the sent one); the missing
    ones are decoded in one batch. A stream whose header announces another
    picture size than ``shape`` (``[H, W, ...]``) is refused unread.
    """
    if len(_DECODED) > _DECODED_LIMIT:
        _DECODED.clear()
    todo = list(dict.fromkeys(s for s in streams if (source.id, s) not in _DECODED))
    readable = [s for s in todo if _announces(source, s, shape)]
    images = dict(zip(readable, source.decode_batch(readable) if readable else []))
    for data in todo:
        image = images.get(data)
        if image is not None:
            image.setflags(write=False)
        _DECODED[source.id, data] = image
    return [_DECODED[source.id, s] for s in streams]


def decoded(source: SourceCodec, data: bytes, shape) -> Optional[np.ndarray]:
    """:func:`decode_many` of one stream."""
    return decode_many(source, [data], shape)[0]


DAMAGE_KINDS = ("flipped", "truncated", "random")


def damaged_streams(streams: Sequence[bytes], count: int, seed: int = 0, kinds=DAMAGE_KINDS) -> tuple:
    """``count`` streams damaged as a channel or a disk would: ``(cases, kinds)``.

    Each case is one of ``streams`` with 1-8 flipped bits, cut at a random
    length, or replaced by 0-399 random bytes (the ``kinds`` of
    :data:`DAMAGE_KINDS` asked for); for checking that a decoder refuses or
    survives them.
    """
    rng = np.random.default_rng(seed)
    allowed = [DAMAGE_KINDS.index(k) for k in kinds]
    cases, drawn = [], []
    for _ in range(count):
        data = bytearray(streams[rng.integers(len(streams))])
        kind = int(rng.choice(allowed))
        if kind == 0:
            for _ in range(rng.integers(1, 9)):
                data[rng.integers(len(data))] ^= 1 << rng.integers(8)
        elif kind == 1:
            data = data[:rng.integers(len(data))]
        else:
            data = bytearray(rng.integers(0, 256, rng.integers(0, 400), dtype=np.uint8).tobytes())
        cases.append(bytes(data))
        drawn.append(DAMAGE_KINDS[kind])
    return cases, drawn


def _mse(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))


class QualityLadder:
    """Streams of a batch of images at every quality of a source's grid, encoded lazily and cached.

    Args:
        source: the :class:`SourceCodec`.
        images: uint8 ``[N, H, W, 3]``.
        cache: the :class:`EncodingCache` holding encodings across runs.
        fallback: uint8 ``[H, W, 3]`` shown on outage (for distortions).
    """

    def __init__(self, source: SourceCodec, images: np.ndarray, cache: EncodingCache, fallback: np.ndarray):
        self.source, self.images, self.cache, self.fallback = source, images, cache, fallback
        self.keys = [image_key(im) for im in images]
        self._context = None
        self._mse = {}

    @property
    def context(self) -> SourceContext:
        if self._context is None:
            self._context = self.source.prepare(self.images)
        return self._context

    def at_qualities(self, indices: Sequence[int], qualities: Sequence) -> list:
        """Streams of images ``indices`` at ``qualities`` (any the source accepts; missing ones encoded in one batch)."""
        keys = [self.source.quality_key(q) for q in qualities]
        out = [self.cache.get(self.source.id, self.keys[i], k) for i, k in zip(indices, keys)]
        todo = [k for k, s in enumerate(out) if s is None]
        if todo:
            idx = np.array([indices[k] for k in todo])
            new = self.source.encode_batch(self.images[idx], [qualities[k] for k in todo], self.context.subset(idx))
            for k, data in zip(todo, new):
                out[k] = data
                self.cache.put(self.source.id, self.keys[indices[k]], keys[k], data)
        return out

    def streams(self, indices: Sequence[int], positions: Sequence[int]) -> list:
        """Streams of images ``indices`` at grid ``positions``."""
        return self.at_qualities(indices, [self.source.grid[p] for p in positions])

    def stream(self, i: int, position: int) -> bytes:
        return self.streams([i], [position])[0]

    def best(self, max_bytes, indices: Optional[Sequence[int]] = None) -> list:
        """Per image (of ``indices``, default all), a grid position whose stream fits ``max_bytes``.

        ``max_bytes`` is one number or one per image; None where not even the
        last position fits. Bisection over the grid, every image in lockstep:
        ``lo, hi = 0, last``; ``mid = (lo + hi) // 2``; fits -> ``hi = mid``
        else ``lo = mid + 1`` (the invariant: ``hi`` fits), so the result is a
        fitting position whose predecessor does not fit: the first fitting one
        when sizes fall monotonically along the grid. Where they jitter, the
        source's ``search_window`` positions above the boundary are tried too
        and the best fitting one is kept. The returned stream never exceeds
        its budget.
        """
        indices = list(range(len(self.images))) if indices is None else list(indices)
        limits = np.broadcast_to(np.asarray(max_bytes), (len(indices),)).astype(np.int64)
        last = len(self.source.grid) - 1
        result = [None] * len(indices)
        live = [k for k in range(len(indices)) if limits[k] > 0]
        ends = self.streams([indices[k] for k in live], [last] * len(live))
        live = [k for k, s in zip(live, ends) if len(s) <= limits[k]]
        lo = {k: 0 for k in live}
        hi = {k: last for k in live}
        while True:
            moving = [k for k in live if lo[k] < hi[k]]
            if not moving:
                break
            mids = [(lo[k] + hi[k]) // 2 for k in moving]
            for k, mid, s in zip(moving, mids, self.streams([indices[k] for k in moving], mids)):
                if len(s) <= limits[k]:
                    hi[k] = mid
                else:
                    lo[k] = mid + 1
        for k in live:
            result[k] = hi[k]
        return self._refine(result, limits, indices)

    def _refine(self, positions: list, limits, indices) -> list:
        """Try the source's ``search_window`` positions above each boundary; keep the best that fits."""
        window = self.source.search_window
        tries = [(k, p - d) for k, p in enumerate(positions) if p is not None for d in range(1, window + 1) if p - d >= 0]
        if not tries:
            return positions
        sizes = [len(s) for s in self.streams([indices[k] for k, _ in tries], [p for _, p in tries])]
        best = list(positions)
        for (k, p), size in zip(tries, sizes):
            if size <= limits[k] and p < best[k]:
                best[k] = p
        return best

    def mse(self, i: int, position: int) -> float:
        """MSE of image i decoded at a grid position (inf if undecodable: never worth sending); memoised."""
        self.prefetch_mse([(i, position)])
        return self._mse[i, position]

    def prefetch_mse(self, pairs) -> None:
        """Decode the streams of ``(image, position)`` pairs in one batch and memoise their MSEs (inf if undecodable)."""
        pairs = [p for p in dict.fromkeys(pairs) if p not in self._mse]
        if not pairs:
            return
        streams = self.streams([i for i, _ in pairs], [p for _, p in pairs])
        for (i, p), image in zip(pairs, decode_many(self.source, streams, self.images.shape[1:])):
            self._mse[i, p] = math.inf if image is None else _mse(image, self.images[i])

    def fallback_mse(self, i: int) -> float:
        return _mse(self.fallback, self.images[i])
