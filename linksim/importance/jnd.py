"""``dmv_jnd``: the machine-vision JND as an importance map (low tolerated perturbation = important).

DMV-JND-NET (:mod:`linksim.models.jnd`) gives each image the perturbation
``e`` its classifiers tolerate. Where they tolerate little, the pixel matters
to them. The rule: ``1 / (mean over channels of |e| + delta)``, ``e`` in the
network's [-1, 1] units, then per-image min-max to [0, 1] (an image whose
``e`` is flat gets zeros, as every map of the kind).

Units: ``[N, H, W]`` in [0, 1].
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config import bounded
from .base import IMPORTANCE_MAPS, UNIT_INTERVAL, ImportanceMap, minmax


@dataclass(frozen=True)
class JndMapConfig:
    """``dmv_jnd``: importance from a trained DMV-JND-NET.

    Attributes:
        weights: the network (zoo name or a ``linksim train dmv_jnd`` output).
        delta: added to ``|e|`` before the reciprocal ([-1, 1] units; 0.01 is 1.3 grey levels).
        batch_size: images per forward pass.
    """
    weights: str = "dmv_jnd"
    delta: float = bounded(0.01, lo=1e-6, hi=10.0)
    batch_size: int = bounded(250, lo=1, hi=10000)


def tolerance_importance(e: np.ndarray, delta: float) -> np.ndarray:
    """``e [N, H, W, 3]`` -> ``[N, H, W]`` in [0, 1]: min-max of ``1 / (mean_c |e| + delta)``."""
    return minmax(1.0 / (np.mean(np.abs(e), axis=-1) + delta))


@IMPORTANCE_MAPS.register("dmv_jnd", JndMapConfig)
class JndMap(ImportanceMap):
    """The JND importance map of :mod:`linksim.importance.jnd`.

    Args:
        config: :class:`JndMapConfig`.
    """

    units = UNIT_INTERVAL

    def __init__(self, config: JndMapConfig):
        from .. import zoo
        from ..jnd import load_network
        self.config = config
        self.net, options = load_network(config.weights)
        self.classifiers = {name: zoo.load_classifier(name, base=True) for name in options["classifiers"]}

    def perturbations(self, images) -> np.ndarray:
        """The network's ``e`` ``[N, H, W, 3]`` of uint8 (or [0, 255] float) ``images``."""
        from ..jnd import guided_perturbations
        return guided_perturbations(self.net, self.classifiers, images, self.config.batch_size)[1]

    def __call__(self, images, labels=None):
        return tolerance_importance(self.perturbations(images), self.config.delta)
