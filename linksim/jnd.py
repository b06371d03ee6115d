"""DMV-JND analysis (``linksim jnd SCENARIO``): how much distortion the classifiers tolerate, and where.

For each split (test images and a training subset) the trained DMV-JND-NET
gives every image its perturbation ``e``; the analysis reports, per
classifier and averaged over the four it was trained against:

* the RCA (ratio of consistent answers: prediction on ``x + e`` equals the
  prediction on ``x``; base networks, no flip averaging, as in training) and
  the mean PSNR of ``x + e`` on 0..255;
* the same at equal per-image energy (the same L2 norm as ``e``) for three
  perturbations that are not the JND: white Gaussian noise (the paper's
  control), ``e``'s pixels spatially permuted within the image, and ``e``'s
  magnitudes with random signs; each paired against the JND over images;
* homogeneity: ``k/9 * e`` for ``k = 1..9`` (RCA against PSNR);
* ``transfer`` classifiers outside the four (e.g. ``resnet20``);

each for the raw ``x + e`` (as the paper, values may leave 0..255) and for
``x + e`` rounded and clipped to 8 bits (a real image). Writes ``jnd.json``,
``rca_vs_psnr.png`` and ``jnd_examples.png`` (CAM, e, x, x + e: the paper's Fig. 8).

A scenario::

    name: dmv_jnd
    weights: dmv_jnd              # zoo name, or a run's dmv_jnd.weights.h5
    test_images: 5000
    train_images: 5000
    transfer: [resnet20]
"""
from __future__ import annotations

import json
import time
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Tuple

import numpy as np

from . import metrics
from .config import bounded, from_mapping, to_plain
from .errors import ConfigError

CONTROLS = ("wgn", "permuted", "random_sign")
VARIANTS = ("raw", "8bit")


@dataclass(frozen=True)
class JndScenario:
    """``linksim jnd`` scenario (see the module docstring).

    Attributes:
        name: label of the outputs.
        data: CIFAR-10 path; None = ``$LINKSIM_DATA`` or the embedded sample (test split only).
        weights: the DMV-JND-NET (zoo name or a ``linksim train dmv_jnd`` output).
        test_images, train_images: images of each split (n / 10 per class; 0 skips the split).
        transfer: further zoo classifiers, outside the training four.
        seed: seeds the control perturbations.
        batch_size: images per forward pass.
        examples: images in the example grid.
    """
    name: str = "dmv_jnd"
    data: typing.Optional[str] = None
    weights: str = "dmv_jnd"
    test_images: int = bounded(5000, lo=0, hi=10**6)
    train_images: int = bounded(5000, lo=0, hi=10**6)
    transfer: Tuple[str, ...] = ("resnet20",)
    seed: int = bounded(0, lo=0, hi=2**31 - 1)
    batch_size: int = bounded(250, lo=1, hi=10000)
    examples: int = bounded(8, lo=1, hi=64)

    def __post_init__(self):
        if not (self.test_images or self.train_images):
            raise ConfigError("jnd scenario: test_images and train_images are both 0")


def is_jnd_scenario(raw: dict) -> bool:
    """Whether a scenario mapping is a ``linksim jnd`` one (a DMV-JND-NET's ``weights``, no codecs, no curves)."""
    return "weights" in raw and "codecs" not in raw and "curves" not in raw


def load_jnd_scenario(path, overrides=(), values=None) -> JndScenario:
    """A :class:`JndScenario` from YAML (``--set`` overrides, verbatim ``values``), validated."""
    from .config import scenario_mapping
    return from_mapping(JndScenario, scenario_mapping(path, overrides, values))


