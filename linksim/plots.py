"""Figures of a run: metrics vs SNR / vs CPP, the digital cliff, image grids, importance maps.

Every figure is written twice by :func:`save_figure`: a PNG for the report and
a PDF (vector) beside it for a paper or a slide. The run's figures are
returned as :class:`Drawn` (the PNG's path and a caption saying what is
plotted), which the report shows at full width.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import NamedTuple

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (backend first)
import numpy as np  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

#: (key, half-width key, axis label) of the sweep figures' metrics.
METRICS = (("accuracy", "accuracy_ci95", "accuracy (top-1, primary judge)"),
           ("rca", "rca_ci95", "RCA (answer as on the clean image)"),
           ("f1_macro", "f1_ci95", "macro-F1"),
           ("psnr_db", "psnr_ci95", "PSNR (dB)"), ("ssim", "ssim_ci95", "SSIM"),
           ("outage_rate", "outage_ci95", "outage rate (images lost)"))
_FRACTIONS = ("accuracy", "rca", "outage_rate", "f1_macro")
_OUTAGE_NOTE = "x: at least half the images in outage (the fallback image is judged)"


class Drawn(NamedTuple):
    """A written figure: its PNG (a PDF of the same name beside it) and what it shows."""
    path: Path
    caption: str


def save_figure(fig, path_png) -> Path:
    """Write ``fig`` as ``path_png`` and as the same name with ``.pdf``; close it."""
    path = Path(path_png)
    fig.savefig(path, dpi=150)
    fig.savefig(path.with_suffix(".pdf"))
    plt.close(fig)
    return path


def _band(points, key, ci):
    """Means and 95% interval ends of one metric over sorted points (a Frechet distance at its bias-corrected
    value, its own interval ends)."""
    value = lambda p: p.get(f"{key}_bias_corrected", p[key])
    y = np.array([np.nan if value(p) is None else value(p) for p in points], dtype=float)
    half = np.array([p.get(ci) or 0.0 for p in points], dtype=float)
    low = np.array([p.get(f"{key}_ci95_low", m - h) for p, m, h in zip(points, y, half)], dtype=float)
    high = np.array([p.get(f"{key}_ci95_high", m + h) for p, m, h in zip(points, y, half)], dtype=float)
    if key in _FRACTIONS:
        low, high = np.clip(low, 0, 1), np.clip(high, 0, 1)
    return y, low, high


def _sweep_figure(points, x_key, x_label, title, path, clean_accuracy=None) -> Path:
    """One panel per metric (rows of three): per codec the mean, its 95% band, and 'x' at outage >= 0.5.

    Identity's capped PSNR/SSIM are left out; the clean images' accuracy is a dashed reference line.
    """
    from .results import perceptual_metrics
    codecs = list(dict.fromkeys(p["codec"] for p in points))
    perceptual = [(k, f"{k}_ci95", f"{k} (bias-corrected)" if k.startswith("frechet_") else k)
                  for k in perceptual_metrics(points)]
    metrics = [m for m in (*METRICS, *perceptual)
               if any(p.get(m[0]) is not None and np.isfinite(p[m[0]]) for p in points)]
    cols = min(3, len(metrics))
    rows = math.ceil(len(metrics) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.3 * cols, 3.2 * rows + 0.9), squeeze=False)
    for ax in axes.flat[len(metrics):]:
        ax.set_visible(False)
    for ax, (key, ci, name) in zip(axes.flat, metrics):
        for i, codec in enumerate(codecs):
            if codec == "identity" and key in ("psnr_db", "ssim"):
                continue
            pts = sorted((p for p in points if p["codec"] == codec), key=lambda p: p[x_key])
            x = np.array([p[x_key] for p in pts], dtype=float)
            y, low, high = _band(pts, key, ci)
            colour = plt.cm.tab10(i % 10)
            ax.plot(x, y, color=colour, lw=1.5)
            ax.fill_between(x, low, high, color=colour, alpha=0.18, lw=0)
            down = np.array([p["outage_rate"] >= 0.5 for p in pts])
            ax.scatter(x[~down], y[~down], color=colour, s=14, marker="o")
            ax.scatter(x[down], y[down], color=colour, s=40, marker="x")
        if key == "accuracy" and clean_accuracy is not None:
            ax.axhline(clean_accuracy, color="0.35", ls="--", lw=1)
        ax.set_xlabel(x_label, fontsize=10)
        ax.set_ylabel(name, fontsize=10)
        ax.tick_params(labelsize=9)
        ax.grid(alpha=0.3)
    handles = [Line2D([], [], color=plt.cm.tab10(i % 10), marker="o", ms=4, lw=1.5, label=c)
               for i, c in enumerate(codecs)]
    if clean_accuracy is not None:
        handles.append(Line2D([], [], color="0.35", ls="--", lw=1, label=f"clean images ({clean_accuracy:.3f})"))
    handles.append(Line2D([], [], color="0.2", marker="x", ls="none", ms=6, label=_OUTAGE_NOTE))
    # below the panels, never over a curve
    fig.legend(handles=handles, loc="lower center", ncol=min(len(handles), 4), fontsize=9, frameon=False)
    fig.suptitle(f"{title}: means with 95% intervals over images", fontsize=11)
    legend_rows = math.ceil(len(handles) / 4)
    fig.tight_layout(rect=(0, (0.32 * legend_rows + 0.1) / fig.get_figheight(), 1, 1))
    return save_figure(fig, path)


def sweep_figures(points: list, out_dir, reference: dict = None) -> list:
    """The SP-JSCC paper's Fig. 6-9 layout: ``metrics_vs_snr_cpp<c>.png`` per CPP (if several SNRs) and
    ``metrics_vs_cpp_<s>dB.png`` per SNR (if several CPPs), as :class:`Drawn`.

    ``reference``: the run's clean-image figures (``clean_accuracy``) for the accuracy panel's reference line.
    """
    out, written = Path(out_dir), []
    clean = (reference or {}).get("clean_accuracy")
    snrs = list(dict.fromkeys(p["snr_db"] for p in points))
    cpps = list(dict.fromkeys(p["cpp_target"] for p in points))
    what = "accuracy, RCA and macro-F1 under the primary judge, PSNR, SSIM and the outage rate"
    if len(snrs) > 1:
        for cpp in cpps:
            path = _sweep_figure([p for p in points if p["cpp_target"] == cpp], "snr_db", "SNR Es/N0 (dB)",
                                 f"CPP {cpp:g}", out / f"metrics_vs_snr_cpp{cpp:g}.png", clean)
            written.append(Drawn(path, f"Every codec against the SNR at CPP {cpp:g}: {what}. Bands are 95% "
                                       f"intervals over images; {_OUTAGE_NOTE}."))
    if len(cpps) > 1:
        for snr in snrs:
            path = _sweep_figure([p for p in points if p["snr_db"] == snr], "cpp_target",
                                 "channel uses per pixel (CPP)", f"SNR {snr:g} dB",
                                 out / f"metrics_vs_cpp_{snr:g}dB.png", clean)
            written.append(Drawn(path, f"Every codec against the bandwidth (CPP) at {snr:g} dB: {what}. Bands are "
                                       f"95% intervals over images; {_OUTAGE_NOTE}."))
    return written


def cliff_figure(cliff: list, path) -> Drawn:
    """Smallest CPP at which each digital codec delivers half the images, vs SNR (missing: never, in the grid)."""
    codecs = list(dict.fromkeys(c["codec"] for c in cliff))
    fig, ax = plt.subplots(figsize=(5.2, 3.6 + 0.25 * len(codecs)))
    for i, codec in enumerate(codecs):
        rows = [c for c in cliff if c["codec"] == codec]
        ax.plot([c["snr_db"] for c in rows],
                [np.nan if c["min_cpp_half_delivered"] is None else c["min_cpp_half_delivered"] for c in rows],
                marker="o", color=plt.cm.tab10(i % 10), label=codec)
    ax.set_xlabel("SNR Es/N0 (dB)", fontsize=10)
    ax.set_ylabel("smallest CPP delivering half", fontsize=10)
    ax.set_title("the digital cliff", fontsize=11)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=min(3, len(codecs)),
              frameon=False)                                      # below the axes: it hides no point
    fig.tight_layout()
    return Drawn(save_figure(fig, path),
                 "Per digital codec and SNR, the smallest CPP of the grid at which at least half the images arrive "
                 "(outage <= 0.5); a missing point: no CPP of the grid does.")


def _image_row(axes, images, predictions, labels, classes, outage=None):
    """Images on one row of axes, each with the judge's answer under it (green right, red wrong, 'outage' if lost)."""
    for k, (ax, image, pred, label) in enumerate(zip(axes, images, predictions, labels)):
        ax.imshow(image, interpolation="nearest")
        ax.set_xticks([]), ax.set_yticks([])
        lost = outage is not None and outage[k]
        ax.set_xlabel(("outage: " if lost else "") + classes[pred], fontsize=7, labelpad=1,
                      color="tab:green" if pred == label else "tab:red")
        if lost:
            for side in ax.spines.values():
                side.set_color("tab:red"), side.set_linewidth(2)


