"""``icm`` / ``inverse_icm``: HEVRC's image complexity map (ICM) and its complement.

HEVRC section 4.3: the spatial information ``SI = sqrt(sum of the squares of
the horizontal and vertical Sobel responses of R, G and B)`` (six terms;
scikit-image's ``sobel_h`` / ``sobel_v``), averaged over blocks of
``block x block`` pixels (the latent grid's cell: 4 for the Qmap codec),
upsampled back by nearest neighbour and scaled per image to [0, 1]. A
partial block at the border is averaged over the pixels it has.
``inverse_icm`` is ``1 - ICM`` (HEVRC's strategy C, "lower complexity first").

Units: ``[N, H, W]`` in [0, 1].
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config import bounded
from .base import IMPORTANCE_MAPS, UNIT_INTERVAL, ImportanceMap, minmax


@dataclass(frozen=True)
class ComplexityConfig:
    """``icm`` / ``inverse_icm``.

    Attributes:
        block: side of the averaging block in pixels.
    """
    block: int = bounded(4, lo=1, hi=256)


def spatial_information(image: np.ndarray) -> np.ndarray:
    """``[H, W, 3]`` -> SI ``[H, W]``: root of the sum of the six squared Sobel responses."""
    from skimage.filters import sobel_h, sobel_v
    rgb = np.asarray(image, np.float64)
    return np.sqrt(sum(sobel_h(rgb[..., k]) ** 2 + sobel_v(rgb[..., k]) ** 2 for k in range(3)))


def block_mean_upsampled(plane: np.ndarray, block: int) -> np.ndarray:
    """Mean of each ``block x block`` cell of ``[H, W]``, repeated over the cell (nearest-neighbour upsampling)."""
    h, w = plane.shape
    rows, cols = -(-h // block), -(-w // block)
    padded = np.full((rows * block, cols * block), np.nan)
    padded[:h, :w] = plane
    means = np.nanmean(padded.reshape(rows, block, cols, block), axis=(1, 3))
    return np.repeat(np.repeat(means, block, 0), block, 1)[:h, :w]


def complexity(images: np.ndarray, block: int) -> np.ndarray:
    """ICM of ``[N, H, W, 3]`` -> ``[N, H, W]`` in [0, 1]."""
    maps = np.stack([block_mean_upsampled(spatial_information(im), block) for im in images]) \
        if len(images) else np.zeros(np.shape(images)[:3])
    return minmax(maps)


@IMPORTANCE_MAPS.register("icm", ComplexityConfig)
class ComplexityMap(ImportanceMap):
    """HEVRC's ICM: block-averaged Sobel spatial information, in [0, 1] (strategy B: complex first)."""

    units = UNIT_INTERVAL

    def __init__(self, config: ComplexityConfig):
        self.config = config

    def __call__(self, images, labels=None):
        return complexity(np.asarray(images), self.config.block)


@dataclass(frozen=True)
class InverseComplexityConfig(ComplexityConfig):
    """``inverse_icm`` (its own class: a registry tells its entries apart by their config class)."""


@IMPORTANCE_MAPS.register("inverse_icm", InverseComplexityConfig)
class InverseComplexityMap(ComplexityMap):
    """``1 - ICM`` (strategy C: simple regions first)."""

    def __call__(self, images, labels=None):
        return (1.0 - super().__call__(images)).astype(np.float32)
