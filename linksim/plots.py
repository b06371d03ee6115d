"""Figures of a run: metric vs SNR / vs CPP, and original-vs-received image grids."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (backend first)
import numpy as np  # noqa: E402

METRICS = (("accuracy", "accuracy_ci95", "accuracy"), ("psnr_db", "psnr_ci95", "PSNR (dB)"),
           ("ssim", "ssim_ci95", "SSIM"), ("outage_rate", None, "outage rate"))


def _sweep_figure(points, x_key, group_key, x_label, path):
    fig, axes = plt.subplots(1, len(METRICS), figsize=(4.2 * len(METRICS), 3.4))
    for ax, (key, ci, title) in zip(axes, METRICS):
        for codec in dict.fromkeys(p["codec"] for p in points):
            for g in dict.fromkeys(p[group_key] for p in points):
                pts = sorted((p for p in points if p["codec"] == codec and p[group_key] == g),
                             key=lambda p: p[x_key])
                if len(pts) < 2:
                    continue
                x = [p[x_key] for p in pts]
                y = np.array([np.nan if p[key] is None else p[key] for p in pts], dtype=float)
                err = None if ci is None else np.array([p[ci] or 0.0 for p in pts], dtype=float)
                ax.errorbar(x, y, yerr=err, marker="o", ms=3, capsize=2,
                            label=f"{codec} ({group_key.split('_')[0]} {g:g})")
        ax.set_xlabel(x_label)
        ax.set_title(title)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def sweep_figures(points: list, out_dir) -> list:
    """``metrics_vs_snr.png`` / ``metrics_vs_cpp.png`` where more than one value was run."""
    out, written = Path(out_dir), []
    if len({p["snr_db"] for p in points}) > 1:
        _sweep_figure(points, "snr_db", "cpp_target", "SNR Es/N0 (dB)", out / "metrics_vs_snr.png")
        written.append(out / "metrics_vs_snr.png")
    if len({p["cpp_target"] for p in points}) > 1:
        _sweep_figure(points, "cpp_target", "snr_db", "channel uses per pixel", out / "metrics_vs_cpp.png")
        written.append(out / "metrics_vs_cpp.png")
    return written


def image_grids(originals: np.ndarray, examples: dict, out_dir, max_rows: int = 12) -> list:
    """One ``images_<codec>.png`` per codec: originals on top, a row per (SNR, CPP) below.

    ``originals`` are the images the examples show (see :func:`linksim.sim.example_indices`).
    """
    out, written = Path(out_dir), []
    for codec in dict.fromkeys(k[0] for k in examples):
        rows = [("original", originals)] + \
               [(f"{s:g} dB, CPP {c:g}", v) for (name, s, c), v in examples.items() if name == codec][:max_rows]
        cols = len(rows[0][1])
        fig, axes = plt.subplots(len(rows), cols, figsize=(1.1 * cols + 1.2, 1.15 * len(rows)), squeeze=False)
        for r, (title, imgs) in enumerate(rows):
            for c in range(cols):
                ax = axes[r, c]
                ax.imshow(imgs[c], interpolation="nearest")
                ax.set_xticks([]), ax.set_yticks([])
            axes[r, 0].set_ylabel(title, fontsize=7, rotation=0, ha="right", va="center")
        fig.suptitle(codec, fontsize=9)
        fig.tight_layout()
        path = out / f"images_{codec}.png"
        fig.savefig(path, dpi=100)
        plt.close(fig)
        written.append(path)
    return written