def _grid(rows, classes, labels, title, path):
    """Row 0: the originals under their true class; then a row per ``(name, images, predictions, outage)``."""
    cols = len(rows[0][1])
    fig, axes = plt.subplots(len(rows), cols, figsize=(1.15 * cols + 1.6, 1.35 * len(rows) + 0.6), squeeze=False)
    for c in range(cols):
        axes[0, c].set_title(f"true: {classes[labels[c]]}", fontsize=7)
    for r, (name, images, predictions, outage) in enumerate(rows):
        _image_row(axes[r], images, predictions, labels, classes, outage)
        axes[r, 0].set_ylabel(name, fontsize=8, rotation=0, ha="right", va="center")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return save_figure(fig, path)


def spread(items: list, count: int) -> list:
    """At most ``count`` of ``items``, evenly spread from the first to the last."""
    if len(items) <= count:
        return list(items)
    return [items[i] for i in np.unique(np.linspace(0, len(items) - 1, count).round().astype(int))]


def image_grids(originals: tuple, examples: dict, out_dir, classes, max_rows: int = 12, max_points: int = 8) -> list:
    """Received example images with the primary judge's answer under each (paper Fig. 10), as :class:`Drawn`.

    ``images_<codec>.png``: the originals on top, then a row per (SNR, CPP), at most ``max_rows`` spread over
    the sweep; ``images_<snr>dB_cpp<cpp>.png`` (when several codecs ran, at most ``max_points`` grid points
    spread over the sweep): the originals, then one row per codec at that point.

    Args:
        originals: ``(images [E, H, W, 3], predictions [E], labels [E])``
            (see :class:`linksim.sim.ScenarioResult`).
        examples: ``{(codec, snr, cpp): (images [E, H, W, 3], predictions [E], outage [E])}``.
        classes: class names by label.
    """
    out, written = Path(out_dir), []
    images, predictions, labels = originals
    first = [("original", images, predictions, None)]
    note = ("under each image the primary judge's answer (green right, red wrong); a red frame and 'outage': "
            "the image did not arrive and the fallback image was judged")
    for codec in dict.fromkeys(k[0] for k in examples):
        points = [k for k in examples if k[0] == codec]
        rows = first + [(f"{s:g} dB, CPP {c:g}", *examples[codec, s, c]) for _, s, c in spread(points, max_rows)]
        path = _grid(rows, classes, labels, codec, out / f"images_{codec}.png")
        shown = f"{len(rows) - 1} of its {len(points)} grid points" if len(points) > len(rows) - 1 else \
            "every grid point"
        written.append(Drawn(path, f"{codec}: the original test images (top, with their true class) and what "
                                   f"arrived at {shown}; {note}."))
    if len({k[0] for k in examples}) > 1:
        for snr, cpp in spread(list(dict.fromkeys((s, c) for _, s, c in examples)), max_points):
            rows = first + [(name, *v) for (name, s, c), v in examples.items() if (s, c) == (snr, cpp)]
            path = _grid(rows, classes, labels, f"SNR {snr:g} dB, CPP {cpp:g}",
                         out / f"images_{snr:g}dB_cpp{cpp:g}.png")
            written.append(Drawn(path, f"Every codec at {snr:g} dB, CPP {cpp:g} on the same test images; {note}."))
    return written


