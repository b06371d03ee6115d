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
    """Colour = codec, line style = the other grid axis; identity's capped PSNR is left out."""
    codecs = list(dict.fromkeys(p["codec"] for p in points))
    groups = sorted({p[group_key] for p in points})
    colours = {c: plt.cm.tab10(i % 10) for i, c in enumerate(codecs)}
    styles = {g: ("-", "--", ":", "-.", (0, (5, 1)), (0, (1, 3)))[i % 6] for i, g in enumerate(groups)}
    unit = "dB" if group_key == "snr_db" else "CPP"
    fig, axes = plt.subplots(1, len(METRICS), figsize=(4.0 * len(METRICS) + 2.2, 3.4))
    for ax, (key, ci, title) in zip(axes, METRICS):
        for codec in codecs:
            if codec == "identity" and key in ("psnr_db", "ssim"):
                continue
            for g in groups:
                pts = sorted((p for p in points if p["codec"] == codec and p[group_key] == g),
                             key=lambda p: p[x_key])
                if len(pts) < 2:
                    continue
                y = np.array([np.nan if p[key] is None else p[key] for p in pts], dtype=float)
                err = None if ci is None else np.array([p[ci] or 0.0 for p in pts], dtype=float)
                ax.errorbar([p[x_key] for p in pts], y, yerr=err, color=colours[codec], ls=styles[g],
                            marker="o", ms=2.5, capsize=2, lw=1.2, label=f"{codec}, {g:g} {unit}")
        ax.set_xlabel(x_label)
        ax.set_title(title)
        ax.grid(alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="center right", fontsize=6.5, frameon=False)
    fig.tight_layout(rect=(0, 0, 1 - 2.0 / fig.get_figwidth(), 1))
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
