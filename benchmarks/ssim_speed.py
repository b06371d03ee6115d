"""linksim's batched SSIM (tf.image.ssim) against scikit-image's per-image SSIM: speed ratio and largest difference.

    python benchmarks/ssim_speed.py --images 2000
"""
from __future__ import annotations

import argparse
import time


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--images", type=int, default=2000)
    args = p.parse_args()

    import numpy as np
    from skimage.metrics import structural_similarity
    from linksim import metrics
    from linksim.sim import configure_threads

    configure_threads(2)
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (args.images, 32, 32, 3), dtype=np.uint8)
    b = np.clip(a + rng.normal(0, 20, a.shape), 0, 255).astype(np.uint8)

    def per_image():
        return np.array([structural_similarity(x, y, channel_axis=-1, data_range=255, gaussian_weights=True,
                                               sigma=1.5, use_sample_covariance=False) for x, y in zip(a, b)])

    metrics.ssim(a[:10], b[:10])                          # warm-up: trace the graph
    timings, values = {}, {}
    for name, fn in (("scikit-image", per_image), ("linksim", lambda: metrics.ssim(a, b))):
        t0 = time.perf_counter()
        values[name] = fn()
        timings[name] = time.perf_counter() - t0
        print(f"{name:>13}: {timings[name]:6.2f} s, {args.images / timings[name]:8.0f} images/s")
    print(f"speed-up {timings['scikit-image'] / timings['linksim']:.1f}x, largest |difference| "
          f"{np.abs(values['scikit-image'] - values['linksim']).max():.1e} ({args.images} images 32x32)")


if __name__ == "__main__":
    main()
