"""Uncoded BER from `linksim ber` vs the closed forms, and measured Es/N0 of the AWGN output.

    python benchmarks/uncoded_ber_check.py

Runs `python -m linksim ber --code none` for BPSK, QPSK and 16-QAM at five
Es/N0 values and reports, per point, the measured BER, the closed forms and the
deviation in binomial standard deviations (accept |z| <= 3).

`linksim ber` decides each bit by the sign of its APP LLR (bitwise MAP). For
BPSK and QPSK that is the nearest-symbol slicer of the textbook closed forms.
For 16-QAM it is not: at low SNR the bitwise-MAP threshold of the inner/outer
bit moves away from the midpoint, so its BER is lower than the Gray-slicer
formula (3Q(a) + 2Q(3a) - Q(5a)) / 4. The reference for 16-QAM is therefore
the exact bitwise-MAP BER, integrated numerically per 4-PAM dimension; the
slicer formula is shown beside it.
"""
from __future__ import annotations

import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from scipy.integrate import quad
from scipy.stats import norm

from linksim.phy.theory import uncoded_ber

SNRS = (0, 2, 4, 6, 8)
MAX_BITS = 4_000_000


def bitwise_map_ber_qam16(snr_db: float) -> float:
    """Exact BER of sign(APP LLR) decisions for Gray 16-QAM: per 4-PAM dimension,
    each bit's error is the integral of min over its two conditional mixtures."""
    sigma = math.sqrt(10 ** (-snr_db / 10) / 2)          # noise std per real dimension
    levels = np.array([-3, -1, 1, 3]) / math.sqrt(10)
    sign_bit, outer_bit = levels < 0, np.abs(levels) > 0.5
    errors = []
    for bit in (sign_bit, outer_bit):
        def density(y, b):
            return norm.pdf(y, levels[bit == b], sigma).sum() / 4
        errors.append(quad(lambda y: min(density(y, True), density(y, False)), -3, 3,
                           points=[-2 / math.sqrt(10), 0, 2 / math.sqrt(10)], limit=200)[0])
    return float(np.mean(errors))


def closed_form(modulation: str, snr_db: float) -> float:
    return bitwise_map_ber_qam16(snr_db) if modulation == "qam16" else float(uncoded_ber(modulation, snr_db))


def main():
    lines = ["## Uncoded BER vs closed form (`python benchmarks/uncoded_ber_check.py`)", "",
             "| modulation | Es/N0 dB | bits | measured BER | reference | z | Gray-slicer formula |",
             "|---|---|---|---|---|---|---|"]
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for modulation in ("bpsk", "qpsk", "qam16"):
            out = Path(tmp) / modulation
            subprocess.run([sys.executable, "-m", "linksim", "ber", "--modulation", modulation, "--code", "none",
                            "--snr-db", *map(str, SNRS), "--max-bits", str(MAX_BITS),
                            "--target-block-errors", str(10 ** 9), "--out", str(out)],
                           check=True, capture_output=True)
            for p in json.loads((out / "ber.json").read_text())["points"]:
                ref = closed_form(modulation, p["snr_db"])
                z = (p["ber"] - ref) / math.sqrt(ref * (1 - ref) / p["bits"])
                worst = max(worst, abs(z))
                lines.append(f"| {modulation} | {p['snr_db']} | {p['bits']} | {p['ber']:.4e} | {ref:.4e} | "
                             f"{z:+.2f} | {float(uncoded_ber(modulation, p['snr_db'])):.4e} |")

    import tensorflow as tf
    from linksim.channels import AWGNChannel, measure_esno_db
    import sionna
    sionna.config.seed = 0
    x = tf.complex(tf.random.normal([1_000_000]), tf.random.normal([1_000_000])) / math.sqrt(2)
    lines += ["", "| set Es/N0 dB | measured Es/N0 dB (10^6 symbols) |", "|---|---|"]
    for snr in (-5, 0, 5, 10, 20):
        lines.append(f"| {snr} | {measure_esno_db(x, AWGNChannel()(x, float(snr))):.3f} |")
    lines.append(f"\nlargest |z| = {worst:.2f} (accept <= 3)")
    print("\n".join(lines))
    return 0 if worst <= 3 else 1


if __name__ == "__main__":
    sys.exit(main())
