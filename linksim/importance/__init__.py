"""Importance maps: how much each pixel matters, one map per module behind one interface.

Every map is an :class:`~linksim.importance.base.ImportanceMap` built from a
scenario node ``{type: name, ...}`` through :data:`IMPORTANCE_MAPS`, so any
map can weight a trainable codec's loss (SP-JSCC) or drive a Qmap (HEVRC).
Maps state their units (:data:`~linksim.importance.base.UNIT_WEIGHT`,
:data:`~linksim.importance.base.UNIT_INTERVAL`);
:func:`~linksim.importance.base.to_unit_map` is the one rule that turns any
of them into a ``[N, H, W]`` map in [0, 1].
"""
from .base import (IMPORTANCE_MAPS, UNIT_INTERVAL, UNIT_WEIGHT, ImportanceMap, l2_normalise,  # noqa: F401
                   to_unit_map)
from .sp_gradient import SPGradientConfig, SPGradientMap  # noqa: F401
from .gradcam import GradCamConfig, GradCamMap  # noqa: F401
from .cam import CamConfig, CamMap  # noqa: F401
from .jnd import JndMap, JndMapConfig  # noqa: F401
from .icm import ComplexityConfig, ComplexityMap, InverseComplexityConfig, InverseComplexityMap  # noqa: F401
from .blended import BlendedConfig, BlendedMap, blend  # noqa: F401
