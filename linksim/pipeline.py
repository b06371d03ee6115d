"""The run pipeline, shared by ``linksim run`` and the Ray workers.

:class:`Setup` builds what a process needs once (codecs, judges, their
evaluator); :func:`run` drives a whole scenario into an output folder
(points store, optional Ray fill, results.json/csv, figures, report) and
returns what the CLI prints. No part of it is written twice.
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from .config import Scenario, to_plain, uses_features


@dataclass
class Setup:
    """Codecs (by label) and judges (by zoo name, the primary first) of a scenario, built once per process."""
    codecs: dict
    judges: dict

    @classmethod
    def build(cls, scenario: Scenario) -> "Setup":
        from .sim import build_codecs
        return cls(build_codecs(scenario), load_judges(scenario))

    def evaluator(self, scenario: Scenario, images):
        from .sim import scenario_evaluator
        return scenario_evaluator(scenario, self.judges, images)


def load_judges(scenario) -> dict:
    """The scenario's judges by zoo name, the primary first (link and rd scenarios alike)."""
    from . import zoo
    return {name: zoo.load_classifier(name) for name in scenario.judge_names}


def load_dataset(scenario: Scenario):
    """The scenario's test images (``images`` per class if set)."""
    from .data import load_split
    dataset = load_split(scenario.data, "test")
    return dataset.take_per_class(scenario.images) if scenario.images is not None else dataset


def weight_names(scenario: Scenario) -> list:
    """Every weights name the scenario uses: its judges, the feature metrics' classifier, every ``weights`` field
    of its codec nodes."""
    found = list(scenario.judge_names)
    if uses_features(getattr(scenario, "perceptual", ())):
        found.append(scenario.feature_classifier)

    def visit(obj):
        if dataclasses.is_dataclass(obj):
            for f in dataclasses.fields(obj):
                value = getattr(obj, f.name)
                if f.name == "weights" and isinstance(value, str):
                    found.append(value)
                else:
                    visit(value)
        elif isinstance(obj, tuple):
            for item in obj:
                visit(item)
    visit(scenario.codecs)
    return list(dict.fromkeys(found))


@dataclass
class RunOutput:
    """What :func:`run` produced: the results document, the scenario result, the folder and the wall time."""
    doc: dict
    result: object
    out: Path
    seconds: float


def run(scenario: Scenario, out, *, scenario_text: str = "", resume: bool = False, workers: Optional[int] = None,
        address: Optional[str] = None, threads: int = 2, progress: Callable = lambda line: None) -> RunOutput:
    """Run ``scenario`` into folder ``out``: results.json, results.csv, figures and report.html.

    Args:
        scenario_text: the scenario as the user wrote it (shown in the report).
        resume: reuse the grid points a previous run of the same scenario stored in ``out``.
        workers, address: run the grid points on Ray (see :func:`linksim.parallel.fill_store_on_ray`).
        threads: TensorFlow threads (numbers are reproducible for a given count).
        progress: callable taking one line per finished point.
    """
    from .folders import run_lock
    with run_lock(out):
        return _run_locked(scenario, Path(out), scenario_text, resume, workers, address, threads, progress)


def _run_locked(scenario, out, scenario_text, resume, workers, address, threads, progress) -> RunOutput:
    from . import zoo
    from .codecs.separate import cache_stats
    from .data import default_cache_dir
    from .folders import check_writable
    from .results import provenance, write_results
    from .sim import cliffs, configure_threads, run_scenario
    from .perceptual import metric_names
    from .store import PointStore
    check_writable(default_cache_dir(), "cache folder")
    configure_threads(threads)
    setup = Setup.build(scenario)
    dataset = load_dataset(scenario)
    store = PointStore(out, scenario.runs, len(scenario.judge_names), len(dataset),
                       *metric_names(scenario.perceptual, scenario.feature_classifier))
    if not resume:
        store.clear()
    t0 = time.time()
    if workers or address:
        from .parallel import fill_store_on_ray
        fill_store_on_ray(scenario, dataset, store, workers=workers, address=address, threads=threads,
                          progress=progress)
    result = run_scenario(scenario, dataset, setup.judges, progress=progress, codecs=setup.codecs, store=store)
    digital = [label for label, codec in setup.codecs.items() if codec.digital]
    doc = {"scenario": to_plain(scenario),
           "provenance": provenance(scenario.seed, dataset.source,
                                    {name: zoo.entry(name)["sha256"] for name in weight_names(scenario)},
                                    {"wall_seconds": round(time.time() - t0, 2), "encoding_cache": cache_stats()}),
           "points": result.points, "reference": result.reference, "cliff": cliffs(result.points, digital),
           "comparisons": result.comparisons}
    write_results(out, doc)
    write_figures_and_report(scenario, doc, result, dataset, out, scenario_text)
    return RunOutput(doc, result, out, time.time() - t0)


def write_figures_and_report(scenario: Scenario, doc: dict, result, dataset, out: Path, scenario_text: str):
    """Sweep, cliff, image-grid and importance figures, then the self-contained report.html."""
    from .plots import cliff_figure, image_grids, sweep_figures
    from .report import write_report
    figures = sweep_figures(result.points, out)
    if len(scenario.snr_db) > 1 and doc["cliff"]:
        figures.append(cliff_figure(doc["cliff"], out / "cliff.png"))
    figures += image_grids(result.originals, result.examples, out, dataset.classes)
    if scenario.importance is not None:
        figures.append(importance_figure(scenario.importance, result.originals, out))
    write_report(out, doc, scenario_text, figures)


def importance_figure(node, originals, out: Path) -> Path:
    """The example images over their importance maps (the scenario's ``importance`` node)."""
    from .importance import IMPORTANCE_MAPS
    from .plots import importance_figure as draw
    images, _, labels = originals
    params = to_plain(node)
    title = ", ".join(f"{k} {v}" for k, v in params.items() if k != "batch_size")
    return draw(images, IMPORTANCE_MAPS.build(node)(images, labels), title, out / f"importance_{params['type']}.png")
