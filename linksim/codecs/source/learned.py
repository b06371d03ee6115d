"""``source: {type: qmap}``: the learned Qmap codec (QMAP2021) with HEVRC's Qmap generation.

Quality maps (HEVRC section 4.3). A *strategy* gives each image an importance
map ``v [H, W]`` in [0, 1] (computed once per batch):

=================  ======================================================
``uniform`` (A)    ``v = 1``
``icm`` (B)        the image complexity map (:mod:`linksim.importance.icm`)
``inverse_icm``    ``1 - ICM`` (C)
``sim`` (D)        Grad-CAM of the judge (:mod:`linksim.importance.gradcam`)
``blended`` (E)    HEVRC's blend of SIM and ICM (:mod:`linksim.importance.blended`)
any other name     a registered importance map (e.g. ``sp_gradient``), turned into
                   [0, 1] by :func:`linksim.importance.base.to_unit_map`
=================  ======================================================

and the mapping Gamma turns ``v`` into the Qmap at a scalar *quality level*
``u`` in [0, 2) (our reading of HEVRC eq. 16-17, whose typesetting is lost)::

    u <= 1:  q = tau * v                          tau = u     (Rate(x, q=v) >= target)
    u > 1:   q = (1 - (1 - v)^rho)^(1 / rho)      rho = 1 / (2 - u) > 1 (otherwise)

Both branches give ``q = v`` at ``u = 1``, so the rate rises monotonically
along ``u`` from ``q = 0`` (the lowest rate) through ``q = v`` towards
``q = 1`` wherever ``v > 0`` (``u -> 2``, ``rho -> inf``): the paper's two-case
search (tau if the map itself overshoots the target, else rho) is one search
over ``u``. The quality grid holds ``levels + 1`` values of ``u`` on the tau
branch and ``levels`` more on the rho branch, best first (``uniform`` has
only the tau branch: its rho branch is q = 1). The link bisects it for a real
stream that fits a byte budget
(:class:`~linksim.codecs.source.base.QualityLadder`), trying
:attr:`QmapSource.search_window` more levels above the boundary because real
sizes jitter by a few bytes between neighbouring levels; a chosen stream is
never above its budget.

Bitstream of one image (every byte counted in the budget)::

    varint(len_z * 2 + custom_size)   len_z: bytes of z's range-coded string
    varint(len_y)                     len_y: bytes of y's range-coded string
    [varint(H / 16), varint(W / 16)]  only if custom_size (else H = W = 32)
    z string, y string                tensorflow-compression range coder

so a stream is self-delimiting and the decoder consumes exactly its bytes.
"""
from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...config import bounded
from ...errors import BitstreamError, ConfigError, DataError
from .base import SOURCES, SourceCodec, SourceContext

NATIVE_SIZE = 32
#: rho at the grid's last level of the rho branch.
RHO_MAX = 64.0
BUILTIN_STRATEGIES = ("uniform", "sim")
MAX_SIDE = 4096


def gamma(u: float, v: np.ndarray) -> np.ndarray:
    """The Qmap at quality level ``u`` in [0, 2) for importance ``v`` in [0, 1] (any shape)."""
    v = np.clip(np.asarray(v, np.float64), 0.0, 1.0)
    if not 0.0 <= u < 2.0:
        raise ValueError(f"quality level u must lie in [0, 2), got {u!r}")
    if u <= 1.0:
        return (u * v).astype(np.float32)
    rho = 1.0 / (2.0 - u)
    return ((1.0 - (1.0 - v) ** rho) ** (1.0 / rho)).astype(np.float32)


def quality_grid(levels: int, uniform: bool) -> tuple:
    """Quality levels ``u``, best (highest rate) first: the tau branch [0, 1] and, unless uniform, the rho branch."""
    tau = np.linspace(0.0, 1.0, levels + 1)
    u_max = 2.0 - 1.0 / RHO_MAX
    values = tau if uniform else np.concatenate([tau, 1.0 + (u_max - 1.0) * tau[1:]])
    return tuple(float(u) for u in values[::-1])


def _put_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _get_varint(data: bytes, pos: int) -> tuple:
    value, shift = 0, 0
    while True:
        if pos >= len(data) or shift > 28:
            raise BitstreamError("Qmap stream header truncated or malformed")
        byte = data[pos]
        value |= (byte & 0x7F) << shift
        pos, shift = pos + 1, shift + 7
        if not byte & 0x80:
            return value, pos


