"""Rate-distortion evaluation of source codecs without a channel (``linksim rd SCENARIO``).

Like CompressAI's eval: every source codec codes every test image, at fixed
qualities (BPG QPs, Qmap levels ``u``) or at target rates (per image the
largest real stream within ``target * H * W / 8`` bytes, found on the source's
quality ladder). Reported per codec and operating point, with 95% intervals
over images: real bpp (``8 * bytes / (H * W)``, every byte of the stream,
header included), PSNR, SSIM and every judge's accuracy. An image whose
smallest stream exceeds a target is not delivered: it shows the fallback
image and counts in ``not_fitting``. ``compare: ["a vs b"]`` adds the paired
differences a - b at every target rate both have (the same real budget) and,
for curves at fixed qualities, BD-rate and BD-PSNR of a against b (the
``bjontegaard`` package, Akima interpolation, over the two curves' common
range).

A scenario::

    name: rd_cifar
    judges: [vgg8]
    codecs:
      - {source: {type: qmap, strategy: uniform}, qualities: [0, 0.1, 0.2]}
      - {source: {type: bpg}, qualities: [20, 30, 40, 51]}
    compare: ["qmap2021-uniform vs bpg"]
"""
from __future__ import annotations

import json
import time
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Tuple

import numpy as np

from . import metrics
from .codecs.source.base import SOURCES, QualityLadder, decode_many
from .codecs.source.bpg import BpgSourceConfig
from .config import PERCEPTUAL_METRICS, bounded, compare_pairs, from_mapping, judge_names, node
from .errors import ConfigError


@dataclass(frozen=True)
class RdCodec:
    """One source codec of an RD scenario: its node and its operating points.

    Attributes:
        source: source-codec node (``{type: bpg}``, ``{type: qmap, ...}``).
        qualities: fixed qualities (BPG: QPs 0..51; qmap: levels u, see
            :mod:`linksim.codecs.source.learned`).
        targets_bpp: target rates in bits per pixel (instead of ``qualities``).
        cache: "disk" (shared encoding cache) or "memory".
    """
    source: Any = node(SOURCES, BpgSourceConfig())
    qualities: Tuple[float, ...] = ()
    targets_bpp: Tuple[float, ...] = bounded((), lo=1e-3, hi=24.0)
    cache: str = bounded("disk", choices=("disk", "memory"))

    def __post_init__(self):
        if bool(self.qualities) == bool(self.targets_bpp):
            raise ConfigError(f"rd codec {self.label()}: give either 'qualities' or 'targets_bpp'")

    def label(self) -> str:
        return self.source.label()

    @property
    def point_count(self) -> int:
        """Operating points of this codec: its qualities or its target rates."""
        return len(self.qualities) + len(self.targets_bpp)


@dataclass(frozen=True)
class RdScenario:
    """``linksim rd`` scenario (see the module docstring).

    Attributes:
        codecs: :class:`RdCodec` entries.
        name, data, images, classifier, judges, ssim: as in a link scenario.
        compare: ``"a vs b"`` pairs of codec labels.
        perceptual: further metrics, off by default (slower): ``fsimc`` (per image,
            :func:`linksim.fsim.fsimc`, no learned weights),
            ``feature_distance`` (per image, :func:`linksim.perceptual.feature_distance`)
            and ``frechet`` (per operating point with a bootstrap interval,
            :func:`linksim.perceptual.frechet_distance`), both on the features of
            ``feature_classifier``; reported as ``<metric>_<classifier>``.
        frechet_resamples: bootstrap resamples of the Frechet interval.
    """
    codecs: Tuple[RdCodec, ...] = ()
    name: str = "rd"
    data: typing.Optional[str] = None
    images: typing.Optional[int] = bounded(None, lo=10)
    classifier: str = "resnet32"
    judges: Tuple[str, ...] = ()
    compare: Tuple[str, ...] = ()
    ssim: bool = True
    perceptual: Tuple[str, ...] = bounded((), choices=PERCEPTUAL_METRICS)
    feature_classifier: str = "vgg8"
    frechet_resamples: int = bounded(100, lo=10, hi=10000)

    def __post_init__(self):
        labels = self.labels
        if not self.codecs:
            raise ConfigError("rd scenario: 'codecs' must list at least one source codec")
        if len(set(labels)) != len(labels):
            raise ConfigError(f"rd scenario: two codecs share a label ({', '.join(labels)})")
        for a, b in self.compare_pairs:
            if a not in labels or b not in labels or a == b:
                raise ConfigError(f"'compare': '{a} vs {b}' must name two codecs of this scenario: "
                                  f"{', '.join(labels)}")

    @property
    def labels(self) -> list:
        return [c.label() for c in self.codecs]

    judge_names = property(judge_names)
    compare_pairs = property(compare_pairs)