def importance_figure(images: np.ndarray, maps: np.ndarray, title: str, path, caption: str = "") -> Drawn:
    """Images (top) over their importance maps summed over colour channels (bottom), as the SP-JSCC paper's Fig. 5.

    ``images`` uint8 ``[E, H, W, 3]``, ``maps`` float ``[E, H, W, 3]`` or ``[E, H, W]``; one colour scale for
    all maps, shown by the colour bar.
    """
    heat = maps.sum(axis=-1) if maps.ndim == 4 else maps
    cols = len(images)
    fig, axes = plt.subplots(2, cols, figsize=(1.2 * cols + 1.4, 3.0), squeeze=False)
    low, high = float(np.min(heat)), float(np.max(heat))
    for c in range(cols):
        axes[0, c].imshow(images[c], interpolation="nearest")
        shown = axes[1, c].imshow(heat[c], cmap="inferno", interpolation="nearest", vmin=low, vmax=high)
        for ax in axes[:, c]:
            ax.set_xticks([]), ax.set_yticks([])
    fig.suptitle(title, fontsize=10)
    fig.tight_layout(rect=(0, 0, 1 - 1.0 / fig.get_figwidth(), 1))
    bar = fig.colorbar(shown, ax=axes[1, :].tolist(), fraction=0.04, pad=0.02)
    bar.ax.tick_params(labelsize=7)
    return Drawn(save_figure(fig, path), caption or title)
