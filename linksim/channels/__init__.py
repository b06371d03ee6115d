"""Channels between transmitter and receiver, one module each behind :class:`~linksim.channels.base.Channel`.

``awgn`` (the default; :class:`AWGNChannel` is its plain ``(x, snr_db) -> y`` layer), and Rayleigh and
Rician block fading with perfect or pilot-estimated receiver CSI (:mod:`linksim.channels.fading`).
"""
__all__ = ["CHANNELS", "COHERENCE", "Channel", "Received", "Fades", "blocks_of", "n_blocks", "AWGNChannel", "AWGNConfig",
           "Awgn", "measure_esno_db", "snr_db_to_no", "BlockFadingChannel", "RayleighBlockConfig",
           "RicianBlockConfig", "analog_equalise", "equalise", "mmse_equalise", "ls_estimate", "rician_gains"]

from .base import CHANNELS, COHERENCE, Channel, Fades, Received, blocks_of, n_blocks  # noqa: F401
from .awgn import AWGNChannel, AWGNConfig, Awgn, measure_esno_db, snr_db_to_no  # noqa: F401
from .fading import (BlockFadingChannel, RayleighBlockConfig, RicianBlockConfig,  # noqa: F401
                     analog_equalise, equalise,
                     ls_estimate, mmse_equalise, rician_gains)
