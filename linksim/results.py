"""Results documents: provenance, results.json, results.csv and the printed table."""
from __future__ import annotations

import csv
import json
import math
import platform
import subprocess
import sys
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

from . import __version__

PACKAGES = ("tensorflow", "sionna", "tensorflow-compression", "tensorflow-probability", "numpy",
            "scipy", "scikit-image", "pillow", "av", "matplotlib", "pyyaml", "bjontegaard")
CSV_FIELDS = ("codec", "snr_db", "cpp_target", "cpp", "source_bits", "accuracy", "accuracy_ci95",
              "rca", "rca_ci95", "f1_macro", "f1_ci95", "psnr_db", "psnr_ci95", "ssim", "ssim_ci95", "outage_rate",
              "outage_ci95", "n_images", "runs", "seconds")


def git_commit():
    """HEAD commit of the source tree linksim runs from, '+dirty' if modified; None outside git."""
    here = Path(__file__).resolve().parent
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True,
                              text=True, timeout=10)
        if head.returncode:
            return None
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return head.stdout.strip() + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


def provenance(seed: int, data_source: str, weights: dict, extra=None) -> dict:
    """What produced a result: versions, commit, seed, data, weights sha256, machine, command."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {"linksim": __version__, "git_commit": git_commit(), "packages": versions,
            "python": platform.python_version(), "machine": platform.platform(),
            "seed": seed, "data_source": data_source, "weights_sha256": weights,
            "command": sys.argv, "finished_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            **(extra or {})}


def _clean(value):
    """NaN/inf -> None so results.json is strict JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def perceptual_metrics(points: list) -> list:
    """The perceptual metrics the points report (``fsimc``, ``feature_distance_<net>``, ``frechet_<net>``)."""
    keys = points[0] if points else {}
    return [k for k in keys if (k == "fsimc" or k.startswith(("feature_distance_", "frechet_")))
            and not k.endswith(("_ci95", "_ci95_low", "_ci95_high", "_bias_corrected"))]


#: A judge's columns in results.csv, ``<field>_<judge>``.
JUDGE_FIELDS = ("accuracy", "accuracy_ci95", "rca", "rca_ci95", "f1_macro", "f1_ci95")


def _judge_columns(point: dict) -> dict:
    return {f"{field}_{name}": values[field] for name, values in point.get("judges", {}).items()
            for field in JUDGE_FIELDS}


def _write_csv(path: Path, rows: list, fields: list) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ("" if v is None else v) for k, v in _clean(row).items()})


def write_results(out_dir, doc: dict) -> None:
    """Write ``results.json`` (the whole document), ``results.csv`` (one row per point: the primary judge's
    figures, then every judge's ``<field>_<judge>`` columns, then the perceptual metrics) and, if the scenario
    compares codecs, ``comparisons.csv`` (one row per pair and point: ``<metric>_gap`` and ``<metric>_ci95``)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(_clean(doc), indent=2, allow_nan=False))
    points = doc["points"]
    perceptual = [k for k in (points[0] if points else {})
                  if any(k == m or k.startswith((m + "_ci95", m + "_bias")) for m in perceptual_metrics(points))]
    rows = [{**p, **_judge_columns(p)} for p in points]
    judges = list(_judge_columns(points[0])) if points else []
    _write_csv(out / "results.csv", rows, list(CSV_FIELDS) + judges + perceptual)
    if doc.get("comparisons"):
        metrics_ = [k for k, v in doc["comparisons"][0].items() if isinstance(v, dict)]
        rows = [{"a": c["a"], "b": c["b"], "snr_db": c["snr_db"], "cpp_target": c["cpp_target"],
                 **{f"{k}_{part}": c[k][part] for k in metrics_ for part in ("gap", "ci95")}}
                for c in doc["comparisons"]]
        _write_csv(out / "comparisons.csv", rows, ["a", "b", "snr_db", "cpp_target"] +
                   [f"{k}_{part}" for k in metrics_ for part in ("gap", "ci95")])


def _fmt(value, ci=None, digits=3):
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    text = f"{value:.{digits}f}"
    return text if ci is None or not math.isfinite(ci) else f"{text}±{ci:.{digits}f}"


def psnr_text(point: dict) -> str:
    """A point's PSNR (dB) with its half-width, or ``lossless`` when every image arrived without error."""
    from .metrics import PSNR_CAP_DB
    if point["psnr_db"] is not None and point["psnr_db"] >= PSNR_CAP_DB:
        return "lossless"
    return _fmt(point["psnr_db"], point["psnr_ci95"], 2)


def interval_note(points: list) -> str:
    """The header line saying what the table's ± are."""
    if not points:
        return ""
    return (f"means ± 95% half-widths; the image is the unit of every interval ({points[0]['n_images']} images, "
            f"each averaged over its {points[0]['runs']} runs): accuracy, RCA and outage Wilson, F1 bootstrap, "
            f"PSNR and SSIM normal")


def format_table(points: list, reference: dict) -> str:
    """A plain-text table of every point (means ± 95% half-widths over images); one accuracy column per further
    judge."""
    extra = [name for name in reference.get("judges", {})][1:]
    perceptual = perceptual_metrics(points)
    width = max([14, *(len(p["codec"]) for p in points)])
    head = f"{'codec':<{width}} {'SNR':>5} {'CPP':>6} {'used':>6} {'accuracy':>13} {'RCA':>13} {'F1':>13} " \
           f"{'PSNR dB':>13} {'SSIM':>13} {'outage':>6}" + "".join(f" {'acc ' + n:>13}" for n in extra) + \
           "".join(f" {m:>{max(15, len(m))}}" for m in perceptual)
    lines = [interval_note(points), head, "-" * len(head)]
    for p in points:
        lines.append(f"{p['codec']:<{width}} {p['snr_db']:>5g} {p['cpp_target']:>6.3f} {_fmt(p['cpp']):>6} "
                     f"{_fmt(p['accuracy'], p['accuracy_ci95']):>13} {_fmt(p['rca'], p['rca_ci95']):>13} "
                     f"{_fmt(p['f1_macro'], p['f1_ci95'] if p['f1_ci95'] is not None else None):>13} "
                     f"{psnr_text(p):>13} {_fmt(p['ssim'], p['ssim_ci95']):>13} "
                     f"{p['outage_rate']:>6.2f}" +
                     "".join(f" {_fmt(p['judges'][n]['accuracy'], p['judges'][n]['accuracy_ci95']):>13}"
                             for n in extra) +
                     "".join(f" {_fmt(p[m], p.get(m + '_ci95'), 4):>{max(15, len(m))}}" for m in perceptual))
    for name, ref in reference.get("judges", {}).items():
        lines.append(f"clean images, judge {name}: accuracy {ref['clean_accuracy']:.4f}, "
                     f"macro-F1 {ref['clean_f1_macro']:.4f}")
    return "\n".join(lines)


def format_comparisons(comparisons: list) -> str:
    """Paired gaps ``a - b`` per (SNR, CPP): mean ± 95% half-width over images."""
    lines = []
    for c in comparisons:
        gaps = ", ".join(f"{k} {v['gap']:+.4f}±{v['ci95']:.4f}" for k, v in c.items()
                         if isinstance(v, dict))
        lines.append(f"{c['a']} - {c['b']} at {c['snr_db']:g} dB, CPP {c['cpp_target']:g}: {gaps}")
    return "\n".join(lines)