def load_network(weights: str) -> tuple:
    """``(JndNet, its training options)`` of a zoo name or a run's ``dmv_jnd.weights.h5``, sha256-checked."""
    from . import zoo
    from .train.jnd import load_dmv_jnd
    from .errors import WeightsError
    entry = zoo.entry(weights)
    if entry.get("arch") != "dmv_jnd" or "classifiers" not in entry.get("config", {}):
        raise WeightsError(f"'{weights}' is not a DMV-JND-NET (its entry is a {entry.get('arch')} network)")
    return load_dmv_jnd(zoo.verified_path(weights), entry["geometry"]["width"]), entry["config"]


def perturbations(e: np.ndarray, rng: np.random.Generator) -> dict:
    """``e [N, H, W, 3]`` and the three controls, each image at the L2 norm of its ``e``."""
    n, h, w, ch = e.shape
    norm = np.sqrt(np.sum(e.astype(np.float64) ** 2, axis=(1, 2, 3), keepdims=True))

    def at_norm(p):
        own = np.sqrt(np.sum(p.astype(np.float64) ** 2, axis=(1, 2, 3), keepdims=True))
        return (p * np.where(own > 0, norm / np.where(own > 0, own, 1), 0)).astype(np.float32)

    pixels = e.reshape(n, h * w, ch)
    permuted = np.stack([p[rng.permutation(h * w)] for p in pixels]).reshape(e.shape)
    return {"jnd": e, "wgn": at_norm(rng.normal(size=e.shape)), "permuted": permuted,
            "random_sign": np.abs(e) * rng.choice([-1.0, 1.0], size=e.shape).astype(np.float32)}


def distorted(x: np.ndarray, p: np.ndarray, variant: str) -> np.ndarray:
    """``x + p`` on 0..255 (``p`` in [-1, 1] units): raw floats, or rounded and clipped to 8 bits."""
    out = x.astype(np.float32) + 127.5 * p
    return out if variant == "raw" else np.clip(np.round(out), 0, 255)


def _psnr(x, y) -> np.ndarray:
    mse = np.mean((x.astype(np.float64) - y) ** 2, axis=(1, 2, 3))
    return 10 * np.log10(255.0 ** 2 / np.maximum(mse, 1e-12))


class _Judges:
    """The classifiers' predictions (base networks), as a graph per network."""

    def __init__(self, names, batch_size):
        import tensorflow as tf
        from . import zoo
        self.names, self.batch_size = tuple(names), batch_size
        self._predict = [tf.function(lambda x, m=zoo.load_classifier(n, base=True):
                                     tf.argmax(m(x, training=False), 1), reduce_retracing=True) for n in names]

    def __call__(self, images) -> np.ndarray:
        import tensorflow as tf
        out = np.zeros((len(self._predict), len(images)), np.int64)
        for s in range(0, len(images), self.batch_size):
            x = tf.constant(images[s:s + self.batch_size], tf.float32)
            for j, predict in enumerate(self._predict):
                out[j, s:s + len(x)] = predict(x).numpy()
        return out


def _rca_rows(judges: _Judges, clean: np.ndarray, images: np.ndarray, trained: int) -> tuple:
    """``({classifier: {rca, ci95}, mean_trained: ...}, per-image consistency of the trained ones [N])``."""
    agree = judges(images) == clean
    rows = {}
    for name, a in zip(judges.names, agree):
        low, high = metrics.wilson_interval(float(a.mean()), len(a))
        rows[name] = {"rca": float(a.mean()), "ci95": (high - low) / 2}
    per_image = agree[:trained].mean(axis=0)
    rows["mean_trained"] = {"rca": float(per_image.mean()), "ci95": metrics.normal_halfwidth(per_image)}
    return rows, per_image


def guided_perturbations(net, cam_nets: dict, images: np.ndarray, batch_size: int) -> tuple:
    """``(merged CAM [N, H, W], e [N, H, W, 3])`` of uint8 ``images``: the network's input and output."""
    import tensorflow as tf
    from .models.jnd import to_signed
    from .train.jnd import cams_and_labels
    images = np.asarray(images)
    c = cams_and_labels(cam_nets, images, batch_size, mirror=False)[0][:, 0]
    parts = [net(to_signed(tf.constant(images[s:s + batch_size])), tf.constant(c[s:s + batch_size])).numpy()
             for s in range(0, len(images), batch_size)]
    return c, (np.concatenate(parts) if parts else np.zeros((*images.shape[:3], 3), np.float32))