def is_rd_scenario(raw: dict) -> bool:
    """Whether a scenario mapping is an rd scenario: codec entries with a source and qualities or targets, no type."""
    codecs = raw.get("codecs")
    return isinstance(codecs, list) and bool(codecs) and all(
        isinstance(c, dict) and "type" not in c and ("qualities" in c or "targets_bpp" in c) for c in codecs)


def load_rd_scenario(path, overrides=(), values=None) -> RdScenario:
    """An :class:`RdScenario` from YAML (``--set`` overrides, verbatim ``values``), fully validated."""
    from .config import drop_stale_compare, overridden_keys, scenario_mapping
    raw = scenario_mapping(path, overrides, values)
    drop_stale_compare(raw, overridden_keys(overrides), lambda codecs: [from_mapping(RdCodec, c, f"codecs[{i}]").label()
                                                       for i, c in enumerate(codecs)])
    return from_mapping(RdScenario, raw)


def build_sources(scenario: RdScenario) -> list:
    """The source codec of every entry, each of its qualities checked (ConfigError before any coding)."""
    sources = [SOURCES.build(codec.source) for codec in scenario.codecs]
    for source, codec in zip(sources, scenario.codecs):
        for quality in codec.qualities:
            source.check_quality(quality)
    return sources


def operating_points(source, codec: RdCodec, ladder: QualityLadder, pixels: int):
    """``(name, streams per image or None)`` of every operating point of ``codec``, each encoded when reached."""
    n = len(ladder.images)
    for quality in codec.qualities:
        # the grid's own value (BPG's int QP for 30.0), never a rounding of it (a Qmap level 0.25)
        quality = next((g for g in source.grid if g == quality), quality)
        streams = ladder.at_qualities(range(n), [quality] * n)
        yield {"quality": quality}, streams
    for target in codec.targets_bpp:
        positions = ladder.best(int(target * pixels // 8))
        fitting = [i for i, p in enumerate(positions) if p is not None]
        streams = [None] * n
        for i, s in zip(fitting, ladder.streams(fitting, [positions[i] for i in fitting])):
            streams[i] = s
        yield {"target_bpp": target}, streams


def _summary(values: np.ndarray) -> dict:
    return {"mean": float(np.mean(values)), "ci95": metrics.normal_halfwidth(values)}


def evaluate(scenario: RdScenario, dataset, judges: dict, progress=None, sources=None) -> dict:
    """Every codec's operating points on ``dataset``; returns the ``rd.json`` document's body.

    ``progress``: a started :class:`~linksim.progress.Progress`, one unit per operating point (silent if None);
    ``sources``: those of :func:`build_sources` (built here when None).
    """
    from .codecs.separate import shared_cache
    from .data import default_cache_dir, fallback_image
    from .progress import Progress
    from .sim import scenario_evaluator
    progress = progress or Progress()
    images, labels = dataset.images, dataset.labels
    pixels = images.shape[1] * images.shape[2]
    evaluator = scenario_evaluator(scenario, judges, images)
    names = tuple(judges)
    clean = evaluator.predict(images)
    curves, per_image = [], {}
    fallback = fallback_image(images.shape[1:])
    for codec, source in zip(scenario.codecs, sources or build_sources(scenario)):
        cache = shared_cache(None if codec.cache == "memory" else str(default_cache_dir() / "encodings.sqlite"))
        ladder = QualityLadder(source, images, cache, fallback)
        t0 = time.time()
        count = codec.point_count
        points = operating_points(source, codec, ladder, pixels)
        for k in range(count):
            progress.begin(f"{codec.label()}: encoding point {k + 1} of {count}")
            point, streams = next(points)
            shown = np.repeat(fallback[None], len(images), axis=0)
            sent = [i for i, s in enumerate(streams) if s is not None]
            decoded = decode_many(source, [streams[i] for i in sent], images.shape[1:])
            undecodable = [i for i, im in zip(sent, decoded) if im is None]
            for i, im in zip(sent, decoded):
                if im is not None:
                    shown[i] = im
            preds, psnr, ssim, per_image_perceptual, pooled = evaluator.evaluate(shown, memoise=False)
            bpp = np.array([0.0 if s is None else 8.0 * len(s) / pixels for s in streams])
            correct, consistent = preds == labels[None], preds == clean
            row = {"codec": codec.label(), **point, "bpp": _summary(bpp), "psnr_db": _summary(psnr),
                   "ssim": _summary(ssim), "not_fitting": len(images) - len(sent), "undecodable": len(undecodable),
                   "n_images": len(images),
                   "accuracy": {name: _rate(c) for name, c in zip(names, correct)},
                   "rca": {name: _rate(c) for name, c in zip(names, consistent)}}
            row.update({metric: _summary(value) for metric, value in per_image_perceptual.items()})
            if pooled is not None:
                row.update(evaluator.perceptual.frechet(pooled))
            curves.append(row)
            per_image[codec.label(), _point_key(point)] = (correct.astype(np.float64), psnr, ssim,
                                                           per_image_perceptual, consistent.astype(np.float64))
            progress.done(f"{codec.label()} {point}: bpp {row['bpp']['mean']:.3f} psnr {row['psnr_db']['mean']:.2f} dB "
                     f"acc {row['accuracy'][names[0]]['mean']:.3f} ({time.time() - t0:.1f} s)")
        cache.flush()
    return {"curves": curves, "comparisons": _comparisons(scenario, curves, per_image, names)}


def _rate(hits: np.ndarray) -> dict:
    """Mean of per-image 0/1 outcomes with its Wilson 95% half-width."""
    low, high = metrics.wilson_interval(float(hits.mean()), len(hits))
    return {"mean": float(hits.mean()), "ci95": float(high - low) / 2}


def _point_key(point: dict) -> tuple:
    return tuple(sorted(point.items()))


def _comparisons(scenario, curves, per_image, names) -> list:
    from bjontegaard import bd_psnr, bd_rate
    out = []
    for a, b in scenario.compare_pairs:
        # paired gaps where both meet the same real budget; at equal quality numbers their rates differ
        shared = [k for (label, k) in per_image if label == a and (b, k) in per_image and dict(k).get("target_bpp")]
        for key in shared:
            (ca, pa, sa, fa, ra), (cb, pb, sb, fb, rb) = per_image[a, key], per_image[b, key]
            gaps = {f"accuracy_{name}": metrics.paired_difference(ca[j], cb[j]) for j, name in enumerate(names)}
            gaps.update({f"rca_{name}": metrics.paired_difference(ra[j], rb[j]) for j, name in enumerate(names)})
            gaps["psnr_db"] = metrics.paired_difference(pa, pb)
            gaps["ssim"] = metrics.paired_difference(sa, sb)
            gaps.update({metric: metrics.paired_difference(fa[metric], fb[metric]) for metric in fa})
            out.append({"a": a, "b": b, **dict(key), **{k: {"gap": g, "ci95": h} for k, (g, h) in gaps.items()}})
        rows = {label: sorted((c for c in curves if c["codec"] == label and "quality" in c),
                              key=lambda c: c["bpp"]["mean"]) for label in (a, b)}
        if len(rows[a]) >= 4 and len(rows[b]) >= 4:
            args = [np.array([c[m]["mean"] for c in rows[label]]) for label in (b, a) for m in ("bpp", "psnr_db")]
            out.append({"a": a, "b": b, "bd_rate_percent": float(bd_rate(*args, method="akima",
                                                                          require_matching_points=False)),
                        "bd_psnr_db": float(bd_psnr(*args, method="akima", require_matching_points=False)),
                        "range_psnr_db": [max(args[1].min(), args[3].min()), min(args[1].max(), args[3].max())]})
    return out


def format_rd(doc: dict) -> str:
    """Plain-text table of an rd document."""
    judges = list(doc["curves"][0]["accuracy"]) if doc["curves"] else []
    head = f"{'codec':<22} {'point':>12} {'bpp':>13} {'PSNR dB':>13} {'SSIM':>13}" + \
        "".join(f" {'acc ' + n:>15}" for n in judges) + "".join(f" {'RCA ' + n:>15}" for n in judges) + \
        " not fitting"
    lines = [head, "-" * len(head)]
    for c in doc["curves"]:
        point = f"q {c['quality']:g}" if "quality" in c else f"{c['target_bpp']:g} bpp"
        cell = lambda s, d=3: f"{s['mean']:.{d}f}±{s['ci95']:.{d}f}"
        lines.append(f"{c['codec']:<22} {point:>12} {cell(c['bpp']):>13} {cell(c['psnr_db'], 2):>13} "
                     f"{cell(c['ssim']):>13}" + "".join(f" {cell(c['accuracy'][n]):>15}" for n in judges)
                     + "".join(f" {cell(c['rca'][n]):>15}" for n in judges)
                     + f" {c['not_fitting']:>11}" + _perceptual_cells(c))
    for comp in doc["comparisons"]:
        if "bd_rate_percent" in comp:
            lines.append(f"{comp['a']} vs {comp['b']}: BD-rate {comp['bd_rate_percent']:+.2f}%, "
                         f"BD-PSNR {comp['bd_psnr_db']:+.3f} dB over PSNR {comp['range_psnr_db'][0]:.2f}.."
                         f"{comp['range_psnr_db'][1]:.2f} dB")
        else:
            point = f"q {comp['quality']:g}" if "quality" in comp else f"{comp['target_bpp']:g} bpp"
            gaps = ", ".join(f"{k} {v['gap']:+.4f}±{v['ci95']:.4f}" for k, v in comp.items() if isinstance(v, dict))
            lines.append(f"{comp['a']} - {comp['b']} at {point}: {gaps}")
    return "\n".join(lines)


def _perceptual_cells(row: dict) -> str:
    cells = []
    for key, value in row.items():
        if key == "fsimc" or key.startswith("feature_distance_"):
            cells.append(f"{key} {value['mean']:.4f}±{value['ci95']:.4f}")
        elif key.startswith("frechet_"):
            cells.append(f"{key} {value['value']:.3f} (bias-corrected {value['bias_corrected']:.3f} "
                         f"[{value['ci95_low']:.3f}, {value['ci95_high']:.3f}])")
    return "".join(f"  {c}" for c in cells)


def rd_figure(doc: dict, path) -> Path:
    """bpp against PSNR, SSIM and the primary judge's accuracy, one line per codec (PNG and PDF)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from .plots import save_figure
    curves = doc["curves"]
    judge = next(iter(curves[0]["accuracy"])) if curves else ""
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.4))
    for label in dict.fromkeys(c["codec"] for c in curves):
        rows = sorted((c for c in curves if c["codec"] == label), key=lambda c: c["bpp"]["mean"])
        x = [c["bpp"]["mean"] for c in rows]
        for ax, get in zip(axes, (lambda c: c["psnr_db"], lambda c: c["ssim"], lambda c: c["accuracy"][judge])):
            ax.errorbar(x, [get(c)["mean"] for c in rows], yerr=[get(c)["ci95"] for c in rows], marker=".",
                        capsize=2, label=label)
    for ax, name in zip(axes, ("PSNR (dB)", "SSIM", f"accuracy ({judge})")):
        ax.set_xlabel("real bits per pixel (header included)")
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    return save_figure(fig, path)


def run_rd(scenario: RdScenario, out, threads: typing.Optional[int] = None, progress=None) -> dict:
    """Evaluate ``scenario`` and write ``rd.json`` and ``rd.png`` into ``out``; returns the document.

    ``threads``: TensorFlow's thread count, set before its runtime starts (None: leave it as it is).
    ``progress``: a :class:`~linksim.progress.Progress` (not yet started); silent if None.
    """
    from .folders import run_lock
    from .progress import Progress
    with run_lock(out), (progress or Progress()) as reporter:
        return _run_rd_locked(scenario, Path(out), threads, reporter)


def _run_rd_locked(scenario: RdScenario, out: Path, threads, progress) -> dict:
    from . import zoo
    from .config import to_plain
    from .data import default_cache_dir
    from .folders import check_writable
    from .pipeline import load_judges, preflight, weight_names
    from .results import _clean, provenance
    from .sim import configure_threads
    check_writable(default_cache_dir(), "cache folder")
    if threads is not None:
        configure_threads(threads)
    dataset = preflight(scenario)
    judges, sources = load_judges(scenario), build_sources(scenario)      # their errors come before any line
    count = sum(c.point_count for c in scenario.codecs)
    progress.start(count, f"{scenario.name}: {count} operating points of {len(scenario.codecs)} source codecs on "
                          f"{len(dataset)} images, judges {', '.join(scenario.judge_names)}")
    t0 = time.time()
    body = evaluate(scenario, dataset, judges, progress, sources)
    doc = {"scenario": to_plain(scenario),
           "provenance": provenance(0, dataset.source, {n: zoo.entry(n)["sha256"] for n in weight_names(scenario)},
                                    {"wall_seconds": round(time.time() - t0, 2)}),
           **body}
    (out / "rd.json").write_text(json.dumps(_clean(doc), indent=2, allow_nan=False))
    rd_figure(doc, out / "rd.png")
    return doc
