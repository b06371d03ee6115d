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

    def quality_key(self, quality) -> str:
        """The full quality as the encoding cache stores it (no rounding)."""
        return repr(quality)

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


def decoded(source: SourceCodec, data: bytes) -> Optional[np.ndarray]:
    """Read-only decoded image of ``data`` by ``source``, None if undecodable; memoised by (source id, bytes).

    The transmitter's distortion estimate and every run's receiver decode a
    given stream once (a CRC-checked stream is the sent one).
    """
    key = (source.id, data)
    if key not in _DECODED:
        if len(_DECODED) >= _DECODED_LIMIT:
            _DECODED.clear()
        (image,) = source.decode_batch([data])
        if image is not None:
            image.setflags(write=False)
        _DECODED[key] = image
    return _DECODED[key]


def decode_many(source: SourceCodec, streams: Sequence[bytes]) -> list:
    """:func:`decoded` for many streams, the missing ones decoded in one batch."""
    todo = list(dict.fromkeys(s for s in streams if (source.id, s) not in _DECODED))
    for data, image in zip(todo, source.decode_batch(todo) if todo else []):
        if image is not None:
            image.setflags(write=False)
        _DECODED[source.id, data] = image
    return [_DECODED[source.id, s] for s in streams]


DAMAGE_KINDS = ("flipped", "truncated", "random")


def damaged_streams(streams: Sequence[bytes], count: int, seed: int = 0) -> tuple:
    """``count`` streams damaged as a channel or a disk would: ``(cases, kinds)``.

    Each case is one of ``streams`` with 1-8 flipped bits, cut at a random
    length, or replaced by 0-399 random bytes (kinds of :data:`DAMAGE_KINDS`);
    for checking that a decoder refuses or survives them.
    """
    rng = np.random.default_rng(seed)
    cases, kinds = [], []
    for _ in range(count):
        data = bytearray(streams[rng.integers(len(streams))])
        kind = int(rng.integers(3))
        if kind == 0:
            for _ in range(rng.integers(1, 9)):
                data[rng.integers(len(data))] ^= 1 << rng.integers(8)
        elif kind == 1:
            data = data[:rng.integers(len(data))]
        else:
            data = bytearray(rng.integers(0, 256, rng.integers(0, 400), dtype=np.uint8).tobytes())
        cases.append(bytes(data))
        kinds.append(DAMAGE_KINDS[kind])
    return cases, kinds


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
        """Per image (of ``indices``, default all), the best grid position whose stream fits ``max_bytes``.

        ``max_bytes`` is one number or one per image; None where not even the
        last position fits. Bisection over the grid, every image in lockstep:
        ``lo, hi = 0, last``; ``mid = (lo + hi) // 2``; fits -> ``hi = mid``
        else ``lo = mid + 1`` (the invariant: ``hi`` fits).
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
        return result

    def mse(self, i: int, position: int) -> float:
        """MSE of image i decoded at a grid position (the fallback's if undecodable); memoised."""
        self.prefetch_mse([(i, position)])
        return self._mse[i, position]

    def prefetch_mse(self, pairs) -> None:
        """Decode the streams of ``(image, position)`` pairs in one batch and memoise their MSEs."""
        pairs = [p for p in dict.fromkeys(pairs) if p not in self._mse]
        if not pairs:
            return
        streams = self.streams([i for i, _ in pairs], [p for _, p in pairs])
        for (i, p), image in zip(pairs, decode_many(self.source, streams)):
            self._mse[i, p] = _mse(self.fallback if image is None else image, self.images[i])

    def fallback_mse(self, i: int) -> float:
        return _mse(self.fallback, self.images[i])
