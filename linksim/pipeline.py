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
from typing import Optional

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


def preflight(scenario):
    """Every check a run makes before any work, for ``run`` and ``validate`` alike; returns the dataset.

    The data path and the image count (``images`` per class), the judges (zoo classifiers, or a classifier
    run's weights file by path), every weights file the scenario names, each against its sha256, and the
    channel against the grid (pilots).

    Raises:
        DataError, WeightsError, ConfigError: with one line naming what is wrong.
    """
    from . import zoo
    from .sim import scenario_channel
    dataset = load_dataset(scenario)
    if isinstance(scenario, Scenario):                 # an rd scenario has no channel
        scenario_channel(scenario, dataset.images.shape[1:3])
    for name in scenario.judge_names:
        zoo.classifier_entry(name)
    for name in weight_names(scenario):
        zoo.verified_path(name)
    return dataset


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
        address: Optional[str] = None, threads: Optional[int] = None, progress=None) -> RunOutput:
    """Run ``scenario`` into folder ``out``: results.json, results.csv, figures and report.html.

    Args:
        scenario_text: the scenario as the user wrote it (shown in the report).
        resume: reuse the grid points a previous run of the same scenario stored in ``out``.
        workers, address: run the grid points on Ray (see :func:`linksim.parallel.fill_store_on_ray`).
        threads: TensorFlow threads, set before its runtime starts (numbers are reproducible for a given
            count); None leaves TensorFlow as it is (a script may have started it); Ray workers then use 2.
        progress: a :class:`~linksim.progress.Progress` (not yet started): the start line, one unit per grid
            point; silent if None.
    """
    from .folders import run_lock
    from .progress import Progress
    with run_lock(out), (progress or Progress()) as reporter:
        return _run_locked(scenario, Path(out), scenario_text, resume, workers, address, threads, reporter)


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
    if threads is not None:
        configure_threads(threads)
    dataset = preflight(scenario)
    setup = Setup.build(scenario)                  # a codec node's own errors (an unknown code) end it here
    progress.start(grid_size(scenario), start_line(scenario, len(dataset)))
    store = PointStore(out, scenario.runs, len(scenario.judge_names), len(dataset),
                       *metric_names(scenario.perceptual, scenario.feature_classifier))
    if not resume:
        store.clear()
    t0 = time.time()
    if workers or address:
        from .parallel import fill_store_on_ray
        fill_store_on_ray(scenario, dataset, store, workers=workers, address=address, threads=threads or 2,
                          progress=progress)
    result = run_scenario(scenario, dataset, setup.judges, progress=progress, codecs=setup.codecs, store=store)
    digital = [label for label, codec in setup.codecs.items() if codec.digital]
    doc = {"scenario": to_plain(scenario),
           "provenance": provenance(scenario.seed, dataset.source,
                                    {name: zoo.entry(name)["sha256"] for name in weight_names(scenario)},
                                    {"wall_seconds": round(time.time() - t0, 2), "encoding_cache": cache_stats()}),
           "points": result.points, "reference": result.reference, "cliff": cliffs(result.points, digital),
           "comparisons": result.comparisons}
    progress.begin("writing results, figures and report.html")
    write_results(out, doc)
    write_figures_and_report(scenario, doc, result, dataset, out, scenario_text)
    return RunOutput(doc, result, out, time.time() - t0)


def grid_size(scenario: Scenario) -> int:
    return len(scenario.codecs) * len(scenario.snr_db) * len(scenario.cpp)


def start_line(scenario: Scenario, n_images: int) -> str:
    """What a run is about to do, said once its codecs and judges are built, before the first point."""
    return (f"{scenario.name}: {grid_size(scenario)} grid points ({len(scenario.codecs)} codecs x "
            f"{len(scenario.snr_db)} SNRs x {len(scenario.cpp)} CPPs), {scenario.runs} runs of {n_images} images, "
            f"judges {', '.join(scenario.judge_names)}")


def write_figures_and_report(scenario: Scenario, doc: dict, result, dataset, out: Path, scenario_text: str):
    """Sweep, cliff, image-grid and importance figures, then the self-contained report.html."""
    from .plots import cliff_figure, image_grids, sweep_figures
    from .report import write_report
    figures = sweep_figures(result.points, out, doc["reference"])
    if len(scenario.cpp) > 1 and doc["cliff"]:          # the cliff is a CPP: one CPP has none to show
        figures.append(cliff_figure(doc["cliff"], out / "cliff.png"))
    figures += image_grids(result.originals, result.examples, out, dataset.classes)
    if scenario.importance is not None:
        figures.append(importance_figure(scenario.importance, result.originals, out))
    write_report(out, doc, scenario_text, figures)


def importance_figure(node, originals, out: Path):
    """The example images over their importance maps (the scenario's ``importance`` node), as a ``Drawn``."""
    from .importance import IMPORTANCE_MAPS
    from .importance.base import UNIT_INTERVAL
    from .plots import importance_figure as draw
    images, _, labels = originals
    params = to_plain(node)
    options = ", ".join(f"{k} {v}" for k, v in params.items() if k not in ("type", "batch_size"))
    block = IMPORTANCE_MAPS.build(node)
    scale = "in [0, 1] per image" if block.units == UNIT_INTERVAL else \
        "summed over R, G, B; weights with mean square 1 per image"
    title = f"importance map {params['type']}" + (f" ({options})" if options else "") + f": {scale}"
    caption = (f"The example test images (top) and their {params['type']} importance maps (bottom, {scale}; "
               "brighter = more important; one colour scale for all, shown by the bar).")
    return draw(images, block(images, labels), title, out / f"importance_{params['type']}.png", caption)
