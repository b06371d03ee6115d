"""``blended``: HEVRC's importance map from the SIM and the ICM (strategy E, eq. 15 as we read it).

The paper's equation is garbled in its text; our reading::

    S = B(s)                     Otsu binarisation of the SIM s (scikit-image threshold_otsu)
    a = s * S                    salient pixels keep their semantic importance
    b = (1 - c) * (1 - S)        non-salient pixels: simpler is more important (c = ICM)
    v = a + Norm(b)              Norm scales b linearly into [0, min of a's non-zero values]
    v[v == 0] = min of v's non-zero values

so no non-salient pixel ranks above a salient one (the simplest non-salient
pixel ties with the least important salient one: the priority order of HEVRC
section 3.5, salient, then simple, then complex), and no pixel is
left with zero importance (a pixel at v = 0 would never get bits from the
rho branch of the Qmap mapping). A SIM that Otsu cannot split (constant)
counts as all salient.

Units: ``[N, H, W]`` in [0, 1].
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config import bounded
from .base import IMPORTANCE_MAPS, UNIT_INTERVAL, ImportanceMap
from .gradcam import GradCamConfig, GradCamMap
from .icm import complexity


@dataclass(frozen=True)
class BlendedConfig:
    """``blended``.

    Attributes:
        classifier: zoo classifier of the SIM (Grad-CAM).
        block: ICM block side in pixels.
        batch_size: images per Grad-CAM batch.
    """
    classifier: str = "resnet32"
    block: int = bounded(4, lo=1, hi=256)
    batch_size: int = bounded(250, lo=1, hi=10000)


def blend(sim: np.ndarray, icm: np.ndarray) -> np.ndarray:
    """The blended map of one image: SIM ``[H, W]`` and ICM ``[H, W]`` in [0, 1] -> v ``[H, W]`` in [0, 1]."""
    from skimage.filters import threshold_otsu
    sim, icm = np.asarray(sim, np.float64), np.asarray(icm, np.float64)
    salient = sim > threshold_otsu(sim) if np.ptp(sim) > 0 else np.ones(sim.shape, bool)
    a = np.where(salient, sim, 0.0)
    b = np.where(salient, 0.0, 1.0 - icm)
    a_floor = a[a > 0].min() if np.any(a > 0) else 1.0
    v = a + (b / b.max() * a_floor if b.max() > 0 else 0.0)
    if np.any(v > 0):
        v[v == 0] = v[v > 0].min()
    else:
        v[:] = 1.0
    return v.astype(np.float32)


@IMPORTANCE_MAPS.register("blended", BlendedConfig)
class BlendedMap(ImportanceMap):
    """HEVRC's blend of Grad-CAM (SIM) and the ICM, per image."""

    units = UNIT_INTERVAL

    def __init__(self, config: BlendedConfig, sim: ImportanceMap | None = None):
        self.config = config
        self.sim = sim if sim is not None else GradCamMap(GradCamConfig(config.classifier, config.batch_size))

    def __call__(self, images, labels=None):
        images = np.asarray(images)
        sims, icms = self.sim(images), complexity(images, self.config.block)
        return np.stack([blend(s, c) for s, c in zip(sims, icms)]) if len(images) \
            else np.zeros(images.shape[:3], np.float32)