def analyse_split(jnd_of, judges: _Judges, trained: int, images: np.ndarray, rng) -> dict:
    """Every figure of one split (see the module docstring); ``jnd_of`` is :func:`guided_perturbations` bound
    to the network."""
    c, e = jnd_of(images)
    clean = judges(images.astype(np.float32))
    perturbed = perturbations(e, rng)
    out = {"n_images": len(images), "mean_abs_e": float(np.mean(np.abs(e))), "target_n": float(np.mean(1 - c.mean(axis=(1, 2))))}
    for variant in VARIANTS:
        rows, per_image = {}, {}
        for kind, p in perturbed.items():
            shown = distorted(images, p, variant)
            rca, per_image[kind] = _rca_rows(judges, clean, shown, trained)
            rows[kind] = {"psnr_db": float(_psnr(images, shown).mean()), "rca": rca}
        for kind in CONTROLS:
            gap, half = metrics.paired_difference(per_image["jnd"], per_image[kind])
            rows[kind]["jnd_minus_this"] = {"gap": gap, "ci95": half}
        rows["homogeneity"] = []
        for k in range(1, 10):
            shown = distorted(images, e * (k / 9.0), variant)
            rca, _ = _rca_rows(judges, clean, shown, trained)
            rows["homogeneity"].append({"k": k, "psnr_db": float(_psnr(images, shown).mean()), "rca": rca})
        out[variant] = rows
    return out


def run_jnd(scenario: JndScenario, out, progress=None) -> dict:
    """Analyse every split of ``scenario``; writes ``jnd.json`` and the figures into ``out``.

    ``progress``: a :class:`~linksim.progress.Progress` (not yet started), one unit per split; silent if None.
    """
    from . import zoo
    from .data import load_split
    from .folders import run_lock
    from .progress import Progress
    from .results import _clean, provenance
    out = Path(out)
    wanted = [(split, count) for split, count in (("test", scenario.test_images), ("train", scenario.train_images))
              if count]
    with run_lock(out), (progress or Progress()) as progress:
        t0 = time.time()
        net, config = load_network(scenario.weights)
        trained = tuple(config["classifiers"])
        names = trained + tuple(n for n in scenario.transfer if n not in trained)
        judges = _Judges(names, scenario.batch_size)
        cam_nets = {n: zoo.load_classifier(n, base=True) for n in trained}
        progress.start(len(wanted), f"{scenario.name}: DMV-JND of {scenario.weights} on "
                                    + ", ".join(f"{count} {split} images" for split, count in wanted))
        jnd_of = lambda images: guided_perturbations(net, cam_nets, images, scenario.batch_size)
        rng = np.random.default_rng(scenario.seed)
        splits, examples = {}, None
        for split, count in wanted:
            progress.begin(f"{split} split")
            data = load_split(scenario.data, split)
            data = data.take_per_class(count) if count < len(data) else data
            splits[split] = analyse_split(jnd_of, judges, len(trained), data.images, rng)
            progress.done(f"{split}: RCA {splits[split]['raw']['jnd']['rca']['mean_trained']['rca']:.4f} at "
                     f"{splits[split]['raw']['jnd']['psnr_db']:.2f} dB ({time.time() - t0:.0f} s)")
            if examples is None:
                examples = data.images[np.linspace(0, len(data) - 1, scenario.examples).astype(int)]
        doc = {"scenario": to_plain(scenario), "trained_classifiers": list(trained),
               "transfer_classifiers": [n for n in names if n not in trained],
               "provenance": provenance(scenario.seed, scenario.data or "default",
                                        {n: zoo.entry(n)["sha256"] for n in (scenario.weights, *names)},
                                        {"wall_seconds": round(time.time() - t0, 2)}),
               "splits": splits}
        (out / "jnd.json").write_text(json.dumps(_clean(doc), indent=2, allow_nan=False))
        rca_figure(doc, out / "rca_vs_psnr.png")
        example_figure(jnd_of, examples, out / "jnd_examples.png")
    return doc


