"""The importance-map interface, its registry, its units and the rule that turns any map into [0, 1]."""
from __future__ import annotations

import abc

import numpy as np

from ..registry import Registry

IMPORTANCE_MAPS = Registry("importance map", "linksim.importance")

#: Per-pixel, per-channel loss weights ``[N, H, W, 3]``, non-negative, mean square 1 per image
#: (uniform importance = all ones): SP-JSCC's gradient map.
UNIT_WEIGHT = "weight"
#: Relative importance ``[N, H, W]`` in [0, 1] per image (1 = most important): Grad-CAM, ICM, blends.
UNIT_INTERVAL = "interval"


class ImportanceMap(abc.ABC):
    """Per-pixel importance of images.

    Input ``images`` uint8 (or float in [0, 255]) ``[N, H, W, 3]``, optional
    ``labels`` int ``[N]``. The output's shape and scale are fixed by the
    class attribute :attr:`units`: ``[N, H, W, 3]`` weights for
    :data:`UNIT_WEIGHT`, ``[N, H, W]`` in [0, 1] for :data:`UNIT_INTERVAL`.
    """

    units: str = UNIT_WEIGHT

    @abc.abstractmethod
    def __call__(self, images: np.ndarray, labels: np.ndarray | None = None) -> np.ndarray:
        """The maps of ``images`` ``[N, H, W, 3]``."""


def l2_normalise(weights: np.ndarray) -> np.ndarray:
    """SP-JSCC eq. 9's per-image L2 normalisation, scaled so that uniform weights become ones.

    ``[N, ...] -> [N, ...]``: each image's weights divided by their L2 norm and
    multiplied by ``sqrt(size)``; an all-zero map becomes uniform.
    """
    flat = weights.reshape(len(weights), -1).astype(np.float64)
    norm = np.linalg.norm(flat, axis=1, keepdims=True)
    uniform = np.ones_like(flat)
    out = np.where(norm > 0, flat / np.where(norm > 0, norm, 1.0) * np.sqrt(flat.shape[1]), uniform)
    return out.reshape(weights.shape).astype(np.float32)


def minmax(maps: np.ndarray) -> np.ndarray:
    """Per-image min-max scaling of ``[N, ...]`` to [0, 1]; a constant map becomes all zeros."""
    flat = maps.reshape(len(maps), -1).astype(np.float64)
    lo, hi = flat.min(axis=1, keepdims=True), flat.max(axis=1, keepdims=True)
    span = hi - lo
    out = np.where(span > 0, (flat - lo) / np.where(span > 0, span, 1.0), 0.0)
    return out.reshape(maps.shape).astype(np.float32)


def to_unit_map(maps: np.ndarray, units: str) -> np.ndarray:
    """The one rule from any map to ``[N, H, W]`` in [0, 1]: channel mean, then per-image min-max.

    A :data:`UNIT_INTERVAL` map already is one and passes unchanged.
    """
    if units == UNIT_INTERVAL:
        return np.asarray(maps, np.float32)
    if units != UNIT_WEIGHT:
        raise ValueError(f"unknown importance-map units '{units}'")
    maps = np.asarray(maps, np.float32)
    return minmax(maps.mean(axis=-1) if maps.ndim == 4 else maps)
