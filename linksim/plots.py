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


def _image_row(axes, images, predictions, labels, classes):
    """Images on one row of axes, each with the judge's label under it (green right, red wrong)."""
    for ax, image, pred, label in zip(axes, images, predictions, labels):
        ax.imshow(image, interpolation="nearest")
        ax.set_xticks([]), ax.set_yticks([])
        ax.set_xlabel(classes[pred], fontsize=6.5, labelpad=1, color="tab:green" if pred == label else "tab:red")


def _grid(rows, classes, labels, title, path):
    cols = len(rows[0][1])
    fig, axes = plt.subplots(len(rows), cols, figsize=(1.1 * cols + 1.3, 1.3 * len(rows) + 0.3), squeeze=False)
    for r, (name, images, predictions) in enumerate(rows):
        _image_row(axes[r], images, predictions, labels, classes)
        axes[r, 0].set_ylabel(name, fontsize=7, rotation=0, ha="right", va="center")
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def image_grids(originals: tuple, examples: dict, out_dir, classes, max_rows: int = 12, max_points: int = 8) -> list:
    """Received example images with the primary judge's label under each (paper Fig. 10).

    ``images_<codec>.png``: originals on top, a row per (SNR, CPP) below;
    ``images_<snr>dB_cpp<cpp>.png`` (when several codecs ran, for at most
    ``max_points`` grid points): the original, then one row per codec at that point.

    Args:
        originals: ``(images [E, H, W, 3], predictions [E], labels [E])``
            (see :class:`linksim.sim.ScenarioResult`).
        examples: ``{(codec, snr, cpp): (images [E, H, W, 3], predictions [E])}``.
        classes: class names by label.
    """
    out, written = Path(out_dir), []
    images, predictions, labels = originals
    first = [("original", images, predictions)]
    for codec in dict.fromkeys(k[0] for k in examples):
        rows = first + [(f"{s:g} dB, CPP {c:g}", *v) for (name, s, c), v in examples.items()
                        if name == codec][:max_rows]
        written.append(out / f"images_{codec}.png")
        _grid(rows, classes, labels, codec, written[-1])
    points = list(dict.fromkeys((s, c) for _, s, c in examples))
    if len({k[0] for k in examples}) > 1:
        for snr, cpp in points[:max_points]:
            rows = first + [(name, *v) for (name, s, c), v in examples.items() if (s, c) == (snr, cpp)]
            written.append(out / f"images_{snr:g}dB_cpp{cpp:g}.png")
            _grid(rows, classes, labels, f"SNR {snr:g} dB, CPP {cpp:g} (label: primary judge)", written[-1])
    return written


def importance_figure(images: np.ndarray, maps: np.ndarray, title: str, path) -> Path:
    """Images (top) over their importance maps summed over colour channels (bottom), as the SP-JSCC paper's Fig. 5.

    ``images`` uint8 ``[E, H, W, 3]``, ``maps`` float ``[E, H, W, 3]`` or ``[E, H, W]``.
    """
    heat = maps.sum(axis=-1) if maps.ndim == 4 else maps
    cols = len(images)
    fig, axes = plt.subplots(2, cols, figsize=(1.1 * cols + 0.4, 2.6), squeeze=False)
    for c in range(cols):
        axes[0, c].imshow(images[c], interpolation="nearest")
        axes[1, c].imshow(heat[c], cmap="inferno", interpolation="nearest")
        for ax in axes[:, c]:
            ax.set_xticks([]), ax.set_yticks([])
    fig.suptitle(title, fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)
