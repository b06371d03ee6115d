"""Figures of a run: metric vs SNR / vs CPP, and original-vs-received image grids."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (backend first)
import numpy as np  # noqa: E402

METRICS = (("accuracy", "accuracy_ci95", "accuracy"), ("rca", "rca_ci95", "RCA (vs clean prediction)"),
           ("f1_macro", "f1_ci95", "macro-F1"),
           ("psnr_db", "psnr_ci95", "PSNR (dB)"), ("ssim", "ssim_ci95", "SSIM"),
           ("outage_rate", "outage_ci95", "outage rate"))


def _sweep_figure(points, x_key, x_label, title, path):
    """Every codec on one axis per metric: mean line, 95% band, 'x' where at least half the images are in outage.

    Identity's capped PSNR/SSIM are left out.
    """
    from .results import perceptual_metrics
    codecs = list(dict.fromkeys(p["codec"] for p in points))
    perceptual = [(k, f"{k}_ci95", f"{k} (bias-corrected)" if k.startswith("frechet_") else k)
                  for k in perceptual_metrics(points)]
    metrics = [m for m in (*METRICS, *perceptual)
               if any(p.get(m[0]) is not None and np.isfinite(p[m[0]]) for p in points)]
    fig, axes = plt.subplots(1, len(metrics), figsize=(3.3 * len(metrics) + 1.8, 3.1), squeeze=False)
    axes = axes[0]
    for ax, (key, ci, name) in zip(axes, metrics):
        for i, codec in enumerate(codecs):
            if codec == "identity" and key in ("psnr_db", "ssim"):
                continue
            pts = sorted((p for p in points if p["codec"] == codec), key=lambda p: p[x_key])
            x = np.array([p[x_key] for p in pts], dtype=float)
            # a Frechet distance is drawn at its bias-corrected value: its interval is around that one
            value = lambda p: p.get(f"{key}_bias_corrected", p[key])
            y = np.array([np.nan if value(p) is None else value(p) for p in pts], dtype=float)
            half = np.array([p.get(ci) or 0.0 for p in pts], dtype=float)
            low = np.array([p.get(f"{key}_ci95_low", y0 - h) for p, y0, h in zip(pts, y, half)], dtype=float)
            high = np.array([p.get(f"{key}_ci95_high", y0 + h) for p, y0, h in zip(pts, y, half)], dtype=float)
            if key in ("accuracy", "rca", "outage_rate", "f1_macro"):
                low, high = np.clip(low, 0, 1), np.clip(high, 0, 1)
            colour = plt.cm.tab10(i % 10)
            ax.plot(x, y, color=colour, lw=1.3, label=codec)
            ax.fill_between(x, low, high, color=colour, alpha=0.18, lw=0)
            down = np.array([p["outage_rate"] >= 0.5 for p in pts])
            ax.scatter(x[~down], y[~down], color=colour, s=10, marker="o")
            ax.scatter(x[down], y[down], color=colour, s=26, marker="x")
        ax.set_xlabel(x_label)
        ax.set_title(name, fontsize=9)
        ax.grid(alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="center right", fontsize=7, frameon=False)
    fig.suptitle(title + "   (x: outage >= 0.5; bands: 95% intervals)", fontsize=9)
    fig.tight_layout(rect=(0, 0, 1 - 1.6 / fig.get_figwidth(), 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def sweep_figures(points: list, out_dir) -> list:
    """The SP-JSCC paper's Fig. 6-9 layout: ``metrics_vs_snr_cpp<c>.png`` per CPP (if several SNRs)
    and ``metrics_vs_cpp_<s>dB.png`` per SNR (if several CPPs)."""
    out, written = Path(out_dir), []
    snrs = list(dict.fromkeys(p["snr_db"] for p in points))
    cpps = list(dict.fromkeys(p["cpp_target"] for p in points))
    if len(snrs) > 1:
        for cpp in cpps:
            written.append(out / f"metrics_vs_snr_cpp{cpp:g}.png")
            _sweep_figure([p for p in points if p["cpp_target"] == cpp], "snr_db", "SNR Es/N0 (dB)",
                          f"CPP {cpp:g}", written[-1])
    if len(cpps) > 1:
        for snr in snrs:
            written.append(out / f"metrics_vs_cpp_{snr:g}dB.png")
            _sweep_figure([p for p in points if p["snr_db"] == snr], "cpp_target", "channel uses per pixel",
                          f"SNR {snr:g} dB", written[-1])
    return written


def cliff_figure(cliff: list, path) -> Path:
    """Smallest CPP at which each digital codec delivers half the images, vs SNR (missing: never, in the grid)."""
    fig, ax = plt.subplots(figsize=(4.6, 3.2))
    codecs = list(dict.fromkeys(c["codec"] for c in cliff))
    for i, codec in enumerate(codecs):
        rows = [c for c in cliff if c["codec"] == codec]
        ax.plot([c["snr_db"] for c in rows],
                [np.nan if c["min_cpp_half_delivered"] is None else c["min_cpp_half_delivered"] for c in rows],
                marker="o", color=plt.cm.tab10(i % 10), label=codec)
    ax.set_xlabel("SNR Es/N0 (dB)")
    ax.set_ylabel("smallest CPP delivering half")
    ax.set_title("digital cliff", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


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
