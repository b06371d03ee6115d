"""Digital-link throughput and BPG encoding-cache hit rate over an SNR x CPP sweep.

Runs the digital codecs of scenarios/digital_grid.yaml on the first N images of
the embedded sample twice in one process with an empty cache folder: the first
(cold) sweep shows how often a sweep re-uses an encoding it made itself, the
second (warm) sweep the steady state. Images/s counts image-runs (images x runs
x grid points) per second of wall time, per codec, in the warm sweep.

    python benchmarks/digital_link.py --images 200 --runs 2
"""
from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--images", type=int, default=200)
    p.add_argument("--runs", type=int, default=2)
    p.add_argument("--out", default=str(Path(__file__).parent / "results" / "digital_link.md"))
    args = p.parse_args()
    os.environ["LINKSIM_CACHE"] = tempfile.mkdtemp(prefix="linksim-bench-")

    from linksim import zoo
    from linksim.codecs import separate
    from linksim.config import load_scenario
    from linksim.data import load_embedded_sample
    from linksim.sim import run_scenario

    grid = Path(__file__).parents[1] / "scenarios" / "digital_grid.yaml"
    scenario = load_scenario(grid, [f"runs={args.runs}", "codecs=[{type: bpg_ldpc}, {type: bpg_adaptive}, "
                                                         "{type: bpg_capacity}]"])
    data = load_embedded_sample().take_per_class(args.images)
    judges = {scenario.classifier: zoo.load_classifier(scenario.classifier)}
    rows = []
    for label in ("cold", "warm"):
        separate._CACHES.clear()
        t0 = time.time()
        points = run_scenario(scenario, data, judges, progress=lambda m: None).points
        wall = time.time() - t0
        stats = separate.cache_stats()
        (cache,) = stats.values()
        per_codec = {}
        for pt in points:
            per_codec[pt["codec"]] = per_codec.get(pt["codec"], 0.0) + pt["seconds"]
        rows.append((label, wall, cache, per_codec))
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if "model name" in line), "?")
    points_per_codec = len(scenario.snr_db) * len(scenario.cpp)
    lines = ["## Digital link throughput and BPG cache hit rate",
             f"`python benchmarks/digital_link.py --images {args.images} --runs {args.runs}` "
             f"on {os.cpu_count()} cores ({cpu}), {platform.platform()}; grid "
             f"{len(scenario.snr_db)} SNR x {len(scenario.cpp)} CPP, {args.images} images, {args.runs} runs.",
             "", "| sweep | wall (s) | cache lookups | hit rate | " +
             " | ".join(f"{c} images/s" for c in rows[0][3]) + " |",
             "|---|---|---|---|" + "---|" * len(rows[0][3])]
    for label, wall, cache, per_codec in rows:
        rates = [args.images * args.runs * points_per_codec / s for s in per_codec.values()]
        lines.append(f"| {label} | {wall:.1f} | {cache['hits'] + cache['misses']} | {cache['hit_rate']:.3f} | "
                     + " | ".join(f"{r:.0f}" for r in rates) + " |")
    text = "\n".join(lines) + "\n"
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
