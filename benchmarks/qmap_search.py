"""Rate control of the Qmap codec: the cached quality ladder against a scipy search per byte budget.

The adaptive link asks each image for the best stream within many byte
budgets (one per MCS it considers). Two ways to answer:

* ``ladder`` (what linksim does): a bisection over a fixed grid of quality
  levels, all images in one batch per step, every encoding cached and shared
  by every budget (:class:`~linksim.codecs.source.base.QualityLadder`);
* ``scipy``: for each image and budget, ``scipy.optimize.brentq`` on
  ``size(u) - budget`` over the quality level ``u`` in [0, 2) to the grid's
  resolution, each evaluation one real encoding of that image; the answer is
  the largest fitting stream it saw (never above the budget).

Both get the same images (blended Qmaps) and budgets, and both times include
computing the Qmaps; the graphs are traced before either runs. Printed:
encoder passes per image, wall seconds, the share of (image, budget) pairs with a fitting
stream and the mean fill (stream bytes / budget).

    python benchmarks/qmap_search.py --data <cifar10 root> [--images 50]
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import scipy.optimize

BUDGETS = (13, 20, 32, 48, 64, 96, 128, 192, 256, 320, 426)


def scipy_search(source, images, budgets, resolution: float) -> tuple:
    """``(sizes [N, B], encodings)``: per (image, budget) the largest fitting stream brentq evaluated."""
    context = source.prepare(images)
    sizes, encodings = np.full((len(images), len(budgets)), -1), 0
    for i, image in enumerate(images):
        one = context.at(i)
        for b, budget in enumerate(budgets):
            seen = {}

            def excess(u):
                nonlocal encodings
                if u not in seen:                          # brentq evaluates the bracket's ends again
                    encodings += 1
                    seen[u] = len(source.encode(image, float(u), one))
                return seen[u] - budget - 0.5
            low, high = 0.0, 2.0 - resolution
            if excess(low) > 0:
                continue                                   # not even the lowest level fits
            if excess(high) <= 0:
                sizes[i, b] = seen[high]
                continue
            scipy.optimize.brentq(excess, low, high, xtol=resolution)
            sizes[i, b] = max(s for s in seen.values() if s <= budget)
    return sizes, encodings


def ladder_search(source, images, budgets) -> tuple:
    from linksim.codecs.separate import shared_cache
    from linksim.codecs.source.base import QualityLadder
    from linksim.data import fallback_image
    ladder = QualityLadder(source, images, shared_cache(None), fallback_image(images.shape[1:]))
    sizes = np.full((len(images), len(budgets)), -1)
    for b, budget in enumerate(budgets):
        for i, p in enumerate(ladder.best(budget)):
            if p is not None:
                sizes[i, b] = len(ladder.stream(i, p))
    return sizes, ladder.cache.misses


def report(name, sizes, encodings, seconds, n_images, budgets):
    fits = sizes >= 0
    fill = np.where(fits, sizes / np.asarray(budgets)[None], np.nan)
    print(f"{name:>6}: {encodings / n_images:6.1f} encoder passes per image, {seconds:7.1f} s, "
          f"fits {fits.mean():.4f} of (image, budget) pairs, mean fill {np.nanmean(fill):.4f}")


def main():
    from linksim.codecs.source.base import SOURCES
    from linksim.data import load_split
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data")
    p.add_argument("--weights", default="qmap2021")
    p.add_argument("--images", type=int, default=50)
    args = p.parse_args()
    data = load_split(args.data, "test").take_per_class(args.images)
    source = SOURCES.build(SOURCES.parse({"type": "qmap", "weights": args.weights, "strategy": "blended"},
                                         "source"))
    images = data.images
    resolution = 1.0 / source.config.levels
    print(f"{len(images)} test images, {len(BUDGETS)} budgets {BUDGETS} bytes, grid resolution {resolution:g}")
    warm = source.prepare(images[:2])
    source.encode_batch(images[:2], [1.0, 1.0], warm), source.encode(images[0], 1.0, warm.at(0))
    t0 = time.time()
    sizes_l, enc_l = ladder_search(source, images, BUDGETS)
    report("ladder", sizes_l, enc_l, time.time() - t0, len(images), BUDGETS)
    t0 = time.time()
    sizes_s, enc_s = scipy_search(source, images, BUDGETS, resolution)
    report("scipy", sizes_s, enc_s, time.time() - t0, len(images), BUDGETS)
    both = (sizes_l >= 0) & (sizes_s >= 0)
    print(f"where both fit: ladder stream larger {np.mean(sizes_l[both] > sizes_s[both]):.4f}, "
          f"equal {np.mean(sizes_l[both] == sizes_s[both]):.4f}, smaller {np.mean(sizes_l[both] < sizes_s[both]):.4f}")


if __name__ == "__main__":
    main()