def pack(z_string: bytes, y_string: bytes, height: int, width: int) -> bytes:
    """One image's stream: header + z string + y string."""
    custom = (height, width) != (NATIVE_SIZE, NATIVE_SIZE)
    header = _put_varint(2 * len(z_string) + custom) + _put_varint(len(y_string))
    if custom:
        header += _put_varint(height // 16) + _put_varint(width // 16)
    return header + z_string + y_string


def unpack(data: bytes) -> tuple:
    """``-> (z string, y string, height, width, stream length)``; the header is checked, not the strings."""
    data = bytes(data)
    first, pos = _get_varint(data, 0)
    len_y, pos = _get_varint(data, pos)
    len_z, custom = first >> 1, first & 1
    height = width = NATIVE_SIZE
    if custom:
        h16, pos = _get_varint(data, pos)
        w16, pos = _get_varint(data, pos)
        height, width = 16 * h16, 16 * w16
        if not (16 <= height <= MAX_SIDE and 16 <= width <= MAX_SIDE):
            raise BitstreamError(f"Qmap stream size {height}x{width} outside 16..{MAX_SIDE}")
    end = pos + len_z + len_y
    if len_z == 0 or len_y == 0 or end > len(data):
        raise BitstreamError("Qmap stream truncated: its header announces more bytes than it has")
    return data[pos:pos + len_z], data[pos + len_z:end], height, width, end


@dataclass(frozen=True)
class QmapSourceConfig:
    """``source: {type: qmap, ...}``.

    Attributes:
        weights: zoo name (``qmap2021``) or a ``linksim train qmap2021`` run's
            ``qmap2021.weights.npz``.
        strategy: ``uniform``, ``icm``, ``inverse_icm``, ``sim``, ``blended`` or
            the name of any registered importance map (e.g. ``sp_gradient``).
        classifier: zoo classifier of the ``sim`` / ``blended`` / classifier-based maps.
        block: ICM block side in pixels (the latent grid's cell: 4).
        levels: quality levels per branch of the grid (rate-control resolution).
        batch_size: images per encoder / decoder batch.
    """
    weights: str = "qmap2021"
    strategy: str = "blended"
    classifier: str = "resnet32"
    block: int = bounded(4, lo=1, hi=256)
    levels: int = bounded(512, lo=4, hi=8192)
    batch_size: int = bounded(250, lo=1, hi=10000)

    def __post_init__(self):
        allowed = strategies()
        if self.strategy not in allowed:
            raise ConfigError(f"qmap source: unknown strategy '{self.strategy}'; allowed: {', '.join(allowed)}")

    def label(self) -> str:
        name = Path(self.weights).name.removesuffix(".weights.npz") if self.weights.endswith(".npz") \
            else self.weights
        return name if self.strategy == "blended" else f"{name}-{self.strategy}"


def strategies() -> tuple:
    """Every Qmap strategy: the built-in ones and every registered importance map."""
    from ...importance import IMPORTANCE_MAPS
    others = [name for name in IMPORTANCE_MAPS.names() if name != "grad_cam"]     # grad_cam is "sim"
    return tuple(dict.fromkeys((*BUILTIN_STRATEGIES, "icm", "inverse_icm", "blended", *others)))


def importance_of(config: QmapSourceConfig):
    """The strategy's map as a callable ``images -> v [N, H, W]`` in [0, 1]."""
    from ...importance import (IMPORTANCE_MAPS, BlendedConfig, BlendedMap, ComplexityConfig, ComplexityMap,
                               GradCamConfig, GradCamMap, InverseComplexityConfig, InverseComplexityMap,
                               to_unit_map)
    if config.strategy == "uniform":
        return lambda images: np.ones(np.shape(images)[:3], np.float32)
    built = {"sim": lambda: GradCamMap(GradCamConfig(config.classifier, config.batch_size)),
             "icm": lambda: ComplexityMap(ComplexityConfig(config.block)),
             "inverse_icm": lambda: InverseComplexityMap(InverseComplexityConfig(config.block)),
             "blended": lambda: BlendedMap(BlendedConfig(config.classifier, config.block, config.batch_size))}
    if config.strategy in built:
        imap = built[config.strategy]()
    else:
        cls = IMPORTANCE_MAPS.config_class(config.strategy)
        names = {f for f in cls.__dataclass_fields__}
        imap = IMPORTANCE_MAPS.build(cls(**({"classifier": config.classifier} if "classifier" in names else {})))
    return lambda images: to_unit_map(imap(images), imap.units)


def _weights_digest(model) -> str:
    """sha256 of a model's variables (an in-memory model has no weights file)."""
    h = hashlib.sha256()
    for v in model.weights:
        h.update(np.ascontiguousarray(v.numpy()).tobytes())
    return h.hexdigest()


@functools.lru_cache(maxsize=None)
def _code_hash() -> str:
    """Hash of the code that shapes the bytes (this module and the network)."""
    from ...models import qmap
    h = hashlib.sha256(Path(__file__).read_bytes())
    h.update(Path(qmap.__file__).read_bytes())
    return h.hexdigest()[:12]


@SOURCES.register("qmap", QmapSourceConfig)
class QmapSource(SourceCodec):
    """The learned Qmap codec as a source codec (real range-coded streams).

    Qualities are levels ``u`` of :func:`quality_grid`; each image's Qmap at
    ``u`` is :func:`gamma` of its strategy map.
    """

    search_window = 8

    def __init__(self, config: QmapSourceConfig, model=None):
        from importlib.metadata import version
        from ... import zoo
        self.config = config
        self.model = model if model is not None else zoo.load_qmap(config.weights)
        sha = zoo.entry(config.weights)["sha256"] if model is None else _weights_digest(self.model)
        self.grid = quality_grid(config.levels, config.strategy == "uniform")
        # the maps (so the bytes) depend on the classifier's weights for every strategy but three
        judge = "" if config.strategy in ("uniform", "icm", "inverse_icm") else \
            f",{config.classifier}:{zoo.entry(config.classifier)['sha256'][:12]}"
        strategy = f"{config.strategy}[{config.block}{judge}]"
        self.id = f"qmap/{sha[:16]}/{strategy}/tfc-{version('tensorflow-compression')}/{_code_hash()}"
        self.label = config.label()
        self._importance = importance_of(config)

    def quality_key(self, quality) -> str:
        return f"u={float(quality)!r}"

    def check_quality(self, quality) -> None:
        if not 0.0 <= quality <= self.grid[0]:
            raise ConfigError(f"source {self.label}: quality level {quality!r} outside the source's range "
                              f"[0, {self.grid[0]:.4f}] (strategy {self.config.strategy})")

    def prepare(self, images) -> SourceContext:
        images = np.asarray(images)
        maps = [self._importance(images[s:s + self.config.batch_size])
                for s in range(0, len(images), self.config.batch_size)]
        return SourceContext(len(images), v=np.concatenate(maps) if maps else np.zeros(images.shape[:3]))

    def qmaps(self, qualities, context: SourceContext) -> np.ndarray:
        """Qmaps ``[N, H, W]`` of the context's images at their qualities."""
        return np.stack([gamma(u, v) for u, v in zip(qualities, context.per_image["v"])])

    def encode(self, image, quality, context=None) -> bytes:
        context = context if context is not None else self.prepare(image[None])
        return self.encode_batch(image[None], [quality], context)[0]

    def encode_batch(self, images, qualities, context) -> list:
        import tensorflow as tf
        images = np.asarray(images)
        if images.ndim != 4 or images.shape[-1] != 3 or images.dtype != np.uint8:
            raise ValueError(f"images must be uint8 [N, H, W, 3], got {images.dtype} {images.shape}")
        h, w = images.shape[1:3]
        if h % 16 or w % 16 or not (16 <= h <= MAX_SIDE and 16 <= w <= MAX_SIDE):
            raise DataError(f"the Qmap codec codes images whose sides are multiples of 16 in 16..{MAX_SIDE}, "
                            f"got {h}x{w}")
        q = self.qmaps(qualities, context)
        out = []
        for s in range(0, len(images), self.config.batch_size):
            z, y = self.model.compress(tf.constant(images[s:s + self.config.batch_size], tf.float32),
                                       tf.constant(q[s:s + self.config.batch_size]))
            out += [pack(zs, ys, h, w) for zs, ys in zip(z.numpy(), y.numpy())]
        return out

    def stream_length(self, frame: bytes) -> int:
        return unpack(frame)[4]

    def picture_size(self, data: bytes) -> tuple:
        return unpack(data)[2:4]

    def decode(self, data: bytes) -> np.ndarray:
        parts = unpack(data)
        (image,) = self._decode_group([parts]) if parts[4] == len(data) else (None,)
        if image is None:
            raise BitstreamError("Qmap stream cannot be decoded")
        return image

    def decode_batch(self, streams) -> list:
        parsed, out = [], [None] * len(streams)
        for k, data in enumerate(streams):
            try:
                parts = unpack(data)
            except BitstreamError:
                continue
            if parts[4] == len(data):
                parsed.append((k, parts))
        by_size = {}
        for k, parts in parsed:
            by_size.setdefault(parts[2:4], []).append((k, parts))
        for items in by_size.values():
            for s in range(0, len(items), self.config.batch_size):
                chunk = items[s:s + self.config.batch_size]
                for (k, _), image in zip(chunk, self._decode_group([p for _, p in chunk])):
                    out[k] = image
        return out

    def _decode_group(self, parts):
        """Decode streams of one size together; a failing batch is split in halves until the bad streams are found."""
        import tensorflow as tf
        h, w = parts[0][2:4]
        try:
            x = self.model.decompress(tf.constant([p[0] for p in parts]), tf.constant([p[1] for p in parts]),
                                      (h // 4, w // 4)).numpy()
        except (tf.errors.OpError, ValueError):
            if len(parts) == 1:
                return [None]
            half = len(parts) // 2
            return self._decode_group(parts[:half]) + self._decode_group(parts[half:])
        x = np.nan_to_num(x, nan=0.0, posinf=255.0, neginf=0.0)
        return [im for im in np.clip(np.rint(x), 0, 255).astype(np.uint8)]
