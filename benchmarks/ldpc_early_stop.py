"""LDPC early termination: time per batch with rounds of 4 or 2 iterations vs always 20.

16-QAM + 802.11n (1944,1458) over AWGN, batches of 64 codewords (the bit
pipe's chunk), 20 batches per setting after one warm-up, same seed: error
counts must match (they do when every stop is a converged batch), and the
speed-up is the ratio of wall times within this run.

    python benchmarks/ldpc_early_stop.py
"""
from __future__ import annotations

import time


def main():
    import sionna
    import tensorflow as tf
    from sionna.utils import BinarySource
    from linksim.channels import AWGNChannel, snr_db_to_no
    from linksim.phy.ldpc import LDPC80211n
    from linksim.phy.modulation import Modulation

    modulation, channel, source = Modulation("qam16"), AWGNChannel(), BinarySource()
    print("| Es/N0 dB | check every | s / 20 batches | bit errors | failed codewords | speed-up vs 20 |")
    print("|---|---|---|---|---|---|")
    for snr in (10.0, 12.0, 16.0):
        timings = {}
        for every in (20, 4, 2):
            code = LDPC80211n(1944, "34", 20, check_every=every)

            @tf.function(jit_compile=True)
            def batch(n):
                u = source([n, code.k])
                y = channel(modulation.map(code.encode(u)), snr)
                u_hat, ok = code.decode(modulation.demap(y, snr_db_to_no(snr)))
                return tf.reduce_sum(tf.abs(u - u_hat)), tf.reduce_sum(1.0 - tf.cast(ok, tf.float32))

            sionna.config.seed = 1
            batch(64)
            t0 = time.perf_counter()
            counts = [batch(64) for _ in range(20)]
            timings[every] = time.perf_counter() - t0
            bits, blocks = (sum(float(c[i]) for c in counts) for i in (0, 1))
            print(f"| {snr:g} | {every} | {timings[every]:.2f} | {bits:.0f} | {blocks:.0f} | "
                  f"{timings[20] / timings[every]:.2f} |", flush=True)


if __name__ == "__main__":
    main()
