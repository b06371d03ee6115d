"""Beyond 32x32 (HEVRC Fig. 2 in kind): one of scikit-image's sample photos through the Qmap codec.

    python benchmarks/qmap_large_image.py [--weights qmap2021] [--target-bpp 0.5] [--out benchmarks/results]

The codec is fully convolutional: the photo (cropped to a multiple of 16) is
coded with every Qmap strategy at the same real rate (the largest stream
within the target), and the figure shows per strategy its Qmap, where its
bits go (estimated bits per latent position) and the reconstruction with its
real bpp and PSNR. The classifier-based maps (SIM, blended) come from the
CIFAR judge run at the photo's size, so treat them as an illustration.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--weights", default="qmap2021")
    p.add_argument("--image", default="chelsea", help="a scikit-image sample (skimage.data.<name>)")
    p.add_argument("--target-bpp", type=float, default=0.5)
    p.add_argument("--out", default="benchmarks/results")
    args = p.parse_args(argv)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import skimage.data
    import tensorflow as tf
    from linksim import metrics
    from linksim.codecs.separate import shared_cache
    from linksim.codecs.source.base import SOURCES, QualityLadder
    image = getattr(skimage.data, args.image)()
    h, w = (image.shape[0] // 16) * 16, (image.shape[1] // 16) * 16
    image = np.ascontiguousarray(image[:h, :w, :3]).astype(np.uint8)
    limit = int(args.target_bpp * h * w // 8)
    rows = []
    for strategy in ("uniform", "icm", "inverse_icm", "sim", "blended"):
        source = SOURCES.build(SOURCES.parse({"type": "qmap", "weights": args.weights, "strategy": strategy,
                                              "levels": 128, "batch_size": 1}, "source"))
        fallback = np.zeros_like(image)
        ladder = QualityLadder(source, image[None], shared_cache(None), fallback)
        (pos,) = ladder.best(limit)
        stream = ladder.stream(0, pos)
        decoded = source.decode(stream)
        q = source.qmaps([source.grid[pos]], ladder.context)
        bits = source.model.bit_allocation(tf.constant(image[None], tf.float32), tf.constant(q)).numpy()[0]
        rows.append((strategy, q[0], bits, decoded, 8 * len(stream) / (h * w),
                     float(metrics.psnr(image[None], decoded[None])[0])))
        print(f"{strategy}: {8 * len(stream) / (h * w):.3f} bpp real, PSNR {rows[-1][5]:.2f} dB")
    fig, axes = plt.subplots(len(rows), 3, figsize=(9, 2.6 * len(rows) * h / w + 0.5))
    for ax_row, (strategy, q, bits, decoded, bpp, psnr) in zip(axes, rows):
        ax_row[0].imshow(q, cmap="gray", vmin=0, vmax=1)
        ax_row[0].set_title(f"{strategy}: Qmap", fontsize=8)
        ax_row[1].imshow(bits, cmap="inferno")
        ax_row[1].set_title("estimated bits per latent position", fontsize=8)
        ax_row[2].imshow(decoded)
        ax_row[2].set_title(f"decoded: {bpp:.3f} bpp, {psnr:.2f} dB", fontsize=8)
        for ax in ax_row:
            ax.set_xticks([]), ax.set_yticks([])
    fig.suptitle(f"skimage '{args.image}' {w}x{h}, target {args.target_bpp} bpp", fontsize=9)
    fig.tight_layout()
    out = Path(args.out) / f"qmap_large_{args.image}.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