def rca_figure(doc: dict, path) -> Path:
    """Mean RCA of the trained classifiers against PSNR: the k/9 scales of e and the controls, per split."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from .plots import save_figure
    fig, axes = plt.subplots(1, len(VARIANTS), figsize=(9, 3.6), squeeze=False)
    for ax, variant in zip(axes[0], VARIANTS):
        for i, (split, rows) in enumerate(doc["splits"].items()):
            colour = plt.cm.tab10(i)
            scales = rows[variant]["homogeneity"]
            ax.plot([r["psnr_db"] for r in scales], [r["rca"]["mean_trained"]["rca"] for r in scales],
                    marker="o", ms=3, color=colour, label=f"{split}: k/9 of e")
            for kind, marker in zip(CONTROLS, ("s", "^", "v")):
                row = rows[variant][kind]
                ax.scatter(row["psnr_db"], row["rca"]["mean_trained"]["rca"], marker=marker, color=colour,
                           label=f"{split}: {kind.replace('_', ' ')}")
        ax.set_xlabel("PSNR of x + perturbation (dB)")
        ax.set_ylabel("RCA (mean of the trained classifiers)")
        ax.set_ylim(0, 1.02)
        ax.set_title(f"{variant} x + e", fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=6, loc="lower right")
    fig.tight_layout()
    return save_figure(fig, path)


def example_figure(jnd_of, images: np.ndarray, path) -> Path:
    """Rows CAM, e (min-max scaled), x and x + e (8 bits) of a few test images (the paper's Fig. 8)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from .importance.base import minmax
    from .plots import save_figure
    c, e = jnd_of(images)
    rows = [("merged CAM", c, "viridis"), ("e (scaled)", minmax(e), None), ("x", images, None),
            ("x + e", distorted(images, e, "8bit").astype(np.uint8), None)]
    fig, axes = plt.subplots(len(rows), len(images), figsize=(1.1 * len(images), 1.15 * len(rows)), squeeze=False)
    for r, (title, values, cmap) in enumerate(rows):
        for k in range(len(images)):
            ax = axes[r][k]
            ax.imshow(values[k], cmap=cmap, vmin=0 if cmap else None, vmax=1 if cmap else None,
                      interpolation="nearest")
            ax.set_xticks([]), ax.set_yticks([])
        axes[r][0].set_ylabel(title, fontsize=7)
    fig.tight_layout()
    return save_figure(fig, path)


def format_jnd(doc: dict) -> str:
    """Plain-text summary of a ``jnd.json`` document."""
    lines = []
    for split, rows in doc["splits"].items():
        for variant in VARIANTS:
            lines.append(f"{split} ({rows['n_images']} images), {variant} x + e:")
            for kind in ("jnd", *CONTROLS):
                row = rows[variant][kind]
                per = ", ".join(f"{n} {v['rca']:.4f}" for n, v in row["rca"].items() if n != "mean_trained")
                gap = row.get("jnd_minus_this")
                lines.append(f"  {kind:<12} PSNR {row['psnr_db']:6.2f} dB  RCA {row['rca']['mean_trained']['rca']:.4f}"
                             f"±{row['rca']['mean_trained']['ci95']:.4f}  ({per})"
                             + (f"  jnd - this {gap['gap']:+.4f}±{gap['ci95']:.4f}" if gap else ""))
            scales = rows[variant]["homogeneity"]
            lines.append("  k/9 of e:  " + "  ".join(f"{r['k']}: {r['rca']['mean_trained']['rca']:.3f}"
                                                       f"@{r['psnr_db']:.1f}dB" for r in scales))
    return "\n".join(lines)
